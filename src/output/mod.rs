//! Output formats. Each format is a `Format` fed the same entries from the
//! same single pass; the shared pieces (raw list, details map, stats) live
//! beside them.

pub mod artifacts;
pub mod details;
pub mod html;
pub mod json;
pub mod raw;
pub mod tempest;
pub mod tree;

use serde::{Serialize, Serializer};

use crate::model::entry::Entry;
use crate::model::stats::Stats;
use crate::write::staging::Staging;
use crate::Result;

/// Which provider a stream came from, and the names its files get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamMeta {
    /// Position among all exported streams, from 0.
    pub index: usize,
    /// Tempest-format provider name: `file_x`, `repo_x`, `stdin` (+ `-2`…).
    pub provider: String,
    /// Artifacts-format name: the bare basename or `stdin` (+ `-2`…).
    pub artifact_name: String,
    /// The run index within the provider (0 unless `--all-runs`).
    pub run_index: usize,
    /// `Subunit File: x`, `Repository: x (RUNID)`, `Subunit Stream (stdin)`.
    pub description: String,
}

/// Run-wide facts the formats need when writing their index file.
#[derive(Debug, Clone, Default)]
pub struct ExportMeta {
    /// The dstat file's name in DEST, when one was copied.
    pub dstat_file: Option<String>,
    /// Basename of the `--dstat` path as given.
    pub dstat_source_name: Option<String>,
    /// The `--dstat` path itself, for formats that chart it.
    pub dstat_path: Option<std::path::PathBuf>,
    /// CI metadata from `-e`, as (dataset key, value).
    pub env: Vec<(&'static str, String)>,
}

/// One output layout.
pub trait Format {
    /// The dstat copy's file name in this layout.
    fn dstat_name(&self) -> &'static str;
    fn begin_stream(&mut self, stage: &mut Staging, meta: &StreamMeta) -> Result<()>;
    fn entry(&mut self, entry: &Entry) -> Result<()>;
    fn end_stream(&mut self, stage: &mut Staging, stats: &Stats) -> Result<()>;
    /// Writes the index (`config.json`); called once, after every stream.
    fn finish(&mut self, stage: &mut Staging, meta: &ExportMeta) -> Result<()>;
    /// Problems worth telling the user that did not stop the export; the
    /// export reports them after `finish`.
    fn warnings(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// A timestamp in microseconds, serialised like Python's `isoformat()` of
/// an aware UTC datetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iso(pub i64);

impl Iso {
    /// Formats into a stack buffer; chrono's strftime is slow on the hot path.
    fn render(self, buf: &mut [u8; 40]) -> &str {
        use chrono::{Datelike, Timelike};
        let secs = self.0.div_euclid(1_000_000);
        let micros = self.0.rem_euclid(1_000_000) as u32;
        let Some(dt) = chrono::DateTime::from_timestamp(secs, 0) else {
            return "";
        };
        let year = dt.year();
        if !(0..=9999).contains(&year) {
            return "";
        }
        fn put(buf: &mut [u8], at: usize, value: u32, width: usize) {
            let mut v = value;
            for i in (0..width).rev() {
                buf[at + i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        }
        buf[..19].copy_from_slice(b"0000-00-00T00:00:00");
        put(buf, 0, year as u32, 4);
        put(buf, 5, dt.month(), 2);
        put(buf, 8, dt.day(), 2);
        put(buf, 11, dt.hour(), 2);
        put(buf, 14, dt.minute(), 2);
        put(buf, 17, dt.second(), 2);
        let mut n = 19;
        if micros != 0 {
            buf[n] = b'.';
            put(buf, n + 1, micros, 6);
            n += 7;
        }
        buf[n..n + 6].copy_from_slice(b"+00:00");
        n += 6;
        std::str::from_utf8(&buf[..n]).expect("ASCII")
    }
}

impl std::fmt::Display for Iso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buf = [0u8; 40];
        match self.render(&mut buf) {
            "" => {
                // Outside what Python's datetime can hold; still say something.
                let secs = self.0.div_euclid(1_000_000);
                write!(f, "{secs}")
            }
            s => f.write_str(s),
        }
    }
}

impl Serialize for Iso {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut buf = [0u8; 40];
        match self.render(&mut buf) {
            "" => s.collect_str(self),
            text => s.serialize_str(text),
        }
    }
}

/// Writes `value` as JSON, mapping errors to the file's path.
pub fn write_json<T: Serialize + ?Sized>(
    out: &mut crate::write::staging::OutFile,
    value: &T,
) -> Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(|e| out.io_err(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isoformat_like_python() {
        assert_eq!(
            Iso(1_444_074_544_812_133).to_string(),
            "2015-10-05T19:49:04.812133+00:00"
        );
        assert_eq!(
            Iso(1_444_074_544_000_000).to_string(),
            "2015-10-05T19:49:04+00:00"
        );
        assert_eq!(
            Iso(1_444_074_544_000_001).to_string(),
            "2015-10-05T19:49:04.000001+00:00"
        );
        assert_eq!(Iso(0).to_string(), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            Iso(4_294_967_295_000_000).to_string(),
            "2106-02-07T06:28:15+00:00"
        );
    }
}
