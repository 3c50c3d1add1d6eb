//! The attachment spool: test records in gzip+base64 chunks, written to a
//! scratch file by a thread of its own.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use flate2::write::GzEncoder;
use flate2::Compression;

use super::escape::base64;
use super::CHUNK_GZIP_LEVEL;
use crate::{Error, Result};

/// Test records of one chunk, on their way to the compression thread:
/// (stream, chunk, JSON).
pub(super) type Chunk = (usize, usize, Vec<u8>);

/// Collects the attachment blocks in a scratch file. Chunks are compressed
/// and encoded on a thread of their own, beside the decoding.
pub(super) struct Spool {
    pub(super) path: PathBuf,
    pub(super) chunk: Vec<u8>,
    pub(super) chunk_tests: usize,
    pub(super) chunk_no: usize,
    pub(super) tx: Option<SyncSender<Chunk>>,
    pub(super) worker: Option<JoinHandle<io::Result<File>>>,
}

impl Spool {
    pub(super) fn new(file: File, path: PathBuf) -> Spool {
        let (tx, rx) = sync_channel::<Chunk>(4);
        let worker = std::thread::spawn(move || -> io::Result<File> {
            let mut out = BufWriter::with_capacity(256 * 1024, file);
            for (stream, no, json) in rx {
                let mut gz = GzEncoder::new(
                    Vec::with_capacity(json.len() / 4),
                    Compression::new(CHUNK_GZIP_LEVEL),
                );
                gz.write_all(&json)?;
                let packed = gz.finish()?;
                write!(
                    out,
                    "<script type=\"application/octet-stream\" id=\"a-{stream}-{no}\">"
                )?;
                out.write_all(base64(&packed).as_bytes())?;
                out.write_all(b"</script>\n")?;
            }
            out.into_inner().map_err(|e| e.into_error())
        });
        Spool {
            path,
            chunk: Vec::new(),
            chunk_tests: 0,
            chunk_no: 0,
            tx: Some(tx),
            worker: Some(worker),
        }
    }

    /// Hands the open chunk to the compression thread.
    pub(super) fn close_chunk(&mut self, stream: usize) -> Result<()> {
        if self.chunk_tests == 0 {
            return Ok(());
        }
        self.chunk.push(b']');
        let json = std::mem::take(&mut self.chunk);
        let sent = self
            .tx
            .as_ref()
            .is_some_and(|tx| tx.send((stream, self.chunk_no, json)).is_ok());
        if !sent {
            // The thread stopped: its error says why.
            self.finish()?;
            return Err(Error::Stopped("the attachment spool"));
        }
        self.chunk_tests = 0;
        self.chunk_no += 1;
        Ok(())
    }

    /// Waits for the thread to write everything; returns the file.
    pub(super) fn finish(&mut self) -> Result<File> {
        self.tx = None;
        let worker = self
            .worker
            .take()
            .ok_or(Error::Stopped("the attachment spool"))?;
        match worker.join() {
            Ok(Ok(file)) => Ok(file),
            Ok(Err(e)) => Err(Error::io(&self.path, e)),
            Err(_) => Err(Error::Stopped("compressing the attachments")),
        }
    }
}
