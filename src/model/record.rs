//! Test records: what testtools' `StreamToDict` builds from events, with the
//! port's fixes (first/last non-null timestamps, unfinished records kept).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use crate::decode::event::{Event, EventSink, Status, Warning};
use crate::model::attachment::spool::{Spill, SpoolWriter, Spooled, SPILL_AT};
use crate::model::attachment::Attachment;
use crate::model::tags::{TagSets, Tags};

/// A finished (or, at end of stream, abandoned) test record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The test id.
    pub id: String,
    /// The route code, if any.
    pub route: Option<String>,
    /// `None` when no packet carried a status (only attachments).
    pub status: Option<Status>,
    /// Sorted and free of duplicates; shared with other records.
    pub tags: Tags,
    /// Microseconds since the epoch.
    pub start: Option<i64>,
    /// Microseconds since the epoch of the last timestamp.
    pub end: Option<i64>,
    /// Non-empty attachments, in first-chunk order.
    pub attachments: Vec<Attachment>,
    /// Attachments that outgrew memory, by index: their text is in a spool
    /// file and their `bytes` hold only its end (UTF-8).
    pub spooled: Vec<(usize, Spooled)>,
}

/// Receives records in emission order.
pub trait RecordSink {
    /// One record; an error stops the export.
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
    open: BTreeMap<u64, Open>,
    next_seq: u64,
    scratch: String,
    warnings: Vec<Warning>,
    dropped_warnings: u64,
    spool: SpoolWriter,
    tag_sets: TagSets,
}

/// A record being assembled; attachments get a name index once there are
/// many of them, so adversarial streams stay linear.
struct Open {
    record: Record,
    by_name: HashMap<String, usize>,
    /// Attachments being spilled, by index.
    spills: Vec<(usize, Spill)>,
}

impl Open {
    /// Ends the spills and hands the record over.
    fn close(mut self, spool: &mut SpoolWriter) -> crate::Result<Record> {
        self.spills.sort_unstable_by_key(|(i, _)| *i);
        for (i, spill) in self.spills {
            let (spooled, tail) = spill.finish(spool)?;
            self.record.attachments[i].bytes = tail.into_bytes();
            self.record.spooled.push((i, spooled));
        }
        Ok(self.record)
    }
}

const INDEX_AFTER: usize = 16;

/// Warnings an assembler keeps (and the export shows); further ones are
/// only counted.
pub const KEPT_WARNINGS: usize = 20;

/// The warnings readers reported for one stream: the first
/// `KEPT_WARNINGS` (20), and how many more there were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Warnings {
    /// The first warnings, in stream order.
    pub kept: Vec<Warning>,
    /// How many came after those.
    pub dropped: u64,
}

impl<S: RecordSink> Assembler<S> {
    /// An assembler handing records to `sink`.
    pub fn new(sink: S) -> Self {
        Assembler {
            sink,
            keys: HashMap::default(),
            open: BTreeMap::new(),
            next_seq: 0,
            scratch: String::new(),
            warnings: Vec::new(),
            dropped_warnings: 0,
            spool: SpoolWriter::new(std::env::temp_dir()),
            tag_sets: TagSets::default(),
        }
    }

    /// Where large attachments are spooled (the system's temporary
    /// directory unless set); the file is unlinked as soon as it is made.
    pub fn set_spool_dir(&mut self, dir: std::path::PathBuf) {
        self.spool = SpoolWriter::new(dir);
    }

    /// Emits the records that never finished, in creation order, and
    /// returns the sink and the warnings the readers reported.
    pub fn finish(mut self) -> crate::Result<(S, Warnings)> {
        self.keys.clear();
        for (_, open) in std::mem::take(&mut self.open) {
            let record = open.close(&mut self.spool)?;
            self.sink.record(record)?;
        }
        let warnings = Warnings {
            kept: self.warnings,
            dropped: self.dropped_warnings,
        };
        Ok((self.sink, warnings))
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
                    Open {
                        record: Record {
                            id: id.to_owned(),
                            route: route.map(str::to_owned),
                            status: None,
                            tags: self.tag_sets.get::<&str>(&[]),
                            start: None,
                            end: None,
                            attachments: Vec::new(),
                            spooled: Vec::new(),
                        },
                        by_name: HashMap::default(),
                        spills: Vec::new(),
                    },
                );
                seq
            }
        };
        let open = self.open.get_mut(&seq).expect("open record");
        let rec = &mut open.record;
        if let Some(status) = ev.status {
            rec.status = Some(status);
        }
        if let Some(ts) = ev.timestamp {
            let us = ts.micros();
            rec.start.get_or_insert(us);
            rec.end = Some(us);
        }
        if let Some(tags) = &ev.tags {
            rec.tags = self.tag_sets.get(tags);
        }
        if let Some(file) = &ev.file {
            if !file.bytes.is_empty() {
                let found = if rec.attachments.len() <= INDEX_AFTER {
                    rec.attachments
                        .iter()
                        .position(|a| a.name == file.name.as_ref())
                } else {
                    if open.by_name.is_empty() {
                        for (i, a) in rec.attachments.iter().enumerate() {
                            open.by_name.insert(a.name.clone(), i);
                        }
                    }
                    open.by_name.get(file.name.as_ref()).copied()
                };
                match found {
                    Some(i) => {
                        if let Some((_, spill)) = open.spills.iter_mut().find(|(j, _)| *j == i) {
                            spill.feed(&file.bytes, &mut self.spool)?;
                        } else {
                            let a = &mut rec.attachments[i];
                            if a.bytes.len() + file.bytes.len() > SPILL_AT {
                                // Too large to hold: decode, escape and spool
                                // it from here on.
                                let mut spill = Spill::new(a.mime.as_deref());
                                spill.feed(&std::mem::take(&mut a.bytes), &mut self.spool)?;
                                spill.feed(&file.bytes, &mut self.spool)?;
                                open.spills.push((i, spill));
                            } else {
                                a.bytes.extend_from_slice(&file.bytes);
                            }
                        }
                    }
                    None => {
                        if !open.by_name.is_empty() {
                            open.by_name
                                .insert(file.name.to_string(), rec.attachments.len());
                        }
                        rec.attachments.push(Attachment {
                            name: file.name.to_string(),
                            mime: ev.mime.as_deref().map(str::to_owned),
                            bytes: file.bytes.to_vec(),
                        });
                    }
                }
            }
        }
        if ev.status.is_some_and(Status::is_final) {
            let open = self.open.remove(&seq).expect("open record");
            self.keys.remove(self.scratch.as_str());
            let record = open.close(&mut self.spool)?;
            self.sink.record(record)?;
        }
        Ok(())
    }

    fn warning(&mut self, warning: Warning) {
        // Bounded: a damaged stream can produce one per packet.
        if self.warnings.len() < KEPT_WARNINGS {
            self.warnings.push(warning);
        } else {
            self.dropped_warnings += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::event::{FileChunk, Timestamp};
    use crate::model::entry::{clean_name, Entry, TestStatus};
    use std::borrow::Cow;

    fn ev(id: &str) -> Event<'static> {
        Event {
            test_id: Some(Cow::Owned(id.into())),
            ..Event::default()
        }
    }

    fn at(mut e: Event<'static>, secs: i64) -> Event<'static> {
        e.timestamp = Some(Timestamp { secs, nanos: 0 });
        e
    }

    fn status(mut e: Event<'static>, s: Status) -> Event<'static> {
        e.status = Some(s);
        e
    }

    fn run(events: Vec<Event<'static>>) -> Vec<Record> {
        let mut out = Vec::new();
        let mut asm = Assembler::new(|r: Record| {
            out.push(r);
            Ok(())
        });
        for e in events {
            asm.event(e).unwrap();
        }
        drop(asm.finish().unwrap());
        out
    }

    #[test]
    fn records_come_out_in_completion_order_then_unfinished_in_creation_order() {
        let recs = run(vec![
            at(status(ev("a"), Status::InProgress), 1),
            at(status(ev("b"), Status::InProgress), 2),
            at(status(ev("c"), Status::InProgress), 3),
            at(status(ev("b"), Status::Success), 4),
            at(ev("d"), 5),
        ]);
        let ids: Vec<_> = recs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["b", "a", "c", "d"]);
        assert_eq!(recs[1].status, Some(Status::InProgress));
        assert_eq!(recs[3].status, None);
        assert_eq!(
            Entry::from_record(recs[3].clone()).status,
            TestStatus::Unknown
        );
    }

    #[test]
    fn exists_completes_and_a_later_packet_starts_a_new_record() {
        let recs = run(vec![
            at(status(ev("a"), Status::Exists), 1),
            at(status(ev("a"), Status::InProgress), 2),
            at(status(ev("a"), Status::Fail), 4),
        ]);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].status, Some(Status::Exists));
        assert_eq!(
            (recs[1].start, recs[1].end),
            (Some(2_000_000), Some(4_000_000))
        );
    }

    #[test]
    fn routes_separate_records_and_timestamps_skip_nulls() {
        let mut r1 = status(ev("a"), Status::Fail);
        r1.route = Some(Cow::Borrowed("1"));
        let recs = run(vec![
            at(status(ev("a"), Status::InProgress), 1),
            ev("a"),
            r1,
            status(ev("a"), Status::Success),
        ]);
        assert_eq!(recs[0].route.as_deref(), Some("1"));
        assert_eq!((recs[0].start, recs[0].end), (None, None));
        assert_eq!(
            (recs[1].start, recs[1].end),
            (Some(1_000_000), Some(1_000_000))
        );
        let e = Entry::from_record(recs[0].clone());
        assert_eq!(e.duration, 0.0);
    }

    #[test]
    fn chunks_find_their_attachment_among_many() {
        let chunk = |name: String, bytes: &'static [u8]| {
            let mut e = ev("a");
            e.file = Some(FileChunk {
                name: Cow::Owned(name),
                bytes: Cow::Borrowed(bytes),
                eof: false,
            });
            e
        };
        let mut events: Vec<_> = (0..40).map(|i| chunk(format!("f{i}"), b"x")).collect();
        events.extend((0..40).map(|i| chunk(format!("f{i}"), b"y")));
        events.push(status(ev("a"), Status::Success));
        let recs = run(events);
        assert_eq!(recs[0].attachments.len(), 40);
        assert!(recs[0].attachments.iter().all(|a| a.bytes == b"xy"));
        assert_eq!(recs[0].attachments[39].name, "f39");
    }

    #[test]
    fn tags_are_replaced_and_attachments_concatenated() {
        let mut t1 = ev("a");
        t1.tags = Some(vec![Cow::Borrowed("z"), Cow::Borrowed("worker-0")]);
        let mut t2 = status(ev("a"), Status::Success);
        t2.tags = Some(vec![Cow::Borrowed("final")]);
        let chunk = |bytes: &'static [u8], mime: Option<&'static str>| {
            let mut e = ev("a");
            e.mime = mime.map(Cow::Borrowed);
            e.file = Some(FileChunk {
                name: Cow::Borrowed("log"),
                bytes: Cow::Borrowed(bytes),
                eof: false,
            });
            e
        };
        let recs = run(vec![
            t1,
            chunk(b"", Some("image/png")),
            chunk(b"one ", Some("text/plain")),
            chunk(b"two", Some("image/png")),
            t2,
        ]);
        assert_eq!(&recs[0].tags[..], ["final"]);
        assert_eq!(recs[0].attachments.len(), 1);
        assert_eq!(recs[0].attachments[0].mime.as_deref(), Some("text/plain"));
        assert_eq!(recs[0].attachments[0].bytes, b"one two");
    }

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
