//! `--history postgresql://…` end to end through the binary, against the
//! server named by `STACKVIZ_TEST_PG_URL` (`.ci/run` starts one with
//! scripts/pg-test-cluster.sh): the checks tests/history.rs runs on a
//! SQLite file (every conformance stream stored once, rows against the real
//! subunit2sql, read back by sql2subunit; see tests/common/history.rs), the
//! synthetic history's marks, several processes racing on one server, and
//! copying a SQLite store in. Each test uses its own fresh database.
//! Without a server these tests say "skipped: no PostgreSQL"; under CI they
//! fail instead.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use stackviz_export::Status;

mod common;
use common::history::{check_marks, exe, fresh_database, stream, Backend};

/// The synthetic history (see tests/common/history.rs).
fn synthetic() -> (Vec<Vec<u8>>, Vec<u8>) {
    common::history::synthetic("t.flaky")
}

fn server() -> Option<String> {
    common::history::pg_server()
}

fn count(url: &str, sql: &str) -> i64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query_one(sql, &[]).unwrap().get(0)
}

/// Exports `stream` (written as DIR/job/run.subunit, as a CI job's stream
/// is always named alike) into `store`; returns history.json.
fn export_into(dir: &Path, n: usize, store: &str, stream: &[u8], extra: &[&str]) -> Value {
    let job = dir.join("job");
    std::fs::create_dir_all(&job).unwrap();
    let path = job.join("run.subunit");
    std::fs::write(&path, stream).unwrap();
    let dest = dir.join(format!("out{n}"));
    let out = Command::new(exe())
        .arg(&dest)
        .args(["-q", "--history", store])
        .args(extra)
        .arg("-f")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&std::fs::read(dest.join("history.json")).unwrap()).unwrap()
}

#[test]
fn every_conformance_stream_is_ingested_once() {
    let Some(server) = server() else { return };
    common::history::every_conformance_stream_is_ingested_once(&Backend::Postgres(server));
}

/// (a) The rows subunit2sql writes into a server database for a stream
/// are the rows we write.
#[test]
fn rows_agree_with_real_subunit2sql() {
    let Some(server) = server() else { return };
    let backend = Backend::Postgres(server);
    let Some(venv) = backend.venv() else { return };
    common::history::rows_agree_with_real_subunit2sql(&backend, &venv);
}

/// (b) `sql2subunit` reads our server runs back as streams with the same
/// tests and statuses.
#[test]
fn sql2subunit_reads_our_runs() {
    let Some(server) = server() else { return };
    let backend = Backend::Postgres(server);
    let Some(venv) = backend.venv() else { return };
    common::history::sql2subunit_reads_our_runs(&backend, &venv);
}

#[test]
fn synthetic_history_through_a_server() {
    let Some(server) = server() else { return };
    let url = fresh_database(&server, "syn");
    let tmp = tempfile::tempdir().unwrap();
    let (earlier, current) = synthetic();
    for (i, s) in earlier.iter().enumerate() {
        export_into(tmp.path(), i, &url, s, &[]);
    }
    let h = export_into(tmp.path(), 6, &url, &current, &[]);
    check_marks(&h["streams"][0]["marks"]);
    // Exported again: stored once, same marks.
    let h = export_into(tmp.path(), 7, &url, &current, &[]);
    check_marks(&h["streams"][0]["marks"]);
    assert_eq!(count(&url, "SELECT count(*) FROM runs"), 7);
    assert_eq!(count(&url, "SELECT count(*) FROM test_runs"), 6 * 6 + 6);
}

#[test]
fn racing_processes_store_each_run_once() {
    let Some(server) = server() else { return };
    let url = fresh_database(&server, "procs");
    let tmp = tempfile::tempdir().unwrap();
    let (earlier, _) = synthetic();
    // Six processes at once on a new database (schema creation races too):
    // runs 0..3, and the files of runs 0 and 1 again.
    let mut children = Vec::new();
    for (k, s) in earlier[..4].iter().enumerate() {
        std::fs::write(tmp.path().join(format!("s{k}.subunit")), s).unwrap();
    }
    for k in 0..6 {
        let p = tmp.path().join(format!("s{}.subunit", k % 4));
        children.push(
            Command::new(exe())
                .arg(tmp.path().join(format!("out{k}")))
                .args(["-q", "--history", &url, "-f"])
                .arg(&p)
                .spawn()
                .unwrap(),
        );
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(count(&url, "SELECT count(*) FROM runs"), 4);
    assert_eq!(count(&url, "SELECT count(*) FROM stackviz_runs"), 4);
    assert_eq!(count(&url, "SELECT count(*) FROM test_runs"), 4 * 6);
    assert_eq!(
        count(
            &url,
            "SELECT run_count FROM tests WHERE test_id = 't.stable'"
        ),
        4
    );
    assert_eq!(
        count(&url, "SELECT runs FROM stackviz_test_summary s JOIN tests t ON t.id = s.test_id WHERE t.test_id = 't.stable'"),
        4
    );
}

#[test]
fn a_sqlite_store_moves_up_to_a_server() {
    let Some(server) = server() else { return };
    let url = fresh_database(&server, "up");
    let tmp = tempfile::tempdir().unwrap();
    let (earlier, current) = synthetic();
    let file = tmp.path().join("team.db");
    let file_s = file.to_str().unwrap();
    for (i, s) in earlier.iter().enumerate() {
        export_into(tmp.path(), i, file_s, s, &[]);
    }
    // The first server export copies the team's history in first.
    let h = export_into(
        tmp.path(),
        6,
        &url,
        &current,
        &["--history-copy-from", file_s],
    );
    check_marks(&h["streams"][0]["marks"]);
    assert_eq!(count(&url, "SELECT count(*) FROM runs"), 7);
    // Copying again adds nothing.
    export_into(
        tmp.path(),
        7,
        &url,
        &current,
        &["--history-copy-from", file_s],
    );
    assert_eq!(count(&url, "SELECT count(*) FROM runs"), 7);
}

#[test]
fn a_bad_password_is_never_echoed() {
    let Some(_) = server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("s.subunit");
    std::fs::write(&p, stream(&[("t.a", Status::Success, 0.0, 1.0)])).unwrap();
    let out = Command::new(exe())
        .arg(tmp.path().join("out"))
        .args([
            "--history",
            "postgresql://ci:topsecretpw@127.0.0.1:1/h",
            "-f",
        ])
        .arg(&p)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("postgresql://ci@127.0.0.1:1/h"), "{err}");
    assert!(!err.contains("topsecretpw"), "{err}");
}

/// `sslmode=require` against a server without TLS (the test cluster's)
/// fails before anything is written, saying what to change; `prefer`
/// falls back to a plain connection.
#[test]
fn sslmode_require_fails_clearly_and_prefer_connects() {
    let Some(server) = server() else { return };
    let url = fresh_database(&server, "tls");
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("s.subunit");
    std::fs::write(&p, stream(&[("t.a", Status::Success, 0.0, 1.0)])).unwrap();
    let run = |mode: &str, dest: &str| {
        Command::new(exe())
            .arg(tmp.path().join(dest))
            .args(["-q", "--history", &format!("{url}?sslmode={mode}"), "-f"])
            .arg(&p)
            .output()
            .unwrap()
    };
    let out = run("require", "out-require");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TLS") && err.contains("sslmode=prefer"),
        "{err}"
    );
    assert!(!tmp.path().join("out-require").exists(), "nothing written");
    let out = run("prefer", "out-prefer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(&url, "SELECT count(*) FROM runs"), 1);
}

/// The server twin of tests/history.rs's `a_failed_export_stores_nothing`:
/// an export that fails once the store's rows are written stores nothing.
#[test]
fn a_failed_export_stores_nothing_on_a_server() {
    let Some(server) = server() else { return };
    let url = fresh_database(&server, "failed");
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    let run = |name: &str, status: Status, at: f64| {
        let p = tmp.path().join(name);
        std::fs::write(&p, stream(&[("t.a", status, at, 1.0)])).unwrap();
        Command::new(exe())
            .arg(&dest)
            .args(["-q", "--history", &url, "-f"])
            .arg(&p)
            .output()
            .unwrap()
    };
    assert!(run("first.subunit", Status::Success, 0.0).status.success());
    std::fs::remove_file(dest.join("config.json")).unwrap();
    std::fs::create_dir(dest.join("config.json")).unwrap();
    std::fs::write(dest.join("config.json").join("keep"), "x").unwrap();
    let out = run("second.subunit", Status::Fail, 60.0);
    assert!(!out.status.success());
    assert_eq!(count(&url, "SELECT count(*) FROM runs"), 1);
    assert_eq!(count(&url, "SELECT count(*) FROM test_runs"), 1);
    assert_eq!(count(&url, "SELECT failure FROM tests"), 0);
    assert_eq!(count(&url, "SELECT failures FROM stackviz_test_summary"), 0);
}

/// The server twin of tests/history.rs's `older_and_newer_stores_say_what_to_do`.
/// A server store adopts no subunit2sql database (it wants an empty one);
/// it refuses one, and one written by a newer version, saying what to do
/// and changing nothing.
#[test]
fn older_and_newer_stores_say_what_to_do() {
    let Some(server) = server() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let s = tmp.path().join("s.subunit");
    std::fs::write(&s, stream(&[("t.a", Status::Fail, 0.0, 1.0)])).unwrap();
    let run = |url: &str, dest: &Path| {
        let out = Command::new(exe())
            .arg(dest)
            .args(["-q", "--history", url, "-f"])
            .arg(&s)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // A subunit2sql database (its tables, one run): refused, untouched.
    let url = fresh_database(&server, "s2s");
    postgres::Client::connect(&url, postgres::NoTls)
        .unwrap()
        .batch_execute(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY);
             INSERT INTO alembic_version VALUES ('10a2b6d4b06e');
             CREATE TABLE runs (id SERIAL PRIMARY KEY, uuid VARCHAR(36));
             CREATE TABLE tests (id SERIAL PRIMARY KEY, test_id VARCHAR(256));
             CREATE TABLE test_runs (id SERIAL PRIMARY KEY, test_id INTEGER, run_id INTEGER);
             INSERT INTO runs (uuid) VALUES ('r-1');",
        )
        .unwrap();
    let dest = tmp.path().join("o1");
    let (ok, err) = run(&url, &dest);
    assert!(!ok);
    assert!(err.contains("subunit2sql tables"), "{err}");
    assert!(err.contains("give an empty database"), "{err}");
    assert!(!dest.exists());
    assert_eq!(count(&url, "SELECT count(*) FROM runs"), 1);
    assert_eq!(
        count(
            &url,
            "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'stackviz%'"
        ),
        0
    );

    // Written by a newer version: refused, its runs kept.
    let url = fresh_database(&server, "newer");
    let (ok, err) = run(&url, &tmp.path().join("o2"));
    assert!(ok, "{err}");
    postgres::Client::connect(&url, postgres::NoTls)
        .unwrap()
        .batch_execute("UPDATE stackviz_meta SET value = '99' WHERE \"key\" = 'schema_version'")
        .unwrap();
    let dest = tmp.path().join("o3");
    let (ok, err) = run(&url, &dest);
    assert!(!ok);
    assert!(err.contains("newer stackviz-export"), "{err}");
    assert!(!dest.exists());
    assert_eq!(count(&url, "SELECT count(*) FROM runs"), 1);
}
