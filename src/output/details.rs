//! The `details` map: test name → its cleaned attachments.
//!
//! Attachment text is the bulk of a stream, so entries are written out as
//! they arrive and only their positions stay in memory. A name seen twice
//! must keep its first position with the last value (a Python dict update);
//! from then on values are appended as they come, and at the end the file
//! is rebuilt from its own bytes in the right order. Streams without
//! repeated names, the usual case, are written exactly once.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use rustc_hash::FxHashMap as HashMap;

use crate::model::entry::Entry;
use crate::output::json;
use crate::write::staging::{OutFile, Staging};
use crate::{Error, Result};

struct Slot {
    name: String,
    /// Where the latest value starts in the uncompressed output.
    start: u64,
    len: u64,
}

pub struct DetailsWriter {
    out: OutFile,
    index: HashMap<String, usize>,
    slots: Vec<Slot>,
    /// Set once a name repeats: the output then needs rebuilding.
    reordered: bool,
    name: String,
    gzip: bool,
    scratch: Vec<u8>,
}

impl DetailsWriter {
    pub fn create(stage: &mut Staging, name: &str, gzip: bool) -> Result<DetailsWriter> {
        let mut out = stage.create(name, gzip)?;
        out.write_all_ctx(b"{")?;
        Ok(DetailsWriter {
            out,
            index: HashMap::default(),
            slots: Vec::new(),
            reordered: false,
            name: name.to_owned(),
            gzip,
            scratch: Vec::new(),
        })
    }

    pub fn entry(&mut self, e: &Entry) -> Result<()> {
        let buf = &mut self.scratch;
        buf.clear();
        let existing = self.index.get(&e.name).copied();
        if existing.is_some() {
            self.reordered = true;
        }
        // While the file is still in final form, each new name is written
        // as a key; after a repeat only values are appended.
        let inline_key = existing.is_none() && !self.reordered;
        if inline_key {
            if !self.slots.is_empty() {
                buf.extend_from_slice(b", ");
            }
            json::write_str(buf, &e.name);
            buf.extend_from_slice(b": ");
        }
        let value_at = buf.len();
        let value: &[u8] = if e.details_json.is_empty() {
            json::write_pairs(buf, &e.details);
            &buf[value_at..]
        } else {
            &e.details_json
        };
        let start = self.out.position() + value_at as u64;
        let len = value.len() as u64;
        self.out.write_all_ctx(&buf[..value_at])?;
        self.out.write_all_ctx(value)?;
        match existing {
            Some(slot) => {
                self.slots[slot].start = start;
                self.slots[slot].len = len;
            }
            None => {
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
        if !self.reordered {
            self.out.write_all_ctx(b"}")?;
            return stage.finish(self.out);
        }
        let first = stage.finish_scratch(self.out)?;
        let result = rebuild(stage, &first, &self.name, self.gzip, &self.slots);
        stage.discard(&first);
        result
    }
}

/// Writes the final file from the values stored in `first`, in first-seen
/// order with each name's last value.
fn rebuild(
    stage: &mut Staging,
    first: &Path,
    name: &str,
    gzip: bool,
    slots: &[Slot],
) -> Result<()> {
    let err = |e: io::Error| Error::io(first, e);
    let mut plain = File::open(first).map_err(err)?;
    let mut unpacked = None;
    if gzip {
        // Values are addressed in uncompressed bytes.
        let (mut file, path) = stage.scratch(&format!("{name}.plain"))?;
        let mut gz = flate2::read::MultiGzDecoder::new(BufReader::new(plain));
        io::copy(&mut gz, &mut file).map_err(err)?;
        file.seek(SeekFrom::Start(0)).map_err(err)?;
        plain = file;
        unpacked = Some(path);
    }
    let result = (|| {
        let mut reader = BufReader::with_capacity(256 * 1024, plain);
        let mut out = stage.create(name, gzip)?;
        let mut at = 0u64;
        let mut key = Vec::new();
        out.write_all_ctx(b"{")?;
        for (i, slot) in slots.iter().enumerate() {
            key.clear();
            if i > 0 {
                key.extend_from_slice(b", ");
            }
            json::write_str(&mut key, &slot.name);
            key.extend_from_slice(b": ");
            out.write_all_ctx(&key)?;
            if at != slot.start {
                reader
                    .seek_relative(slot.start as i64 - at as i64)
                    .map_err(err)?;
            }
            let n = io::copy(&mut (&mut reader).take(slot.len), &mut out).map_err(err)?;
            if n != slot.len {
                return Err(err(io::ErrorKind::UnexpectedEof.into()));
            }
            at = slot.start + slot.len;
        }
        out.write_all_ctx(b"}")?;
        stage.finish(out)
    })();
    if let Some(p) = unpacked {
        stage.discard(&p);
    }
    result
}
