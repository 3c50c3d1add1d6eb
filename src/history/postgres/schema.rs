//! The schema in PostgreSQL's dialect: the same tables and columns as the
//! SQLite store (see [`crate::history::schema`]), with integer columns as
//! `BIGINT` and times as `TIMESTAMP` (UTC), as subunit2sql's PostgreSQL
//! migrations leave them apart from the integer width.
//!
//! Migrations are numbered: [`MIGRATIONS`]`[i]` takes the store from
//! version `i` to `i + 1` (version 0: an empty database). They run on first
//! use under a session advisory lock, so nodes starting at once create the
//! schema once.

/// Step 0 -> 1: subunit2sql's tables and the `stackviz_*` extension.
const V1: &str = r#"
CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE tests (
    id BIGSERIAL PRIMARY KEY,
    test_id VARCHAR(256) NOT NULL,
    run_count BIGINT,
    success BIGINT,
    failure BIGINT,
    run_time DOUBLE PRECISION
);
CREATE UNIQUE INDEX ix_tests_test_id ON tests (test_id);
CREATE TABLE runs (
    uuid VARCHAR(36),
    id BIGSERIAL PRIMARY KEY,
    skips BIGINT,
    fails BIGINT,
    passes BIGINT,
    run_time DOUBLE PRECISION,
    artifacts TEXT,
    run_at TIMESTAMP
);
CREATE INDEX ix_run_at ON runs (run_at);
CREATE INDEX ix_run_uuid ON runs (uuid);
CREATE TABLE test_runs (
    id BIGSERIAL PRIMARY KEY,
    test_id BIGINT,
    run_id BIGINT,
    status VARCHAR(256),
    start_time TIMESTAMP,
    stop_time TIMESTAMP,
    start_time_microsecond BIGINT,
    stop_time_microsecond BIGINT
);
CREATE INDEX ix_test_runs_run_id ON test_runs (run_id);
CREATE TABLE run_metadata (
    id BIGSERIAL PRIMARY KEY,
    "key" VARCHAR(255),
    value VARCHAR(255),
    run_id BIGINT,
    CONSTRAINT uq_run_metadata UNIQUE (run_id, "key", value)
);
CREATE INDEX ix_run_id ON run_metadata (run_id);
CREATE TABLE test_metadata (
    id BIGSERIAL PRIMARY KEY,
    "key" VARCHAR(255),
    value VARCHAR(255),
    test_id BIGINT,
    CONSTRAINT uq_test_metadata UNIQUE (test_id, "key", value)
);
CREATE INDEX ix_test_id ON test_metadata (test_id);
CREATE TABLE test_run_metadata (
    id BIGSERIAL PRIMARY KEY,
    "key" VARCHAR(255),
    value VARCHAR(255),
    test_run_id BIGINT,
    CONSTRAINT uq_test_run_metadata UNIQUE (test_run_id, "key", value)
);
CREATE INDEX ix_test_run_id ON test_run_metadata (test_run_id);
CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    test_run_id BIGINT,
    label VARCHAR(255),
    attachment BYTEA
);
CREATE INDEX ix_attach_test_run_id ON attachments (test_run_id);
CREATE TABLE stackviz_meta (
    "key" TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE stackviz_runs (
    run_id BIGINT PRIMARY KEY,
    run_key TEXT NOT NULL UNIQUE,
    job TEXT NOT NULL,
    provider TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE INDEX ix_stackviz_runs_job ON stackviz_runs (job, run_id);
CREATE TABLE stackviz_test_summary (
    test_id BIGINT PRIMARY KEY,
    runs BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    last_status TEXT,
    last_run_id BIGINT,
    median DOUBLE PRECISION,
    mad DOUBLE PRECISION,
    recent BYTEA NOT NULL
);
"#;

/// Step 1 -> 2: every export updates one `tests` row and one summary row
/// per test it ran. Half-full pages let those updates stay on their page
/// without touching the indexes (HOT updates), which halves the time an
/// export spends on them; the two tables hold one row per test name, so
/// the space is small. Rows written before take the room as they move.
const V2: &str = r#"
ALTER TABLE tests SET (fillfactor = 50);
ALTER TABLE stackviz_test_summary SET (fillfactor = 50);
"#;

/// `MIGRATIONS[i]` takes the store from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[V1, V2];

/// A per-session scratch table: one export's test rows, copied in binary
/// and applied to `tests` and `stackviz_test_summary` in three statements.
pub const BATCH_TABLE: &str = r#"
CREATE TEMP TABLE IF NOT EXISTS stackviz_batch (
    id BIGINT NOT NULL,
    is_new BOOLEAN NOT NULL,
    name TEXT NOT NULL,
    run_count BIGINT NOT NULL,
    success BIGINT NOT NULL,
    failure BIGINT NOT NULL,
    run_time DOUBLE PRECISION,
    runs BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    last_status TEXT,
    last_run_id BIGINT,
    median DOUBLE PRECISION,
    mad DOUBLE PRECISION,
    recent BYTEA NOT NULL
) ON COMMIT DELETE ROWS
"#;
