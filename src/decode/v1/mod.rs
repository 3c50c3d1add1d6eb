//! Subunit v1 reader: the line protocol that `.stestr` and `.testrepository`
//! store their runs in.
//!
//! The events are the ones stestr's own v1→v2 conversion produces
//! (python-subunit's `TestProtocolServer` feeding testtools'
//! `ExtendedToStreamDecorator`), so a repository run exports exactly as it
//! did upstream. Per test that is:
//!
//! * `test: X` → an `inprogress` event with the current time;
//! * the outcome → one file event per attachment (`eof`, with its MIME type),
//!   then the final status carrying the test's tags (none when empty). All of
//!   them are stamped with the current time. `error` becomes `fail`.
//! * the stream ending inside a test → a `traceback` attachment
//!   "lost connection during …" and status `fail`.
//!
//! "The current time" is the last `time:` directive; before the first one
//! events carry no timestamp (upstream would use the wall clock).
//!
//! Damaged input that python-subunit still reads (a stream cut short, a
//! chunk size that does not fit) gives what it gives there; see `chunked`.
//! Where python-subunit would raise instead (bad `time:` values, malformed
//! multipart headers, bytes that are not UTF-8) the reader warns and carries
//! on: a bad header line ends the details block, an undecodable chunked
//! body swallows the rest of the stream, invalid UTF-8 is replaced.
//!
//! Memory: at most one test's attachments are held (they can only be
//! reported once the outcome's closing `]` is seen); lines outside
//! attachments are capped at [`LINE_CAP`] bytes.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{BufRead, ErrorKind};

use crate::decode::event::{Event, EventSink, FileChunk, Status, Timestamp, Warning};

mod chunked;

use chunked::{Decoder, Step};

/// Longest directive line kept. Longer lines (only garbage in practice) are
/// treated as text that is not subunit.
pub const LINE_CAP: usize = 1 << 20;

const TRACEBACK_MIME: &str = "text/x-traceback; charset=\"utf8\"";
const LOST_MIME: &str = "text/x-traceback; charset=\"utf8\"; language=\"python\"";

/// Reads a whole v1 stream and reports its events to `sink`.
pub fn read_v1(input: &mut dyn BufRead, sink: &mut dyn EventSink) -> crate::Result<()> {
    let mut parser = V1Parser::new();
    loop {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(crate::Error::Other(format!(
                    "reading subunit v1 stream: {e}"
                )))
            }
        };
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        parser.feed(buf, sink)?;
        input.consume(n);
    }
    parser.finish(sink)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Success,
    Failure,
    Error,
    Skip,
    XFail,
    UxSuccess,
}

impl Outcome {
    fn status(self) -> Status {
        match self {
            Outcome::Success => Status::Success,
            Outcome::Failure | Outcome::Error => Status::Fail,
            Outcome::Skip => Status::Skip,
            Outcome::XFail => Status::XFail,
            Outcome::UxSuccess => Status::UxSuccess,
        }
    }

    /// The word python-subunit uses in its "lost connection" message.
    fn label(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Error => "error",
            Outcome::Skip => "skip",
            Outcome::XFail => "xfail",
            Outcome::UxSuccess => "uxsuccess",
        }
    }

    /// Name and MIME type the bracketed (non-multipart) details become.
    fn simple_part(self) -> (&'static str, &'static str) {
        match self {
            Outcome::Success => ("message", "text/plain"),
            Outcome::Skip => ("reason", "text/plain"),
            _ => ("traceback", TRACEBACK_MIME),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Directive {
    Test,
    Outcome(Outcome),
    Progress,
    Tags,
    Time,
}

/// Whitespace as Python's `bytes.split()` sees it.
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Whitespace as Python's `str.split()` sees it.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Recognises a directive line the way python-subunit does: a first word
/// (no leading whitespace, trailing colons ignored) followed by more text.
/// Returns the directive and the offset just past the first word and one
/// separator byte.
fn classify(line: &[u8]) -> Option<(Directive, usize)> {
    match line.first() {
        Some(&b) if !is_ascii_space(b) => {}
        _ => return None,
    }
    let word_end = line.iter().position(|&b| is_ascii_space(b))?;
    if line[word_end..].iter().all(|&b| is_ascii_space(b)) {
        return None;
    }
    let mut cmd = &line[..word_end];
    while let [rest @ .., b':'] = cmd {
        cmd = rest;
    }
    let directive = match cmd {
        b"test" | b"testing" => Directive::Test,
        b"error" => Directive::Outcome(Outcome::Error),
        b"failure" => Directive::Outcome(Outcome::Failure),
        b"progress" => Directive::Progress,
        // python-subunit tests `cmd in b"skip"`, a substring test on bytes.
        _ if cmd.is_empty() || b"skip".windows(cmd.len()).any(|w| w == cmd) => {
            Directive::Outcome(Outcome::Skip)
        }
        b"success" | b"successful" => Directive::Outcome(Outcome::Success),
        b"tags" => Directive::Tags,
        b"time" => Directive::Time,
        b"xfail" => Directive::Outcome(Outcome::XFail),
        b"uxsuccess" => Directive::Outcome(Outcome::UxSuccess),
        _ => return None,
    };
    Some((directive, word_end + 1))
}

/// `line[offset:-1]`: the argument with the line's last byte dropped, which
/// python-subunit does whether or not that byte is the newline.
fn argument(line: &[u8], offset: usize) -> &[u8] {
    let end = line.len().saturating_sub(1);
    line.get(offset..end).unwrap_or(&[])
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

struct Part {
    name: String,
    mime: String,
    bytes: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Multipart {
    /// Expecting `Content-Type: type/subtype` or the closing `]`.
    Header,
    Name,
    /// Inside a part's chunked body.
    Body,
    /// The body could not be decoded: python-subunit raises here, or holds
    /// on to the rest of the stream. Nothing more is read.
    Dead,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Outside,
    InTest,
    /// Bracketed details; `line_start` indexes the current line in `simple`.
    Simple {
        outcome: Outcome,
        line_start: usize,
    },
    Multipart {
        outcome: Outcome,
        at: Multipart,
    },
}

struct Test {
    /// The name as written, compared byte for byte with outcome lines.
    raw: Vec<u8>,
    id: String,
    tags: BTreeSet<String>,
}

/// Push parser for subunit v1: feed it bytes in any pieces, then call
/// [`V1Parser::finish`]. Events come out as soon as they are complete.
pub struct V1Parser {
    state: State,
    /// Stream offset of the next byte fed.
    offset: u64,
    /// Stream offset where the pending line starts.
    line_start: u64,
    line: Vec<u8>,
    line_overflow: bool,
    now: Option<Timestamp>,
    global_tags: BTreeSet<String>,
    test: Option<Test>,
    simple: Vec<u8>,
    parts: Vec<Part>,
    part: Option<Part>,
    decoder: Option<Decoder>,
    warned_text: bool,
    warned_damage: bool,
    warned_time: bool,
}

impl Default for V1Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl V1Parser {
    pub fn new() -> V1Parser {
        V1Parser {
            state: State::Outside,
            offset: 0,
            line_start: 0,
            line: Vec::new(),
            line_overflow: false,
            now: None,
            global_tags: BTreeSet::new(),
            test: None,
            simple: Vec::new(),
            parts: Vec::new(),
            part: None,
            decoder: None,
            warned_text: false,
            warned_damage: false,
            warned_time: false,
        }
    }

    /// Consumes the next piece of the stream.
    pub fn feed(&mut self, mut data: &[u8], sink: &mut dyn EventSink) -> crate::Result<()> {
        while !data.is_empty() {
            if let State::Multipart {
                at: Multipart::Dead,
                ..
            } = self.state
            {
                self.offset += data.len() as u64;
                return Ok(());
            }
            // Work line by line, a line possibly arriving in several pieces.
            let (take, complete) = match data.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (data.len(), false),
            };
            let piece = &data[..take];
            data = &data[take..];
            self.offset += take as u64;
            match self.state {
                State::Simple {
                    outcome,
                    line_start,
                } => {
                    self.simple.extend_from_slice(piece);
                    if complete {
                        self.simple_line_done(outcome, line_start, sink)?;
                    }
                }
                State::Multipart {
                    outcome,
                    at: Multipart::Body,
                } => self.body_piece(outcome, piece, sink),
                _ => {
                    let room = LINE_CAP.saturating_sub(self.line.len());
                    if piece.len() > room {
                        self.line_overflow = true;
                    }
                    self.line.extend_from_slice(&piece[..piece.len().min(room)]);
                    if complete {
                        self.line_done(sink)?;
                    }
                }
            }
            if complete {
                self.line_start = self.offset;
            }
        }
        Ok(())
    }

    /// Ends the stream: a last line without a newline still counts, and a
    /// test left open is reported as lost.
    pub fn finish(mut self, sink: &mut dyn EventSink) -> crate::Result<()> {
        if matches!(self.state, State::Outside | State::InTest)
            && (!self.line.is_empty() || self.line_overflow)
        {
            self.line_done(sink)?;
        }
        let during = match self.state {
            State::Outside => return Ok(()),
            State::InTest => String::new(),
            State::Simple { outcome, .. } | State::Multipart { outcome, .. } => {
                format!("{} report of ", outcome.label())
            }
        };
        let Some(test) = self.test.take() else {
            return Ok(());
        };
        sink.warning(Warning {
            offset: self.offset,
            message: format!(
                "subunit v1 stream ends inside {during}test {}; reported as failed",
                test.id
            ),
        });
        let message = format!(
            "testtools.testresult.real._StringException: lost connection during {during}test '{}'\n",
            test.id
        );
        let parts = [Part {
            name: "traceback".to_owned(),
            mime: LOST_MIME.to_owned(),
            bytes: message.into_bytes(),
        }];
        report(sink, &test, self.now, Status::Fail, &parts)
    }

    fn skipped_text(&mut self, sink: &mut dyn EventSink) {
        if !self.warned_text {
            self.warned_text = true;
            sink.warning(Warning {
                offset: self.line_start,
                message: "skipping text that is not a subunit v1 directive".to_owned(),
            });
        }
    }

    fn damaged(&mut self, sink: &mut dyn EventSink, what: &str) {
        if !self.warned_damage {
            self.warned_damage = true;
            sink.warning(Warning {
                offset: self.line_start,
                message: format!("malformed subunit v1 details: {what}"),
            });
        }
    }

    /// A complete line (or the unterminated last one) in a line state.
    fn line_done(&mut self, sink: &mut dyn EventSink) -> crate::Result<()> {
        let line = std::mem::take(&mut self.line);
        let overflow = std::mem::replace(&mut self.line_overflow, false);
        let result = self.handle_line(&line, overflow, sink);
        self.line = line;
        self.line.clear();
        result
    }

    fn handle_line(
        &mut self,
        line: &[u8],
        overflow: bool,
        sink: &mut dyn EventSink,
    ) -> crate::Result<()> {
        match self.state {
            State::Outside | State::InTest => {
                if overflow {
                    self.skipped_text(sink);
                    return Ok(());
                }
                self.directive_line(line, sink)
            }
            State::Multipart { outcome, at } => match at {
                Multipart::Header => {
                    if line == b"]\n" {
                        return self.end_details(outcome, sink);
                    }
                    match part_header(line).filter(|_| !overflow) {
                        Some(mime) => {
                            self.part = Some(Part {
                                name: String::new(),
                                mime,
                                bytes: Vec::new(),
                            });
                            self.state = State::Multipart {
                                outcome,
                                at: Multipart::Name,
                            };
                            Ok(())
                        }
                        None => {
                            // python-subunit raises here. Report what was read
                            // and treat the line as an ordinary one.
                            self.damaged(sink, "expected a Content-Type line or ']'");
                            self.end_details(outcome, sink)?;
                            self.handle_line(line, overflow, sink)
                        }
                    }
                }
                Multipart::Name => {
                    if overflow {
                        self.damaged(sink, "attachment name too long");
                    }
                    if let Some(part) = self.part.as_mut() {
                        part.name = lossy(argument(line, 0));
                    }
                    self.decoder = Some(Decoder::new());
                    self.state = State::Multipart {
                        outcome,
                        at: Multipart::Body,
                    };
                    Ok(())
                }
                // Fed piece by piece, never as lines.
                Multipart::Body | Multipart::Dead => Ok(()),
            },
            State::Simple { .. } => Ok(()),
        }
    }

    fn directive_line(&mut self, line: &[u8], sink: &mut dyn EventSink) -> crate::Result<()> {
        let Some((directive, offset)) = classify(line) else {
            self.skipped_text(sink);
            return Ok(());
        };
        match directive {
            Directive::Test => {
                if self.state != State::Outside {
                    self.skipped_text(sink);
                    return Ok(());
                }
                let raw = argument(line, offset).to_vec();
                let test = Test {
                    id: lossy(&raw),
                    raw,
                    tags: self.global_tags.clone(),
                };
                sink.event(Event {
                    status: Some(Status::InProgress),
                    timestamp: self.now,
                    test_id: Some(Cow::Borrowed(test.id.as_str())),
                    runnable: true,
                    ..Event::default()
                })?;
                self.test = Some(test);
                self.state = State::InTest;
            }
            Directive::Outcome(outcome) => {
                let Some(test) = self.test.as_ref().filter(|_| self.state == State::InTest) else {
                    self.skipped_text(sink);
                    return Ok(());
                };
                // The name alone, or followed by the opening of a details block.
                let form = match argument(line, offset).strip_prefix(test.raw.as_slice()) {
                    Some(b"") => Some(None),
                    Some(b" [") => Some(Some(false)),
                    Some(b" [ multipart") => Some(Some(true)),
                    _ => None,
                };
                match form {
                    None => self.skipped_text(sink),
                    Some(None) => {
                        self.state = State::Outside;
                        if let Some(test) = self.test.take() {
                            report(sink, &test, self.now, outcome.status(), &[])?;
                        }
                    }
                    Some(Some(false)) => {
                        self.simple.clear();
                        self.state = State::Simple {
                            outcome,
                            line_start: 0,
                        };
                    }
                    Some(Some(true)) => {
                        self.parts.clear();
                        self.part = None;
                        self.state = State::Multipart {
                            outcome,
                            at: Multipart::Header,
                        };
                    }
                }
            }
            Directive::Progress => {}
            Directive::Tags => {
                let text = String::from_utf8_lossy(&line[offset.min(line.len())..]);
                let mut gone = Vec::new();
                let tags = match self.test.as_mut() {
                    Some(test) => &mut test.tags,
                    None => &mut self.global_tags,
                };
                for word in text.split(is_py_space).filter(|w| !w.is_empty()) {
                    match word.strip_prefix('-') {
                        Some(tag) => gone.push(tag),
                        None => {
                            tags.insert(word.to_owned());
                        }
                    }
                }
                for tag in gone {
                    tags.remove(tag);
                }
            }
            Directive::Time => {
                match std::str::from_utf8(argument(line, offset))
                    .ok()
                    .and_then(parse_time)
                {
                    Some(t) => self.now = Some(t),
                    None => {
                        if !self.warned_time {
                            self.warned_time = true;
                            sink.warning(Warning {
                                offset: self.line_start,
                                message:
                                    "ignoring a subunit v1 time: line that is not an ISO 8601 time"
                                        .to_owned(),
                            });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn body_piece(&mut self, outcome: Outcome, piece: &[u8], sink: &mut dyn EventSink) {
        let (Some(decoder), Some(part)) = (self.decoder.as_mut(), self.part.as_mut()) else {
            return;
        };
        let at = match decoder.write(piece, &mut part.bytes) {
            Step::More => return,
            Step::Done => {
                if let Some(part) = self.part.take() {
                    add_part(&mut self.parts, part);
                }
                Multipart::Header
            }
            Step::Failed => {
                self.damaged(sink, "bad chunked body; ignoring the rest of the stream");
                self.part = None;
                Multipart::Dead
            }
        };
        self.decoder = None;
        self.state = State::Multipart { outcome, at };
    }

    fn simple_line_done(
        &mut self,
        outcome: Outcome,
        line_start: usize,
        sink: &mut dyn EventSink,
    ) -> crate::Result<()> {
        let line = &self.simple[line_start..];
        if line == b"]\n" {
            self.simple.truncate(line_start);
            return self.end_details(outcome, sink);
        }
        if line.starts_with(b" ]") {
            // A quoted "]": the leading space goes.
            self.simple.remove(line_start);
        }
        self.state = State::Simple {
            outcome,
            line_start: self.simple.len(),
        };
        Ok(())
    }

    /// The closing `]` of a details block: report the outcome.
    fn end_details(&mut self, outcome: Outcome, sink: &mut dyn EventSink) -> crate::Result<()> {
        let was_simple = matches!(self.state, State::Simple { .. });
        self.state = State::Outside;
        let Some(test) = self.test.take() else {
            return Ok(());
        };
        if was_simple {
            let (name, mime) = outcome.simple_part();
            let part = Part {
                name: name.to_owned(),
                mime: mime.to_owned(),
                bytes: std::mem::take(&mut self.simple),
            };
            let r = report(
                sink,
                &test,
                self.now,
                outcome.status(),
                std::slice::from_ref(&part),
            );
            // Keep the allocation for the next block.
            self.simple = part.bytes;
            self.simple.clear();
            r
        } else {
            let r = report(sink, &test, self.now, outcome.status(), &self.parts);
            self.parts.clear();
            self.part = None;
            self.decoder = None;
            r
        }
    }
}

/// `Content-Type: type/subtype…` → the MIME text after the first space,
/// which python-subunit keeps verbatim provided it has exactly one `/`.
fn part_header(line: &[u8]) -> Option<String> {
    let text = lossy(argument(line, 0));
    let (_, value) = text.split_once(' ')?;
    (value.matches('/').count() == 1).then(|| value.to_owned())
}

/// A repeated attachment name keeps its first position and takes the new
/// content (python dict assignment).
fn add_part(parts: &mut Vec<Part>, part: Part) {
    match parts.iter_mut().find(|p| p.name == part.name) {
        Some(existing) => *existing = part,
        None => parts.push(part),
    }
}

fn report(
    sink: &mut dyn EventSink,
    test: &Test,
    now: Option<Timestamp>,
    status: Status,
    parts: &[Part],
) -> crate::Result<()> {
    for part in parts {
        sink.event(Event {
            timestamp: now,
            test_id: Some(Cow::Borrowed(test.id.as_str())),
            mime: Some(Cow::Borrowed(part.mime.as_str())),
            file: Some(FileChunk {
                name: Cow::Borrowed(part.name.as_str()),
                bytes: Cow::Borrowed(part.bytes.as_slice()),
                eof: true,
            }),
            runnable: true,
            ..Event::default()
        })?;
    }
    let tags = (!test.tags.is_empty()).then(|| {
        test.tags
            .iter()
            .map(|t| Cow::Borrowed(t.as_str()))
            .collect()
    });
    sink.event(Event {
        status: Some(status),
        timestamp: now,
        test_id: Some(Cow::Borrowed(test.id.as_str())),
        tags,
        runnable: true,
        ..Event::default()
    })
}

/// The fields of a `time:` value, defaults as in the `iso8601` package.
#[derive(Clone, Copy, Debug)]
struct Fields {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    micros: u32,
    /// Offset east of UTC, in minutes.
    offset: i32,
}

/// Parses a `time:` value with the grammar of the `iso8601` package that
/// python-subunit uses (`2015-10-05 19:49:04.812133Z`, `T` separator,
/// offsets, reduced precision…). Fractions beyond microseconds truncate.
pub(crate) fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.as_bytes();
    let year = digits(s, 0, 4)?;
    let start = Fields {
        year: year as i32,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        micros: 0,
        offset: 0,
    };
    let f = iso_month(s, 4, start).or_else(|| at_end(s, 4, start))?;
    let date = chrono::NaiveDate::from_ymd_opt(f.year, f.month, f.day)?;
    if f.year < 1 || f.offset.abs() >= 24 * 60 {
        return None;
    }
    let dt = date.and_hms_micro_opt(f.hour, f.minute, f.second, f.micros)?;
    let secs = dt.and_utc().timestamp() - i64::from(f.offset) * 60;
    Some(Timestamp {
        secs,
        nanos: f.micros * 1000,
    })
}

/// Exactly `n` ASCII digits at `i`.
fn digits(s: &[u8], i: usize, n: usize) -> Option<u32> {
    let d = s.get(i..i + n)?;
    d.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn at_end(s: &[u8], i: usize, f: Fields) -> Option<Fields> {
    (i == s.len()).then_some(f)
}

// The functions below follow the regular expression's alternatives in its
// order of preference; each returns the first complete match.

fn iso_month(s: &[u8], i: usize, f: Fields) -> Option<Fields> {
    if s.get(i) == Some(&b'-') {
        for n in [2, 1] {
            if let Some(month) = digits(s, i + 1, n) {
                let r = iso_day(s, i + 1 + n, Fields { month, ..f })
                    .or_else(|| at_end(s, i + 1 + n, Fields { month, ..f }));
                if r.is_some() {
                    return r;
                }
            }
        }
    }
    // YYYYMM alone is not allowed.
    if let Some(month) = digits(s, i, 2).filter(|_| i + 2 != s.len()) {
        let f = Fields { month, ..f };
        return iso_day(s, i + 2, f).or_else(|| at_end(s, i + 2, f));
    }
    None
}

fn iso_day(s: &[u8], i: usize, f: Fields) -> Option<Fields> {
    if s.get(i) == Some(&b'-') {
        for n in [2, 1] {
            if let Some(day) = digits(s, i + 1, n) {
                let f = Fields { day, ..f };
                let r = iso_time(s, i + 1 + n, f).or_else(|| at_end(s, i + 1 + n, f));
                if r.is_some() {
                    return r;
                }
            }
        }
    }
    let day = digits(s, i, 2)?;
    let f = Fields { day, ..f };
    iso_time(s, i + 2, f).or_else(|| at_end(s, i + 2, f))
}

/// Tries `:` first when present (the regex's greedy `:{0,1}`).
fn colon_options(s: &[u8], i: usize) -> impl Iterator<Item = usize> {
    let with = (s.get(i) == Some(&b':')).then_some(i + 1);
    with.into_iter().chain(std::iter::once(i))
}

fn iso_time(s: &[u8], i: usize, f: Fields) -> Option<Fields> {
    if !matches!(s.get(i), Some(b' ' | b'T')) {
        return None;
    }
    let hour = digits(s, i + 1, 2)?;
    let f = Fields { hour, ..f };
    let i = i + 3;
    for j in colon_options(s, i) {
        if let Some(minute) = digits(s, j, 2) {
            if let Some(r) = iso_second(s, j + 2, Fields { minute, ..f }) {
                return Some(r);
            }
        }
    }
    iso_second(s, i, f)
}

fn iso_second(s: &[u8], i: usize, f: Fields) -> Option<Fields> {
    for j in colon_options(s, i) {
        for n in [2, 1] {
            let Some(second) = digits(s, j, n) else {
                continue;
            };
            let f = Fields { second, ..f };
            let k = j + n;
            if matches!(s.get(k), Some(b'.' | b',')) {
                let len = s[k + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                if len > 0 {
                    let frac = &s[k + 1..k + 1 + len];
                    let micros = (0..6).fold(0u32, |acc, p| {
                        acc * 10 + frac.get(p).map_or(0, |&b| u32::from(b - b'0'))
                    });
                    if let Some(r) = iso_zone(s, k + 1 + len, Fields { micros, ..f }) {
                        return Some(r);
                    }
                }
            }
            if let Some(r) = iso_zone(s, k, f) {
                return Some(r);
            }
        }
    }
    iso_zone(s, i, f)
}

fn iso_zone(s: &[u8], i: usize, f: Fields) -> Option<Fields> {
    match s.get(i) {
        Some(b'Z') => {
            if let Some(r) = at_end(s, i + 1, f) {
                return Some(r);
            }
        }
        Some(&sign @ (b'+' | b'-')) => {
            if let Some(hours) = digits(s, i + 1, 2) {
                let sign = if sign == b'-' { -1 } else { 1 };
                for j in colon_options(s, i + 3) {
                    if let Some(minutes) = digits(s, j, 2) {
                        let offset = sign * (hours * 60 + minutes) as i32;
                        if let Some(r) = at_end(s, j + 2, Fields { offset, ..f }) {
                            return Some(r);
                        }
                    }
                    let offset = sign * (hours * 60) as i32;
                    if let Some(r) = at_end(s, j, Fields { offset, ..f }) {
                        return Some(r);
                    }
                }
            }
        }
        _ => {}
    }
    at_end(s, i, f)
}

#[cfg(test)]
mod tests {
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
        let input =
            format!("{T0}time: yesterday\ntime: 2015-13-01 00:00:00Z\ntest: a\nsuccess: a\n");
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
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
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
}
