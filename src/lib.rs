//! stackviz-export: subunit streams in, StackViz data files out.
//!
//! # Data flow
//!
//! ```text
//!  files, stdin, repository runs        (input)    open, gunzip, sniff v1/v2
//!        │ bytes
//!        ▼
//!  v2::Decoder / read_v1                (decode)   packets/lines → Event
//!        │ Event (borrows the read buffer)
//!        ▼
//!  Assembler → Record → Entry, Stats    (model)    StreamToDict, attachments → text
//!        │ Entry (batches)
//!        ▼
//!  Format → StreamWriter per stream     (output)   tempest | artifacts, + html
//!        │ bytes
//!        ▼
//!  Staging / OutFile                    (write)    temp files, gzip, commit all at once
//! ```
//!
//! [`export()`] (module `export`) is the only place that knows every stage:
//! it checks every input and names every stream ([`plan()`]) before writing
//! anything, then reads each stream once and feeds every output from that
//! single pass ([`run()`]).
//!
//! # Threads
//!
//! Per stream: a `decode` thread (read, decode, assemble entries), a
//! `serialise` thread (renders each entry's details as JSON) and the
//! caller's thread (feeds the outputs). They pass batches of entries over
//! bounded channels, so memory does not grow with the stream. Each output
//! file has a writer thread that compresses and writes its buffers, and the
//! html report compresses its attachment spool on one more.
//!
//! # Errors
//!
//! Everything returns [`Result`] with the typed [`Error`]: `Usage` for a
//! command line that names something unusable (nothing written, exit status
//! 2), `Io`/`Read` naming the file (and the byte offset for streams), and
//! variants for the other failures. `Display` says what failed; the cause
//! is the `source()`, printed by the binary (with `anyhow`) after a colon.
//! Damage inside a stream is not an error: readers report a [`Warning`] and
//! carry on, and the export prints them.
//!
//! # Dependency rule
//!
//! Modules depend one way, checkable with `grep "use crate::" src`:
//! `decode` on nothing above it; `input` on `decode`; `model` on `decode`;
//! `write` on nothing above it; `output` on `model` and `write` (the html
//! charts take their series from `input::dstat`); `history` (the store of
//! earlier runs and the new/flaky/slower rules) on nothing above it, read
//! by `output` and fed by `export`; `export` on everything.
//! `pycompat` (Python string semantics the port reproduces) and the
//! [`Error`] type are used by all. `testkit` (feature `testkit`) holds the
//! helpers for tests, examples, benches and fuzz targets.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod decode;
mod export;
#[allow(missing_docs)]
pub mod history;
mod input;
mod model;
mod output;
mod pycompat;
#[cfg(feature = "testkit")]
pub mod testkit;
mod write;

pub use decode::event::{Event, EventSink, FileChunk, Status, Timestamp, Warning};
pub use decode::v1::read_v1;
pub use decode::v2::{DecodeError, DecodeSummary, Decoder, SIGNATURE};
pub use export::{
    export, plan, run, Annotations, CiFiles, Collect, FormatKind, HistoryOptions, Options, Plan,
    Progress, Reporter, Summary,
};
pub use input::source::{prepare as sniff_stream, Opened, Protocol};
pub use model::attachment::{clean_details, Attachment};
pub use model::entry::{Entry, TestStatus};
pub use model::failure;
pub use model::record::{Assembler, Record, RecordSink, Warnings};
pub use output::side::Annotator;
pub use output::summary::{Counts, Results};
pub use write::staging::remove_temporaries_and_exit;

use std::io;
use std::path::PathBuf;

/// Library errors. The binary maps `Usage` to exit status 2 and the rest to 1.
///
/// `Display` never repeats the source error; print the chain (e.g. with
/// anyhow's `{:#}`) to show it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line names something unusable; nothing has been written.
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a named file failed.
    #[error("{}", shown_path(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// Reading a stream failed part way.
    #[error("{}: read failed at byte offset {offset}", shown(path))]
    Read {
        /// The stream, as the user named it (`<stdin>` for standard input).
        path: String,
        /// Bytes of the (decompressed) stream read before the failure.
        offset: u64,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// A repository's latest run, named by its `next-stream` file, is
    /// missing or not a file.
    #[error(
        "repository {}: latest run {id} {problem} ({})",
        shown_path(repo),
        shown_path(run)
    )]
    MissingRun {
        /// The repository as the user gave it.
        repo: PathBuf,
        /// The run id.
        id: u64,
        /// The run file's path.
        run: PathBuf,
        /// `not found` or `is not a file`.
        problem: &'static str,
    },
    /// The output path exists and is not a directory.
    #[error("{}: output path is not a directory", shown_path(.0))]
    NotADirectory(PathBuf),
    /// The system refused a worker thread.
    #[error("cannot start a thread")]
    Thread(#[source] io::Error),
    /// A worker thread stopped without saying why (a panic); names the work.
    #[error("{0} stopped unexpectedly")]
    Stopped(&'static str),
    /// The `--history` store could not be used; the message says what to do.
    #[error(transparent)]
    History(#[from] history::HistoryError),
}

impl Error {
    /// An `Io` error for `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// `Result` with the library's [`Error`].
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
