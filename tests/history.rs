//! `--history`, `--baseline` and repository runs as history, end to end
//! through the binary; and the store held against the real subunit2sql
//! tools both ways (they run from the venv `scripts/setup-test-tools.sh`
//! makes; without it these parts say "skipped: …", and fail under CI).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use rusqlite::Connection;
use serde_json::Value;
use stackviz_export::history::run::subunit2sql_name;
use stackviz_export::Status;

mod common;
use common::history::{check_marks, names, stream};

/// StackViz's name cleaning, as its raw lists show names.
fn clean_name(id: &str) -> String {
    stackviz_export::Entry::from_record(stackviz_export::Record {
        id: id.to_owned(),
        route: None,
        status: None,
        tags: Default::default(),
        start: None,
        end: None,
        attachments: Vec::new(),
        spooled: Vec::new(),
    })
    .name
}

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_stackviz-export"))
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the exporter; returns (success, stderr).
fn export(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = Command::new(exe())
        .args(args)
        .env_remove("CI_ENV_UNUSED")
        .output()
        .expect("run stackviz-export");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$(std::ffi::OsStr::new(&$a)),*] };
}

/// The venv with subunit2sql, or `None` (after saying so) outside CI.
fn venv() -> Option<PathBuf> {
    let dir = std::env::var_os("STACKVIZ_TOOLS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest().join(".tools/venv"));
    if dir.join("bin/subunit2sql").is_file() && dir.join("bin/sql2subunit").is_file() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{} has no subunit2sql; CI must run scripts/setup-test-tools.sh",
            dir.display()
        );
    }
    eprintln!(
        "skipped: no subunit2sql venv at {} (run scripts/setup-test-tools.sh)",
        dir.display()
    );
    None
}

fn history_json(dest: &Path) -> Value {
    let bytes = std::fs::read(dest.join("history.json")).expect("history.json");
    serde_json::from_slice(&bytes).expect("history.json is JSON")
}

fn count(db: &Path, sql: &str) -> i64 {
    Connection::open(db)
        .expect("open store")
        .query_row(sql, [], |r| r.get(0))
        .expect(sql)
}

/// Every conformance stream file (not the error cases), plain or gzipped.
fn conformance_streams() -> Vec<PathBuf> {
    let root = manifest().join("fixtures/conformance");
    let mut out = Vec::new();
    for case in std::fs::read_dir(&root).expect("fixtures/conformance") {
        let case = case.expect("entry").path();
        if !case.is_dir() || case.join("error").exists() {
            continue;
        }
        for f in std::fs::read_dir(&case).expect("case") {
            let f = f.expect("entry").path();
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            if f.is_file() && (name.ends_with(".subunit") || name.ends_with(".subunit.gz")) {
                out.push(f);
            }
        }
    }
    out.sort();
    assert!(out.len() > 35, "conformance streams: {}", out.len());
    out
}

#[test]
fn every_conformance_stream_is_ingested_once() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("h.db");
    let streams = conformance_streams();
    // Streams with the same name and content are one run.
    let mut seen = BTreeSet::new();
    for (i, s) in streams.iter().enumerate() {
        let dest = tmp.path().join(format!("out{i}"));
        let (ok, err) = export(args![dest, "-q", "--history", db, "-f", s]);
        assert!(ok, "{}: {err}", s.display());
        let h = history_json(&dest);
        let uuid = h["streams"][0]["run_uuid"].as_str().unwrap().to_owned();
        // The run's rows: one per test name (the last result of a name
        // wins), `exists` and `process-returncode` left out, as subunit2sql
        // does. Raw lists carry StackViz's names, so compare under those.
        let expected: BTreeMap<String, String> = tempest_raw(&dest)
            .into_iter()
            .filter(|(n, st)| st != "exists" && n != "process-returncode")
            .map(|(n, st)| (both_ways(&n), st))
            .collect();
        let conn = Connection::open(&db).unwrap();
        let (id, passes, fails, skips): (i64, i64, i64, i64) = conn
            .query_row(
                "SELECT id, passes, fails, skips FROM runs WHERE uuid = ?1",
                [&uuid],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap_or_else(|e| panic!("{}: run {uuid}: {e}", s.display()));
        let stored: BTreeMap<String, String> = store_run(&conn, id)
            .into_iter()
            .map(|(n, v)| (both_ways(&n), v.0))
            .collect();
        // Names are cleaned differently by the two (a few edge cases
        // differ); the results must not.
        assert_eq!(statuses(&stored), statuses(&expected), "{}", s.display());
        let n = |st: &str| stored.values().filter(|v| *v == st).count() as i64;
        assert_eq!(
            (passes, fails, skips),
            (n("success"), n("fail"), n("skip")),
            "{}",
            s.display()
        );
        let first_time = seen.insert(uuid.clone());
        assert_eq!(h["streams"][0]["stored"], first_time, "{}", s.display());
        // Again: not added twice.
        let dest2 = tmp.path().join(format!("again{i}"));
        let (ok, err) = export(args![dest2, "-q", "--history", db, "-f", s]);
        assert!(ok, "{err}");
        assert_eq!(history_json(&dest2)["streams"][0]["stored"], false);
        assert_eq!(count(&db, "SELECT count(*) FROM runs"), seen.len() as i64);
    }
    assert_eq!(
        Connection::open(&db)
            .unwrap()
            .query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
            .unwrap(),
        "ok"
    );
}

/// The statuses of a run, sorted.
fn statuses(m: &BTreeMap<String, String>) -> Vec<&str> {
    let mut v: Vec<&str> = m.values().map(String::as_str).collect();
    v.sort_unstable();
    v
}

/// A name under both cleanings (StackViz's raw lists, subunit2sql's
/// store), so the two can be compared.
fn both_ways(n: &str) -> String {
    subunit2sql_name(&clean_name(n)).into_owned()
}

/// (name, status) of the tempest raw list of the first stream in `dest`.
fn tempest_raw(dest: &Path) -> Vec<(String, String)> {
    let config: Value =
        serde_json::from_slice(&std::fs::read(dest.join("config.json")).unwrap()).unwrap();
    let raw = config["tempest"][0]["raw"].as_str().unwrap();
    let list: Value = serde_json::from_slice(&std::fs::read(dest.join(raw)).unwrap()).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// name → (status, start second text, start µs, stop second text, stop µs).
type RunRows = BTreeMap<
    String,
    (
        String,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<i64>,
    ),
>;

fn store_run(conn: &Connection, run: i64) -> RunRows {
    let mut st = conn
        .prepare(
            "SELECT t.test_id, tr.status, tr.start_time, tr.start_time_microsecond, \
             tr.stop_time, tr.stop_time_microsecond FROM test_runs tr \
             JOIN tests t ON t.id = tr.test_id WHERE tr.run_id = ?1",
        )
        .unwrap();
    let rows = st
        .query_map([run], |r| {
            let cut = |s: Option<String>| s.map(|s| s.chars().take(19).collect::<String>());
            Ok((
                r.get::<_, String>(0)?,
                (
                    r.get::<_, String>(1)?,
                    cut(r.get(2)?),
                    r.get(3)?,
                    cut(r.get(4)?),
                    r.get(5)?,
                ),
            ))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn gunzipped(path: &Path, into: &Path) -> PathBuf {
    use std::io::Read;
    let bytes = std::fs::read(path).unwrap();
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return path.to_owned();
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&bytes[..])
        .read_to_end(&mut out)
        .unwrap();
    let p = into.join("plain.subunit");
    std::fs::write(&p, out).unwrap();
    p
}

/// (a) The rows subunit2sql writes for a stream are the rows we write.
#[test]
fn rows_agree_with_real_subunit2sql() {
    let Some(venv) = venv() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut compared = 0;
    let mut reference_failed = Vec::new();
    // One empty reference store at subunit2sql's last migration, copied.
    let empty = tmp.path().join("empty.db");
    let url = format!("sqlite:///{}", empty.display());
    let st = Command::new(venv.join("bin/subunit2sql-db-manage"))
        .args(["--database-connection", &url, "upgrade", "head"])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    for (i, s) in conformance_streams().iter().enumerate() {
        let dir = tmp.path().join(format!("c{i}"));
        std::fs::create_dir(&dir).unwrap();
        let plain = gunzipped(s, &dir);
        let reference = dir.join("ref.db");
        std::fs::copy(&empty, &reference).unwrap();
        let url = format!("sqlite:///{}", reference.display());
        let st = Command::new(venv.join("bin/subunit2sql"))
            .args(["--database-connection", &url])
            .arg(&plain)
            .output()
            .unwrap();
        if !st.status.success() {
            // subunit2sql stops on streams it cannot take (tests without
            // timestamps make its run_time sum fail); nothing to compare.
            reference_failed.push(s.file_name().unwrap().to_string_lossy().into_owned());
            continue;
        }
        let ours = dir.join("ours.db");
        let (ok, err) = export(args![dir.join("out"), "-q", "--history", ours, "-f", s]);
        assert!(ok, "{err}");
        let r = Connection::open(&reference).unwrap();
        let o = Connection::open(&ours).unwrap();
        let run = |c: &Connection| -> (i64, i64, i64, i64, f64) {
            c.query_row(
                "SELECT id, passes, fails, skips, run_time FROM runs",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap()
        };
        let (rid, rp, rf, rs, rt) = run(&r);
        let (oid, op, of, os, ot) = run(&o);
        let what = s.display();
        assert_eq!((rp, rf, rs), (op, of, os), "{what}: runs counters");
        assert!(
            (rt - ot).abs() <= 1e-9 * rt.abs().max(1.0),
            "{what}: run_time {rt} vs {ot}"
        );
        let tests = |c: &Connection| -> BTreeMap<String, (i64, i64, i64, Option<f64>)> {
            let mut st = c
                .prepare("SELECT test_id, run_count, success, failure, run_time FROM tests")
                .unwrap();
            let rows = st
                .query_map([], |r| {
                    Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                })
                .unwrap();
            rows.map(Result::unwrap).collect()
        };
        assert_eq!(tests(&r), tests(&o), "{what}: tests rows");
        assert_eq!(
            store_run(&r, rid),
            store_run(&o, oid),
            "{what}: test_runs rows"
        );
        compared += 1;
    }
    eprintln!(
        "compared {compared} streams with subunit2sql; it could not ingest {}: {:?}",
        reference_failed.len(),
        reference_failed
    );
    assert!(compared >= 30, "only {compared} streams compared");
}

/// (b) `sql2subunit` reads our runs back as streams with the same tests
/// and statuses.
#[test]
fn sql2subunit_reads_our_runs() {
    let Some(venv) = venv() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("h.db");
    let url = format!("sqlite:///{}", db.display());
    let mut checked = 0;
    for (i, s) in conformance_streams().iter().enumerate() {
        let dest = tmp.path().join(format!("o{i}"));
        let (ok, err) = export(args![dest, "-q", "--history", db, "-f", s]);
        assert!(ok, "{err}");
        let h = history_json(&dest);
        let uuid = h["streams"][0]["run_uuid"].as_str().unwrap();
        let conn = Connection::open(&db).unwrap();
        let (id,): (i64,) = conn
            .query_row("SELECT id FROM runs WHERE uuid = ?1", [uuid], |r| {
                Ok((r.get(0)?,))
            })
            .unwrap();
        let stored = store_run(&conn, id);
        // sql2subunit needs both times of every test.
        if stored.is_empty() || stored.values().any(|v| v.1.is_none() || v.3.is_none()) {
            continue;
        }
        let back = tmp.path().join(format!("back{i}.subunit"));
        let out = Command::new(venv.join("bin/sql2subunit"))
            .args(["--database-connection", &url, "--out_path"])
            .arg(&back)
            .arg(uuid)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            s.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let dest2 = tmp.path().join(format!("b{i}"));
        let (ok, err) = export(args![dest2, "-q", "-f", back]);
        assert!(ok, "{err}");
        // The stream read back has our stored names; its export shows them
        // cleaned the StackViz way.
        let got: BTreeMap<String, String> = tempest_raw(&dest2)
            .into_iter()
            .map(|(n, st)| (both_ways(&n), st))
            .collect();
        // sql2subunit writes a final status only for subunit's status
        // words; a test stored as `inprogress` comes back without one.
        let final_word = ["exists", "fail", "skip", "success", "uxsuccess", "xfail"];
        let want: BTreeMap<String, String> = stored
            .into_iter()
            .map(|(n, v)| {
                let st = if final_word.contains(&v.0.as_str()) {
                    v.0
                } else {
                    "unknown".into()
                };
                (both_ways(&n), st)
            })
            .collect();
        assert_eq!(statuses(&got), statuses(&want), "{}", s.display());
        assert!(want.keys().filter(|k| got.contains_key(*k)).count() * 10 >= want.len() * 9);
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} runs read back");
}

#[test]
fn two_processes_ingest_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("h.db");
    let big = manifest().join("fixtures/conformance/syn_medium_10k");
    let src = std::fs::read_dir(&big)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(".subunit"))
        .expect("a stream in syn_medium_10k");
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
