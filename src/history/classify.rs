//! The history rules, independent of any store: given a run and what was
//! known before it, mark each test.
//!
//! - A failing test is **flaky** when its outcomes over the last
//!   `window` runs where it ran (this one included) flip between pass and
//!   fail at least `flaky_flips` times, or (with `same_revision`) when it
//!   passed earlier on the same change/revision. A test that fails every
//!   time never flips, so it is never flaky. Otherwise it is **new** when
//!   it passed the last time it ran (or never ran before) and **known**
//!   when it failed then too.
//! - A passing test is **slower** when its duration exceeds the median of
//!   its passing durations over the last `window` runs by more than
//!   `slower_mads` median absolute deviations *and* by at least
//!   `slower_min_secs` seconds.
//! - **fixed**: passes now, failed the last time it ran.
//! - **added** / **removed**: in this run but not in the previous run of
//!   the same job, or the other way round.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::rolling::{Outcome, Recent, Rolling};
use super::run::RunInput;
use super::RowId;

/// The switches of the rules, with their documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Runs looked at per test (default 10, at most `rolling::KEEP`).
    pub window: usize,
    /// Pass/fail flips within the window that make a failure flaky
    /// (default 2: pass, fail, pass … or fail, pass, fail …).
    pub flaky_flips: usize,
    /// Also flaky: passed before on the same change/revision (default off).
    pub same_revision: bool,
    /// Median absolute deviations above the median (default 3).
    pub slower_mads: f64,
    /// Seconds above the median, at least (default 0.5).
    pub slower_min_secs: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            window: 10,
            flaky_flips: 2,
            same_revision: false,
            slower_mads: 3.0,
            slower_min_secs: 0.5,
        }
    }
}

/// The run a run is compared with for added/removed.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousRun {
    pub id: RowId,
    pub uuid: String,
    pub description: String,
    /// Test names and statuses.
    pub tests: Vec<(String, String)>,
}

/// What was known before a run: the previous run of its job and each
/// known test's rolling summary (by name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prior {
    pub previous: Option<PreviousRun>,
    pub tests: HashMap<String, Rolling>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    New,
    Known,
    Flaky,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::New => "new",
            FailureKind::Known => "known",
            FailureKind::Flaky => "flaky",
        }
    }
}

/// A test that got slower.
#[derive(Debug, Clone, PartialEq)]
pub struct Slower {
    pub name: String,
    pub seconds: f64,
    pub median: f64,
    /// `seconds / median` (infinite when the median is 0).
    pub factor: f64,
}

/// The history marks of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marks {
    /// Failing tests in run order, each with its kind.
    pub failures: Vec<(String, FailureKind)>,
    pub slower: Vec<Slower>,
    pub fixed: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// The run compared with for added/removed, when there was one.
    pub previous: Option<String>,
    /// Per test: its last `window - 1` earlier outcomes, oldest first (the
    /// history strip; this run's own result is not in it).
    pub strips: HashMap<String, Vec<Recent>>,
}

impl Marks {
    pub fn failure_kind(&self, name: &str) -> Option<FailureKind> {
        self.failures
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, k)| *k)
    }

    pub fn of_kind(&self, kind: FailureKind) -> impl Iterator<Item = &str> {
        self.failures
            .iter()
            .filter(move |(_, k)| *k == kind)
            .map(|(n, _)| n.as_str())
    }
}

/// Marks `run` against `prior` under `rules`.
pub fn classify(run: &RunInput, prior: &Prior, rules: &Rules) -> Marks {
    let window = rules.window.max(1);
    let revision = run.revision_hash();
    let mut marks = Marks {
        previous: prior
            .previous
            .as_ref()
            .map(|p| format!("{} ({})", p.description, p.uuid)),
        strips: HashMap::with_capacity_and_hasher(run.tests.len(), Default::default()),
        ..Marks::default()
    };
    for t in &run.tests {
        let outcome = t.outcome();
        let history = prior.tests.get(&t.name);
        let earlier: &[Recent] = history.map_or(&[], |h| h.last(window - 1));
        if !earlier.is_empty() {
            marks.strips.insert(t.name.clone(), earlier.to_vec());
        }
        let last = earlier.last().map(|r| r.outcome);
        match outcome {
            Outcome::Fail => {
                let flips = earlier
                    .iter()
                    .map(|r| r.outcome)
                    .chain(std::iter::once(outcome))
                    .fold((0, None), |(n, prev), o| {
                        (n + usize::from(prev.is_some_and(|p| p != o)), Some(o))
                    })
                    .0;
                let same_rev_pass = rules.same_revision
                    && revision != 0
                    && history.is_some_and(|h| {
                        h.last(window - 1)
                            .iter()
                            .any(|r| r.revision == revision && r.outcome == Outcome::Pass)
                    });
                let kind = if flips >= rules.flaky_flips.max(1) || same_rev_pass {
                    FailureKind::Flaky
                } else if last == Some(Outcome::Fail) {
                    FailureKind::Known
                } else {
                    FailureKind::New
                };
                marks.failures.push((t.name.clone(), kind));
            }
            Outcome::Pass => {
                if last == Some(Outcome::Fail) {
                    marks.fixed.push(t.name.clone());
                }
                if let (Some(h), Some(d)) = (history, t.duration()) {
                    if let Some((median, mad, _)) = h.pass_stats(window) {
                        if d > median + rules.slower_mads * mad
                            && d - median >= rules.slower_min_secs
                        {
                            let factor = if median > 0.0 {
                                d / median
                            } else {
                                f64::INFINITY
                            };
                            marks.slower.push(Slower {
                                name: t.name.clone(),
                                seconds: d,
                                median,
                                factor,
                            });
                        }
                    }
                }
            }
            Outcome::Skip | Outcome::Other => {}
        }
    }
    if let Some(p) = &prior.previous {
        let now: HashSet<&str> = run.tests.iter().map(|t| t.name.as_str()).collect();
        let before: HashSet<&str> = p.tests.iter().map(|(n, _)| n.as_str()).collect();
        marks.added = run
            .tests
            .iter()
            .filter(|t| !before.contains(t.name.as_str()))
            .map(|t| t.name.clone())
            .collect();
        marks.removed = p
            .tests
            .iter()
            .filter(|(n, _)| !now.contains(n.as_str()))
            .map(|(n, _)| n.clone())
            .collect();
    }
    marks
        .slower
        .sort_by(|a, b| b.factor.total_cmp(&a.factor).then(a.name.cmp(&b.name)));
    marks
}
