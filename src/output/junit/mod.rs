//! `--junit FILE`: JUnit XML for CI test dashboards (Jenkins, GitLab,
//! GitHub, Azure, CircleCI, Buildkite, Datadog).
//!
//! In the layout of `quick-junit` (nextest's writer), so escaping, invalid
//! XML characters and the flaky/rerun elements follow one maintained model.
//! One `<testsuite>` per stream; a test id seen again in the same stream
//! becomes one `<testcase>` whose earlier failed attempts are
//! `<flakyFailure>` (last attempt passed) or `<rerunFailure>` (still
//! failing), so consumers that key on classname+name (GitLab drops
//! duplicates) count it once.
//!
//! quick-junit writes the document, its suites and their totals; the test
//! cases, nearly all of the file, are written by [`case`] in quick-junit's
//! exact layout (checked against it byte for byte in the tests). Building
//! quick-junit's model for every test, whose strings each pass through a
//! terminal-escape filter one character at a time, cost several times the
//! rest of the export.

mod case;
mod text;

use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use quick_junit::{Property, Report, TestSuite};
use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use super::side::{self, Outcome};
use super::side::{Forward, SideStream};
use super::{ExportMeta, Format, StreamMeta, StreamWriter};
use crate::model::entry::Entry;
use crate::model::failure;
use crate::model::stats::Stats;
use crate::write::staging::Staging;
use case::{Attempt, Case, CaseWriter, Kind};

/// Traceback text kept per failure (the end).
const TRACEBACK_CAP: usize = 16 * 1024;
/// Attachment text kept per failing (or erroring, skipped) test. The full
/// text stays in the StackViz data; CI pages only need the end.
const FAILED_OUTPUT_CAP: usize = 8 * 1024;
/// Attachment text kept per passing test.
const PASSED_OUTPUT_CAP: usize = 1024;
/// Attachment text kept for passing tests in the whole file; past it only
/// tests that did not pass keep theirs. Keeps the file well under GitLab's
/// 30 MB limit and bounds the memory the report holds.
const PASSED_OUTPUT_BUDGET: usize = 1024 * 1024;
/// GitLab ignores reports above these.
const GITLAB_MAX_BYTES: u64 = 30 * 1024 * 1024;
const GITLAB_MAX_CASES: usize = 500_000;

/// Builds the report while the streams are read; writes it at the end.
pub struct Junit {
    /// The document without its test cases: each suite that has cases
    /// holds its position in `suites` as a stand-in `<system-out>`.
    report: Report,
    /// Each suite's test cases, written at the end after the totals.
    suites: Vec<Vec<Case>>,
    /// The current stream's tests, in first-seen order.
    cases: Vec<Case>,
    /// The id of each of `cases`.
    ids: Vec<String>,
    /// (hash of the id, index into `cases`): the hash is kept so that
    /// growing the table does not hash every id again.
    by_id: HashTable<(u64, usize)>,
    /// Scratch: indices of the details that go to `<system-out>` and
    /// `<system-err>`.
    out_idx: Vec<usize>,
    err_idx: Vec<usize>,
    writer: CaseWriter,
    suite_name: String,
    passed_budget: usize,
    passed_output_dropped: u64,
    hostname: String,
    warnings: Vec<String>,
}

impl Default for Junit {
    fn default() -> Self {
        Self::new()
    }
}

fn when(us: i64) -> Option<DateTime<FixedOffset>> {
    DateTime::from_timestamp_micros(us).map(|d| d.fixed_offset())
}

fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or_default()
}

impl Junit {
    pub fn new() -> Junit {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        Junit {
            report: Report::new("stackviz-export"),
            suites: Vec::new(),
            cases: Vec::new(),
            ids: Vec::new(),
            by_id: HashTable::new(),
            out_idx: Vec::new(),
            err_idx: Vec::new(),
            writer: CaseWriter::new(),
            suite_name: String::new(),
            passed_budget: PASSED_OUTPUT_BUDGET,
            passed_output_dropped: 0,
            hostname,
            warnings: Vec::new(),
        }
    }

    pub fn begin_stream(&mut self, name: &str) {
        self.suite_name = name.to_owned();
        self.cases.clear();
        self.ids.clear();
        self.by_id.clear();
    }

    pub fn entry(&mut self, e: &Entry) {
        let outcome = Outcome::of(e.status);
        let mut last = Attempt {
            kind: Kind::Passed,
            message: None,
            ty: None,
            detail: None,
            start: e.start,
            time: secs(e.duration),
            out: None,
            err: None,
        };
        match outcome {
            Outcome::Passed => {}
            Outcome::Failed => {
                last.kind = Kind::Failure;
                if let Some(r) = side::reason(e) {
                    last.message = Some(r.to_owned());
                    last.ty = failure::split(r).0.map(str::to_owned);
                }
                last.detail = e.detail("traceback").map(|tb| capped(tb, TRACEBACK_CAP));
            }
            Outcome::UxSuccess => {
                last.kind = Kind::Failure;
                last.message = Some("unexpected success: the test was expected to fail".into());
                last.ty = Some("UnexpectedSuccess".into());
            }
            Outcome::Skipped | Outcome::XFail => {
                last.kind = Kind::Skipped;
                let reason = e.detail("reason").map(str::trim);
                let message = match (outcome, reason) {
                    (Outcome::XFail, Some(r)) => format!("expected failure: {r}"),
                    (Outcome::XFail, None) => "expected failure".to_owned(),
                    (_, Some(r)) => r.to_owned(),
                    (_, None) => "skipped".to_owned(),
                };
                last.message = Some(side::head(&message, FAILED_OUTPUT_CAP).to_owned());
                if outcome == Outcome::XFail {
                    last.ty = Some("xfail".into());
                    last.detail = e.detail("traceback").map(|tb| capped(tb, TRACEBACK_CAP));
                }
            }
            Outcome::Unfinished => {
                last.kind = Kind::Error;
                last.message = Some(format!(
                    "the test did not finish (status: {})",
                    e.status.as_str()
                ));
                last.ty = Some("Unfinished".into());
            }
        }
        self.attach_output(&mut last, e, outcome);
        // Control characters are filtered out when written; tabs and line
        // breaks in a name read better as spaces (XML attributes would
        // fold them too).
        let breaks = |&c: &u8| matches!(c, b'\t' | b'\n' | b'\r');
        let name = if e.name.as_bytes().iter().any(breaks) {
            e.name.replace(['\t', '\n', '\r'], " ")
        } else {
            e.name.clone()
        };
        let (class, method) = side::split_name(&name);
        let split = (class.len(), name.len() - method.len());
        let case = Case {
            split,
            name,
            worker: side::worker(e),
            tags: e.tags.clone(),
            last,
            reruns: Vec::new(),
        };
        let hash = FxBuildHasher.hash_one(e.id.as_str());
        let ids = &self.ids;
        match self.by_id.find(hash, |&(h, i)| h == hash && ids[i] == e.id) {
            None => {
                self.by_id
                    .insert_unique(hash, (hash, self.cases.len()), |&(h, _)| h);
                self.ids.push(e.id.clone());
                self.cases.push(case);
            }
            Some(&(_, i)) => {
                let earlier = std::mem::replace(&mut self.cases[i], case);
                self.cases[i].follow(earlier);
            }
        }
    }

    /// Text attachments other than the traceback and skip reason go to
    /// `<system-out>` (`stderr` to `<system-err>`), capped with the end
    /// kept, since the end of a log is where a failure shows.
    fn attach_output(&mut self, a: &mut Attempt, e: &Entry, outcome: Outcome) {
        self.out_idx.clear();
        self.err_idx.clear();
        for (i, (k, _)) in e.details.iter().enumerate() {
            if k == "stderr" {
                self.err_idx.push(i);
            } else if k != "traceback" && k != "reason" {
                self.out_idx.push(i);
            }
        }
        if self.out_idx.is_empty() && self.err_idx.is_empty() {
            return;
        }
        let cap = if outcome == Outcome::Passed {
            if self.passed_budget == 0 {
                self.passed_output_dropped += 1;
                return;
            }
            PASSED_OUTPUT_CAP.min(self.passed_budget)
        } else {
            FAILED_OUTPUT_CAP
        };
        a.out = joined_tail(&e.details, &self.out_idx, cap);
        a.err = joined_tail(&e.details, &self.err_idx, cap);
        if outcome == Outcome::Passed {
            let used =
                a.out.as_ref().map_or(0, String::len) + a.err.as_ref().map_or(0, String::len);
            self.passed_budget = self.passed_budget.saturating_sub(used);
        }
    }

    pub fn end_stream(&mut self, start: Option<i64>, end: Option<i64>, test_time: f64) {
        let mut suite = TestSuite::new(std::mem::take(&mut self.suite_name));
        if let Some(t) = start.and_then(when) {
            suite.set_timestamp(t);
        }
        let time = match (start, end) {
            (Some(s), Some(e)) if e >= s => (e - s) as f64 / 1e6,
            _ => test_time,
        };
        suite.set_time(secs(time));
        suite
            .extra
            .insert("hostname".into(), self.hostname.as_str().into());
        if !self.cases.is_empty() {
            for c in &self.cases {
                suite.tests += 1;
                match c.last.kind {
                    Kind::Passed => {}
                    Kind::Failure => suite.failures += 1,
                    Kind::Error => suite.errors += 1,
                    Kind::Skipped => suite.skipped += 1,
                }
            }
            suite.set_system_out(self.suites.len().to_string());
            self.suites.push(std::mem::take(&mut self.cases));
        }
        self.ids.clear();
        self.by_id.clear();
        self.report.add_test_suite(suite);
    }

    /// Writes the report; `env` (the `-e` CI metadata) becomes each
    /// suite's `<properties>`.
    pub fn finish<W: Write>(&mut self, out: &mut W, env: &[(&str, String)]) -> std::io::Result<()> {
        for suite in &mut self.report.test_suites {
            for (k, v) in env {
                suite.add_property(Property::new(*k, v));
            }
        }
        let start = self
            .report
            .test_suites
            .iter()
            .filter_map(|s| s.timestamp)
            .min();
        if let Some(t) = start {
            self.report.set_timestamp(t);
        }
        let total: Duration = self.report.test_suites.iter().filter_map(|s| s.time).sum();
        self.report.set_time(total);
        let mut skeleton = Vec::new();
        self.report
            .serialize(&mut skeleton)
            .map_err(std::io::Error::other)?;
        write_with_cases(&skeleton, &self.suites, &mut self.writer, out)?;
        let cases = self.report.tests;
        if cases > GITLAB_MAX_CASES {
            self.warnings.push(format!(
                "the JUnit report has {cases} test cases; GitLab reads at most {GITLAB_MAX_CASES}"
            ));
        }
        if self.passed_output_dropped > 0 {
            self.warnings.push(format!(
                "the JUnit report leaves out the output of {} passing tests to stay small",
                self.passed_output_dropped
            ));
        }
        Ok(())
    }

    /// Checks the written size against GitLab's limit.
    pub fn check_size(&mut self, bytes: u64) {
        if bytes > GITLAB_MAX_BYTES {
            self.warnings.push(format!(
                "the JUnit report is {} MB; GitLab ignores reports above 30 MB",
                bytes / (1024 * 1024)
            ));
        }
    }

    pub fn warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

/// Writes the document quick-junit serialised, each suite's stand-in
/// `<system-out>N</system-out>` replaced by the cases of `suites[N]`. Only
/// the serialiser writes a `<` unescaped, and suites carry no other
/// `<system-out>`, so every one found is a stand-in.
fn write_with_cases<W: Write>(
    skeleton: &[u8],
    suites: &[Vec<Case>],
    writer: &mut CaseWriter,
    out: &mut W,
) -> std::io::Result<()> {
    const OPEN: &[u8] = b"<system-out>";
    const CLOSE: &[u8] = b"</system-out>";
    let bad = || std::io::Error::other("the JUnit skeleton lost a suite's stand-in");
    let mut rest = skeleton;
    while let Some(at) = memchr::memmem::find(rest, OPEN) {
        out.write_all(&rest[..at])?;
        let inner = &rest[at + OPEN.len()..];
        let len = memchr::memmem::find(inner, CLOSE).ok_or_else(bad)?;
        let n: usize = std::str::from_utf8(&inner[..len])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)?;
        let mut xml = Vec::with_capacity(64 * 1024);
        writer.begin();
        for c in suites.get(n).ok_or_else(bad)? {
            writer.write(&mut xml, c);
            if xml.len() >= 32 * 1024 {
                out.write_all(&xml)?;
                xml.clear();
            }
        }
        out.write_all(&xml)?;
        rest = &inner[len + CLOSE.len()..];
    }
    out.write_all(rest)
}

/// The end of `text`, marked when cut.
fn capped(text: &str, max: usize) -> String {
    match side::tail(text, max) {
        (t, 0) => t.to_owned(),
        (t, cut) => format!("[… {cut} bytes cut]\n{t}"),
    }
}

/// The end (at most `max` bytes) of the attachments written one after the
/// other, each under a `--- name ---` line, marked when cut. Copies only
/// what is kept: attachments can be large.
fn joined_tail(details: &[(String, String)], parts: &[usize], max: usize) -> Option<String> {
    if parts.is_empty() {
        return None;
    }
    let part = |j: usize| {
        let (k, v) = &details[parts[j]];
        (k.as_str(), v.as_str())
    };
    let piece_len = |(k, v): &(&str, &str)| k.len() + 9 + v.len() + usize::from(!v.ends_with('\n'));
    let total: usize = (0..parts.len()).map(|j| piece_len(&part(j))).sum();
    let mut room = max;
    let mut first = parts.len();
    while first > 0 && piece_len(&part(first - 1)) <= room {
        first -= 1;
        room -= piece_len(&part(first));
    }
    let mut out = String::with_capacity(max.min(total) + 32);
    let kept_whole: usize = (first..parts.len()).map(|j| piece_len(&part(j))).sum();
    if first > 0 {
        // The end of one more attachment's text may fit, without its header.
        let (_, v) = part(first - 1);
        let newline = usize::from(!v.ends_with('\n'));
        let end = if room > newline {
            side::tail(v, room - newline).0
        } else {
            ""
        };
        let kept = if end.is_empty() {
            0
        } else {
            end.len() + newline
        };
        out.push_str(&format!("[… {} bytes cut]\n", total - kept_whole - kept));
        if !end.is_empty() {
            out.push_str(end);
            if newline == 1 {
                out.push('\n');
            }
        }
    }
    for (k, v) in (first..parts.len()).map(part) {
        out.push_str("--- ");
        out.push_str(k);
        out.push_str(" ---\n");
        out.push_str(v);
        if !v.ends_with('\n') {
            out.push('\n');
        }
    }
    Some(out)
}

/// `--junit FILE` behind the output trait.
pub struct JunitFile {
    path: std::path::PathBuf,
    junit: Junit,
}

impl JunitFile {
    pub fn new(path: std::path::PathBuf) -> JunitFile {
        JunitFile {
            path,
            junit: Junit::new(),
        }
    }
}

impl Format for JunitFile {
    fn begin_stream<'a>(
        &'a mut self,
        _stage: &mut Staging,
        meta: &StreamMeta,
    ) -> crate::Result<Box<dyn StreamWriter + 'a>> {
        self.junit.begin_stream(&meta.description);
        Ok(Box::new(Forward(self)))
    }

    fn finish(&mut self, stage: &mut Staging, meta: &ExportMeta) -> crate::Result<()> {
        let mut out = stage.create_at(&self.path)?;
        self.junit
            .finish(&mut out, &meta.env)
            .map_err(|e| crate::Error::io(&self.path, e))?;
        self.junit.check_size(out.position());
        stage.finish(out)
    }

    fn warnings(&mut self) -> Vec<String> {
        self.junit.warnings()
    }
}

impl SideStream for JunitFile {
    fn side_entry(&mut self, e: &Entry) -> crate::Result<()> {
        self.junit.entry(e);
        Ok(())
    }

    fn side_end(&mut self, _stage: &mut Staging, stats: &Stats) -> crate::Result<()> {
        self.junit
            .end_stream(stats.start, stats.end, stats.total_duration);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::summary::tests::entry;

    fn render(entries: &[Entry]) -> String {
        let mut j = Junit::new();
        j.begin_stream("Subunit File: x");
        for e in entries {
            j.entry(e);
        }
        j.end_stream(Some(1_000_000), Some(5_000_000), 1.0);
        let mut out = Vec::new();
        j.finish(&mut out, &[("name", "job".to_owned())]).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn statuses_map_to_junit_elements() {
        let tb =
            "Traceback (most recent call last):\n  File \"t\", line 1\nAssertionError: 1 != 2\n";
        let mut skip = entry("a.T.test_skip", "skip", 0.0, None);
        skip.details = vec![("reason".into(), "not today".into())];
        let xml = render(&[
            entry("a.T.test_ok", "success", 1.0, None),
            entry("a.T.test_fail", "fail", 1.0, Some(tb)),
            skip,
            entry("a.T.test_xf", "xfail", 0.0, None),
            entry("a.T.test_ux", "uxsuccess", 0.0, None),
            entry("a.T.test_hung", "inprogress", 0.0, None),
        ]);
        assert!(xml.contains("<testsuites name=\"stackviz-export\" tests=\"6\" skipped=\"2\" failures=\"2\" errors=\"1\""), "{xml}");
        assert!(xml.contains("<testsuite name=\"Subunit File: x\" tests=\"6\" skipped=\"2\" errors=\"1\" failures=\"2\" timestamp=\"1970-01-01T00:00:01.000+00:00\" time=\"4.000\""), "{xml}");
        assert!(xml.contains("hostname=\""), "{xml}");
        assert!(
            xml.contains("<property name=\"name\" value=\"job\"/>"),
            "{xml}"
        );
        assert!(
            xml.contains("<testcase name=\"test_fail\" classname=\"a.T\""),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<failure message=\"AssertionError: 1 != 2\" type=\"AssertionError\">Traceback"
            ),
            "{xml}"
        );
        assert!(xml.contains("<skipped message=\"not today\"/>"), "{xml}");
        assert!(
            xml.contains("<skipped message=\"expected failure\" type=\"xfail\"/>"),
            "{xml}"
        );
        assert!(xml.contains("type=\"UnexpectedSuccess\""), "{xml}");
        assert!(xml.contains("<error message=\"the test did not finish (status: inprogress)\" type=\"Unfinished\"/>"), "{xml}");
        assert!(
            xml.contains("<property name=\"worker\" value=\"0\"/>"),
            "{xml}"
        );
    }

    #[test]
    fn repeated_ids_become_one_case_with_reruns() {
        let tb = "AssertionError: flaky\n";
        let xml = render(&[
            entry("a.T.test_flaky", "fail", 1.0, Some(tb)),
            entry("a.T.test_flaky", "success", 1.0, None),
            entry("a.T.test_bad", "fail", 1.0, Some(tb)),
            entry("a.T.test_bad", "fail", 1.0, Some(tb)),
        ]);
        assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
        assert_eq!(xml.matches("<flakyFailure").count(), 1, "{xml}");
        assert_eq!(xml.matches("<rerunFailure").count(), 1, "{xml}");
        assert!(xml.contains("<testsuite name=\"Subunit File: x\" tests=\"2\" skipped=\"0\" errors=\"0\" failures=\"1\""), "{xml}");
    }

    #[test]
    fn joined_tails_copy_only_the_end() {
        let details = [("a", "12345"), ("x", "not shown"), ("b", "xyz")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let parts = [0, 2];
        // "--- a ---\n12345\n--- b ---\nxyz\n" is 32 bytes.
        assert_eq!(
            joined_tail(&details, &parts, 100).unwrap(),
            "--- a ---\n12345\n--- b ---\nxyz\n"
        );
        assert_eq!(
            joined_tail(&details, &parts, 19).unwrap(),
            "[… 11 bytes cut]\n2345\n--- b ---\nxyz\n"
        );
        assert_eq!(
            joined_tail(&details, &parts, 22).unwrap(),
            "[… 10 bytes cut]\n12345\n--- b ---\nxyz\n"
        );
        assert_eq!(
            joined_tail(&details, &parts, 14).unwrap(),
            "[… 16 bytes cut]\n--- b ---\nxyz\n"
        );
        assert_eq!(joined_tail(&details, &[], 10), None);
    }

    #[test]
    fn output_is_capped_with_the_end_kept() {
        let mut e = entry("a.T.test_log", "fail", 1.0, None);
        let log = format!("{}THE END", "x".repeat(FAILED_OUTPUT_CAP + 100));
        e.details = vec![
            ("pythonlogging".into(), log),
            ("stderr".into(), "oops\u{1b}[0m".into()),
        ];
        let xml = render(&[e]);
        assert!(
            xml.contains("<system-out>[… 130 bytes cut]\nxxx"),
            "{xml:.300}"
        );
        assert!(xml.contains("THE END\n</system-out>"));
        assert!(xml.contains("<system-err>--- stderr ---\noops\n</system-err>"));
    }
}
