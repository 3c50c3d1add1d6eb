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
    fn info(&mut self, line: &str);
    fn warn(&mut self, line: &str);
    /// Called when a stream starts, after every batch of tests and once
    /// with `done` set; a display rate-limits itself.
    fn progress(&mut self, _progress: &Progress) {}
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
