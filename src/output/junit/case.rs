//! One `<testcase>` as quick-junit's serialiser lays it out (attribute
//! order, indentation, filtered and escaped text), written once, when the
//! test's entry arrives, so that the cases, the bulk of the file, are kept
//! as the bytes they will be written as; the tests check the bytes against
//! quick-junit's own output.

use std::io::Write as _;
use std::ops::Range;
use std::time::Duration;

use chrono::{DateTime, Datelike};

use super::text::push;

/// How an attempt ended, as JUnit says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Passed,
    Failure,
    Error,
    Skipped,
}

/// Text of an attempt: as given (filtered and escaped when written), or
/// already written once (an earlier attempt's, copied as it is).
#[derive(Debug, Clone, Copy)]
pub(super) enum Text<'a> {
    Raw(&'a str),
    Escaped(&'a [u8]),
}

/// One run of a test.
#[derive(Debug, Clone, Copy)]
pub(super) struct Attempt<'a> {
    pub kind: Kind,
    pub message: Option<Text<'a>>,
    pub ty: Option<Text<'a>>,
    /// The traceback: the status element's text, or `<stackTrace>` in a
    /// rerun.
    pub detail: Option<Text<'a>>,
    /// Start, µs since the epoch.
    pub start: Option<i64>,
    pub time: Duration,
    pub out: Option<Text<'a>>,
    pub err: Option<Text<'a>>,
}

/// A test: its last attempt and the earlier failed ones.
#[derive(Debug, Clone, Copy)]
pub(super) struct Case<'a> {
    pub classname: &'a str,
    pub method: &'a str,
    pub worker: Option<u32>,
    pub tags: &'a [String],
    pub last: Attempt<'a>,
    /// Earlier failed attempts, oldest first: `<flakyFailure>` when the
    /// last attempt passed, `<rerunFailure>` when it did not.
    pub reruns: &'a [Attempt<'a>],
}

/// Where the last attempt's texts were written, escaped: a later attempt
/// of the same test copies them into its rerun element.
#[derive(Debug, Clone, Default)]
pub(super) struct Placed {
    pub message: Option<Range<usize>>,
    pub ty: Option<Range<usize>>,
    pub detail: Option<Range<usize>>,
    pub out: Option<Range<usize>>,
    pub err: Option<Range<usize>>,
}

/// The timestamp layout of quick-junit (RFC 3339, milliseconds).
const TIMESTAMP: &str = "%Y-%m-%dT%H:%M:%S%.3f%:z";

/// Writes timestamps in [`TIMESTAMP`]'s layout, UTC, digit by digit
/// (chrono's formatter builds two strings per call), keeping the last
/// day's date: a run's tests mostly start on one day, and the time of day
/// is plain arithmetic.
#[derive(Default)]
pub(super) struct Clock {
    day: Option<i64>,
    /// `YYYY-MM-DDT` of `day`; `None` for years chrono writes its own way.
    date: Option<[u8; 11]>,
}

impl Clock {
    /// Appends `us` (since the epoch); false when chrono cannot hold it.
    pub fn push(&mut self, out: &mut Vec<u8>, us: i64) -> bool {
        let secs = us.div_euclid(1_000_000);
        let day = secs.div_euclid(86_400);
        if self.day != Some(day) {
            // Whether chrono holds a time depends on its day alone.
            let Some(t) = DateTime::from_timestamp_micros(us) else {
                return false;
            };
            self.date = (0..=9999).contains(&t.year()).then(|| {
                let mut d = *b"0000-00-00T";
                put(&mut d[0..4], t.year() as u32);
                put(&mut d[5..7], t.month());
                put(&mut d[8..10], t.day());
                d
            });
            self.day = Some(day);
        }
        let Some(date) = &self.date else {
            // Signed, wider years: chrono's own layout.
            let t = DateTime::from_timestamp_micros(us).expect("checked with its day");
            let _ = write!(out, "{}", t.fixed_offset().format(TIMESTAMP));
            return true;
        };
        let of_day = secs.rem_euclid(86_400) as u32;
        let mut clock = *b"00:00:00.000+00:00";
        put(&mut clock[0..2], of_day / 3600);
        put(&mut clock[3..5], of_day / 60 % 60);
        put(&mut clock[6..8], of_day % 60);
        put(&mut clock[9..12], (us.rem_euclid(1_000_000) / 1000) as u32);
        out.extend_from_slice(date);
        out.extend_from_slice(&clock);
        true
    }
}

/// `v` in decimal, zero-padded to the width of `digits`.
fn put(digits: &mut [u8], mut v: u32) {
    for d in digits.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// `d` in seconds with three decimals, as `format!("{:.3}", d.as_secs_f64())`
/// writes it: in whole milliseconds, rounded to the nearest, unless the
/// rest is within 1 µs of the half, where the float's own rounding error
/// (under 0.1 µs below 2^30 s) could decide the other way.
fn push_seconds(out: &mut Vec<u8>, d: Duration) {
    let rest = d.subsec_nanos() % 1_000_000;
    if d.as_secs() >= 1 << 30 || rest.abs_diff(500_000) <= 1000 {
        let _ = write!(out, "{:.3}", d.as_secs_f64());
        return;
    }
    let ms = d.as_secs() * 1000 + u64::from(d.subsec_millis()) + u64::from(rest > 500_000);
    crate::output::side::push_int(out, (ms / 1000) as i64);
    let mut frac = *b".000";
    put(&mut frac[1..], (ms % 1000) as u32);
    out.extend_from_slice(&frac);
}

/// Writes a case as a child of a `<testsuite>`, the way quick-xml's
/// indenting writer does: each element on its own line, four spaces per
/// level, except an end tag right after text. Every case starts with its
/// line break and indent ([`CASE_INDENT`] bytes).
pub(super) struct CaseWriter {
    depth: usize,
    line_break: bool,
    clock: Clock,
}

/// The line break and indent before each `<testcase>`.
pub(super) const CASE_INDENT: usize = 9;

impl CaseWriter {
    pub fn new() -> CaseWriter {
        CaseWriter {
            depth: 2,
            line_break: true,
            clock: Clock::default(),
        }
    }

    /// Appends the case; returns where its last attempt's texts went.
    pub fn write(&mut self, out: &mut Vec<u8>, c: &Case) -> Placed {
        self.depth = 2;
        self.line_break = true;
        let mut placed = Placed::default();
        self.open(out, "testcase");
        attr(out, "name", c.method);
        attr(out, "classname", c.classname);
        self.times(out, &c.last);
        let status_children = match c.last.kind {
            Kind::Passed => !c.reruns.is_empty(),
            _ => true,
        };
        let props = c.worker.is_some() || !c.tags.is_empty();
        if !props && c.last.out.is_none() && c.last.err.is_none() && !status_children {
            self.close_empty(out);
            return placed;
        }
        self.close_start(out);
        if props {
            self.open(out, "properties");
            self.close_start(out);
            if let Some(w) = c.worker {
                // `property` with the number written in place.
                self.open(out, "property");
                attr(out, "name", "worker");
                out.extend_from_slice(b" value=\"");
                crate::output::side::push_int(out, i64::from(w));
                out.push(b'"');
                self.close_empty(out);
            }
            for t in c.tags {
                self.property(out, "tag", t);
            }
            self.end(out, "properties");
        }
        let a = &c.last;
        let status = match a.kind {
            Kind::Passed => None,
            Kind::Failure => Some("failure"),
            Kind::Error => Some("error"),
            Kind::Skipped => Some("skipped"),
        };
        if let Some(tag) = status {
            self.open(out, tag);
            if let Some(m) = a.message {
                placed.message = Some(attr_text(out, "message", m));
            }
            if let Some(t) = a.ty {
                placed.ty = Some(attr_text(out, "type", t));
            }
            match a.detail {
                Some(d) => {
                    self.close_start(out);
                    placed.detail = Some(self.text(out, d));
                    self.end(out, tag);
                }
                None => self.close_empty(out),
            }
        }
        let flaky = a.kind == Kind::Passed;
        for r in c.reruns {
            self.rerun(out, r, flaky);
        }
        (placed.out, placed.err) = self.outputs(out, a);
        self.end(out, "testcase");
        placed
    }

    fn rerun(&mut self, out: &mut Vec<u8>, r: &Attempt, flaky: bool) {
        let tag = match (flaky, r.kind) {
            (true, Kind::Error) => "flakyError",
            (true, _) => "flakyFailure",
            (false, Kind::Error) => "rerunError",
            (false, _) => "rerunFailure",
        };
        self.open(out, tag);
        self.times(out, r);
        if let Some(m) = r.message {
            attr_text(out, "message", m);
        }
        if let Some(t) = r.ty {
            attr_text(out, "type", t);
        }
        self.close_start(out);
        if let Some(d) = r.detail {
            self.element(out, "stackTrace", d);
        }
        self.outputs(out, r);
        self.end(out, tag);
    }

    fn outputs(
        &mut self,
        out: &mut Vec<u8>,
        a: &Attempt,
    ) -> (Option<Range<usize>>, Option<Range<usize>>) {
        let o = a.out.map(|t| self.element(out, "system-out", t));
        let e = a.err.map(|t| self.element(out, "system-err", t));
        (o, e)
    }

    /// `timestamp` (when known) and `time` attributes.
    fn times(&mut self, out: &mut Vec<u8>, a: &Attempt) {
        if let Some(us) = a.start {
            let at = out.len();
            out.extend_from_slice(b" timestamp=\"");
            if self.clock.push(out, us) {
                out.push(b'"');
            } else {
                out.truncate(at);
            }
        }
        out.extend_from_slice(b" time=\"");
        push_seconds(out, a.time);
        out.push(b'"');
    }

    fn property(&mut self, out: &mut Vec<u8>, name: &str, value: &str) {
        self.open(out, "property");
        attr(out, "name", name);
        attr(out, "value", value);
        self.close_empty(out);
    }

    /// `<tag>text</tag>`; returns where the text went.
    fn element(&mut self, out: &mut Vec<u8>, tag: &str, text: Text) -> Range<usize> {
        self.open(out, tag);
        self.close_start(out);
        let at = self.text(out, text);
        self.end(out, tag);
        at
    }

    fn newline(&self, out: &mut Vec<u8>) {
        if self.line_break {
            out.push(b'\n');
            out.resize(out.len() + 4 * self.depth, b' ');
        }
    }

    fn open(&self, out: &mut Vec<u8>, tag: &str) {
        self.newline(out);
        out.push(b'<');
        out.extend_from_slice(tag.as_bytes());
    }

    fn close_start(&mut self, out: &mut Vec<u8>) {
        out.push(b'>');
        self.depth += 1;
        self.line_break = true;
    }

    fn close_empty(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"/>");
        self.line_break = true;
    }

    fn text(&mut self, out: &mut Vec<u8>, text: Text) -> Range<usize> {
        let at = put_text(out, text);
        self.line_break = false;
        at
    }

    fn end(&mut self, out: &mut Vec<u8>, tag: &str) {
        self.depth -= 1;
        self.newline(out);
        out.extend_from_slice(b"</");
        out.extend_from_slice(tag.as_bytes());
        out.push(b'>');
        self.line_break = true;
    }
}

/// Appends the text escaped (or copies it when it already is); returns
/// where it went.
fn put_text(out: &mut Vec<u8>, text: Text) -> Range<usize> {
    let at = out.len();
    match text {
        Text::Raw(s) => push(out, s),
        Text::Escaped(b) => out.extend_from_slice(b),
    }
    at..out.len()
}

/// ` name="value"` for a value that may be written already; returns where
/// the value went.
fn attr_text(out: &mut Vec<u8>, name: &str, value: Text) -> Range<usize> {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    let at = put_text(out, value);
    out.push(b'"');
    at
}

/// ` name="value"`, the value filtered and escaped.
fn attr(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    push(out, value);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::super::Junit;
    use super::*;
    use crate::model::tags::Tags;
    use chrono::{DateTime, FixedOffset};
    use proptest::prelude::*;
    use quick_junit::{
        FlakyOrRerun, NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun,
        TestSuite,
    };

    fn when(us: i64) -> Option<DateTime<FixedOffset>> {
        DateTime::from_timestamp_micros(us).map(|d| d.fixed_offset())
    }

    /// An attempt with its texts owned.
    #[derive(Debug, Clone)]
    struct OwnedAttempt {
        kind: Kind,
        message: Option<String>,
        ty: Option<String>,
        detail: Option<String>,
        start: Option<i64>,
        time: Duration,
        out: Option<String>,
        err: Option<String>,
    }

    #[derive(Debug, Clone)]
    struct OwnedCase {
        name: String,
        worker: Option<u32>,
        tags: Tags,
        last: OwnedAttempt,
        reruns: Vec<OwnedAttempt>,
    }

    impl OwnedCase {
        fn split(&self) -> (&str, &str) {
            crate::output::side::split_name(&self.name)
        }
    }

    /// The attempt to write: texts given (`Raw`), or, with `escaped`,
    /// written beforehand into `buf` as an earlier attempt's are.
    fn borrowed<'a>(a: &'a OwnedAttempt, buf: Option<&'a [Vec<u8>; 5]>) -> Attempt<'a> {
        let text = |i: usize, s: &'a Option<String>| {
            s.as_deref().map(|s| match buf {
                Some(b) => Text::Escaped(&b[i]),
                None => Text::Raw(s),
            })
        };
        Attempt {
            kind: a.kind,
            message: text(0, &a.message),
            ty: text(1, &a.ty),
            detail: text(2, &a.detail),
            start: a.start,
            time: a.time,
            out: text(3, &a.out),
            err: text(4, &a.err),
        }
    }

    /// Writes the case into the report, its reruns from escaped text.
    fn add(j: &mut Junit, c: &OwnedCase) {
        let escaped: Vec<[Vec<u8>; 5]> = c
            .reruns
            .iter()
            .map(|r| {
                [&r.message, &r.ty, &r.detail, &r.out, &r.err].map(|t| {
                    let mut b = Vec::new();
                    if let Some(t) = t {
                        super::super::text::push(&mut b, t);
                    }
                    b
                })
            })
            .collect();
        let reruns: Vec<Attempt> = c
            .reruns
            .iter()
            .zip(&escaped)
            .map(|(r, b)| borrowed(r, Some(b)))
            .collect();
        let (classname, method) = c.split();
        j.add_case(&Case {
            classname,
            method,
            worker: c.worker,
            tags: &c.tags,
            last: borrowed(&c.last, None),
            reruns: &reruns,
        });
    }

    /// The same test in quick-junit's model.
    fn model(c: &OwnedCase) -> TestCase {
        let kind = |k: Kind| match k {
            Kind::Error => NonSuccessKind::Error,
            _ => NonSuccessKind::Failure,
        };
        let a = &c.last;
        let mut status = match a.kind {
            Kind::Passed => TestCaseStatus::success(),
            Kind::Skipped => TestCaseStatus::skipped(),
            k => TestCaseStatus::non_success(kind(k)),
        };
        if a.kind != Kind::Passed {
            if let Some(m) = &a.message {
                status.set_message(m.as_str());
            }
            if let Some(t) = &a.ty {
                status.set_type(t.as_str());
            }
            if let Some(d) = &a.detail {
                status.set_description(d.as_str());
            }
        }
        let runs: Vec<TestRerun> = c
            .reruns
            .iter()
            .map(|r| {
                let mut run = TestRerun::new(kind(r.kind));
                if let Some(t) = r.start.and_then(when) {
                    run.set_timestamp(t);
                }
                run.set_time(r.time);
                if let Some(m) = &r.message {
                    run.set_message(m.as_str());
                }
                if let Some(t) = &r.ty {
                    run.set_type(t.as_str());
                }
                if let Some(d) = &r.detail {
                    run.set_stack_trace(d.as_str());
                }
                if let Some(o) = &r.out {
                    run.set_system_out(o.as_str());
                }
                if let Some(o) = &r.err {
                    run.set_system_err(o.as_str());
                }
                run
            })
            .collect();
        match &mut status {
            TestCaseStatus::Success { flaky_runs } => flaky_runs.extend(runs),
            s @ TestCaseStatus::NonSuccess { .. } => {
                s.add_reruns(runs);
                s.set_rerun_kind(FlakyOrRerun::Rerun);
            }
            TestCaseStatus::Skipped { .. } => {}
        }
        let (classname, method) = c.split();
        let mut t = TestCase::new(method, status);
        t.set_classname(classname);
        t.set_time(a.time);
        if let Some(s) = a.start.and_then(when) {
            t.set_timestamp(s);
        }
        if let Some(w) = c.worker {
            t.add_property(Property::new("worker", w.to_string()));
        }
        for tag in c.tags.iter() {
            t.add_property(Property::new("tag", tag.as_str()));
        }
        if let Some(o) = &a.out {
            t.set_system_out(o.as_str());
        }
        if let Some(o) = &a.err {
            t.set_system_err(o.as_str());
        }
        t
    }

    /// Suites of cases through the report writer, and through quick-junit
    /// alone.
    fn both(suites: &[Vec<OwnedCase>]) -> (String, String) {
        let env = [("name", "job <1>".to_owned())];
        let mut j = Junit::new();
        let mut report = Report::new("stackviz-export");
        for (i, cases) in suites.iter().enumerate() {
            let name = format!("stream {i} & \u{1b}[1mmore");
            j.begin_stream(&name);
            for c in cases {
                add(&mut j, c);
            }
            let (start, end) = (Some(1_000_000 * i as i64), Some(3_000_500 * i as i64));
            j.end_stream(start, end, 0.5);
            let mut suite = TestSuite::new(name);
            suite.set_timestamp(when(1_000_000 * i as i64).unwrap());
            suite.set_time(Duration::from_micros(2_000_500 * i as u64));
            suite
                .extra
                .insert("hostname".into(), j.hostname.as_str().into());
            suite.add_test_cases(cases.iter().map(model));
            for (k, v) in &env {
                suite.add_property(Property::new(*k, v));
            }
            report.add_test_suite(suite);
        }
        if let Some(t) = report.test_suites.iter().filter_map(|s| s.timestamp).min() {
            report.set_timestamp(t);
        }
        let total: Duration = report.test_suites.iter().filter_map(|s| s.time).sum();
        report.set_time(total);
        let mut ours = Vec::new();
        j.finish(&mut ours, &env).unwrap();
        (
            String::from_utf8(ours).unwrap(),
            report.to_string().unwrap(),
        )
    }

    fn text() -> impl Strategy<Value = String> {
        "(\\PC|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}<>&'\"]|\\x1b\\[[0-9;]*m|é){0,40}"
    }

    fn attempt(kinds: &'static [Kind]) -> impl Strategy<Value = OwnedAttempt> {
        let opt = || proptest::option::of(text());
        (
            proptest::sample::select(kinds),
            (opt(), opt(), opt(), opt(), opt()),
            proptest::option::of(prop_oneof![
                -10_000_000_000_000_000i64..10_000_000_000_000_000,
                Just(i64::MAX),
                1_700_000_000_000_000i64..1_700_000_100_000_000,
            ]),
            (0u64..5000, 0u32..1000).prop_map(|(s, ms)| Duration::new(s, ms * 1_000_000)),
            prop_oneof![Just(0u32), Just(500), Just(499_000), 0u32..1_000_000],
        )
            .prop_map(|(kind, (message, ty, detail, out, err), start, time, ns)| {
                OwnedAttempt {
                    kind,
                    message,
                    ty,
                    detail,
                    start,
                    time: time + Duration::from_nanos(u64::from(ns)),
                    out,
                    err,
                }
            })
    }

    fn case() -> impl Strategy<Value = OwnedCase> {
        const ALL: &[Kind] = &[Kind::Passed, Kind::Failure, Kind::Error, Kind::Skipped];
        const FAILED: &[Kind] = &[Kind::Failure, Kind::Error];
        (
            text(),
            proptest::option::of(0u32..20),
            proptest::collection::vec(text(), 0..3).prop_map(Tags::from),
            attempt(ALL),
            proptest::collection::vec(attempt(FAILED), 0..3),
        )
            .prop_map(|(name, worker, tags, last, reruns)| {
                let reruns = if last.kind == Kind::Skipped {
                    Vec::new()
                } else {
                    reruns
                };
                OwnedCase {
                    name,
                    worker,
                    tags,
                    last,
                    reruns,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn cases_are_written_as_quick_junit_writes_them(
            suites in proptest::collection::vec(proptest::collection::vec(case(), 0..6), 0..4)
        ) {
            let (ours, quick) = both(&suites);
            prop_assert_eq!(ours, quick);
        }
    }

    #[test]
    fn seconds_and_timestamps_as_quick_junit_formats_them() {
        for (s, ns) in [
            (0, 0),
            (1, 500_000),
            (1, 999_500_000),
            (0, 1_500_000),
            (7, 2_499_999),
            (1 << 31, 500_000),
            ((1 << 30) - 1, 999_499_000),
            (12_345, 678_901_234),
        ] {
            let d = Duration::new(s, ns);
            let mut out = Vec::new();
            push_seconds(&mut out, d);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("{:.3}", d.as_secs_f64())
            );
        }
        let mut clock = Clock::default();
        for us in [
            0,
            1_714_564_800_123_456,
            1_714_564_800_999_999,
            1_714_651_199_000_000,
            -1,
            -1_000,
            -62_135_596_800_000_001,
            -62_135_596_800_000_000,
            253_402_300_799_999_999,
            253_402_300_800_000_000,
            1_714_564_800_123_456,
        ] {
            let mut out = Vec::new();
            assert!(clock.push(&mut out, us));
            let t = when(us).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                t.format(TIMESTAMP).to_string(),
                "{us}"
            );
        }
    }
}
