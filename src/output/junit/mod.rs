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
//! exact layout (checked against it byte for byte in the tests), each as
//! its entry arrives, into one buffer kept until the totals are known. Building
//! quick-junit's model for every test, whose strings each pass through a
//! terminal-escape filter one character at a time, cost several times the
//! rest of the export.

mod case;
mod text;

use self::text::xml_chars;

use std::fmt::Write as _;
use std::ops::Range;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use quick_junit::{Property, Report, TestSuite};
use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use super::side::{self, Outcome, Sink};
use super::side::{Forward, SideStream};
use super::{ExportMeta, Format, StreamMeta, StreamWriter};
use crate::model::entry::Entry;
use crate::model::failure;
use crate::model::stats::Stats;
use crate::write::staging::Staging;
use case::{Attempt, Case, CaseWriter, Kind, Placed, Text, CASE_INDENT};

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
/// Bytes handed to the file per write: the file's own buffer is no larger.
const WRITE_CHUNK: usize = 128 * 1024;

/// A test of the current stream.
struct CaseRec {
    /// Its `<testcase>` in the arena (the latest attempt's).
    span: Range<usize>,
    /// Its id in `Junit::ids`.
    id: Range<usize>,
    kind: Kind,
    /// The last attempt in `Junit::failed`, when it failed or erred (a
    /// later attempt takes it as a rerun).
    last: Option<u32>,
    /// Earlier failed attempts in `Junit::failed`, oldest first.
    reruns: Vec<u32>,
}

/// A failed attempt: its texts as written in the arena.
struct Held {
    kind: Kind,
    start: Option<i64>,
    time: Duration,
    placed: Placed,
}

/// What goes to `<system-out>` and `<system-err>`, and how much passing
/// tests may still keep.
struct Outputs {
    /// Scratch: indices of the details for each element.
    out_idx: Vec<usize>,
    err_idx: Vec<usize>,
    passed_budget: usize,
    passed_dropped: u64,
}

impl Outputs {
    /// Text attachments other than the traceback and skip reason go to
    /// `<system-out>` (`stderr` to `<system-err>`), capped with the end
    /// kept, since the end of a log is where a failure shows. Built in
    /// `out` and `err`.
    fn attach<'a>(
        &mut self,
        e: &Entry,
        outcome: Outcome,
        out: &'a mut String,
        err: &'a mut String,
    ) -> (Option<Text<'a>>, Option<Text<'a>>) {
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
            return (None, None);
        }
        let cap = if outcome == Outcome::Passed {
            if self.passed_budget == 0 {
                self.passed_dropped += 1;
                return (None, None);
            }
            PASSED_OUTPUT_CAP.min(self.passed_budget)
        } else {
            FAILED_OUTPUT_CAP
        };
        let o = !self.out_idx.is_empty();
        let r = !self.err_idx.is_empty();
        if o {
            joined_tail(&e.details, &self.out_idx, cap, out);
        }
        if r {
            joined_tail(&e.details, &self.err_idx, cap, err);
        }
        if outcome == Outcome::Passed {
            let used = if o { out.len() } else { 0 } + if r { err.len() } else { 0 };
            self.passed_budget = self.passed_budget.saturating_sub(used);
        }
        (
            o.then_some(Text::Raw(out.as_str())),
            r.then_some(Text::Raw(err.as_str())),
        )
    }
}

/// Texts of the test at hand, reused from test to test.
#[derive(Default)]
struct Scratch {
    name: String,
    message: String,
    detail: String,
    out: String,
    err: String,
}

/// Builds the report while the streams are read; writes it at the end.
///
/// Each test's `<testcase>` is written into one growing buffer when its
/// entry arrives (no per-test strings kept), since the totals in the
/// elements around the cases are only known at the end.
pub struct Junit {
    /// The document without its test cases: each suite that has cases
    /// holds its position in `suites` as a stand-in `<system-out>`.
    report: Report,
    /// Every test case written so far, as the file's bytes. A test seen
    /// again is written again; its earlier bytes are left unused.
    arena: Vec<u8>,
    /// Each suite's cases: spans of `arena` to write, in order.
    suites: Vec<Vec<Range<usize>>>,
    /// The current stream's tests, in first-seen order.
    cases: Vec<CaseRec>,
    /// The ids of `cases`, one after the other.
    ids: String,
    /// (hash of the id, index into `cases`): the hash is kept so that
    /// growing the table does not hash every id again.
    by_id: HashTable<(u64, usize)>,
    /// The current stream's failed attempts that may become reruns.
    failed: Vec<Held>,
    output: Outputs,
    scratch: Scratch,
    workers: side::Workers,
    writer: CaseWriter,
    suite_name: String,
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
            .map(|h| xml_chars(h.trim()).into_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        Junit {
            report: Report::new("stackviz-export"),
            arena: Vec::new(),
            suites: Vec::new(),
            cases: Vec::new(),
            ids: String::new(),
            by_id: HashTable::new(),
            failed: Vec::new(),
            output: Outputs {
                out_idx: Vec::new(),
                err_idx: Vec::new(),
                passed_budget: PASSED_OUTPUT_BUDGET,
                passed_dropped: 0,
            },
            scratch: Scratch::default(),
            workers: side::Workers::default(),
            writer: CaseWriter::new(),
            suite_name: String::new(),
            hostname,
            warnings: Vec::new(),
        }
    }

    pub fn begin_stream(&mut self, name: &str) {
        self.suite_name = xml_chars(name).into_owned();
        self.cases.clear();
        self.ids.clear();
        self.by_id.clear();
        self.failed.clear();
    }

    pub fn entry(&mut self, e: &Entry) {
        let outcome = Outcome::of(e.status);
        let hash = FxBuildHasher.hash_one(e.id.as_str());
        let (ids, cases) = (&self.ids, &self.cases);
        let seen = self
            .by_id
            .find(hash, |&(h, i)| {
                h == hash && ids[cases[i].id.clone()] == *e.id
            })
            .map(|&(_, i)| i);
        let sc = &mut self.scratch;
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
                    last.message = Some(Text::Raw(r));
                    last.ty = failure::split(r).0.map(Text::Raw);
                }
                last.detail = e
                    .detail("traceback")
                    .map(|tb| capped(tb, TRACEBACK_CAP, &mut sc.detail));
            }
            Outcome::UxSuccess => {
                last.kind = Kind::Failure;
                last.message = Some(Text::Raw(
                    "unexpected success: the test was expected to fail",
                ));
                last.ty = Some(Text::Raw("UnexpectedSuccess"));
            }
            Outcome::Skipped | Outcome::XFail => {
                last.kind = Kind::Skipped;
                let reason = e.detail("reason").map(str::trim);
                sc.message.clear();
                match (outcome, reason) {
                    (Outcome::XFail, Some(r)) => {
                        let _ = write!(sc.message, "expected failure: {r}");
                    }
                    (Outcome::XFail, None) => sc.message.push_str("expected failure"),
                    (_, Some(r)) => sc.message.push_str(r),
                    (_, None) => sc.message.push_str("skipped"),
                }
                last.message = Some(Text::Raw(side::head(&sc.message, FAILED_OUTPUT_CAP)));
                if outcome == Outcome::XFail {
                    last.ty = Some(Text::Raw("xfail"));
                    last.detail = e
                        .detail("traceback")
                        .map(|tb| capped(tb, TRACEBACK_CAP, &mut sc.detail));
                }
            }
            Outcome::Unfinished => {
                last.kind = Kind::Error;
                sc.message.clear();
                let _ = write!(
                    sc.message,
                    "the test did not finish (status: {})",
                    e.status.as_str()
                );
                last.message = Some(Text::Raw(&sc.message));
                last.ty = Some(Text::Raw("Unfinished"));
            }
        }
        (last.out, last.err) = self.output.attach(e, outcome, &mut sc.out, &mut sc.err);
        // Control characters are filtered out when written; tabs and line
        // breaks in a name read better as spaces (XML attributes would
        // fold them too).
        // (One pass the compiler vectorises: no early exit.)
        let breaks = |c: u8| matches!(c, b'\t' | b'\n' | b'\r');
        let report_name = side::report_name(e);
        let name = if report_name.bytes().fold(false, |any, c| any | breaks(c)) {
            sc.name.clear();
            sc.name.extend(report_name.chars().map(|c| {
                if matches!(c, '\t' | '\n' | '\r') {
                    ' '
                } else {
                    c
                }
            }));
            sc.name.as_str()
        } else {
            report_name
        };
        // An earlier attempt's failure, and the reruns it carried, become
        // this one's reruns; a skipped attempt keeps none (JUnit's
        // `<skipped>` has no reruns).
        let mut runs = Vec::new();
        if let Some(i) = seen {
            let earlier = &mut self.cases[i];
            runs = std::mem::take(&mut earlier.reruns);
            match earlier.kind {
                Kind::Failure | Kind::Error => {
                    runs.push(earlier.last.expect("failed attempts are held"));
                }
                Kind::Passed => {}
                Kind::Skipped => runs.clear(),
            }
        }
        if last.kind == Kind::Skipped {
            runs.clear();
        }
        // The reruns' texts, copied out of the arena (rare).
        let mut copied = Vec::new();
        let mut at = Vec::with_capacity(runs.len());
        for &r in &runs {
            let p = &self.failed[r as usize].placed;
            let mut take = |r: &Option<Range<usize>>| {
                r.as_ref().map(|r| {
                    let s = copied.len();
                    copied.extend_from_slice(&self.arena[r.clone()]);
                    s..copied.len()
                })
            };
            at.push([
                take(&p.message),
                take(&p.ty),
                take(&p.detail),
                take(&p.out),
                take(&p.err),
            ]);
        }
        let reruns: Vec<Attempt> = runs
            .iter()
            .zip(&at)
            .map(|(&r, [m, t, d, o, er])| {
                let h = &self.failed[r as usize];
                let text = |r: &Option<Range<usize>>| r.clone().map(|r| Text::Escaped(&copied[r]));
                Attempt {
                    kind: h.kind,
                    message: text(m),
                    ty: text(t),
                    detail: text(d),
                    start: h.start,
                    time: h.time,
                    out: text(o),
                    err: text(er),
                }
            })
            .collect();
        let (classname, method) = side::split_name(name);
        let case = Case {
            classname,
            method,
            worker: self.workers.of(e),
            tags: &e.tags,
            last,
            reruns: &reruns,
        };
        let start = self.arena.len();
        let placed = self.writer.write(&mut self.arena, &case);
        let span = start..self.arena.len();
        let kind = last.kind;
        let held = matches!(kind, Kind::Failure | Kind::Error).then(|| {
            self.failed.push(Held {
                kind,
                start: last.start,
                time: last.time,
                placed,
            });
            (self.failed.len() - 1) as u32
        });
        match seen {
            None => {
                let id = self.ids.len()..self.ids.len() + e.id.len();
                self.ids.push_str(&e.id);
                self.by_id
                    .insert_unique(hash, (hash, self.cases.len()), |&(h, _)| h);
                self.cases.push(CaseRec {
                    span,
                    id,
                    kind,
                    last: held,
                    reruns: runs,
                });
            }
            Some(i) => {
                let c = &mut self.cases[i];
                c.span = span;
                c.kind = kind;
                c.last = held;
                c.reruns = runs;
            }
        }
    }

    /// Writes a case as a test of its own (for tests of the writer).
    #[cfg(test)]
    fn add_case(&mut self, case: &Case) {
        let start = self.arena.len();
        self.writer.write(&mut self.arena, case);
        let id = self.ids.len()..self.ids.len();
        self.cases.push(CaseRec {
            span: start..self.arena.len(),
            id,
            kind: case.last.kind,
            last: None,
            reruns: Vec::new(),
        });
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
            // The spans to write, joined where they follow each other.
            let mut pieces: Vec<Range<usize>> = Vec::new();
            for c in &self.cases {
                suite.tests += 1;
                match c.kind {
                    Kind::Passed => {}
                    Kind::Failure => suite.failures += 1,
                    Kind::Error => suite.errors += 1,
                    Kind::Skipped => suite.skipped += 1,
                }
                match pieces.last_mut() {
                    Some(p) if p.end == c.span.start => p.end = c.span.end,
                    _ => pieces.push(c.span.clone()),
                }
            }
            suite.set_system_out(self.suites.len().to_string());
            self.suites.push(pieces);
        }
        self.cases.clear();
        self.ids.clear();
        self.by_id.clear();
        self.failed.clear();
        self.report.add_test_suite(suite);
    }

    /// Writes the report; `env` (the `-e` CI metadata) becomes each
    /// suite's `<properties>`.
    pub fn finish<W: Sink>(&mut self, out: &mut W, env: &[(&str, String)]) -> std::io::Result<()> {
        for suite in &mut self.report.test_suites {
            for (k, v) in env {
                suite.add_property(Property::new(*k, &*xml_chars(v)));
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
        write_with_cases(&skeleton, &self.suites, &mut self.arena, out)?;
        let cases = self.report.tests;
        if cases > GITLAB_MAX_CASES {
            self.warnings.push(format!(
                "the JUnit report has {cases} test cases; GitLab reads at most {GITLAB_MAX_CASES}"
            ));
        }
        if self.output.passed_dropped > 0 {
            self.warnings.push(format!(
                "the JUnit report leaves out the output of {} passing tests to stay small",
                self.output.passed_dropped
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
/// `<system-out>`, so every one found is a stand-in. Each case starts with
/// its own line break and indent, so the stand-in's are left out.
fn write_with_cases<W: Sink>(
    skeleton: &[u8],
    suites: &[Vec<Range<usize>>],
    arena: &mut Vec<u8>,
    out: &mut W,
) -> std::io::Result<()> {
    // One suite whose cases are the whole buffer (one stream, no test
    // seen twice): the buffer itself goes to the file.
    let whole = match suites {
        [one] => one.len() == 1 && one[0] == (0..arena.len()),
        _ => false,
    };
    const OPEN: &[u8] = b"<system-out>";
    const CLOSE: &[u8] = b"</system-out>";
    let bad = || std::io::Error::other("the JUnit skeleton lost a suite's stand-in");
    let mut rest = skeleton;
    while let Some(at) = memchr::memmem::find(rest, OPEN) {
        let before = at.checked_sub(CASE_INDENT).ok_or_else(bad)?;
        if !rest[before..at].starts_with(b"\n") {
            return Err(bad());
        }
        out.write_all(&rest[..before])?;
        let inner = &rest[at + OPEN.len()..];
        let len = memchr::memmem::find(inner, CLOSE).ok_or_else(bad)?;
        let n: usize = std::str::from_utf8(&inner[..len])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)?;
        if whole {
            out.write_vec(std::mem::take(arena))?;
        } else {
            for piece in suites.get(n).ok_or_else(bad)? {
                for chunk in arena[piece.clone()].chunks(WRITE_CHUNK) {
                    out.write_all(chunk)?;
                }
            }
        }
        rest = &inner[len + CLOSE.len()..];
    }
    out.write_all(rest)
}

/// The end of `text`, marked when cut (the marked text built in `buf`).
fn capped<'a>(text: &'a str, max: usize, buf: &'a mut String) -> Text<'a> {
    match side::tail(text, max) {
        (t, 0) => Text::Raw(t),
        (t, cut) => {
            buf.clear();
            let _ = write!(buf, "[… {cut} bytes cut]\n{t}");
            Text::Raw(buf)
        }
    }
}

/// The end (at most `max` bytes) of the attachments written one after the
/// other, each under a `--- name ---` line, marked when cut; built in
/// `out`. Copies only what is kept: attachments can be large.
fn joined_tail(details: &[(String, String)], parts: &[usize], max: usize, out: &mut String) {
    out.clear();
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
    out.reserve(max.min(total) + 32);
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
        let _ = writeln!(out, "[… {} bytes cut]", total - kept_whole - kept);
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
    fn reruns_carry_each_earlier_attempt_as_it_was_written() {
        let with = |name: &str, status: &str, tb: Option<&str>, log: &str| {
            let mut e = entry(name, status, 1.0, tb);
            e.details.push(("pythonlogging".into(), log.into()));
            e
        };
        let xml = render(&[
            with(
                "a.T.test_x",
                "fail",
                Some("AssertionError: first <1>\n"),
                "log one & \"q\"",
            ),
            with("a.T.test_y", "success", None, "y"),
            with("a.T.test_x", "inprogress", None, "log two"),
            with(
                "a.T.test_x",
                "fail",
                Some("ValueError: third\n"),
                "log three",
            ),
            with("a.T.test_z", "fail", Some("KeyError: z\n"), "z"),
            with("a.T.test_z", "skip", None, ""),
        ]);
        assert_eq!(xml.matches("<testcase ").count(), 3, "{xml}");
        // test_x: the third attempt failed; the first (failure) and second
        // (error) are reruns, oldest first, with their own texts.
        let x = &xml[xml.find("name=\"test_x\"").unwrap()..xml.find("name=\"test_y\"").unwrap()];
        let first = x.find("<rerunFailure").unwrap();
        let second = x.find("<rerunError").unwrap();
        assert!(
            x.contains("<failure message=\"ValueError: third\" type=\"ValueError\">"),
            "{x}"
        );
        assert!(first < second, "{x}");
        assert!(
            x[first..]
                .contains("message=\"AssertionError: first &lt;1&gt;\" type=\"AssertionError\">"),
            "{x}"
        );
        assert!(
            x[first..second].contains("<stackTrace>AssertionError: first &lt;1&gt;\n</stackTrace>"),
            "{x}"
        );
        assert!(
            x[first..second].contains("log one &amp; &quot;q&quot;"),
            "{x}"
        );
        assert!(
            x[second..].contains(
                "message=\"the test did not finish (status: inprogress)\" type=\"Unfinished\">"
            ),
            "{x}"
        );
        assert!(x[second..].contains("log two"), "{x}");
        assert!(x.contains("log three"), "{x}");
        // test_y sits between: the cases keep their first-seen order.
        assert!(xml.find("name=\"test_y\"").unwrap() < xml.find("name=\"test_z\"").unwrap());
        // test_z ended skipped: no reruns.
        let z = &xml[xml.find("name=\"test_z\"").unwrap()..];
        assert!(
            z.contains("<skipped message=\"skipped\"/>") && !z.contains("rerun"),
            "{z}"
        );
        assert!(
            xml.contains("tests=\"3\" skipped=\"1\" errors=\"0\" failures=\"1\""),
            "{xml}"
        );
    }

    #[test]
    fn joined_tails_copy_only_the_end() {
        let details = [("a", "12345"), ("x", "not shown"), ("b", "xyz")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let parts = [0, 2];
        let tail = |max: usize| {
            // Built over what an earlier test left.
            let mut out = "earlier text".to_owned();
            joined_tail(&details, &parts, max, &mut out);
            out
        };
        // "--- a ---\n12345\n--- b ---\nxyz\n" is 32 bytes.
        assert_eq!(tail(100), "--- a ---\n12345\n--- b ---\nxyz\n");
        assert_eq!(tail(19), "[… 11 bytes cut]\n2345\n--- b ---\nxyz\n");
        assert_eq!(tail(22), "[… 10 bytes cut]\n12345\n--- b ---\nxyz\n");
        assert_eq!(tail(14), "[… 16 bytes cut]\n--- b ---\nxyz\n");
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
