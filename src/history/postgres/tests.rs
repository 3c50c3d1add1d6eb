//! Server-specific tests: schema set-up from an empty database, refusing a
//! newer schema, racing writers, copying a SQLite store in, and redaction.
//! The backend-neutral suite runs through `store_conformance`.

use super::testing::{fresh_database, server};
use super::*;
use crate::history::tests::{check_synthetic, synthetic_current, synthetic_history};
use crate::history::{classify, Rules};

#[test]
fn migrates_an_empty_database_once() {
    let Some(server) = server() else { return };
    let url = fresh_database(&server, "mig");
    // Several nodes starting at once: the schema lock lets one create it.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PgStore::connect(&url).map(|_| ()))
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    let mut store = PgStore::connect(&url).unwrap();
    assert_eq!(store.schema_version().unwrap(), VERSION);
    let c = store.client();
    let alembic: String = c
        .query_one("SELECT version_num FROM alembic_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(alembic, ALEMBIC_HEAD);
    let tables: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN \
             ('runs','tests','test_runs','run_metadata','test_metadata','test_run_metadata',\
             'attachments','alembic_version','stackviz_meta','stackviz_runs',\
             'stackviz_test_summary')",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 11);
    // A newer schema is refused with what to do.
    c.execute(
        "UPDATE stackviz_meta SET value = '99' WHERE \"key\" = 'schema_version'",
        &[],
    )
    .unwrap();
    let e = PgStore::connect(&url).unwrap_err().to_string();
    assert!(e.contains("newer stackviz-export"), "{e}");
    assert!(e.contains("history schema 99"), "{e}");
}

#[test]
fn racing_writers_store_each_run_once() {
    let Some(server) = server() else { return };
    let url = fresh_database(&server, "race");
    let history = synthetic_history();
    // Eight writers, each exporting every run (the same six runs).
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let url = url.clone();
            let mut runs = history.clone();
            let n = runs.len();
            runs.rotate_left(i % n);
            std::thread::spawn(move || {
                let mut store = PgStore::connect(&url).unwrap();
                for r in &runs {
                    record_runs(&mut store, std::slice::from_ref(r)).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut store = PgStore::connect(&url).unwrap();
    let c = store.client();
    let runs: i64 = c
        .query_one("SELECT count(*) FROM runs", &[])
        .unwrap()
        .get(0);
    let rows: i64 = c
        .query_one("SELECT count(*) FROM test_runs", &[])
        .unwrap()
        .get(0);
    assert_eq!(runs, 6);
    assert_eq!(rows, 6 * 8);
    // Counters were never lost to a race: one per run where the test ran.
    let stable: (i64, i64) = c
        .query_one(
            "SELECT run_count, success FROM tests WHERE test_id = 't.stable'",
            &[],
        )
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(stable, (6, 6));
}

#[test]
fn copies_a_sqlite_store_in() {
    let Some(server) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("team.db");
    {
        let mut local = crate::history::sqlite::SqliteStore::open(&file).unwrap();
        crate::history::record_runs(&mut local, &synthetic_history()).unwrap();
    }
    let url = fresh_database(&server, "copy");
    let mut store = PgStore::connect(&url).unwrap();
    assert_eq!(
        copy_sqlite(&file, &mut store).unwrap(),
        copy::Copied { runs: 6, added: 6 }
    );
    // Copying again adds nothing.
    assert_eq!(copy_sqlite(&file, &mut store).unwrap().added, 0);
    // A re-export of a copied run is found, and the next run's history is
    // what the SQLite store would have said.
    let again = record_runs(&mut store, &synthetic_history()[5..]).unwrap();
    assert!(!again[0].added);
    let current = synthetic_current();
    let rec = record_runs(&mut store, std::slice::from_ref(&current)).unwrap();
    check_synthetic(&classify(&current, &rec[0].prior, &Rules::default()));
}

#[test]
fn a_refused_connection_says_why() {
    // Nothing listens on port 1; no server is needed.
    let e = PgStore::connect("postgresql://ci:pw@127.0.0.1:1/h")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cannot connect: error connecting to server"),
        "{e}"
    );
    assert!(e.to_ascii_lowercase().contains("refused"), "{e}");
    assert!(!e.contains("pw@"), "{e}");
}

#[test]
fn messages_never_show_the_password() {
    let Some(server) = server() else { return };
    // A wrong port: the connection fails, and the message names the server
    // without the password.
    let url = "postgresql://ci:hunter2secret@127.0.0.1:1/h";
    let e = PgStore::connect(url).unwrap_err().to_string();
    assert!(e.contains("postgresql://ci@127.0.0.1:1/h"), "{e}");
    assert!(e.contains("cannot connect"), "{e}");
    assert!(!e.contains("hunter2secret"), "{e}");
    // TLS required from a server without TLS: a clear message.
    let tls = if server.contains('?') {
        format!("{server}&sslmode=require")
    } else {
        format!("{server}?sslmode=require")
    };
    let e = PgStore::connect(&tls).unwrap_err().to_string();
    assert!(e.contains("asks for TLS"), "{e}");
}

#[test]
fn retention_keeps_the_rolling_table_right() {
    let Some(server) = server() else { return };
    let url = fresh_database(&server, "keep");
    let mut store = PgStore::connect(&url).unwrap();
    // Six runs in 2023, then one today.
    record_runs(&mut store, &synthetic_history()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let hours = (now - 1_700_000_000) / 3600 - 1;
    let today = crate::history::tests::run_of(
        "file_job",
        hours,
        &[("t.stable", "success", 1.0), ("t.flaky", "fail", 0.2)],
    );
    let rec = record_runs(&mut store, std::slice::from_ref(&today)).unwrap();
    let kept = rec[0].id;
    assert_eq!(
        store.prune(30).unwrap(),
        Pruned {
            runs: 6,
            test_runs: 6 * 8
        }
    );
    // Nothing older is left, and the summaries only count what is.
    let mut tx = store.begin().unwrap();
    let t = tx
        .load_tests(&["t.stable", "t.flaky", "t.removed"])
        .unwrap();
    assert!(tx.previous_run("file_job", Some(kept)).unwrap().is_none());
    drop(tx);
    let stable = t[0].as_ref().unwrap();
    assert_eq!((stable.counters.run_count, stable.counters.success), (1, 1));
    assert_eq!((stable.rolling.runs, stable.rolling.failures), (1, 0));
    let flaky = t[1].as_ref().unwrap();
    assert_eq!((flaky.rolling.runs, flaky.rolling.failures), (1, 1));
    assert_eq!(
        flaky
            .rolling
            .recent
            .iter()
            .map(|r| r.run)
            .collect::<Vec<_>>(),
        [kept]
    );
    let removed = t[2].as_ref().unwrap();
    assert_eq!(removed.rolling.runs, 0);
    assert!(removed.rolling.recent.is_empty());
    assert_eq!(removed.rolling.last_run, None);
    // Pruning again removes nothing.
    assert_eq!(store.prune(30).unwrap().runs, 0);
}

/// Reads made ahead of the write transaction (while an export's stream
/// is read) are used only when no run was added or removed since: a stale
/// preload would lose another node's counts.
#[test]
fn read_ahead_is_used_only_while_nothing_changed() {
    let Some(server) = server() else { return };
    let url = fresh_database(&server, "ahead");
    let mut store = PgStore::connect(&url).unwrap();
    let history = synthetic_history();
    record_runs(&mut store, &history).unwrap();
    let preload = |store: &mut PgStore, run: &RunInput| {
        let mut r = store.begin_read().unwrap();
        let names: Vec<&str> = run.tests.iter().map(|t| t.name.as_str()).collect();
        let found = r.load_tests(&names).unwrap();
        Preload {
            job: run.job.clone(),
            token: r.write_token().unwrap(),
            previous: r.previous_run(&run.job, None).unwrap(),
            tests: names.iter().map(|n| (*n).to_owned()).zip(found).collect(),
        }
    };
    let stable = |store: &mut PgStore| -> (i64, i64) {
        let r = store
            .client()
            .query_one(
                "SELECT t.run_count, s.runs FROM tests t \
                 JOIN stackviz_test_summary s ON s.test_id = t.id WHERE t.test_id = 't.stable'",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    // Fresh: used, and the marks are the ones the store gives anyway.
    let current = synthetic_current();
    let ahead = preload(&mut store, &current);
    assert_eq!(ahead.token, Some((6, 6)));
    let mut recs = Vec::new();
    let committed = record_runs_with(
        &mut store,
        std::slice::from_ref(&current),
        Some(ahead),
        &mut |r| recs.push(r),
        &mut || true,
    )
    .unwrap();
    assert!(committed);
    check_synthetic(&classify(&current, &recs[0].prior, &Rules::default()));
    assert_eq!(stable(&mut store), (7, 7));
    // Stale: another node stores a run in between; its count survives.
    let next = crate::history::tests::run_of("file_job", 7, &[("t.stable", "success", 1.0)]);
    let ahead = preload(&mut store, &next);
    let other = crate::history::tests::run_of("file_other", 7, &[("t.stable", "fail", 1.0)]);
    record_runs(&mut store, std::slice::from_ref(&other)).unwrap();
    let mut recs = Vec::new();
    record_runs_with(
        &mut store,
        std::slice::from_ref(&next),
        Some(ahead),
        &mut |r| recs.push(r),
        &mut || true,
    )
    .unwrap();
    assert_eq!(stable(&mut store), (9, 9));
    // The prior saw the other node's failure.
    let prior = &recs[0].prior.tests["t.stable"];
    assert_eq!(
        prior.recent.last().map(|r| r.outcome),
        Some(crate::history::Outcome::Fail)
    );
    // No go-ahead: nothing is stored.
    let last = crate::history::tests::run_of("file_job", 8, &[("t.stable", "success", 1.0)]);
    let committed = record_runs_with(
        &mut store,
        std::slice::from_ref(&last),
        None,
        &mut |_| {},
        &mut || false,
    )
    .unwrap();
    assert!(!committed);
    assert_eq!(stable(&mut store), (9, 9));
}
