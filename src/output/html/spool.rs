//! The attachment spool: test records in gzip+base64 chunks, written to a
//! scratch file by a thread of its own.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use super::escape::base64_into;
use super::pack::Gzip;
use super::{CHUNK_BYTES, CHUNK_GZIP_LEVEL};
use crate::{Error, Result};

/// A chunk buffer's first size: a chunk closes past `CHUNK_BYTES`, after
/// the record that crossed it.
const CHUNK_ROOM: usize = CHUNK_BYTES + CHUNK_BYTES / 2;

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
    /// Chunk buffers the thread is done with, to fill again: a new buffer
    /// per chunk grew by doubling and touched fresh pages each time.
    free: Receiver<Vec<u8>>,
    pub(super) worker: Option<JoinHandle<io::Result<File>>>,
}

impl Spool {
    pub(super) fn new(file: File, path: PathBuf) -> Spool {
        let (tx, rx) = sync_channel::<Chunk>(4);
        let (back, free) = channel::<Vec<u8>>();
        let worker = std::thread::spawn(move || -> io::Result<File> {
            let mut out = BufWriter::with_capacity(256 * 1024, file);
            let mut gz = Gzip::new(CHUNK_GZIP_LEVEL);
            let mut text = Vec::new();
            for (stream, no, mut json) in rx {
                let packed = gz.pack(&json)?;
                text.clear();
                base64_into(&mut text, packed);
                write!(
                    out,
                    "<script type=\"application/octet-stream\" id=\"a-{stream}-{no}\">"
                )?;
                out.write_all(&text)?;
                out.write_all(b"</script>\n")?;
                json.clear();
                // The spool may be done with its buffers already.
                let _ = back.send(json);
            }
            out.into_inner().map_err(|e| e.into_error())
        });
        Spool {
            path,
            chunk: Vec::with_capacity(CHUNK_ROOM),
            chunk_tests: 0,
            chunk_no: 0,
            tx: Some(tx),
            free,
            worker: Some(worker),
        }
    }

    /// Hands the open chunk to the compression thread.
    pub(super) fn close_chunk(&mut self, stream: usize) -> Result<()> {
        if self.chunk_tests == 0 {
            return Ok(());
        }
        self.chunk.push(b']');
        let next = self
            .free
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK_ROOM));
        let json = std::mem::replace(&mut self.chunk, next);
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
