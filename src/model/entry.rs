//! Entries: test records turned into the values every output writes.

use crate::decode::event::Status;
use crate::model::attachment;
use crate::model::attachment::spool::Spooled;
use crate::model::record::Record;
use crate::model::tags::Tags;

/// A test's status as StackViz reports it: a packet status, or `Unknown`
/// when no packet carried one. The discriminants index [`TestStatus::NAMES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TestStatus {
    /// `success`
    Success = 0,
    /// `fail` (v1 `error` too)
    Fail = 1,
    /// `skip`
    Skip = 2,
    /// `xfail`: an expected failure
    XFail = 3,
    /// `uxsuccess`: an unexpected success
    UxSuccess = 4,
    /// `exists`: listed, not run
    Exists = 5,
    /// `inprogress`: started, never finished
    InProgress = 6,
    /// `unknown`: no packet carried a status
    Unknown = 7,
}

impl TestStatus {
    /// The words StackViz writes, in discriminant order.
    pub const NAMES: [&'static str; 8] = [
        "success",
        "fail",
        "skip",
        "xfail",
        "uxsuccess",
        "exists",
        "inprogress",
        "unknown",
    ];

    /// The word StackViz writes for this status.
    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

impl From<Status> for TestStatus {
    fn from(s: Status) -> TestStatus {
        match s {
            Status::Exists => TestStatus::Exists,
            Status::InProgress => TestStatus::InProgress,
            Status::Success => TestStatus::Success,
            Status::UxSuccess => TestStatus::UxSuccess,
            Status::Skip => TestStatus::Skip,
            Status::Fail => TestStatus::Fail,
            Status::XFail => TestStatus::XFail,
        }
    }
}

/// A record turned into the values every output writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The test id as sent.
    pub id: String,
    /// The id as StackViz shows it (`clean_name`).
    pub name: String,
    /// The final status.
    pub status: TestStatus,
    /// Sorted tags, shared with other entries.
    pub tags: Tags,
    /// Microseconds since the epoch of the first timestamp.
    pub start: Option<i64>,
    /// Microseconds since the epoch of the last timestamp.
    pub end: Option<i64>,
    /// `end - start` in seconds, 0 without both.
    pub duration: f64,
    /// Cleaned key → text, in first-key order with the last value.
    pub details: Vec<(String, String)>,
    /// `details` pre-rendered as a JSON object by the export's serialising
    /// thread (`output::json::prepare_details_json`), so the bulk of the
    /// JSON work runs beside the writers; empty until then.
    pub details_json: Vec<u8>,
    /// Values of `details` whose full text is in a spool file (by index);
    /// `details` then holds only the end of that text, and `details_json`
    /// stays empty.
    pub spooled: Vec<(usize, Spooled)>,
}

impl Entry {
    /// Turns a record into the values the outputs write.
    pub fn from_record(rec: Record) -> Entry {
        let duration = match (rec.start, rec.end) {
            // Python: timedelta.total_seconds(), a correctly rounded division.
            (Some(s), Some(e)) => (e - s) as f64 / 1e6,
            _ => 0.0,
        };
        let (details, spooled) = if rec.spooled.is_empty() {
            (attachment::clean_details(rec.attachments), Vec::new())
        } else {
            attachment::clean_details_spooled(rec.attachments, rec.spooled)
        };
        Entry {
            name: clean_name(&rec.id).into_owned(),
            status: rec.status.map_or(TestStatus::Unknown, TestStatus::from),
            tags: rec.tags,
            start: rec.start,
            end: rec.end,
            duration,
            details,
            details_json: Vec::new(),
            spooled,
            id: rec.id,
        }
    }

    /// Bytes of the text of detail `i`, in full also when it is spooled.
    pub fn detail_len(&self, i: usize) -> u64 {
        match self.spooled.iter().find(|(j, _)| *j == i) {
            Some((_, s)) => s.text_len,
            None => self.details[i].1.len() as u64,
        }
    }

    /// The cleaned attachment text under `key`.
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
    // Only a name ending in `]` or `)` can change (nearly every name is
    // checked here and no further).
    if !(body.ends_with(']') || body.ends_with(')')) || body.contains('\n') {
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

#[cfg(test)]
mod status_tests {
    use super::*;

    #[test]
    fn status_words_match_the_packet_statuses() {
        for bits in 1..8u16 {
            let s = Status::from_bits(bits).unwrap();
            assert_eq!(TestStatus::from(s).as_str(), s.as_str());
        }
        assert_eq!(TestStatus::Unknown.as_str(), "unknown");
    }
}
