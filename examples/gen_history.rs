//! Builds a history store of many runs for the benchmark, and times reading
//! a report's history from it: a SQLite file or a PostgreSQL database.
//!
//! ```text
//! # the test names of an earlier export of stream M (tempest format)
//! cargo run --release --example gen_history -- --runs 1000 --names-from out-M/ -o h.db
//! cargo run --release --example gen_history -- --read --names-from out-M/ -o h.db
//! # the same on a server (an empty database it may fill)
//! cargo run --release --example gen_history -- --runs 1000 --names-from out-M/ -o postgresql://…
//! ```
//!
//! Each generated run has every test of that export, like it: its failing
//! and skipped tests fail and skip every time, 2% of its passing tests are
//! flaky (fail one run in three), durations spread ±10% around its own. So
//! exporting that stream into the store is one more ordinary run of the
//! job. The runs go through the same `record_runs` as an export, so the
//! store is what 1,000 exports leave.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use stackviz_export::history::postgres::{self as pg, PgStore};
use stackviz_export::history::sqlite::SqliteStore;
use stackviz_export::history::{self, Recorded, Rules, RunBuilder, RunInput, Store};

#[derive(Parser, Debug)]
#[command(about = "Generate a history store, or time reading history from one")]
struct Args {
    /// Runs to add.
    #[arg(long, default_value_t = 1000)]
    runs: usize,
    /// An export directory (tempest format) whose first stream's test
    /// names the runs use.
    #[arg(long)]
    names_from: PathBuf,
    /// Instead of adding runs: time loading the history of every test and
    /// classifying a run, without writing.
    #[arg(long)]
    read: bool,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// The store: a SQLite file, or a `postgresql://` URL.
    #[arg(short, long)]
    output: String,
}

/// Seeded draws for spreading test outcomes.
struct Rng(StdRng);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0.random()
    }
}

/// The tests of the export's first stream: name, status, duration.
fn tests(dir: &std::path::Path) -> anyhow::Result<Vec<(String, String, f64)>> {
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("config.json"))?)?;
    let raw = config["tempest"][0]["raw"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("{}: not a tempest export", dir.display()))?;
    let list: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(dir.join(raw))?)?;
    Ok(list
        .iter()
        .filter_map(|t| {
            Some((
                t["name"].as_str()?.to_owned(),
                t["status"].as_str().unwrap_or("success").to_owned(),
                t["duration"].as_f64().unwrap_or(0.0),
            ))
        })
        .collect())
}

/// The two backends, opened from `-o`.
enum Target {
    Sqlite(SqliteStore),
    Pg(Box<PgStore>),
}

impl Target {
    fn open(output: &str) -> anyhow::Result<Target> {
        Ok(if pg::is_url(output) {
            Target::Pg(Box::new(PgStore::connect(output)?))
        } else {
            Target::Sqlite(SqliteStore::open(std::path::Path::new(output))?)
        })
    }

    fn store(&mut self) -> &mut dyn Store {
        match self {
            Target::Sqlite(s) => s,
            Target::Pg(s) => s.as_mut(),
        }
    }

    fn record(&mut self, runs: &[RunInput]) -> anyhow::Result<Vec<Recorded>> {
        Ok(match self {
            Target::Sqlite(s) => history::record_runs(s, runs)?,
            Target::Pg(s) => pg::record_runs(s, runs)?,
        })
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let tests = tests(&args.names_from)?;
    let names: Vec<String> = tests.iter().map(|t| t.0.clone()).collect();
    let mut target = Target::open(&args.output)?;
    let mut rng = Rng(StdRng::seed_from_u64(args.seed));
    // Like the export's own run, so that exporting it into the store looks
    // like one more run of the job: its failing and skipped tests fail and
    // skip every time, 2% of its passing ones are flaky, and durations
    // spread ±10% around its own.
    let kinds: Vec<(u8, f64)> = tests
        .iter()
        .map(|(_, status, secs)| {
            let kind = match status.as_str() {
                "fail" | "uxsuccess" => b'F',
                "skip" => b'S',
                _ if rng.unit() < 0.02 => b'L',
                _ => b'P',
            };
            (kind, secs.max(0.001))
        })
        .collect();
    let make = |rng: &mut Rng, n: usize| {
        let mut b = RunBuilder::new("file_M.subunit", "Subunit File: M.subunit");
        let mut at = 1_700_000_000_000_000i64 + n as i64 * 7_200_000_000;
        for (name, (kind, base)) in names.iter().zip(&kinds) {
            let status = match kind {
                b'F' => "fail",
                b'L' if rng.unit() < 0.33 => "fail",
                b'S' => "skip",
                _ => "success",
            };
            let d = (base * (0.9 + 0.2 * rng.unit()) * 1e6) as i64;
            b.push(name, status, Some(at), Some(at + d));
            at += d / 6 + 1;
        }
        b.finish()
    };
    if args.read {
        let per_row = match &mut target {
            Target::Sqlite(_) => print_size(std::path::Path::new(&args.output))?,
            Target::Pg(s) => print_pg_size(s)?,
        };
        let run = make(&mut rng, args.runs + 1);
        let t0 = Instant::now();
        let c0 = cpu_secs();
        let mut tx = target.store().begin()?;
        let list: Vec<&str> = run.tests.iter().map(|t| t.name.as_str()).collect();
        let stored = tx.load_tests(&list)?;
        let previous = tx.previous_run(&run.job, None)?;
        drop(tx);
        let prior = history::Prior {
            previous,
            tests: list
                .iter()
                .zip(stored)
                .filter_map(|(n, s)| s.map(|s| ((*n).to_owned(), s.rolling)))
                .collect(),
        };
        let marks = history::classify(&run, &prior, &Rules::default());
        let secs = t0.elapsed().as_secs_f64();
        let cpu = cpu_secs() - c0;
        println!(
            "read history of {} tests and classified a run in {secs:.3} s ({cpu:.3} s CPU here): {} failing ({} flaky), {} slower",
            list.len(),
            marks.failures.len(),
            marks.of_kind(history::FailureKind::Flaky).count(),
            marks.slower.len()
        );
        // For scripts/bench.sh.
        println!("values: read_secs={secs:.3} read_cpu={cpu:.3} bytes_per_row={per_row:.1}");
        return Ok(());
    }
    let t0 = Instant::now();
    // Batches of runs per transaction: fewer commits, same rows. On a
    // server one run per transaction, as exports do: a batch would leave
    // each test's rows with one version per run until vacuumed.
    let batch = if matches!(target, Target::Pg(_)) {
        1
    } else {
        20
    };
    let mut done = 0;
    while done < args.runs {
        let k = batch.min(args.runs - done);
        let runs: Vec<_> = (done..done + k).map(|n| make(&mut rng, n)).collect();
        target.record(&runs)?;
        done += k;
        if done % 100 == 0 {
            eprintln!("{done} runs, {:.0} s", t0.elapsed().as_secs_f64());
        }
    }
    eprintln!(
        "{} runs of {} tests in {:.1} s",
        args.runs,
        names.len(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Rows and bytes: the whole file per test-run row, and the `test_runs`
/// table with its index alone (SQLite's dbstat, when compiled in).
fn print_size(path: &std::path::Path) -> anyhow::Result<f64> {
    let c = rusqlite::Connection::open(path)?;
    let rows: i64 = c.query_row("SELECT count(*) FROM test_runs", [], |r| r.get(0))?;
    let runs: i64 = c.query_row("SELECT count(*) FROM runs", [], |r| r.get(0))?;
    let file = std::fs::metadata(path)?.len();
    println!(
        "store: {runs} runs, {rows} test-run rows, {file} bytes: {:.1} bytes per test-run row (whole file)",
        file as f64 / rows.max(1) as f64
    );
    let table: rusqlite::Result<i64> = c.query_row(
        "SELECT sum(pgsize) FROM dbstat WHERE name IN ('test_runs', 'ix_test_runs_run_id')",
        [],
        |r| r.get(0),
    );
    if let Ok(b) = table {
        println!(
            "test_runs and its run_id index: {b} bytes, {:.1} bytes per row",
            b as f64 / rows.max(1) as f64
        );
    }
    Ok(file as f64 / rows.max(1) as f64)
}

/// Rows and bytes on a server: `test_runs` with its indexes per row, and
/// the whole database.
fn print_pg_size(store: &mut PgStore) -> anyhow::Result<f64> {
    let c = store.client();
    let row = c.query_one(
        "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM test_runs), \
         pg_total_relation_size('test_runs'), pg_relation_size('test_runs'), \
         pg_database_size(current_database())",
        &[],
    )?;
    let (runs, rows, total, heap, db): (i64, i64, i64, i64, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
    let per = |b: i64| b as f64 / rows.max(1) as f64;
    println!(
        "store: {runs} runs, {rows} test-run rows; test_runs {total} bytes with its indexes \
         ({:.1} bytes per row; heap alone {:.1}); database {db} bytes ({:.1} per row)",
        per(total),
        per(heap),
        per(db)
    );
    Ok(per(total))
}

/// This thread's CPU time so far (Linux: /proc/thread-self/schedstat, in
/// ns), 0 elsewhere: on a busy machine the wall time of a read says more
/// about the machine than about the read.
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}
