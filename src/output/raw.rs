//! The `raw` list: every entry in completion order, details stripped.

use serde::Serialize;

use super::json::{write_json, Iso};
use crate::model::entry::Entry;
use crate::write::staging::{OutFile, Staging};
use crate::Result;

#[derive(Serialize)]
pub struct RawEntry<'a> {
    pub name: &'a str,
    pub status: &'a str,
    pub tags: &'a [String],
    pub timestamps: [Option<Iso>; 2],
    pub duration: f64,
    pub details: Empty,
}

/// Serialises as `{}`.
pub struct Empty;

impl Serialize for Empty {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        s.serialize_map(Some(0))?.end()
    }
}

impl<'a> RawEntry<'a> {
    pub fn of(e: &'a Entry) -> Self {
        RawEntry {
            name: &e.name,
            status: e.status.as_str(),
            tags: &e.tags,
            timestamps: [e.start.map(Iso), e.end.map(Iso)],
            duration: e.duration,
            details: Empty,
        }
    }
}

/// Streams a JSON array of raw entries to a file.
pub struct RawWriter {
    out: OutFile,
    first: bool,
}

impl RawWriter {
    pub fn create(stage: &mut Staging, name: &str, gzip: bool) -> Result<RawWriter> {
        let mut out = stage.create(name, gzip)?;
        out.write_all_ctx(b"[")?;
        Ok(RawWriter { out, first: true })
    }

    pub fn entry(&mut self, e: &Entry) -> Result<()> {
        if !self.first {
            self.out.write_all_ctx(b", ")?;
        }
        self.first = false;
        write_json(&mut self.out, &RawEntry::of(e))
    }

    pub fn finish(mut self, stage: &mut Staging) -> Result<()> {
        self.out.write_all_ctx(b"]")?;
        stage.finish(self.out)
    }
}
