//! History across runs: an embedded store with subunit2sql's schema, and the
//! rules that mark tests new, known, flaky, slower, fixed, added or removed.
//!
//! # Layers
//!
//! - [`run`]: the plain input (one run: its facts and per-test results),
//!   named and deduplicated the way subunit2sql does, with a stable run key.
//! - [`rolling`]: what the store keeps per test so that reading history never
//!   scans the test-run rows: subunit2sql's counters and a rolling window of
//!   recent outcomes and durations.
//! - [`mod@classify`]: the rules, as pure functions of a run and what came before.
//! - [`Store`] / [`StoreTx`]: the one interface a storage backend implements.
//!   [`sqlite`] is the embedded file; [`memory`] holds runs in memory (used
//!   for `--baseline` and repository runs, and a small template for new
//!   backends).
//! - [`record_runs`]: the backend-neutral driver: one transaction per export,
//!   idempotent by run key, returning what was known before each run.
//!   [`record_runs_with`] hands each run's prior over before writing its
//!   rows, lets the caller decide the commit, and takes reads made ahead
//!   ([`Preload`]).
//!
//! # Adding a backend (e.g. PostgreSQL)
//!
//! Implement [`Store`] (open a transaction) and [`StoreTx`] (six small
//! primitives: find a run by key, load tests by name, find the previous run
//! of a job, insert a run, write its test rows, commit; and optionally a
//! write token, to read ahead). Everything that
//! decides *what* to write — test counters, the rolling window, the run key,
//! the run totals — is computed by the driver with the functions in
//! [`rolling`] and [`run`], so every backend stores the same values. The
//! schema (tables, columns, the `stackviz_*` extension tables and their
//! meaning) is described in [`schema`]; a backend creates the same tables in
//! its own SQL dialect. Idempotency: a backend must make `find_run` + `insert_run`
//! atomic for one key (SQLite: a write transaction taken up front; a server:
//! the unique `stackviz_runs.run_key` plus a retry of the whole transaction).
//! The shared test suite in [`tests`](self) runs against any `Store` through
//! `store_conformance`; call it with the new backend.

pub mod classify;
pub mod memory;
pub mod postgres;
pub mod rolling;
pub mod run;
pub mod schema;
pub mod sqlite;
pub mod view;

#[cfg(test)]
mod tests;

use rustc_hash::FxHashMap as HashMap;

pub use classify::{classify, FailureKind, Marks, PreviousRun, Prior, Rules, Slower};
pub use rolling::{Counters, Outcome, Recent, Rolling};
pub use run::{RunBuilder, RunInput, TestResult};
pub use view::StreamHistory;

/// A row id in the store (`runs.id`, `tests.id`).
pub type RowId = i64;

/// What can go wrong with a history store. Messages name the store.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The backend failed (I/O, locking, SQL).
    #[error("history store {location}: {message}")]
    Backend { location: String, message: String },
    /// The store's schema is not one this version can use; says what to do.
    #[error("history store {location}: {message}")]
    Version { location: String, message: String },
    /// The store holds values this version cannot read.
    #[error("history store {location}: {message}")]
    Corrupt { location: String, message: String },
}

pub type HResult<T> = std::result::Result<T, HistoryError>;

/// A test as a store holds it: its row id, subunit2sql's counters and the
/// rolling window.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTest {
    pub id: RowId,
    pub counters: Counters,
    pub rolling: Rolling,
}

/// The `runs` row (plus its extension row) a backend inserts.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow<'a> {
    pub run: &'a RunInput,
    /// `runs.uuid`: derived from the run key, so re-exports find it.
    pub uuid: String,
    pub passes: i64,
    pub fails: i64,
    pub skips: i64,
    /// Sum of test durations in seconds, as subunit2sql computes it.
    pub run_time: f64,
    /// Microseconds since the epoch: the run's first test start.
    pub run_at: Option<i64>,
}

/// One test's rows to write for a run.
#[derive(Debug, Clone, PartialEq)]
pub struct TestWrite<'a> {
    pub result: &'a TestResult,
    /// `Some` when the `tests` row exists (update), `None` to insert it.
    pub id: Option<RowId>,
    pub counters: Counters,
    pub rolling: Rolling,
}

/// Opens transactions on one store. See the module docs for how a second
/// backend plugs in.
pub trait Store {
    /// Where the store is, for messages (never credentials).
    fn location(&self) -> String;
    /// Starts the export's one write transaction. Dropping the returned
    /// transaction without `commit` must leave the store unchanged.
    fn begin(&mut self) -> HResult<Box<dyn StoreTx + '_>>;
}

/// One write transaction. All reads see the transaction's own writes.
pub trait StoreTx {
    /// The run stored under `key` (`stackviz_runs.run_key`), if any.
    fn find_run(&mut self, key: &str) -> HResult<Option<RowId>>;
    /// The stored tests with these names (`tests.test_id`), in order.
    fn load_tests(&mut self, names: &[&str]) -> HResult<Vec<Option<StoredTest>>>;
    /// The latest run of `job` with an id below `before` (any id when
    /// `None`), with its tests' names and statuses.
    fn previous_run(&mut self, job: &str, before: Option<RowId>) -> HResult<Option<PreviousRun>>;
    /// Inserts the `runs` row, its `run_metadata` and its `stackviz_runs`
    /// row; returns the new `runs.id`.
    fn insert_run(&mut self, row: &RunRow<'_>) -> HResult<RowId>;
    /// Inserts or updates `tests` rows and their `stackviz_test_summary`
    /// rows, and inserts the `test_runs` rows of `run`.
    fn write_tests(&mut self, run: RowId, tests: &[TestWrite<'_>]) -> HResult<()>;
    /// Makes everything written visible at once.
    fn commit(self: Box<Self>) -> HResult<()>;
    /// Something that changes whenever a run is added or removed, so that
    /// reads made before this transaction ([`Preload`]) can be checked;
    /// `None`: this backend does not read ahead.
    fn write_token(&mut self) -> HResult<Option<(i64, i64)>> {
        Ok(None)
    }
}

/// Reads made for the first run of an export while its stream was still
/// being read, outside the write transaction: the previous run of its job
/// and the tests seen so far (`None`: not in the store). Used only when
/// the store's [`write_token`](StoreTx::write_token) has not changed since
/// (no run was added or removed in between); otherwise read again.
#[derive(Debug, Clone, Default)]
pub struct Preload {
    pub job: String,
    pub token: Option<(i64, i64)>,
    pub previous: Option<PreviousRun>,
    pub tests: HashMap<String, Option<StoredTest>>,
}

/// What [`record_runs`] did for one run.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `runs.id` of the run.
    pub id: RowId,
    /// `runs.uuid`, the id `sql2subunit` takes.
    pub uuid: String,
    /// False when the run was already stored (exported before).
    pub added: bool,
    /// What the store knew before this run, for [`classify()`].
    pub prior: Prior,
}

/// Records `runs` in order in one transaction and returns, for each, what
/// the store knew before it. A run already stored (same key) is not added
/// again; its prior is rebuilt from the window, so re-exporting a run shows
/// the same marks. Nothing is written unless every run was recorded.
pub fn record_runs(store: &mut dyn Store, runs: &[RunInput]) -> HResult<Vec<Recorded>> {
    let mut out = Vec::with_capacity(runs.len());
    record_runs_with(store, runs, None, &mut |r| out.push(r), &mut || true)?;
    Ok(out)
}

/// [`record_runs`] for callers that overlap the store's work with their
/// own: each run's [`Recorded`] goes to `recorded` as soon as the reads it
/// needs are done, before that run's test rows are written (the bulk of
/// the work), and `go` is asked just before the commit: `false` rolls
/// everything back. Returns whether it committed. `preload`: reads made
/// ahead for the first run, used when still valid.
pub fn record_runs_with(
    store: &mut dyn Store,
    runs: &[RunInput],
    preload: Option<Preload>,
    recorded: &mut dyn FnMut(Recorded),
    go: &mut dyn FnMut() -> bool,
) -> HResult<bool> {
    let mut tx = store.begin()?;
    let mut preload = match preload {
        Some(p) if p.token.is_some() && tx.write_token()? == p.token => Some(p),
        _ => None,
    };
    for run in runs {
        let ahead = preload.take().filter(|p| p.job == run.job);
        record_one(tx.as_mut(), run, ahead, recorded)?;
    }
    if !go() {
        return Ok(false);
    }
    tx.commit()?;
    Ok(true)
}

/// The stored tests with these names: from `ahead` where it has them,
/// the rest read now.
fn load_tests(
    tx: &mut dyn StoreTx,
    names: &[&str],
    ahead: Option<&mut Preload>,
) -> HResult<Vec<Option<StoredTest>>> {
    let Some(ahead) = ahead else {
        return tx.load_tests(names);
    };
    let mut out = Vec::with_capacity(names.len());
    let mut missing = Vec::new();
    for (k, n) in names.iter().enumerate() {
        match ahead.tests.remove(*n) {
            Some(t) => out.push(t),
            None => {
                out.push(None);
                missing.push(k);
            }
        }
    }
    if !missing.is_empty() {
        let wanted: Vec<&str> = missing.iter().map(|&k| names[k]).collect();
        for (k, t) in missing.into_iter().zip(tx.load_tests(&wanted)?) {
            out[k] = t;
        }
    }
    Ok(out)
}

fn record_one(
    tx: &mut dyn StoreTx,
    run: &RunInput,
    mut ahead: Option<Preload>,
    recorded: &mut dyn FnMut(Recorded),
) -> HResult<()> {
    let names: Vec<&str> = run.tests.iter().map(|t| t.name.as_str()).collect();
    let uuid = run.uuid();
    if let Some(id) = tx.find_run(&run.key)? {
        // Stored before: the prior is the window without this run.
        let stored = tx.load_tests(&names)?;
        let previous = tx.previous_run(&run.job, Some(id))?;
        let tests = names
            .iter()
            .zip(stored)
            .filter_map(|(n, s)| s.map(|s| ((*n).to_owned(), s.rolling.before(id))))
            .collect();
        recorded(Recorded {
            id,
            uuid,
            added: false,
            prior: Prior { previous, tests },
        });
        return Ok(());
    }
    let stored = load_tests(tx, &names, ahead.as_mut())?;
    let previous = match ahead {
        Some(a) => a.previous,
        None => tx.previous_run(&run.job, None)?,
    };
    let totals = run.totals();
    let row = RunRow {
        run,
        uuid: uuid.clone(),
        passes: totals.passes,
        fails: totals.fails,
        skips: totals.skips,
        run_time: totals.run_time,
        run_at: run.tests.iter().filter_map(|t| t.start).min(),
    };
    let id = tx.insert_run(&row)?;
    let prior_tests: HashMap<String, Rolling> = run
        .tests
        .iter()
        .zip(&stored)
        .filter_map(|(result, s)| s.as_ref().map(|s| (result.name.clone(), s.rolling.clone())))
        .collect();
    recorded(Recorded {
        id,
        uuid,
        added: true,
        prior: Prior {
            previous,
            tests: prior_tests,
        },
    });
    let revision = run.revision_hash();
    let mut writes = Vec::with_capacity(run.tests.len());
    for (result, stored) in run.tests.iter().zip(stored) {
        let (test_id, counters, rolling) = match stored {
            Some(s) => {
                let mut c = s.counters;
                c.apply(&result.status, result.duration());
                let mut r = s.rolling;
                r.push(id, result, revision);
                (Some(s.id), c, r)
            }
            None => {
                let mut r = Rolling::default();
                r.push(id, result, revision);
                (None, Counters::first(&result.status, result.duration()), r)
            }
        };
        writes.push(TestWrite {
            result,
            id: test_id,
            counters,
            rolling,
        });
    }
    tx.write_tests(id, &writes)
}
