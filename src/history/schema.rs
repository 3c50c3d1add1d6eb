//! The store's schema: subunit2sql's tables at its last migration, so its
//! tools read (and can write) the store, plus three `stackviz_*` tables
//! that subunit2sql ignores.
//!
//! subunit2sql tables (columns as its last migration leaves them):
//! - `runs(uuid, id, skips, fails, passes, run_time, artifacts, run_at)`:
//!   one row per exported stream; `uuid` is derived from the run key.
//! - `tests(id, test_id, run_count, success, failure, run_time)`: one row
//!   per test name, with subunit2sql's counters.
//! - `test_runs(id, test_id, run_id, status, start_time, stop_time,
//!   start_time_microsecond, stop_time_microsecond)`: one row per test per
//!   run. Times read as `YYYY-MM-DD HH:MM:SS` to the second with the
//!   microseconds in their own columns, as subunit2sql stores them on MySQL;
//!   its readers combine the two. In the SQLite store (see
//!   [`COMPACT_TEST_RUNS_SQLITE`]) the two text times are virtual columns
//!   computed from two integer columns, `start_epoch` and `stop_epoch`
//!   (seconds since the epoch): the row keeps 8 bytes of time instead of 38,
//!   which is most of what brings it under 60 bytes. Readers (subunit2sql's
//!   tools, `sqlite3`) see the same columns and values; SQLite 3.31 (2020)
//!   or newer is needed to open the file, and subunit2sql can no longer
//!   *write* test runs into it (a generated column takes no value).
//! - `run_metadata(key, value, run_id)`: the `-e` CI metadata and the
//!   repository run id (`stestr_run_id`).
//! - `test_metadata`, `test_run_metadata`, `attachments`: created empty.
//! - `alembic_version`: `10a2b6d4b06e`, so `subunit2sql-db-manage` sees the
//!   schema as current.
//!
//! Of subunit2sql's indexes on `test_runs` only the one on `run_id` is
//! created (reading a run back); history never queries `test_runs` by test
//! or time, and the others would double the bytes per row. Create them with
//! `CREATE INDEX` if other tools query that way.
//!
//! Extension tables:
//! - `stackviz_meta(key, value)`: `schema_version` ([`VERSION`]) and
//!   `window` ([`KEEP`](super::rolling::KEEP)).
//! - `stackviz_runs(run_id, run_key, job, provider, description)`: the run
//!   key (unique: idempotency) and the job used to find the previous run.
//! - `stackviz_test_summary(test_id, runs, failures, last_status, last_run_id,
//!   median, mad, recent)`: the rolling summary; `recent` is
//!   [`Rolling::encode_recent`](super::Rolling::encode_recent), `median` and
//!   `mad` (seconds) are over the passing runs in it, for SQL readers.

/// The version of the store's layout this build writes. 2: the SQLite
/// store's compact `test_runs`; the server's `tests` and
/// `stackviz_test_summary` leave room on each page for in-place updates.
pub const VERSION: i64 = 2;

/// subunit2sql's last migration.
pub const ALEMBIC_HEAD: &str = "10a2b6d4b06e";

/// subunit2sql's migrations before the last one, oldest first.
pub const ALEMBIC_OLDER: &[&str] = &[
    "5ef013efbc2",
    "1f92cfe8a6d3",
    "3db7b49816d5",
    "163fd5aa1380",
    "4ca26dac400e",
    "13d819bbb0ff",
    "28ac1ba9c3db",
    "5332fe255095",
    "1679b5bc102c",
    "487f279b8c78",
    "1ff737bef438",
    "2fb76f1a1393",
    "b96122f780",
    "2822a408bdd0",
    "35cd45895e56",
];

/// subunit2sql's tables, in SQLite's dialect, as its migrations leave
/// them. The store then rebuilds `test_runs` with
/// [`COMPACT_TEST_RUNS_SQLITE`].
pub const SUBUNIT2SQL_SQLITE: &str = r#"
CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE tests (
    id INTEGER NOT NULL,
    test_id VARCHAR(256) NOT NULL,
    run_count INTEGER,
    success INTEGER,
    failure INTEGER,
    run_time FLOAT,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_tests_test_id ON tests (test_id);
CREATE TABLE runs (
    uuid VARCHAR(36),
    id INTEGER NOT NULL,
    skips INTEGER,
    fails INTEGER,
    passes INTEGER,
    run_time FLOAT,
    artifacts TEXT,
    run_at DATETIME,
    PRIMARY KEY (id)
);
CREATE INDEX ix_run_at ON runs (run_at);
CREATE INDEX ix_run_uuid ON runs (uuid);
CREATE TABLE test_runs (
    id INTEGER NOT NULL,
    test_id INTEGER,
    run_id INTEGER,
    status VARCHAR(256),
    start_time DATETIME,
    stop_time DATETIME,
    start_time_microsecond INTEGER,
    stop_time_microsecond INTEGER,
    PRIMARY KEY (id)
);
CREATE INDEX ix_test_runs_run_id ON test_runs (run_id);
CREATE TABLE run_metadata (
    id INTEGER NOT NULL,
    "key" VARCHAR(255),
    value VARCHAR(255),
    run_id INTEGER,
    PRIMARY KEY (id),
    CONSTRAINT uq_run_metadata UNIQUE (run_id, "key", value)
);
CREATE INDEX ix_run_id ON run_metadata (run_id);
CREATE TABLE test_metadata (
    id INTEGER NOT NULL,
    "key" VARCHAR(255),
    value VARCHAR(255),
    test_id INTEGER,
    PRIMARY KEY (id),
    CONSTRAINT uq_test_metadata UNIQUE (test_id, "key", value)
);
CREATE INDEX ix_test_id ON test_metadata (test_id);
CREATE TABLE test_run_metadata (
    id INTEGER NOT NULL,
    "key" VARCHAR(255),
    value VARCHAR(255),
    test_run_id INTEGER,
    PRIMARY KEY (id),
    CONSTRAINT uq_test_run_metadata UNIQUE (test_run_id, "key", value)
);
CREATE INDEX ix_test_run_id ON test_run_metadata (test_run_id);
CREATE TABLE attachments (
    id INTEGER NOT NULL,
    test_run_id INTEGER,
    label VARCHAR(255),
    attachment BLOB,
    PRIMARY KEY (id)
);
CREATE INDEX ix_attach_test_run_id ON attachments (test_run_id);
"#;

/// The extension tables, in SQLite's dialect.
pub const STACKVIZ_SQLITE: &str = r#"
CREATE TABLE stackviz_meta (
    "key" TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE stackviz_runs (
    run_id INTEGER PRIMARY KEY,
    run_key TEXT NOT NULL UNIQUE,
    job TEXT NOT NULL,
    provider TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE INDEX ix_stackviz_runs_job ON stackviz_runs (job, run_id);
CREATE TABLE stackviz_test_summary (
    test_id INTEGER PRIMARY KEY,
    runs INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    last_status TEXT,
    last_run_id INTEGER,
    median FLOAT,
    mad FLOAT,
    recent BLOB NOT NULL
);
"#;

/// The SQLite store's `test_runs`: subunit2sql's columns, the two text
/// times virtual (computed on read from `start_epoch` / `stop_epoch`, not
/// stored), and the same `run_id` index (reading a run back, and the
/// previous run of a job). [`TO_COMPACT_SQLITE`] fills it from a table in
/// subunit2sql's layout.
pub const COMPACT_TEST_RUNS_SQLITE: &str = r#"
CREATE TABLE test_runs (
    id INTEGER NOT NULL,
    test_id INTEGER,
    run_id INTEGER,
    status VARCHAR(256),
    start_time DATETIME GENERATED ALWAYS AS (datetime(start_epoch, 'unixepoch')) VIRTUAL,
    stop_time DATETIME GENERATED ALWAYS AS (datetime(stop_epoch, 'unixepoch')) VIRTUAL,
    start_time_microsecond INTEGER,
    stop_time_microsecond INTEGER,
    start_epoch INTEGER,
    stop_epoch INTEGER,
    PRIMARY KEY (id)
);
CREATE INDEX ix_test_runs_run_id ON test_runs (run_id);
"#;

/// Rebuilds a `test_runs` in subunit2sql's layout (text times, to the
/// second or with a fraction; the microsecond columns possibly NULL) as
/// [`COMPACT_TEST_RUNS_SQLITE`], keeping every id: this renames the old
/// table (leaving other tables' references to `test_runs` as they are),
/// then [`COMPACT_TEST_RUNS_SQLITE`] and [`COPY_TO_COMPACT_SQLITE`] run.
pub const TO_COMPACT_SQLITE: &str = r#"
PRAGMA legacy_alter_table = ON;
DROP INDEX IF EXISTS ix_test_runs_run_id;
ALTER TABLE test_runs RENAME TO stackviz_old_test_runs;
PRAGMA legacy_alter_table = OFF;
"#;

/// The copy step of [`TO_COMPACT_SQLITE`] (after the new table exists).
pub const COPY_TO_COMPACT_SQLITE: &str = r#"
INSERT INTO test_runs (id, test_id, run_id, status, start_time_microsecond,
    stop_time_microsecond, start_epoch, stop_epoch)
SELECT id, test_id, run_id, status,
    COALESCE(start_time_microsecond, CASE WHEN instr(start_time, '.') > 0
        THEN CAST(substr(start_time || '00000', instr(start_time, '.') + 1, 6) AS INTEGER) END),
    COALESCE(stop_time_microsecond, CASE WHEN instr(stop_time, '.') > 0
        THEN CAST(substr(stop_time || '00000', instr(stop_time, '.') + 1, 6) AS INTEGER) END),
    CAST(strftime('%s', start_time) AS INTEGER),
    CAST(strftime('%s', stop_time) AS INTEGER)
FROM stackviz_old_test_runs ORDER BY id;
DROP TABLE stackviz_old_test_runs;
"#;
