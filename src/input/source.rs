//! Opening inputs: files, standard input, repository runs. Gzip is detected
//! by its magic bytes, and the protocol (v2 packets or v1 text) by reading
//! the (decompressed) stream until the first decisive sign, which is then
//! replayed, so every stream is read exactly once.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use flate2::read::MultiGzDecoder;

use crate::decode::v1;
use crate::decode::v2::crc::SpanCrc;
use crate::decode::v2::{self, SIGNATURE};

/// How much of a line is looked at to tell whether it is a v1 directive.
const LINE_PEEK: usize = 4096;
/// Sniffed bytes kept in memory; older ones, already ruled out as the start
/// of anything decisive, wait in an unnamed temporary file.
const KEEP_IN_MEMORY: usize = 4 << 20;
/// After the first v1 test line, how far a valid v2 packet still makes the
/// stream v2 (v1 text followed by v2 packets has always read as v2).
const V2_AFTER_V1: u64 = 64 * 1024;
/// Bytes asked of the reader at a time while sniffing.
const SNIFF_READ: usize = 64 * 1024;

/// Which protocol a stream speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Subunit v2 packets.
    V2,
    /// The subunit v1 line protocol.
    V1,
}

/// Where a stream comes from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Stdin,
}

impl Origin {
    pub fn label(&self) -> String {
        match self {
            Origin::File(p) => crate::shown_path(p),
            Origin::Stdin => "<stdin>".to_owned(),
        }
    }

    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        Ok(self.open_sized()?.0)
    }

    /// The opened input and its size when it is a regular file (not a
    /// pipe or a terminal), for a progress display; the size comes from
    /// the open file, not a second look-up of its path.
    pub fn open_sized(&self) -> io::Result<(Box<dyn Read + Send>, Option<u64>)> {
        Ok(match self {
            Origin::File(p) => {
                let f = File::open(p)?;
                let size = regular_len(f.metadata().ok());
                (Box::new(f), size)
            }
            Origin::Stdin => (Box::new(io::stdin()), regular_len(stdin_metadata())),
        })
    }
}

fn regular_len(meta: Option<std::fs::Metadata>) -> Option<u64> {
    meta.filter(|m| m.is_file()).map(|m| m.len())
}

/// What standard input is (`< run.subunit` makes it a regular file).
#[cfg(unix)]
fn stdin_metadata() -> Option<std::fs::Metadata> {
    use std::os::fd::AsFd;
    let fd = io::stdin().as_fd().try_clone_to_owned().ok()?;
    File::from(fd).metadata().ok()
}

#[cfg(not(unix))]
fn stdin_metadata() -> Option<std::fs::Metadata> {
    None
}

/// Counts the bytes read through it into a shared counter, so another
/// thread can show how far the input has been read.
pub struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> Counted<R> {
    pub fn new(inner: R, count: Arc<AtomicU64>) -> Counted<R> {
        Counted { inner, count }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A stream ready to decode: its sniffed head plus the rest of the reader.
pub struct Opened {
    /// The protocol sniffed from the head.
    pub protocol: Protocol,
    /// Whether the input was gzip-compressed.
    pub gzip: bool,
    /// Sniffed bytes that come before `head` (long preambles only).
    pub spill: Option<File>,
    /// The bytes already read for sniffing (decompressed).
    pub head: Vec<u8>,
    /// The rest of the stream (decompressed).
    pub rest: Box<dyn Read + Send>,
    /// Set when the gzip layer hit damaged data (then treated as the end).
    pub gzip_error: Arc<Mutex<Option<String>>>,
}

impl Opened {
    /// The whole stream as one reader, from its first byte.
    pub fn into_reader(self) -> impl Read + Send {
        let spill: Box<dyn Read + Send> = match self.spill {
            Some(f) => Box::new(f),
            None => Box::new(io::empty()),
        };
        spill.chain(Cursor::new(self.head)).chain(self.rest)
    }
}

/// Reads until `buf` holds `want` bytes or the reader ends.
fn read_up_to(r: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> io::Result<()> {
    let mut chunk = [0u8; 16 * 1024];
    while buf.len() < want {
        let n = match r.read(&mut chunk[..(want - buf.len()).min(16 * 1024)]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

/// Turns a gzip error into the end of the stream, remembering why, so what
/// decompressed before the damage is still exported.
struct Lenient<R> {
    inner: R,
    error: Arc<Mutex<Option<String>>>,
    done: bool,
}

impl<R: Read> Read for Lenient<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Err(e) if e.kind() != io::ErrorKind::Interrupted => {
                self.done = true;
                *self.error.lock().expect("lock") = Some(e.to_string());
                Ok(0)
            }
            r => r,
        }
    }
}

/// Opens a raw stream: gunzips it when it starts with the gzip magic and sniffs its protocol, keeping the head to replay.
pub fn prepare(mut raw: Box<dyn Read + Send>) -> io::Result<Opened> {
    let mut head = Vec::new();
    read_up_to(&mut raw, &mut head, 2)?;
    let gzip_error = Arc::new(Mutex::new(None));
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let mut rest: Box<dyn Read + Send> = if gzip {
        let inner = MultiGzDecoder::new(Cursor::new(std::mem::take(&mut head)).chain(raw));
        Box::new(Lenient {
            inner,
            error: gzip_error.clone(),
            done: false,
        })
    } else {
        raw
    };
    let mut sniffer = Sniffer {
        mem: head,
        rest: &mut rest,
        eof: false,
        spill: None,
        spilled: 0,
        spans: SpanCrc::new(),
    };
    let protocol = sniffer.decide()?;
    let Sniffer {
        mem: head, spill, ..
    } = sniffer;
    let spill = match spill {
        Some(mut f) => {
            f.rewind()?;
            Some(f)
        }
        None => None,
    };
    Ok(Opened {
        protocol,
        gzip,
        spill,
        head,
        rest,
        gzip_error,
    })
}

/// Reads a stream until its protocol is clear, keeping what it read.
///
/// A packet with a valid CRC means v2, unless it comes more than
/// [`V2_AFTER_V1`] bytes after the first line that starts a v1 test
/// (`test:` or `testing:` with an id), which then means v1. Other v1
/// directives (`time:`, `tags:`, `error: …`) also occur in ordinary logs, so
/// they decide only when the stream ends with neither sign; a stream with
/// none of them is decoded as v2 (its text is skipped with a warning).
/// There is no fixed window from the start: a long preamble is read on, and
/// what is already ruled out goes to an unnamed temporary file so that
/// memory stays bounded.
struct Sniffer<'a> {
    mem: Vec<u8>,
    rest: &'a mut Box<dyn Read + Send>,
    eof: bool,
    spill: Option<File>,
    /// Stream offset of `mem[0]`.
    spilled: u64,
    spans: SpanCrc,
}

impl Sniffer<'_> {
    /// Reads more into `mem`; false at the end of the stream.
    fn more(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let n = self.mem.len();
        self.mem.resize(n + SNIFF_READ, 0);
        loop {
            match self.rest.read(&mut self.mem[n..]) {
                Ok(0) => {
                    self.mem.truncate(n);
                    self.eof = true;
                    return Ok(false);
                }
                Ok(k) => {
                    self.mem.truncate(n + k);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.mem.truncate(n);
                    return Err(e);
                }
            }
        }
    }

    /// Makes `mem` hold `len` bytes unless the stream ends first.
    fn want(&mut self, len: usize) -> io::Result<bool> {
        while self.mem.len() < len {
            if !self.more()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether a packet with a valid CRC starts at `mem[p]` (a 0xB3): the
    /// decoder's own rule, so the two cannot disagree.
    fn packet_at(&mut self, p: usize) -> io::Result<bool> {
        /// The sniffer's buffer from a candidate signature.
        struct At<'a, 'r>(&'a mut Sniffer<'r>, usize);
        impl v2::PacketWindow for At<'_, '_> {
            fn bytes(&mut self, n: usize) -> io::Result<&[u8]> {
                self.0.want(self.1 + n)?;
                Ok(&self.0.mem[self.1..])
            }
            fn crc(&mut self, n: usize) -> u32 {
                let s = &mut *self.0;
                s.spans.crc(&s.mem, s.spilled, self.1, self.1 + n)
            }
        }
        v2::valid_packet_at(&mut At(self, p))
    }

    fn decide(&mut self) -> io::Result<Protocol> {
        let mut at = 0;
        let mut line_start = Some(0);
        let mut weak_v1 = false;
        // Stream offset of the first v1 test line.
        let mut v1_at: Option<u64> = None;
        loop {
            if let Some(limit) = v1_at.map(|s| s + V2_AFTER_V1) {
                if self.spilled + at as u64 > limit {
                    return Ok(Protocol::V1);
                }
            }
            if let Some(ls) = line_start.take().filter(|_| v1_at.is_none()) {
                while !self.eof {
                    let seen = &self.mem[ls..];
                    let peek = &seen[..seen.len().min(LINE_PEEK)];
                    if seen.len() >= LINE_PEEK || memchr::memchr(b'\n', peek).is_some() {
                        break;
                    }
                    self.more()?;
                }
                let seen = &self.mem[ls..];
                let peek = &seen[..seen.len().min(LINE_PEEK)];
                let line = &peek[..memchr::memchr(b'\n', peek).unwrap_or(peek.len())];
                match v1_directive(line) {
                    Some(true) => v1_at = Some(self.spilled + ls as u64),
                    Some(false) => weak_v1 = true,
                    None => {}
                }
            }
            if at >= self.mem.len() && !self.more()? {
                break;
            }
            let seg_end = match memchr::memchr(b'\n', &self.mem[at..]) {
                Some(i) => at + i + 1,
                None => self.mem.len(),
            };
            let mut q = at;
            while let Some(i) = memchr::memchr(SIGNATURE, &self.mem[q..seg_end]) {
                let past = v1_at.is_some_and(|s| self.spilled + (q + i) as u64 > s + V2_AFTER_V1);
                if past {
                    return Ok(Protocol::V1);
                }
                if self.packet_at(q + i)? {
                    return Ok(Protocol::V2);
                }
                q += i + 1;
            }
            at = seg_end;
            if self.mem[at - 1] == b'\n' {
                line_start = Some(at);
            }
            if at > KEEP_IN_MEMORY {
                let file = match &mut self.spill {
                    Some(f) => f,
                    None => self.spill.insert(tempfile::tempfile()?),
                };
                file.write_all(&self.mem[..at])?;
                self.mem.drain(..at);
                self.spilled += at as u64;
                line_start = line_start.map(|_| 0);
                at = 0;
            }
        }
        Ok(if weak_v1 || v1_at.is_some() {
            Protocol::V1
        } else {
            Protocol::V2
        })
    }
}

/// A line whose first word, less trailing `:`s, is a v1 directive, and
/// which has more text after it.
#[cfg(test)]
pub fn has_v1_directive(head: &[u8]) -> bool {
    head.split(|&b| b == b'\n')
        .any(|line| v1_directive(line).is_some())
}

/// Whether `line` (without its newline) is a v1 directive, by the v1
/// parser's own rule, so that sniffing and parsing never disagree:
/// `Some(true)` for one that starts a test, `Some(false)` for any other.
fn v1_directive(line: &[u8]) -> Option<bool> {
    v1::directive_starts_test(line)
}

/// The last path component as the user would read it.
pub fn basename(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_directives_are_recognised() {
        assert!(has_v1_directive(b"junk\ntest: a.b\n"));
        assert!(has_v1_directive(b"success a.b\r\n"));
        assert!(!has_v1_directive(b"test:\n"));
        assert!(!has_v1_directive(b"testing123 x\n"));
        assert!(!has_v1_directive(b"hello world\n"));
    }

    /// The sniffer once had its own word list and disagreed with the
    /// parser on these; both now use the parser's rule.
    #[test]
    fn sniffer_and_parser_agree_on_directives() {
        // Several trailing colons are dropped, as python-subunit does.
        assert_eq!(v1_directive(b"test::: a.b"), Some(true));
        // python-subunit's `cmd in b"skip"` makes any part of "skip" a skip.
        assert_eq!(v1_directive(b"ski: a.b"), Some(false));
        // A leading blank is never a directive.
        assert_eq!(v1_directive(b" test: a.b"), None);
        assert_eq!(v1_directive(b"\ttest a.b"), None);
        // A directive word needs more text after it.
        assert_eq!(v1_directive(b"success:   "), None);
    }

    /// The sniffer takes a 0xB3 for a packet start (and so the stream for
    /// v2) exactly when the decoder reads a packet there without a
    /// `subunit.parser` record: one rule.
    #[test]
    fn sniffer_and_decoder_agree_on_packet_starts() {
        use crate::decode::v2::{encode::write_packet, Decoder};
        let mut good = Vec::new();
        write_packet(0x2000, b"", &mut good).unwrap();
        let mut with_id = Vec::new();
        write_packet(0x2800, b"\x03abc", &mut with_id).unwrap();
        let mut bad_crc = with_id.clone();
        *bad_crc.last_mut().unwrap() ^= 1;
        let mut truncated = with_id.clone();
        truncated.pop();
        let mut four_byte_len = good.clone();
        four_byte_len[3] = 0xC0;
        let mut too_short = good.clone();
        too_short[3] = 7;
        let candidates = [
            (good, true),
            (with_id, true),
            (bad_crc, false),
            (truncated, false),
            (four_byte_len, false),
            (too_short, false),
        ];
        for (i, (packet, valid)) in candidates.into_iter().enumerate() {
            let mut bytes = b"some log text\n".to_vec();
            bytes.extend_from_slice(&packet);
            // A v1 test line after it: the first decisive sign wins.
            let mut then_v1 = bytes.clone();
            then_v1.extend_from_slice(b"\ntest: a.b\n");
            let (protocol, _) = sniffed(then_v1);
            let mut keep = crate::testkit::Keep::default();
            Decoder::new(Cursor::new(bytes)).run(&mut keep).unwrap();
            let parser_error = keep
                .events
                .iter()
                .any(|e| e.test_id.as_deref() == Some("subunit.parser"));
            assert_eq!(protocol == Protocol::V2, valid, "candidate {i}: sniffer");
            assert_eq!(!parser_error, valid, "candidate {i}: decoder");
        }
    }

    fn sniffed(bytes: Vec<u8>) -> (Protocol, Vec<u8>) {
        let o = prepare(Box::new(Cursor::new(bytes))).unwrap();
        let protocol = o.protocol;
        let mut all = Vec::new();
        o.into_reader().read_to_end(&mut all).unwrap();
        (protocol, all)
    }

    #[test]
    fn the_first_decisive_sign_wins_however_far() {
        let mut log = Vec::new();
        for i in 0..400_000 {
            log.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        assert!(log.len() > KEEP_IN_MEMORY);
        let mut packet = Vec::new();
        crate::decode::v2::encode::write_packet(0x2000, b"", &mut packet).unwrap();
        // A v1-looking log line that is not a test start does not decide.
        let mut v2 = b"error: could not reach mirror\n".to_vec();
        v2.extend_from_slice(&log);
        v2.extend_from_slice(&packet);
        v2.extend_from_slice(b"test: a\n");
        assert_eq!(sniffed(v2.clone()), (Protocol::V2, v2));
        let mut v1 = log.clone();
        v1.extend_from_slice(b"test: a\n");
        let mut mixed = v1.clone();
        mixed.extend_from_slice(&packet);
        assert_eq!(sniffed(mixed.clone()), (Protocol::V2, mixed));
        v1.extend_from_slice(&log[..V2_AFTER_V1 as usize + 1]);
        v1.extend_from_slice(&packet);
        assert_eq!(sniffed(v1.clone()), (Protocol::V1, v1));
        let mut weak = log.clone();
        weak.extend_from_slice(b"time: 2015-10-05 19:49:04Z\n");
        assert_eq!(sniffed(weak.clone()), (Protocol::V1, weak));
        assert_eq!(sniffed(log.clone()), (Protocol::V2, log));
        assert_eq!(sniffed(Vec::new()), (Protocol::V2, Vec::new()));
    }

    #[test]
    fn gzip_is_detected_and_v1_sniffed() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"test: a\nsuccess: a\n").unwrap();
        let bytes = gz.finish().unwrap();
        let o = prepare(Box::new(Cursor::new(bytes))).unwrap();
        assert!(o.gzip);
        assert_eq!(o.protocol, Protocol::V1);
        let mut all = Vec::new();
        o.into_reader().read_to_end(&mut all).unwrap();
        assert_eq!(all, b"test: a\nsuccess: a\n");
    }
}
