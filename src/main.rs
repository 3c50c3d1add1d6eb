//! The `stackviz-export` command: parse and check arguments, run the export,
//! map errors to exit codes (2 for usage, 1 for everything else).

#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use stackviz_export::export::{self, FormatKind, HistoryOptions, Options, Reporter};
use stackviz_export::history::Rules;
use stackviz_export::Error;

/// Turn subunit test-result streams into the data files the StackViz
/// front-end reads.
///
/// Reads subunit v2 streams (gzip-compressed or not), subunit v1 text and
/// stestr/testrepository repositories, each exactly once, and writes one set
/// of data files per stream into DEST plus a config.json that lists them.
/// Files appear only when the whole export succeeded.
#[derive(Parser, Debug)]
#[command(name = "stackviz-export", version, about, long_about)]
#[command(after_help = "Examples:\n  \
    stackviz-export -f run.subunit out/\n  \
    stestr last --subunit | stackviz-export -i --dstat dstat.csv out/\n  \
    stackviz-export -r path/to/project --all-runs out/\n  \
    stackviz-export --format artifacts -e -z -i out/ < run.subunit\n  \
    stackviz-export -f run.subunit --dstat dstat.csv --html out/   # then open out/index.html\n  \
    stackviz-export --history ci-history.db -f run.subunit out/     # new, flaky, slower tests\n\n\
    Exit status: 0 when every file was written, 1 when reading or writing failed,\n\
    2 for a usage error (nothing is written then).")]
struct Cli {
    /// Output directory; created with missing parents, existing files replaced.
    #[arg(value_name = "DEST")]
    dest: PathBuf,

    /// A subunit stream file (v2 or v1, optionally gzip-compressed); repeatable.
    #[arg(short = 'f', long = "stream-file", value_name = "FILE")]
    stream_file: Vec<PathBuf>,

    /// Read one subunit stream from standard input.
    #[arg(short = 'i', long = "stdin")]
    stdin: bool,

    /// A test repository: a directory holding .stestr or .testrepository, or
    /// that directory itself; repeatable. The latest run unless --all-runs.
    #[arg(short = 'r', long = "repository", value_name = "DIR")]
    repository: Vec<PathBuf>,

    /// A dstat CSV log, copied into DEST for the machine-load charts.
    #[arg(long, value_name = "FILE")]
    dstat: Option<PathBuf>,

    /// Gzip every data file (config.json stays plain).
    #[arg(short = 'z', long = "gzip")]
    gzip: bool,

    /// Fill the artifacts dataset from ZUUL_PROJECT, ZUUL_CHANGE,
    /// ZUUL_PATCHSET, ZUUL_PIPELINE and JOB_NAME (no effect on tempest).
    #[arg(short = 'e', long = "env")]
    env: bool,

    /// Output layout: "tempest" (documented StackViz data) or "artifacts"
    /// (today's front-end).
    #[arg(long, value_enum, default_value_t = Layout::Tempest, value_name = "FORMAT")]
    format: Layout,

    /// Export every run of each repository, not only the latest.
    #[arg(long = "all-runs")]
    all_runs: bool,

    /// Also write DEST/index.html: a self-contained report that opens from a
    /// file, with no server and no network.
    ///
    /// One page with every stream: summary, timeline by worker, failures
    /// with their tracebacks, skips, slowest tests, a filterable table of
    /// all tests, and CPU/memory/disk/network charts when --dstat is given.
    /// Works with either --format; never gzipped. Attachment text is capped
    /// at 64 KiB per test: past that, each large attachment keeps only its
    /// end, marked "… cut: N bytes not shown".
    #[arg(long)]
    html: bool,

    /// Print only errors.
    #[arg(short = 'q', long)]
    quiet: bool,

    /// Append every exported run to this history store (one SQLite file in
    /// subunit2sql's schema; created when missing) and mark each test
    /// against the runs before it: new, known or flaky failures, slower,
    /// fixed, added, removed. A run already stored is not added again.
    /// Writes DEST/history.json and prints a summary per stream.
    /// A postgresql://user@host/db URL stores on a PostgreSQL server
    /// instead (one history for many CI nodes; password from the URL,
    /// PGPASSWORD or ~/.pgpass; TLS with ?sslmode=require).
    #[arg(long, value_name = "FILE|URL", help_heading = "History")]
    history: Option<PathBuf>,

    /// Before storing, copy every run of this SQLite history file into the
    /// --history server (once: runs already there are skipped).
    #[arg(long, value_name = "FILE", help_heading = "History")]
    history_copy_from: Option<PathBuf>,

    /// Retention on a --history server: after storing, delete the runs that
    /// started more than N days ago, and take them out of the per-test
    /// counters and rolling summaries.
    #[arg(long, value_name = "N", help_heading = "History")]
    history_keep_days: Option<u32>,

    /// Compare with one earlier run instead (no store needed): a subunit
    /// stream, a test repository (its latest run) or an earlier export's
    /// DEST. With --history the runs are still stored.
    #[arg(long, value_name = "PATH", help_heading = "History")]
    baseline: Option<PathBuf>,

    /// Runs per test the rules look at (1 to 20).
    #[arg(long, value_name = "N", default_value_t = 10, help_heading = "History")]
    history_window: usize,

    /// A failing test is flaky when its outcomes in the window flip between
    /// pass and fail at least this often. Tests that always fail never flip.
    #[arg(long, value_name = "K", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..), help_heading = "History")]
    flaky_flips: u32,

    /// Also call a failing test flaky when it passed earlier on the same
    /// change/revision (CI metadata from -e).
    #[arg(long, help_heading = "History")]
    flaky_same_revision: bool,

    /// Slower: duration above the median of recent passing runs by more than
    /// this many median absolute deviations…
    #[arg(
        long,
        value_name = "X",
        default_value_t = 3.0,
        help_heading = "History"
    )]
    slower_mads: f64,

    /// …and by at least this many seconds.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 0.5,
        help_heading = "History"
    )]
    slower_min: f64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Layout {
    Tempest,
    Artifacts,
}

struct Stderr {
    quiet: bool,
    tty: bool,
}

impl Reporter for Stderr {
    fn info(&mut self, line: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
    fn warn(&mut self, line: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr(), "stackviz-export: warning: {line}");
        }
    }
    fn progress(&mut self, what: &str, tests: u64) {
        if !self.quiet && self.tty {
            let _ = writeln!(std::io::stderr(), "  {what}: {tests} tests so far");
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.render().to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            let _ = write!(std::io::stderr(), "stackviz-export: error: {text}");
            return ExitCode::from(2);
        }
    };
    let opts = Options {
        dest: cli.dest,
        files: cli.stream_file,
        stdin: cli.stdin,
        repos: cli.repository,
        dstat: cli.dstat,
        gzip: cli.gzip,
        env: cli.env,
        format: match cli.format {
            Layout::Tempest => FormatKind::Tempest,
            Layout::Artifacts => FormatKind::Artifacts,
        },
        all_runs: cli.all_runs,
        html: cli.html,
        history: HistoryOptions {
            store: cli.history,
            copy_from: cli.history_copy_from,
            keep_days: cli.history_keep_days,
            baseline: cli.baseline,
            rules: Rules {
                window: cli.history_window,
                flaky_flips: cli.flaky_flips as usize,
                same_revision: cli.flaky_same_revision,
                slower_mads: cli.slower_mads,
                slower_min_secs: cli.slower_min,
            },
        },
    };
    let mut rep = Stderr {
        quiet: cli.quiet,
        tty: std::io::stderr().is_terminal(),
    };
    match export::export(&opts, &mut rep) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "stackviz-export: error: {e}");
            ExitCode::from(match e {
                Error::Usage(_) => 2,
                _ => 1,
            })
        }
    }
}
