//! The history tests' inputs and checks, shared so that the SQLite store,
//! the server store and the report run one suite: v2 streams built from
//! (id, status, start, duration) rows, the synthetic history whose marks
//! are known, and checks written once over a [`Backend`] (a SQLite file or
//! a PostgreSQL server) that tests/history.rs and tests/history_postgres.rs
//! each run.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use stackviz_export::history::run::{shortened, test_name};
use stackviz_export::testkit::encode::encode_event;
use stackviz_export::{Event, Status, Timestamp};

/// A v2 stream: (id, status, start seconds, duration seconds) per test,
/// seconds counted from 2023-11-14.
pub fn stream(tests: &[(&str, Status, f64, f64)]) -> Vec<u8> {
    let mut out = Vec::new();
    let ts = |s: f64| {
        let micros = (s * 1e6).round() as i64;
        Timestamp {
            secs: 1_700_000_000 + micros / 1_000_000,
            nanos: (micros % 1_000_000) as u32 * 1000,
        }
    };
    for (id, status, start, dur) in tests {
        for (st, at) in [(Status::InProgress, *start), (*status, start + dur)] {
            let ev = Event {
                status: Some(st),
                timestamp: Some(ts(at)),
                test_id: Some(Cow::Borrowed(id)),
                ..Event::default()
            };
            encode_event(&ev, &mut out).expect("encode");
        }
    }
    out
}

/// `t.flaky`'s outcomes in the six earlier runs: two flips in the window.
pub const FLAKY: [Status; 6] = [
    Status::Success,
    Status::Fail,
    Status::Success,
    Status::Success,
    Status::Fail,
    Status::Success,
];

/// `t.slow`'s earlier durations: median 1.0 s, MAD 0.05 s.
pub const SLOW: [f64; 6] = [1.0, 1.1, 0.9, 1.0, 1.05, 0.95];

/// Six earlier runs, an hour apart, and the current run, whose marks
/// [`check_marks`] knows. `flaky_id` is the flaky test's id in the stream
/// (with a `[…]` attribute group the store drops it from its name).
pub fn synthetic(flaky_id: &str) -> (Vec<Vec<u8>>, Vec<u8>) {
    use Status::*;
    let earlier = (0..6)
        .map(|i| {
            let t0 = i as f64 * 3600.0;
            stream(&[
                ("t.stable", Success, t0, 1.0),
                (
                    "t.broken",
                    if i >= 1 { Fail } else { Success },
                    t0 + 2.0,
                    0.1,
                ),
                (flaky_id, FLAKY[i], t0 + 3.0, 0.2),
                (
                    "t.fixed",
                    if i == 5 { Fail } else { Success },
                    t0 + 4.0,
                    0.3,
                ),
                ("t.slow", Success, t0 + 5.0, SLOW[i]),
                ("t.removed", Success, t0 + 7.0, 0.1),
            ])
        })
        .collect();
    let t0 = 6.0 * 3600.0;
    let current = stream(&[
        ("t.stable", Fail, t0, 1.0),
        ("t.broken", Fail, t0 + 2.0, 0.1),
        (flaky_id, Fail, t0 + 3.0, 0.2),
        ("t.fixed", Success, t0 + 4.0, 0.3),
        ("t.slow", Success, t0 + 5.0, 3.0),
        ("t.added", Fail, t0 + 9.0, 0.1),
    ]);
    (earlier, current)
}

/// A JSON list of strings.
pub fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| x.as_str().expect("a string").to_owned())
        .collect()
}

/// The current run's marks in `history.json` after the six earlier runs
/// of [`synthetic`] (flaky test named `t.flaky`).
pub fn check_marks(m: &Value) {
    assert_eq!(names(&m["new"]), ["t.stable", "t.added"]);
    assert_eq!(names(&m["known"]), ["t.broken"]);
    assert_eq!(names(&m["flaky"]), ["t.flaky"]);
    assert_eq!(names(&m["fixed"]), ["t.fixed"]);
    assert_eq!(names(&m["added"]), ["t.added"]);
    assert_eq!(names(&m["removed"]), ["t.removed"]);
    assert_eq!(m["slower"][0]["name"], "t.slow");
    assert_eq!(m["slower"][0]["factor"], 3.0);
    assert_eq!(m["slower"].as_array().expect("a list").len(), 1);
}

// ---------------------------------------------------------------------
// One suite, two backends: the checks below take a [`Backend`] and run
// unchanged on a SQLite file (tests/history.rs) and on a PostgreSQL
// server (tests/history_postgres.rs).

pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_stackviz-export"))
}

pub fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the exporter; returns (success, stderr).
pub fn export(args: &[&OsStr]) -> (bool, String) {
    let out = Command::new(exe())
        .args(args)
        .output()
        .expect("run stackviz-export");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Exports `stream` into `dest` with `--history store`.
fn export_into(dest: &Path, store: &Store, stream: &Path) -> (bool, String) {
    let h = store.arg();
    export(&[
        dest.as_os_str(),
        OsStr::new("-q"),
        OsStr::new("--history"),
        &h,
        OsStr::new("-f"),
        stream.as_os_str(),
    ])
}

pub fn history_json(dest: &Path) -> Value {
    let bytes = std::fs::read(dest.join("history.json")).expect("history.json");
    serde_json::from_slice(&bytes).expect("history.json is JSON")
}

/// True under CI, where a missing tool or server fails instead of skipping.
fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The PostgreSQL server named by `STACKVIZ_TEST_PG_URL`, or `None` after
/// saying "skipped: no PostgreSQL" (a failure under CI).
pub fn pg_server() -> Option<String> {
    match std::env::var("STACKVIZ_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                !ci(),
                "CI has no PostgreSQL: .ci/run must start one (scripts/pg-test-cluster.sh)"
            );
            eprintln!("skipped: no PostgreSQL (set STACKVIZ_TEST_PG_URL)");
            None
        }
    }
}

/// A database name no other test (or test process) uses.
fn unique_name(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "stackviz_it_{tag}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    )
}

/// `server` with its database replaced by `name`.
fn database_url(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{name}{query}", &base[..host_end])
}

/// A new database on `server` (a copy of `template` if given); its URL.
fn create_database(server: &str, tag: &str, template: Option<&str>) -> (String, String) {
    let name = unique_name(tag);
    let mut admin = postgres::Client::connect(server, postgres::NoTls).expect("connect");
    let from = template.map_or(String::new(), |t| format!(" TEMPLATE {t}"));
    admin
        .batch_execute(&format!("CREATE DATABASE {name}{from}"))
        .expect("create database");
    (database_url(server, &name), name)
}

/// A new empty database on `server`, kept after the test; its URL.
pub fn fresh_database(server: &str, tag: &str) -> String {
    create_database(server, tag, None).0
}

/// Where the stores of a check live.
pub enum Backend {
    /// SQLite files in this directory.
    Sqlite(PathBuf),
    /// Databases on this PostgreSQL server (URL of a database to connect
    /// to for creating others).
    Postgres(String),
}

/// One history store, SQLite file or PostgreSQL database, read with the
/// same questions. A server database made by a check is dropped with it.
pub enum Store {
    Sqlite(PathBuf),
    Postgres {
        url: String,
        server: String,
        name: String,
    },
}

/// name → (status, start second text, start µs, stop second text, stop µs).
pub type RunRows = BTreeMap<
    String,
    (
        String,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<i64>,
    ),
>;

/// test name → (run_count, success, failure, run_time).
pub type TestRows = BTreeMap<String, (i64, i64, i64, Option<f64>)>;

/// A `runs` row: (id, passes, fails, skips, run_time).
pub type RunRow = (i64, i64, i64, i64, Option<f64>);

impl Backend {
    /// A new empty store.
    pub fn fresh(&self, tag: &str) -> Store {
        match self {
            Backend::Sqlite(dir) => Store::Sqlite(dir.join(format!("{}.db", unique_name(tag)))),
            Backend::Postgres(server) => {
                let (url, name) = create_database(server, tag, None);
                Store::Postgres {
                    url,
                    server: server.clone(),
                    name,
                }
            }
        }
    }

    /// A copy of `store` (which nothing may be connected to).
    pub fn copy(&self, store: &Store, tag: &str) -> Store {
        match (self, store) {
            (Backend::Sqlite(dir), Store::Sqlite(from)) => {
                let to = dir.join(format!("{}.db", unique_name(tag)));
                std::fs::copy(from, &to).expect("copy store");
                Store::Sqlite(to)
            }
            (Backend::Postgres(server), Store::Postgres { name: from, .. }) => {
                let (url, name) = create_database(server, tag, Some(from));
                Store::Postgres {
                    url,
                    server: server.clone(),
                    name,
                }
            }
            _ => panic!("a store copied to another backend"),
        }
    }

    /// The venv with subunit2sql (and, for a server, its PostgreSQL
    /// driver), or `None` after saying so (a failure under CI).
    pub fn venv(&self) -> Option<PathBuf> {
        let dir = std::env::var_os("STACKVIZ_TOOLS_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest().join(".tools/venv"));
        let missing =
            if !(dir.join("bin/subunit2sql").is_file() && dir.join("bin/sql2subunit").is_file()) {
                Some("no subunit2sql")
            } else if matches!(self, Backend::Postgres(_))
                && !Command::new(dir.join("bin/python"))
                    .args(["-c", "import psycopg2"])
                    .output()
                    .is_ok_and(|o| o.status.success())
            {
                Some("no psycopg2 (subunit2sql's PostgreSQL driver)")
            } else {
                None
            };
        let Some(missing) = missing else {
            return Some(dir);
        };
        assert!(
            !ci(),
            "{} has {missing}; CI must run scripts/setup-test-tools.sh",
            dir.display()
        );
        eprintln!(
            "skipped: {missing} in the venv at {} (run scripts/setup-test-tools.sh)",
            dir.display()
        );
        None
    }
}

impl Store {
    /// The `--history` argument.
    pub fn arg(&self) -> OsString {
        match self {
            Store::Sqlite(p) => p.clone().into_os_string(),
            Store::Postgres { url, .. } => url.into(),
        }
    }

    /// The store as SQLAlchemy (and so subunit2sql's tools) names it.
    pub fn sqlalchemy_url(&self) -> String {
        match self {
            Store::Sqlite(p) => format!("sqlite:///{}", p.display()),
            Store::Postgres { url, .. } => {
                let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
                format!("postgresql+psycopg2://{rest}")
            }
        }
    }

    fn pg(&self) -> postgres::Client {
        let Store::Postgres { url, .. } = self else {
            unreachable!()
        };
        postgres::Client::connect(url, postgres::NoTls).expect("connect to store")
    }

    fn sqlite(&self) -> rusqlite::Connection {
        let Store::Sqlite(p) = self else {
            unreachable!()
        };
        rusqlite::Connection::open(p).expect("open store")
    }

    /// The one integer `sql` selects (same SQL on both backends).
    pub fn count(&self, sql: &str) -> i64 {
        match self {
            Store::Sqlite(_) => self.sqlite().query_row(sql, [], |r| r.get(0)).expect(sql),
            Store::Postgres { .. } => self.pg().query_one(sql, &[]).expect(sql).get(0),
        }
    }

    /// The `runs` row of `uuid`, or of the store's only run.
    pub fn run(&self, uuid: Option<&str>) -> Option<RunRow> {
        let cond = if uuid.is_some() { "WHERE uuid = " } else { "" };
        match self {
            Store::Sqlite(_) => {
                let sql = format!(
                    "SELECT id, passes, fails, skips, run_time FROM runs {cond}{}",
                    if uuid.is_some() { "?1" } else { "" }
                );
                let c = self.sqlite();
                let row =
                    |r: &rusqlite::Row| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?));
                match uuid {
                    Some(u) => c.query_row(&sql, [u], row),
                    None => c.query_row(&sql, [], row),
                }
                .ok()
            }
            Store::Postgres { .. } => {
                // subunit2sql's own PostgreSQL tables have INTEGER counters.
                let sql = format!(
                    "SELECT id::bigint, passes::bigint, fails::bigint, skips::bigint, \
                     run_time::float8 FROM runs {cond}{}",
                    if uuid.is_some() { "$1" } else { "" }
                );
                let mut c = self.pg();
                let rows = match uuid {
                    Some(u) => c.query(&sql, &[&u]),
                    None => c.query(&sql, &[]),
                }
                .expect("runs");
                assert!(rows.len() <= 1, "{} runs", rows.len());
                rows.first()
                    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            }
        }
    }

    /// The `test_runs` rows of run `id`, by test name (times to the second).
    pub fn rows(&self, run: i64) -> RunRows {
        match self {
            Store::Sqlite(_) => {
                let c = self.sqlite();
                let mut st = c
                    .prepare(
                        "SELECT t.test_id, tr.status, tr.start_time, tr.start_time_microsecond, \
                         tr.stop_time, tr.stop_time_microsecond FROM test_runs tr \
                         JOIN tests t ON t.id = tr.test_id WHERE tr.run_id = ?1",
                    )
                    .unwrap();
                let cut = |s: Option<String>| s.map(|s| s.chars().take(19).collect::<String>());
                let rows = st
                    .query_map([run], |r| {
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
            Store::Postgres { .. } => {
                let sec = |c: &str| format!("to_char({c}, 'YYYY-MM-DD HH24:MI:SS')");
                let sql = format!(
                    "SELECT t.test_id, tr.status, {}, tr.start_time_microsecond::bigint, \
                     {}, tr.stop_time_microsecond::bigint FROM test_runs tr \
                     JOIN tests t ON t.id = tr.test_id WHERE tr.run_id = $1",
                    sec("tr.start_time"),
                    sec("tr.stop_time")
                );
                self.pg()
                    .query(&sql, &[&run])
                    .expect("test_runs")
                    .iter()
                    .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3), r.get(4), r.get(5))))
                    .collect()
            }
        }
    }

    /// Every `tests` row.
    pub fn tests(&self) -> TestRows {
        match self {
            Store::Sqlite(_) => {
                let c = self.sqlite();
                let mut st = c
                    .prepare("SELECT test_id, run_count, success, failure, run_time FROM tests")
                    .unwrap();
                let rows = st
                    .query_map([], |r| {
                        Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                    })
                    .unwrap();
                rows.map(Result::unwrap).collect()
            }
            Store::Postgres { .. } => self
                .pg()
                .query(
                    "SELECT test_id, run_count::bigint, success::bigint, failure::bigint, \
                     run_time::float8 FROM tests",
                    &[],
                )
                .expect("tests")
                .iter()
                .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3), r.get(4))))
                .collect(),
        }
    }

    /// The store is whole: no test run points at a missing run or test
    /// (and a SQLite file passes its integrity check).
    pub fn check_whole(&self) {
        assert_eq!(
            self.count(
                "SELECT count(*) FROM test_runs tr LEFT JOIN runs r ON r.id = tr.run_id \
                 LEFT JOIN tests t ON t.id = tr.test_id WHERE r.id IS NULL OR t.id IS NULL"
            ),
            0,
            "test runs without their run or test"
        );
        if let Store::Sqlite(_) = self {
            let ok: String = self
                .sqlite()
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(ok, "ok");
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // Server databases go with the store (the cluster is shared by
        // every test); SQLite files go with their temporary directory.
        if let Store::Postgres { server, name, .. } = self {
            if let Ok(mut admin) = postgres::Client::connect(server, postgres::NoTls) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

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

/// A name under both cleanings (StackViz's raw lists, subunit2sql's
/// store), so the two can be compared.
pub fn both_ways(n: &str) -> String {
    test_name(&clean_name(n)).into_owned()
}

/// The statuses of a run, sorted.
pub fn statuses(m: &BTreeMap<String, String>) -> Vec<&str> {
    let mut v: Vec<&str> = m.values().map(String::as_str).collect();
    v.sort_unstable();
    v
}

/// (name, status) of the tempest raw list of the first stream in `dest`.
pub fn tempest_raw(dest: &Path) -> Vec<(String, String)> {
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

/// Every conformance stream file (not the error cases), plain or gzipped.
pub fn conformance_streams() -> Vec<PathBuf> {
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

/// `path` as a plain stream (subunit2sql reads no gzip): itself, or its
/// content gunzipped into `into`.
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

/// Every conformance stream goes into one store: its run's rows are the
/// export's raw list (statuses and the pass/fail/skip counters), and the
/// stream exported again is not stored twice.
pub fn every_conformance_stream_is_ingested_once(backend: &Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let store = backend.fresh("once");
    // Streams with the same name and content are one run.
    let mut seen = std::collections::BTreeSet::new();
    for (i, s) in conformance_streams().iter().enumerate() {
        let dest = tmp.path().join(format!("out{i}"));
        let (ok, err) = export_into(&dest, &store, s);
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
        let (id, passes, fails, skips, _) = store
            .run(Some(&uuid))
            .unwrap_or_else(|| panic!("{}: no run {uuid}", s.display()));
        let stored: BTreeMap<String, String> = store
            .rows(id)
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
        let (ok, err) = export_into(&dest2, &store, s);
        assert!(ok, "{err}");
        assert_eq!(history_json(&dest2)["streams"][0]["stored"], false);
        assert_eq!(store.count("SELECT count(*) FROM runs"), seen.len() as i64);
    }
    store.check_whole();
}

/// Runs one of subunit2sql's tools from `venv`; panics with its stderr.
fn tool(venv: &Path, name: &str, args: &[&OsStr]) -> std::process::Output {
    Command::new(venv.join("bin").join(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The rows the real subunit2sql writes for each conformance stream (into
/// a fresh store at its last migration) are the rows we write.
pub fn rows_agree_with_real_subunit2sql(backend: &Backend, venv: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    let mut compared = 0;
    let mut reference_failed = Vec::new();
    // One empty reference store at subunit2sql's last migration, copied.
    let empty = backend.fresh("s2s_empty");
    let url = empty.sqlalchemy_url();
    let st = tool(
        venv,
        "subunit2sql-db-manage",
        &[
            OsStr::new("--database-connection"),
            OsStr::new(&url),
            OsStr::new("upgrade"),
            OsStr::new("head"),
        ],
    );
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    for (i, s) in conformance_streams().iter().enumerate() {
        let dir = tmp.path().join(format!("c{i}"));
        std::fs::create_dir(&dir).unwrap();
        let plain = gunzipped(s, &dir);
        let reference = backend.copy(&empty, "s2s_ref");
        let url = reference.sqlalchemy_url();
        let st = tool(
            venv,
            "subunit2sql",
            &[
                OsStr::new("--database-connection"),
                OsStr::new(&url),
                plain.as_os_str(),
            ],
        );
        if !st.status.success() {
            // subunit2sql stops on streams it cannot take (tests without
            // timestamps make its run_time sum fail); nothing to compare.
            reference_failed.push(s.file_name().unwrap().to_string_lossy().into_owned());
            continue;
        }
        let ours = backend.fresh("s2s_ours");
        let (ok, err) = export_into(&dir.join("out"), &ours, s);
        assert!(ok, "{err}");
        let what = s.display();
        let (rid, rp, rf, rs, rt) = reference.run(None).expect("subunit2sql's run");
        let (oid, op, of, os, ot) = ours.run(None).expect("our run");
        assert_eq!((rp, rf, rs), (op, of, os), "{what}: runs counters");
        let close = match (rt, ot) {
            (Some(r), Some(o)) => (r - o).abs() <= 1e-9 * r.abs().max(1.0),
            (r, o) => r == o,
        };
        assert!(close, "{what}: run_time {rt:?} vs {ot:?}");
        // subunit2sql keeps a long name whole where the column lets it
        // (SQLite); the store keeps it shortened, on every backend.
        let short = |n: String| shortened(&n).unwrap_or(n);
        let reference_tests: TestRows = reference
            .tests()
            .into_iter()
            .map(|(n, v)| (short(n), v))
            .collect();
        assert_eq!(reference_tests, ours.tests(), "{what}: tests rows");
        let reference_rows: RunRows = reference
            .rows(rid)
            .into_iter()
            .map(|(n, v)| (short(n), v))
            .collect();
        assert_eq!(reference_rows, ours.rows(oid), "{what}: test_runs rows");
        compared += 1;
    }
    eprintln!(
        "compared {compared} streams with subunit2sql; it could not ingest {}: {:?}",
        reference_failed.len(),
        reference_failed
    );
    assert!(compared >= 30, "only {compared} streams compared");
}

/// `sql2subunit` reads our runs back as streams with the same tests and
/// statuses.
pub fn sql2subunit_reads_our_runs(backend: &Backend, venv: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    let store = backend.fresh("sql2subunit");
    let url = store.sqlalchemy_url();
    let mut checked = 0;
    for (i, s) in conformance_streams().iter().enumerate() {
        let dest = tmp.path().join(format!("o{i}"));
        let (ok, err) = export_into(&dest, &store, s);
        assert!(ok, "{}: {err}", s.display());
        let h = history_json(&dest);
        let uuid = h["streams"][0]["run_uuid"].as_str().unwrap();
        let (id, ..) = store.run(Some(uuid)).expect("the run");
        let stored = store.rows(id);
        // sql2subunit needs both times of every test.
        if stored.is_empty() || stored.values().any(|v| v.1.is_none() || v.3.is_none()) {
            continue;
        }
        let back = tmp.path().join(format!("back{i}.subunit"));
        let out = tool(
            venv,
            "sql2subunit",
            &[
                OsStr::new("--database-connection"),
                OsStr::new(&url),
                OsStr::new("--out_path"),
                back.as_os_str(),
                OsStr::new(uuid),
            ],
        );
        assert!(
            out.status.success(),
            "{}: {}",
            s.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let dest2 = tmp.path().join(format!("b{i}"));
        let (ok, err) = export(&[
            dest2.as_os_str(),
            OsStr::new("-q"),
            OsStr::new("-f"),
            back.as_os_str(),
        ]);
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
