//! One test suite for every backend: a synthetic history whose answers are
//! known, idempotency, and all-or-nothing transactions. A new backend calls
//! [`store_conformance`] with a factory for empty stores.

use super::*;

const SEC: i64 = 1_000_000;

/// Builds a run from (id, status, seconds); tests start one minute apart
/// per run so every run has its own times.
pub(crate) fn run_of(provider: &str, n: i64, tests: &[(&str, &str, f64)]) -> RunInput {
    let mut b = RunBuilder::new(provider, &format!("run {n}"));
    let mut at = 1_700_000_000 * SEC + n * 3600 * SEC;
    for (id, status, secs) in tests {
        let d = (secs * 1e6) as i64;
        b.push(id, status, Some(at), Some(at + d));
        at += d + 1;
    }
    b.finish()
}

/// The earlier runs of the synthetic history, oldest first.
pub(crate) fn synthetic_history() -> Vec<RunInput> {
    let flaky = ["success", "fail", "success", "success", "fail", "success"];
    let slow = [1.0, 1.1, 0.9, 1.0, 1.05, 0.95];
    (0..6)
        .map(|i| {
            let u = i as usize;
            run_of(
                "file_job",
                i,
                &[
                    ("t.stable", "success", 1.0),
                    ("t.broken", if i >= 1 { "fail" } else { "success" }, 0.1),
                    ("t.flaky", flaky[u], 0.2),
                    ("t.fixed", if i == 5 { "fail" } else { "success" }, 0.3),
                    ("t.slow", "success", slow[u]),
                    ("t.tiny[smoke]", "success", 0.01),
                    ("t.removed", "success", 0.1),
                    ("t.skipped", "skip", 0.0),
                ],
            )
        })
        .collect()
}

/// The run under test: its expected marks are spelled out in
/// `check_synthetic`.
pub(crate) fn synthetic_current() -> RunInput {
    run_of(
        "file_job",
        6,
        &[
            ("t.stable", "fail", 1.0),
            ("t.broken", "fail", 0.1),
            ("t.flaky", "fail", 0.2),
            ("t.fixed", "success", 0.3),
            ("t.slow", "success", 3.0),
            ("t.tiny[smoke]", "success", 0.2),
            ("t.added", "fail", 0.1),
            ("t.skipped", "skip", 0.0),
        ],
    )
}

pub(crate) fn check_synthetic(marks: &Marks) {
    let kinds: Vec<(&str, &str)> = marks
        .failures
        .iter()
        .map(|(n, k)| (n.as_str(), k.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("t.stable", "new"),
            ("t.broken", "known"),
            ("t.flaky", "flaky"),
            ("t.added", "new"),
        ]
    );
    assert_eq!(marks.fixed, ["t.fixed"]);
    assert_eq!(marks.added, ["t.added"]);
    assert_eq!(marks.removed, ["t.removed"]);
    assert_eq!(marks.slower.len(), 1, "{:?}", marks.slower);
    let s = &marks.slower[0];
    assert_eq!(s.name, "t.slow");
    assert_eq!(s.median, 1.0);
    assert_eq!(s.factor, 3.0);
    assert!(marks.previous.as_deref().unwrap().starts_with("run 5 ("));
    let strip = &marks.strips["t.flaky"];
    assert_eq!(strip.len(), 6);
    assert_eq!(strip[1].outcome, Outcome::Fail);
    assert!(!marks.strips.contains_key("t.added"));
    assert!(!marks.strips.contains_key("t.skipped"));
}

/// The suite every backend passes; `fresh` makes an empty store.
pub(crate) fn store_conformance(fresh: &mut dyn FnMut() -> Box<dyn Store>) {
    // The synthetic history, recorded one export per run.
    let mut store = fresh();
    for r in synthetic_history() {
        let rec = record_runs(store.as_mut(), std::slice::from_ref(&r)).unwrap();
        assert!(rec[0].added);
    }
    let current = synthetic_current();
    let rec = record_runs(store.as_mut(), std::slice::from_ref(&current)).unwrap();
    assert!(rec[0].added);
    assert_eq!(rec[0].uuid, current.uuid());
    let first = classify(&current, &rec[0].prior, &Rules::default());
    check_synthetic(&first);

    // Idempotent: the same run again is not added, and shows the same marks.
    let again = record_runs(store.as_mut(), std::slice::from_ref(&current)).unwrap();
    assert!(!again[0].added);
    assert_eq!(again[0].id, rec[0].id);
    assert_eq!(
        classify(&current, &again[0].prior, &Rules::default()),
        first
    );

    // Counters went up once per run where the test ran.
    let mut tx = store.begin().unwrap();
    let t = tx.load_tests(&["t.fixed", "t.skipped", "nope"]).unwrap();
    drop(tx);
    let fixed = t[0].as_ref().unwrap();
    assert_eq!(
        (
            fixed.counters.run_count,
            fixed.counters.success,
            fixed.counters.failure
        ),
        (7, 6, 1)
    );
    assert_eq!((fixed.rolling.runs, fixed.rolling.failures), (7, 1));
    let skipped = t[1].as_ref().unwrap();
    assert_eq!(skipped.counters.run_count, 0);
    assert_eq!(skipped.rolling.last_status.as_deref(), Some("skip"));
    assert!(t[2].is_none());

    // The whole history in one export gives the same answers.
    let mut one = fresh();
    let mut all = synthetic_history();
    all.push(current.clone());
    let rec = record_runs(one.as_mut(), &all).unwrap();
    assert_eq!(classify(&current, &rec[6].prior, &Rules::default()), first);

    // A transaction dropped before commit leaves nothing behind.
    let mut empty = fresh();
    {
        let mut tx = empty.begin().unwrap();
        let row = RunRow {
            run: &current,
            uuid: current.uuid(),
            passes: 0,
            fails: 0,
            skips: 0,
            run_time: 0.0,
            run_at: None,
        };
        tx.insert_run(&row).unwrap();
    }
    let mut tx = empty.begin().unwrap();
    assert_eq!(tx.find_run(&current.key).unwrap(), None);
    assert_eq!(tx.previous_run("file_job", None).unwrap(), None);
}

#[test]
fn memory_store_conformance() {
    store_conformance(&mut || Box::new(memory::MemoryStore::new()));
}

#[test]
fn sqlite_store_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    store_conformance(&mut || {
        n += 1;
        Box::new(sqlite::SqliteStore::open(&dir.path().join(format!("h{n}.db"))).unwrap())
    });
}

#[test]
fn postgres_store_conformance() {
    let Some(server) = postgres::testing::server() else {
        return;
    };
    store_conformance(&mut || {
        let url = postgres::testing::fresh_database(&server, "conf");
        Box::new(postgres::PgStore::connect(&url).unwrap())
    });
}

#[test]
fn rules_are_switchable() {
    let mut store = memory::MemoryStore::new();
    let mut all = synthetic_history();
    let current = synthetic_current();
    all.push(current.clone());
    let rec = record_runs(&mut store, &all).unwrap();
    let prior = &rec[6].prior;
    // P F P P F P + F flips five times: flaky; a window of 2
    // sees only P, F: one flip, so a new failure.
    let narrow = Rules {
        window: 2,
        ..Rules::default()
    };
    let m = classify(&current, prior, &narrow);
    assert_eq!(m.failure_kind("t.flaky"), Some(FailureKind::New));
    // A lower bar in seconds makes the tiny test slower (0.2 s vs 0.01 s).
    let fine = Rules {
        slower_min_secs: 0.1,
        ..Rules::default()
    };
    let m = classify(&current, prior, &fine);
    let names: Vec<&str> = m.slower.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["t.tiny", "t.slow"]);
    assert!((m.slower[0].factor - 20.0).abs() < 1e-9);
}

#[test]
fn same_revision_rule() {
    let mk = |n: i64, status: &str, rev: &str| {
        let mut b = RunBuilder::new("file_job", &format!("run {n}"));
        let at = 1_700_000_000 * SEC + n * SEC;
        b.push("t.a", status, Some(at), Some(at + SEC));
        b.meta("revision", rev);
        b.finish()
    };
    let runs = vec![
        mk(0, "fail", "r1"),
        mk(1, "success", "r2"),
        mk(2, "fail", "r2"),
    ];
    let mut store = memory::MemoryStore::new();
    let rec = record_runs(&mut store, &runs).unwrap();
    // F P F is two flips: flaky either way; with flips set high only the
    // revision rule says so.
    let strict = Rules {
        flaky_flips: 5,
        ..Rules::default()
    };
    let m = classify(&runs[2], &rec[2].prior, &strict);
    assert_eq!(m.failure_kind("t.a"), Some(FailureKind::New));
    let by_rev = Rules {
        same_revision: true,
        ..strict
    };
    let m = classify(&runs[2], &rec[2].prior, &by_rev);
    assert_eq!(m.failure_kind("t.a"), Some(FailureKind::Flaky));
}

#[test]
fn consistent_failures_are_never_flaky() {
    let runs: Vec<RunInput> = (0..12)
        .map(|i| run_of("file_job", i, &[("t.x", "fail", 0.1)]))
        .collect();
    let mut store = memory::MemoryStore::new();
    let rec = record_runs(&mut store, &runs).unwrap();
    let rules = Rules {
        flaky_flips: 1,
        same_revision: true,
        ..Rules::default()
    };
    let m = classify(&runs[11], &rec[11].prior, &rules);
    assert_eq!(m.failure_kind("t.x"), Some(FailureKind::Known));
    let m = classify(&runs[0], &rec[0].prior, &rules);
    assert_eq!(m.failure_kind("t.x"), Some(FailureKind::New));
    assert!(m.added.is_empty() && m.previous.is_none());
}
