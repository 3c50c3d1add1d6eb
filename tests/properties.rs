//! Properties of the decoder and the whole export over generated streams:
//! encoding round-trips, stray text is harmless, truncation keeps what was
//! complete, and damage never breaks the output.

mod common;
use common::Keep;

use std::borrow::Cow;
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use proptest::prelude::*;
use stackviz_export::testkit::encode::encode_event;
use stackviz_export::Decoder;
use stackviz_export::Error;
use stackviz_export::{export, Collect, FormatKind, Options};
use stackviz_export::{Assembler, Record};
use stackviz_export::{Event, EventSink, FileChunk, Status, Timestamp};

fn status() -> impl Strategy<Value = Option<Status>> {
    prop_oneof![
        Just(None),
        Just(Some(Status::Exists)),
        Just(Some(Status::InProgress)),
        Just(Some(Status::Success)),
        Just(Some(Status::UxSuccess)),
        Just(Some(Status::Skip)),
        Just(Some(Status::Fail)),
        Just(Some(Status::XFail)),
    ]
}

/// Any string a packet can carry: no NUL.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>().prop_filter("no NUL", |c| *c != '\0'), 0..=max)
        .prop_map(|v| v.into_iter().collect())
}

fn owned(s: String) -> Cow<'static, str> {
    Cow::Owned(s)
}

/// Events with every field free.
fn any_event() -> impl Strategy<Value = Event<'static>> {
    (
        status(),
        proptest::option::of((any::<u32>(), 0u32..(1 << 30))),
        proptest::option::of(text(12)),
        proptest::option::of(proptest::collection::vec(text(6), 0..4)),
        proptest::option::of(text(20)),
        proptest::option::of((
            text(8),
            proptest::collection::vec(any::<u8>(), 0..300),
            any::<bool>(),
        )),
        proptest::option::of(text(4)),
        any::<bool>(),
    )
        .prop_map(
            |(status, ts, id, tags, mime, file, route, runnable)| Event {
                status,
                timestamp: ts.map(|(secs, nanos)| Timestamp {
                    secs: i64::from(secs),
                    nanos,
                }),
                test_id: id.map(owned),
                tags: tags.map(|t| t.into_iter().map(owned).collect()),
                mime: mime.map(owned),
                file: file.map(|(name, bytes, eof)| FileChunk {
                    name: owned(name),
                    bytes: Cow::Owned(bytes),
                    eof,
                }),
                route: route.map(owned),
                runnable,
            },
        )
}

/// Events shaped like a test run: a few ids, text attachments, statuses.
fn run_event() -> impl Strategy<Value = Event<'static>> {
    (
        0usize..6,
        status(),
        proptest::option::of(0u32..1000),
        proptest::option::of(prop_oneof![
            Just("traceback"),
            Just("reason"),
            Just("log"),
            Just("pythonlogging:''"),
        ]),
        "[ -~\n]{0,40}",
        proptest::option::of(proptest::collection::vec("[a-z]{1,5}", 0..3)),
        proptest::option::of(prop_oneof![Just("0"), Just("1")]),
    )
        .prop_map(|(id, status, ts, att, body, tags, route)| Event {
            status,
            timestamp: ts.map(|t| Timestamp {
                secs: 1_444_074_544 + i64::from(t / 10),
                nanos: (t % 10) * 100_000_000 + 1500,
            }),
            test_id: Some(owned(format!("pkg.mod.Test.test_{id}[smoke]"))),
            tags: tags.map(|t| t.into_iter().map(owned).collect()),
            mime: att.map(|_| Cow::Borrowed("text/plain; charset=utf8")),
            file: att.map(|name| FileChunk {
                name: Cow::Borrowed(name),
                bytes: Cow::Owned(body.into_bytes()),
                eof: false,
            }),
            route: route.map(Cow::Borrowed),
            runnable: true,
        })
}

fn encode_all(events: &[Event<'_>]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    let mut ends = Vec::new();
    for ev in events {
        encode_event(ev, &mut out).expect("encodable");
        ends.push(out.len());
    }
    (out, ends)
}

/// Records in emission order, and how many of them were completed by a
/// status (the rest are the unfinished ones emitted at the end).
fn assemble(feed: impl FnOnce(&mut dyn EventSink)) -> (Vec<Record>, usize) {
    let out = Rc::new(RefCell::new(Vec::new()));
    let sink_out = out.clone();
    let mut asm = Assembler::new(move |r: Record| {
        sink_out.borrow_mut().push(r);
        Ok(())
    });
    feed(&mut asm);
    let completed = out.borrow().len();
    drop(asm.finish().unwrap());
    let all = out.take();
    (all, completed)
}

/// Exports `bytes` as a stream file named `run.subunit` into `dir/out`.
/// Returns the export's outcome; on success the output has been checked.
fn export_bytes(dir: &Path, bytes: &[u8], format: FormatKind, gzip: bool) -> Result<(), Error> {
    let input = dir.join("run.subunit");
    std::fs::write(&input, bytes).unwrap();
    let dest = dir.join("out");
    let opts = Options {
        dest: dest.clone(),
        files: vec![input],
        format,
        gzip,
        ..Options::default()
    };
    export(&opts, &mut Collect::default())?;
    common::check_export(&dest);
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// (a) Encoding any events and decoding the bytes gives them back.
    #[test]
    fn encoded_events_decode_to_themselves(
        events in proptest::collection::vec(any_event(), 0..20)
    ) {
        let (bytes, _) = encode_all(&events);
        let mut k = Keep::default();
        Decoder::new(&bytes[..]).run(&mut k).unwrap();
        prop_assert!(k.warnings.is_empty(), "{:?}", k.warnings);
        prop_assert_eq!(k.events.len(), events.len());
        for (got, want) in k.events.iter().zip(&events) {
            prop_assert_eq!(got.status, want.status);
            prop_assert_eq!(got.timestamp, want.timestamp);
            prop_assert_eq!(&got.test_id, &want.test_id);
            prop_assert_eq!(&got.tags, &want.tags);
            prop_assert_eq!(&got.mime, &want.mime);
            prop_assert_eq!(&got.file, &want.file);
            prop_assert_eq!(&got.route, &want.route);
            prop_assert_eq!(got.runnable, want.runnable);
        }
    }

    /// (b) Stray text between packets (anything but 0xB3) changes nothing
    /// in the exported files.
    #[test]
    fn stray_text_between_packets_changes_nothing(
        events in proptest::collection::vec(run_event(), 1..25),
        junk in proptest::collection::vec(
            (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..40)), 1..6),
        gzip in any::<bool>(),
    ) {
        let mut clean = Vec::new();
        let mut noisy = Vec::new();
        let mut inserts: Vec<(usize, Vec<u8>)> = junk
            .into_iter()
            .map(|(at, mut bytes)| {
                bytes.retain(|&b| b != 0xB3);
                (at % (events.len() + 1), bytes)
            })
            .collect();
        inserts.sort_by_key(|(at, _)| *at);
        // A stream that starts with the gzip magic would be a gzip stream.
        if let Some((0, bytes)) = inserts.first_mut() {
            if bytes.first() == Some(&0x1f) {
                bytes[0] = b'x';
            }
        }
        for (i, ev) in events.iter().enumerate() {
            for (_, bytes) in inserts.iter().filter(|(at, _)| *at == i) {
                noisy.extend_from_slice(bytes);
            }
            let mut packet = Vec::new();
            encode_event(ev, &mut packet).unwrap();
            clean.extend_from_slice(&packet);
            noisy.extend_from_slice(&packet);
        }
        for (_, bytes) in inserts.iter().filter(|(at, _)| *at == events.len()) {
            noisy.extend_from_slice(bytes);
        }
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for format in [FormatKind::Tempest, FormatKind::Artifacts] {
            export_bytes(a.path(), &clean, format, gzip).unwrap();
            export_bytes(b.path(), &noisy, format, gzip).unwrap();
            let (sa, sb) = (
                common::snapshot(&a.path().join("out")),
                common::snapshot(&b.path().join("out")),
            );
            prop_assert!(sa.contains_key("config.json"));
            prop_assert_eq!(sa, sb);
        }
    }

    /// (c) Cutting a stream anywhere never panics and keeps every test that
    /// was complete before the cut, in order and unchanged.
    #[test]
    fn truncation_keeps_completed_tests(
        events in proptest::collection::vec(run_event(), 1..40),
        cut in any::<prop::sample::Index>(),
    ) {
        let (bytes, ends) = encode_all(&events);
        let cut = cut.index(bytes.len() + 1);
        let whole_packets = ends.iter().take_while(|&&e| e <= cut).count();
        let (expected, expected_done) = assemble(|sink| {
            for ev in &events[..whole_packets] {
                sink.event(ev.clone()).unwrap();
            }
        });
        let (got, got_done) = assemble(|sink| {
            Decoder::new(&bytes[..cut]).run(sink).unwrap();
        });
        // A cut inside a packet adds python-subunit's report of it.
        let extra = usize::from(cut != 0 && !ends.contains(&cut));
        prop_assert_eq!(got_done, expected_done + extra);
        prop_assert_eq!(&got[..expected_done], &expected[..expected_done]);
        if extra == 1 {
            let report = &got[expected_done];
            prop_assert_eq!(report.id.as_str(), "subunit.parser");
            prop_assert_eq!(report.status, Some(Status::Fail));
        }
        // The tests still open at the cut come out unfinished, as they were.
        prop_assert_eq!(&got[got_done..], &expected[expected_done..]);
    }

    /// (d) Flipped bits never panic and always leave a complete, valid export.
    #[test]
    fn bit_flips_leave_a_valid_export(
        events in proptest::collection::vec(run_event(), 1..30),
        flips in proptest::collection::vec(any::<prop::sample::Index>(), 1..8),
        bits in proptest::collection::vec(0u8..8, 8),
        artifacts in any::<bool>(),
        gzip in any::<bool>(),
    ) {
        let (mut bytes, _) = encode_all(&events);
        for (i, at) in flips.iter().enumerate() {
            let at = at.index(bytes.len());
            bytes[at] ^= 1 << bits[i];
        }
        let dir = tempfile::tempdir().unwrap();
        let format = if artifacts { FormatKind::Artifacts } else { FormatKind::Tempest };
        match export_bytes(dir.path(), &bytes, format, gzip) {
            Ok(()) => {}
            Err(e) => prop_assert!(false, "export failed: {}", e),
        }
    }
}
