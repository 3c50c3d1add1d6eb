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

use super::names::Names;
use crate::model::entry::Entry;
use crate::output::json;
use crate::write::outfile::OutFile;
use crate::write::staging::Staging;
use crate::{Error, Result};

/// Where a name's latest value is in the uncompressed output.
struct Slot {
    start: u64,
    len: u64,
}

pub struct DetailsWriter {
    out: OutFile,
    /// By name id (the stream's [`Names`] hands them out in first-seen
    /// order, which is the order of the keys).
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
            slots: Vec::new(),
            reordered: false,
            name: name.to_owned(),
            gzip,
            scratch: Vec::new(),
        })
    }

    /// Writes `e`, whose name has id `id` in the stream's names (escaped
    /// for JSON: `name_json`); `new` when the name was seen for the first
    /// time.
    pub fn entry(&mut self, e: &Entry, name_json: &str, id: u32, new: bool) -> Result<()> {
        let buf = &mut self.scratch;
        buf.clear();
        if !new {
            self.reordered = true;
        }
        // While the file is still in final form, each new name is written
        // as a key; after a repeat only values are appended.
        let inline_key = new && !self.reordered;
        if inline_key {
            if !self.slots.is_empty() {
                buf.extend_from_slice(b", ");
            }
            buf.push(b'"');
            buf.extend_from_slice(name_json.as_bytes());
            buf.extend_from_slice(b"\": ");
        }
        let value_at = buf.len();
        let start = self.out.position() + value_at as u64;
        if !e.spooled.is_empty() {
            self.out.write_all_ctx(&buf[..value_at])?;
            write_spooled(&mut self.out, e, buf)?;
        } else {
            let value: &[u8] = if e.details_json.is_empty() {
                json::write_pairs(buf, &e.details);
                &buf[value_at..]
            } else {
                &e.details_json
            };
            self.out.write_all_ctx(&buf[..value_at])?;
            self.out.write_all_ctx(value)?;
        }
        let len = self.out.position() - start;
        if new {
            debug_assert_eq!(id as usize, self.slots.len(), "ids are dense");
            self.slots.push(Slot { start, len });
        } else {
            self.slots[id as usize] = Slot { start, len };
        }
        Ok(())
    }

    pub fn finish(mut self, stage: &mut Staging, names: &Names) -> Result<()> {
        if !self.reordered {
            self.out.write_all_ctx(b"}")?;
            return stage.finish(self.out);
        }
        let first = stage.finish_scratch(self.out)?;
        let result = rebuild(stage, &first, &self.name, self.gzip, &self.slots, names);
        stage.discard(&first);
        result
    }
}

/// Writes `e`'s details object when some values are in the spool: those
/// are read back and escaped piece by piece.
fn write_spooled(out: &mut OutFile, e: &Entry, buf: &mut Vec<u8>) -> Result<()> {
    let mut spooled = e.spooled.iter().peekable();
    buf.clear();
    buf.push(b'{');
    for (i, (k, v)) in e.details.iter().enumerate() {
        if i > 0 {
            buf.extend_from_slice(b", ");
        }
        json::write_str(buf, k);
        buf.extend_from_slice(b": ");
        match spooled.next_if(|(j, _)| *j == i) {
            None => json::write_str(buf, v),
            Some((_, s)) => {
                buf.push(b'"');
                s.copy_text(&mut |piece| {
                    json::write_str_body(buf, piece);
                    out.write_all_ctx(buf)?;
                    buf.clear();
                    Ok(())
                })?;
                buf.push(b'"');
            }
        }
    }
    buf.push(b'}');
    out.write_all_ctx(buf)?;
    buf.clear();
    Ok(())
}

/// Writes the final file from the values stored in `first`, in first-seen
/// order with each name's last value.
fn rebuild(
    stage: &mut Staging,
    first: &Path,
    name: &str,
    gzip: bool,
    slots: &[Slot],
    names: &Names,
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
            json::write_str(&mut key, names.get(i as u32));
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
