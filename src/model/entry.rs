//! Entries: test records turned into the values every output writes.

use crate::decode::event::Status;
use crate::model::attachment;
use crate::model::record::Record;

/// A record turned into the values every output writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: String,
    pub name: String,
    pub status: &'static str,
    pub tags: Vec<String>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub duration: f64,
    /// Cleaned key → text, in first-key order with the last value.
    pub details: Vec<(String, String)>,
    /// `details` as a JSON object, once `prepare_json` ran (empty before).
    pub details_json: Vec<u8>,
}

impl Entry {
    pub fn from_record(rec: Record) -> Entry {
        let duration = match (rec.start, rec.end) {
            // Python: timedelta.total_seconds(), a correctly rounded division.
            (Some(s), Some(e)) => (e - s) as f64 / 1e6,
            _ => 0.0,
        };
        Entry {
            name: clean_name(&rec.id).into_owned(),
            status: rec.status.map_or("unknown", Status::as_str),
            tags: rec.tags,
            start: rec.start,
            end: rec.end,
            duration,
            details: attachment::clean_details(rec.attachments),
            details_json: Vec::new(),
            id: rec.id,
        }
    }

    /// Serialises the details ahead of time, so that the bulk of the JSON
    /// work can run on another thread than the writers.
    pub fn prepare_json(&mut self) {
        self.details_json.clear();
        crate::output::json::write_pairs(&mut self.details_json, &self.details);
    }

    pub fn detail(&self, key: &str) -> Option<&str> {
        self.details
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// StackViz's `_clean_name`: `name[tags]` → `name`; `meth (scenario)` →
/// `scenario.meth`; anything else unchanged.
pub fn clean_name(id: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    // Python's `.` does not match a newline, and `$` also matches before a
    // final newline.
    let body = id.strip_suffix('\n').unwrap_or(id);
    if body.contains('\n') {
        return Cow::Borrowed(id);
    }
    if let Some(inner) = body.strip_suffix(']') {
        // Greedy group 1: the last '[' that leaves both groups non-empty.
        let mut search = inner;
        while let Some(i) = search.rfind('[') {
            if i >= 1 && i + 1 < inner.len() {
                return Cow::Borrowed(&inner[..i]);
            }
            search = &search[..i];
        }
    }
    if let Some(inner) = body.strip_suffix(')') {
        let mut search = inner;
        while let Some(i) = search.rfind(" (") {
            if i >= 1 && i + 2 < inner.len() {
                return Cow::Owned(format!("{}.{}", &inner[i + 2..], &inner[..i]));
            }
            search = &search[..i];
        }
    }
    Cow::Borrowed(id)
}
