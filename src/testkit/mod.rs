//! Helpers for tests, examples, benches and fuzz targets; compiled only with
//! the `testkit` cargo feature (the crate's own dev-dependency enables it).
//!
//! * [`Keep`]: an event sink that keeps everything it is given;
//! * [`Trickle`]: a reader that hands out a few bytes at a time, like a pipe;
//! * [`encode`]: a subunit v2 packet writer matching python-subunit's;
//! * [`oracle`]: events in the JSON shape of `scripts/v1_oracle.py`;
//! * [`export_check`]: checks that an export directory is complete.

use std::io::Read;

use crate::decode::event::{Event, EventSink, Warning};

pub mod export_check;
pub mod oracle;

pub use crate::decode::v2::encode;
pub use crate::decode::v2::read_varint;
pub use crate::output::json::write_str as write_json_str;

/// Keeps every event and warning a reader delivers.
#[derive(Default)]
pub struct Keep {
    /// Every event, detached from the reader's buffer.
    pub events: Vec<Event<'static>>,
    /// Every warning.
    pub warnings: Vec<Warning>,
}

impl EventSink for Keep {
    fn event(&mut self, ev: Event<'_>) -> crate::Result<()> {
        self.events.push(ev.into_owned());
        Ok(())
    }
    fn warning(&mut self, w: Warning) {
        self.warnings.push(w);
    }
}

/// Hands out at most `step` bytes per read, like a pipe.
pub struct Trickle<'a> {
    /// What is left to read.
    pub data: &'a [u8],
    /// Largest read.
    pub step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}
