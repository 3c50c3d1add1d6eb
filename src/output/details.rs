//! The `details` map: test name → its cleaned attachments.
//!
//! Attachment text is the bulk of a stream, so values are spooled to disk as
//! they arrive and only their positions stay in memory. A name seen twice
//! keeps its first position with the last value (a Python dict update); the
//! file is then reassembled from the spool at the end.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use super::Pairs;
use crate::record::Entry;
use crate::staging::Staging;
use crate::{Error, Result};

struct Slot {
    name: String,
    start: u64,
    len: u64,
}

pub struct DetailsWriter {
    spool: BufWriter<File>,
    spool_path: PathBuf,
    /// The final path, which error messages name.
    path: PathBuf,
    pos: u64,
    index: HashMap<String, usize>,
    slots: Vec<Slot>,
    /// The spool stops being the final JSON once a name repeats.
    reordered: bool,
    name: String,
    gzip: bool,
}

/// Counts the bytes written through it.
struct Counted<'a, W> {
    inner: &'a mut W,
    n: u64,
}

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl DetailsWriter {
    pub fn create(stage: &mut Staging, name: &str, gzip: bool) -> Result<DetailsWriter> {
        let (file, spool_path) = stage.scratch(name)?;
        let mut w = DetailsWriter {
            spool: BufWriter::with_capacity(256 * 1024, file),
            spool_path,
            path: stage.dir().join(name),
            pos: 0,
            index: HashMap::new(),
            slots: Vec::new(),
            reordered: false,
            name: name.to_owned(),
            gzip,
        };
        w.put(b"{")?;
        Ok(w)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.spool
            .write_all(bytes)
            .map_err(|e| Error::io(&self.path, e))?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    /// Writes the entry's details value to the spool, straight from the
    /// serializer (a test's details can be as large as its logs); returns
    /// where it starts and how long it is.
    fn put_value(&mut self, e: &Entry) -> Result<(u64, u64)> {
        let start = self.pos;
        let mut w = Counted {
            inner: &mut self.spool,
            n: 0,
        };
        serde_json::to_writer(&mut w, &Pairs(&e.details))
            .map_err(|err| Error::io(&self.path, err.into()))?;
        self.pos += w.n;
        Ok((start, w.n))
    }

    pub fn entry(&mut self, e: &Entry) -> Result<()> {
        match self.index.get(&e.name) {
            Some(&slot) => {
                self.reordered = true;
                let (start, len) = self.put_value(e)?;
                self.slots[slot].start = start;
                self.slots[slot].len = len;
            }
            None => {
                if !self.reordered {
                    if !self.slots.is_empty() {
                        self.put(b", ")?;
                    }
                    let key = serde_json::to_vec(&e.name).expect("in-memory JSON");
                    self.put(&key)?;
                    self.put(b": ")?;
                }
                let (start, len) = self.put_value(e)?;
                self.index.insert(e.name.clone(), self.slots.len());
                self.slots.push(Slot {
                    name: e.name.clone(),
                    start,
                    len,
                });
            }
        }
        Ok(())
    }

    pub fn finish(mut self, stage: &mut Staging) -> Result<()> {
        let spool_err = |e: io::Error| Error::io(&self.path, e);
        if !self.reordered && !self.gzip {
            self.put(b"}")?;
            let f = self
                .spool
                .into_inner()
                .map_err(|e| Error::io(&self.path, e.into_error()))?;
            drop(f);
            stage.adopt(self.spool_path, &self.name);
            return Ok(());
        }
        self.spool.flush().map_err(spool_err)?;
        let mut file = self
            .spool
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(spool_err)?;
        let mut out = stage.create(&self.name, self.gzip)?;
        if !self.reordered {
            io::copy(&mut file, &mut out).map_err(|e| out.io_err(e))?;
            out.write_all_ctx(b"}")?;
        } else {
            let mut reader = BufReader::with_capacity(256 * 1024, file);
            let mut at = 0u64;
            out.write_all_ctx(b"{")?;
            for (i, slot) in self.slots.iter().enumerate() {
                if i > 0 {
                    out.write_all_ctx(b", ")?;
                }
                let key = serde_json::to_vec(&slot.name).expect("in-memory JSON");
                out.write_all_ctx(&key)?;
                out.write_all_ctx(b": ")?;
                if at != slot.start {
                    reader
                        .seek_relative(slot.start as i64 - at as i64)
                        .map_err(spool_err)?;
                }
                let n = io::copy(&mut (&mut reader).take(slot.len), &mut out)
                    .map_err(|e| out.io_err(e))?;
                if n != slot.len {
                    return Err(spool_err(io::ErrorKind::UnexpectedEof.into()));
                }
                at = slot.start + slot.len;
            }
            out.write_all_ctx(b"}")?;
        }
        stage.finish(out)?;
        stage.discard(&self.spool_path);
        Ok(())
    }
}
