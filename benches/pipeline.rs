//! Throughput of each stage: decoding, record assembly, JSON escaping and
//! the whole export, on an in-memory tempest-like stream.

use std::borrow::Cow;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use stackviz_export::testkit::encode::encode_event;
use stackviz_export::Decoder;
use stackviz_export::{export, Collect, Options};
use stackviz_export::{Assembler, Entry, Record};
use stackviz_export::{Event, EventSink, FileChunk, Status, Timestamp, Warning};

/// About 1,000 tests on 4 workers, each with a ~5 KB log: ~6 MB.
fn stream() -> Vec<u8> {
    let mut out = Vec::new();
    let log: String = (0..60)
        .map(|i| {
            format!(
                "2024-05-01 12:00:{i:02},022 5069 DEBUG rest_client Body: {{\"id\": \"{i}\"}}\n"
            )
        })
        .collect();
    for t in 0..1000u32 {
        let id =
            format!("tempest.api.compute.servers.test_x.ServersTest.test_{t}[id-{t:08x},smoke]");
        let tags = vec![Cow::Owned(format!("worker-{}", t % 4))];
        let ts = |n: u32| {
            Some(Timestamp {
                secs: 1_714_564_800 + i64::from(t),
                nanos: n * 1000,
            })
        };
        let packets = [
            Event {
                test_id: Some(Cow::Borrowed(&id)),
                status: Some(Status::InProgress),
                timestamp: ts(1),
                tags: Some(tags.clone()),
                ..Event::default()
            },
            Event {
                test_id: Some(Cow::Borrowed(&id)),
                mime: Some(Cow::Borrowed("text/plain; charset=\"utf8\"")),
                file: Some(FileChunk {
                    name: Cow::Borrowed("pythonlogging:''"),
                    bytes: Cow::Borrowed(log.as_bytes()),
                    eof: true,
                }),
                timestamp: ts(2),
                ..Event::default()
            },
            Event {
                test_id: Some(Cow::Borrowed(&id)),
                status: Some(Status::Success),
                timestamp: ts(900),
                tags: Some(tags),
                ..Event::default()
            },
        ];
        for p in &packets {
            encode_event(p, &mut out).unwrap();
        }
    }
    out
}

struct Count(u64);

impl EventSink for Count {
    fn event(&mut self, ev: Event<'_>) -> stackviz_export::Result<()> {
        self.0 += ev.file.map_or(1, |f| f.bytes.len() as u64);
        Ok(())
    }
    fn warning(&mut self, _: Warning) {}
}

fn benches(c: &mut Criterion) {
    let bytes = stream();
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(20);

    g.bench_function("decode", |b| {
        b.iter(|| {
            let mut sink = Count(0);
            Decoder::new(&bytes[..]).run(&mut sink).unwrap();
            black_box(sink.0)
        })
    });

    g.bench_function("assemble", |b| {
        b.iter(|| {
            let mut n = 0usize;
            let sink = |r: Record| {
                n += Entry::from_record(r).details.len();
                Ok(())
            };
            let mut asm = Assembler::new(sink);
            Decoder::new(&bytes[..]).run(&mut asm).unwrap();
            drop(asm.finish().unwrap());
            black_box(n)
        })
    });

    g.bench_function("json_escape", |b| {
        // Log text like tempest's: a quote every few dozen bytes.
        let line = "2024-05-01 12:00:00,894 DEBUG rest_client Body: b'{\"server\": {\"id\": \"bb778f61\", \"status\": \"ACTIVE\"}}'\n";
        let text = line.repeat(bytes.len() / line.len());
        let mut out = Vec::with_capacity(text.len() * 2);
        b.iter(|| {
            out.clear();
            stackviz_export::testkit::write_json_str(&mut out, &text);
            black_box(out.len())
        })
    });

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("run.subunit");
    std::fs::write(&input, &bytes).unwrap();
    for (label, gzip) in [("export", false), ("export_gzip", true)] {
        g.bench_function(label, |b| {
            b.iter(|| {
                let opts = Options {
                    dest: dir.path().join("out"),
                    files: vec![input.clone()],
                    gzip,
                    ..Options::default()
                };
                export(&opts, &mut Collect::default()).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(stages, benches);
criterion_main!(stages);
