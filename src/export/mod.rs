//! The export: check every input, then read each stream once and feed every
//! output from that one pass, then commit all files at once.

mod baseline;
mod history;
mod options;
mod pipeline;
mod plan;

pub use history::HistoryOptions;
pub use options::{Annotations, CiFiles, Collect, FormatKind, Options, Progress, Reporter};
pub use pipeline::{export, run, Summary};
pub use plan::{plan, Plan};
