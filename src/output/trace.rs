//! `--trace FILE`: the run as Trace Event Format JSON, for the Perfetto UI
//! and chrome://tracing.
//!
//! Each stream is a process (`pid` = its position + 1) named by a
//! `process_name` metadata event; each worker is a thread (`tid` =
//! worker + 1, 0 for tests without a `worker-N` tag) named by
//! `thread_name`. Tests are complete events (`ph: "X"`) with `ts`/`dur` in
//! microseconds since the epoch, so the dstat columns, written as counter
//! events (`ph: "C"`) of one more process, share the clock. Events are
//! written as they come: memory does not grow with the run.

use std::io::Write;

use rustc_hash::FxHashSet as HashSet;
use serde::Serialize;
use serde_json::json;

use super::side;
use super::side::{Forward, SideStream};
use super::{ExportMeta, Format, StreamMeta, StreamWriter};
use crate::model::entry::Entry;
use crate::model::stats::Stats;
use crate::write::outfile::OutFile;
use crate::write::staging::Staging;

/// dstat series → (counter name, [(series key, label)]).
const COUNTERS: [(&str, &[(&str, &str)]); 4] = [
    (
        "CPU %",
        &[
            ("usr", "usr"),
            ("sys", "sys"),
            ("wai", "wai"),
            ("idl", "idl"),
        ],
    ),
    ("memory used (bytes)", &[("used", "used")]),
    ("disk (bytes/s)", &[("read", "read"), ("writ", "write")]),
    ("network (bytes/s)", &[("recv", "recv"), ("send", "send")]),
];

/// Streams trace events to `out`.
pub struct Trace<W: Write> {
    out: W,
    first: bool,
    pid: u64,
    threads: HashSet<u64>,
    /// Tests that had no start time and so no place on the time axis.
    untimed: u64,
    /// One event, written.
    buf: Vec<u8>,
    workers: side::Workers,
}

impl<W: Write> Trace<W> {
    pub fn new(mut out: W) -> std::io::Result<Trace<W>> {
        out.write_all(b"{\"displayTimeUnit\":\"ms\",\"traceEvents\":[")?;
        Ok(Trace {
            out,
            first: true,
            pid: 0,
            threads: HashSet::default(),
            untimed: 0,
            buf: Vec::new(),
            workers: side::Workers::default(),
        })
    }

    fn event<T: Serialize>(&mut self, ev: &T) -> std::io::Result<()> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, ev)?;
        Ok(())
    }

    fn name_process(&mut self, pid: u64, name: &str) -> std::io::Result<()> {
        self.event(&json!({"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": name}}))?;
        self.event(&json!({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0, "args": {"sort_index": pid}}))
    }

    pub fn begin_stream(&mut self, name: &str) -> std::io::Result<()> {
        self.pid += 1;
        self.threads.clear();
        self.name_process(self.pid, name)
    }

    pub fn entry(&mut self, e: &Entry) -> std::io::Result<()> {
        let Some(start) = e.start else {
            self.untimed += 1;
            return Ok(());
        };
        let worker = self.workers.of(e);
        let tid = worker.map_or(0, |w| u64::from(w) + 1);
        if self.threads.insert(tid) {
            let name = worker.map_or("no worker tag".to_owned(), |w| format!("worker-{w}"));
            let pid = self.pid;
            self.event(&json!({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": name}}))?;
            self.event(&json!({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid, "args": {"sort_index": tid}}))?;
        }
        let end = e.end.unwrap_or(start);
        // Written by hand (one per test, most of the file): serde escapes
        // strings a byte at a time. Same fields, order and omissions as
        // serde gives the other events.
        let b = &mut self.buf;
        b.clear();
        if !self.first {
            b.extend_from_slice(b",\n");
        }
        self.first = false;
        let status = e.status.as_str();
        // Mostly the name starts the id: a plain id makes it plain too.
        let name = side::report_name(e);
        let plain = e.id.starts_with(name) && side::json_plain(e.id.as_bytes());
        let push = |b: &mut Vec<u8>, s: &str| {
            if plain {
                side::push_json_plain(b, s);
            } else {
                side::push_json_str(b, s);
            }
        };
        b.extend_from_slice(b"{\"name\":");
        push(b, name);
        b.extend_from_slice(b",\"cat\":\"");
        b.extend_from_slice(status.as_bytes());
        b.extend_from_slice(b"\",\"ph\":\"X\",\"pid\":");
        side::push_int(b, self.pid as i64);
        b.extend_from_slice(b",\"tid\":");
        side::push_int(b, tid as i64);
        b.extend_from_slice(b",\"ts\":");
        side::push_int(b, start);
        b.extend_from_slice(b",\"dur\":");
        side::push_int(b, (end - start).max(0));
        b.extend_from_slice(b",\"args\":{\"status\":\"");
        b.extend_from_slice(status.as_bytes());
        b.extend_from_slice(b"\",\"duration\":");
        serde_json::to_writer(&mut *b, &e.duration)?;
        if !e.tags.is_empty() {
            b.extend_from_slice(b",\"tags\":[");
            for (i, t) in e.tags.iter().enumerate() {
                if i > 0 {
                    b.push(b',');
                }
                side::push_json_str(b, t);
            }
            b.push(b']');
        }
        if e.id != name {
            b.extend_from_slice(b",\"id\":");
            push(b, &e.id);
        }
        b.extend_from_slice(b"}}");
        self.out.write_all(b)
    }

    /// Tests left out for want of a start time.
    pub fn untimed(&self) -> u64 {
        self.untimed
    }

    /// Writes the dstat columns as counter tracks: `t` in µs since the
    /// epoch, `series` as (key, value per point) with the keys
    /// `usr sys idl wai used read writ recv send`.
    pub fn dstat(&mut self, t: &[i64], series: &[(&str, Vec<Option<f64>>)]) -> std::io::Result<()> {
        let pid = self.pid + 1;
        self.name_process(pid, "machine (dstat)")?;
        for (counter, keys) in COUNTERS {
            let cols: Vec<(&str, &Vec<Option<f64>>)> = keys
                .iter()
                .filter_map(|(key, label)| {
                    series
                        .iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| (*label, v))
                })
                .collect();
            if cols.is_empty() {
                continue;
            }
            for (i, ts) in t.iter().enumerate() {
                let mut args = serde_json::Map::new();
                for (label, values) in &cols {
                    if let Some(Some(v)) = values.get(i) {
                        args.insert((*label).into(), json!(v));
                    }
                }
                if !args.is_empty() {
                    self.event(&json!({"ph": "C", "name": counter, "pid": pid, "tid": 0, "ts": ts, "args": args}))?;
                }
            }
        }
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(b"]}")?;
        Ok(self.out)
    }
}

/// `--trace FILE` behind the output trait.
pub struct TraceFile {
    path: std::path::PathBuf,
    /// Written straight into the file's own buffer: tests (nearly all
    /// events) are written whole, and the few serde writes a token at a
    /// time cost little there.
    trace: Option<Trace<OutFile>>,
    warnings: Vec<String>,
}

impl TraceFile {
    pub fn new(path: std::path::PathBuf) -> TraceFile {
        TraceFile {
            path,
            trace: None,
            warnings: Vec::new(),
        }
    }

    fn trace(&mut self, stage: &mut Staging) -> crate::Result<&mut Trace<OutFile>> {
        if self.trace.is_none() {
            let out = stage.create_at(&self.path)?;
            self.trace = Some(Trace::new(out).map_err(|e| crate::Error::io(&self.path, e))?);
        }
        Ok(self.trace.as_mut().expect("opened above"))
    }
}

impl Format for TraceFile {
    fn begin_stream<'a>(
        &'a mut self,
        stage: &mut Staging,
        meta: &StreamMeta,
    ) -> crate::Result<Box<dyn StreamWriter + 'a>> {
        let path = self.path.clone();
        self.trace(stage)?
            .begin_stream(&meta.description)
            .map_err(|e| crate::Error::io(&path, e))?;
        Ok(Box::new(Forward(self)))
    }

    fn finish(&mut self, stage: &mut Staging, meta: &ExportMeta) -> crate::Result<()> {
        let path = self.path.clone();
        let untimed = self.trace(stage)?.untimed();
        let io = |e| crate::Error::io(&path, e);
        if untimed > 0 {
            self.warnings.push(format!(
                "{}: {untimed} tests without a start time are not on the timeline",
                path.display()
            ));
        }
        let t = self.trace.as_mut().expect("opened above");
        match &meta.dstat_charts {
            Some(Ok(d)) => t.dstat(&d.t, &d.series).map_err(io)?,
            Some(Err(why)) => self.warnings.push(format!(
                "{}: no dstat counters in the trace: {why}",
                path.display()
            )),
            None => {}
        }
        let out = self
            .trace
            .take()
            .expect("opened above")
            .finish()
            .map_err(io)?;
        stage.finish(out)
    }

    fn warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

impl SideStream for TraceFile {
    fn side_entry(&mut self, e: &Entry) -> crate::Result<()> {
        match &mut self.trace {
            Some(t) => t.entry(e).map_err(|err| crate::Error::io(&self.path, err)),
            None => Ok(()),
        }
    }

    fn side_end(&mut self, _stage: &mut Staging, _stats: &Stats) -> crate::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::summary::tests::entry;

    #[test]
    fn events_carry_the_required_fields_and_names() {
        let mut t = Trace::new(Vec::new()).unwrap();
        t.begin_stream("Subunit File: x").unwrap();
        let mut a = entry("a.T.test_one", "success", 2.0, None);
        a.tags = ["worker-1".to_owned(), "smoke".to_owned()].into();
        t.entry(&a).unwrap();
        let mut b = entry("a.T.test_two", "fail", 0.5, None);
        b.tags = Default::default();
        t.entry(&b).unwrap();
        let mut c = entry("a.T.untimed", "success", 0.0, None);
        c.start = None;
        t.entry(&c).unwrap();
        t.dstat(
            &[1_000_000, 2_000_000],
            &[
                ("usr", vec![Some(5.0), None]),
                ("recv", vec![Some(1.0), Some(2.0)]),
            ],
        )
        .unwrap();
        assert_eq!(t.untimed(), 1);
        let out = t.finish().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let evs = v["traceEvents"].as_array().unwrap();
        for ev in evs {
            assert!(
                ev["ph"].is_string()
                    && ev["pid"].is_u64()
                    && ev["tid"].is_u64()
                    && ev["name"].is_string(),
                "{ev}"
            );
            if ev["ph"] != "M" {
                assert!(ev["ts"].is_i64(), "{ev}");
            }
        }
        let find = |ph: &str, name: &str| {
            evs.iter()
                .filter(|e| e["ph"] == ph && e["name"] == name)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            find("M", "process_name")[0]["args"]["name"],
            "Subunit File: x"
        );
        assert_eq!(
            find("M", "process_name")[1]["args"]["name"],
            "machine (dstat)"
        );
        let threads: Vec<_> = find("M", "thread_name")
            .iter()
            .map(|e| (e["tid"].as_u64().unwrap(), e["args"]["name"].clone()))
            .collect();
        assert_eq!(
            threads,
            [(2, json!("worker-1")), (0, json!("no worker tag"))]
        );
        let one = &find("X", "a.T.test_one")[0];
        assert_eq!(
            (one["ts"].as_i64(), one["dur"].as_i64(), one["tid"].as_u64()),
            (Some(1_000_000), Some(2_000_000), Some(2))
        );
        assert_eq!(one["args"]["status"], "success");
        assert_eq!(one["args"]["tags"], json!(["worker-1", "smoke"]));
        assert!(find("X", "a.T.untimed").is_empty());
        let cpu = find("C", "CPU %");
        assert_eq!(cpu.len(), 1, "the point without a value is left out");
        assert_eq!(cpu[0]["args"], json!({"usr": 5.0}));
        assert_eq!(find("C", "network (bytes/s)").len(), 2);
        assert_eq!(find("C", "network (bytes/s)")[1]["pid"], 2);
    }
}
