//! stackviz-export: subunit streams in, StackViz data files out.
//!
//! Data flows one way: bytes (`source`) → packets and events (`v2`, `v1`) →
//! test records (`record`) → outputs (`output::*`), in a single pass over
//! each stream.

#![forbid(unsafe_code)]

pub mod decode;
pub mod export;
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
    #[error("{}: {source}", shown_path(path))]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Reading a stream failed part way.
    #[error("{}: read failed at byte offset {offset}: {source}", shown(path))]
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

/// Bytes of untrusted text (paths, file contents, test ids) a message
/// quotes; longer text is cut, with the number of bytes left out.
pub const SHOWN_MAX: usize = 200;

/// Untrusted text as messages show it: control characters escaped (so a
/// newline cannot start a forged message line) and at most [`SHOWN_MAX`]
/// bytes, cut on a character boundary. The one helper every message uses.
pub fn shown(text: &str) -> String {
    shown_up_to(text, SHOWN_MAX)
}

/// [`shown`] with another cap; the binary passes whole message lines
/// through it (with a larger cap) as a last guard.
pub fn shown_up_to(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for (i, c) in text.char_indices() {
        if used >= max {
            out.push_str(&format!("… ({} more bytes)", text.len() - i));
            break;
        }
        let before = out.len();
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        used += out.len() - before;
    }
    out
}

/// A path as messages show it (see [`shown`]).
pub fn shown_path(path: &std::path::Path) -> String {
    shown(&path.to_string_lossy())
}
