//! The console summary: per stream the counts, wall time and summed test
//! time; the first failing tests with their one-line reason; the slowest
//! tests. Collected from the same entries as every other output and
//! rendered by the caller (the library never prints).

use std::fmt::Write as _;
use std::sync::Arc;

use super::side::{self, Annotator, Outcome};
use crate::model::entry::Entry;

/// Failing tests listed in the summary; the rest are counted.
pub const MAX_FAILURES: usize = 20;
/// Slowest tests listed.
pub const MAX_SLOWEST: usize = 5;
/// Longest reason printed, in bytes.
const REASON_WIDTH: usize = 200;

/// Tests per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// `success`
    pub passed: u64,
    /// `fail`
    pub failed: u64,
    /// `uxsuccess`: passed although expected to fail
    pub uxsuccess: u64,
    /// `skip`
    pub skipped: u64,
    /// `xfail`: failed as expected
    pub xfail: u64,
    /// No final status: hung, cut off, or only listed.
    pub unfinished: u64,
}

impl Counts {
    /// Counts one test.
    pub fn add(&mut self, o: Outcome) {
        *match o {
            Outcome::Passed => &mut self.passed,
            Outcome::Failed => &mut self.failed,
            Outcome::UxSuccess => &mut self.uxsuccess,
            Outcome::Skipped => &mut self.skipped,
            Outcome::XFail => &mut self.xfail,
            Outcome::Unfinished => &mut self.unfinished,
        } += 1;
    }

    /// All tests.
    pub fn total(&self) -> u64 {
        self.passed + self.failed + self.uxsuccess + self.skipped + self.xfail + self.unfinished
    }

    /// Failed plus unexpectedly succeeded: what `--exit-code` counts.
    pub fn failures(&self) -> u64 {
        self.failed + self.uxsuccess
    }

    /// Neither passed, failed nor skipped.
    pub fn other(&self) -> u64 {
        self.xfail + self.unfinished
    }

    /// Adds another set of counts.
    pub fn merge(&mut self, o: &Counts) {
        self.passed += o.passed;
        self.failed += o.failed;
        self.uxsuccess += o.uxsuccess;
        self.skipped += o.skipped;
        self.xfail += o.xfail;
        self.unfinished += o.unfinished;
    }
}

/// One stream's line.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamLine {
    pub name: String,
    pub counts: Counts,
    /// Seconds from the first test's start to the last test's end.
    pub wall: Option<f64>,
    /// Sum of the tests' durations, in seconds.
    pub test_time: f64,
}

/// A failing test as the summary lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    pub name: String,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub note: Option<String>,
}

/// A slow test.
#[derive(Debug, Clone, PartialEq)]
pub struct Slow {
    pub name: String,
    pub duration: f64,
    pub note: Option<String>,
}

/// Everything the summary and the exit status need.
#[derive(Default)]
pub struct Results {
    /// One line per stream, in export order.
    pub streams: Vec<StreamLine>,
    /// The first `MAX_FAILURES` (20) failing tests.
    pub failures: Vec<Failed>,
    /// Failures past `MAX_FAILURES`, not listed.
    pub more_failures: u64,
    /// Longest first.
    pub slowest: Vec<Slow>,
    annotator: Option<Arc<dyn Annotator>>,
    current: Option<(String, Counts, f64)>,
}

impl std::fmt::Debug for Results {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Results")
            .field("streams", &self.streams)
            .field("failures", &self.failures)
            .field("more_failures", &self.more_failures)
            .field("slowest", &self.slowest)
            .finish()
    }
}

impl Results {
    /// Empty results; `annotator` adds notes to listed tests.
    pub fn new(annotator: Option<Arc<dyn Annotator>>) -> Results {
        Results {
            annotator,
            ..Results::default()
        }
    }

    /// Starts the stream called `name`.
    pub fn begin_stream(&mut self, name: &str) {
        self.current = Some((name.to_owned(), Counts::default(), 0.0));
    }

    /// Counts one test entry.
    pub fn entry(&mut self, e: &Entry) {
        let outcome = Outcome::of(e.status);
        let Some((stream, counts, time)) = &mut self.current else {
            return;
        };
        counts.add(outcome);
        *time += e.duration;
        let note =
            |a: &Option<Arc<dyn Annotator>>| a.as_ref().and_then(|a| a.annotate(stream, &e.id));
        if outcome.is_failure() {
            if self.failures.len() < MAX_FAILURES {
                let reason = match outcome {
                    Outcome::UxSuccess => Some("unexpected success".to_owned()),
                    _ => side::reason(e).map(|r| side::head(r, REASON_WIDTH).to_owned()),
                };
                self.failures.push(Failed {
                    name: side::report_name(e).to_owned(),
                    outcome,
                    reason,
                    note: note(&self.annotator),
                });
            } else {
                self.more_failures += 1;
            }
        }
        let slow_enough = self.slowest.len() < MAX_SLOWEST
            || self.slowest.last().is_some_and(|s| e.duration > s.duration);
        if slow_enough && e.duration > 0.0 {
            let at = self.slowest.partition_point(|s| s.duration >= e.duration);
            self.slowest.insert(
                at,
                Slow {
                    name: side::report_name(e).to_owned(),
                    duration: e.duration,
                    note: note(&self.annotator),
                },
            );
            self.slowest.truncate(MAX_SLOWEST);
        }
    }

    /// `start`/`end`: the stream's first start and last end (µs).
    pub fn end_stream(&mut self, start: Option<i64>, end: Option<i64>) {
        if let Some((name, counts, test_time)) = self.current.take() {
            let wall = match (start, end) {
                (Some(s), Some(e)) if e >= s => Some((e - s) as f64 / 1e6),
                _ => None,
            };
            self.streams.push(StreamLine {
                name,
                counts,
                wall,
                test_time,
            });
        }
    }

    /// All streams together.
    pub fn totals(&self) -> Counts {
        let mut c = Counts::default();
        for s in &self.streams {
            c.merge(&s.counts);
        }
        c
    }

    /// What `--exit-code` turns into status 3: a failed or unexpectedly
    /// successful test, or no test at all.
    pub fn should_fail(&self) -> bool {
        let t = self.totals();
        t.failures() > 0 || t.total() == 0
    }

    /// The summary text, with ANSI colours when `colour` is set. Test names
    /// and reasons are untrusted: control characters are escaped.
    pub fn render(&self, colour: bool) -> String {
        let paint = |code: &str, text: &str| {
            if colour {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_owned()
            }
        };
        let mut out = String::new();
        for s in &self.streams {
            let c = &s.counts;
            let failed = format!("{} failed", c.failures());
            let failed = if c.failures() > 0 {
                paint("1;31", &failed)
            } else {
                failed
            };
            let passed = paint("32", &format!("{} passed", c.passed));
            let skipped = if c.skipped > 0 {
                paint("33", &format!("{} skipped", c.skipped))
            } else {
                "0 skipped".to_owned()
            };
            let mut other = format!("{} other", c.other());
            let parts: Vec<String> = [(c.xfail, "expected failure"), (c.unfinished, "unfinished")]
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, what)| format!("{n} {what}"))
                .collect();
            if !parts.is_empty() {
                let _ = write!(other, " ({})", parts.join(", "));
            }
            let wall = s.wall.map_or("no timestamps".to_owned(), |w| {
                format!("{} wall", seconds(w))
            });
            let _ = writeln!(
                out,
                "{}: {} tests: {passed}, {failed}, {skipped}, {other}; {wall}, {} in tests",
                clean(&s.name),
                c.total(),
                seconds(s.test_time)
            );
            if c.uxsuccess > 0 {
                let _ = writeln!(
                    out,
                    "  ({} of the failed succeeded unexpectedly)",
                    c.uxsuccess
                );
            }
        }
        if !self.failures.is_empty() {
            let total = self.failures.len() as u64 + self.more_failures;
            let _ = writeln!(out, "{}", paint("1", &format!("Failed tests ({total}):")));
            for f in &self.failures {
                let mark = paint("31", "FAIL");
                let _ = write!(out, "  {mark} {}", clean(&f.name));
                if let Some(n) = &f.note {
                    let _ = write!(out, " [{}]", clean(n));
                }
                if let Some(r) = &f.reason {
                    let _ = write!(out, ": {}", clean(r));
                }
                out.push('\n');
            }
            if self.more_failures > 0 {
                let _ = writeln!(out, "  … and {} more", self.more_failures);
            }
        }
        if !self.slowest.is_empty() {
            let _ = writeln!(out, "{}", paint("1", "Slowest tests:"));
            for s in &self.slowest {
                let _ = write!(out, "  {:>9}  {}", seconds(s.duration), clean(&s.name));
                if let Some(n) = &s.note {
                    let _ = write!(out, " [{}]", clean(n));
                }
                out.push('\n');
            }
        }
        out
    }
}

/// `0.12s`, `12.3s`, `2m 05s`, `1h 02m 03s`.
pub fn seconds(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return "?".into();
    }
    if s < 10.0 {
        return format!("{s:.2}s");
    }
    if s < 60.0 {
        return format!("{s:.1}s");
    }
    let t = s.round() as u64;
    if t < 3600 {
        format!("{}m {:02}s", t / 60, t % 60)
    } else {
        format!("{}h {:02}m {:02}s", t / 3600, t / 60 % 60, t % 60)
    }
}

/// Escapes control characters so that a test name cannot move the cursor
/// or change colours on the terminal.
fn clean(text: &str) -> String {
    text.chars()
        .flat_map(|c| -> Box<dyn Iterator<Item = char>> {
            if c.is_control() {
                Box::new(c.escape_default())
            } else {
                Box::new(std::iter::once(c))
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::entry::TestStatus;

    /// A test entry with status word `status` on worker 0.
    pub(crate) fn entry(name: &str, status: &str, duration: f64, tb: Option<&str>) -> Entry {
        let status = [
            TestStatus::Success,
            TestStatus::Fail,
            TestStatus::Skip,
            TestStatus::XFail,
            TestStatus::UxSuccess,
            TestStatus::Exists,
            TestStatus::InProgress,
            TestStatus::Unknown,
        ]
        .into_iter()
        .find(|s| s.as_str() == status)
        .expect("a status word");
        Entry {
            id: name.to_owned(),
            name: name.to_owned(),
            status,
            tags: ["worker-0".to_owned()].into(),
            start: Some(1_000_000),
            end: Some(1_000_000 + (duration * 1e6) as i64),
            duration,
            details: tb
                .map(|t| vec![("traceback".to_owned(), t.to_owned())])
                .unwrap_or_default(),
            details_json: Vec::new(),
            spooled: Vec::new(),
        }
    }

    struct Flaky;
    impl Annotator for Flaky {
        fn annotate(&self, _: &str, id: &str) -> Option<String> {
            (id == "a.T.test_fail").then(|| "flaky".to_owned())
        }
    }

    #[test]
    fn counts_failures_slowest_and_render() {
        let mut r = Results::new(Some(Arc::new(Flaky)));
        r.begin_stream("Subunit File: x");
        let tb =
            "Traceback (most recent call last):\n  File \"t\", line 1\nAssertionError: 1 != 2\n";
        r.entry(&entry("a.T.test_fail", "fail", 3.0, Some(tb)));
        r.entry(&entry("a.T.test_ok", "success", 12.5, None));
        r.entry(&entry("a.T.test_ux", "uxsuccess", 0.5, None));
        r.entry(&entry("a.T.test_skip", "skip", 0.0, None));
        r.entry(&entry("a.T.test_xf", "xfail", 0.1, None));
        r.entry(&entry("a.T.test_hung\x1b[2J", "inprogress", 0.0, None));
        r.end_stream(Some(0), Some(75_000_000));
        let t = r.totals();
        assert_eq!(
            (t.passed, t.failures(), t.skipped, t.other(), t.total()),
            (1, 2, 1, 2, 6)
        );
        assert!(r.should_fail());
        assert_eq!(
            r.slowest.iter().map(|s| s.duration).collect::<Vec<_>>(),
            [12.5, 3.0, 0.5, 0.1]
        );
        let text = r.render(false);
        assert!(text.starts_with("Subunit File: x: 6 tests: 1 passed, 2 failed, 1 skipped, 2 other (1 expected failure, 1 unfinished); 1m 15s wall, 16.1s in tests\n"), "{text}");
        assert!(
            text.contains("  FAIL a.T.test_fail [flaky]: AssertionError: 1 != 2\n"),
            "{text}"
        );
        assert!(
            text.contains("  FAIL a.T.test_ux: unexpected success\n"),
            "{text}"
        );
        assert!(text.contains("      12.5s  a.T.test_ok\n"), "{text}");
        assert!(!text.contains('\x1b'));
        assert!(r.render(true).contains("\x1b[1;31m2 failed\x1b[0m"));
    }

    #[test]
    fn failure_list_is_capped_and_no_tests_fails() {
        let mut r = Results::new(None);
        assert!(r.should_fail(), "no stream at all");
        r.begin_stream("s");
        r.end_stream(None, None);
        assert!(r.should_fail(), "no test ran");
        r.begin_stream("s");
        for i in 0..25 {
            r.entry(&entry(&format!("t{i}"), "fail", 0.0, None));
        }
        r.end_stream(None, None);
        assert_eq!((r.failures.len(), r.more_failures), (MAX_FAILURES, 5));
        assert!(r.render(false).contains("Failed tests (25):"));
        assert!(r.render(false).contains("  … and 5 more\n"));
        assert!(r.render(false).contains("no timestamps"));
        let mut ok = Results::new(None);
        ok.begin_stream("s");
        ok.entry(&entry("t", "success", 1.0, None));
        ok.entry(&entry("s", "skip", 1.0, None));
        ok.end_stream(None, None);
        assert!(!ok.should_fail());
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(seconds(0.123), "0.12s");
        assert_eq!(seconds(12.34), "12.3s");
        assert_eq!(seconds(125.0), "2m 05s");
        assert_eq!(seconds(3723.0), "1h 02m 03s");
    }
}
