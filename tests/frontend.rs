//! What the two StackViz front-ends need from an export, end to end:
//! the dstat layout each one reads, dense worker lanes, entries with
//! timestamps, and the warnings that name `--fix-for-frontend` when the
//! default (Python-faithful) output would not draw.
//!
//! Streams and logs live in `tests/data/frontend/` (see `make_streams.py`
//! there; `pcp-dstat-6.0.3.csv` is a real `pcp dstat --output` capture).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const FLAG: &str = "--fix-for-frontend";
/// The tag the fix puts on entries whose timestamps it filled in.
const FILLED_TAG: &str = "timestamp-filled-in";

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/frontend")
        .join(file)
}

fn conformance(case: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/conformance")
        .join(case)
        .join(file)
}

struct Run {
    dest: PathBuf,
    stderr: String,
    _tmp: tempfile::TempDir,
}

impl Run {
    fn lines_with(&self, needle: &str) -> Vec<&str> {
        self.stderr.lines().filter(|l| l.contains(needle)).collect()
    }
    /// Warning lines that tell the user to add the flag.
    fn flag_warnings(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.contains("warning:") && l.contains(FLAG))
            .collect()
    }
    /// Lines that report what the flag changed.
    fn fix_reports(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("stackviz-export: --fix-for-frontend:"))
            .collect()
    }
    fn file(&self, name: &str) -> Vec<u8> {
        fs::read(self.dest.join(name)).unwrap_or_else(|e| panic!("{name}: {e}\n{}", self.stderr))
    }
    fn json(&self, name: &str) -> Value {
        serde_json::from_slice(&self.file(name)).unwrap()
    }
}

fn export(args: &[&std::ffi::OsStr]) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    let out = Command::cargo_bin("stackviz-export")
        .unwrap()
        .arg(&dest)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    Run {
        dest,
        stderr,
        _tmp: tmp,
    }
}

/// `-f STREAM [--dstat LOG] [--format artifacts] [--fix-for-frontend] [extra…]`.
fn run_with(
    stream: &Path,
    dstat: Option<&Path>,
    artifacts: bool,
    fix: bool,
    extra: &[&str],
) -> Run {
    let mut args: Vec<std::ffi::OsString> = vec!["-f".into(), stream.into()];
    if let Some(d) = dstat {
        args.push("--dstat".into());
        args.push(d.into());
    }
    if artifacts {
        args.push("--format".into());
        args.push("artifacts".into());
    }
    if fix {
        args.push(FLAG.into());
    }
    args.extend(extra.iter().map(|s| s.into()));
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|s| s.as_os_str()).collect();
    export(&refs)
}

/// Rows as the front-ends count them: every line, a blank one included.
fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    if v.last() == Some(&&b""[..]) {
        v.pop();
    }
    v
}

/// The data rows of a dstat log: everything after the `"time"` row.
fn data_rows(bytes: &[u8]) -> Vec<&[u8]> {
    let l = lines(bytes);
    let at = l
        .iter()
        .position(|r| r.starts_with(b"\"time\""))
        .expect("a \"time\" row");
    l[at + 1..].to_vec()
}

/// Asserts the layout a front-end reads by row position: row 0 a single
/// `"Dstat … CSV output"` cell, then Author, Host, Cmdline, (with `blank`)
/// one empty row, then the group row and the column row.
fn assert_layout(bytes: &[u8], blank: bool) {
    let l = lines(bytes);
    let first = String::from_utf8_lossy(l[0]);
    let cell = first.trim_matches('"');
    assert!(
        !first.contains(',') && cell.starts_with("Dstat") && cell.ends_with("CSV output"),
        "row 0: {first}"
    );
    assert!(l[1].starts_with(b"\"Author:\""), "row 1");
    assert!(l[2].starts_with(b"\"Host:\""), "row 2");
    assert!(l[3].starts_with(b"\"Cmdline:\""), "row 3");
    let g = if blank {
        assert!(l[4].is_empty(), "row 4 must be blank");
        5
    } else {
        4
    };
    assert!(l[g].starts_with(b"\"system\""), "row {g}: groups");
    assert!(l[g + 1].starts_with(b"\"time\""), "row {}: columns", g + 1);
}

// ---------------------------------------------------------------- dstat

#[test]
fn dstat_072_log_matches_the_tempest_front_end_and_is_copied_as_is() {
    let log = data("dstat-0.7.2.csv");
    for fix in [false, true] {
        let r = run_with(&data("classic-run.subunit"), Some(&log), false, fix, &[]);
        assert_eq!(r.file("dstat_log.csv"), fs::read(&log).unwrap());
        assert!(r.flag_warnings().is_empty(), "{}", r.stderr);
        assert!(r.fix_reports().is_empty(), "{}", r.stderr);
        assert!(
            r.lines_with("dstat").iter().all(|l| !l.contains("warning")),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn dstat_072_log_in_artifacts_format_warns_and_the_fix_drops_the_blank_line() {
    let log = data("dstat-0.7.2.csv");
    let original = fs::read(&log).unwrap();
    let plain = run_with(&data("classic-run.subunit"), Some(&log), true, false, &[]);
    assert_eq!(plain.file("dstat.csv"), original);
    let w = plain.flag_warnings();
    assert_eq!(w.len(), 1, "{}", plain.stderr);
    assert!(w[0].contains("0.7.2"), "{}", w[0]);
    assert!(w[0].contains("blank line"), "{}", w[0]);

    let fixed = run_with(&data("classic-run.subunit"), Some(&log), true, true, &[]);
    let out = fixed.file("dstat.csv");
    assert_layout(&out, false);
    assert_eq!(data_rows(&out), data_rows(&original));
    assert_eq!(lines(&out).len() + 1, lines(&original).len());
    assert!(fixed.flag_warnings().is_empty(), "{}", fixed.stderr);
    let rep = fixed.fix_reports();
    assert_eq!(rep.len(), 1, "{}", fixed.stderr);
    assert!(
        rep[0].contains("dstat-0.7.2.csv") && rep[0].contains("blank line"),
        "{}",
        rep[0]
    );
}

#[test]
fn dstat_08_log_in_tempest_format_warns_and_the_fix_inserts_the_blank_line() {
    let log = data("dstat-0.8.csv");
    let original = fs::read(&log).unwrap();
    let plain = run_with(&data("classic-run.subunit"), Some(&log), false, false, &[]);
    assert_eq!(plain.file("dstat_log.csv"), original);
    let w = plain.flag_warnings();
    assert_eq!(w.len(), 1, "{}", plain.stderr);
    assert!(w[0].contains("0.7.3"), "{}", w[0]);
    assert!(w[0].contains("tempest"), "{}", w[0]);

    for gzip in [false, true] {
        let extra: &[&str] = if gzip { &["-z", "--html"] } else { &[] };
        let fixed = run_with(&data("classic-run.subunit"), Some(&log), false, true, extra);
        let out = if gzip {
            let mut v = Vec::new();
            use std::io::Read;
            flate2::read::GzDecoder::new(&fixed.file("dstat_log.csv.gz")[..])
                .read_to_end(&mut v)
                .unwrap();
            v
        } else {
            fixed.file("dstat_log.csv")
        };
        assert_layout(&out, true);
        assert_eq!(data_rows(&out), data_rows(&original));
        assert_eq!(lines(&out).len(), lines(&original).len() + 1);
        assert_eq!(fixed.fix_reports().len(), 1, "{}", fixed.stderr);
    }
}

#[test]
fn dstat_08_log_matches_the_artifacts_front_end_and_is_copied_as_is() {
    let log = data("dstat-0.8.csv");
    let r = run_with(&data("classic-run.subunit"), Some(&log), true, true, &[]);
    assert_eq!(r.file("dstat.csv"), fs::read(&log).unwrap());
    assert!(r.fix_reports().is_empty(), "{}", r.stderr);
    // The real 0.8 capture of the conformance suite too (its own warning
    // there is only about the time span).
    let real = conformance("cli_dstat_real", "dstat.csv");
    let r = run_with(
        &conformance("cli_dstat_real", "run.subunit"),
        Some(&real),
        true,
        false,
        &[],
    );
    assert_eq!(r.file("dstat.csv"), fs::read(&real).unwrap());
    assert!(r.flag_warnings().is_empty(), "{}", r.stderr);
}

#[test]
fn pcp_dstat_header_warns_and_the_fix_rewrites_it_for_both_front_ends() {
    let log = data("pcp-dstat-6.0.3.csv");
    let original = fs::read(&log).unwrap();
    for artifacts in [false, true] {
        let name = if artifacts {
            "dstat.csv"
        } else {
            "dstat_log.csv"
        };
        let plain = run_with(&data("pcp-run.subunit"), Some(&log), artifacts, false, &[]);
        assert_eq!(plain.file(name), original);
        let w = plain.flag_warnings();
        assert_eq!(w.len(), 1, "{}", plain.stderr);
        assert!(w[0].contains("pcp-dstat"), "{}", w[0]);

        let fixed = run_with(&data("pcp-run.subunit"), Some(&log), artifacts, true, &[]);
        let out = fixed.file(name);
        assert_layout(&out, !artifacts);
        assert_eq!(data_rows(&out), data_rows(&original));
        // Column names as dstat writes them ("usr", not "total usage:usr").
        let cols = lines(&out)[if artifacts { 5 } else { 6 }];
        assert!(
            cols.starts_with(b"\"time\",\"usr\",\"sys\",\"idl\""),
            "{}",
            String::from_utf8_lossy(cols)
        );
        assert!(fixed.flag_warnings().is_empty(), "{}", fixed.stderr);
        let rep = fixed.fix_reports();
        assert_eq!(rep.len(), 1, "{}", fixed.stderr);
        assert!(rep[0].contains("pcp-dstat"), "{}", rep[0]);
        assert!(fixed.lines_with("overlap").is_empty(), "{}", fixed.stderr);
    }
}

#[test]
fn non_overlapping_dstat_log_gets_a_terminal_warning_with_and_without_html() {
    // The conformance suite's real capture ends 42 s before its tests start.
    let log = conformance("cli_dstat_real", "dstat.csv");
    let stream = conformance("cli_dstat_real", "run.subunit");
    for (artifacts, html) in [(false, false), (true, false), (false, true)] {
        let extra: &[&str] = if html { &["--html"] } else { &[] };
        let r = run_with(&stream, Some(&log), artifacts, false, extra);
        let w = r.lines_with("overlap");
        assert_eq!(w.len(), 1, "one line, not one per output: {}", r.stderr);
        assert!(
            w[0].contains("warning:") && w[0].contains("dstat.csv"),
            "{}",
            w[0]
        );
        // Both spans are named so the user can see which log is wrong.
        assert!(
            w[0].contains("01:41:51") && w[0].contains("01:42:38"),
            "{}",
            w[0]
        );
    }
    // An overlapping log says nothing of the kind.
    let ok = run_with(
        &data("classic-run.subunit"),
        Some(&data("dstat-0.7.2.csv")),
        false,
        false,
        &["--html"],
    );
    assert!(ok.lines_with("overlap").is_empty(), "{}", ok.stderr);
}

#[test]
fn dstat_warning_quotes_the_first_row_with_its_commas() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("odd.csv");
    fs::write(&log, "alpha,beta,gamma\n\"system\"\n\"time\"\n").unwrap();
    let r = run_with(&data("classic-run.subunit"), Some(&log), false, false, &[]);
    let w = r.lines_with("odd.csv");
    assert_eq!(
        w.iter().filter(|l| l.contains("warning:")).count(),
        1,
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("alpha,beta,gamma"), "{}", r.stderr);
    assert!(!r.stderr.contains("alphabetagamma"), "{}", r.stderr);
}

// ---------------------------------------------------------------- lanes

fn raw(r: &Run, stream: &str, artifacts: bool) -> Vec<Value> {
    let name = if artifacts {
        format!("{stream}-0-raw.json")
    } else {
        format!("tempest_file_{stream}_0_raw.json")
    };
    r.json(&name).as_array().unwrap().clone()
}

fn tags(e: &Value) -> BTreeSet<String> {
    e["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

/// test name → its worker-N tags.
fn workers(entries: &[Value]) -> BTreeMap<String, Vec<String>> {
    entries
        .iter()
        .map(|e| {
            let w = tags(e)
                .into_iter()
                .filter(|t| t.starts_with("worker-"))
                .collect();
            (
                {
                    let n = e["name"].as_str().unwrap();
                    n.strip_prefix("pkg.mod.T.").unwrap_or(n).to_owned()
                },
                w,
            )
        })
        .collect()
}

fn micros(ts: &Value) -> i64 {
    let s = ts.as_str().expect("a timestamp, not null");
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .timestamp_micros()
}

/// Every entry has exactly one worker tag, the tags are worker-0..n-1, and
/// no two bars in one lane overlap (touching ends allowed).
fn assert_dense_lanes(entries: &[Value]) -> usize {
    let mut lanes: BTreeMap<u32, Vec<(i64, i64)>> = BTreeMap::new();
    for e in entries {
        let w: Vec<String> = tags(e)
            .into_iter()
            .filter(|t| t.starts_with("worker-"))
            .collect();
        assert_eq!(w.len(), 1, "{e}");
        let n: u32 = w[0]["worker-".len()..].parse().unwrap();
        let ts = e["timestamps"].as_array().unwrap();
        lanes
            .entry(n)
            .or_default()
            .push((micros(&ts[0]), micros(&ts[1])));
    }
    let ids: Vec<u32> = lanes.keys().copied().collect();
    assert_eq!(ids, (0..ids.len() as u32).collect::<Vec<_>>());
    for (n, spans) in &mut lanes {
        spans.sort();
        for w in spans.windows(2) {
            assert!(
                w[0].1 <= w[1].0,
                "worker-{n}: {:?} overlaps {:?}",
                w[0],
                w[1]
            );
        }
    }
    ids.len()
}

#[test]
fn untagged_stream_warns_and_the_fix_packs_tests_into_dense_lanes() {
    let s = data("untagged.subunit");
    for artifacts in [false, true] {
        let plain = run_with(&s, None, artifacts, false, &[]);
        let before = raw(&plain, "untagged.subunit", artifacts);
        assert!(before.iter().all(|e| tags(e).is_empty()));
        let w = plain.flag_warnings();
        assert_eq!(w.len(), 1, "{}", plain.stderr);
        assert!(w[0].contains("worker"), "{}", w[0]);

        let fixed = run_with(&s, None, artifacts, true, &[]);
        let after = raw(&fixed, "untagged.subunit", artifacts);
        assert_eq!(assert_dense_lanes(&after), 3);
        let expect: BTreeMap<String, Vec<String>> = [
            ("test_a", 0),
            ("test_b", 1),
            ("test_c", 2),
            ("test_d", 0),
            ("test_e", 1),
            ("test_f", 0),
        ]
        .into_iter()
        .map(|(t, w)| (t.to_owned(), vec![format!("worker-{w}")]))
        .collect();
        assert_eq!(workers(&after), expect);
        // Nothing else changes.
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(b["timestamps"], a["timestamps"]);
            assert_eq!(b["status"], a["status"]);
        }
        let rep = fixed.fix_reports();
        assert_eq!(rep.len(), 1, "{}", fixed.stderr);
        assert!(
            rep[0].contains("6 tests") && rep[0].contains("3 lanes"),
            "{}",
            rep[0]
        );
    }
}

#[test]
fn sparse_worker_ids_are_renumbered_in_order_keeping_other_tags() {
    let s = data("sparse.subunit");
    let plain = run_with(&s, None, false, false, &[]);
    assert_eq!(plain.flag_warnings().len(), 1, "{}", plain.stderr);
    let fixed = run_with(&s, None, false, true, &[]);
    let after = raw(&fixed, "sparse.subunit", false);
    assert_eq!(assert_dense_lanes(&after), 4);
    let w = workers(&after);
    assert_eq!(w["test_c"], ["worker-0"]); // was worker-1
    assert_eq!(w["test_f"], ["worker-0"]);
    assert_eq!(w["test_a"], ["worker-1"]); // was worker-4
    assert_eq!(w["test_e"], ["worker-1"]);
    assert_eq!(w["test_d"], ["worker-2"]); // was worker-7
    assert_eq!(w["test_b"], ["worker-3"]); // was worker-10
    let b = after
        .iter()
        .find(|e| e["name"].as_str().unwrap().ends_with("test_b"))
        .unwrap();
    assert!(tags(b).contains("smoke"));
    // The tree (tempest) carries the same tags as raw.json.
    let tree = fixed
        .json("tempest_file_sparse.subunit_0_tree.json")
        .to_string();
    assert!(tree.contains("worker-3") && !tree.contains("worker-10"));
    let rep = fixed.fix_reports();
    assert_eq!(rep.len(), 1, "{}", fixed.stderr);
    assert!(rep[0].contains("4 worker"), "{}", rep[0]);
}

#[test]
fn partly_tagged_stream_gets_lanes_after_the_tagged_workers() {
    let s = data("partly.subunit");
    let plain = run_with(&s, None, true, false, &[]);
    assert_eq!(plain.flag_warnings().len(), 1, "{}", plain.stderr);
    let fixed = run_with(&s, None, true, true, &["--html"]);
    let after = raw(&fixed, "partly.subunit", true);
    assert_eq!(assert_dense_lanes(&after), 4);
    let w = workers(&after);
    assert_eq!(w["test_a"], ["worker-0"]);
    assert_eq!(w["test_e"], ["worker-0"]);
    assert_eq!(w["test_b"], ["worker-1"]);
    assert_eq!(w["test_c"], ["worker-2"]);
    assert_eq!(w["test_d"], ["worker-3"]);
    assert_eq!(w["test_f"], ["worker-2"]);
    let rep = fixed.fix_reports();
    assert_eq!(rep.len(), 1, "{}", fixed.stderr);
    assert!(rep[0].contains("3 tests"), "{}", rep[0]);
    // The report draws the lanes the data now name.
    let html = String::from_utf8(fixed.file("index.html")).unwrap();
    assert!(html.contains("worker-3") && !html.contains("untagged 1"));
}

#[test]
fn dense_worker_tags_need_no_fix() {
    let s = data("classic-run.subunit");
    let plain = run_with(&s, None, false, false, &[]);
    assert!(plain.flag_warnings().is_empty(), "{}", plain.stderr);
    let fixed = run_with(&s, None, false, true, &[]);
    assert!(fixed.fix_reports().is_empty(), "{}", fixed.stderr);
    let name = "tempest_file_classic-run.subunit_0_raw.json";
    assert_eq!(plain.json(name), fixed.json(name));
}

// ---------------------------------------------------------- timestamps

fn by_name<'a>(entries: &'a [Value], suffix: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| e["name"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix}"))
}

#[test]
fn untimed_entries_warn_and_the_fix_fills_them_from_the_stream() {
    let s = data("untimed.subunit");
    for artifacts in [false, true] {
        let plain = run_with(&s, None, artifacts, false, &[]);
        let before = raw(&plain, "untimed.subunit", artifacts);
        assert_eq!(
            before
                .iter()
                .filter(|e| e["timestamps"][0].is_null())
                .count(),
            3
        );
        let w = plain.flag_warnings();
        assert_eq!(w.len(), 1, "{}", plain.stderr);
        assert!(
            w[0].contains("3 entries") && w[0].contains("timestamp"),
            "{}",
            w[0]
        );

        let fixed = run_with(&s, None, artifacts, true, &[]);
        let after = raw(&fixed, "untimed.subunit", artifacts);
        let ts = |t: &str| {
            let e = by_name(&after, t);
            (
                e["timestamps"][0].clone(),
                e["timestamps"][1].clone(),
                e["duration"].clone(),
            )
        };
        let at = |s: &str| Value::String(format!("2015-10-05T19:49:{s}+00:00"));
        // Before any timestamp: the run's start; later: the last one seen.
        assert_eq!(ts("test_first"), (at("05"), at("05"), 0.0.into()));
        assert_eq!(ts("test_mid"), (at("06"), at("06"), 0.0.into()));
        assert_eq!(ts("test_last"), (at("07"), at("07"), 0.0.into()));
        for t in ["test_first", "test_mid", "test_last"] {
            assert!(tags(by_name(&after, t)).contains(FILLED_TAG));
        }
        for t in ["test_a", "test_b"] {
            let e = by_name(&after, t);
            assert!(!tags(e).contains(FILLED_TAG));
            assert_eq!(e, by_name(&before, t));
        }
        let rep = fixed.fix_reports();
        assert_eq!(rep.len(), 1, "{}", fixed.stderr);
        assert!(rep[0].contains("3 entries"), "{}", rep[0]);
        // Stats follow the entries written: the span now has its start.
        if artifacts {
            let stats = fixed.json("untimed.subunit-0-stats.json");
            assert_eq!(stats["count"], 5);
            assert_eq!(stats["start"], "2015-10-05T19:49:05+00:00");
        }
    }
}

#[test]
fn a_subunit_parser_record_gets_a_timestamp_and_a_lane() {
    let s = data("parser-record.subunit");
    let plain = run_with(&s, None, false, false, &[]);
    let before = raw(&plain, "parser-record.subunit", false);
    assert!(by_name(&before, "subunit.parser")["timestamps"][0].is_null());
    // One line for the missing timestamp, one for the missing worker tag.
    assert_eq!(plain.flag_warnings().len(), 2, "{}", plain.stderr);

    let fixed = run_with(&s, None, false, true, &[]);
    let after = raw(&fixed, "parser-record.subunit", false);
    let p = by_name(&after, "subunit.parser");
    assert_eq!(p["timestamps"][0], "2015-10-05T19:49:07+00:00");
    assert_eq!(p["timestamps"][1], "2015-10-05T19:49:07+00:00");
    assert!(tags(p).contains(FILLED_TAG));
    // Untagged entries get lanes after the workers' ones, as in the report.
    assert_eq!(assert_dense_lanes(&after), 2);
    assert_eq!(workers(&after)["subunit.parser"], ["worker-1"]);
    assert!(fixed.flag_warnings().is_empty(), "{}", fixed.stderr);
    assert_eq!(fixed.fix_reports().len(), 2, "{}", fixed.stderr);
}

#[test]
fn a_stream_without_any_timestamp_is_filled_too() {
    // tap2subunit output: no timestamps and no worker tags at all.
    let s = conformance("prod_tap2subunit", "tap.subunit");
    let stem = "tap.subunit";
    let fixed = run_with(&s, None, true, true, &[]);
    let after = raw(&fixed, stem, true);
    assert!(!after.is_empty());
    for e in &after {
        assert!(
            !e["timestamps"][0].is_null() && !e["timestamps"][1].is_null(),
            "{e}"
        );
        assert!(tags(e).contains(FILLED_TAG), "{e}");
    }
    assert_dense_lanes(&after);
}

// ------------------------------------------------------------------ -z

#[test]
fn gzip_without_html_warns_once_about_the_server() {
    let s = data("classic-run.subunit");
    let r = run_with(&s, Some(&data("dstat-0.7.2.csv")), false, false, &["-z"]);
    let w = r.lines_with("Content-Encoding");
    assert_eq!(w.len(), 1, "{}", r.stderr);
    assert!(
        w[0].contains("warning:") && w[0].contains("gzip"),
        "{}",
        w[0]
    );
    let r = run_with(&s, None, true, false, &["-z", "--html"]);
    assert!(r.lines_with("Content-Encoding").is_empty(), "{}", r.stderr);
    let r = run_with(&s, None, true, false, &["-q", "-z"]);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn help_explains_the_fix_flag() {
    let out = Command::cargo_bin("stackviz-export")
        .unwrap()
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains(FLAG), "{help}");
}

#[test]
fn real_converter_streams_come_out_drawable() {
    // Streams from pytest-subunit, junitxml2subunit, subunit-1to2, damaged
    // and untimed ones: after the fix, no null timestamp, dense worker tags,
    // and the untagged ones never overlap in a lane.
    for (case, file) in [
        ("prod_pytest_subunit", "pytest.subunit"),
        ("prod_junitxml2subunit", "junit.subunit"),
        ("prod_subunit_1to2", "v1.subunit"),
        ("syn_corrupt_middle", "c.subunit"),
        ("syn_no_timestamps", "n.subunit"),
        ("syn_exists_no_timestamp", "list.subunit"),
        ("syn_no_end_timestamp", "n.subunit"),
        ("real_tempestlike_live_stream", "live.subunit"),
    ] {
        let s = conformance(case, file);
        let plain = run_with(&s, None, true, false, &[]);
        let before = raw(&plain, file, true);
        let fixed = run_with(&s, None, true, true, &[]);
        let after = raw(&fixed, file, true);
        assert_eq!(before.len(), after.len(), "{case}");
        let untagged = before
            .iter()
            .all(|e| workers(std::slice::from_ref(e)).values().all(Vec::is_empty));
        for e in &after {
            assert!(
                !e["timestamps"][0].is_null() && !e["timestamps"][1].is_null(),
                "{case}: {e}"
            );
        }
        if untagged {
            assert_dense_lanes(&after);
        }
        let ids: BTreeSet<u32> = after
            .iter()
            .flat_map(tags)
            .filter_map(|t| t.strip_prefix("worker-").and_then(|n| n.parse().ok()))
            .collect();
        assert_eq!(ids, (0..ids.len() as u32).collect(), "{case}");
        // The warnings without the flag named it exactly when it changed something.
        assert_eq!(
            plain.flag_warnings().is_empty(),
            fixed.fix_reports().is_empty(),
            "{case}: {}\n{}",
            plain.stderr,
            fixed.stderr
        );
    }
}
