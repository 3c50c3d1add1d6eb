//! Inputs that once misbehaved (found by fuzzing or by review), kept so they
//! stay fixed. Each states what went wrong.

use std::io::Read;
use std::time::{Duration, Instant};

use std::borrow::Cow;
use std::io::Cursor;

use stackviz_export::testkit::encode::encode_event;
use stackviz_export::Decoder;
use stackviz_export::{sniff_stream, Protocol};
use stackviz_export::{Event, EventSink, Status};

mod common;
use common::{Keep, Trickle};

fn decode(r: impl Read) -> Keep {
    let mut k = Keep::default();
    Decoder::new(r).run(&mut k).expect("decode");
    k
}

fn parser_errors(k: &Keep) -> Vec<String> {
    k.events
        .iter()
        .filter_map(|e| e.file.as_ref())
        .filter(|f| f.name == "Parser Error")
        .map(|f| String::from_utf8(f.bytes.to_vec()).expect("utf-8"))
        .collect()
}

/// A packet whose length field says less than its own header (here 5) made
/// the "Short read" message count however many bytes happened to be
/// buffered, so the same stream gave different details through a pipe.
/// python-subunit reads to the end of the stream for such a packet and
/// reports how much it got.
#[test]
fn short_length_message_does_not_depend_on_read_sizes() {
    let data = include_bytes!("data/short_length_read_size.bin");
    let whole = decode(&data[..]);
    for step in [1, 2, 7, 31, 64] {
        let part = decode(Trickle { data, step });
        assert_eq!(whole.events, part.events, "read size {step}");
        assert_eq!(whole.warnings, part.warnings, "read size {step}");
    }
    // The damaged packet starts at byte 96; 37 bytes follow its 6-byte header.
    assert_eq!(
        parser_errors(&whole),
        ["Short read - got 31 bytes, wanted -1 bytes"]
    );
}

/// Every 0xB3 byte is a resynchronisation candidate whose CRC has to be
/// checked over its claimed length. With every fourth byte a candidate
/// claiming ~240 KB, checking each one by hashing its span cost ~60 GB of
/// CRC for this 1 MiB input.
#[test]
fn resync_over_many_long_candidates_is_linear() {
    let data: Vec<u8> = [0xB3u8, 0x00, 0x00, 0x83].repeat(256 * 1024);
    let started = Instant::now();
    let k = decode(&data[..]);
    let took = started.elapsed();
    // Each candidate tried as a packet claims 0x03B300 bytes, inside which
    // no candidate has a valid CRC; the next one tried is at the end of the
    // claim, as in python-subunit: five damaged packets in 1 MiB, the last
    // one cut short by the end of the stream.
    let errors = parser_errors(&k);
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(errors[..4].iter().all(|e| e.starts_with("Bad checksum")));
    assert!(errors[4].starts_with("Short read"), "{errors:?}");
    // Bytes inside a damaged packet's claim are not reported as skipped,
    // so the damage is all that is reported.
    assert_eq!(k.warnings.len(), 5, "{:?}", k.warnings);
    assert_eq!(k.warnings[1].offset, 0x03B300);
    assert!(
        took < Duration::from_secs(20),
        "resynchronisation took {took:?}"
    );
}

/// A false header claiming the largest packet right after each good packet:
/// each one was hashed over its whole claimed 4 MiB before being found
/// damaged, though it consumes a single byte.
#[test]
fn false_long_headers_between_packets_cost_little() {
    let n = 1500;
    let mut data = Vec::new();
    for i in 0..n {
        let ev = Event {
            test_id: Some(Cow::Owned(format!("t.{i}"))),
            status: Some(Status::Success),
            ..Event::default()
        };
        encode_event(&ev, &mut data).unwrap();
        data.extend_from_slice(&[0xB3, 0x00, 0x00, 0xBF, 0xFF, 0xFF]);
    }
    data.resize(data.len() + (4 << 20), 0);
    let started = Instant::now();
    let k = decode(&data[..]);
    let took = started.elapsed();
    let ok = k
        .events
        .iter()
        .filter(|e| e.status == Some(Status::Success));
    assert_eq!(ok.count(), n);
    // The first false header claims 4 MiB: inside that span only packets
    // with a valid CRC are looked for, so the later false headers are part
    // of the damaged packet, as python-subunit would read them.
    let errors = parser_errors(&k);
    assert_eq!(errors.len(), 1);
    assert!(errors.iter().all(|e| e.starts_with("Bad checksum")));
    assert!(took < Duration::from_secs(20), "decoding took {took:?}");
}

/// Telling v1 from v2 looks for a valid packet; with
/// every byte a candidate claiming 3.4 MB, that hashed ~200 GB.
#[test]
fn sniffing_many_long_candidates_is_linear() {
    let data = vec![0xB3u8; 0x33_B3B3 + 100_000];
    let started = Instant::now();
    let opened = sniff_stream(Box::new(Cursor::new(data.clone()))).unwrap();
    assert_eq!(opened.protocol, Protocol::V2);
    let k = decode(opened.into_reader());
    let took = started.elapsed();
    // One packet claims 0x33B3B3 bytes; the one tried after it is cut short.
    assert_eq!(parser_errors(&k).len(), 2);
    assert!(took < Duration::from_secs(20), "sniffing took {took:?}");
}

/// A 4-byte length field in the last six bytes of the buffer: the header
/// check read the whole varint, whose fourth byte was not there, and
/// panicked ("5 header bytes are buffered"), at the end of a stream or
/// wherever a read happened to stop.
#[test]
fn four_byte_length_in_the_last_bytes_is_a_parse_error() {
    let data = include_bytes!("data/four_byte_length_at_end.bin");
    let whole = decode(&data[..]);
    for step in [1, 3, 6, 64] {
        let part = decode(Trickle { data, step });
        assert_eq!(whole.events, part.events, "read size {step}");
    }
    // Minimal: a header whose length byte says "4 bytes", at the end.
    assert_eq!(
        parser_errors(&decode(&[0xB3u8, 0, 0, 0xFF][..])),
        ["Short read - got 3 bytes, wanted 5 bytes"]
    );
    assert_eq!(
        parser_errors(&decode(&[0xB3u8, 0x20, 0x01, 0xC0, 0x00, 0x00][..])),
        ["3 byte maximum given but 4 byte value found."]
    );
}

/// A test with tens of thousands of differently named attachments: each
/// chunk looked its attachment up by a linear search, and so did the detail
/// cleaning, so 100 000 names (an 8 MB stream) took a minute.
#[test]
fn many_attachment_names_are_indexed() {
    use stackviz_export::{clean_details, Attachment};
    use stackviz_export::{Assembler, Record};

    let n = 40_000;
    let mut records = Vec::new();
    let started = Instant::now();
    let mut asm = Assembler::new(|r: Record| {
        records.push(r);
        Ok(())
    });
    let chunk = |name: String, byte: u8, status: Option<Status>| Event {
        test_id: Some(Cow::Borrowed("t.many")),
        mime: Some(Cow::Borrowed("text/plain")),
        file: Some(stackviz_export::FileChunk {
            name: Cow::Owned(name),
            bytes: Cow::Owned(vec![byte]),
            eof: false,
        }),
        status,
        ..Event::default()
    };
    for i in 0..n {
        asm.event(chunk(format!("log-{i}"), b'a', None)).unwrap();
    }
    // Second chunks, in another order, append to the right attachments.
    for i in (0..n).step_by(7).rev() {
        asm.event(chunk(format!("log-{i}"), b'b', None)).unwrap();
    }
    asm.event(chunk("log-1".into(), b'c', Some(Status::Success)))
        .unwrap();
    drop(asm.finish().unwrap());
    let details = clean_details(records[0].attachments.clone());
    let took = started.elapsed();
    assert_eq!(records.len(), 1);
    let atts = &records[0].attachments;
    assert_eq!(atts.len(), n);
    for (i, a) in atts.iter().enumerate() {
        assert_eq!(a.name, format!("log-{i}"));
        let want: &[u8] = match (i % 7 == 0, i == 1) {
            (true, _) => b"ab",
            (false, true) => b"ac",
            _ => b"a",
        };
        assert_eq!(a.bytes, want, "{}", a.name);
    }
    // Keys clean to `log0`, `log1`, …: all distinct, in order.
    assert_eq!(details.len(), n);
    assert_eq!(details[7], ("log7".to_owned(), "ab".to_owned()));
    assert!(took < Duration::from_secs(15), "took {took:?}");

    // Colliding keys among many: first position, last value.
    let att = |name: &str, text: &str| Attachment {
        name: name.into(),
        mime: Some("text/plain".into()),
        bytes: text.as_bytes().to_vec(),
    };
    let mut many: Vec<Attachment> = (0..20).map(|i| att(&format!("k{i}"), "x")).collect();
    many.insert(3, att("k-5", "first"));
    many.push(att("k.5", "last"));
    let d = clean_details(many.clone());
    assert_eq!(d.len(), 20);
    assert_eq!(d[3], ("k5".to_owned(), "last".to_owned()));
    assert_eq!(d[0], ("k0".to_owned(), "x".to_owned()));
}

/// Found by the read_v1 fuzz target: v1 is text, so a test id may hold a
/// NUL byte (v2 strings cannot). It must export as ordinary, escaped JSON.
#[test]
fn nul_in_a_v1_test_id_exports_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("nul.subunit");
    std::fs::write(
        &input,
        b"time: 2026-11-22 01:43:59.000000Z\ntest: pkg.T.te\0st\ntime: 2026-11-22 01:43:59.500000Z\nsuccess: pkg.T.te\0st\n",
    )
    .unwrap();
    let opts = stackviz_export::Options {
        dest: dir.path().join("out"),
        files: vec![input],
        ..Default::default()
    };
    stackviz_export::export(&opts, &mut stackviz_export::Collect::default()).unwrap();
    let raw = std::fs::read_to_string(dir.path().join("out/tempest_file_nul.subunit_0_raw.json"))
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(v[0]["name"], "pkg.T.te\u{0}st");
    assert_eq!(v[0]["status"], "success");
    assert_eq!(v[0]["duration"], 0.5);
}

/// Warnings were capped twice (100 kept by the assembler, 20 shown by the
/// export), so a stream with 300 damaged packets said "81 more warnings
/// not shown" instead of 280.
#[test]
fn warning_count_past_the_cap_is_exact() {
    use stackviz_export::{export, Collect, Options};
    let mut data = Vec::new();
    for i in 0..300 {
        let ev = Event {
            test_id: Some(Cow::Owned(format!("t{i}"))),
            status: Some(Status::Success),
            ..Event::default()
        };
        encode_event(&ev, &mut data).expect("encode");
        let start = data.len();
        encode_event(&ev, &mut data).expect("encode");
        // Break the second packet's CRC.
        let last = data.len() - 1;
        assert!(last > start);
        data[last] ^= 0xFF;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("damaged.subunit");
    std::fs::write(&input, &data).expect("write");
    let opts = Options {
        dest: dir.path().join("out"),
        files: vec![input],
        ..Options::default()
    };
    let mut rep = Collect::default();
    export(&opts, &mut rep).expect("export");
    let damaged: Vec<_> = rep
        .warnings
        .iter()
        .filter(|w| w.contains("damaged packet"))
        .collect();
    assert_eq!(damaged.len(), 20, "{:?}", rep.warnings);
    let more: Vec<_> = rep
        .warnings
        .iter()
        .filter(|w| w.contains("more warnings not shown"))
        .collect();
    assert_eq!(more.len(), 1, "{:?}", rep.warnings);
    assert!(
        more[0].ends_with(": 280 more warnings not shown"),
        "{}",
        more[0]
    );
}

/// A v1 details block with 300 000 differently named parts (14 MB): each
/// part looked for an earlier one of its name by a linear search, which
/// took 282 s. A name seen again still replaces the earlier part in place.
#[test]
fn many_v1_part_names_are_indexed() {
    let n = 300_000;
    let mut input = b"test: t\nfailure: t [ multipart\n".to_vec();
    for i in 0..n {
        input.extend_from_slice(
            format!("Content-Type: text/plain\nlog-{i}\n1\r\na0\r\n").as_bytes(),
        );
    }
    input.extend_from_slice(b"Content-Type: text/plain\nlog-7\n1\r\nz0\r\n]\n");
    let started = Instant::now();
    let mut k = Keep::default();
    stackviz_export::read_v1(&mut &input[..], &mut k).unwrap();
    let took = started.elapsed();
    let files: Vec<_> = k.events.iter().filter_map(|e| e.file.as_ref()).collect();
    assert_eq!(files.len(), n);
    assert_eq!(files[7].name, "log-7");
    assert_eq!(&files[7].bytes[..], b"z");
    assert_eq!(&files[8].bytes[..], b"a");
    assert!(took < Duration::from_secs(20), "reading took {took:?}");
}

/// The pipeline fuzz target's checker once rejected a valid export: a v1
/// test id starting with 118 dots makes `tree.json` nest deeper than
/// serde_json's recursion limit. The checker now checks such files without
/// recursion; the export itself was right.
#[test]
fn a_tree_deeper_than_serde_json_parses_is_a_valid_export() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("dots.subunit");
    let id = format!("{}pkg.mod.TestA.test_one", ".".repeat(300));
    std::fs::write(
        &input,
        format!(
            "time: 2015-10-05 19:49:04.000000Z\ntags: worker-0\ntest: {id}\n\
             time: 2015-10-05 19:49:04.250000Z\nsuccess: {id}\n"
        ),
    )
    .unwrap();
    let opts = stackviz_export::Options {
        dest: dir.path().join("out"),
        files: vec![input],
        ..Default::default()
    };
    stackviz_export::export(&opts, &mut stackviz_export::Collect::default()).unwrap();
    let tree = dir.path().join("out/tempest_file_dots.subunit_0_tree.json");
    let text = std::fs::read(&tree).unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&text)
        .unwrap_err()
        .to_string()
        .contains("recursion limit"));
    let checked = stackviz_export::testkit::export_check::check_export(&dir.path().join("out"));
    assert_eq!(checked.raw[0].len(), 1);
    assert_eq!(checked.raw[0][0]["status"], "success");
}
