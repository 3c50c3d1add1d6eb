//! Events in the JSON shape `scripts/v1_oracle.py` records, shared by the
//! oracle test and the `v1_events` example.

use crate::decode::event::{Event, EventSink, Warning};
use serde_json::{json, Value};

/// Collects events in the oracle's JSON shape.
#[derive(Default)]
pub struct Json(pub Vec<Value>);

/// Bytes as the oracle writes them: one code point per byte.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

impl EventSink for Json {
    fn event(&mut self, e: Event<'_>) -> crate::Result<()> {
        self.0.push(json!({
            "test_id": e.test_id,
            "status": e.status.map(|s| s.as_str()),
            "tags": e.tags,
            "timestamp": e.timestamp.map(|t| json!([t.secs, t.nanos])),
            "mime": e.mime,
            "file": e.file.map(|f| json!({
                "name": f.name,
                "bytes": latin1(&f.bytes),
                "eof": f.eof,
            })),
            "route": e.route,
            "runnable": e.runnable,
        }));
        Ok(())
    }

    fn warning(&mut self, _: Warning) {}
}
