//! The embedded backend: one SQLite file (bundled SQLite, no system library).
//!
//! Safe for several processes on one machine: WAL journal (readers never
//! block the writer), a busy timeout, and each export's one transaction
//! taken for writing up front (`BEGIN IMMEDIATE`), so the run-key check and
//! the insert cannot interleave with another writer's.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use rustc_hash::FxHashMap as HashMap;

use super::rolling::{Counters, Rolling, KEEP};
use super::schema::{self, ALEMBIC_HEAD, ALEMBIC_OLDER, VERSION};
use super::{
    HResult, HistoryError, PreviousRun, RowId, RunRow, Store, StoreTx, StoredTest, TestWrite,
};

/// How long a writer waits for another one before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

/// A history store in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

fn backend(location: &Path) -> impl Fn(rusqlite::Error) -> HistoryError + '_ {
    move |e| {
        let mut message = e.to_string();
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            if f.code == rusqlite::ErrorCode::DatabaseBusy {
                message = format!(
                    "{message} (another export kept it locked for more than {} s; try again)",
                    BUSY_TIMEOUT.as_secs()
                );
            }
        }
        HistoryError::Backend {
            location: location.display().to_string(),
            message,
        }
    }
}

impl SqliteStore {
    /// Opens the store at `path`, creating it (and its schema) when the file
    /// does not exist or is empty, and adopting a plain subunit2sql database
    /// at its last migration. Refuses other files, and schemas older or
    /// newer than this version, saying what to do.
    pub fn open(path: &Path) -> HResult<SqliteStore> {
        SqliteStore::open_named(path, path)
    }

    /// [`SqliteStore::open`] on `file`, named `path` in messages: a new
    /// store is built under a temporary name and renamed into place at the
    /// end (see `export::history`).
    pub fn open_named(file: &Path, path: &Path) -> HResult<SqliteStore> {
        let err = backend(path);
        let conn = Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(&err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(&err)?;
        // WAL: concurrent readers, one writer, crash-safe commits.
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(&err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(HistoryError::Backend {
                location: path.display().to_string(),
                message: format!("cannot use WAL mode (journal mode is {mode})"),
            });
        }
        // A page cache that holds what one export reads and then updates
        // (the `tests` and summary rows of ~10k tests and their index:
        // about 5 MB), so no page is read twice; and the file mapped, so
        // reads are not copied through read(2).
        conn.execute_batch(
            "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF; \
             PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824;",
        )
        .map_err(&err)?;
        let mut store = SqliteStore {
            conn,
            path: path.to_owned(),
        };
        store.prepare_schema()?;
        Ok(store)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves everything the write-ahead log holds into the database file
    /// and closes it, so that the file alone is the whole store (to be
    /// renamed into place). Dropping a store closes it without a word.
    pub fn close(self) -> HResult<()> {
        let err = backend(&self.path);
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .map_err(&err)?;
        if busy != 0 {
            return Err(HistoryError::Backend {
                location: self.path.display().to_string(),
                message: "the write-ahead log could not be checkpointed".into(),
            });
        }
        self.conn.close().map_err(|(_, e)| err(e))
    }

    /// Creates, checks or migrates the schema in one write transaction, so
    /// two processes creating the same new store do not collide.
    fn prepare_schema(&mut self) -> HResult<()> {
        let path = self.path.clone();
        let err = backend(&path);
        let version_err = |message: String| HistoryError::Version {
            location: path.display().to_string(),
            message,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let tables: Vec<String> = {
            let mut st = tx
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
                .map_err(&err)?;
            let rows = st.query_map([], |r| r.get(0)).map_err(&err)?;
            rows.collect::<Result<_, _>>().map_err(&err)?
        };
        let has = |t: &str| tables.iter().any(|n| n == t);
        if tables.is_empty() {
            tx.execute_batch(schema::SUBUNIT2SQL_SQLITE).map_err(&err)?;
            compact_test_runs(&tx).map_err(&err)?;
            tx.execute(
                "INSERT INTO alembic_version (version_num) VALUES (?1)",
                [ALEMBIC_HEAD],
            )
            .map_err(&err)?;
            create_extension(&tx).map_err(&err)?;
        } else if has("stackviz_meta") {
            let v: Option<String> = tx
                .query_row(
                    "SELECT value FROM stackviz_meta WHERE \"key\" = 'schema_version'",
                    [],
                    |r| r.get(0),
                )
                .optional()
                .map_err(&err)?;
            let v: i64 = v.and_then(|v| v.parse().ok()).unwrap_or(0);
            if v > VERSION {
                return Err(version_err(format!(
                    "written by a newer stackviz-export (history schema {v}, this one knows up to \
                     {VERSION}); use that version or a newer one, or give another --history file"
                )));
            }
            if v < 1 {
                return Err(version_err(format!(
                    "unknown history schema version {v}; give another --history file"
                )));
            }
            if v == 1 {
                // 1 -> 2: the compact test_runs; same rows, same ids.
                compact_test_runs(&tx).map_err(&err)?;
                tx.execute(
                    "UPDATE stackviz_meta SET value = ?1 WHERE \"key\" = 'schema_version'",
                    [VERSION.to_string()],
                )
                .map_err(&err)?;
            }
        } else if has("runs") && has("tests") && has("test_runs") {
            let alembic: Option<String> = if has("alembic_version") {
                tx.query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0))
                    .optional()
                    .map_err(&err)?
            } else {
                None
            };
            match alembic.as_deref() {
                Some(ALEMBIC_HEAD) => adopt_subunit2sql(&tx).map_err(&err)?,
                Some(old) if ALEMBIC_OLDER.contains(&old) => {
                    return Err(version_err(format!(
                        "a subunit2sql database at migration {old}, older than {ALEMBIC_HEAD}; \
                         upgrade it first: subunit2sql-db-manage --database-connection \
                         sqlite:///{} upgrade head",
                        path.display()
                    )))
                }
                other => {
                    return Err(version_err(format!(
                        "a subunit2sql database at an unknown migration ({}); this version \
                         reads {ALEMBIC_HEAD}",
                        other.unwrap_or("none recorded")
                    )))
                }
            }
        } else {
            let mut shown: Vec<&str> = tables.iter().map(String::as_str).take(5).collect();
            shown.sort_unstable();
            return Err(version_err(format!(
                "not a history store (it has other tables: {}); give a new file name",
                shown.join(", ")
            )));
        }
        tx.commit().map_err(&err)
    }
}

fn create_extension(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(schema::STACKVIZ_SQLITE)?;
    tx.execute(
        "INSERT INTO stackviz_meta (\"key\", value) VALUES ('schema_version', ?1), ('window', ?2)",
        params![VERSION.to_string(), KEEP.to_string()],
    )?;
    Ok(())
}

/// Turns a subunit2sql database into a history store: adds the extension
/// tables and builds the rolling summaries from its test runs (one pass, in
/// run order). Its runs get no job, so they count for flaky/new/slower but
/// are never "the previous run".
fn adopt_subunit2sql(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    compact_test_runs(tx)?;
    create_extension(tx)?;
    tx.execute(
        "INSERT INTO stackviz_runs (run_id, run_key, job, provider, description) \
         SELECT id, 'subunit2sql:' || id, '', '', COALESCE(uuid, '') FROM runs",
        [],
    )?;
    let mut summaries: std::collections::HashMap<i64, Rolling> = Default::default();
    {
        let mut st = tx.prepare(
            "SELECT test_id, run_id, status, \
             start_epoch * 1000000 + COALESCE(start_time_microsecond, 0), \
             stop_epoch * 1000000 + COALESCE(stop_time_microsecond, 0) \
             FROM test_runs ORDER BY run_id, id",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let test: i64 = r.get(0)?;
            let run: i64 = r.get(1)?;
            let status: Option<String> = r.get(2)?;
            let start: Option<i64> = r.get(3)?;
            let stop: Option<i64> = r.get(4)?;
            let result = super::TestResult {
                name: String::new(),
                status: status.unwrap_or_default(),
                start,
                stop,
            };
            summaries.entry(test).or_default().push(run, &result, 0);
        }
    }
    let mut ins = tx.prepare(
        "INSERT INTO stackviz_test_summary \
         (test_id, runs, failures, last_status, last_run_id, median, mad, recent) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (test, s) in summaries {
        let stats = s.pass_stats(KEEP);
        ins.execute(params![
            test,
            s.runs,
            s.failures,
            s.last_status,
            s.last_run,
            stats.map(|s| s.0),
            stats.map(|s| s.1),
            s.encode_recent()
        ])?;
    }
    Ok(())
}

/// Rebuilds `test_runs` (subunit2sql's layout) in the compact layout; see
/// [`schema::COMPACT_TEST_RUNS_SQLITE`].
fn compact_test_runs(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(schema::TO_COMPACT_SQLITE)?;
    tx.execute_batch(schema::COMPACT_TEST_RUNS_SQLITE)?;
    tx.execute_batch(schema::COPY_TO_COMPACT_SQLITE)
}

/// Microseconds since the epoch to (`YYYY-MM-DD HH:MM:SS`, microseconds).
fn split_time(micros: i64) -> Option<(String, i64)> {
    let secs = micros.div_euclid(1_000_000);
    let us = micros.rem_euclid(1_000_000);
    let dt = chrono::DateTime::from_timestamp(secs, 0)?;
    Some((dt.format("%Y-%m-%d %H:%M:%S").to_string(), us))
}

/// A `tests` row and its summary (the columns of `load_tests`); `None`
/// when the rolling window does not decode.
fn stored_test(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<StoredTest>> {
    let recent = match r.get_ref(9)?.as_blob_or_null()? {
        Some(bytes) => match Rolling::decode_recent(bytes) {
            Some(recent) => recent,
            None => return Ok(None),
        },
        None => Vec::new(),
    };
    Ok(Some(StoredTest {
        id: r.get(0)?,
        counters: Counters {
            run_count: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
            success: r.get::<_, Option<i64>>(2)?.unwrap_or(0),
            failure: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
            run_time: r.get(4)?,
        },
        rolling: Rolling {
            runs: r.get::<_, Option<i64>>(5)?.unwrap_or(0),
            failures: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
            last_status: r.get(7)?,
            last_run: r.get(8)?,
            recent,
        },
    }))
}

impl Store for SqliteStore {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn begin(&mut self) -> HResult<Box<dyn StoreTx + '_>> {
        let location = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend(&location))?;
        Ok(Box::new(SqliteTx { tx, location }))
    }
}

struct SqliteTx<'c> {
    tx: rusqlite::Transaction<'c>,
    location: PathBuf,
}

impl SqliteTx<'_> {
    fn err(&self) -> impl Fn(rusqlite::Error) -> HistoryError + '_ {
        backend(&self.location)
    }

    fn corrupt(&self, what: &str) -> HistoryError {
        HistoryError::Corrupt {
            location: self.location.display().to_string(),
            message: format!("unreadable {what}; the file was changed by another program"),
        }
    }
}

impl StoreTx for SqliteTx<'_> {
    fn find_run(&mut self, key: &str) -> HResult<Option<RowId>> {
        self.tx
            .prepare_cached("SELECT run_id FROM stackviz_runs WHERE run_key = ?1")
            .and_then(|mut st| st.query_row([key], |r| r.get(0)).optional())
            .map_err(self.err())
    }

    fn load_tests(&mut self, names: &[&str]) -> HResult<Vec<Option<StoredTest>>> {
        const COLUMNS: &str = "SELECT t.id, t.run_count, t.success, t.failure, t.run_time, \
             s.runs, s.failures, s.last_status, s.last_run_id, s.recent, t.test_id \
             FROM tests t LEFT JOIN stackviz_test_summary s ON s.test_id = t.id";
        let err = backend(&self.location);
        let mut out: Vec<Option<StoredTest>> = vec![None; names.len()];
        // When the run has most of the store's tests (the usual case: the
        // same job again), one pass over `tests` costs far less than a
        // lookup by name per test (each a descent of the name index,
        // comparing long common prefixes).
        let stored: i64 = self
            .tx
            .query_row("SELECT COALESCE(max(id), 0) FROM tests", [], |r| r.get(0))
            .map_err(&err)?;
        let position: HashMap<&str, usize> = if stored <= 2 * names.len() as i64 {
            names.iter().enumerate().map(|(k, n)| (*n, k)).collect()
        } else {
            HashMap::default()
        };
        // (Names given twice take the lookups below.)
        if !names.is_empty() && position.len() == names.len() {
            let mut st = self.tx.prepare_cached(COLUMNS).map_err(&err)?;
            let mut rows = st.query([]).map_err(&err)?;
            while let Some(r) = rows.next().map_err(&err)? {
                let name = r.get_ref(10).map_err(&err)?.as_str().ok();
                let Some(&k) = name.and_then(|n| position.get(n)) else {
                    continue;
                };
                out[k] = Some(
                    stored_test(r)
                        .map_err(&err)?
                        .ok_or_else(|| self.corrupt("rolling summary"))?,
                );
            }
            return Ok(out);
        }
        let mut st = self
            .tx
            .prepare_cached(&format!("{COLUMNS} WHERE t.test_id = ?1"))
            .map_err(&err)?;
        for (slot, name) in out.iter_mut().zip(names) {
            let mut rows = st.query([name]).map_err(&err)?;
            if let Some(r) = rows.next().map_err(&err)? {
                *slot = Some(
                    stored_test(r)
                        .map_err(&err)?
                        .ok_or_else(|| self.corrupt("rolling summary"))?,
                );
            }
        }
        Ok(out)
    }

    fn previous_run(&mut self, job: &str, before: Option<RowId>) -> HResult<Option<PreviousRun>> {
        let err = backend(&self.location);
        let found: Option<(RowId, Option<String>, String)> = self
            .tx
            .prepare_cached(
                "SELECT s.run_id, r.uuid, s.description FROM stackviz_runs s \
                 JOIN runs r ON r.id = s.run_id \
                 WHERE s.job = ?1 AND s.run_id < ?2 ORDER BY s.run_id DESC LIMIT 1",
            )
            .and_then(|mut st| {
                st.query_row(params![job, before.unwrap_or(i64::MAX)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
            })
            .map_err(&err)?;
        let Some((id, uuid, description)) = found else {
            return Ok(None);
        };
        let mut st = self
            .tx
            .prepare_cached(
                "SELECT t.test_id, tr.status FROM test_runs tr JOIN tests t ON t.id = tr.test_id \
                 WHERE tr.run_id = ?1 ORDER BY tr.id",
            )
            .map_err(&err)?;
        let tests = st
            .query_map([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(&err)?;
        Ok(Some(PreviousRun {
            id,
            uuid: uuid.unwrap_or_default(),
            description,
            tests,
        }))
    }

    fn insert_run(&mut self, row: &RunRow<'_>) -> HResult<RowId> {
        let err = backend(&self.location);
        let run_at = row
            .run_at
            .and_then(split_time)
            .map(|(t, us)| format!("{t}.{us:06}"));
        self.tx
            .prepare_cached(
                "INSERT INTO runs (uuid, skips, fails, passes, run_time, artifacts, run_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, NULL, COALESCE(?6, strftime('%Y-%m-%d %H:%M:%f000', 'now')))",
            )
            .and_then(|mut st| {
                st.execute(params![
                    row.uuid,
                    row.skips,
                    row.fails,
                    row.passes,
                    row.run_time,
                    run_at
                ])
            })
            .map_err(&err)?;
        let id = self.tx.last_insert_rowid();
        let mut meta = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO run_metadata (\"key\", value, run_id) VALUES (?1, ?2, ?3)",
            )
            .map_err(&err)?;
        for (k, v) in &row.run.metadata {
            meta.execute(params![k, v, id]).map_err(&err)?;
        }
        self.tx
            .prepare_cached(
                "INSERT INTO stackviz_runs (run_id, run_key, job, provider, description) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    id,
                    row.run.key,
                    row.run.job,
                    row.run.provider,
                    row.run.description
                ])
            })
            .map_err(&err)?;
        Ok(id)
    }

    fn write_tests(&mut self, run: RowId, tests: &[TestWrite<'_>]) -> HResult<()> {
        let err = backend(&self.location);
        let mut insert_test = self
            .tx
            .prepare_cached(
                "INSERT INTO tests (test_id, run_count, success, failure, run_time) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(&err)?;
        let mut update_test = self
            .tx
            .prepare_cached(
                "UPDATE tests SET run_count = ?2, success = ?3, failure = ?4, run_time = ?5 \
                 WHERE id = ?1",
            )
            .map_err(&err)?;
        let mut insert_run = self
            .tx
            .prepare_cached(
                "INSERT INTO test_runs (test_id, run_id, status, start_epoch, stop_epoch, \
                 start_time_microsecond, stop_time_microsecond) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(&err)?;
        // An update for a known test (an upsert would first try, and fail,
        // an insert), an insert for a new one or one without a summary yet.
        let mut update_summary = self
            .tx
            .prepare_cached(
                "UPDATE stackviz_test_summary SET runs = ?2, failures = ?3, last_status = ?4, \
                 last_run_id = ?5, median = ?6, mad = ?7, recent = ?8 WHERE test_id = ?1",
            )
            .map_err(&err)?;
        let mut insert_summary = self
            .tx
            .prepare_cached(
                "INSERT INTO stackviz_test_summary \
                 (test_id, runs, failures, last_status, last_run_id, median, mad, recent) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(&err)?;
        let mut recent = Vec::new();
        for w in tests {
            let c = &w.counters;
            let id = match w.id {
                Some(id) => {
                    update_test
                        .execute(params![id, c.run_count, c.success, c.failure, c.run_time])
                        .map_err(&err)?;
                    id
                }
                None => {
                    insert_test
                        .execute(params![
                            w.result.name,
                            c.run_count,
                            c.success,
                            c.failure,
                            c.run_time
                        ])
                        .map_err(&err)?;
                    self.tx.last_insert_rowid()
                }
            };
            let secs = |t: Option<i64>| t.map(|t| t.div_euclid(1_000_000));
            let micros = |t: Option<i64>| t.map(|t| t.rem_euclid(1_000_000));
            insert_run
                .execute(params![
                    id,
                    run,
                    w.result.status,
                    secs(w.result.start),
                    secs(w.result.stop),
                    micros(w.result.start),
                    micros(w.result.stop),
                ])
                .map_err(&err)?;
            let r = &w.rolling;
            let stats = r.pass_stats(KEEP);
            recent.clear();
            r.encode_recent_into(&mut recent);
            let values = params![
                id,
                r.runs,
                r.failures,
                r.last_status,
                r.last_run,
                stats.map(|s| s.0),
                stats.map(|s| s.1),
                recent
            ];
            let updated = match w.id {
                Some(_) => update_summary.execute(values).map_err(&err)?,
                None => 0,
            };
            if updated == 0 {
                insert_summary.execute(values).map_err(&err)?;
            }
        }
        Ok(())
    }

    fn commit(self: Box<Self>) -> HResult<()> {
        let location = self.location.clone();
        self.tx.commit().map_err(backend(&location))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_split() {
        let t = 1_444_074_544_812_133;
        let (text, us) = split_time(t).unwrap();
        assert_eq!((text.as_str(), us), ("2015-10-05 19:49:04", 812_133));
        assert_eq!(
            split_time(-1),
            Some(("1969-12-31 23:59:59".into(), 999_999))
        );
    }

    /// A store of schema 1 (text times) is rebuilt in the compact layout
    /// on open: same ids, same times read back, fractions and NULLs kept.
    #[test]
    fn schema_1_store_is_compacted_on_open() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("v1.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(schema::SUBUNIT2SQL_SQLITE).unwrap();
            c.execute_batch(schema::STACKVIZ_SQLITE).unwrap();
            c.execute_batch(
                "INSERT INTO alembic_version VALUES ('10a2b6d4b06e');
                 INSERT INTO stackviz_meta VALUES ('schema_version', '1'), ('window', '20');
                 INSERT INTO test_runs (id, test_id, run_id, status, start_time, stop_time,
                     start_time_microsecond, stop_time_microsecond) VALUES
                   (7, 1, 1, 'success', '2015-10-05 19:49:04', '2015-10-05 19:49:05', 812133, 5),
                   (9, 2, 1, 'fail', '2015-10-05 19:49:04.25', NULL, NULL, NULL);",
            )
            .unwrap();
        }
        drop(SqliteStore::open(&path).unwrap());
        let c = Connection::open(&path).unwrap();
        // (id, start text, start µs, stop text, stop µs)
        type Row = (
            i64,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<i64>,
        );
        let rows: Vec<Row> = c
            .prepare(
                "SELECT id, start_time, start_time_microsecond, stop_time, \
                 stop_time_microsecond FROM test_runs ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let t = |s: &str| Some(s.to_owned());
        assert_eq!(
            rows,
            [
                (
                    7,
                    t("2015-10-05 19:49:04"),
                    Some(812_133),
                    t("2015-10-05 19:49:05"),
                    Some(5)
                ),
                (9, t("2015-10-05 19:49:04"), Some(250_000), None, None),
            ]
        );
        let v: String = c
            .query_row(
                "SELECT value FROM stackviz_meta WHERE \"key\" = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(v, VERSION.to_string());
        let epoch: i64 = c
            .query_row("SELECT start_epoch FROM test_runs WHERE id = 7", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(epoch, 1_444_074_544);
    }
}
