//! The `stackviz-export` command: parse and check arguments, run the export,
//! map errors to exit codes (2 for usage, 1 for everything else).

#![forbid(unsafe_code)]

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{CommandFactory, Parser, ValueEnum};
use clap_complete::Shell;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use stackviz_export::history::Rules;
use stackviz_export::{
    export, CiFiles, Error, FormatKind, HistoryOptions, Options, Progress, Reporter,
};

/// Turn subunit test-result streams into the data files the StackViz
/// front-end reads.
///
/// Reads subunit v2 streams (gzip-compressed or not), subunit v1 text and
/// stestr/testrepository repositories, each exactly once, and writes one set
/// of data files per stream into DEST plus a config.json that lists them.
/// Files appear only when the whole export succeeded.
#[derive(Parser, Debug)]
#[command(name = "stackviz-export", version)]
// The same sentence, period included, in -h as in --help.
#[command(
    about = "Turn subunit test-result streams into the data files the StackViz front-end reads."
)]
// argparse accepted unambiguous prefixes (`--stream` for `--stream-file`);
// so does this, so the Python tool's command lines keep working.
#[command(infer_long_args = true)]
#[command(override_usage = "stackviz-export [OPTIONS] <DEST>\n       \
    stackviz-export --completions <SHELL>\n       \
    stackviz-export --man")]
#[command(after_help = "At least one input is required: -f, -i or -r.\n\n\
    Examples:\n  \
    stackviz-export -f run.subunit out/\n  \
    stestr last --subunit | stackviz-export -i --dstat dstat.csv out/\n  \
    stackviz-export -r path/to/project --all-runs out/\n  \
    stackviz-export --format artifacts -e -z -i out/ < run.subunit\n  \
    stackviz-export -f run.subunit --dstat dstat.csv --html out/   # then open out/index.html\n  \
    stestr last --subunit | stackviz-export -i --exit-code --junit junit.xml out/   # in CI\n\n\
    stackviz-export --history ci-history.db -f run.subunit out/     # new, flaky, slower tests\n\n\
    Exit status: 0 when every file was written, 1 when reading or writing failed,\n\
    2 for a usage error (nothing is written then), 3 with --exit-code when a test\n\
    failed or unexpectedly succeeded, or no test ran (after writing everything).")]
struct Cli {
    /// Output directory; created with missing parents, existing files replaced.
    #[arg(value_name = "DEST", required = true)]
    dest: Option<PathBuf>,

    /// Paths after DEST: a mistake, answered with a hint (see
    /// `extra_paths`) rather than clap's "unexpected argument".
    #[arg(value_name = "PATH", hide = true)]
    extra: Vec<PathBuf>,

    /// A subunit stream file (v2 or v1, optionally gzip-compressed), or - for
    /// standard input; repeatable.
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
    // `--gz` stays a name of its own: as a prefix it would also match
    // --gzip-level.
    #[arg(short = 'z', long = "gzip", alias = "gz")]
    gzip: bool,

    /// The -z compression level, 1 (fastest) to 9 (smallest). The default,
    /// 3, comes within about 5 % of `gzip -6`'s size for half its CPU
    /// time; compression runs on every core at any level.
    #[arg(long = "gzip-level", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=9))]
    gzip_level: Option<u32>,

    /// Fill the artifacts dataset from ZUUL_PROJECT, ZUUL_CHANGE,
    /// ZUUL_PATCHSET, ZUUL_PIPELINE and JOB_NAME (needs --format artifacts;
    /// the tempest format has no dataset, and says so in a warning).
    #[arg(short = 'e', long = "env")]
    env: bool,

    /// Output layout: "tempest" (documented StackViz data) or "artifacts"
    /// (today's front-end).
    #[arg(long, value_enum, default_value_t = Layout::Tempest, value_name = "FORMAT")]
    format: Layout,

    /// Export every run of each repository (-r), not only the latest.
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

    /// Change the data so that the chosen --format's StackViz front-end
    /// draws them (the default output matches the Python tool instead).
    ///
    /// Writes the dstat copy in the row layout that front-end reads (a
    /// blank line after "Cmdline" for tempest, none for artifacts; a
    /// pcp-dstat header as dstat's), gives every test a dense worker-0..n-1
    /// tag (sparse ids renumbered, untagged tests placed by time overlap),
    /// and gives entries without timestamps the latest one before them,
    /// tagged timestamp-filled-in. Lists on stderr what it changed. Holds
    /// each stream's entries in memory until the stream ends. Without it,
    /// each such problem gets one warning.
    #[arg(long = "fix-for-frontend")]
    fix_for_frontend: bool,

    /// Exit with status 3 when any test failed or unexpectedly succeeded,
    /// or when no test ran at all; every output is written first.
    #[arg(long = "exit-code", help_heading = "Results for CI")]
    exit_code: bool,

    /// Write JUnit XML for CI test reports (Jenkins, GitLab, GitHub…).
    ///
    /// One <testsuite> per stream; failures carry the exception line and
    /// the traceback; a test run again counts once, with its earlier
    /// failures as <flakyFailure>/<rerunFailure>. May be outside DEST; -
    /// for standard output (as for every report file).
    #[arg(long, value_name = "FILE", help_heading = "Results for CI")]
    junit: Option<PathBuf>,

    /// Write a Common Test Report Format (CTRF) JSON report.
    #[arg(long, value_name = "FILE", help_heading = "Results for CI")]
    ctrf: Option<PathBuf>,

    /// Write a Markdown job summary (for $GITHUB_STEP_SUMMARY or a merge
    /// request note), kept under GitHub's 1,024 KiB limit.
    #[arg(long, value_name = "FILE", help_heading = "Results for CI")]
    markdown: Option<PathBuf>,

    /// Write the run as a trace for ui.perfetto.dev or chrome://tracing:
    /// one track per worker, with --dstat the machine load as counters.
    #[arg(long, value_name = "FILE", help_heading = "Results for CI")]
    trace: Option<PathBuf>,

    /// Print only errors (no progress, warnings or summaries).
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
    /// Print a completion script for SHELL to standard output and exit
    /// (e.g. `stackviz-export --completions bash > ~/.local/share/bash-completion/completions/stackviz-export`).
    #[arg(
        long,
        value_name = "SHELL",
        exclusive = true,
        help_heading = "Shell integration"
    )]
    completions: Option<Shell>,

    /// Print the man page (roff) to standard output and exit
    /// (e.g. `stackviz-export --man > stackviz-export.1`).
    #[arg(long, exclusive = true, help_heading = "Shell integration")]
    man: bool,
}

/// Colour on a terminal, unless NO_COLOR is set to something (no-color.org).
fn colour_wanted(tty: bool, no_color: Option<std::ffi::OsString>) -> bool {
    tty && no_color.is_none_or(|v| v.is_empty())
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Layout {
    Tempest,
    Artifacts,
}

/// On SIGINT, SIGTERM or SIGHUP: remove everything this run created and
/// exit with 128 + the signal number, as a shell reports a signal.
fn handle_signals() -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let name = match sig {
                    SIGINT => "SIGINT",
                    SIGTERM => "SIGTERM",
                    _ => "SIGHUP",
                };
                let _ = writeln!(
                    io::stderr(),
                    "stackviz-export: error: stopped by {name}; removing this run's temporary files"
                );
                stackviz_export::remove_temporaries_and_exit(128 + sig);
            }
        })?;
    Ok(())
}

/// Every message line as printed: the library already caps and escapes the
/// untrusted text it quotes; this keeps any other control character from
/// starting a forged line, and bounds the line.
fn safe(line: &str) -> String {
    stackviz_export::shown_up_to(line, 4096)
}

/// Messages on standard error; progress as one line redrawn in place
/// while stderr is a terminal.
struct Console {
    quiet: bool,
    tty: bool,
    bar: Option<ProgressBar>,
}

impl Console {
    fn line(&self, text: &str) {
        let print = || {
            let _ = writeln!(io::stderr(), "{}", safe(text));
        };
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }
}

impl Reporter for Console {
    fn info(&mut self, line: &str) {
        if !self.quiet {
            self.line(line);
        }
    }
    fn warn(&mut self, line: &str) {
        if !self.quiet {
            self.line(&format!("stackviz-export: warning: {line}"));
        }
    }
    fn progress(&mut self, p: &Progress) {
        if self.quiet || !self.tty {
            return;
        }
        if p.done {
            if let Some(bar) = self.bar.take() {
                bar.finish_and_clear();
            }
            return;
        }
        let bar = self.bar.get_or_insert_with(|| progress_bar(p));
        bar.set_message(tests_so_far(p.tests));
        bar.set_position(p.bytes);
    }
}

fn tests_so_far(n: u64) -> String {
    format!("{n} test{}", if n == 1 { "" } else { "s" })
}

/// `run.subunit [=====>    ] 12.3 MiB/50.5 MiB (310 MiB/s, 2400 tests)`,
/// or without the bar when the size is unknown (a pipe).
fn progress_bar(p: &Progress) -> ProgressBar {
    let template = match p.total {
        Some(_) => "{prefix} [{bar:24}] {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, {msg})",
        None => "{spinner} {prefix} {binary_bytes} ({binary_bytes_per_sec}, {msg})",
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let bar = ProgressBar::with_draw_target(p.total, ProgressDrawTarget::stderr())
        .with_style(style)
        .with_prefix(p.what.to_owned())
        .with_message(tests_so_far(p.tests));
    bar.set_position(p.bytes);
    bar
}

/// Writes `text` to standard output and flushes it, so that a full disk or
/// a closed pipe is an error (exit 1) rather than lost output.
fn print_stdout(text: &[u8]) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(text).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(
                io::stderr(),
                "stackviz-export: error: cannot write to standard output: {e}"
            );
            ExitCode::FAILURE
        }
    }
}

/// Prints a command-line error the way every other error is printed.
fn usage_error(e: &clap::Error) -> ExitCode {
    let text = e.render().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    let _ = write!(io::stderr(), "stackviz-export: error: {text}");
    ExitCode::from(2)
}

/// DEST is the only required argument; when it is missing, say whether an
/// input is missing too, since a bare invocation lacks both.
fn missing_dest() -> clap::Error {
    let lenient = Cli::command().mut_arg("dest", |a| a.required(false));
    let given =
        |m: &clap::ArgMatches, id: &str| m.value_source(id) == Some(ValueSource::CommandLine);
    let has_input = lenient
        .try_get_matches()
        .is_ok_and(|m| given(&m, "stream_file") || given(&m, "stdin") || given(&m, "repository"));
    let message = if has_input {
        "the output directory <DEST> is required"
    } else {
        "no DEST and no input: give the output directory <DEST> and at least one of \
         -f/--stream-file FILE, -i/--stdin or -r/--repository DIR"
    };
    Cli::command().error(ErrorKind::MissingRequiredArgument, message)
}

/// `-` for a report file is standard output, written through like any
/// FIFO or device once the export is in place.
fn stdout_dash(p: PathBuf) -> PathBuf {
    if p.as_os_str() == "-" {
        PathBuf::from("/dev/stdout")
    } else {
        p
    }
}

/// More than one path without a flag: usually a stream given like
/// `stackviz-export run.subunit out/`, the way `subunit2sql` and the
/// Python exporter's own examples never take it.
fn extra_paths(first: &Path, last: &Path) -> clap::Error {
    let (first_shown, last_shown) = (
        stackviz_export::shown_path(first),
        stackviz_export::shown_path(last),
    );
    let message = if first.is_file() {
        format!(
            "{first_shown} is a file, and DEST is one directory: give each stream with -f, \
             as in: stackviz-export -f {first_shown} {last_shown}"
        )
    } else {
        format!(
            "one output directory <DEST> only, but more paths follow {first_shown} \
             (the last is {last_shown}); give streams with -f FILE"
        )
    };
    Cli::command().error(ErrorKind::TooManyValues, message)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version, styled only on a terminal.
            let text = e.render();
            let text = if io::stdout().is_terminal() {
                text.ansi().to_string()
            } else {
                text.to_string()
            };
            return print_stdout(text.as_bytes());
        }
        Err(e) if e.kind() == ErrorKind::MissingRequiredArgument => {
            return usage_error(&missing_dest())
        }
        Err(e) => return usage_error(&e),
    };
    if let Some(shell) = cli.completions {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "stackviz-export", &mut script);
        return print_stdout(&script);
    }
    if cli.man {
        let mut page = Vec::new();
        if let Err(e) = clap_mangen::Man::new(Cli::command()).render(&mut page) {
            let _ = writeln!(io::stderr(), "stackviz-export: error: {e}");
            return ExitCode::FAILURE;
        }
        return print_stdout(&page);
    }
    let Some(dest) = cli.dest else {
        return usage_error(&missing_dest());
    };
    if let Some(last) = cli.extra.last() {
        return usage_error(&extra_paths(&dest, last));
    }
    let opts = Options {
        dest: dest.clone(),
        files: cli.stream_file,
        stdin: cli.stdin,
        repos: cli.repository,
        dstat: cli.dstat,
        gzip: cli.gzip,
        gzip_level: cli.gzip_level,
        env: cli.env,
        format: match cli.format {
            Layout::Tempest => FormatKind::Tempest,
            Layout::Artifacts => FormatKind::Artifacts,
        },
        all_runs: cli.all_runs,
        html: cli.html,
        ci: CiFiles {
            junit: cli.junit.map(stdout_dash),
            ctrf: cli.ctrf.map(stdout_dash),
            markdown: cli.markdown.map(stdout_dash),
            trace: cli.trace.map(stdout_dash),
        },
        fix_for_frontend: cli.fix_for_frontend,
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
    let mut console = Console {
        quiet: cli.quiet,
        tty: io::stderr().is_terminal(),
        bar: None,
    };
    if let Err(e) = handle_signals() {
        console.warn(&format!(
            "cannot watch for signals ({e}); an interrupted run may leave temporary files in DEST"
        ));
    }
    let result = export(&opts, &mut console);
    if let Some(bar) = console.bar.take() {
        bar.finish_and_clear();
    }
    match result {
        Ok(summary) => {
            if !cli.quiet {
                let colour = colour_wanted(
                    std::io::stderr().is_terminal(),
                    std::env::var_os("NO_COLOR"),
                );
                let _ = write!(std::io::stderr(), "{}", summary.results.render(colour));
            }
            console.info(&summary.line(&dest));
            if cli.exit_code && summary.results.should_fail() {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            let code = match e {
                Error::Usage(_) => 2,
                _ => 1,
            };
            // `{:#}` prints the error and its causes, separated by colons.
            let e = anyhow::Error::new(e);
            let _ = writeln!(
                std::io::stderr(),
                "stackviz-export: error: {}",
                safe(&format!("{e:#}"))
            );
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour_wanted(true, None));
        assert!(colour_wanted(true, Some("".into())));
        assert!(!colour_wanted(true, Some("1".into())));
        assert!(!colour_wanted(false, None));
    }
}
