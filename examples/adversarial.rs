//! Writes subunit v2 streams that stress memory and time: what a hung or
//! runaway test run can produce. For measuring peak memory, e.g.
//!
//! ```text
//! cargo run --release --example adversarial -- unfinished 10000 > u.subunit
//! /usr/bin/time -v target/release/stackviz-export -f u.subunit out/
//! ```
//!
//! Kinds (N is the count):
//! * `unfinished N`: N tests that start (with a small log) and never finish;
//! * `chunks N`: one test whose log arrives in N one-byte packets;
//! * `names N`: one test with N differently named one-byte attachments;
//! * `huge N`: one test with an N MiB log in 64 KiB packets, then success.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};

use stackviz_export::testkit::encode::{encode_event, encode_file_chunks, FILE_CHUNK_SIZE};
use stackviz_export::{Event, FileChunk, Status, Timestamp};

fn event(id: &str, status: Option<Status>, t: u32) -> Event<'static> {
    Event {
        status,
        timestamp: Some(Timestamp {
            secs: 1_444_074_544 + i64::from(t / 1000),
            nanos: (t % 1000) * 1_000_000,
        }),
        test_id: Some(Cow::Owned(id.to_owned())),
        runnable: true,
        ..Event::default()
    }
}

fn chunk(ev: &mut Event<'static>, name: String, bytes: Vec<u8>) {
    ev.mime = Some(Cow::Borrowed("text/plain; charset=utf8"));
    ev.file = Some(FileChunk {
        name: Cow::Owned(name),
        bytes: Cow::Owned(bytes),
        eof: false,
    });
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (kind, n) = match args.as_slice() {
        [k, n] => (k.as_str(), n.parse::<usize>().expect("a count")),
        _ => {
            eprintln!("usage: adversarial unfinished|chunks|names|huge N > out.subunit");
            std::process::exit(2);
        }
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let mut buf = Vec::new();
    let flush = |buf: &mut Vec<u8>, out: &mut dyn Write| -> io::Result<()> {
        out.write_all(buf)?;
        buf.clear();
        Ok(())
    };
    let id = "pkg.mod.Test.test_runaway";
    match kind {
        "unfinished" => {
            for i in 0..n {
                let mut ev = event(&format!("pkg.mod.Test.test_{i:06}"), None, i as u32);
                ev.status = Some(Status::InProgress);
                encode_event(&ev, &mut buf).unwrap();
                let mut log = event(&format!("pkg.mod.Test.test_{i:06}"), None, i as u32);
                chunk(
                    &mut log,
                    "log".into(),
                    format!("started {i}\n").into_bytes(),
                );
                encode_event(&log, &mut buf).unwrap();
                flush(&mut buf, &mut out)?;
            }
        }
        "chunks" | "names" => {
            encode_event(&event(id, Some(Status::InProgress), 0), &mut buf).unwrap();
            for i in 0..n {
                let mut ev = event(id, None, 1);
                let name = if kind == "chunks" {
                    "log".to_owned()
                } else {
                    format!("log-{i}")
                };
                chunk(&mut ev, name, vec![b'a' + (i % 26) as u8]);
                encode_event(&ev, &mut buf).unwrap();
                if buf.len() > 1 << 20 {
                    flush(&mut buf, &mut out)?;
                }
            }
            encode_event(&event(id, Some(Status::Success), 2), &mut buf).unwrap();
        }
        "huge" => {
            encode_event(&event(id, Some(Status::InProgress), 0), &mut buf).unwrap();
            let mut template = event(id, None, 1);
            template.mime = Some(Cow::Borrowed("text/plain; charset=utf8"));
            let line = b"2015-10-05 19:49:04.812 DEBUG [tempest.lib] a line of log output\n";
            let block: Vec<u8> = line.iter().copied().cycle().take(FILE_CHUNK_SIZE).collect();
            for _ in 0..n * (1 << 20) / FILE_CHUNK_SIZE {
                encode_file_chunks(&template, "log", &block, FILE_CHUNK_SIZE, &mut buf).unwrap();
                flush(&mut buf, &mut out)?;
            }
            encode_event(&event(id, Some(Status::Success), 2), &mut buf).unwrap();
        }
        other => panic!("unknown kind {other}"),
    }
    flush(&mut buf, &mut out)?;
    out.flush()
}
