//! Test records: what testtools' `StreamToDict` builds from events, with the
//! port's fixes (first/last non-null timestamps, unfinished records kept).

use std::collections::{BTreeMap, HashMap};

use crate::details::{self, Attachment};
use crate::event::{Event, EventSink, Status, Warning};

/// A finished (or, at end of stream, abandoned) test record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: String,
    pub route: Option<String>,
    /// `None` when no packet carried a status (only attachments).
    pub status: Option<Status>,
    /// Sorted and free of duplicates.
    pub tags: Vec<String>,
    /// Microseconds since the epoch.
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub attachments: Vec<Attachment>,
}

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
            details: details::clean_owned_details(rec.attachments),
            id: rec.id,
        }
    }

    pub fn detail(&self, key: &str) -> Option<&str> {
        self.details
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Receives records in emission order.
pub trait RecordSink {
    fn record(&mut self, record: Record) -> crate::Result<()>;
}

impl<F: FnMut(Record) -> crate::Result<()>> RecordSink for F {
    fn record(&mut self, record: Record) -> crate::Result<()> {
        self(record)
    }
}

/// Assembles events into records keyed by (test id, route code).
///
/// Unfinished records live in a map ordered by creation, so the ones left at
/// the end come out in creation order.
pub struct Assembler<S> {
    sink: S,
    keys: HashMap<String, u64>,
    open: BTreeMap<u64, Record>,
    next_seq: u64,
    scratch: String,
    warnings: Vec<Warning>,
    /// Attachment name → position, for open records with many attachments
    /// (a linear search each packet would be quadratic).
    attachment_index: HashMap<u64, HashMap<String, usize>>,
}

/// Records with more attachments than this get an index.
const SCAN_ATTACHMENTS: usize = 8;

impl<S: RecordSink> Assembler<S> {
    pub fn new(sink: S) -> Self {
        Assembler {
            sink,
            keys: HashMap::new(),
            open: BTreeMap::new(),
            next_seq: 0,
            scratch: String::new(),
            warnings: Vec::new(),
            attachment_index: HashMap::new(),
        }
    }

    /// Emits the records that never finished, in creation order, and
    /// returns the sink and the warnings the readers reported.
    pub fn finish(mut self) -> crate::Result<(S, Vec<Warning>)> {
        self.keys.clear();
        self.attachment_index.clear();
        for (_, record) in std::mem::take(&mut self.open) {
            self.sink.record(record)?;
        }
        Ok((self.sink, self.warnings))
    }

    /// The lookup key without allocating: id, NUL (which subunit strings
    /// cannot contain), then a marker telling "no route" from "".
    fn key_of(scratch: &mut String, id: &str, route: Option<&str>) {
        scratch.clear();
        scratch.push_str(id);
        scratch.push('\0');
        match route {
            None => scratch.push('-'),
            Some(r) => {
                scratch.push('+');
                scratch.push_str(r);
            }
        }
    }
}

impl<S: RecordSink> EventSink for Assembler<S> {
    fn event(&mut self, ev: Event<'_>) -> crate::Result<()> {
        let Some(id) = ev.test_id.as_deref() else {
            return Ok(());
        };
        let route = ev.route.as_deref();
        Self::key_of(&mut self.scratch, id, route);
        let seq = match self.keys.get(self.scratch.as_str()) {
            Some(&seq) => seq,
            None => {
                let seq = self.next_seq;
                self.next_seq += 1;
                self.keys.insert(self.scratch.clone(), seq);
                self.open.insert(
                    seq,
                    Record {
                        id: id.to_owned(),
                        route: route.map(str::to_owned),
                        status: None,
                        tags: Vec::new(),
                        start: None,
                        end: None,
                        attachments: Vec::new(),
                    },
                );
                seq
            }
        };
        let rec = self.open.get_mut(&seq).expect("open record");
        if let Some(status) = ev.status {
            rec.status = Some(status);
        }
        if let Some(ts) = ev.timestamp {
            let us = ts.micros();
            rec.start.get_or_insert(us);
            rec.end = Some(us);
        }
        if let Some(tags) = &ev.tags {
            rec.tags.clear();
            rec.tags.extend(tags.iter().map(|t| t.to_string()));
            rec.tags.sort_unstable();
            rec.tags.dedup();
        }
        if let Some(file) = &ev.file {
            if !file.bytes.is_empty() {
                let name = file.name.as_ref();
                let found = if rec.attachments.len() <= SCAN_ATTACHMENTS {
                    rec.attachments.iter().position(|a| a.name == name)
                } else {
                    let index = self.attachment_index.entry(seq).or_insert_with(|| {
                        let names = rec.attachments.iter().map(|a| a.name.clone());
                        names.zip(0..).collect()
                    });
                    let found = index.get(name).copied();
                    if found.is_none() {
                        index.insert(name.to_owned(), rec.attachments.len());
                    }
                    found
                };
                match found {
                    Some(i) => rec.attachments[i].bytes.extend_from_slice(&file.bytes),
                    None => {
                        // Most tests have one attachment; a first push would
                        // reserve room for four.
                        if rec.attachments.is_empty() {
                            rec.attachments.reserve_exact(1);
                        }
                        rec.attachments.push(Attachment {
                            name: name.to_owned(),
                            mime: ev.mime.as_deref().map(str::to_owned),
                            bytes: file.bytes.to_vec(),
                        });
                    }
                }
            }
        }
        if ev.status.is_some_and(Status::is_final) {
            let record = self.open.remove(&seq).expect("open record");
            self.keys.remove(self.scratch.as_str());
            self.attachment_index.remove(&seq);
            self.sink.record(record)?;
        }
        Ok(())
    }

    fn warning(&mut self, warning: Warning) {
        self.warnings.push(warning);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_cleaning_strips_tag_brackets_greedily() {
        assert_eq!(
            clean_name("t.test_list_servers[id-5de4,smoke]"),
            "t.test_list_servers"
        );
        assert_eq!(clean_name("p.q.test_x[a][b]"), "p.q.test_x[a]");
        assert_eq!(clean_name("p.q.T.test_w[]"), "p.q.T.test_w[]");
        assert_eq!(clean_name("[x]"), "[x]");
        assert_eq!(clean_name("a[]]"), "a");
        assert_eq!(clean_name("a[b]\n"), "a");
        assert_eq!(clean_name("a\n[b]"), "a\n[b]");
    }

    #[test]
    fn name_cleaning_moves_scenarios_in_front() {
        assert_eq!(
            clean_name("setUpClass (tempestlike.api.compute.test_servers.BrokenSetupClassTest)"),
            "tempestlike.api.compute.test_servers.BrokenSetupClassTest.setUpClass"
        );
        assert_eq!(
            clean_name("p.q.T.test_s (scen.one)"),
            "scen.one.p.q.T.test_s"
        );
        assert_eq!(
            clean_name("p.q.T.test_t[id-1] (scen)"),
            "scen.p.q.T.test_t[id-1]"
        );
        assert_eq!(clean_name("p.q.test_u (a) (b)"), "b.p.q.test_u (a)");
        assert_eq!(clean_name("test_ping(ipv6)"), "test_ping(ipv6)");
        assert_eq!(clean_name(" (x)"), " (x)");
        assert_eq!(clean_name("a ()"), "a ()");
    }
}
