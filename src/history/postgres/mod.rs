//! The fleet backend: the same store on a PostgreSQL server, for many CI
//! nodes writing one history.
//!
//! - Connection: a `postgresql://` / `postgres://` URL; password from the
//!   URL, `PGPASSWORD` or the password file; TLS through OpenSSL
//!   (`sslmode` disable / prefer / require / verify-ca / verify-full). See
//!   [`conn`]. Messages name the server without the password.
//! - Schema: created or migrated on first use under a session advisory
//!   lock ([`schema`]); a newer schema is refused with what to do.
//! - Writes: each export is one READ COMMITTED transaction that first takes
//!   a transaction advisory lock, so the run-key check, the counters and
//!   the rolling window of two racing nodes never interleave (the unique
//!   `stackviz_runs.run_key` backs that up). Test rows go in with binary
//!   `COPY … FROM STDIN`. Serialization failures, deadlocks and a lost
//!   run-key race roll back and retry the whole export ([`record_runs`]).
//! - Reading ahead: an export reads its first stream's tests in a
//!   read-only snapshot without the lock ([`PgStore::begin_read`]) while
//!   the stream comes in; the write transaction uses those rows only if
//!   the store's write token (highest run id, run count) is unchanged.

pub mod conn;
mod copy;
pub mod schema;

use std::cell::Cell;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, IsolationLevel};

use super::rolling::{Counters, Rolling, KEEP};
use super::schema::{ALEMBIC_HEAD, VERSION};
use super::{
    HResult, HistoryError, Preload, PreviousRun, Recorded, RowId, RunInput, RunRow, Store, StoreTx,
    StoredTest, TestWrite,
};

pub use conn::is_url;
pub use copy::copy_sqlite;

/// Advisory lock keys (arbitrary, fixed): schema set-up, and writes.
const LOCK_SCHEMA: i64 = 0x5354_4b56_5a00_0001;
const LOCK_WRITE: i64 = 0x5354_4b56_5a00_0002;

/// How often an export is tried when the server asks to retry.
const ATTEMPTS: u32 = 6;

/// A history store on a PostgreSQL server.
pub struct PgStore {
    client: Client,
    location: String,
    secret: Option<String>,
    /// Set when the last failure is worth retrying (serialization failure,
    /// deadlock, a racing insert of the same run key).
    retry: Cell<bool>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("location", &self.location)
            .finish()
    }
}

fn map_err<'a>(
    location: &'a str,
    secret: Option<&'a str>,
    retry: &'a Cell<bool>,
) -> impl Fn(postgres::Error) -> HistoryError + 'a {
    move |e| {
        if let Some(code) = e.code() {
            if *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::UNIQUE_VIOLATION
            {
                retry.set(true);
            }
        }
        let message = match e.as_db_error() {
            Some(db) => format!("{}: {}", db.severity(), db.message()),
            None => with_causes(&e),
        };
        HistoryError::Backend {
            location: location.to_owned(),
            message: conn::redact_with(&message, secret),
        }
    }
}

/// The client's error and its causes, `outer: inner: …`: the client says
/// only "error connecting to server", and what the user can act on
/// (connection refused, no such host, timed out) is in its source.
fn with_causes(e: &postgres::Error) -> String {
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = c.source();
    }
    message
}

impl PgStore {
    /// Connects to `url` and creates or migrates the schema.
    pub fn connect(url: &str) -> HResult<PgStore> {
        let location = conn::location_of(url);
        let target = conn::parse(url).map_err(|message| HistoryError::Backend {
            location: location.clone(),
            message,
        })?;
        let tls_required = conn::requires_tls(&target.config);
        let client = target.config.connect(target.tls.clone()).map_err(|e| {
            let mut message = target.redact(&with_causes(&e));
            let lower = message.to_ascii_lowercase();
            if tls_required && (lower.contains("tls") || lower.contains("ssl")) {
                message.push_str(
                    " (the connection string asks for TLS: enable ssl on the server, or use \
                     sslmode=prefer or sslmode=disable)",
                );
            } else if lower.contains("password") {
                message.push_str(" (give the password in the URL, in PGPASSWORD or in ~/.pgpass)");
            }
            HistoryError::Backend {
                location: target.location.clone(),
                message: format!("cannot connect: {message}"),
            }
        })?;
        let secret = target
            .config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        let mut store = PgStore {
            client,
            location: target.location,
            secret,
            retry: Cell::new(false),
        };
        store.prepare_schema()?;
        Ok(store)
    }

    fn err(&self) -> impl Fn(postgres::Error) -> HistoryError + '_ {
        map_err(&self.location, self.secret.as_deref(), &self.retry)
    }

    /// The schema version stored (0: none yet).
    pub fn schema_version(&mut self) -> HResult<i64> {
        let row = self
            .client
            .query_one(
                "SELECT CASE WHEN to_regclass('stackviz_meta') IS NULL THEN NULL ELSE 1 END",
                &[],
            )
            .map_err(map_err(&self.location, self.secret.as_deref(), &self.retry))?;
        if row.get::<_, Option<i32>>(0).is_none() {
            return Ok(0);
        }
        let v = self
            .client
            .query_opt(
                "SELECT value FROM stackviz_meta WHERE \"key\" = 'schema_version'",
                &[],
            )
            .map_err(map_err(&self.location, self.secret.as_deref(), &self.retry))?;
        Ok(v.and_then(|r| r.get::<_, String>(0).parse().ok())
            .unwrap_or(0))
    }

    /// Creates or migrates the schema under the schema lock.
    fn prepare_schema(&mut self) -> HResult<()> {
        let err = map_err(&self.location, self.secret.as_deref(), &self.retry);
        self.client
            .execute("SELECT pg_advisory_lock($1)", &[&LOCK_SCHEMA])
            .map_err(&err)?;
        drop(err);
        let result = self.migrate();
        let unlock = self
            .client
            .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_SCHEMA]);
        result?;
        unlock.map_err(self.err())?;
        Ok(())
    }

    fn migrate(&mut self) -> HResult<()> {
        let current = self.schema_version()?;
        let target = schema::MIGRATIONS.len() as i64;
        debug_assert_eq!(target, VERSION);
        if current > target {
            return Err(HistoryError::Version {
                location: self.location.clone(),
                message: format!(
                    "written by a newer stackviz-export (history schema {current}, this one \
                     knows up to {target}); upgrade stackviz-export on this node"
                ),
            });
        }
        if current == 0 {
            let tables: i64 = self
                .client
                .query_one(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() \
                     AND tablename IN ('runs', 'tests', 'test_runs')",
                    &[],
                )
                .map_err(self.err())?
                .get(0);
            if tables > 0 {
                return Err(HistoryError::Version {
                    location: self.location.clone(),
                    message: "the database already has subunit2sql tables without the \
                              stackviz_* ones; give an empty database (CREATE DATABASE …)"
                        .to_owned(),
                });
            }
        }
        let location = self.location.clone();
        let secret = self.secret.clone();
        let err = map_err(&location, secret.as_deref(), &self.retry);
        for (v, step) in schema::MIGRATIONS.iter().enumerate().skip(current as usize) {
            let mut tx = self.client.transaction().map_err(&err)?;
            tx.batch_execute(step).map_err(&err)?;
            if v == 0 {
                tx.execute(
                    "INSERT INTO alembic_version (version_num) VALUES ($1)",
                    &[&ALEMBIC_HEAD],
                )
                .map_err(&err)?;
                tx.execute(
                    "INSERT INTO stackviz_meta (\"key\", value) VALUES ('window', $1)",
                    &[&KEEP.to_string()],
                )
                .map_err(&err)?;
            }
            tx.execute(
                "INSERT INTO stackviz_meta (\"key\", value) VALUES ('schema_version', $1) \
                 ON CONFLICT (\"key\") DO UPDATE SET value = EXCLUDED.value",
                &[&(v as i64 + 1).to_string()],
            )
            .map_err(&err)?;
            tx.commit().map_err(&err)?;
        }
        Ok(())
    }

    /// The plain client, for maintenance and tests.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// [`super::record_runs`] with retries: a transaction the server aborted
/// to keep writers serializable is run again from the start.
pub fn record_runs(store: &mut PgStore, runs: &[RunInput]) -> HResult<Vec<Recorded>> {
    let mut out = Vec::with_capacity(runs.len());
    record_runs_with(store, runs, None, &mut |r| out.push(r), &mut || true)?;
    Ok(out)
}

/// [`super::record_runs_with`] with the same retries. A run's [`Recorded`]
/// is handed on once: a retry after it went out (the export's write lock
/// is held from the first read, so the retry reads the same) does not
/// repeat it.
pub fn record_runs_with(
    store: &mut PgStore,
    runs: &[RunInput],
    mut preload: Option<Preload>,
    recorded: &mut dyn FnMut(Recorded),
    go: &mut dyn FnMut() -> bool,
) -> HResult<bool> {
    let mut attempt = 0;
    let mut sent = 0;
    loop {
        attempt += 1;
        store.retry.set(false);
        let mut seen = 0;
        let mut once = |r: Recorded| {
            if seen >= sent {
                recorded(r);
                sent += 1;
            }
            seen += 1;
        };
        match super::record_runs_with(store, runs, preload.take(), &mut once, go) {
            Err(_) if store.retry.get() && attempt < ATTEMPTS => {
                std::thread::sleep(std::time::Duration::from_millis(50 << attempt));
            }
            other => return other,
        }
    }
}

impl PgStore {
    /// A read-only snapshot without the write lock, for [`Preload`]: the
    /// reads an export can make while its stream is still coming in
    /// without holding up other nodes' writes.
    pub fn begin_read(&mut self) -> HResult<Box<dyn StoreTx + '_>> {
        self.start(true)
    }

    /// A transaction: a read-only repeatable-read snapshot (`read_only`),
    /// or a read-committed one holding the write lock, so that one export
    /// at a time writes.
    fn start(&mut self, read_only: bool) -> HResult<Box<dyn StoreTx + '_>> {
        let PgStore {
            client,
            location,
            secret,
            retry,
        } = self;
        let err = map_err(location, secret.as_deref(), retry);
        let mut build = client.build_transaction();
        build = if read_only {
            build
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
        } else {
            build.isolation_level(IsolationLevel::ReadCommitted)
        };
        let mut tx = build.start().map_err(&err)?;
        if !read_only {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_WRITE])
                .map_err(&err)?;
        }
        Ok(Box::new(PgTx {
            tx,
            location,
            secret: secret.as_deref(),
            retry,
        }))
    }
}

impl Store for PgStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn begin(&mut self) -> HResult<Box<dyn StoreTx + '_>> {
        self.start(false)
    }
}

struct PgTx<'a> {
    tx: postgres::Transaction<'a>,
    location: &'a str,
    secret: Option<&'a str>,
    retry: &'a Cell<bool>,
}

impl PgTx<'_> {
    /// A `tests` row and its summary, from column `at` on (the columns of
    /// `load_tests`).
    fn stored_test(&self, r: &postgres::Row, at: usize) -> HResult<StoredTest> {
        let recent = match r.get::<_, Option<&[u8]>>(at + 9) {
            Some(b) => Rolling::decode_recent(b).ok_or_else(|| self.corrupt("rolling summary"))?,
            None => Vec::new(),
        };
        Ok(StoredTest {
            id: r.get(at),
            counters: Counters {
                run_count: r.get::<_, Option<i64>>(at + 1).unwrap_or(0),
                success: r.get::<_, Option<i64>>(at + 2).unwrap_or(0),
                failure: r.get::<_, Option<i64>>(at + 3).unwrap_or(0),
                run_time: r.get(at + 4),
            },
            rolling: Rolling {
                runs: r.get::<_, Option<i64>>(at + 5).unwrap_or(0),
                failures: r.get::<_, Option<i64>>(at + 6).unwrap_or(0),
                last_status: r.get(at + 7),
                last_run: r.get(at + 8),
                recent,
            },
        })
    }

    fn corrupt(&self, what: &str) -> HistoryError {
        HistoryError::Corrupt {
            location: self.location.to_owned(),
            message: format!("unreadable {what}; the table was changed by another program"),
        }
    }
}

/// Microseconds since the epoch to a UTC timestamp.
fn timestamp(micros: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_micros(micros).map(|d| d.naive_utc())
}

/// Microseconds to (the time to the second, the microseconds), as
/// subunit2sql splits them.
fn split(micros: Option<i64>) -> (Option<NaiveDateTime>, Option<i64>) {
    match micros {
        Some(m) => (
            timestamp(m.div_euclid(1_000_000) * 1_000_000),
            Some(m.rem_euclid(1_000_000)),
        ),
        None => (None, None),
    }
}

impl StoreTx for PgTx<'_> {
    fn find_run(&mut self, key: &str) -> HResult<Option<RowId>> {
        let err = map_err(self.location, self.secret, self.retry);
        let row = self
            .tx
            .query_opt(
                "SELECT run_id FROM stackviz_runs WHERE run_key = $1",
                &[&key],
            )
            .map_err(err)?;
        Ok(row.map(|r| r.get(0)))
    }

    fn load_tests(&mut self, names: &[&str]) -> HResult<Vec<Option<StoredTest>>> {
        const COLUMNS: &str = "t.id, t.run_count, t.success, t.failure, t.run_time, \
             s.runs, s.failures, s.last_status, s.last_run_id, s.recent";
        let err = map_err(self.location, self.secret, self.retry);
        let mut out: Vec<Option<StoredTest>> = vec![None; names.len()];
        let many = names.len() >= 1000;
        // When the run has most of the store's tests (the same job again),
        // reading both per-test tables whole and matching the names here
        // costs the server a third of looking 10k names up.
        let stored: i64 = if many {
            self.tx
                .query_one("SELECT COALESCE(max(id), 0) FROM tests", &[])
                .map_err(&err)?
                .get(0)
        } else {
            i64::MAX
        };
        if stored <= 2 * names.len() as i64 {
            let position: rustc_hash::FxHashMap<&str, usize> =
                names.iter().enumerate().map(|(k, n)| (*n, k)).collect();
            if position.len() == names.len() {
                let rows = self
                    .tx
                    .query(
                        &format!(
                            "SELECT t.test_id, {COLUMNS} FROM tests t \
                             LEFT JOIN stackviz_test_summary s ON s.test_id = t.id"
                        ),
                        &[],
                    )
                    .map_err(&err)?;
                for r in rows {
                    if let Some(&k) = position.get(r.get::<_, &str>(0)) {
                        out[k] = Some(self.stored_test(&r, 1)?);
                    }
                }
                return Ok(out);
            }
        }
        // The planner takes `unnest` for 10 rows and looks every name up
        // through the index (~7 µs each); for thousands of names hash
        // joins over the two per-test tables take half the time.
        if many {
            self.tx
                .batch_execute("SET LOCAL enable_nestloop = off")
                .map_err(&err)?;
        }
        // Rows come back with their position in `names`, not the name:
        // half the bytes, and no lookup by name here.
        let rows = self
            .tx
            .query(
                &format!(
                    "SELECT u.k, {COLUMNS} \
                     FROM unnest($1::text[]) WITH ORDINALITY AS u(name, k) \
                     JOIN tests t ON t.test_id = u.name \
                     LEFT JOIN stackviz_test_summary s ON s.test_id = t.id"
                ),
                &[&names],
            )
            .map_err(&err)?;
        if many {
            self.tx
                .batch_execute("SET LOCAL enable_nestloop TO DEFAULT")
                .map_err(&err)?;
        }
        for r in rows {
            let k = usize::try_from(r.get::<_, i64>(0) - 1).unwrap_or(usize::MAX);
            let test = self.stored_test(&r, 1)?;
            let Some(slot) = out.get_mut(k) else {
                return Err(self.corrupt("test lookup"));
            };
            *slot = Some(test);
        }
        Ok(out)
    }

    fn previous_run(&mut self, job: &str, before: Option<RowId>) -> HResult<Option<PreviousRun>> {
        let err = map_err(self.location, self.secret, self.retry);
        let found = self
            .tx
            .query_opt(
                "SELECT s.run_id, r.uuid, s.description FROM stackviz_runs s \
                 JOIN runs r ON r.id = s.run_id \
                 WHERE s.job = $1 AND s.run_id < $2 ORDER BY s.run_id DESC LIMIT 1",
                &[&job, &before.unwrap_or(i64::MAX)],
            )
            .map_err(&err)?;
        let Some(found) = found else {
            return Ok(None);
        };
        let id: i64 = found.get(0);
        let tests = self
            .tx
            .query(
                "SELECT t.test_id, tr.status FROM test_runs tr JOIN tests t ON t.id = tr.test_id \
                 WHERE tr.run_id = $1 ORDER BY tr.id",
                &[&id],
            )
            .map_err(&err)?
            .into_iter()
            .map(|r| (r.get(0), r.get::<_, Option<String>>(1).unwrap_or_default()))
            .collect();
        Ok(Some(PreviousRun {
            id,
            uuid: found.get::<_, Option<String>>(1).unwrap_or_default(),
            description: found.get(2),
            tests,
        }))
    }

    fn insert_run(&mut self, row: &RunRow<'_>) -> HResult<RowId> {
        let err = map_err(self.location, self.secret, self.retry);
        let run_at = row.run_at.and_then(timestamp);
        let id: i64 = self
            .tx
            .query_one(
                "INSERT INTO runs (uuid, skips, fails, passes, run_time, artifacts, run_at) \
                 VALUES ($1, $2, $3, $4, $5, NULL, \
                 COALESCE($6, (now() AT TIME ZONE 'UTC')::timestamp)) RETURNING id",
                &[
                    &row.uuid,
                    &row.skips,
                    &row.fails,
                    &row.passes,
                    &row.run_time,
                    &run_at,
                ],
            )
            .map_err(&err)?
            .get(0);
        for (k, v) in &row.run.metadata {
            self.tx
                .execute(
                    "INSERT INTO run_metadata (\"key\", value, run_id) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                    &[k, v, &id],
                )
                .map_err(&err)?;
        }
        self.tx
            .execute(
                "INSERT INTO stackviz_runs (run_id, run_key, job, provider, description) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &id,
                    &row.run.key,
                    &row.run.job,
                    &row.run.provider,
                    &row.run.description,
                ],
            )
            .map_err(&err)?;
        Ok(id)
    }

    fn write_tests(&mut self, run: RowId, tests: &[TestWrite<'_>]) -> HResult<()> {
        let err = map_err(self.location, self.secret, self.retry);
        let new = tests.iter().filter(|w| w.id.is_none()).count() as i64;
        let mut fresh: Vec<i64> = if new > 0 {
            self.tx
                .query(
                    "SELECT nextval(pg_get_serial_sequence('tests', 'id')) \
                     FROM generate_series(1, $1::bigint)",
                    &[&new],
                )
                .map_err(&err)?
                .into_iter()
                .map(|r| r.get(0))
                .collect()
        } else {
            Vec::new()
        };
        let ids: Vec<i64> = tests
            .iter()
            .map(|w| w.id.unwrap_or_else(|| fresh.pop().unwrap_or_default()))
            .collect();
        let rows = tests.iter().zip(&ids).map(|(t, id)| BatchRow {
            id: *id,
            is_new: t.id.is_none(),
            name: &t.result.name,
            counters: &t.counters,
            rolling: &t.rolling,
        });
        apply_batch(&mut self.tx, rows, &err)?;
        let sink = self
            .tx
            .copy_in(
                "COPY test_runs (test_id, run_id, status, start_time, stop_time, \
                 start_time_microsecond, stop_time_microsecond) FROM STDIN (FORMAT binary)",
            )
            .map_err(&err)?;
        let types = [
            Type::INT8,
            Type::INT8,
            Type::VARCHAR,
            Type::TIMESTAMP,
            Type::TIMESTAMP,
            Type::INT8,
            Type::INT8,
        ];
        let mut w = BinaryCopyInWriter::new(sink, &types);
        for (t, id) in tests.iter().zip(&ids) {
            let (start, start_us) = split(t.result.start);
            let (stop, stop_us) = split(t.result.stop);
            w.write(&[
                id,
                &run,
                &t.result.status,
                &start,
                &stop,
                &start_us,
                &stop_us,
            ])
            .map_err(&err)?;
        }
        w.finish().map_err(&err)?;
        Ok(())
    }

    fn commit(self: Box<Self>) -> HResult<()> {
        let err = map_err(self.location, self.secret, self.retry);
        self.tx.commit().map_err(err)
    }

    /// Every export adds a run (the highest id grows) and retention
    /// removes some (the count drops): the pair changes with any write.
    fn write_token(&mut self) -> HResult<Option<(i64, i64)>> {
        let err = map_err(self.location, self.secret, self.retry);
        let row = self
            .tx
            .query_one("SELECT COALESCE(max(id), 0), count(*) FROM runs", &[])
            .map_err(err)?;
        Ok(Some((row.get(0), row.get(1))))
    }
}

/// One test's new `tests` counters and rolling summary.
struct BatchRow<'r> {
    id: i64,
    is_new: bool,
    name: &'r str,
    counters: &'r Counters,
    rolling: &'r Rolling,
}

/// Writes `tests` and `stackviz_test_summary` rows in bulk: a binary COPY
/// into the session's scratch table, then one insert, one update and one
/// upsert.
fn apply_batch<'r>(
    tx: &mut postgres::Transaction<'_>,
    rows: impl Iterator<Item = BatchRow<'r>>,
    err: &dyn Fn(postgres::Error) -> HistoryError,
) -> HResult<()> {
    tx.batch_execute(schema::BATCH_TABLE).map_err(err)?;
    {
        let sink = tx
            .copy_in(
                "COPY stackviz_batch (id, is_new, name, run_count, success, failure, \
                 run_time, runs, failures, last_status, last_run_id, median, mad, recent) \
                 FROM STDIN (FORMAT binary)",
            )
            .map_err(err)?;
        let types = [
            Type::INT8,
            Type::BOOL,
            Type::TEXT,
            Type::INT8,
            Type::INT8,
            Type::INT8,
            Type::FLOAT8,
            Type::INT8,
            Type::INT8,
            Type::TEXT,
            Type::INT8,
            Type::FLOAT8,
            Type::FLOAT8,
            Type::BYTEA,
        ];
        let mut w = BinaryCopyInWriter::new(sink, &types);
        for b in rows {
            let c = b.counters;
            let r = b.rolling;
            let stats = r.pass_stats(KEEP);
            let median = stats.map(|s| s.0);
            let mad = stats.map(|s| s.1);
            let recent = r.encode_recent();
            let row: [&(dyn ToSql + Sync); 14] = [
                &b.id,
                &b.is_new,
                &b.name,
                &c.run_count,
                &c.success,
                &c.failure,
                &c.run_time,
                &r.runs,
                &r.failures,
                &r.last_status,
                &r.last_run,
                &median,
                &mad,
                &recent,
            ];
            w.write(&row).map_err(err)?;
        }
        w.finish().map_err(err)?;
    }
    tx.batch_execute(
        "INSERT INTO tests (id, test_id, run_count, success, failure, run_time) \
         SELECT id, name, run_count, success, failure, run_time FROM stackviz_batch \
         WHERE is_new; \
         UPDATE tests t SET run_count = b.run_count, success = b.success, \
         failure = b.failure, run_time = b.run_time \
         FROM stackviz_batch b WHERE t.id = b.id AND NOT b.is_new; \
         INSERT INTO stackviz_test_summary \
         (test_id, runs, failures, last_status, last_run_id, median, mad, recent) \
         SELECT id, runs, failures, last_status, last_run_id, median, mad, recent \
         FROM stackviz_batch ON CONFLICT (test_id) DO UPDATE SET \
         runs = EXCLUDED.runs, failures = EXCLUDED.failures, \
         last_status = EXCLUDED.last_status, last_run_id = EXCLUDED.last_run_id, \
         median = EXCLUDED.median, mad = EXCLUDED.mad, recent = EXCLUDED.recent; \
         TRUNCATE stackviz_batch",
    )
    .map_err(err)
}

/// What [`PgStore::prune`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub runs: usize,
    pub test_runs: usize,
}

impl PgStore {
    /// Retention: deletes the runs that started more than `days` days ago
    /// (with their test runs and metadata) in one transaction, and takes
    /// them out of the tests' counters and rolling windows, so history
    /// reads the same as if they had never been stored. Test names stay.
    pub fn prune(&mut self, days: u32) -> HResult<Pruned> {
        let PgStore {
            client,
            location,
            secret,
            retry,
        } = self;
        let err = map_err(location, secret.as_deref(), retry);
        let mut tx = client.transaction().map_err(&err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_WRITE])
            .map_err(&err)?;
        let gone: Vec<i64> = tx
            .query(
                "SELECT id FROM runs WHERE run_at < \
                 (now() AT TIME ZONE 'UTC')::timestamp - make_interval(days => $1::int)",
                &[&(days.min(i32::MAX as u32) as i32)],
            )
            .map_err(&err)?
            .into_iter()
            .map(|r| r.get(0))
            .collect();
        if gone.is_empty() {
            return Ok(Pruned {
                runs: 0,
                test_runs: 0,
            });
        }
        // Per test: (success, fail) as subunit2sql counts, (ran, failed) as
        // the rolling summary counts.
        let mut removed: HashMap<i64, [i64; 4]> = HashMap::new();
        let deleted = tx
            .query(
                "DELETE FROM test_runs WHERE run_id = ANY($1) RETURNING test_id, status",
                &[&gone],
            )
            .map_err(&err)?;
        for r in &deleted {
            let status: Option<String> = r.get(1);
            let status = status.unwrap_or_default();
            let e = removed.entry(r.get(0)).or_default();
            e[0] += i64::from(status == "success");
            e[1] += i64::from(status == "fail");
            let o = super::Outcome::of(&status);
            e[2] += i64::from(o.ran());
            e[3] += i64::from(o == super::Outcome::Fail);
        }
        for sql in [
            "DELETE FROM run_metadata WHERE run_id = ANY($1)",
            "DELETE FROM stackviz_runs WHERE run_id = ANY($1)",
            "DELETE FROM runs WHERE id = ANY($1)",
        ] {
            tx.execute(sql, &[&gone]).map_err(&err)?;
        }
        let ids: Vec<i64> = removed.keys().copied().collect();
        let rows = tx
            .query(
                "SELECT t.id, t.run_count, t.success, t.failure, t.run_time, \
                 s.runs, s.failures, s.last_status, s.last_run_id, s.recent \
                 FROM tests t LEFT JOIN stackviz_test_summary s ON s.test_id = t.id \
                 WHERE t.id = ANY($1)",
                &[&ids],
            )
            .map_err(&err)?;
        let gone_set: std::collections::HashSet<i64> = gone.iter().copied().collect();
        let mut updated = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.get(0);
            let d = removed[&id];
            let counters = Counters {
                run_count: (r.get::<_, Option<i64>>(1).unwrap_or(0) - d[0] - d[1]).max(0),
                success: (r.get::<_, Option<i64>>(2).unwrap_or(0) - d[0]).max(0),
                failure: (r.get::<_, Option<i64>>(3).unwrap_or(0) - d[1]).max(0),
                run_time: r.get(4),
            };
            let recent: Option<Vec<u8>> = r.get(9);
            let mut recent = match recent {
                Some(b) => Rolling::decode_recent(&b).ok_or_else(|| HistoryError::Corrupt {
                    location: location.clone(),
                    message: "unreadable rolling summary".to_owned(),
                })?,
                None => Vec::new(),
            };
            recent.retain(|x| !gone_set.contains(&x.run));
            let mut rolling = Rolling {
                runs: (r.get::<_, Option<i64>>(5).unwrap_or(0) - d[2]).max(0),
                failures: (r.get::<_, Option<i64>>(6).unwrap_or(0) - d[3]).max(0),
                last_status: r.get(7),
                last_run: r.get(8),
                recent,
            };
            if rolling.last_run.is_some_and(|l| gone_set.contains(&l)) {
                rolling.last_run = None;
                rolling.last_status = None;
            }
            updated.push((id, counters, rolling));
        }
        let batch = updated.iter().map(|(id, c, r)| BatchRow {
            id: *id,
            is_new: false,
            name: "",
            counters: c,
            rolling: r,
        });
        apply_batch(&mut tx, batch, &err)?;
        tx.commit().map_err(&err)?;
        Ok(Pruned {
            runs: gone.len(),
            test_runs: deleted.len(),
        })
    }
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests;
