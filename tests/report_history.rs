//! `--html` with a run history: the history panel (new, flaky, known,
//! slower, fixed, added, removed) and the per-test history strip in the
//! details drawer, checked in a real headless Chromium against a synthetic
//! history whose marks are known (the one tests/history.rs classifies).
//! Needs Chromium like tests/html_report.rs (`STACKVIZ_CHROMIUM`,
//! `STACKVIZ_SKIP_BROWSER=1` to skip the browser part).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

mod common;
use common::browser::{dom, skip_browser};
use common::history::{FLAKY, SLOW};
use stackviz_export::Status;

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_stackviz-export"))
}

fn export(args: &[&std::ffi::OsStr]) {
    let out = Command::new(exe()).arg("-q").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$(AsRef::<std::ffi::OsStr>::as_ref(&$a)),*] };
}

/// The synthetic history (see tests/common/history.rs). `t.flaky` carries
/// a `[…]` attribute group in the stream, which the store drops from its
/// name.
fn runs() -> (Vec<Vec<u8>>, Vec<u8>) {
    common::history::synthetic("t.flaky[id-1,smoke]")
}

/// The attributes of every start tag containing `needle`, in order.
fn tags(dom: &str, needle: &str) -> Vec<HashMap<String, String>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = dom[from..].find(needle) {
        let at = from + k;
        from = at + needle.len();
        let start = dom[..at].rfind('<').unwrap();
        let end = at + dom[at..].find('>').unwrap();
        let mut attrs = HashMap::new();
        let mut rest = dom[start + 1..end].trim_start_matches(|c: char| c.is_ascii_alphanumeric());
        while let Some(eq) = rest.find("=\"") {
            let close = rest[eq + 2..].find('"').unwrap() + eq + 2;
            let value = rest[eq + 2..close]
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&");
            attrs.insert(rest[..eq].trim().to_owned(), value);
            rest = &rest[close + 1..];
        }
        out.push(attrs);
    }
    out
}

/// The history panel's lists: kind -> (count attribute, test names, the
/// entry each name opens).
type Lists = HashMap<String, (usize, Vec<String>, Vec<Option<String>>)>;

fn lists(d: &str) -> Lists {
    let start = d.find("class=\"panel history\"").expect("no history panel");
    let rest = &d[start + 1..];
    let panel = &rest[..rest.find("class=\"panel ").unwrap_or(rest.len())];
    let mut out = HashMap::new();
    for part in panel.split("<div class=\"h-list\"").skip(1) {
        let head = &tags(&format!("<div class=\"h-list\"{part}"), "class=\"h-list\"")[0];
        let mut names = Vec::new();
        let mut opens = Vec::new();
        for item in part.split("<li class=\"h-item\"").skip(1) {
            let item = &item[..item.find("</li>").unwrap()];
            let t = &tags(&format!("<li class=\"h-item\"{item}"), "class=\"h-item\"")[0];
            names.push(t["data-test"].clone());
            opens.push(
                tags(item, "data-open=")
                    .first()
                    .map(|t| t["data-open"].clone()),
            );
        }
        out.insert(
            head["data-kind"].clone(),
            (head["data-count"].parse().unwrap(), names, opens),
        );
    }
    out
}

/// The drawer's strip: (status, seconds, current) per run, oldest first.
fn strip(d: &str) -> Vec<(String, f64, bool)> {
    let drawer = &d[d.find("id=\"drawer\"").expect("no drawer")..];
    let s = &drawer[drawer.find("class=\"history-strip\"").expect("no strip")..];
    let s = &s[..s.find("</dd>").unwrap()];
    tags(s, "class=\"hs-run\"")
        .iter()
        .map(|t| {
            (
                t["data-status"].clone(),
                t["data-seconds"].parse().unwrap(),
                t.contains_key("data-current"),
            )
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn the_report_shows_the_history_panel_and_strips() {
    let tmp = tempfile::tempdir().unwrap();
    let (earlier, current) = runs();
    let job = tmp.path().join("job");
    std::fs::create_dir(&job).unwrap();
    let same = job.join("run.subunit");
    let db = tmp.path().join("h.db");
    for run in &earlier {
        std::fs::write(&same, run).unwrap();
        export(args![tmp.path().join("o"), "--history", db, "-f", same]);
    }
    std::fs::write(&same, &current).unwrap();
    let dest = tmp.path().join("now");
    export(args![dest, "--html", "--history", db, "-f", same]);
    if skip_browser() {
        return;
    }
    let html = dest.join("index.html");

    // Entry 2 is t.flaky: its drawer, and the panel beside it.
    let d = dom(&html, "test=2");
    let l = lists(&d);
    let names = |k: &str| l.get(k).map(|x| x.1.clone()).unwrap_or_default();
    assert_eq!(names("new"), ["t.stable", "t.added"]);
    assert_eq!(names("flaky"), ["t.flaky"]);
    assert_eq!(names("known"), ["t.broken"]);
    assert_eq!(names("slower"), ["t.slow"]);
    assert_eq!(names("fixed"), ["t.fixed"]);
    assert_eq!(names("added"), ["t.added"]);
    assert_eq!(names("removed"), ["t.removed"]);
    for (kind, (count, names, _)) in &l {
        assert_eq!(*count, names.len(), "{kind}");
    }
    // The slower test with its median and factor.
    let slow = &tags(&d, "data-factor=")[0];
    assert!(close(slow["data-seconds"].parse().unwrap(), 3.0));
    assert!(close(slow["data-median"].parse().unwrap(), 1.0));
    assert_eq!(slow["data-factor"], "3.000");
    // A listed test opens its own details; a removed one has none here.
    assert_eq!(l["flaky"].2, [Some("2".to_owned())]);
    assert_eq!(l["new"].2, [Some("0".to_owned()), Some("5".to_owned())]);
    assert_eq!(l["removed"].2, [None]);
    // The strip: six earlier runs, oldest first, then this run (a failure).
    let s = strip(&d);
    let want: Vec<&str> = FLAKY
        .iter()
        .map(|st| {
            if *st == Status::Fail {
                "fail"
            } else {
                "success"
            }
        })
        .chain(["fail"])
        .collect();
    assert_eq!(s.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), want);
    assert!(s.iter().all(|x| close(x.1, 0.2)), "{s:?}");
    assert_eq!(
        s.iter().map(|x| x.2).collect::<Vec<_>>(),
        [false, false, false, false, false, false, true]
    );

    // Entry 4 is t.slow: its durations, then this run's 3 s.
    let d = dom(&html, "test=4");
    let s = strip(&d);
    let secs: Vec<f64> = s.iter().map(|x| x.1).collect();
    let want: Vec<f64> = SLOW.iter().copied().chain([3.0]).collect();
    assert!(
        secs.iter().zip(&want).all(|(a, b)| close(*a, *b)) && secs.len() == 7,
        "{secs:?}"
    );
    assert!(s.iter().all(|x| x.0 == "success"));

    // Entry 5 (t.added) never ran before: only this run.
    let d = dom(&html, "test=5");
    assert_eq!(strip(&d), [("fail".to_owned(), 0.1, true)]);
}

#[test]
fn a_baseline_feeds_the_report_and_no_history_adds_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (earlier, current) = runs();
    let base = tmp.path().join("base.subunit");
    std::fs::write(&base, &earlier[5]).unwrap();
    let now = tmp.path().join("now.subunit");
    std::fs::write(&now, &current).unwrap();
    let with = tmp.path().join("with");
    export(args![with, "--html", "--baseline", base, "-f", now]);
    let without = tmp.path().join("without");
    export(args![without, "--html", "-f", now]);
    if skip_browser() {
        return;
    }
    // Against the last earlier run alone: one flip is not flaky.
    let d = dom(&with.join("index.html"), "test=2");
    let l = lists(&d);
    assert_eq!(l["new"].1, ["t.stable", "t.flaky", "t.added"]);
    assert_eq!(l["known"].1, ["t.broken"]);
    assert_eq!(l["fixed"].1, ["t.fixed"]);
    assert_eq!(l["removed"].1, ["t.removed"]);
    assert!(!l.contains_key("flaky"));
    let s = strip(&d);
    assert_eq!(
        s.iter().map(|x| (x.0.as_str(), x.2)).collect::<Vec<_>>(),
        [("success", false), ("fail", true)]
    );

    let d = dom(&without.join("index.html"), "test=2");
    assert!(!d.contains("class=\"panel history\""));
    assert!(!d.contains("history-strip"));
}
