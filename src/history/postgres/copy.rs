//! Moving up: copies a SQLite history store into a server store, run by
//! run in the original order, through the same driver as an export — so
//! the counters and rolling windows come out as if every run had been
//! exported to the server, and copying again adds nothing (run keys).

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::PgStore;
use crate::history::{HResult, HistoryError, RunBuilder, RunInput, TestResult};

/// Runs per server transaction while copying.
const BATCH: usize = 50;

/// What [`copy_sqlite`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    pub runs: usize,
    pub added: usize,
}

/// Copies every run of the SQLite store at `path` into `store`.
pub fn copy_sqlite(path: &Path, store: &mut PgStore) -> HResult<Copied> {
    let err = |e: rusqlite::Error| HistoryError::Backend {
        location: path.display().to_string(),
        message: e.to_string(),
    };
    if !path.is_file() {
        return Err(HistoryError::Backend {
            location: path.display().to_string(),
            message: "no such SQLite history store".to_owned(),
        });
    }
    // Opening it as a store first checks (and, if needed, migrates) it.
    drop(crate::history::sqlite::SqliteStore::open(path)?);
    let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(err)?;
    let ids: Vec<i64> = db
        .prepare("SELECT run_id FROM stackviz_runs ORDER BY run_id")
        .and_then(|mut st| {
            st.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<i64>, _>>()
        })
        .map_err(err)?;
    let mut done = Copied { runs: 0, added: 0 };
    for chunk in ids.chunks(BATCH) {
        let runs = chunk
            .iter()
            .map(|&id| read_run(&db, id))
            .collect::<rusqlite::Result<Vec<RunInput>>>()
            .map_err(err)?;
        let recs = super::record_runs(store, &runs)?;
        done.runs += recs.len();
        done.added += recs.iter().filter(|r| r.added).count();
    }
    Ok(done)
}

fn read_run(db: &Connection, id: i64) -> rusqlite::Result<RunInput> {
    let (key, job, provider, description): (String, String, String, String) = db.query_row(
        "SELECT run_key, job, provider, description FROM stackviz_runs WHERE run_id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let mut b = RunBuilder::new(&provider, &description);
    let mut st =
        db.prepare_cached("SELECT \"key\", value FROM run_metadata WHERE run_id = ?1 ORDER BY id")?;
    let meta = st
        .query_map([id], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (k, v) in &meta {
        b.meta(k, v);
    }
    let mut run = b.finish();
    let mut st = db.prepare_cached(
        "SELECT t.test_id, tr.status, tr.start_time, tr.start_time_microsecond, \
         tr.stop_time, tr.stop_time_microsecond \
         FROM test_runs tr JOIN tests t ON t.id = tr.test_id WHERE tr.run_id = ?1 ORDER BY tr.id",
    )?;
    run.tests = st
        .query_map([id], |r| {
            let name: String = r.get(0)?;
            Ok(TestResult {
                // A store written before names were shortened may hold a
                // longer one than a server takes.
                name: crate::history::run::shortened(&name).unwrap_or(name),
                status: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                start: time(r.get(2)?, r.get(3)?),
                stop: time(r.get(4)?, r.get(5)?),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    // The stored identity, not one recomputed: re-exports of the same
    // stream must still find the run on the server.
    run.key = key;
    run.job = job;
    Ok(run)
}

/// `YYYY-MM-DD HH:MM:SS` plus the microsecond column, as the SQLite store
/// writes them, to microseconds since the epoch.
fn time(text: Option<String>, micros: Option<i64>) -> Option<i64> {
    let text = text?;
    let main = text.split('.').next().unwrap_or("");
    let dt = chrono::NaiveDateTime::parse_from_str(main, "%Y-%m-%d %H:%M:%S").ok()?;
    Some(dt.and_utc().timestamp() * 1_000_000 + micros.unwrap_or(0))
}
