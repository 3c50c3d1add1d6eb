//! Tests of the v1 reader: directives, details, damage, time values.

use super::*;
use std::io::{BufReader, Read};

#[derive(Default)]
struct Rec {
    events: Vec<Event<'static>>,
    warnings: Vec<Warning>,
}

impl EventSink for Rec {
    fn event(&mut self, event: Event<'_>) -> crate::Result<()> {
        self.events.push(event.into_owned());
        Ok(())
    }
    fn warning(&mut self, warning: Warning) {
        self.warnings.push(warning);
    }
}

/// Hands out one byte per read, so every chunk boundary gets exercised.
struct OneByte<'a>(&'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

fn record(input: &[u8]) -> Rec {
    let mut whole = Rec::default();
    read_v1(&mut &input[..], &mut whole).unwrap();
    let mut bytewise = Rec::default();
    let mut reader = BufReader::with_capacity(1, OneByte(input));
    read_v1(&mut reader, &mut bytewise).unwrap();
    assert_eq!(whole.events, bytewise.events, "split reads differ");
    assert_eq!(whole.warnings, bytewise.warnings, "split reads differ");
    whole
}

/// One line per event: `id status [tags] @secs.nanos mime file=bytes`.
fn show(e: &Event<'_>) -> String {
    let mut s = e.test_id.as_deref().unwrap_or("-").to_owned();
    if let Some(st) = e.status {
        s += " ";
        s += st.as_str();
    }
    if let Some(tags) = &e.tags {
        s += &format!(" {tags:?}");
    }
    if let Some(t) = e.timestamp {
        s += &format!(" @{}.{:09}", t.secs, t.nanos);
    }
    if let Some(m) = &e.mime {
        s += &format!(" <{m}>");
    }
    if let Some(f) = &e.file {
        assert!(f.eof);
        s += &format!(" {}={:?}", f.name, String::from_utf8_lossy(&f.bytes));
    }
    assert!(e.runnable);
    assert!(e.route.is_none());
    s
}

fn shown(input: &[u8]) -> Vec<String> {
    record(input).events.iter().map(show).collect()
}

const T0: &str = "time: 2015-10-05 19:49:04Z\n";
const AT0: &str = "@1444074544.000000000";

fn timed(body: &str) -> Vec<String> {
    shown(format!("{T0}{body}").as_bytes())
}

#[test]
fn success_and_aliases() {
    for (start, end) in [
        ("test", "success"),
        ("testing", "successful"),
        ("test:", "success:"),
        ("testing:", "successful:"),
        ("test::", "success:::"),
    ] {
        assert_eq!(
            timed(&format!("{start} a.b\n{end} a.b\n")),
            [
                format!("a.b inprogress {AT0}"),
                format!("a.b success {AT0}")
            ],
            "{start}/{end}"
        );
    }
}

#[test]
fn each_outcome_status() {
    for (word, status) in [
        ("failure", "fail"),
        ("error", "fail"),
        ("skip", "skip"),
        ("xfail", "xfail"),
        ("uxsuccess", "uxsuccess"),
        ("success", "success"),
        // python-subunit matches `skip` as a substring of "skip".
        ("s", "skip"),
        ("kip:", "skip"),
        (":", "skip"),
    ] {
        assert_eq!(
            timed(&format!("test: t\n{word} t\n")),
            [format!("t inprogress {AT0}"), format!("t {status} {AT0}")],
            "{word}"
        );
    }
}

#[test]
fn separator_is_any_single_ascii_space() {
    assert_eq!(
        timed("test:\x0ba\nsuccess:\ta\n"),
        [format!("a inprogress {AT0}"), format!("a success {AT0}")]
    );
    // A second space belongs to the name.
    assert_eq!(
        timed("test:  a\nsuccess: a\nsuccess:  a\n"),
        [format!(" a inprogress {AT0}"), format!(" a success {AT0}")]
    );
}

#[test]
fn lines_that_are_not_directives() {
    let rec = record(
        format!(
            "{T0}test:a\ntest: \n test: x\nhello world\ntest: a\ntest: b\nsuccess: b\nsuccess: a\n"
        )
        .as_bytes(),
    );
    let ev: Vec<String> = rec.events.iter().map(show).collect();
    assert_eq!(
        ev,
        [format!("a inprogress {AT0}"), format!("a success {AT0}")]
    );
    // One warning, at the first skipped line.
    assert_eq!(rec.warnings.len(), 1);
    assert_eq!(rec.warnings[0].offset, T0.len() as u64);
}

#[test]
fn outcome_outside_a_test_is_ignored() {
    assert_eq!(timed("success: a\nfailure: a [\n]\n"), Vec::<String>::new());
}

#[test]
fn name_keeps_trailing_spaces_and_cr() {
    assert_eq!(
        timed("test: a b \r\nsuccess: a b \r\n"),
        [
            format!("a b \r inprogress {AT0}"),
            format!("a b \r success {AT0}")
        ]
    );
}

#[test]
fn simple_details_per_outcome() {
    let tb = "<text/x-traceback; charset=\"utf8\">";
    for (word, status, part) in [
        ("failure", "fail", format!("{tb} traceback")),
        ("error", "fail", format!("{tb} traceback")),
        ("xfail", "xfail", format!("{tb} traceback")),
        ("uxsuccess", "uxsuccess", format!("{tb} traceback")),
        ("skip", "skip", "<text/plain> reason".to_owned()),
        ("success", "success", "<text/plain> message".to_owned()),
        ("successful", "success", "<text/plain> message".to_owned()),
    ] {
        assert_eq!(
            timed(&format!(
                "test: t\n{word}: t [\nline one\n ]quoted\n  ]kept\n]\r\n]\n"
            )),
            [
                format!("t inprogress {AT0}"),
                format!("t {AT0} {part}=\"line one\\n]quoted\\n  ]kept\\n]\\r\\n\""),
                format!("t {status} {AT0}"),
            ],
            "{word}"
        );
    }
}

#[test]
fn skip_reason_keeps_its_newline() {
    assert_eq!(
        timed("test: t\nskip: t [\nnot supported on this platform\n]\n"),
        [
            format!("t inprogress {AT0}"),
            format!("t {AT0} <text/plain> reason=\"not supported on this platform\\n\""),
            format!("t skip {AT0}"),
        ]
    );
}

#[test]
fn empty_simple_details() {
    assert_eq!(
        timed("test: t\nsuccessful: t [\n]\n"),
        [
            format!("t inprogress {AT0}"),
            format!("t {AT0} <text/plain> message=\"\""),
            format!("t success {AT0}"),
        ]
    );
}

#[test]
fn multipart_details() {
    let input = "test: t\nfailure: t [ multipart\n\
        Content-Type: text/x-traceback;charset=utf8,language=python\ntraceback\n\
        1B\r\nTraceback (most recent):\nX\n0\r\n\
        Content-Type: text/plain;charset=utf8\nstdout\n5\r\nhello6\r\n world0\r\n\
        X text/plain\n\n0\r\n\
        ]\ntest: u\nsuccess: u\n";
    assert_eq!(
        timed(input),
        [
            format!("t inprogress {AT0}"),
            format!(
                "t {AT0} <text/x-traceback;charset=utf8,language=python> \
                 traceback=\"Traceback (most recent):\\nX\\n\""
            ),
            format!("t {AT0} <text/plain;charset=utf8> stdout=\"hello world\""),
            format!("t {AT0} <text/plain> =\"\""),
            format!("t fail {AT0}"),
            format!("u inprogress {AT0}"),
            format!("u success {AT0}"),
        ]
    );
}

#[test]
fn multipart_repeated_name_keeps_first_position_last_content() {
    let input = "test: a\nfailure: a [ multipart\n\
        Content-Type: text/plain\nlog\n0\r\n\
        Content-Type: text/x-a\nother\n3\r\nabc0\r\n\
        Content-Type: text/x-b\nlog\n2\r\nzz0\r\n]\n";
    assert_eq!(
        timed(input),
        [
            format!("a inprogress {AT0}"),
            format!("a {AT0} <text/x-b> log=\"zz\""),
            format!("a {AT0} <text/x-a> other=\"abc\""),
            format!("a fail {AT0}"),
        ]
    );
}

#[test]
fn empty_multipart_block() {
    assert_eq!(
        timed("test: a\nxfail: a [ multipart\n]\n"),
        [format!("a inprogress {AT0}"), format!("a xfail {AT0}")]
    );
}

#[test]
fn details_form_must_match_exactly() {
    // "[ multipart " or a double space is not a details opener: the line
    // is skipped and the test stays open.
    for line in ["a [ multipart ", "a [  multipart", "a  [", "a [\r", "b ["] {
        let out = timed(&format!("test: a\nfailure: {line}\n]\n"));
        assert_eq!(out.len(), 3, "{line:?}");
        assert!(
            out[1].contains("lost connection during test 'a'"),
            "{out:?}"
        );
    }
}

#[test]
fn chunk_body_may_hold_newlines_and_brackets() {
    let input = "test: a\nfailure: a [ multipart\nContent-Type: text/plain\nlog\n\
        8\r\n]\n]\n0\r\n\r0\r\n]\n";
    assert_eq!(
        timed(input),
        [
            format!("a inprogress {AT0}"),
            format!("a {AT0} <text/plain> log=\"]\\n]\\n0\\r\\n\\r\""),
            format!("a fail {AT0}"),
        ]
    );
}

#[test]
fn lenient_chunk_size_without_cr() {
    let input = "test: a\nfailure: a [ multipart\nContent-Type: text/plain\nlog\n\
        3\nabc00\n]\n";
    assert_eq!(
        timed(input),
        [
            format!("a inprogress {AT0}"),
            format!("a {AT0} <text/plain> log=\"abc\""),
            format!("a fail {AT0}"),
        ]
    );
}

#[test]
fn time_stamps_the_events_that_follow() {
    let input = "test: a\ntime: 2015-10-05 19:49:04.812133Z\nsuccess: a\n\
        time: 2015-10-05 19:49:05Z\ntest: b\n\
        time: 2015-10-05 19:49:06.5Z\nskip: b [\nr\n]\n";
    assert_eq!(
        shown(input.as_bytes()),
        [
            "a inprogress".to_owned(),
            "a success @1444074544.812133000".to_owned(),
            "b inprogress @1444074545.000000000".to_owned(),
            "b @1444074546.500000000 <text/plain> reason=\"r\\n\"".to_owned(),
            "b skip @1444074546.500000000".to_owned(),
        ]
    );
}

#[test]
fn bad_time_is_ignored_with_one_warning() {
    let input = format!("{T0}time: yesterday\ntime: 2015-13-01 00:00:00Z\ntest: a\nsuccess: a\n");
    let rec = record(input.as_bytes());
    let ev: Vec<String> = rec.events.iter().map(show).collect();
    assert_eq!(
        ev,
        [format!("a inprogress {AT0}"), format!("a success {AT0}")]
    );
    assert_eq!(rec.warnings.len(), 1);
    assert_eq!(rec.warnings[0].offset, T0.len() as u64);
}

#[test]
fn tags_global_and_local_only_on_the_final_event() {
    let input = "tags: g1 g2\ntest: a\ntags: l1 -g1\nsuccess: a\n\
        test: b\nsuccess: b\ntags: -g2 x -x\ntest: c\ntags: z\u{2003}y\nfailure: c [\ntags: no\n]\n\
        test: d\n";
    assert_eq!(
        timed(input),
        [
            format!("a inprogress {AT0}"),
            format!("a success [\"g2\", \"l1\"] {AT0}"),
            format!("b inprogress {AT0}"),
            format!("b success [\"g1\", \"g2\"] {AT0}"),
            format!("c inprogress {AT0}"),
            format!("c {AT0} <text/x-traceback; charset=\"utf8\"> traceback=\"tags: no\\n\""),
            format!("c fail [\"g1\", \"y\", \"z\"] {AT0}"),
            format!("d inprogress {AT0}"),
            format!(
                "d {AT0} <{LOST_MIME}> traceback=\"testtools.testresult.real._StringException: \
                 lost connection during test 'd'\\n\""
            ),
            format!("d fail [\"g1\"] {AT0}"),
        ]
    );
}

#[test]
fn no_tags_means_no_tag_field() {
    let rec = record(b"test: a\nsuccess: a\n");
    assert!(rec.events.iter().all(|e| e.tags.is_none()));
    assert!(rec.events.iter().all(|e| e.timestamp.is_none()));
}

fn lost(id: &str, during: &str) -> String {
    format!(
        "{id} {AT0} <{LOST_MIME}> traceback=\"testtools.testresult.real._StringException: \
         lost connection during {during}test '{id}'\\n\""
    )
}

#[test]
fn stream_ends_inside_a_test() {
    assert_eq!(
        timed("test: a\n"),
        [
            format!("a inprogress {AT0}"),
            lost("a", ""),
            format!("a fail {AT0}")
        ]
    );
    // An unterminated last line loses its last byte, newline or not.
    assert_eq!(
        timed("test: ab"),
        [
            format!("a inprogress {AT0}"),
            lost("a", ""),
            format!("a fail {AT0}")
        ]
    );
    assert_eq!(
        timed("test: a\nsuccess: a"),
        [
            format!("a inprogress {AT0}"),
            lost("a", ""),
            format!("a fail {AT0}")
        ]
    );
    assert_eq!(
        timed("test: a\nsuccess: aa"),
        [format!("a inprogress {AT0}"), format!("a success {AT0}")]
    );
}

#[test]
fn stream_ends_inside_details() {
    let cases = [
        ("failure: a [\nline1\n", "failure report of "),
        ("failure: a [\n]", "failure report of "),
        ("error: a [ multipart\n", "error report of "),
        (
            "skip: a [ multipart\nContent-Type: text/plain\nreason\n5\r\nab",
            "skip report of ",
        ),
        (
            "success: a [ multipart\nContent-Type: text/plain\n",
            "success report of ",
        ),
        (
            "xfail: a [ multipart\nContent-Type: text/plain\nx\n5",
            "xfail report of ",
        ),
        (
            "uxsuccess: a [ multipart\nContent-Type: text/plain\nx\n0\r\n",
            "uxsuccess report of ",
        ),
        (
            "uxsuccess: a [ multipart\nContent-Type: text/plain\nx\n0\r\n]",
            "uxsuccess report of ",
        ),
    ];
    for (tail, during) in cases {
        assert_eq!(
            timed(&format!("test: a\n{tail}")),
            [
                format!("a inprogress {AT0}"),
                lost("a", during),
                format!("a fail {AT0}")
            ],
            "{tail:?}"
        );
    }
}

#[test]
fn lost_connection_message_with_non_ascii_id() {
    let out = shown(b"test: t\xc3\xa9st\xff\n");
    assert_eq!(out[0], "t\u{e9}st\u{fffd} inprogress");
    assert!(out[1].contains("lost connection during test 't\u{e9}st\u{fffd}'"));
}

#[test]
fn bad_chunk_size_swallows_the_rest_like_upstream() {
    for size in ["zz\r\n", "3\r\n", "\r\n", "5x\r\n", "5\r\r\n"] {
        let input = format!(
            "test: a\nfailure: a [ multipart\nContent-Type: text/plain\nlog\n{size}hello0\r\n]\n\
             test: b\nsuccess: b\n"
        );
        let rec = record(format!("{T0}{input}").as_bytes());
        let ev: Vec<String> = rec.events.iter().map(show).collect();
        assert_eq!(
            ev,
            [
                format!("a inprogress {AT0}"),
                lost("a", "failure report of "),
                format!("a fail {AT0}")
            ],
            "{size:?}"
        );
        let last = rec.warnings.last().unwrap();
        assert!(
            last.message
                .contains("ends inside failure report of test a"),
            "{last:?}"
        );
        assert_eq!(last.offset, (T0.len() + input.len()) as u64);
    }
}

#[test]
fn huge_chunk_size_reads_to_the_end() {
    let input = format!(
        "{T0}test: a\nfailure: a [ multipart\nContent-Type: text/plain\nlog\n\
         FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\r\nabc\n]\n"
    );
    assert_eq!(
        shown(input.as_bytes()),
        [
            format!("a inprogress {AT0}"),
            lost("a", "failure report of "),
            format!("a fail {AT0}")
        ]
    );
}

#[test]
fn malformed_part_header_ends_the_details() {
    let input = "test: a\nfailure: a [ multipart\nContent-Type: text/plain\nlog\n2\r\nok0\r\n\
        test: b\nsuccess: b\n";
    let rec = record(format!("{T0}{input}").as_bytes());
    let ev: Vec<String> = rec.events.iter().map(show).collect();
    assert_eq!(
        ev,
        [
            format!("a inprogress {AT0}"),
            format!("a {AT0} <text/plain> log=\"ok\""),
            format!("a fail {AT0}"),
            format!("b inprogress {AT0}"),
            format!("b success {AT0}"),
        ]
    );
    assert_eq!(rec.warnings.len(), 1);
    for header in ["Content-Type: a/b/c", "Content-Type:text/plain", "nospace"] {
        let input = format!("{T0}test: a\nskip: a [ multipart\n{header}\nx\n0\r\n]\n");
        assert_eq!(
            shown(input.as_bytes()),
            [format!("a inprogress {AT0}"), format!("a skip {AT0}")],
            "{header}"
        );
    }
}

#[test]
fn over_long_lines_are_skipped() {
    let mut input = format!("{T0}test: a\n").into_bytes();
    input.extend_from_slice(b"success: a");
    input.extend_from_slice(&vec![b'x'; LINE_CAP]);
    input.extend_from_slice(b"\nsuccess: a\n");
    let rec = record(&input);
    let ev: Vec<String> = rec.events.iter().map(show).collect();
    assert_eq!(
        ev,
        [format!("a inprogress {AT0}"), format!("a success {AT0}")]
    );
    assert_eq!(rec.warnings.len(), 1);
    let w = &rec.warnings[0].message;
    assert!(
        w.starts_with(&format!(
            "dropped a subunit v1 line of {} bytes (over the {LINE_CAP} byte limit): success: axxx",
            LINE_CAP + 10
        )),
        "{w}"
    );
}

#[test]
fn nested_test_line_is_ignored() {
    assert_eq!(
        timed("test: a\ntest: b\nsuccess: b\nsuccess: a\n"),
        [format!("a inprogress {AT0}"), format!("a success {AT0}")]
    );
}

#[test]
fn progress_is_ignored() {
    assert_eq!(
        timed("progress: +3\nprogress: push\ntest: a\nprogress: x\nsuccess: a\n"),
        [format!("a inprogress {AT0}"), format!("a success {AT0}")]
    );
}

#[test]
fn push_api_matches_read_v1() {
    let input = format!(
        "{T0}tags: w\ntest: a\nfailure: a [ multipart\nContent-Type: text/plain\nlog\n3\r\nabc0\r\n]\n"
    );
    let mut expected = Rec::default();
    read_v1(&mut input.as_bytes(), &mut expected).unwrap();
    for split in 0..input.len() {
        let mut rec = Rec::default();
        let mut p = V1Parser::new();
        p.feed(&input.as_bytes()[..split], &mut rec).unwrap();
        p.feed(&input.as_bytes()[split..], &mut rec).unwrap();
        p.finish(&mut rec).unwrap();
        assert_eq!(rec.events, expected.events, "split at {split}");
    }
}

fn ts(s: &str) -> Option<(i64, u32)> {
    parse_time(s).map(|t| (t.secs, t.nanos))
}

#[test]
fn time_formats() {
    let base = 1_444_074_544;
    assert_eq!(ts("2015-10-05 19:49:04Z"), Some((base, 0)));
    assert_eq!(ts("2015-10-05 19:49:04.812133Z"), Some((base, 812_133_000)));
    assert_eq!(ts("2015-10-05T19:49:04.5Z"), Some((base, 500_000_000)));
    assert_eq!(ts("2015-10-05 19:49:04"), Some((base, 0)));
    // Beyond microseconds the fraction is truncated, not rounded.
    assert_eq!(
        ts("2015-10-05 19:49:04.1234569Z"),
        Some((base, 123_456_000))
    );
    assert_eq!(ts("2015-10-05 19:49:04,25Z"), Some((base, 250_000_000)));
    assert_eq!(ts("2015-10-05 21:49:04+02:00"), Some((base, 0)));
    assert_eq!(ts("2015-10-05 18:19:04-0130"), Some((base, 0)));
    assert_eq!(ts("2015-10-05 21:49:04+02"), Some((base, 0)));
    assert_eq!(ts("2015-10-05 21:49:04+02:"), Some((base, 0)));
    assert_eq!(ts("20151005 194904Z"), Some((base, 0)));
    assert_eq!(ts("2015-10-05 1949"), Some((base - 4, 0)));
    // The minute is optional, so this is 19:00:49.5.
    assert_eq!(
        ts("2015-10-05 1949.5"),
        Some((base - 49 * 60 + 45, 500_000_000))
    );
    assert_eq!(ts("2015-10-05 19"), Some((base - 49 * 60 - 4, 0)));
    assert_eq!(ts("2015-10-05"), Some((base - 71_344, 0)));
    assert_eq!(ts("2015-10"), Some((1_443_657_600, 0)));
    assert_eq!(ts("2015-1-5"), Some((1_420_416_000, 0)));
    assert_eq!(ts("2015-105"), Some((1_420_416_000, 0)));
    assert_eq!(ts("2015"), Some((1_420_070_400, 0)));
    assert_eq!(ts("1969-12-31 23:59:59Z"), Some((-1, 0)));
    for bad in [
        "",
        "201510",
        "2015-10-05 19:49:04Z ",
        "2015-10-05 19:49:04\r",
        "2015-13-05",
        "2015-02-30",
        "2015-10-05 24:00:00",
        "2015-10-05 19:60:00",
        "2015-10-05 19:49:60",
        "2015-10-05 19:49:04+24:00",
        "0000-01-01",
        "2015-10-05+01:00",
        "١٩٧٠-01-01",
    ] {
        assert_eq!(ts(bad), None, "{bad:?}");
    }
}

/// Arbitrary input never panics, whatever the read sizes.
#[test]
fn random_bytes_do_not_panic() {
    let tokens: &[&[u8]] = &[
        b"test: a\n",
        b"success: a\n",
        b"failure: a [\n",
        b"skip: a [ multipart\n",
        b"Content-Type: text/plain\n",
        b"log\n",
        b"5\r\n",
        b"0\r\n",
        b"FFFFFFFF\r\n",
        b"]\n",
        b" ]\n",
        b"tags: x -y\n",
        b"time: 2015-10-05 19:49:04Z\n",
        b"time: 2015-99\n",
        b"\xff\xfe",
        b"\n",
        b"\r",
        b"a",
    ];
    use rand::{RngExt, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x9e37_79b9_7f4a_7c15);
    let mut next = move || rng.random::<u64>();
    for _ in 0..3000 {
        let mut input = Vec::new();
        let n = next() % 40;
        for _ in 0..n {
            let r = next();
            if r % 5 == 0 {
                input.push((r >> 8) as u8);
            } else {
                input.extend_from_slice(tokens[(r >> 8) as usize % tokens.len()]);
            }
        }
        record(&input);
    }
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_do_not_panic(input in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let mut rec = Rec::default();
        read_v1(&mut &input[..], &mut rec).unwrap();
    }

    #[test]
    fn arbitrary_time_values_do_not_panic(s in "[0-9:T .,Z+-]{0,40}") {
        let _ = parse_time(&s);
    }
}
