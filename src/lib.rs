//! stackviz-export: subunit streams in, StackViz data files out.
//!
//! Data flows one way: bytes (`source`) → packets and events (`v2`, `v1`) →
//! test records (`record`) → outputs (`output::*`), in a single pass over
//! each stream.

#![forbid(unsafe_code)]

pub mod decode;
pub mod export;
pub mod history;
pub mod input;
pub mod model;
pub mod output;
pub mod write;

pub use decode::v2::crc;
pub use decode::v2::encode;
pub use decode::{event, v1, v2};
pub use input::{dstat, repo, source};
pub use model::attachment as details;
pub use model::{record, stats};
pub use write::staging;

use std::io;
use std::path::PathBuf;

/// Library errors. The binary maps `Usage` to exit status 2 and the rest to 1.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line names something unusable; nothing has been written.
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a named file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Reading a stream failed part way.
    #[error("{path}: read failed at byte offset {offset}: {source}")]
    Read {
        path: String,
        offset: u64,
        #[source]
        source: io::Error,
    },
    /// Anything else that stops an export, already phrased for the user.
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
