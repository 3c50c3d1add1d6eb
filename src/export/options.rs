//! What the caller asks for, and where messages go.

use std::path::{Path, PathBuf};

use crate::output::side::Annotator;

/// The main output layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormatKind {
    /// `tempest_<provider>_<run>_{raw,tree,details}.json` and a `config.json` listing them.
    #[default]
    Tempest,
    /// `<name>-<run>-{raw,details,stats}.json`, as today's StackViz front-end reads.
    Artifacts,
}

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The output directory (DEST).
    pub dest: PathBuf,
    /// Subunit stream files (`-f`).
    pub files: Vec<PathBuf>,
    /// Read a stream from standard input (`-i`).
    pub stdin: bool,
    /// Test repositories (`-r`).
    pub repos: Vec<PathBuf>,
    /// A dstat CSV log to copy (and chart with `html`).
    pub dstat: Option<PathBuf>,
    /// Gzip the data files (`-z`).
    pub gzip: bool,
    /// Add CI metadata from `ZUUL_*`/`JOB_NAME` (`-e`).
    pub env: bool,
    /// The main layout.
    pub format: FormatKind,
    /// Every run of each repository, not only the latest.
    pub all_runs: bool,
    /// Also write the self-contained `index.html` report.
    pub html: bool,
    /// `--history`, `--baseline` and the rules that mark tests.
    pub history: super::HistoryOptions,
    /// Change what keeps the chosen front-end from drawing the data (dstat
    /// layout, worker lanes, untimed entries); see the `model::frontend` module.
    pub fix_for_frontend: bool,
    /// Report files for CI systems; each may sit outside DEST.
    pub ci: CiFiles,
}

/// The CI report files asked for; each may sit outside DEST.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiFiles {
    /// `--junit FILE`: JUnit XML.
    pub junit: Option<PathBuf>,
    /// `--ctrf FILE`: Common Test Report Format JSON.
    pub ctrf: Option<PathBuf>,
    /// `--markdown FILE`: a job summary.
    pub markdown: Option<PathBuf>,
    /// `--trace FILE`: Trace Event Format JSON.
    pub trace: Option<PathBuf>,
}

impl CiFiles {
    /// (flag, path) of each file asked for.
    pub(super) fn named(&self) -> Vec<(&'static str, &Path)> {
        [
            ("--junit", &self.junit),
            ("--ctrf", &self.ctrf),
            ("--markdown", &self.markdown),
            ("--trace", &self.trace),
        ]
        .into_iter()
        .filter_map(|(flag, p)| p.as_deref().map(|p| (flag, p)))
        .collect()
    }
}

/// Per-test notes for the console summary and the Markdown report (for
/// example what a run history says: new, flaky, slower); see
/// [`Plan::annotate`](super::Plan::annotate).
#[derive(Clone)]
pub struct Annotations(pub std::sync::Arc<dyn Annotator>);

impl std::fmt::Debug for Annotations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Annotations(..)")
    }
}

/// How far the stream being exported has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<'a> {
    /// The stream's description, as in `config.json`.
    pub what: &'a str,
    /// Bytes read from the input so far (before gzip decompression).
    pub bytes: u64,
    /// The input's size, when it is a regular file.
    pub total: Option<u64>,
    /// Tests finished so far.
    pub tests: u64,
    /// The stream has been read to its end.
    pub done: bool,
}

/// Where informational lines, warnings and progress go.
pub trait Reporter {
    /// A progress line (`Exporting …`).
    fn info(&mut self, line: &str);
    /// A warning: the export goes on.
    fn warn(&mut self, line: &str);
    /// Called when a stream starts, after every batch of tests and once
    /// with `done` set; a display rate-limits itself.
    fn progress(&mut self, _progress: &Progress) {}
}

/// Collects messages; handy in tests and for library users.
#[derive(Debug, Default)]
pub struct Collect {
    /// Progress lines.
    pub info: Vec<String>,
    /// Warnings.
    pub warnings: Vec<String>,
}

impl Reporter for Collect {
    fn info(&mut self, line: &str) {
        self.info.push(line.to_owned());
    }
    fn warn(&mut self, line: &str) {
        self.warnings.push(line.to_owned());
    }
}
