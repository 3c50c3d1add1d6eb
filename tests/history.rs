//! `--history`, `--baseline` and repository runs as history, end to end
//! through the binary; and the store held against the real subunit2sql
//! tools both ways (they run from the venv `scripts/setup-test-tools.sh`
//! makes; without it these parts say "skipped: …", and fail under CI).
//! The checks tests/history_postgres.rs runs too live in
//! tests/common/history.rs; here they run on a SQLite file.

use std::path::{Path, PathBuf};
use std::process::Command;

use rusqlite::Connection;
use stackviz_export::Status;

mod common;
use common::history::{check_marks, exe, export, history_json, manifest, names, stream, Backend};

macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$(std::ffi::OsStr::new(&$a)),*] };
}

fn count(db: &Path, sql: &str) -> i64 {
    Connection::open(db)
        .expect("open store")
        .query_row(sql, [], |r| r.get(0))
        .expect(sql)
}

/// A SQLite backend: store files in a new temporary directory.
fn sqlite() -> (tempfile::TempDir, Backend) {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::Sqlite(dir.path().to_owned());
    (dir, backend)
}

#[test]
fn every_conformance_stream_is_ingested_once() {
    let (_dir, backend) = sqlite();
    common::history::every_conformance_stream_is_ingested_once(&backend);
}

/// (a) The rows subunit2sql writes for a stream are the rows we write.
#[test]
fn rows_agree_with_real_subunit2sql() {
    let (_dir, backend) = sqlite();
    let Some(venv) = backend.venv() else { return };
    common::history::rows_agree_with_real_subunit2sql(&backend, &venv);
}

/// (b) `sql2subunit` reads our runs back as streams with the same tests
/// and statuses.
#[test]
fn sql2subunit_reads_our_runs() {
    let (_dir, backend) = sqlite();
    let Some(venv) = backend.venv() else { return };
    common::history::sql2subunit_reads_our_runs(&backend, &venv);
}

/// The stream of the conformance case with 10,000 tests.
fn medium_stream() -> PathBuf {
    std::fs::read_dir(manifest().join("fixtures/conformance/syn_medium_10k"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(".subunit"))
        .expect("a stream in syn_medium_10k")
}

#[test]
fn two_processes_ingest_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("h.db");
    let src = medium_stream();
    let mut children = Vec::new();
    for k in 0..2 {
        let copy = tmp.path().join(format!(
            "s{k}.subunit{}",
            if src.to_string_lossy().ends_with(".gz") {
                ".gz"
            } else {
                ""
            }
        ));
        std::fs::copy(&src, &copy).unwrap();
        children.push(
            Command::new(exe())
                .arg(tmp.path().join(format!("out{k}")))
                .args(["-q", "--history"])
                .arg(&db)
                .arg("-f")
                .arg(&copy)
                .spawn()
                .unwrap(),
        );
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(count(&db, "SELECT count(*) FROM runs"), 2);
    let per_run = count(&db, "SELECT count(*) FROM test_runs WHERE run_id = 1");
    assert!(per_run > 1000);
    assert_eq!(count(&db, "SELECT count(*) FROM test_runs"), 2 * per_run);
    assert_eq!(count(&db, "SELECT max(run_count) FROM tests"), 2);
    let ok: String = Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

/// A subunit2sql database made by hand: its tables at `alembic`, one run.
fn subunit2sql_db(path: &Path, alembic: &str) {
    let c = Connection::open(path).unwrap();
    c.execute_batch(stackviz_export::history::schema::SUBUNIT2SQL_SQLITE)
        .unwrap();
    c.execute("INSERT INTO alembic_version VALUES (?1)", [alembic])
        .unwrap();
    c.execute_batch(
        "INSERT INTO runs (id, uuid, passes, fails, skips, run_time) VALUES (1, 'r-1', 1, 0, 0, 1.0);
         INSERT INTO tests (id, test_id, run_count, success, failure, run_time)
             VALUES (1, 't.a', 1, 1, 0, 1.0);
         INSERT INTO test_runs (test_id, run_id, status, start_time, stop_time,
             start_time_microsecond, stop_time_microsecond)
             VALUES (1, 1, 'success', '2023-11-14 22:13:20.000000', '2023-11-14 22:13:21.000000', 0, 0);",
    )
    .unwrap();
}

#[test]
fn older_and_newer_stores_say_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let s = tmp.path().join("s.subunit");
    std::fs::write(&s, stream(&[("t.a", Status::Fail, 0.0, 1.0)])).unwrap();

    // A subunit2sql database at an older migration: refused, untouched.
    let old = tmp.path().join("old.db");
    subunit2sql_db(&old, "35cd45895e56");
    let before = std::fs::read(&old).unwrap();
    let dest = tmp.path().join("o1");
    let (ok, err) = export(args![dest, "--history", old, "-f", s]);
    assert!(!ok);
    assert!(err.contains("subunit2sql-db-manage"), "{err}");
    assert!(err.contains("upgrade head"), "{err}");
    assert!(!dest.exists());
    assert_eq!(count(&old, "SELECT count(*) FROM runs"), 1);
    assert_eq!(
        count(
            &old,
            "SELECT count(*) FROM sqlite_master WHERE name LIKE 'stackviz%'"
        ),
        0
    );
    let _ = before;

    // At subunit2sql's last migration: adopted; its run is history.
    let head = tmp.path().join("head.db");
    subunit2sql_db(&head, "10a2b6d4b06e");
    let dest = tmp.path().join("o2");
    let (ok, err) = export(args![dest, "-q", "--history", head, "-f", s]);
    assert!(ok, "{err}");
    let h = history_json(&dest);
    assert_eq!(names(&h["streams"][0]["marks"]["new"]), ["t.a"]);
    assert_eq!(
        h["streams"][0]["marks"]["strips"]["t.a"],
        serde_json::json!([["success", 1.0]])
    );
    assert_eq!(
        count(&head, "SELECT run_count FROM tests WHERE test_id = 't.a'"),
        2
    );

    // Written by a newer version: refused.
    Connection::open(&head)
        .unwrap()
        .execute(
            "UPDATE stackviz_meta SET value = '99' WHERE \"key\" = 'schema_version'",
            [],
        )
        .unwrap();
    let (ok, err) = export(args![tmp.path().join("o3"), "--history", head, "-f", s]);
    assert!(!ok);
    assert!(err.contains("newer stackviz-export"), "{err}");

    // Not a store at all.
    let other = tmp.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE notes (x)")
        .unwrap();
    let (ok, err) = export(args![tmp.path().join("o4"), "--history", other, "-f", s]);
    assert!(!ok);
    assert!(err.contains("not a history store"), "{err}");
}

/// The synthetic history (see tests/common/history.rs) as stream files.
fn synthetic(dir: &Path) -> (Vec<PathBuf>, PathBuf) {
    let (earlier, current) = common::history::synthetic("t.flaky");
    let earlier = earlier
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let p = dir.join(format!("run{i}.subunit"));
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect();
    let p = dir.join("current.subunit");
    std::fs::write(&p, current).unwrap();
    (earlier, p)
}

#[test]
fn synthetic_history_through_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let (earlier, current) = synthetic(tmp.path());
    // All streams share one name, as a CI job's stream does.
    let db = tmp.path().join("h.db");
    let job = tmp.path().join("job");
    std::fs::create_dir(&job).unwrap();
    let same = job.join("run.subunit");
    for p in &earlier {
        std::fs::copy(p, &same).unwrap();
        let (ok, err) = export(args![
            tmp.path().join("o"),
            "-q",
            "--history",
            db,
            "-f",
            same
        ]);
        assert!(ok, "{err}");
    }
    std::fs::copy(&current, &same).unwrap();
    let dest = tmp.path().join("now");
    let out = Command::new(exe())
        .arg(&dest)
        .arg("--history")
        .arg(&db)
        .arg("-f")
        .arg(&same)
        .output()
        .unwrap();
    assert!(out.status.success());
    let h = history_json(&dest);
    check_marks(&h["streams"][0]["marks"]);
    let strip = &h["streams"][0]["marks"]["strips"]["t.flaky"];
    assert_eq!(strip.as_array().unwrap().len(), 6);
    assert_eq!(strip[1][0], "fail");
    // The console says it too.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("4 failing (2 new, 1 known, 1 flaky)"), "{err}");
    assert!(err.contains("  flaky failure: t.flaky"), "{err}");
    assert!(
        err.contains("  slower: t.slow 3.00 s (median 1.00 s, 3.0x)"),
        "{err}"
    );
    // Window 2: the flaky test's last flip is its only one.
    let dest = tmp.path().join("narrow");
    let (ok, err) = export(args![
        dest,
        "-q",
        "--history",
        db,
        "--history-window",
        "2",
        "-f",
        same
    ]);
    assert!(ok, "{err}");
    let m = &history_json(&dest)["streams"][0]["marks"];
    assert_eq!(names(&m["flaky"]), Vec::<String>::new());
    assert!(names(&m["new"]).contains(&"t.flaky".to_owned()));
}

/// A repository with the given streams as runs 0, 1, …
fn repository(dir: &Path, runs: &[&Path]) -> PathBuf {
    let repo = dir.join("repo");
    let st = repo.join(".stestr");
    std::fs::create_dir_all(&st).unwrap();
    std::fs::write(st.join("format"), "1\n").unwrap();
    std::fs::write(st.join("next-stream"), format!("{}\n", runs.len())).unwrap();
    for (i, r) in runs.iter().enumerate() {
        std::fs::copy(r, st.join(i.to_string())).unwrap();
    }
    repo
}

#[test]
fn baseline_from_a_stream_a_repository_and_a_dest() {
    use Status::*;
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base.subunit");
    std::fs::write(
        &base,
        stream(&[
            ("t.one", Success, 0.0, 0.1),
            ("t.two", Fail, 1.0, 0.1),
            ("t.slow", Success, 2.0, 1.0),
            ("t.gone", Success, 4.0, 0.1),
        ]),
    )
    .unwrap();
    let now = tmp.path().join("now.subunit");
    std::fs::write(
        &now,
        stream(&[
            ("t.one", Fail, 100.0, 0.1),
            ("t.two", Success, 101.0, 0.1),
            ("t.slow", Success, 102.0, 2.5),
            ("t.new[tag]", Skip, 105.0, 0.0),
        ]),
    )
    .unwrap();
    let earlier = tmp.path().join("earlier");
    let (ok, err) = export(args![earlier, "-q", "-z", "-f", base]);
    assert!(ok, "{err}");
    let repo = repository(tmp.path(), &[&now, &base]);
    for (k, b) in [base.clone(), repo, earlier].iter().enumerate() {
        let dest = tmp.path().join(format!("d{k}"));
        let (ok, err) = export(args![dest, "-q", "--baseline", b, "-f", now]);
        assert!(ok, "{}: {err}", b.display());
        let m = &history_json(&dest)["streams"][0]["marks"];
        assert_eq!(names(&m["new"]), ["t.one"], "{}", b.display());
        assert_eq!(names(&m["fixed"]), ["t.two"]);
        assert_eq!(names(&m["added"]), ["t.new"]);
        assert_eq!(names(&m["removed"]), ["t.gone"]);
        assert_eq!(m["slower"][0]["name"], "t.slow");
        assert_eq!(m["slower"][0]["factor"], 2.5);
        assert!(m["previous"].as_str().unwrap().starts_with("baseline "));
    }
    let (ok, err) = export(args![
        tmp.path().join("x"),
        "--baseline",
        tmp.path().join("nope"),
        "-f",
        now
    ]);
    assert!(!ok);
    assert!(err.contains("--baseline not found"), "{err}");
}

#[test]
fn repository_runs_are_history() {
    let tmp = tempfile::tempdir().unwrap();
    let (earlier, current) = synthetic(tmp.path());
    let mut runs: Vec<&Path> = earlier.iter().map(PathBuf::as_path).collect();
    runs.push(&current);
    let repo = repository(tmp.path(), &runs);
    let dest = tmp.path().join("out");
    let (ok, err) = export(args![dest, "-r", repo, "--all-runs"]);
    assert!(ok, "{err}");
    // The comparison is printed; DEST keeps the Python tool's file set.
    assert!(!dest.join("history.json").exists());
    let all: Vec<&str> = err.lines().collect();
    let last = all
        .iter()
        .rposition(|l| l.starts_with("History of "))
        .expect("a history line per run");
    let lines = &all[last..];
    assert!(
        lines[0]
            .contains("4 failing (2 new, 1 known, 1 flaky), 1 fixed, 1 slower, 1 added, 1 removed"),
        "{lines:?}"
    );
    for want in [
        "  new failure: t.stable",
        "  new failure: t.added",
        "  known failure: t.broken",
        "  flaky failure: t.flaky",
        "  fixed: t.fixed",
        "  added: t.added",
    ] {
        assert!(lines.contains(&want), "{want} in {lines:?}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  slower: t.slow ") && l.ends_with("3.0x)")),
        "{lines:?}"
    );
    // The first run has nothing before it: its line names no earlier run.
    let first = err.lines().find(|l| l.starts_with("History of ")).unwrap();
    assert!(!first.contains(" vs "), "{first}");
}

/// An export that fails after the store has written its rows (here DEST's
/// `config.json` cannot be replaced: a directory of that name) stores
/// nothing: the store commits only once the files are in place.
#[test]
fn a_failed_export_stores_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("h.db");
    let dest = tmp.path().join("out");
    let first = tmp.path().join("first.subunit");
    std::fs::write(&first, stream(&[("t.a", Status::Success, 0.0, 1.0)])).unwrap();
    let (ok, err) = export(args![dest, "-q", "--history", db, "-f", first]);
    assert!(ok, "{err}");
    std::fs::remove_file(dest.join("config.json")).unwrap();
    std::fs::create_dir(dest.join("config.json")).unwrap();
    std::fs::write(dest.join("config.json").join("keep"), "x").unwrap();
    let second = tmp.path().join("second.subunit");
    std::fs::write(&second, stream(&[("t.a", Status::Fail, 60.0, 1.0)])).unwrap();
    let (ok, err) = export(args![dest, "-q", "--history", db, "-f", second]);
    assert!(!ok, "{err}");
    assert!(err.contains("config.json"), "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM runs"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM test_runs"), 1);
    assert_eq!(count(&db, "SELECT failure FROM tests"), 0);
    assert_eq!(count(&db, "SELECT failures FROM stackviz_test_summary"), 0);
    // DEST is as the first export left it, and the next export stores.
    assert!(dest.join("config.json").join("keep").exists());
    std::fs::remove_dir_all(dest.join("config.json")).unwrap();
    let (ok, err) = export(args![dest, "-q", "--history", db, "-f", second]);
    assert!(ok, "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM runs"), 2);
    assert_eq!(count(&db, "SELECT failure FROM tests"), 1);
}

/// A store that did not exist is made only by an export that succeeds:
/// one that fails at commit, after the store's rows were written (here
/// DEST's `config.json` is a directory), leaves neither a store holding
/// only the schema nor the temporary one it was built in.
#[test]
fn a_failed_export_leaves_no_new_store() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("new.db");
    let dest = tmp.path().join("out");
    let s = tmp.path().join("s.subunit");
    std::fs::write(&s, stream(&[("t.a", Status::Success, 0.0, 1.0)])).unwrap();
    std::fs::create_dir_all(dest.join("config.json").join("keep")).unwrap();
    let (ok, err) = export(args![dest, "-q", "--history", db, "-f", s]);
    assert!(!ok, "{err}");
    assert!(err.contains("config.json"), "{err}");
    let mut left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["out", "s.subunit"]);
    std::fs::remove_dir_all(dest.join("config.json")).unwrap();
    let (ok, err) = export(args![dest, "-q", "--history", db, "-f", s]);
    assert!(ok, "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM runs"), 1);
    // The mode SQLite gives a store it creates: 0666 less the umask.
    let plain = tmp.path().join("plain");
    std::fs::File::create(&plain).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&db), mode(&plain));
    assert!(std::fs::read_dir(tmp.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("stackviz-history")));
}

/// A signal while a new store is being built (after the pass, before the
/// commit) removes it with the rest of the run's temporaries.
#[test]
fn a_signal_removes_a_new_store_being_built() {
    let src = medium_stream();
    let building = |dir: &Path| {
        std::fs::read_dir(dir).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".stackviz-history-")
        })
    };
    // The store is built in well under a second: caught on one of a few tries.
    for _ in 0..10 {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("h.db");
        let mut child = Command::new(exe())
            .arg(tmp.path().join("out"))
            .args(["-q", "--history"])
            .arg(&db)
            .arg("-f")
            .arg(&src)
            .spawn()
            .unwrap();
        let caught = loop {
            if building(tmp.path()) {
                break true;
            }
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        };
        if !caught {
            continue;
        }
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        if status.success() || tmp.path().join("out/config.json").exists() {
            // It committed before the signal arrived, or the signal waited
            // for the commit under way: try again.
            continue;
        }
        assert_eq!(status.code(), Some(143));
        assert!(!db.exists(), "a store was left");
        assert!(!building(tmp.path()), "the store being built was left");
        return;
    }
    panic!("no try caught the store being built");
}

/// A store named like one of the export's files in DEST would be replaced
/// by that file at commit (its WAL left beside a page): a usage error, the
/// store as it was.
#[test]
fn a_store_named_like_an_export_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    let s = tmp.path().join("s.subunit");
    std::fs::write(&s, stream(&[("t.a", Status::Success, 0.0, 1.0)])).unwrap();
    std::fs::create_dir(&dest).unwrap();
    let db = dest.join("index.html");
    let (ok, err) = export(args![dest, "-q", "--history", db, "-f", s]);
    assert!(ok, "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM runs"), 1);
    let (ok, err) = export(args![dest, "-q", "--html", "--history", db, "-f", s]);
    assert!(!ok, "{err}");
    assert!(
        err.contains("is also one of the export's files in DEST; give the history store"),
        "{err}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM runs"), 1);
    // The file a store makes the export write.
    let dest = tmp.path().join("out2");
    std::fs::create_dir(&dest).unwrap();
    let db = dest.join("history.json");
    let (ok, err) = export(args![dest, "-q", "--history", db, "-f", s]);
    assert!(!ok, "{err}");
    assert!(err.contains("give the history store another name"), "{err}");
    assert!(!dest.join("config.json").exists());
}
