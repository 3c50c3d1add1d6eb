//! What the store keeps per test, updated on every insert so that history is
//! read from one row per test, never from the test-run rows:
//! subunit2sql's counters (`tests` columns) and a rolling window of the last
//! [`KEEP`] outcomes (`stackviz_test_summary`).

use super::run::TestResult;
use super::RowId;

/// How many recent outcomes the store keeps per test; the classification
/// window (`--history-window`) can be at most this.
pub const KEEP: usize = 20;

/// A status reduced to what the history rules need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// `success`, `xfail`.
    Pass,
    /// `fail`, `uxsuccess`.
    Fail,
    /// `skip`: the test did not run.
    Skip,
    /// Anything else (`inprogress`, `unknown`): no verdict.
    Other,
}

impl Outcome {
    pub fn of(status: &str) -> Outcome {
        match status {
            "success" | "xfail" => Outcome::Pass,
            "fail" | "uxsuccess" => Outcome::Fail,
            "skip" => Outcome::Skip,
            _ => Outcome::Other,
        }
    }

    /// Whether the test ran to a verdict.
    pub fn ran(self) -> bool {
        matches!(self, Outcome::Pass | Outcome::Fail)
    }
}

/// The `tests` row counters, kept exactly as subunit2sql keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Counters {
    pub run_count: i64,
    pub success: i64,
    pub failure: i64,
    /// Seconds: a running mean over successes (the first run's duration
    /// whatever its status, until a success comes).
    pub run_time: Option<f64>,
}

impl Counters {
    /// A test seen for the first time.
    pub fn first(status: &str, duration: Option<f64>) -> Counters {
        let (success, failure) = match status {
            "success" => (1, 0),
            "fail" => (0, 1),
            _ => (0, 0),
        };
        Counters {
            run_count: success + failure,
            success,
            failure,
            run_time: duration,
        }
    }

    /// A later run. Statuses other than success and fail change nothing
    /// (subunit2sql leaves skips out and stops at the others).
    pub fn apply(&mut self, status: &str, duration: Option<f64>) {
        match status {
            "success" => {
                let n = self.success as f64;
                self.run_time = match (self.run_time, duration) {
                    (Some(avg), Some(d)) => Some((n * avg + d) / (n + 1.0)),
                    (None, d) => d,
                    (avg, None) => avg,
                };
                self.run_count += 1;
                self.success += 1;
            }
            "fail" => {
                self.run_count += 1;
                self.failure += 1;
            }
            _ => {}
        }
    }
}

/// One recent outcome of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recent {
    /// `runs.id` of the run.
    pub run: RowId,
    /// `Pass` or `Fail`.
    pub outcome: Outcome,
    /// Duration in microseconds, when known.
    pub micros: Option<i64>,
    /// Hash of the run's change/revision (0: none).
    pub revision: u32,
}

impl Recent {
    pub fn seconds(&self) -> Option<f64> {
        self.micros.map(|m| m as f64 / 1e6)
    }
}

/// The per-test rolling summary (`stackviz_test_summary`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rolling {
    /// Runs where it ran (passed or failed), over the whole store.
    pub runs: i64,
    /// Of those, failures.
    pub failures: i64,
    /// The last status word, whatever it was (skips too).
    pub last_status: Option<String>,
    /// `runs.id` of the last run that had the test.
    pub last_run: Option<RowId>,
    /// The last [`KEEP`] runs where it ran, oldest first.
    pub recent: Vec<Recent>,
}

impl Rolling {
    /// Adds a run's result.
    pub fn push(&mut self, run: RowId, result: &TestResult, revision: u32) {
        self.last_status = Some(result.status.clone());
        self.last_run = Some(run);
        let outcome = result.outcome();
        if !outcome.ran() {
            return;
        }
        self.runs += 1;
        if outcome == Outcome::Fail {
            self.failures += 1;
        }
        let micros = match (result.start, result.stop) {
            (Some(a), Some(b)) if b >= a => Some(b - a),
            _ => None,
        };
        self.recent.push(Recent {
            run,
            outcome,
            micros,
            revision,
        });
        if self.recent.len() > KEEP {
            let extra = self.recent.len() - KEEP;
            self.recent.drain(..extra);
        }
    }

    /// The summary as it was before `run` (and any later run) was added, as
    /// far as the window still shows it.
    pub fn before(&self, run: RowId) -> Rolling {
        let mut r = self.clone();
        while let Some(last) = r.recent.last() {
            if last.run < run {
                break;
            }
            r.runs -= 1;
            if last.outcome == Outcome::Fail {
                r.failures -= 1;
            }
            r.recent.pop();
        }
        if r.last_run.is_some_and(|l| l >= run) {
            r.last_run = r.recent.last().map(|l| l.run);
            r.last_status = r.recent.last().map(|l| {
                match l.outcome {
                    Outcome::Fail => "fail",
                    _ => "success",
                }
                .to_owned()
            });
        }
        r
    }

    /// The last `n` recent outcomes, oldest first.
    pub fn last(&self, n: usize) -> &[Recent] {
        &self.recent[self.recent.len().saturating_sub(n)..]
    }

    /// Median and median absolute deviation (seconds) of the passing
    /// durations among the last `n` outcomes, with the sample count.
    /// Works on the stack: it runs for every test of every export.
    pub fn pass_stats(&self, n: usize) -> Option<(f64, f64, usize)> {
        let mut d = [0f64; KEEP];
        let mut len = 0;
        for s in self
            .last(n.min(KEEP))
            .iter()
            .filter(|r| r.outcome == Outcome::Pass)
            .filter_map(Recent::seconds)
        {
            d[len] = s;
            len += 1;
        }
        if len == 0 {
            return None;
        }
        let d = &mut d[..len];
        let m = median(d);
        let mut dev = [0f64; KEEP];
        for (x, y) in d.iter().zip(dev.iter_mut()) {
            *y = (x - m).abs();
        }
        Some((m, median(&mut dev[..len]), len))
    }

    /// Encodes `recent` for the `recent` column: a version byte, then per
    /// outcome LEB128 varints (run id, duration + 1 or 0, revision) and an
    /// outcome byte.
    pub fn encode_recent(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.recent.len() * 10);
        self.encode_recent_into(&mut out);
        out
    }

    /// [`encode_recent`](Self::encode_recent), appended to `out`.
    pub fn encode_recent_into(&self, out: &mut Vec<u8>) {
        out.push(1);
        for r in &self.recent {
            put_varint(out, r.run as u64);
            out.push(match r.outcome {
                Outcome::Fail => b'F',
                _ => b'P',
            });
            put_varint(out, r.micros.map_or(0, |m| m as u64 + 1));
            put_varint(out, u64::from(r.revision));
        }
    }

    /// Reads what [`encode_recent`](Self::encode_recent) wrote.
    pub fn decode_recent(bytes: &[u8]) -> Option<Vec<Recent>> {
        let (&version, mut rest) = bytes.split_first()?;
        if version != 1 {
            return None;
        }
        let mut out = Vec::new();
        while !rest.is_empty() {
            let run = get_varint(&mut rest)? as i64;
            let (&o, r) = rest.split_first()?;
            rest = r;
            let outcome = match o {
                b'F' => Outcome::Fail,
                b'P' => Outcome::Pass,
                _ => return None,
            };
            let micros = match get_varint(&mut rest)? {
                0 => None,
                m => Some((m - 1) as i64),
            };
            let revision = u32::try_from(get_varint(&mut rest)?).ok()?;
            out.push(Recent {
                run,
                outcome,
                micros,
                revision,
            });
        }
        Some(out)
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(rest: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, r) = rest.split_first()?;
        *rest = r;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(status: &str, micros: i64) -> TestResult {
        TestResult {
            name: "t".into(),
            status: status.into(),
            start: Some(1_000),
            stop: Some(1_000 + micros),
        }
    }

    #[test]
    fn counters_follow_subunit2sql() {
        let mut c = Counters::first("fail", Some(2.0));
        assert_eq!((c.run_count, c.success, c.failure), (1, 0, 1));
        assert_eq!(c.run_time, Some(2.0));
        c.apply("success", Some(4.0));
        // Mean over successes only: (0 * 2.0 + 4.0) / 1.
        assert_eq!(c.run_time, Some(4.0));
        c.apply("success", Some(1.0));
        assert_eq!(c.run_time, Some(2.5));
        c.apply("skip", Some(9.0));
        c.apply("xfail", Some(9.0));
        assert_eq!((c.run_count, c.success, c.failure), (3, 2, 1));
        let s = Counters::first("skip", None);
        assert_eq!((s.run_count, s.run_time), (0, None));
    }

    #[test]
    fn window_keeps_last_and_round_trips() {
        let mut r = Rolling::default();
        for i in 0..25 {
            let st = if i % 5 == 0 { "fail" } else { "success" };
            r.push(i, &res(st, 1_000_000 + i), 7);
        }
        r.push(25, &res("skip", 5), 7);
        assert_eq!(r.runs, 25);
        assert_eq!(r.failures, 5);
        assert_eq!(r.recent.len(), KEEP);
        assert_eq!(r.recent[0].run, 5);
        assert_eq!(r.last_status.as_deref(), Some("skip"));
        let back = Rolling::decode_recent(&r.encode_recent()).unwrap();
        assert_eq!(back, r.recent);
        assert_eq!(Rolling::decode_recent(&[2]), None);
        assert_eq!(Rolling::decode_recent(&[1, 0x80]), None);
        let b = r.before(23);
        assert_eq!(b.recent.last().unwrap().run, 22);
        assert_eq!((b.runs, b.failures), (23, 5));
        assert_eq!(b.last_run, Some(22));
    }

    #[test]
    fn median_and_mad() {
        let mut r = Rolling::default();
        for (i, s) in [1.0, 2.0, 3.0, 4.0, 100.0].iter().enumerate() {
            r.push(i as i64, &res("success", (*s * 1e6) as i64), 0);
        }
        r.push(9, &res("fail", 500_000_000), 0);
        let (m, mad, n) = r.pass_stats(10).unwrap();
        assert_eq!((m, mad, n), (3.0, 1.0, 5));
        let (m, _, n) = r.pass_stats(2).unwrap();
        assert_eq!((m, n), (100.0, 1));
    }
}
