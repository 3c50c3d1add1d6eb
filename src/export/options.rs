//! What the caller asks for, and where messages go.

use std::path::PathBuf;

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
    /// `--history`, `--baseline` and the rules that mark tests.
    pub history: super::HistoryOptions,
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
