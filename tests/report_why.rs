//! `--html`: the parts of the report that answer *why* — scheduling, load
//! attribution, failure groups, producers' quirks and deep links — checked
//! against values computed here from the data files, in headless Chromium
//! and, where installed, Firefox (tests/common/browser.rs;
//! `STACKVIZ_SKIP_BROWSER=1` to skip the browser part).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use stackviz_export::Status;

mod common;
use common::browser::browsers;
use common::report::{write_stream, Spec};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Exports with `--html` from `dir`; returns the temp dir and DEST.
fn export_in(dir: &Path, args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    Command::cargo_bin("stackviz-export")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .arg("--html")
        .arg(&out)
        .assert()
        .success();
    (tmp, out)
}

fn conformance(case: &str) -> PathBuf {
    root().join("fixtures/conformance").join(case)
}

fn producers() -> PathBuf {
    root().join("fixtures/producers")
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Attributes of every start tag that contains `needle`, in order, with
/// the text up to the next tag.
fn tags(dom: &str, needle: &str) -> Vec<(HashMap<String, String>, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = dom[from..].find(needle) {
        let at = from + k;
        from = at + needle.len();
        let start = dom[..at].rfind('<').unwrap();
        let end = at + dom[at..].find('>').unwrap();
        let mut attrs = HashMap::new();
        let mut rest = &dom[start + 1..end];
        rest = rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
        while let Some(eq) = rest.find("=\"") {
            let name = rest[..eq].trim().to_owned();
            let close = rest[eq + 2..].find('"').unwrap() + eq + 2;
            attrs.insert(name, unescape(&rest[eq + 2..close]));
            rest = &rest[close + 1..];
        }
        let text_end = dom[end..].find('<').map_or(dom.len(), |k| end + k);
        out.push((attrs, unescape(&dom[end + 1..text_end])));
    }
    out
}

fn attr<'a>(t: &'a (HashMap<String, String>, String), k: &str) -> &'a str {
    t.0.get(k)
        .unwrap_or_else(|| panic!("no {k} in {:?}", t.0))
        .as_str()
}

fn num(t: &(HashMap<String, String>, String), k: &str) -> f64 {
    attr(t, k).parse().unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn micros(iso: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(iso)
        .unwrap()
        .timestamp_micros()
}

/// One entry of a raw file: name, status, worker, (start, end) in µs.
struct Run {
    name: String,
    status: String,
    worker: Option<u32>,
    span: Option<(i64, i64)>,
}

fn raw_entries(out: &Path, stream: usize) -> Vec<Run> {
    let config = read_json(&out.join("config.json"));
    let entry = &config["tempest"][stream];
    let raw = read_json(&out.join(entry["raw"].as_str().unwrap()));
    raw.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let ts = &t["timestamps"];
            Run {
                name: t["name"].as_str().unwrap().to_owned(),
                status: t["status"].as_str().unwrap().to_owned(),
                worker: t["tags"].as_array().unwrap().iter().find_map(|g| {
                    let n = g.as_str().unwrap().strip_prefix("worker-")?;
                    n.parse().ok()
                }),
                span: ts[0].as_str().map(|a| {
                    let (a, b) = (micros(a), micros(ts[1].as_str().unwrap()));
                    (a.min(b), a.max(b))
                }),
            }
        })
        .collect()
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 2e-6, "{what}: page says {a}, expected {b}");
}

// ------------------------------------------------------------ scheduling

#[test]
fn scheduling_figures_match_the_timestamps() {
    let (_t, out) = export_in(
        &conformance("real_tempestlike_repo_last"),
        &["-f", "run.subunit"],
    );
    // Per worker: the tests in start order.
    let mut lanes: BTreeMap<u32, Vec<(i64, i64)>> = BTreeMap::new();
    for r in raw_entries(&out, 0) {
        if let (Some(w), Some(s)) = (r.worker, r.span) {
            lanes.entry(w).or_default().push(s);
        }
    }
    struct W {
        busy: i64,
        gaps: usize,
        gap_sum: i64,
        first: i64,
        last: i64,
    }
    let mut per = Vec::new();
    let (mut sum, mut longest) = (0i64, 0i64);
    for spans in lanes.values_mut() {
        spans.sort();
        let mut w = W {
            busy: 0,
            gaps: 0,
            gap_sum: 0,
            first: spans[0].0,
            last: 0,
        };
        let (mut a, mut b) = spans[0];
        for &(x, y) in spans.iter() {
            sum += y - x;
            longest = longest.max(y - x);
        }
        for &(x, y) in &spans[1..] {
            if x > b {
                w.gaps += 1;
                w.gap_sum += x - b;
                w.busy += b - a;
                (a, b) = (x, y);
            } else {
                b = b.max(y);
            }
        }
        w.busy += b - a;
        w.last = b;
        per.push(w);
    }
    let start = per.iter().map(|w| w.first).min().unwrap();
    let end = per.iter().map(|w| w.last).max().unwrap();
    let wall = (end - start) as f64 / 1e6;
    let ideal = (sum as f64 / per.len() as f64).max(longest as f64) / 1e6;
    for b in browsers() {
        let d = b.dom(&out.join("index.html"), "");
        let s = &tags(&d, "class=\"sched-sum\"")[0];
        close(num(s, "data-wall"), wall, "wall");
        close(num(s, "data-sum"), sum as f64 / 1e6, "sum");
        close(num(s, "data-longest"), longest as f64 / 1e6, "longest");
        close(num(s, "data-ideal"), ideal, "ideal");
        close(num(s, "data-shorter"), (wall - ideal) / wall, "shorter");
        assert_eq!(attr(s, "data-workers"), per.len().to_string());
        let rows = tags(&d, "class=\"worker\"");
        assert_eq!(rows.len(), per.len());
        for ((w, spans), (got, row_tag)) in lanes.iter().zip(per.iter().zip(&rows)) {
            assert_eq!(attr(row_tag, "data-worker"), format!("worker-{w}"));
            assert_eq!(attr(row_tag, "data-count"), spans.len().to_string());
            close(num(row_tag, "data-busy"), got.busy as f64 / 1e6, "busy");
            close(
                num(row_tag, "data-idle"),
                wall - got.busy as f64 / 1e6,
                "idle",
            );
            close(
                num(row_tag, "data-skew"),
                (end - got.last) as f64 / 1e6,
                "skew",
            );
            assert_eq!(attr(row_tag, "data-gaps"), got.gaps.to_string());
            close(
                num(row_tag, "data-gap-sum"),
                got.gap_sum as f64 / 1e6,
                "gaps",
            );
        }
        // Ten long poles, each a link to the timeline.
        let poles = tags(&d, "class=\"item pole\"");
        assert_eq!(poles.len(), 10);
        assert!(tags(&d, "data-focus=").len() >= 10);
    }
}

// ----------------------------------------------------------- attribution

#[test]
fn brushing_a_window_lists_the_tests_that_ran_in_it() {
    let (_t, out) = export_in(
        &conformance("real_tempestlike_repo_last"),
        &["-f", "run.subunit"],
    );
    let runs = raw_entries(&out, 0);
    let base = runs
        .iter()
        .filter_map(|r| r.span)
        .map(|s| s.0)
        .min()
        .unwrap();
    let (a, b) = (base + 100_000, base + 400_000);
    let mut want: Vec<(i64, i64, usize)> = runs
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let (x, y) = r.span?;
            r.worker?;
            let hit = x <= b && (y > a || (y == a && x == y));
            hit.then(|| (y.min(b) - x.max(a), x, i))
        })
        .collect();
    want.sort_by_key(|&(cov, x, i)| (-cov, x, i));
    assert!(want.len() > 3, "the window should hold several tests");
    for b in browsers() {
        let d = b.dom(&out.join("index.html"), "brush=0.1,0.4");
        let head = &tags(&d, "class=\"attr-head\"")[0];
        assert_eq!(attr(head, "data-count"), want.len().to_string());
        let rows = tags(&d, "class=\"tr attr-row\"");
        let got: Vec<(String, f64)> = rows
            .iter()
            .map(|r| (attr(r, "data-test").to_owned(), num(r, "data-covered")))
            .collect();
        let expect: Vec<(String, f64)> = want
            .iter()
            .map(|&(cov, _, i)| (runs[i].name.clone(), cov as f64 / 1e6))
            .collect();
        assert_eq!(got.len(), expect.len());
        for (g, e) in got.iter().zip(&expect) {
            assert_eq!(g.0, e.0);
            close(g.1, e.1, &g.0);
        }
    }
}

#[test]
fn a_selected_test_shows_the_load_during_it() {
    // The log overlaps a generated run: tests every 2 s for 20 s; the
    // dstat rows say 10 % CPU, except 80 % user and 30 % I/O wait in
    // seconds 4-5 (a spike).
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("load.subunit");
    let tests: Vec<TestSpec<'_>> = (0..10)
        .map(|k| (format!("t.Load.test_{k:02}"), Status::Success, vec![]))
        .collect();
    write_stream(&stream, &tests);
    let mut csv = String::from(
        "\"Dstat 0.7.2 CSV output\"\n\"Author:\",\"x\"\n\n\
         \"system\",\"total cpu usage\",,,,\"memory usage\"\n\
         \"time\",\"usr\",\"sys\",\"idl\",\"wai\",\"used\"\n",
    );
    // 1_700_000_000 is 2023-11-14 22:13:20 UTC.
    for s in 0..20 {
        let (usr, wai) = if (4..6).contains(&s) {
            (50, 30)
        } else {
            (8, 0)
        };
        csv.push_str(&format!(
            "14-11 22:13:{:02},{usr},2,{},{wai},{}\n",
            20 + s,
            100 - usr - 2 - wai,
            1_000_000 + s * 1000
        ));
    }
    std::fs::write(tmp.path().join("dstat.csv"), csv).unwrap();
    let (_t, out) = export_in(tmp.path(), &["-f", "load.subunit", "--dstat", "dstat.csv"]);
    for b in browsers() {
        // Test 2 runs from 4 s to 5 s: samples at 4 and 5 s.
        let d = b.dom(&out.join("index.html"), "test=2");
        let load = |k: &str| {
            tags(&d, &format!("data-load=\"{k}\""))
                .first()
                .map(|t| num(t, "data-value"))
                .unwrap_or_else(|| panic!("no {k} load shown"))
        };
        close(load("cpu"), 52.0, "cpu");
        close(load("wai"), 30.0, "iowait");
        close(load("used"), 1_004_500.0, "memory");
        let tl = &tags(&d, "class=\"panel timeline\"")[0];
        assert_eq!(attr(tl, "data-selected"), "2");
        // One spike, the I/O wait in seconds 4-5.
        let spikes = tags(&d, "class=\"spike\"");
        assert_eq!(spikes.len(), 1);
        assert_eq!(attr(&spikes[0], "data-kind"), "iowait");
        close(num(&spikes[0], "data-start") / 1e6, 3.5, "spike start");
        close(num(&spikes[0], "data-end") / 1e6, 5.5, "spike end");
    }
}

// ------------------------------------------------------------ deep links

#[test]
fn a_link_restores_stream_test_and_window() {
    let (_t, out) = export_in(
        &conformance("cli_two_files"),
        &["-f", "a.subunit", "-f", "b.subunit"],
    );
    let b_runs = raw_entries(&out, 1);
    for b in browsers() {
        let d = b.dom(
            &out.join("index.html"),
            "stream=1&test=2&win=0.1,0.5&brush=0.2,0.3",
        );
        let sections = tags(&d, "class=\"stream\"");
        assert!(sections[0].0.contains_key("hidden"));
        assert!(!sections[1].0.contains_key("hidden"));
        let drawer = &tags(&d, "id=\"drawer\"")[0];
        assert!(!drawer.0.contains_key("hidden"));
        assert_eq!(attr(drawer, "data-test"), "2");
        let title = d.split("id=\"drawer-title\"").nth(1).unwrap();
        let leaf = b_runs[2].name.rsplit(['.', ':']).next().unwrap();
        assert!(title[..title.find("</div>").unwrap()].contains(leaf));
        let tl = tags(&d, "class=\"panel timeline\"");
        let tl = tl
            .iter()
            .find(|t| t.0.contains_key("data-v0") && t.0.contains_key("data-selected"))
            .unwrap();
        assert_eq!(attr(tl, "data-v0"), "100000");
        assert_eq!(attr(tl, "data-v1"), "500000");
        assert_eq!(attr(tl, "data-brush"), "200000,300000");
        assert_eq!(attr(tl, "data-selected"), "2");
        // A link cut inside a %-escape loses that key, not the page.
        let d = b.dom(&out.join("index.html"), "stream=1&test=%E0%A4%A");
        let sections = tags(&d, "class=\"stream\"");
        assert!(sections[0].0.contains_key("hidden"));
        assert!(!sections[1].0.contains_key("hidden"));
        assert!(tags(&d, "id=\"drawer\"")[0].0.contains_key("hidden"));
        assert!(d.contains("data-first-screen="), "the page drew");
    }
}

// --------------------------------------------------------- failure groups

/// A test to encode, its id owned.
type TestSpec<'a> = Spec<'a, String>;

fn traceback(exc: &str) -> String {
    format!(
        "Traceback (most recent call last):\n  File \"/srv/app/x.py\", line 3, in test\n    do()\n{exc}\n"
    )
}

#[test]
fn failures_are_grouped_by_signature() {
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("groups.subunit");
    let fail = |name: &str, exc: String| {
        (
            format!("t.Groups.{name}"),
            Status::Fail,
            vec![("traceback", traceback(&exc))],
        )
    };
    let tests = vec![
        fail(
            "test_a",
            "ValueError: bad value 0x7f3a12 at /tmp/tmpab12cd/data.json".into(),
        ),
        fail(
            "test_b",
            "ValueError: bad value 0x10ff00 at /tmp/tmpzz99xy/data.json".into(),
        ),
        fail(
            "test_c",
            "KeyError: 'server 6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b not found'".into(),
        ),
        fail(
            "test_d",
            "ValueError: bad value 0xdead at /tmp/tmp000000/data.json".into(),
        ),
        fail(
            "test_e",
            "KeyError: 'server 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d not found'".into(),
        ),
        fail("test_f", "AssertionError: 3 != 4".into()),
        ("t.Groups.test_ok".into(), Status::Success, vec![]),
    ];
    write_stream(&stream, &tests);
    let (_t, out) = export_in(tmp.path(), &["-f", "groups.subunit"]);
    for b in browsers() {
        let d = b.dom(&out.join("index.html"), "");
        let groups = tags(&d, "class=\"group\"");
        let got: Vec<(usize, &str)> = groups
            .iter()
            .map(|g| (attr(g, "data-count").parse().unwrap(), attr(g, "data-sig")))
            .collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].0, 3);
        assert!(got[0].1.starts_with("ValueError"), "{got:?}");
        assert_eq!(got[1].0, 2);
        assert!(got[1].1.starts_with("KeyError"), "{got:?}");
        assert_eq!(got[2].0, 1);
        // The volatile parts are gone from the signature.
        for bad in ["0x7f3a12", "tmpab12cd", "6f1c2a9e"] {
            assert!(!got.iter().any(|g| g.1.contains(bad)), "{bad} in {got:?}");
        }
        let members = tags(&d, "class=\"member\"");
        let names: Vec<&str> = members.iter().map(|m| attr(m, "data-test")).collect();
        assert_eq!(
            names,
            [
                "t.Groups.test_a",
                "t.Groups.test_b",
                "t.Groups.test_d",
                "t.Groups.test_c",
                "t.Groups.test_e",
                "t.Groups.test_f"
            ]
        );
    }
}

// ---------------------------------------------------------- producers

/// Status chips on the page: status → count.
fn chips(d: &str) -> BTreeMap<String, u64> {
    tags(d, "class=\"count\"")
        .iter()
        .map(|t| {
            (
                attr(t, "data-status").to_owned(),
                num(t, "data-count") as u64,
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn total(d: &str) -> String {
    attr(&tags(d, "data-stat=\"total\"")[0], "data-value").to_owned()
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn subunit_run_listings_are_merged_and_subtests_keep_their_traceback() {
    let (_t, out) = export_in(&producers(), &["-f", "subunit_run.subunit"]);
    // The JSON stays faithful: a listing and a result per test.
    let runs = raw_entries(&out, 0);
    assert_eq!(runs.len(), 12);
    assert_eq!(runs.iter().filter(|r| r.status == "exists").count(), 6);
    for b in browsers() {
        let d = b.dom(&out.join("index.html"), "");
        assert_eq!(total(&d), "6");
        assert_eq!(
            chips(&d),
            counts(&[("fail", 3), ("skip", 1), ("success", 1), ("xfail", 1)])
        );
        assert!(!d.contains("without timestamps"));
        // The exception line is the summary, not upstream's last line.
        let failures = tags(&d, "class=\"failure\"");
        assert_eq!(failures.len(), 3);
        let reasons: Vec<String> = tags(&d, "class=\"f-reason\"")
            .into_iter()
            .map(|t| t.1)
            .collect();
        assert!(
            reasons.contains(&"AssertionError: 'old' != 'new'".to_owned()),
            "{reasons:?}"
        );
        assert!(
            reasons.iter().any(|r| r.starts_with("KeyError")),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with("AssertionError: 2 == 2")),
            "{reasons:?}"
        );
        assert!(
            tags(&d, "tb-none").is_empty(),
            "every failure has its traceback"
        );
    }
}

#[test]
fn pytest_subunit_doubles_listings_and_parameters() {
    let (_t, out) = export_in(&producers(), &["-f", "pytest_subunit.subunit"]);
    assert_eq!(raw_entries(&out, 0).len(), 22);
    for b in browsers() {
        let d = b.dom(&out.join("index.html"), "rows=all");
        // What pytest itself said: 3 failed, 5 passed, 1 skipped, 1 xfailed.
        assert_eq!(total(&d), "10");
        assert_eq!(
            chips(&d),
            counts(&[("fail", 3), ("skip", 1), ("success", 5), ("xfail", 1)])
        );
        let rows: Vec<String> = tags(&d, "class=\"tr\"")
            .iter()
            .map(|t| attr(t, "data-test").to_owned())
            .collect();
        for p in 1..=3 {
            let want = format!("tests/test_py.py::test_param[{p}]");
            assert!(rows.contains(&want), "{want} not in {rows:?}");
        }
        assert!(
            tags(&d, "tb-none").is_empty(),
            "every failure has its traceback"
        );
        let reasons: Vec<String> = tags(&d, "class=\"f-reason\"")
            .into_iter()
            .map(|t| t.1)
            .collect();
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with("ValueError: bad value")),
            "{reasons:?}"
        );
        let skip = &tags(&d, "class=\"item skip\"")[0];
        assert_eq!(attr(skip, "data-test"), "tests/test_py.py::test_skipped");
        let reason = tags(&d, "class=\"reason\"");
        assert!(reason.iter().any(|r| r.1 == "needs a GPU"), "skip reason");
        // Listings do not fill the slowest list: its last entries still ran.
        let slow = tags(&d, "class=\"item slow\"");
        assert_eq!(slow.len(), 10);
        // `::` splits the display name: the leaf is the test function.
        let path = &tags(&d, "class=\"nm-path\"")[0];
        assert_eq!(path.1, "tests/test_py.py");
    }
}

#[test]
fn tap2subunit_skip_reason_comes_from_the_tap_comment() {
    let (_t, out) = export_in(&producers(), &["-f", "tap2subunit.subunit"]);
    for b in browsers() {
        let d = b.dom(&out.join("index.html"), "");
        assert_eq!(total(&d), "3");
        let reason = tags(&d, "class=\"reason\"");
        assert_eq!(reason.len(), 1);
        assert_eq!(reason[0].1, "no network in the sandbox");
    }
}
