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

use rustc_hash::FxHashMap as HashMap;

use crate::decode::event::{Event, EventSink, FileChunk, Status, Timestamp, Warning};
use crate::pycompat;

mod chunked;
mod time;

use chunked::{Decoder, Step};
use time::parse_time;

/// Longest directive line kept. Longer lines (only garbage in practice) are
/// treated as text that is not subunit.
pub const LINE_CAP: usize = 1 << 20;
/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds: the
/// times an ISO string (and Python's datetime) can hold.
const MIN_SECS: i64 = -62_135_596_800;
const MAX_SECS: i64 = 253_402_300_799;

const TRACEBACK_MIME: &str = "text/x-traceback; charset=\"utf8\"";
const LOST_MIME: &str = "text/x-traceback; charset=\"utf8\"; language=\"python\"";

/// Reads a whole v1 stream and reports its events to `sink`.
///
/// A read failure is an [`Error::Read`](crate::Error::Read) with the byte
/// offset reached and `path` "subunit v1 stream" (the caller knows the name).
pub fn read_v1(input: &mut dyn BufRead, sink: &mut dyn EventSink) -> crate::Result<()> {
    let mut parser = V1Parser::new();
    let mut offset = 0u64;
    loop {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(crate::Error::Read {
                    path: "subunit v1 stream".to_owned(),
                    offset,
                    source,
                })
            }
        };
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        parser.feed(buf, sink)?;
        input.consume(n);
        offset += n as u64;
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

/// Whether `line` is a directive by [`classify`]'s rule: `Some(true)` for
/// one that starts a test. The stream sniffer uses it, so that a stream is
/// called v1 by exactly the lines this parser acts on.
pub(crate) fn directive_starts_test(line: &[u8]) -> Option<bool> {
    classify(line).map(|(d, _)| matches!(d, Directive::Test))
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
    /// The test's own tag set once a `tags:` line inside it changed it;
    /// until then it has the global tags, which are not copied: a stream
    /// may carry many thousands of global tags and many tests.
    tags: Option<BTreeSet<String>>,
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
    /// Bytes of the pending line, including what the cap dropped.
    line_bytes: u64,
    now: Option<Timestamp>,
    global_tags: BTreeSet<String>,
    test: Option<Test>,
    simple: Vec<u8>,
    parts: Vec<Part>,
    /// Position in `parts` by name: a details block may hold many parts.
    part_index: HashMap<String, usize>,
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
            line_bytes: 0,
            now: None,
            global_tags: BTreeSet::new(),
            test: None,
            simple: Vec::new(),
            parts: Vec::new(),
            part_index: HashMap::default(),
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
                    self.line_bytes += (piece.len() - usize::from(complete)) as u64;
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
        report(
            sink,
            &test,
            &self.global_tags,
            self.now,
            Status::Fail,
            &parts,
        )
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
        let bytes = std::mem::take(&mut self.line_bytes);
        if overflow {
            let size = bytes;
            sink.warning(Warning {
                offset: self.line_start,
                message: format!(
                    "dropped a subunit v1 line of {size} bytes (over the {} byte limit): {}",
                    LINE_CAP,
                    crate::shown(&lossy(&line[..line.len().min(crate::SHOWN_MAX)]))
                ),
            });
        }
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
                    // Already reported, with its size and start.
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
                    tags: None,
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
                            report(
                                sink,
                                &test,
                                &self.global_tags,
                                self.now,
                                outcome.status(),
                                &[],
                            )?;
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
                        self.part_index.clear();
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
                    Some(test) => test.tags.get_or_insert_with(|| self.global_tags.clone()),
                    None => &mut self.global_tags,
                };
                for word in text.split(pycompat::is_space).filter(|w| !w.is_empty()) {
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
                    // Python's datetime holds years 1 to 9999 only.
                    Some(t) if !(MIN_SECS..=MAX_SECS).contains(&t.secs) => {
                        sink.warning(Warning {
                            offset: self.line_start,
                            message: format!(
                                "ignoring subunit v1 time {}: outside years 1 to 9999 once in UTC",
                                crate::shown(&lossy(argument(line, offset)))
                            ),
                        });
                    }
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
                    add_part(&mut self.parts, &mut self.part_index, part);
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
                &self.global_tags,
                self.now,
                outcome.status(),
                std::slice::from_ref(&part),
            );
            // Keep the allocation for the next block.
            self.simple = part.bytes;
            self.simple.clear();
            r
        } else {
            let r = report(
                sink,
                &test,
                &self.global_tags,
                self.now,
                outcome.status(),
                &self.parts,
            );
            self.parts.clear();
            self.part_index.clear();
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
/// A part replaces an earlier one of the same name, in its position.
fn add_part(parts: &mut Vec<Part>, index: &mut HashMap<String, usize>, part: Part) {
    match index.get(&part.name) {
        Some(&i) => parts[i] = part,
        None => {
            index.insert(part.name.clone(), parts.len());
            parts.push(part);
        }
    }
}

fn report(
    sink: &mut dyn EventSink,
    test: &Test,
    global_tags: &BTreeSet<String>,
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
    let tags = test.tags.as_ref().unwrap_or(global_tags);
    let tags = (!tags.is_empty()).then(|| tags.iter().map(|t| Cow::Borrowed(t.as_str())).collect());
    sink.event(Event {
        status: Some(status),
        timestamp: now,
        test_id: Some(Cow::Borrowed(test.id.as_str())),
        tags,
        runnable: true,
        ..Event::default()
    })
}

#[cfg(test)]
mod tests;
