//! The results as a CI job meets them: the console summary, `--exit-code`,
//! and the side files (`--junit`, `--ctrf`, `--markdown`, `--trace`) on the
//! conformance streams and the sample run. JUnit is read back by a real
//! consumer (`junitparser`), CTRF is checked against the rules of its
//! published schema, the trace against the Trace Event Format's.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::ci_formats::{ctrf_problems, trace_problems};
use common::ci_run::*;

/// The streams of a conformance case, as `-f` arguments.
fn case_args(case: &str) -> Vec<PathBuf> {
    let args = fs::read_to_string(fixture(case, "args")).unwrap();
    args.split_whitespace()
        .filter(|a| *a != "-f")
        .map(|f| fixture(case, f))
        .collect()
}

/// (name, status) of every raw entry the export wrote, per stream.
fn raw_statuses(dest: &Path) -> Vec<(String, Vec<(String, String)>)> {
    let cfg = json(&dest.join("config.json"));
    cfg["tempest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let raw = json(&dest.join(t["raw"].as_str().unwrap()));
            let tests = raw
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["name"].as_str().unwrap().to_owned(),
                        r["status"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            (t["name"].as_str().unwrap().to_owned(), tests)
        })
        .collect()
}

/// The cases that cover failures, skips, xfail/uxsuccess, hung tests,
/// parser errors, missing timestamps and non-ASCII names.
const CASES: [&str; 6] = [
    "syn_statuses",
    "syn_hung_test",
    "syn_parse_error_messages",
    "syn_no_timestamps",
    "syn_unicode_names",
    "syn_routes_and_duplicates",
];

// ---------------------------------------------------------------- summary

#[test]
fn summary_lists_counts_failures_with_reasons_and_slowest() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(
        tmp.path(),
        &[os("-f"), os(&fixture("syn_statuses", "s.subunit"))],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("Subunit File: s.subunit: 13 tests: 3 passed, 6 failed, 3 skipped, 1 other (1 expected failure); "),
        "{err}"
    );
    assert!(err.contains("Failed tests (6):"), "{err}");
    assert!(
        err.contains("FAIL tempest.api.compute.servers.test_servers.ServersTest.test_fail_multiline: testtools.matchers._impl.MismatchError: 'new' != 'old'"),
        "{err}"
    );
    assert!(
        err.contains(": tempest.lib.exceptions.NotFound: Object not found\n"),
        "the exception line, not the Details line: {err}"
    );
    assert!(err.contains("unexpected success"), "{err}");
    assert!(err.contains("Slowest tests:"), "{err}");
    assert!(
        !err.contains('\x1b'),
        "no colour when stderr is not a terminal"
    );
}

#[test]
fn quiet_silences_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(
        tmp.path(),
        &[
            os("-q"),
            os("-f"),
            os(&fixture("syn_statuses", "s.subunit")),
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stderr(&o), "");
}

#[test]
fn summary_counts_hung_and_untimed_tests() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(
        tmp.path(),
        &[os("-f"), os(&fixture("syn_hung_test", "h.subunit"))],
    );
    let err = stderr(&o);
    assert!(
        err.contains("h.subunit: 3 tests: 2 passed, 0 failed, 0 skipped, 1 other (1 unfinished)"),
        "{err}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let o = run(
        tmp.path(),
        &[os("-f"), os(&fixture("syn_unicode_names", "u.subunit"))],
    );
    assert!(
        stderr(&o).contains("u.subunit: 4 tests: 4 passed, 0 failed"),
        "{}",
        stderr(&o)
    );
}

// -------------------------------------------------------------- exit code

#[test]
fn exit_code_three_only_when_asked_and_after_writing_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let junit = tmp.path().join("reports/junit.xml");
    let s = fixture("syn_statuses", "s.subunit");
    let o = run(
        tmp.path(),
        &[
            os("--exit-code"),
            os("--junit"),
            os(&junit),
            os("-f"),
            os(&s),
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(tmp.path().join("out/config.json").is_file());
    assert!(junit.is_file(), "outputs are written before exiting with 3");

    let o = run(tmp.path(), &[os("-f"), os(&s)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "without the flag failures do not change the status"
    );

    for (case, file, want) in [
        ("syn_unicode_names", "u.subunit", 0),
        ("syn_hung_test", "h.subunit", 0),
        ("syn_empty_stream", "empty.subunit", 3),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let o = run(
            tmp.path(),
            &[os("--exit-code"), os("-f"), os(&fixture(case, file))],
        );
        assert_eq!(o.status.code(), Some(want), "{case}: {}", stderr(&o));
    }
    // uxsuccess alone fails the job too.
    let v1 = "test: a.b.c\nuxsuccess: a.b.c\n";
    let tmp = tempfile::tempdir().unwrap();
    let o = exe()
        .arg(tmp.path().join("out"))
        .args(["--exit-code", "-i"])
        .write_stdin(v1)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

#[test]
fn junit_is_read_by_junitparser_with_the_expected_counts() {
    let Some(py) = venv_python() else { return };
    for case in CASES {
        let tmp = tempfile::tempdir().unwrap();
        let junit = tmp.path().join("junit.xml");
        let mut args = vec![os("--junit"), os(&junit)];
        let streams = case_args(case);
        for s in &streams {
            args.push(os("-f"));
            args.push(os(s));
        }
        let o = run(tmp.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{case}: {}", stderr(&o));
        let got = read_junit(&py, &junit);
        let raw = raw_statuses(&tmp.path().join("out"));
        assert_eq!(got["suites"].as_array().unwrap().len(), raw.len(), "{case}");
        let mut total = 0;
        for (suite, (name, tests)) in got["suites"].as_array().unwrap().iter().zip(&raw) {
            assert_eq!(suite["name"], name.as_str(), "{case}");
            // Repeated ids are one case.
            // Tabs and line breaks in names are written as spaces.
            let mut last: BTreeMap<String, &str> = BTreeMap::new();
            for (n, st) in tests {
                last.insert(n.replace(['\t', '\n', '\r'], " "), st);
            }
            let count = |f: &dyn Fn(&str) -> bool| last.values().filter(|s| f(s)).count() as u64;
            assert_eq!(suite["tests"].as_u64(), Some(last.len() as u64), "{case}");
            assert_eq!(
                suite["failures"].as_u64(),
                Some(count(&|s| s == "fail" || s == "uxsuccess")),
                "{case}"
            );
            assert_eq!(
                suite["skipped"].as_u64(),
                Some(count(&|s| s == "skip" || s == "xfail")),
                "{case}"
            );
            assert_eq!(
                suite["errors"].as_u64(),
                Some(count(&|s| ![
                    "success",
                    "fail",
                    "uxsuccess",
                    "skip",
                    "xfail"
                ]
                .contains(&s))),
                "{case}"
            );
            assert!(
                suite["hostname"].as_str().is_some_and(|h| !h.is_empty()),
                "{case}"
            );
            assert!(suite["time"].as_f64().is_some(), "{case}");
            let cases = suite["cases"].as_array().unwrap();
            assert_eq!(cases.len(), last.len(), "{case}");
            for c in cases {
                let full = match c["classname"].as_str() {
                    Some(cls) if !cls.is_empty() => {
                        format!("{cls}.{}", c["name"].as_str().unwrap())
                    }
                    _ => c["name"].as_str().unwrap().to_owned(),
                };
                // The JSON name drops a bracketed suffix the JUnit name
                // keeps (SPEC: `^(.+)\[(.+)\]$` keeps group 1).
                let json_name = match full.strip_suffix(']').and_then(|f| f.rfind('[')) {
                    Some(i) if i > 0 && i + 2 < full.len() => &full[..i],
                    _ => full.as_str(),
                };
                let status = last
                    .get(json_name)
                    .unwrap_or_else(|| panic!("{case}: {full} not in the raw list"));
                let kinds: Vec<&str> = c["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r[0].as_str().unwrap())
                    .collect();
                let want: &[&str] = match *status {
                    "success" => &[],
                    "fail" | "uxsuccess" => &["Failure"],
                    "skip" | "xfail" => &["Skipped"],
                    _ => &["Error"],
                };
                assert_eq!(kinds, want, "{case}: {full}");
            }
            total += last.len() as u64;
        }
        assert_eq!(
            got["tests"].as_u64(),
            Some(total),
            "{case}: <testsuites> totals"
        );
    }
}

#[test]
fn junit_failure_carries_the_exception_and_ci_metadata() {
    let Some(py) = venv_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let stream = fixture("syn_statuses", "s.subunit");
    let (_, got) = junit_with_job(&py, tmp.path(), &stream, "unit-job");
    let suite = &got["suites"][0];
    assert!(
        suite["props"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(["name", "unit-job"])),
        "{suite}"
    );
    assert!(
        suite["timestamp"]
            .as_str()
            .is_some_and(|t| t.starts_with("20")),
        "{suite}"
    );
    let case = suite["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "test_fail_multiline")
        .unwrap();
    assert_eq!(
        case["classname"],
        "tempest.api.compute.servers.test_servers.ServersTest"
    );
    assert_eq!(
        case["results"][0],
        serde_json::json!([
            "Failure",
            "testtools.matchers._impl.MismatchError: 'new' != 'old'",
            "testtools.matchers._impl.MismatchError"
        ])
    );
}

#[test]
fn junit_repeated_test_counts_once_with_its_earlier_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let junit = tmp.path().join("junit.xml");
    let v1 = "test: a.T.test_flaky\nfailure: a.T.test_flaky [\nAssertionError: boom\n]\ntest: a.T.test_flaky\nsuccess: a.T.test_flaky\n";
    let o = exe()
        .arg(tmp.path().join("out"))
        .arg("--junit")
        .arg(&junit)
        .arg("-i")
        .write_stdin(v1)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let xml = fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 1, "{xml}");
    assert!(xml.contains("<flakyFailure "), "{xml}");
    assert!(
        xml.contains("message=\"AssertionError: boom\" type=\"AssertionError\">"),
        "{xml}"
    );
    assert!(
        xml.contains("tests=\"1\" skipped=\"0\" failures=\"0\""),
        "{xml}"
    );
    if let Some(py) = venv_python() {
        let got = read_junit(&py, &junit);
        assert_eq!(
            got["suites"][0]["cases"][0]["results"],
            serde_json::json!([]),
            "passes in the end"
        );
    }
}

// ------------------------------------------------------------------- CTRF

#[test]
fn ctrf_follows_the_schema_on_every_case() {
    for case in CASES {
        let tmp = tempfile::tempdir().unwrap();
        let ctrf = tmp.path().join("ctrf.json");
        let mut args = vec![os("--ctrf"), os(&ctrf)];
        let streams = case_args(case);
        for s in &streams {
            args.push(os("-f"));
            args.push(os(s));
        }
        let o = run(tmp.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{case}: {}", stderr(&o));
        let doc = json(&ctrf);
        assert_eq!(ctrf_problems(&doc), Vec::<String>::new(), "{case}");
        let raw = raw_statuses(&tmp.path().join("out"));
        let unique: usize = raw
            .iter()
            .map(|(_, t)| t.iter().map(|(n, _)| n).collect::<BTreeSet<_>>().len())
            .sum();
        assert_eq!(
            doc["results"]["summary"]["tests"].as_u64(),
            Some(unique as u64),
            "{case}"
        );
        assert_eq!(
            doc["results"]["summary"]["suites"].as_u64(),
            Some(raw.len() as u64),
            "{case}"
        );
    }
}

#[test]
fn ctrf_keeps_workers_times_and_failure_reasons() {
    let tmp = tempfile::tempdir().unwrap();
    let ctrf = tmp.path().join("ctrf.json");
    let o = run(
        tmp.path(),
        &[
            os("--ctrf"),
            os(&ctrf),
            os("-f"),
            os(&fixture("syn_statuses", "s.subunit")),
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let doc = json(&ctrf);
    let tests = doc["results"]["tests"].as_array().unwrap();
    let t = tests
        .iter()
        .find(|t| {
            t["name"] == "tempest.api.compute.servers.test_servers.ServersTest.test_fail_multiline"
        })
        .unwrap();
    assert_eq!(t["status"], "failed");
    assert_eq!(
        t["message"],
        "testtools.matchers._impl.MismatchError: 'new' != 'old'"
    );
    assert!(
        t["start"].as_i64().unwrap() > 1_000_000_000_000,
        "milliseconds since the epoch"
    );
    assert!(t["stop"].as_i64() >= t["start"].as_i64());
    let ux = tests
        .iter()
        .find(|t| t["rawStatus"] == "uxsuccess")
        .unwrap();
    assert_eq!(ux["status"], "failed");
    let xf = tests.iter().find(|t| t["rawStatus"] == "xfail").unwrap();
    assert_eq!(xf["status"], "other");
    assert_eq!(ctrf_problems(&doc), Vec::<String>::new());
}

// ------------------------------------------------------------------ trace

#[test]
fn trace_has_named_tracks_and_one_slice_per_timed_test() {
    for case in CASES {
        let tmp = tempfile::tempdir().unwrap();
        let trace = tmp.path().join("trace.json");
        let mut args = vec![os("--trace"), os(&trace)];
        let streams = case_args(case);
        for s in &streams {
            args.push(os("-f"));
            args.push(os(s));
        }
        let o = run(tmp.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{case}: {}", stderr(&o));
        let doc = json(&trace);
        assert_eq!(trace_problems(&doc), Vec::<String>::new(), "{case}");
        let cfg = json(&tmp.path().join("out/config.json"));
        let mut timed = 0;
        for t in cfg["tempest"].as_array().unwrap() {
            let raw = json(&tmp.path().join("out").join(t["raw"].as_str().unwrap()));
            timed += raw
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| !r["timestamps"][0].is_null())
                .count();
        }
        let slices = doc["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["ph"] == "X")
            .count();
        assert_eq!(slices, timed, "{case}");
    }
}

#[test]
fn trace_with_dstat_has_counters_on_the_test_clock() {
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("t.json");
    let sample = root().join("fixtures/sample");
    let o = run(
        tmp.path(),
        &[
            os("--trace"),
            os(&trace),
            os("-f"),
            os(&sample.join("run.subunit")),
            os("--dstat"),
            os(&sample.join("dstat.csv")),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = json(&trace);
    assert_eq!(trace_problems(&doc), Vec::<String>::new());
    let evs = doc["traceEvents"].as_array().unwrap();
    let names: BTreeSet<&str> = evs
        .iter()
        .filter(|e| e["ph"] == "C")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "CPU %",
            "memory used (bytes)",
            "disk (bytes/s)",
            "network (bytes/s)"
        ])
    );
    let span = |ph: &str| {
        let ts: Vec<i64> = evs
            .iter()
            .filter(|e| e["ph"] == ph)
            .map(|e| e["ts"].as_i64().unwrap())
            .collect();
        (*ts.iter().min().unwrap(), *ts.iter().max().unwrap())
    };
    let (c0, c1) = span("C");
    let (x0, x1) = span("X");
    assert!(
        c0 < x1 && x0 < c1,
        "the counters overlap the tests in time: {c0}..{c1} vs {x0}..{x1}"
    );
}

// --------------------------------------------------------------- Markdown

#[test]
fn markdown_has_table_failures_slowest_and_balance() {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("summary.md");
    let o = run(
        tmp.path(),
        &[
            os("--markdown"),
            os(&md),
            os("-f"),
            os(&fixture("syn_statuses", "s.subunit")),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = fs::read_to_string(&md).unwrap();
    assert!(
        text.contains("| Subunit File: s.subunit | 13 | 3 | **6** | 3 | 1 |"),
        "{text}"
    );
    assert!(text.contains("### Failures (6)"), "{text}");
    assert_eq!(text.matches("<details>").count(), 6, "{text}");
    assert!(
        text.contains("testtools.matchers.\\_impl.MismatchError: 'new' != 'old'"),
        "{text}"
    );
    assert!(text.contains("### Slowest tests"), "{text}");
}

/// A v1 stream of `n` failing tests with tracebacks.
fn many_failures(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 200);
    for i in 0..n {
        s.push_str(&format!(
            "time: 2026-01-01 00:00:00.000000Z\ntest: pkg.mod.Test.test_{i}\ntime: 2026-01-01 00:00:01.000000Z\nfailure: pkg.mod.Test.test_{i} [\nTraceback (most recent call last):\n  File \"t.py\", line {i}, in test\nAssertionError: {i} != 0\n]\n"
        ));
    }
    s.into_bytes()
}

#[test]
fn markdown_stays_under_the_step_summary_limit_with_100k_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let md = tmp.path().join("summary.md");
    let o = exe()
        .arg(tmp.path().join("out"))
        .args(["-q", "--exit-code", "--markdown"])
        .arg(&md)
        .arg("-i")
        .write_stdin(many_failures(100_000))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let text = fs::read_to_string(&md).unwrap();
    assert!(text.len() <= 1000 * 1024, "{} bytes", text.len());
    assert!(
        text.contains("| 100000 | 0 | **100000** |"),
        "the counts survive: {:.400}",
        text
    );
    assert!(text.contains("### Failures (100000)"));
    assert!(
        text.contains("<details><summary>`pkg.mod.Test.test_0` — AssertionError: 0 != 0</summary>")
    );
    assert!(
        text.contains("more failures not listed"),
        "says what was cut"
    );
    assert!(
        text.contains("### Slowest tests"),
        "later sections are kept"
    );
}

// ------------------------------------------------------------ sample run

#[test]
fn sample_run_feeds_all_four_files_in_one_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join("ci").join(n);
    let sample = root().join("fixtures/sample");
    let o = run(
        tmp.path(),
        &[
            os("--junit"),
            os(&p("junit.xml")),
            os("--ctrf"),
            os(&p("ctrf.json")),
            os("--markdown"),
            os(&p("summary.md")),
            os("--trace"),
            os(&p("trace.json")),
            os("-f"),
            os(&sample.join("run.subunit")),
            os("--dstat"),
            os(&sample.join("dstat.csv")),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let ctrf = json(&p("ctrf.json"));
    assert_eq!(ctrf_problems(&ctrf), Vec::<String>::new());
    let trace = json(&p("trace.json"));
    assert_eq!(trace_problems(&trace), Vec::<String>::new());
    let n = ctrf["results"]["summary"]["tests"].as_u64().unwrap();
    assert!(n > 0);
    let xml = fs::read_to_string(p("junit.xml")).unwrap();
    assert_eq!(xml.matches("<testcase ").count() as u64, n);
    let md = fs::read_to_string(p("summary.md")).unwrap();
    assert!(md.contains(&format!("| {n} |")), "{md:.500}");
    assert!(md.contains("**Worker balance**"), "{md:.2000}");
    let threads = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .count();
    assert!(threads >= 2, "one track per worker");
    if let Some(py) = venv_python() {
        let got = read_junit(&py, &p("junit.xml"));
        assert_eq!(got["tests"].as_u64(), Some(n));
    }
}
