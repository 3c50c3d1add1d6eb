//! The `stackviz-export` command: parse and check arguments, run the export,
//! map errors to exit codes (2 for usage, 1 for everything else).

#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use stackviz_export::{export, Error, FormatKind, Options, Reporter};

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
    stackviz-export -f run.subunit --dstat dstat.csv --html out/   # then open out/index.html\n\n\
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
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Layout {
    Tempest,
    Artifacts,
}

/// Every message line as printed: the library already caps and escapes the
/// untrusted text it quotes; this keeps any other control character from
/// starting a forged line, and bounds the line.
fn safe(line: &str) -> String {
    stackviz_export::shown_up_to(line, 4096)
}

struct Stderr {
    quiet: bool,
    tty: bool,
}

impl Reporter for Stderr {
    fn info(&mut self, line: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr(), "{}", safe(line));
        }
    }
    fn warn(&mut self, line: &str) {
        if !self.quiet {
            let _ = writeln!(
                std::io::stderr(),
                "stackviz-export: warning: {}",
                safe(line)
            );
        }
    }
    fn progress(&mut self, what: &str, tests: u64) {
        if !self.quiet && self.tty {
            let _ = writeln!(std::io::stderr(), "  {}: {tests} tests so far", safe(what));
        }
    }
}

/// On SIGINT, SIGTERM or SIGHUP: remove everything this run created and
/// exit with 128 + the signal number, as a shell reports a signal.
fn handle_signals() -> std::io::Result<()> {
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
                    std::io::stderr(),
                    "stackviz-export: error: stopped by {name}; removing this run's temporary files"
                );
                stackviz_export::remove_temporaries_and_exit(128 + sig);
            }
        })?;
    Ok(())
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
    };
    let mut rep = Stderr {
        quiet: cli.quiet,
        tty: std::io::stderr().is_terminal(),
    };
    if let Err(e) = handle_signals() {
        let _ = writeln!(
            std::io::stderr(),
            "stackviz-export: warning: cannot watch for signals ({e}); an interrupted run may leave temporary files in DEST"
        );
    }
    match export(&opts, &mut rep) {
        Ok(_) => ExitCode::SUCCESS,
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
