//! What the caller asks for, and where messages go.

use std::path::{Path, PathBuf};

use crate::output::side::Annotator;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormatKind {
    #[default]
    Tempest,
    Artifacts,
}

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dest: PathBuf,
    pub files: Vec<PathBuf>,
    pub stdin: bool,
    pub repos: Vec<PathBuf>,
    pub dstat: Option<PathBuf>,
    pub gzip: bool,
    pub env: bool,
    pub format: FormatKind,
    pub all_runs: bool,
    /// Also write the self-contained `index.html` report.
    pub html: bool,
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

/// Where informational lines and warnings go.
pub trait Reporter {
    fn info(&mut self, line: &str);
    fn warn(&mut self, line: &str);
    /// Called now and then during a long stream.
    fn progress(&mut self, _what: &str, _tests: u64) {}
}

/// Collects messages; handy in tests and for library users.
#[derive(Debug, Default)]
pub struct Collect {
    pub info: Vec<String>,
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
