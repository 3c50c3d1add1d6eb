//! Output formats. Each format is a `Format` fed the same entries from the
//! same single pass; the shared pieces (raw list, details map, stats) live
//! beside them.

pub mod artifacts;
pub mod ctrf;
pub mod details;
pub mod html;
pub(crate) mod json;
pub mod junit;
pub mod markdown;
pub mod names;
pub mod raw;
pub mod side;
pub mod summary;
pub mod tag_json;
pub mod tempest;
pub mod trace;
pub mod tree;

use crate::model::entry::Entry;
use crate::model::stats::Stats;
use crate::write::staging::Staging;
use crate::Result;

/// Which provider a stream came from, and the names its files get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamMeta {
    /// Position among all exported streams, from 0.
    pub index: usize,
    /// Tempest-format provider name: `file_x`, `repo_x`, `stdin` (+ `-2`…).
    pub provider: String,
    /// Artifacts-format name: the bare basename or `stdin` (+ `-2`…).
    pub artifact_name: String,
    /// The run index within the provider (0 unless `--all-runs`).
    pub run_index: usize,
    /// Each run of a repository is its own artifact group (`--all-runs`):
    /// today's front-end shows only the first artifact of each name.
    pub run_is_artifact: bool,
    /// `Subunit File: x`, `Repository: x (RUNID)`, `Subunit Stream (stdin)`.
    pub description: String,
}

/// Run-wide facts the formats need when writing their index file.
#[derive(Debug, Clone, Default)]
pub struct ExportMeta {
    /// The dstat file's name in DEST, when one was copied.
    pub dstat_file: Option<String>,
    /// Basename of the `--dstat` path as given.
    pub dstat_source_name: Option<String>,
    /// The `--dstat` path itself, for messages.
    pub dstat_path: Option<std::path::PathBuf>,
    /// The log's chart series, or why there are none; filled only when a
    /// format charts it (`--html`).
    pub dstat_charts: Option<crate::input::dstat::Charts>,
    /// CI metadata from `-e`, as (dataset key, value).
    pub env: Vec<(&'static str, String)>,
    /// Each stream's history marks (by `StreamHistory::index`), when the
    /// export has history (`--history`, `--baseline`, `-r --all-runs`);
    /// empty otherwise. Filled before `Format::finish` is called.
    pub history: Vec<crate::history::StreamHistory>,
}

/// One output: a file layout (tempest, artifacts) or a side report (html).
///
/// Every output is fed the same entries from the same single pass over each
/// stream. For each stream the export calls [`Format::begin_stream`], hands
/// every entry to the returned [`StreamWriter`], then calls
/// [`StreamWriter::end`] with the stream's stats. After the last stream it
/// calls [`Format::finish`] and reports [`Format::warnings`].
///
/// # Adding an output
///
/// 1. Add `src/output/<name>.rs` with a type implementing `Format`, and a
///    per-stream type implementing `StreamWriter` that borrows the format
///    (`&'a mut YourFormat`) to hand its results back in `end`.
/// 2. Create files only through the [`Staging`] passed in, so they are
///    committed with the rest of the export or not at all; write big
///    per-entry data as it arrives (never keep attachment text).
/// 3. Add an option to `export::Options` and push the format in
///    `export::pipeline::run` next to `Html`.
///
/// A side output leaves [`Format::dstat_name`] at its default.
pub trait Format {
    /// The dstat copy's file name in this layout; only the main layout
    /// (the first format) names it.
    fn dstat_name(&self) -> Option<&'static str> {
        None
    }
    /// Starts one stream; the writer receives its entries.
    fn begin_stream<'a>(
        &'a mut self,
        stage: &mut Staging,
        meta: &StreamMeta,
    ) -> Result<Box<dyn StreamWriter + 'a>>;
    /// Writes the index (`config.json`, `index.html`); called once, after
    /// every stream.
    fn finish(&mut self, stage: &mut Staging, meta: &ExportMeta) -> Result<()>;
    /// Problems worth telling the user that did not stop the export; the
    /// export reports them after `finish`.
    fn warnings(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// One stream's writer for one output.
pub trait StreamWriter {
    /// One test entry, in completion order.
    fn entry(&mut self, entry: &Entry) -> Result<()>;
    /// The stream ended; `stats` summarises every entry it had.
    fn end(self: Box<Self>, stage: &mut Staging, stats: &Stats) -> Result<()>;
}
