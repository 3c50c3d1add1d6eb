//! The `raw` list: every entry in completion order, details stripped.

use super::json::IsoWriter;
use crate::model::entry::Entry;
use crate::write::outfile::OutFile;
use crate::write::staging::Staging;
use crate::Result;

/// Streams a JSON array of raw entries to a file.
pub struct RawWriter {
    out: OutFile,
    first: bool,
    scratch: Vec<u8>,
    times: IsoWriter,
}

impl RawWriter {
    pub fn create(stage: &mut Staging, name: &str, gzip: bool) -> Result<RawWriter> {
        let mut out = stage.create(name, gzip)?;
        out.write_all_ctx(b"[")?;
        Ok(RawWriter {
            out,
            first: true,
            scratch: Vec::with_capacity(1024),
            times: IsoWriter::default(),
        })
    }

    /// Writes `{"name":…,"status":…,"tags":[…],"timestamps":[…],
    /// "duration":…,"details":{}}` (serde_json's compact form, with the
    /// project's escaper for the strings); `tags_json` is the entry's tags
    /// as a JSON array, from the stream's [`super::tag_json::TagJson`];
    /// `name_json` the name escaped, without quotes
    /// ([`super::names::Names::json`]).
    pub fn entry(&mut self, e: &Entry, name_json: &str, tags_json: &str) -> Result<()> {
        let buf = &mut self.scratch;
        buf.clear();
        if !self.first {
            buf.extend_from_slice(b", ");
        }
        self.first = false;
        buf.extend_from_slice(b"{\"name\":\"");
        buf.extend_from_slice(name_json.as_bytes());
        buf.push(b'"');
        buf.extend_from_slice(b",\"status\":");
        buf.push(b'"');
        buf.extend_from_slice(e.status.as_str().as_bytes());
        buf.push(b'"');
        buf.extend_from_slice(b",\"tags\":");
        buf.extend_from_slice(tags_json.as_bytes());
        buf.extend_from_slice(b",\"timestamps\":");
        self.times.write_pair(buf, e.start, e.end);
        buf.extend_from_slice(b",\"duration\":");
        serde_json::to_writer(&mut *buf, &e.duration).map_err(|e| self.out.io_err(e.into()))?;
        buf.extend_from_slice(b",\"details\":{}}");
        self.out.write_all_ctx(buf)
    }

    pub fn finish(mut self, stage: &mut Staging) -> Result<()> {
        self.out.write_all_ctx(b"]")?;
        stage.finish(self.out)
    }
}
