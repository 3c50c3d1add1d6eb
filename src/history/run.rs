//! One run as the history store takes it: facts about the run and one result
//! per test, named and deduplicated the way subunit2sql does so that the
//! store's rows match the ones subunit2sql writes for the same stream.

use rustc_hash::FxHashMap as HashMap;

use super::rolling::Outcome;

/// One test's result in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    /// subunit2sql's name: the id without its `[attrs]` part.
    pub name: String,
    /// The status word (`success`, `fail`, `skip`, `xfail`, …).
    pub status: String,
    /// Microseconds since the epoch.
    pub start: Option<i64>,
    pub stop: Option<i64>,
}

impl TestResult {
    /// Seconds between start and stop, `None` without both, as subunit2sql
    /// computes them: `"%d.%06d" % (whole seconds, microseconds)` of a
    /// Python `timedelta`, whose whole seconds are floored. For a stop
    /// before the start that reads -1.9 s for -0.1 s; the counters must
    /// agree with subunit2sql's, so the quirk is kept.
    pub fn duration(&self) -> Option<f64> {
        match (self.start, self.stop) {
            (Some(a), Some(b)) => Some(subunit2sql_seconds(b - a)),
            _ => None,
        }
    }

    pub fn outcome(&self) -> Outcome {
        Outcome::of(&self.status)
    }
}

/// subunit2sql's seconds for a span of `micros` microseconds (see
/// [`TestResult::duration`]). Each branch divides exact integers once, so
/// the double is the correctly rounded value of the decimal string Python
/// parses.
fn subunit2sql_seconds(micros: i64) -> f64 {
    let whole = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    if whole >= 0 {
        micros as f64 / 1e6
    } else {
        -(((-whole) * 1_000_000 + frac) as f64 / 1e6)
    }
}

/// A run ready to record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunInput {
    /// Stable identity: a 128-bit content hash of the provider and every
    /// result (name, status, start, stop) in order, as 32 hex digits.
    pub key: String,
    /// Which earlier runs this one is compared with ("previous run"): the
    /// CI job name when known, else the provider.
    pub job: String,
    /// `file_x`, `repo_x`, `stdin`.
    pub provider: String,
    pub description: String,
    /// `run_metadata` pairs: CI metadata and the repository run id.
    pub metadata: Vec<(String, String)>,
    /// Change/revision identity from CI metadata, for the same-revision
    /// flaky rule.
    pub revision: Option<String>,
    pub tests: Vec<TestResult>,
}

/// Run totals as subunit2sql counts them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Totals {
    pub passes: i64,
    pub fails: i64,
    pub skips: i64,
    pub run_time: f64,
}

impl RunInput {
    /// `runs.uuid`: the key laid out like a UUID (8-4-4-4-12).
    pub fn uuid(&self) -> String {
        let k = &self.key;
        if k.len() != 32 {
            return k.clone();
        }
        format!(
            "{}-{}-{}-{}-{}",
            &k[..8],
            &k[8..12],
            &k[12..16],
            &k[16..20],
            &k[20..]
        )
    }

    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for r in &self.tests {
            match r.status.as_str() {
                "success" => t.passes += 1,
                "fail" => t.fails += 1,
                "skip" => t.skips += 1,
                _ => {}
            }
            // subunit2sql sums in result order; the same order keeps the
            // same double.
            t.run_time += r.duration().unwrap_or(0.0);
        }
        t
    }

    /// A 32-bit hash of the revision (0: none), kept in the rolling window.
    pub fn revision_hash(&self) -> u32 {
        match &self.revision {
            None => 0,
            Some(r) => {
                let h = fnv1a128(&[r.as_bytes()]);
                ((h >> 96) as u32).max(1)
            }
        }
    }

    pub fn test(&self, name: &str) -> Option<&TestResult> {
        self.tests.iter().find(|t| t.name == name)
    }
}

/// Builds a [`RunInput`] from raw results in stream order.
#[derive(Debug, Clone, Default)]
pub struct RunBuilder {
    run: RunInput,
    index: HashMap<String, usize>,
}

impl RunBuilder {
    pub fn new(provider: &str, description: &str) -> Self {
        RunBuilder {
            run: RunInput {
                provider: provider.to_owned(),
                description: description.to_owned(),
                ..RunInput::default()
            },
            index: HashMap::default(),
        }
    }

    /// Adds a `run_metadata` pair. `revision` and `change_id` also make up
    /// the run's revision identity; `name` (the CI job) becomes its job.
    pub fn meta(&mut self, key: &str, value: &str) -> &mut Self {
        self.run.metadata.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Adds one test result. Like subunit2sql: `exists` results and the
    /// `process-returncode` pseudo test are left out, and a name seen again
    /// replaces the earlier result in its first position.
    pub fn push(&mut self, id: &str, status: &str, start: Option<i64>, stop: Option<i64>) {
        self.add(id, status, start, stop);
    }

    /// [`push`](Self::push), returning the test's name when it is new in
    /// this run.
    pub fn add(
        &mut self,
        id: &str,
        status: &str,
        start: Option<i64>,
        stop: Option<i64>,
    ) -> Option<&str> {
        if status == "exists" {
            return None;
        }
        let name = test_name(id);
        let name: &str = &name;
        if name == "process-returncode" {
            return None;
        }
        let result = TestResult {
            name: name.to_owned(),
            status: status.to_owned(),
            start,
            stop,
        };
        match self.index.get(name) {
            Some(&i) => {
                self.run.tests[i] = result;
                None
            }
            None => {
                self.index.insert(name.to_owned(), self.run.tests.len());
                self.run.tests.push(result);
                self.run.tests.last().map(|t| t.name.as_str())
            }
        }
    }

    /// The run's job (see [`RunInput::job`]) from the metadata given so far.
    pub fn job(&self) -> String {
        self.meta_value("name")
            .unwrap_or_else(|| self.run.provider.clone())
    }

    fn meta_value(&self, k: &str) -> Option<String> {
        self.run
            .metadata
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    }

    pub fn finish(mut self) -> RunInput {
        let get = |k: &str| self.meta_value(k);
        let job = self.job();
        let revision = match (get("change_id"), get("revision")) {
            (None, None) => None,
            (c, r) => Some(format!(
                "{}/{}",
                c.unwrap_or_default(),
                r.unwrap_or_default()
            )),
        };
        self.run.job = job;
        self.run.revision = revision;
        self.run.key = run_key(&self.run);
        self.run
    }
}

/// The longest test name a store keeps, in characters: subunit2sql's
/// `tests.test_id` is `VARCHAR(256)`, which a server enforces.
pub const MAX_TEST_NAME: usize = 256;

/// The name a store keeps for test `id`: [`subunit2sql_name`], shortened
/// by [`shortened`] past [`MAX_TEST_NAME`] characters.
pub fn test_name(id: &str) -> std::borrow::Cow<'_, str> {
    let name = subunit2sql_name(id);
    match shortened(&name) {
        Some(short) => std::borrow::Cow::Owned(short),
        None => name,
    }
}

/// A name longer than [`MAX_TEST_NAME`] characters as a store keeps it:
/// its first characters, `#` and 16 hex digits of a hash of the whole name
/// ([`MAX_TEST_NAME`] characters in all), so that long names that differ
/// only at the end stay apart and every store and version agree. `None`
/// when the name fits.
pub fn shortened(name: &str) -> Option<String> {
    name.char_indices().nth(MAX_TEST_NAME)?;
    let keep = name
        .char_indices()
        .nth(MAX_TEST_NAME - 17)
        .map_or(name.len(), |(i, _)| i);
    let hash = fnv1a128(&[name.as_bytes()]) as u64;
    Some(format!("{}#{hash:016x}", &name[..keep]))
}

/// subunit2sql's test name: the id with the first `[…]` group (from the
/// first `[` to the last `]` on that line) removed, unless the id starts
/// with it.
pub fn subunit2sql_name(id: &str) -> std::borrow::Cow<'_, str> {
    match attr_span(id) {
        Some((start, end)) if start > 0 => {
            std::borrow::Cow::Owned(format!("{}{}", &id[..start], &id[end..]))
        }
        _ => std::borrow::Cow::Borrowed(id),
    }
}

/// The byte span of the leftmost `\[(.*)\]` match (`.` stops at newlines).
fn attr_span(id: &str) -> Option<(usize, usize)> {
    let mut line_start = 0;
    for line in id.split('\n') {
        if let Some(open) = line.find('[') {
            if let Some(close) = line.rfind(']') {
                if close > open {
                    return Some((line_start + open, line_start + close + 1));
                }
            }
        }
        line_start += line.len() + 1;
    }
    None
}

fn run_key(run: &RunInput) -> String {
    let mut parts: Vec<&[u8]> = vec![b"stackviz-run-1", run.provider.as_bytes()];
    let mut nums = Vec::with_capacity(run.tests.len());
    for t in &run.tests {
        nums.push([
            t.start.unwrap_or(i64::MIN).to_le_bytes(),
            t.stop.unwrap_or(i64::MIN).to_le_bytes(),
        ]);
    }
    for (t, n) in run.tests.iter().zip(&nums) {
        parts.push(t.name.as_bytes());
        parts.push(t.status.as_bytes());
        parts.push(&n[0]);
        parts.push(&n[1]);
    }
    format!("{:032x}", fnv1a128(&parts))
}

/// FNV-1a, 128 bits: fixed by its definition, so keys stay stable across
/// versions and platforms. Each part is followed by its length, so part
/// boundaries count.
pub fn fnv1a128(parts: &[&[u8]]) -> u128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut h = OFFSET;
    let mut eat = |b: u8| {
        h ^= u128::from(b);
        h = h.wrapping_mul(PRIME);
    };
    for p in parts {
        p.iter().for_each(|&b| eat(b));
        (p.len() as u64).to_le_bytes().iter().for_each(|&b| eat(b));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_kept_short_and_apart() {
        let fits = "a".repeat(MAX_TEST_NAME);
        assert_eq!(test_name(&fits), fits);
        let long_a = format!("{}a", "é".repeat(300));
        let long_b = format!("{}b", "é".repeat(300));
        let (a, b) = (test_name(&long_a), test_name(&long_b));
        assert_eq!(a.chars().count(), MAX_TEST_NAME);
        assert_ne!(a, b, "names that differ only at the end");
        assert!(a.starts_with(&"é".repeat(MAX_TEST_NAME - 17)), "{a}");
        assert_eq!(test_name(&long_a), a, "the same every time");
        // The attributes go first, as subunit2sql does.
        assert_eq!(test_name(&format!("t.x[{}]", "y".repeat(400))), "t.x");
    }

    #[test]
    fn names_like_subunit2sql() {
        assert_eq!(subunit2sql_name("a.b.test_x[id-1,smoke]"), "a.b.test_x");
        assert_eq!(subunit2sql_name("a.test[x](y)[z]"), "a.test");
        assert_eq!(subunit2sql_name("[only]"), "[only]");
        assert_eq!(subunit2sql_name("plain"), "plain");
        assert_eq!(subunit2sql_name("a[x\n]b[c]"), "a[x\n]b");
        assert_eq!(subunit2sql_name("a]b[c"), "a]b[c");
    }

    #[test]
    fn fnv_known_values() {
        // FNV-1a 128 of the empty input is the offset basis.
        assert_eq!(fnv1a128(&[]), 0x6c62272e07bb014262b821756295c58d);
        assert_ne!(fnv1a128(&[b"ab", b"c"]), fnv1a128(&[b"a", b"bc"]));
    }

    #[test]
    fn builder_dedupes_and_keys() {
        let mut b = RunBuilder::new("file_x", "Subunit File: x");
        b.push("t.one[a]", "fail", Some(1), Some(2));
        b.push("t.two", "exists", None, None);
        b.push("process-returncode", "fail", None, None);
        b.push("t.two", "success", Some(3), Some(1_500_003));
        b.push("t.one", "success", Some(5), Some(6));
        b.meta("name", "job-a").meta("revision", "abc");
        let run = b.finish();
        let names: Vec<&str> = run.tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["t.one", "t.two"]);
        assert_eq!(run.tests[0].status, "success");
        assert_eq!(run.job, "job-a");
        assert_eq!(run.revision.as_deref(), Some("/abc"));
        assert_eq!(run.key.len(), 32);
        assert_eq!(run.uuid().len(), 36);
        let t = run.totals();
        assert_eq!((t.passes, t.fails, t.skips), (2, 0, 0));
        assert!((t.run_time - 1.500001).abs() < 1e-12);
        // A stop 0.077963 s before the start: timedelta(-1, 86399, 922037),
        // which subunit2sql prints as "-1.922037".
        assert_eq!(subunit2sql_seconds(-77_963), -1.922037);
        assert_eq!(subunit2sql_seconds(-2_000_000), -2.0);
        assert_eq!(subunit2sql_seconds(1_500_001), 1.500001);
        assert_eq!(subunit2sql_seconds(0), 0.0);
        // Same content, same key; another provider, another key.
        let mut b2 = RunBuilder::new("file_x", "other description");
        b2.push("t.one", "success", Some(5), Some(6));
        b2.push("t.two", "success", Some(3), Some(1_500_003));
        assert_eq!(b2.finish().key, run.key);
        let mut b3 = RunBuilder::new("file_y", "Subunit File: x");
        b3.push("t.one", "success", Some(5), Some(6));
        b3.push("t.two", "success", Some(3), Some(1_500_003));
        assert_ne!(b3.finish().key, run.key);
    }
}
