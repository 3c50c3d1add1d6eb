//! `--html`: the report renders in real headless browsers and shows the
//! values the data files hold.
//!
//! Needs Chromium (`/usr/bin/chromium`, or `STACKVIZ_CHROMIUM=<path>`) and
//! runs every page check in Firefox too where one is installed
//! (`firefox-esr`, or `STACKVIZ_FIREFOX=<path>`; see tests/common/browser.rs).
//! Without Chromium these tests fail, unless `STACKVIZ_SKIP_BROWSER=1` is
//! set: then only the HTML file itself is checked. Screenshots for people to
//! look at land in `target/tmp/html-report/`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use serde_json::Value;
use stackviz_export::Status;

mod common;
use common::browser::{browsers, chromium, skip_browser, FLAGS};
use common::report::*;

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/conformance")
        .join(case)
}

/// Runs the exporter in a fixture folder; returns the temp dir and DEST.
fn export(case: &str, args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    Command::cargo_bin("stackviz-export")
        .unwrap()
        .current_dir(fixture(case))
        .args(args)
        .arg("--html")
        .arg(&out)
        .assert()
        .success();
    (tmp, out)
}

// ------------------------------------------------------------ expectations

/// What the data files say about one stream.
struct Expected {
    count: u64,
    failures: Vec<(String, Option<Vec<String>>)>,
    skips: usize,
    statuses: BTreeMap<String, u64>,
    names: Vec<String>,
    /// Lane labels in order, and how many tests each holds.
    lanes: Vec<(String, u64)>,
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// ISO timestamp → µs since the epoch (the exporter writes UTC only).
fn micros(iso: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(iso)
        .unwrap()
        .timestamp_micros()
}

fn worker_number(tag: &str) -> Option<u32> {
    let n = tag.strip_prefix("worker-")?;
    n.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| n.parse().ok())
        .flatten()
}

/// Reads config.json and the raw files of a tempest export.
fn expected(out: &Path) -> Vec<Expected> {
    let config = read_json(&out.join("config.json"));
    let mut all = Vec::new();
    for entry in config["tempest"].as_array().unwrap() {
        let stats = &entry["stats"];
        let raw = read_json(&out.join(entry["raw"].as_str().unwrap()));
        let raw = raw.as_array().unwrap();
        let mut statuses = BTreeMap::new();
        let mut workers: BTreeMap<u32, u64> = BTreeMap::new();
        let mut untagged = Vec::new();
        for t in raw {
            *statuses
                .entry(t["status"].as_str().unwrap().to_owned())
                .or_insert(0) += 1;
            let w = t["tags"]
                .as_array()
                .unwrap()
                .iter()
                .find_map(|tag| worker_number(tag.as_str().unwrap()));
            let ts = &t["timestamps"];
            let span = ts[0].as_str().map(|a| {
                let (a, b) = (micros(a), micros(ts[1].as_str().unwrap()));
                (a.min(b), a.max(b))
            });
            match (w, span) {
                (Some(w), Some(_)) => *workers.entry(w).or_insert(0) += 1,
                (Some(w), None) => {
                    workers.entry(w).or_insert(0);
                }
                (None, Some(s)) => untagged.push(s),
                (None, None) => {}
            }
        }
        let mut lanes: Vec<(String, u64)> = workers
            .iter()
            .map(|(w, n)| (format!("worker-{w}"), *n))
            .collect();
        if !untagged.is_empty() {
            // As many lanes as tests run at once at the busiest moment;
            // a test that ends when another starts does not overlap it.
            let mut edges: Vec<(i64, i32)> = untagged
                .iter()
                .flat_map(|&(a, b)| [(a, 1), (b, -1)])
                .collect();
            edges.sort();
            let (mut now, mut peak) = (0, 0);
            for (_, d) in edges {
                now += d;
                peak = peak.max(now);
            }
            let word = if lanes.is_empty() { "lane" } else { "untagged" };
            let first = lanes.len();
            lanes.extend((1..=peak).map(|k| (format!("{word} {k}"), 0)));
            // Only the total is known without redoing the assignment.
            lanes[first].1 = untagged.len() as u64;
        }
        all.push(Expected {
            count: stats["count"].as_u64().unwrap(),
            failures: stats["failures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let lines = f["details"]
                        .as_array()
                        .map(|l| l.iter().map(|x| x.as_str().unwrap().to_owned()).collect());
                    (f["name"].as_str().unwrap().to_owned(), lines)
                })
                .collect(),
            skips: stats["skips"].as_array().unwrap().len(),
            statuses,
            names: raw
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect(),
            lanes,
        });
    }
    all
}

// ---------------------------------------------------------- static checks

/// The JSON the page embeds.
fn page_data(html: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"stackviz-data\">";
    let at = html.find(open).expect("the data block") + open.len();
    let len = html[at..].find("</script>").unwrap();
    let json = &html[at..at + len];
    assert!(!json.contains("</") && !json.contains("<!"));
    serde_json::from_str(json).unwrap()
}

/// The bytes of a block of the page: lines of base64, each a gzip member.
fn block(html: &str, id: &str) -> Vec<u8> {
    use base64::Engine as _;
    use std::io::Read;
    let open = format!("<script type=\"application/octet-stream\" id=\"{id}\">");
    let at = html.find(&open).unwrap_or_else(|| panic!("no block {id}")) + open.len();
    let text = &html[at..at + html[at..].find("</script>").unwrap()];
    // One gzip member per line; their bytes joined.
    let mut out = Vec::new();
    for line in text.trim().lines() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(line)
            .unwrap_or_else(|e| panic!("block {id}: not base64: {e}"));
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap();
    }
    out
}

/// Each entry's status code and name, from a stream's columnar blocks
/// (layout in src/output/html/columns.rs).
fn columns(html: &str, s: &Value) -> (Vec<u8>, Vec<String>) {
    let arrays = block(html, s["columns"].as_str().unwrap());
    assert_eq!(&arrays[..4], b"SVC2");
    let u32_at = |k: usize| u32::from_le_bytes(arrays[k..k + 4].try_into().unwrap());
    let n = u32_at(4) as usize;
    let status = arrays[16..16 + n].to_vec();
    let lanes = (16 + 3 * n).div_ceil(8) * 8;
    let lens = (lanes + 4 * n).div_ceil(8) * 8 + 16 * n;
    let text = String::from_utf8(block(html, s["names_block"].as_str().unwrap())).unwrap();
    let units: Vec<u16> = text.encode_utf16().collect();
    // The names block holds the names in the order of `by name`.
    let by_name = lens + 8 * n;
    assert_eq!(arrays.len(), by_name + 4 * n);
    let mut names = vec![String::new(); n];
    let mut p = 0;
    for k in 0..n {
        let i = u32_at(by_name + 4 * k) as usize;
        let len = u32_at(lens + 4 * i) as usize;
        names[i] = String::from_utf16(&units[p..p + len]).unwrap();
        p += len;
    }
    assert_eq!(p, units.len());
    (status, names)
}

fn check_file(out: &Path, want: &[Expected]) -> String {
    let path = out.join("index.html");
    let bytes = std::fs::read(&path).expect("index.html is written");
    assert!(!out.join("index.html.gz").exists());
    let html = String::from_utf8(bytes).expect("index.html is plain UTF-8 text");
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Self-contained: nothing to fetch (the embedded data aside, which may
    // quote anything a test printed).
    let mut page = html.clone();
    for open in [
        "<script type=\"application/json\"",
        "<script type=\"application/octet-stream\"",
    ] {
        while let Some(a) = page.find(open) {
            let b = page[a..].find("</script>").unwrap() + a;
            page.replace_range(a..b, "");
        }
    }
    let lower = page.to_ascii_lowercase();
    for bad in ["<link", " src=", "@import", "http://", "https://", "fetch("] {
        assert!(!lower.contains(bad), "index.html contains {bad:?}");
    }
    let data = page_data(&html);
    let streams = data["streams"].as_array().unwrap();
    assert_eq!(streams.len(), want.len());
    for (s, w) in streams.iter().zip(want) {
        assert_eq!(s["count"].as_u64(), Some(w.count));
        let (status, names) = columns(&html, s);
        assert_eq!(names, w.names);
        let mut by_status = BTreeMap::new();
        for st in status {
            let word = data["statuses"][st as usize].as_str().unwrap().to_owned();
            *by_status.entry(word).or_insert(0) += 1;
        }
        assert_eq!(by_status, w.statuses);
        assert_eq!(s["failures"].as_array().unwrap().len(), w.failures.len());
        assert_eq!(s["skips"].as_array().unwrap().len(), w.skips);
        let labels: Vec<&str> = s["lanes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        let want_labels: Vec<&str> = w.lanes.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(labels, want_labels);
    }
    html
}

// -------------------------------------------------------------- browser

/// A PNG of the page for people to look at (Chromium's `--screenshot`).
fn screenshot(html: &Path, name: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join(format!("{name}.png"));
    let profile = tempfile::tempdir().unwrap();
    let out = Process::new(chromium())
        .args(FLAGS)
        .args(["--virtual-time-budget=5000", "--hide-scrollbars"])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed on {}",
        html.display()
    );
    assert!(png.is_file(), "no screenshot at {}", png.display());
}

// ---------------------------------------------------------- reading the DOM

#[derive(Debug)]
struct Elem {
    tag: String,
    attrs: HashMap<String, String>,
    /// Byte offsets of the start tag's `<` and just after its `>`.
    at: usize,
    inner: usize,
}

impl Elem {
    fn get(&self, attr: &str) -> Option<&str> {
        self.attrs.get(attr).map(String::as_str)
    }
    fn has_class(&self, class: &str) -> bool {
        self.get("class")
            .is_some_and(|c| c.split_whitespace().any(|x| x == class))
    }
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Every start tag of a serialised DOM (script and style bodies skipped).
fn elements(dom: &str) -> Vec<Elem> {
    let b = dom.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = dom[i..].find('<') {
        let at = i + off;
        i = at + 1;
        if !b.get(i).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let mut j = i;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
            j += 1;
        }
        let tag = dom[i..j].to_ascii_lowercase();
        let mut attrs = HashMap::new();
        loop {
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' || b[j] == b'/' {
                break;
            }
            let k = j;
            while j < b.len() && !b" =>/".contains(&b[j]) && !b[j].is_ascii_whitespace() {
                j += 1;
            }
            let name = dom[k..j].to_ascii_lowercase();
            let mut value = String::new();
            if b.get(j) == Some(&b'=') {
                j += 1;
                let quote = b[j];
                let end = dom[j + 1..].find(quote as char).unwrap() + j + 1;
                value = unescape(&dom[j + 1..end]);
                j = end + 1;
            }
            attrs.insert(name, value);
        }
        let inner = dom[j..].find('>').map_or(b.len(), |k| j + k + 1);
        i = inner;
        if tag == "script" || tag == "style" {
            let end = format!("</{tag}");
            i = dom[i..].find(&end).map_or(b.len(), |k| i + k);
        }
        out.push(Elem {
            tag,
            attrs,
            at,
            inner,
        });
    }
    out
}

/// The part of the DOM for stream `i`: from its section to the next one.
fn section(dom: &str, i: usize) -> (&str, bool) {
    let els = elements(dom);
    let sections: Vec<&Elem> = els
        .iter()
        .filter(|e| e.tag == "section" && e.has_class("stream"))
        .collect();
    let me = sections
        .iter()
        .position(|e| e.get("data-stream") == Some(&i.to_string()))
        .unwrap_or_else(|| panic!("no section for stream {i}"));
    let start = sections[me].at;
    let end = sections
        .get(me + 1)
        .map_or_else(|| dom.find("</main>").unwrap(), |e| e.at);
    (&dom[start..end], sections[me].get("hidden").is_none())
}

/// The text between an element's start tag and the next `</`.
fn text_after(dom: &str, e: &Elem) -> String {
    let end = dom[e.inner..].find("</").unwrap();
    unescape(&dom[e.inner..e.inner + end])
}

/// Checks the shown stream `i` against the data files.
fn check_stream(dom: &str, i: usize, w: &Expected) {
    let (part, visible) = section(dom, i);
    assert!(visible, "stream {i} should be the one shown");
    let els = elements(part);

    // Counts by status, equal to the stats and the raw file.
    let stat = |k: &str| {
        els.iter()
            .find(|e| e.get("data-stat") == Some(k))
            .and_then(|e| e.get("data-value"))
            .unwrap_or_else(|| panic!("no {k} card"))
            .to_owned()
    };
    assert_eq!(stat("total").replace(',', ""), w.count.to_string());
    let shown: BTreeMap<String, u64> = els
        .iter()
        .filter(|e| e.has_class("count"))
        .map(|e| {
            (
                e.get("data-status").unwrap().to_owned(),
                e.get("data-count").unwrap().parse().unwrap(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(shown, w.statuses);
    assert_eq!(
        shown.get("fail").copied().unwrap_or(0),
        w.failures.len() as u64
    );
    assert_eq!(shown.get("skip").copied().unwrap_or(0), w.skips as u64);
    assert_eq!(shown.values().sum::<u64>(), w.count);

    // One lane per worker (or per overlap), holding every timed test.
    let lanes: Vec<(String, u64)> = els
        .iter()
        .filter_map(|e| {
            let name = e.get("data-lane")?.to_owned();
            Some((name, e.get("data-tests").unwrap().parse().unwrap()))
        })
        .collect();
    let names = |l: &[(String, u64)]| l.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&lanes), names(&w.lanes));
    if w.lanes.iter().any(|l| l.0.starts_with("worker-")) {
        assert_eq!(lanes, w.lanes);
    } else {
        let total = |l: &[(String, u64)]| l.iter().map(|x| x.1).sum::<u64>();
        assert_eq!(total(&lanes), total(&w.lanes));
    }
    assert!(els.iter().any(|e| e.tag == "canvas" && e.has_class("bars")));

    // Every failure, with its last traceback lines.
    let failures: Vec<&Elem> = els.iter().filter(|e| e.has_class("failure")).collect();
    assert_eq!(failures.len(), w.failures.len());
    for ((name, lines), li) in w.failures.iter().zip(&failures) {
        assert_eq!(li.get("data-test"), Some(name.as_str()));
        let pre = els
            .iter()
            .find(|e| e.at > li.at && (e.has_class("tb-last") || e.has_class("tb-none")))
            .unwrap();
        // Without a `traceback` attachment the stats have no lines; the
        // page may still find a traceback in another attachment
        // (tests/report_why.rs checks which).
        if let Some(lines) = lines {
            assert!(pre.has_class("tb-last"), "{name}: no traceback shown");
            assert_eq!(text_after(part, pre), lines.join("\n"), "{name}");
        }
    }

    // The table knows every test and renders the first ones.
    let table = els.iter().find(|e| e.has_class("tbl")).unwrap();
    assert_eq!(table.get("data-total"), Some(w.count.to_string().as_str()));
    let shown = els.iter().find(|e| e.has_class("shown")).unwrap();
    assert_eq!(shown.get("data-shown"), Some(w.count.to_string().as_str()));
    let rows = els.iter().filter(|e| e.get("data-row").is_some()).count() as u64;
    assert!(
        rows >= w.count.min(10) && rows <= w.count,
        "{rows} rows rendered"
    );
}

/// With `rows=all` the table renders every test.
fn check_all_rows(dom: &str, i: usize, w: &Expected) {
    let (part, _) = section(dom, i);
    let mut rows: Vec<String> = elements(part)
        .iter()
        .filter(|e| e.get("data-row").is_some())
        .map(|e| e.get("data-test").unwrap().to_owned())
        .collect();
    let mut want = w.names.clone();
    rows.sort();
    want.sort();
    assert_eq!(rows, want);
}

/// Everything for an export, in every browser; returns the default DOM
/// each browser drew.
fn check_report(case: &str, args: &[&str], shot: &str) -> Vec<String> {
    let (_tmp, out) = export(case, args);
    let want = expected(&out);
    check_file(&out, &want);
    let html = out.join("index.html");
    let mut doms = Vec::new();
    for b in browsers() {
        let dom = b.dom(&html, "");
        for (i, w) in want.iter().enumerate() {
            let frag = format!("stream={i}");
            let d = if i == 0 {
                dom.clone()
            } else {
                b.dom(&html, &frag)
            };
            check_stream(&d, i, w);
            check_all_rows(&b.dom(&html, &format!("{frag}&rows=all")), i, w);
        }
        doms.push(dom);
    }
    if !skip_browser() {
        screenshot(&html, shot);
    }
    doms
}

// ------------------------------------------------------------------ tests

#[test]
fn worker_lanes_failures_and_table() {
    check_report(
        "real_tempestlike_repo_last",
        &["-f", "run.subunit"],
        "tempestlike",
    );
}

#[test]
fn lanes_by_overlap_without_worker_tags() {
    check_report("syn_statuses", &["-f", "s.subunit"], "no_workers");
}

#[test]
fn dstat_charts() {
    for dom in check_report(
        "cli_dstat_real",
        &["-f", "run.subunit", "--dstat", "dstat.csv"],
        "dstat",
    ) {
        let els = elements(&dom);
        let dstat = els
            .iter()
            .find(|e| e.has_class("dstat"))
            .expect("a dstat chart section");
        let rows = std::fs::read_to_string(fixture("cli_dstat_real/dstat.csv"))
            .unwrap()
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .count();
        assert_eq!(dstat.get("data-points"), Some(rows.to_string().as_str()));
        let charts: BTreeSet<&str> = els
            .iter()
            .filter(|e| e.tag == "canvas")
            .filter_map(|e| e.get("data-chart"))
            .collect();
        assert_eq!(charts, BTreeSet::from(["cpu", "memory", "disk", "network"]));
    }
}

#[test]
fn unreadable_dstat_is_a_warning_and_a_note() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let log = tmp.path().join("pcp.csv");
    std::fs::write(
        &log,
        "\"pcp-dstat 5.3.7 CSV Output\"\n\"system\"\n\"time\"\n",
    )
    .unwrap();
    let assert = Command::cargo_bin("stackviz-export")
        .unwrap()
        .current_dir(fixture("real_tempestlike_repo_last"))
        .args(["-f", "run.subunit", "--html", "--dstat"])
        .arg(&log)
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("index.html has no dstat charts"),
        "{stderr}"
    );
    let html = check_file(&out, &expected(&out));
    let data = page_data(&html);
    assert!(data["dstat"].is_null());
    // pcp-dstat logs chart too, but this one has no load columns.
    assert!(data["dstat_note"].as_str().unwrap().contains("no CPU"));
    for b in browsers() {
        let dom = b.dom(&out.join("index.html"), "");
        assert!(dom.contains("the dstat log could not be read"));
        assert!(!elements(&dom).iter().any(|e| e.has_class("dstat")));
    }
}

#[test]
fn two_streams_behind_a_selector() {
    for dom in check_report(
        "cli_two_files",
        &["-f", "a.subunit", "-f", "b.subunit"],
        "two_streams",
    ) {
        let els = elements(&dom);
        let select = els
            .iter()
            .find(|e| e.get("id") == Some("stream-select"))
            .unwrap();
        let end = dom[select.inner..].find("</select>").unwrap() + select.inner;
        let options: Vec<&str> = els
            .iter()
            .filter(|e| e.tag == "option" && e.at > select.at && e.at < end)
            .map(|e| e.get("value").unwrap())
            .collect();
        assert_eq!(options, ["0", "1"]);
        let picker = els.iter().find(|e| e.get("id") == Some("picker")).unwrap();
        assert!(picker.get("hidden").is_none());
        // Both sections exist; the first is shown.
        assert!(section(&dom, 0).1);
        assert!(!section(&dom, 1).1);
    }
}

#[test]
fn artifacts_format_gzipped_still_writes_a_plain_page() {
    let (_t1, tempest) = export("real_tempestlike_repo_last", &["-f", "run.subunit"]);
    let want = expected(&tempest);
    let (_t2, out) = export(
        "real_tempestlike_repo_last",
        &["-f", "run.subunit", "--format", "artifacts", "-z"],
    );
    assert!(out.join("run.subunit-0-raw.json.gz").is_file());
    check_file(&out, &want);
    for b in browsers() {
        check_stream(&b.dom(&out.join("index.html"), ""), 0, &want[0]);
    }
}

#[test]
fn cut_attachments_and_hostile_text() {
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("cap.subunit");
    let mut traceback: String = (0..12_000).map(|i| format!("line {i}\n")).collect();
    traceback.push_str("FinalError: the end\n");
    let log = "x".repeat(30_000);
    let hostile = "</script><!--<script>alert(1)</script>";
    write_stream(
        &stream,
        &[
            (
                "t.Big.test_big",
                Status::Fail,
                vec![("traceback", traceback.clone()), ("pythonlogging:''", log)],
            ),
            (
                "t.Evil.test_</script><!--",
                Status::Fail,
                vec![("traceback", format!("Traceback:\nEvilError: {hostile}\n"))],
            ),
            (
                "t.Evil.test_skip",
                Status::Skip,
                vec![("reason", hostile.to_owned())],
            ),
        ],
    );
    let out = tmp.path().join("out");
    export_html(&stream, &out);
    let want = expected(&out);
    check_file(&out, &want);
    for b in browsers() {
        let html = out.join("index.html");
        check_stream(&b.dom(&html, ""), 0, &want[0]);
        // The traceback's share: 64 KiB less the 30,000-byte log kept whole,
        // its end kept from a line start.
        let share = 65_536 - 30_000;
        let dom = b.dom(&html, "stream=0&test=0");
        let drawer = &dom[dom.find("id=\"drawer\"").unwrap()..];
        assert!(
            !drawer[..30].contains("hidden"),
            "the test's details are open"
        );
        let note = drawer
            .find("… cut: ")
            .map(|at| &drawer[at + "… cut: ".len()..])
            .expect("a cut note");
        let cut: usize = note[..note.find(" bytes not shown").unwrap()]
            .parse()
            .unwrap();
        assert!(cut >= traceback.len() - share && cut < traceback.len() - share + 16);
        assert!(drawer.contains("FinalError: the end"));
        assert!(!drawer.contains("\nline 0\n"));
        // Hostile text stays text.
        let dom = b.dom(&html, "stream=0&test=1");
        let drawer = &dom[dom.find("id=\"drawer\"").unwrap()..];
        assert!(drawer
            .contains("EvilError: &lt;/script&gt;&lt;!--&lt;script&gt;alert(1)&lt;/script&gt;"));
    }
}

#[test]
fn attachments_of_a_large_stream_open_in_order() {
    // Over 4 MiB, so the export runs its threaded pipeline, where each
    // entry's details arrive rendered for details.json and the page's
    // records reuse them; a key that looks like an array index takes the
    // list form instead, which keeps the stream's order.
    let names: Vec<String> = (0..100).map(|k| format!("t.Big.test_{k:03}")).collect();
    let tests: Vec<TestSpec<'_>> = names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let second = if k % 2 == 0 { "zeta" } else { "7" };
            let log = format!("log {k}\n{}", "x".repeat(50_000));
            let files = vec![("log", log), (second, format!("second {k} \"q\" <b>"))];
            (name.as_str(), Status::Success, files)
        })
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("big.subunit");
    write_stream(&stream, &tests);
    assert!(std::fs::metadata(&stream).unwrap().len() > 4 << 20);
    let out = tmp.path().join("out");
    export_html(&stream, &out);
    check_file(&out, &expected(&out));
    for b in browsers() {
        let html = out.join("index.html");
        for (k, second) in [(42, "zeta"), (43, "7")] {
            let dom = b.dom(&html, &format!("stream=0&test={k}"));
            let drawer = &dom[dom.find("id=\"drawer\"").unwrap()..];
            let els = elements(drawer);
            let keys: Vec<&str> = els
                .iter()
                .filter(|e| e.has_class("att"))
                .map(|e| e.get("data-key").unwrap())
                .collect();
            assert_eq!(keys, ["log", second], "test {k}");
            let pres: Vec<String> = els
                .iter()
                .filter(|e| e.tag == "pre")
                .map(|e| text_after(drawer, e))
                .collect();
            assert!(pres[0].starts_with(&format!("log {k}\nxxx")), "test {k}");
            assert_eq!(pres[0].len(), format!("log {k}\n").len() + 50_000);
            assert_eq!(pres[1], format!("second {k} \"q\" <b>"));
            assert!(!els.iter().any(|e| e.has_class("cut")), "test {k}");
        }
    }
}

#[test]
fn the_drawer_shows_the_full_test_id() {
    // The id extras (`[id-…,smoke]`, which the JSON names drop) are
    // decoded only when a test is opened, unless names clash or entries
    // were merged.
    // Canonical lower-case UUIDs travel packed (columns.rs, pack_uuids):
    // the page must give them back as the same text.
    let ids = [
        "t.Id.test_a[id-0f1e2d3c-9a8b-4c7d-8e6f-5a4b3c2d1e0f,smoke]",
        "t.Id.test_b[id-4b5a6978,id-00000000-0000-4000-8000-0000000000ff]",
        "t.Id.test_c",
    ];
    let tests: Vec<TestSpec<'_>> = ids
        .iter()
        .map(|id| (*id, Status::Success, vec![]))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("ids.subunit");
    write_stream(&stream, &tests);
    let out = tmp.path().join("out");
    export_html(&stream, &out);
    let html = check_file(&out, &expected(&out));
    assert!(html.contains("id=\"x-0\""), "the page has id extras");
    for b in browsers() {
        for (k, id) in ids.iter().enumerate().take(2) {
            let dom = b.dom(&out.join("index.html"), &format!("test={k}"));
            let drawer = &dom[dom.find("id=\"drawer\"").unwrap()..];
            let open = "<dt>Test id</dt><dd>";
            let at = drawer.find(open).expect("the id is shown") + open.len();
            let shown = unescape(&drawer[at..at + drawer[at..].find("</dd>").unwrap()]);
            assert_eq!(shown, *id);
        }
    }
}
