//! Streams and exports for the report's browser tests.
#![allow(dead_code)]

use std::borrow::Cow;
use std::path::Path;

use assert_cmd::Command;
use stackviz_export::testkit::encode::{encode_event, encode_file_chunks};
use stackviz_export::{Event, Status, Timestamp};

/// Exports one stream file with `--html` into `out`, which must succeed.
pub fn export_html(stream: &Path, out: &Path) {
    Command::cargo_bin("stackviz-export")
        .unwrap()
        .arg("-f")
        .arg(stream)
        .arg("--html")
        .arg(out)
        .assert()
        .success();
}

/// A test to encode: id, final status, (attachment name, text).
pub type Spec<'a, S> = (S, Status, Vec<(&'a str, String)>);
/// A [`Spec`] with a borrowed id.
pub type TestSpec<'a> = Spec<'a, &'a str>;

/// Writes a subunit v2 stream of the tests (ids as `&str` or `String`),
/// one after another on worker-0, 2 s apart, a second each.
pub fn write_stream<S: AsRef<str>>(path: &Path, tests: &[Spec<'_, S>]) {
    let timed = tests.iter().enumerate().map(|(k, (id, status, files))| {
        let start = 2000 * k as i64;
        (id.as_ref(), *status, files.as_slice(), start, start + 1000)
    });
    write_tests(path, timed);
}

/// Writes a subunit v2 stream on worker-0 of (id, final status,
/// attachments, start and end in ms from a fixed epoch second); the
/// attachments are sent at the end time.
pub fn write_tests<'a>(
    path: &Path,
    tests: impl Iterator<Item = (&'a str, Status, &'a [(&'a str, String)], i64, i64)>,
) {
    let at = |ms: i64| {
        Some(Timestamp {
            secs: 1_700_000_000 + ms / 1000,
            nanos: (ms % 1000) as u32 * 1_000_000,
        })
    };
    let mut buf = Vec::new();
    for (id, status, files, start_ms, end_ms) in tests {
        let base = Event {
            test_id: Some(Cow::Borrowed(id)),
            tags: Some(vec![Cow::Borrowed("worker-0")]),
            ..Event::default()
        };
        let start = Event {
            status: Some(Status::InProgress),
            timestamp: at(start_ms),
            ..base.clone()
        };
        encode_event(&start, &mut buf).unwrap();
        for (name, text) in files {
            let template = Event {
                timestamp: at(end_ms),
                mime: Some(Cow::Borrowed("text/plain;charset=utf8")),
                ..base.clone()
            };
            encode_file_chunks(&template, name, text.as_bytes(), 65536, &mut buf).unwrap();
        }
        let end = Event {
            status: Some(status),
            timestamp: at(end_ms),
            ..base
        };
        encode_event(&end, &mut buf).unwrap();
    }
    std::fs::write(path, buf).unwrap();
}

/// Writes a subunit v2 stream of passing tests on worker-0, one after
/// another, each taking the given milliseconds.
pub fn write_timed_stream(path: &Path, tests: &[(&str, i64)]) {
    let mut at_ms = 0;
    let timed = tests.iter().map(|(id, ms)| {
        let start = at_ms;
        at_ms += ms;
        (*id, Status::Success, &[][..], start, at_ms)
    });
    write_tests(path, timed);
}
