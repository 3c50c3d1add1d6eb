//! `--ctrf FILE`: the Common Test Report Format (JSON), read by CTRF's
//! GitHub/GitLab reporters and dashboards.
//!
//! Fields follow the published schema: times are integer milliseconds, the
//! worker is `threadId`, a test id seen again in the same stream is one test
//! whose earlier attempts are `retryAttempts` (and `flaky` when the last one
//! passed). Tests are written at the end of each stream, so memory holds one
//! stream's tests (their tracebacks capped), never the whole run.

use std::ops::Range;

use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use serde::Serialize;

use super::side::{self, Outcome, Sink};
use super::side::{Forward, SideStream};
use super::{ExportMeta, Format, StreamMeta, StreamWriter};
use crate::model::entry::Entry;
use crate::model::stats::Stats;
use crate::model::tags::Tags;
use crate::write::outfile::OutFile;
use crate::write::staging::Staging;

/// The CTRF specification version this writer follows.
pub const SPEC_VERSION: &str = "0.1.0";
/// Traceback text kept per test (the end).
const TRACE_CAP: usize = 16 * 1024;
/// stdout/stderr text kept per test (the end).
const OUTPUT_CAP: usize = 4 * 1024;
/// Tests are written into a buffer of this size, handed to the file when
/// three quarters full (so that one more test rarely grows it).
const BATCH: usize = 256 * 1024;

struct Attempt {
    attempt: u32,
    status: &'static str,
    duration: u64,
    message: Option<String>,
    trace: Option<String>,
    start: Option<i64>,
    stop: Option<i64>,
}

/// One test, kept until its stream ends (a later attempt of the same id
/// joins it). Kept small: a stream's tests are all held at once, their
/// names and ids in one string of the stream ([`Ctrf::text`]).
struct Test {
    /// The name in the stream's text; mostly the start of the id.
    name: Range<usize>,
    status: &'static str,
    duration: u64,
    start: Option<i64>,
    stop: Option<i64>,
    /// Bytes of `name` that are the class, the second part of `suite`
    /// after the stream's name.
    class_len: usize,
    raw_status: &'static str,
    /// Shared with the entry.
    tags: Tags,
    /// The worker, written as `threadId` `worker-N`.
    worker: Option<u32>,
    /// What most tests (passed, without output) have none of.
    more: Option<Box<More>>,
    /// `extra`: what has no CTRF field, the subunit id (in the stream's
    /// text) and the attachment names (shared by the tests that have the
    /// same names).
    id: Range<usize>,
    attachments: Arc<[String]>,
}

#[derive(Default)]
struct More {
    message: Option<String>,
    trace: Option<String>,
    retries: Option<u32>,
    retry_attempts: Vec<Attempt>,
    flaky: bool,
    stdout: Vec<String>,
    stderr: Vec<String>,
}

#[derive(Default, Serialize)]
struct Summary {
    tests: u64,
    passed: u64,
    failed: u64,
    skipped: u64,
    pending: u64,
    other: u64,
    flaky: u64,
    suites: u64,
    start: i64,
    stop: i64,
    duration: i64,
}

/// A test's JSON, written field by field (fields in this order, optional
/// ones left out when empty): tests are most of the file, and serde's
/// string escaping, one byte at a time, was most of its cost.
impl Test {
    fn write(&self, out: &mut Vec<u8>, suite: &str, text: &str) {
        let name = &text[self.name.clone()];
        let id = &text[self.id.clone()];
        // The name is mostly the start of the id, and the class the start
        // of the name: a plain id makes both plain.
        let plain = self.name.start == self.id.start && side::json_plain(id.as_bytes());
        let push = |out: &mut Vec<u8>, s: &str| {
            if plain {
                side::push_json_plain(out, s);
            } else {
                side::push_json_str(out, s);
            }
        };
        out.extend_from_slice(b"{\"name\":");
        push(out, name);
        out.extend_from_slice(b",\"status\":\"");
        out.extend_from_slice(self.status.as_bytes());
        out.extend_from_slice(b"\",\"duration\":");
        side::push_int(out, self.duration as i64);
        times(out, self.start, self.stop);
        out.extend_from_slice(b",\"suite\":[");
        side::push_json_str(out, suite);
        if self.class_len > 0 {
            out.push(b',');
            push(out, &name[..self.class_len]);
        }
        out.push(b']');
        let none = More::default();
        let more = self.more.as_deref().unwrap_or(&none);
        opt_str(out, "message", more.message.as_deref());
        opt_str(out, "trace", more.trace.as_deref());
        out.extend_from_slice(b",\"rawStatus\":\"");
        out.extend_from_slice(self.raw_status.as_bytes());
        out.push(b'"');
        if !self.tags.is_empty() {
            out.extend_from_slice(b",\"tags\":");
            strings(out, &self.tags);
        }
        if let Some(w) = self.worker {
            out.extend_from_slice(b",\"threadId\":\"worker-");
            side::push_int(out, i64::from(w));
            out.push(b'"');
        }
        if let Some(r) = more.retries {
            out.extend_from_slice(b",\"retries\":");
            side::push_int(out, i64::from(r));
        }
        if !more.retry_attempts.is_empty() {
            out.extend_from_slice(b",\"retryAttempts\":[");
            for (i, a) in more.retry_attempts.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"attempt\":");
                side::push_int(out, i64::from(a.attempt));
                out.extend_from_slice(b",\"status\":\"");
                out.extend_from_slice(a.status.as_bytes());
                out.extend_from_slice(b"\",\"duration\":");
                side::push_int(out, a.duration as i64);
                opt_str(out, "message", a.message.as_deref());
                opt_str(out, "trace", a.trace.as_deref());
                times(out, a.start, a.stop);
                out.push(b'}');
            }
            out.push(b']');
        }
        if more.flaky {
            out.extend_from_slice(b",\"flaky\":true");
        }
        if !more.stdout.is_empty() {
            out.extend_from_slice(b",\"stdout\":");
            strings(out, &more.stdout);
        }
        if !more.stderr.is_empty() {
            out.extend_from_slice(b",\"stderr\":");
            strings(out, &more.stderr);
        }
        out.extend_from_slice(b",\"extra\":{\"id\":");
        push(out, id);
        if !self.attachments.is_empty() {
            out.extend_from_slice(b",\"attachments\":");
            strings(out, &self.attachments);
        }
        out.extend_from_slice(b"}}");
    }
}

/// `,"start":…,"stop":…`, each when known.
fn times(out: &mut Vec<u8>, start: Option<i64>, stop: Option<i64>) {
    if let Some(t) = start {
        out.extend_from_slice(b",\"start\":");
        side::push_int(out, t);
    }
    if let Some(t) = stop {
        out.extend_from_slice(b",\"stop\":");
        side::push_int(out, t);
    }
}

fn opt_str(out: &mut Vec<u8>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        side::push_json_str(out, v);
    }
}

fn strings(out: &mut Vec<u8>, list: &[String]) {
    out.push(b'[');
    for (i, s) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        side::push_json_str(out, s);
    }
    out.push(b']');
}

fn status(o: Outcome) -> &'static str {
    match o {
        Outcome::Passed => "passed",
        Outcome::Failed | Outcome::UxSuccess => "failed",
        Outcome::Skipped => "skipped",
        Outcome::XFail | Outcome::Unfinished => "other",
    }
}

fn ms(us: i64) -> i64 {
    us.div_euclid(1000)
}

fn lines(text: &str) -> Vec<String> {
    side::tail(text, OUTPUT_CAP)
        .0
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Streams a CTRF document to `out`.
pub struct Ctrf<W: Sink> {
    out: W,
    tests: Vec<Test>,
    /// The names and ids of `tests`, one after the other.
    text: String,
    workers: side::Workers,
    /// (hash of the id, index into `tests`): the hash is kept so that
    /// growing the table does not hash every id again.
    by_id: HashTable<(u64, usize)>,
    /// The attachment names of the latest test.
    attachments: Arc<[String]>,
    suite: String,
    summary: Summary,
    start: Option<i64>,
    stop: Option<i64>,
    first: bool,
    /// Tests written, before they go to `out`.
    buf: Vec<u8>,
}

impl<W: Sink> Ctrf<W> {
    /// Writes the document's head.
    pub fn new(mut out: W) -> std::io::Result<Ctrf<W>> {
        write!(
            out,
            "{{\"reportFormat\":\"CTRF\",\"specVersion\":\"{SPEC_VERSION}\",\"generatedBy\":\"stackviz-export {}\",\"results\":{{\"tool\":{{\"name\":\"subunit\"}},\"tests\":[",
            env!("CARGO_PKG_VERSION")
        )?;
        Ok(Ctrf {
            out,
            tests: Vec::new(),
            text: String::new(),
            workers: side::Workers::default(),
            by_id: HashTable::new(),
            attachments: Arc::new([]),
            suite: String::new(),
            summary: Summary::default(),
            start: None,
            stop: None,
            first: true,
            buf: Vec::new(),
        })
    }

    pub fn begin_stream(&mut self, name: &str) {
        self.suite = name.to_owned();
        self.summary.suites += 1;
    }

    pub fn entry(&mut self, e: &Entry) {
        let outcome = Outcome::of(e.status);
        let report_name = side::report_name(e);
        let (class, _) = side::split_name(report_name);
        let failed = outcome.is_failure();
        let message = match outcome {
            Outcome::Failed => side::reason(e).map(str::to_owned),
            Outcome::UxSuccess => Some("unexpected success: the test was expected to fail".into()),
            Outcome::Skipped | Outcome::XFail => e
                .detail("reason")
                .map(|r| side::head(r.trim(), TRACE_CAP).to_owned()),
            Outcome::Unfinished => Some(format!(
                "the test did not finish (status: {})",
                e.status.as_str()
            )),
            Outcome::Passed => None,
        };
        let trace = if failed || outcome == Outcome::XFail {
            e.detail("traceback")
                .map(|t| side::tail(t, TRACE_CAP).0.to_owned())
        } else {
            None
        };
        let stdout = e.detail("stdout").map(lines).unwrap_or_default();
        let stderr = e.detail("stderr").map(lines).unwrap_or_default();
        let more =
            (message.is_some() || trace.is_some() || !stdout.is_empty() || !stderr.is_empty())
                .then(|| {
                    Box::new(More {
                        message,
                        trace,
                        stdout,
                        stderr,
                        ..More::default()
                    })
                });
        if !self
            .attachments
            .iter()
            .map(String::as_str)
            .eq(e.details.iter().map(|(k, _)| k.as_str()))
        {
            self.attachments = e.details.iter().map(|(k, _)| k.clone()).collect();
        }
        let hash = FxBuildHasher.hash_one(e.id.as_str());
        let (tests, text) = (&self.tests, &self.text);
        let seen = self
            .by_id
            .find(hash, |&(h, i)| {
                h == hash && text[tests[i].id.clone()] == *e.id
            })
            .map(|&(_, i)| i);
        // The id is kept once per test; the name is mostly its start.
        let id = match seen {
            Some(i) => self.tests[i].id.clone(),
            None => {
                self.text.push_str(&e.id);
                self.text.len() - e.id.len()..self.text.len()
            }
        };
        let name_text = if report_name.is_empty() {
            "(unnamed test)"
        } else {
            report_name
        };
        let name = if e.id.starts_with(name_text) {
            id.start..id.start + name_text.len()
        } else {
            self.text.push_str(name_text);
            self.text.len() - name_text.len()..self.text.len()
        };
        let test = Test {
            name,
            status: status(outcome),
            duration: (e.duration.max(0.0) * 1000.0).round() as u64,
            start: e.start.map(ms),
            // A clock that stepped back mid-test: the stop no earlier than
            // the start, as the duration is no less than 0.
            stop: e.end.map(|t| ms(e.start.map_or(t, |s| t.max(s)))),
            class_len: class.len(),
            raw_status: e.status.as_str(),
            tags: e.tags.clone(),
            worker: self.workers.of(e),
            more,
            id,
            attachments: self.attachments.clone(),
        };
        match seen {
            None => {
                self.by_id
                    .insert_unique(hash, (hash, self.tests.len()), |&(h, _)| h);
                self.tests.push(test);
            }
            Some(i) => {
                let earlier = std::mem::replace(&mut self.tests[i], test);
                let mut earlier_more = earlier.more.map(|m| *m).unwrap_or_default();
                let mut attempts = std::mem::take(&mut earlier_more.retry_attempts);
                attempts.push(Attempt {
                    attempt: attempts.len() as u32 + 1,
                    status: earlier.status,
                    duration: earlier.duration,
                    message: earlier_more.message,
                    trace: earlier_more.trace,
                    start: earlier.start,
                    stop: earlier.stop,
                });
                let latest = &mut self.tests[i];
                let more = latest.more.get_or_insert_with(Box::default);
                more.retries = Some(attempts.len() as u32);
                more.flaky =
                    latest.status == "passed" && attempts.iter().any(|a| a.status == "failed");
                more.retry_attempts = attempts;
            }
        }
    }

    /// Writes the stream's tests; `start`/`end` are its time span (µs).
    pub fn end_stream(&mut self, start: Option<i64>, end: Option<i64>) -> std::io::Result<()> {
        if let Some(s) = start {
            self.start = Some(self.start.map_or(s, |c| c.min(s)));
        }
        if let Some(x) = end {
            self.stop = Some(self.stop.map_or(x, |c| c.max(x)));
        }
        self.by_id.clear();
        for t in self.tests.drain(..) {
            let s = &mut self.summary;
            s.tests += 1;
            *match t.status {
                "passed" => &mut s.passed,
                "failed" => &mut s.failed,
                "skipped" => &mut s.skipped,
                _ => &mut s.other,
            } += 1;
            s.flaky += u64::from(t.more.as_ref().is_some_and(|m| m.flaky));
            if !self.first {
                self.buf.push(b',');
            }
            self.first = false;
            t.write(&mut self.buf, &self.suite, &self.text);
            if self.buf.capacity() < BATCH {
                self.buf.reserve(BATCH - self.buf.len());
            }
            if self.buf.len() >= BATCH / 4 * 3 {
                self.buf = self.out.swap_vec(std::mem::take(&mut self.buf))?;
            }
        }
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.text.clear();
        Ok(())
    }

    /// Writes the summary and environment and closes the document. `env`
    /// is the `-e` CI metadata; `now_ms` stands in for the run's start and
    /// stop when no test had a timestamp (the schema requires both).
    pub fn finish(mut self, env: &[(&str, String)], now_ms: i64) -> std::io::Result<W> {
        let s = &mut self.summary;
        s.start = self.start.map_or(now_ms, ms);
        s.stop = self.stop.map_or(now_ms, ms).max(s.start);
        s.duration = s.stop - s.start;
        self.out.write_all(b"],\"summary\":")?;
        serde_json::to_writer(&mut self.out, &self.summary)?;
        let mut environment = serde_json::Map::new();
        environment.insert("osPlatform".into(), std::env::consts::OS.into());
        let mut extra = serde_json::Map::new();
        for (k, v) in env {
            match *k {
                "name" => {
                    environment.insert("buildName".into(), v.as_str().into());
                }
                "change_project" => {
                    environment.insert("repositoryName".into(), v.as_str().into());
                }
                _ => {}
            }
            extra.insert((*k).to_owned(), v.as_str().into());
        }
        if !extra.is_empty() {
            environment.insert("extra".into(), extra.into());
        }
        self.out.write_all(b",\"environment\":")?;
        serde_json::to_writer(&mut self.out, &environment)?;
        self.out.write_all(b"}}")?;
        Ok(self.out)
    }
}

/// `--ctrf FILE` behind the output trait; the file is opened with the
/// first stream (or at the end when there is none).
pub struct CtrfFile {
    path: std::path::PathBuf,
    doc: Option<Ctrf<OutFile>>,
}

impl CtrfFile {
    pub fn new(path: std::path::PathBuf) -> CtrfFile {
        CtrfFile { path, doc: None }
    }

    fn doc(&mut self, stage: &mut Staging) -> crate::Result<&mut Ctrf<OutFile>> {
        if self.doc.is_none() {
            let out = stage.create_at(&self.path)?;
            self.doc = Some(Ctrf::new(out).map_err(|e| crate::Error::io(&self.path, e))?);
        }
        Ok(self.doc.as_mut().expect("opened above"))
    }
}

impl Format for CtrfFile {
    fn begin_stream<'a>(
        &'a mut self,
        stage: &mut Staging,
        meta: &StreamMeta,
    ) -> crate::Result<Box<dyn StreamWriter + 'a>> {
        self.doc(stage)?.begin_stream(&meta.description);
        Ok(Box::new(Forward(self)))
    }

    fn finish(&mut self, stage: &mut Staging, meta: &ExportMeta) -> crate::Result<()> {
        self.doc(stage)?;
        let doc = self.doc.take().expect("opened above");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let out = doc
            .finish(&meta.env, now)
            .map_err(|e| crate::Error::io(&self.path, e))?;
        stage.finish(out)
    }
}

impl SideStream for CtrfFile {
    fn side_entry(&mut self, e: &Entry) -> crate::Result<()> {
        if let Some(d) = &mut self.doc {
            d.entry(e);
        }
        Ok(())
    }

    fn side_end(&mut self, stage: &mut Staging, stats: &Stats) -> crate::Result<()> {
        let path = self.path.clone();
        self.doc(stage)?
            .end_stream(stats.start, stats.end)
            .map_err(|e| crate::Error::io(&path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::summary::tests::entry;

    #[test]
    fn document_follows_the_schema_shape() {
        let mut c = Ctrf::new(Vec::new()).unwrap();
        c.begin_stream("Subunit File: x");
        let tb =
            "Traceback (most recent call last):\n  File \"t\", line 1\nAssertionError: 1 != 2\n";
        c.entry(&entry("a.T.test_flaky", "fail", 1.0, Some(tb)));
        c.entry(&entry("a.T.test_flaky", "success", 0.25, None));
        c.entry(&entry("a.T.test_fail", "fail", 1.0, Some(tb)));
        c.entry(&entry("a.T.test_xf", "xfail", 0.0, None));
        c.end_stream(Some(1_000_000), Some(9_500_000)).unwrap();
        let out = c.finish(&[("name", "job-1".into())], 42).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["reportFormat"], "CTRF");
        let s = &v["results"]["summary"];
        assert_eq!(
            (
                s["tests"].as_u64(),
                s["passed"].as_u64(),
                s["failed"].as_u64(),
                s["other"].as_u64(),
                s["flaky"].as_u64()
            ),
            (Some(3), Some(1), Some(1), Some(1), Some(1))
        );
        assert_eq!(
            (
                s["start"].as_i64(),
                s["stop"].as_i64(),
                s["duration"].as_i64()
            ),
            (Some(1000), Some(9500), Some(8500))
        );
        let t = &v["results"]["tests"];
        assert_eq!(t[0]["name"], "a.T.test_flaky");
        assert_eq!(t[0]["status"], "passed");
        assert_eq!(t[0]["duration"], 250);
        assert_eq!(t[0]["flaky"], true);
        assert_eq!(t[0]["retries"], 1);
        assert_eq!(t[0]["retryAttempts"][0]["attempt"], 1);
        assert_eq!(
            t[0]["retryAttempts"][0]["message"],
            "AssertionError: 1 != 2"
        );
        assert_eq!(t[0]["threadId"], "worker-0");
        assert_eq!(t[0]["start"], 1000);
        assert_eq!(t[0]["suite"], serde_json::json!(["Subunit File: x", "a.T"]));
        assert_eq!(t[1]["message"], "AssertionError: 1 != 2");
        assert!(t[1]["trace"].as_str().unwrap().starts_with("Traceback"));
        assert_eq!(t[2]["status"], "other");
        assert_eq!(t[2]["rawStatus"], "xfail");
        assert_eq!(v["results"]["environment"]["buildName"], "job-1");
    }

    #[test]
    fn a_clock_stepping_back_gives_no_stop_before_the_start() {
        let mut c = Ctrf::new(Vec::new()).unwrap();
        c.begin_stream("s");
        let mut e = entry("a.T.test_back", "success", 0.0, None);
        e.end = Some(400_000);
        e.duration = -0.6;
        c.entry(&e);
        c.end_stream(e.start, e.end).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&c.finish(&[], 0).unwrap()).unwrap();
        let t = &v["results"]["tests"][0];
        assert_eq!(
            (t["start"].as_i64(), t["stop"].as_i64()),
            (Some(1000), Some(1000))
        );
        assert_eq!(t["duration"], 0);
    }

    #[test]
    fn no_tests_still_gives_required_times() {
        let c = Ctrf::new(Vec::new()).unwrap();
        let out = c.finish(&[], 77).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["results"]["tests"], serde_json::json!([]));
        assert_eq!(v["results"]["summary"]["start"], 77);
        assert_eq!(v["results"]["summary"]["stop"], 77);
    }
}
