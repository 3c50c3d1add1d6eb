//! Subunit v2 decoding: bytes → packets → events.
//!
//! The decoder owns one growable buffer and hands out events that borrow from
//! it, so attachment bytes are copied only if the record assembler keeps them.
//! Damage never stops decoding: a bad packet becomes python-subunit's
//! synthetic `subunit.parser` failure. Inside the span the damaged packet
//! claims, decoding resumes only where a packet with a valid CRC starts
//! (a damaged length must not hide good packets); past that span, as in
//! python-subunit, every 0xB3 outside a packet is tried as a packet start,
//! unless it continues a UTF-8 character of surrounding text.

use std::borrow::Cow;
use std::io::{self, Read};

use crate::decode::event::{Event, EventSink, FileChunk, Status, Timestamp, Warning};
use crate::decode::v2::crc::SpanCrc;

pub mod crc;
#[cfg(any(test, feature = "testkit"))]
#[allow(missing_docs)] // test helper, reached through `testkit`
pub mod encode;

/// The byte every v2 packet starts with.
pub const SIGNATURE: u8 = 0xB3;

/// Flag: a test id follows.
pub const FLAG_TEST_ID: u16 = 0x0800;
/// Flag: a route code follows.
pub const FLAG_ROUTE_CODE: u16 = 0x0400;
/// Flag: a timestamp follows.
pub const FLAG_TIMESTAMP: u16 = 0x0200;
/// Flag: the test is runnable.
pub const FLAG_RUNNABLE: u16 = 0x0100;
/// Flag: tags follow.
pub const FLAG_TAGS: u16 = 0x0080;
/// Flag: an attachment chunk follows.
pub const FLAG_FILE_CONTENT: u16 = 0x0040;
/// Flag: a MIME type follows.
pub const FLAG_MIME_TYPE: u16 = 0x0020;
/// Flag: the chunk ends its attachment.
pub const FLAG_EOF: u16 = 0x0010;

/// The largest packet a 3-byte length varint can describe.
pub const MAX_PACKET: usize = (1 << 22) - 1;

/// How much to ask the reader for at a time.
const READ_CHUNK: usize = 1 << 20;

/// Reads a varint at `pos`: the top two bits of the first byte give the width
/// (1–4 bytes), the rest is a big-endian value. Returns (value, width), or
/// `None` when `data` ends first.
pub fn read_varint(data: &[u8], pos: usize) -> Option<(u32, usize)> {
    let b0 = *data.get(pos)?;
    let width = usize::from(b0 >> 6) + 1;
    let bytes = data.get(pos..pos + width)?;
    let mut value = u32::from(b0 & 0x3f);
    for &b in &bytes[1..] {
        value = (value << 8) | u32::from(b);
    }
    Some((value, width))
}

/// Why a packet could not be decoded; the text is python-subunit's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

/// Outcome of looking at the bytes that start with a signature byte.
enum Attempt<'a> {
    Packet(Event<'a>, usize),
    /// Not enough bytes buffered to tell; at least this many are needed.
    NeedMore(usize),
    /// A damaged packet and how many bytes it claims (python-subunit
    /// consumes them before reporting).
    Damaged(ParseError, usize),
}

/// The packet header: flags, total length and the width of the length field.
struct Header {
    flags: u16,
    length: usize,
    length_width: usize,
}

fn parse_header(data: &[u8], at_eof: bool) -> Result<Header, Box<Attempt<'static>>> {
    // python-subunit reads 5 bytes after the signature: flags plus at most a
    // 3-byte length.
    if data.len() < 6 {
        return Err(Box::new(if at_eof {
            Attempt::Damaged(
                ParseError(format!(
                    "Short read - got {} bytes, wanted 5 bytes",
                    data.len() - 1
                )),
                data.len(),
            )
        } else {
            Attempt::NeedMore(6)
        }));
    }
    let flags = u16::from_be_bytes([data[1], data[2]]);
    let Some((length, length_width)) = header_length(data) else {
        return Err(Box::new(Attempt::Damaged(
            ParseError("3 byte maximum given but 4 byte value found.".into()),
            6,
        )));
    };
    Ok(Header {
        flags,
        length,
        length_width,
    })
}

/// How many bytes of a packet hold its header's flags and length: enough to
/// learn the length it claims.
pub(crate) const HEADER_PEEK: usize = 6;

/// The total length a header claims and the width of its length field, or
/// `None` for a 4-byte length (refused before its fourth byte is needed: it
/// may not be there). `head` holds [`HEADER_PEEK`] bytes from the signature.
fn header_length(head: &[u8]) -> Option<(usize, usize)> {
    if head[3] >> 6 == 3 {
        return None;
    }
    read_varint(head, 3).map(|(len, width)| (len as usize, width))
}

/// Bytes from a candidate signature onwards, fetched on demand: how the
/// sniffer and the decoder each expose their buffer to [`valid_packet_at`].
pub(crate) trait PacketWindow {
    /// Makes `n` bytes from the signature available (fewer at the end of
    /// the stream) and returns all that are.
    fn bytes(&mut self, n: usize) -> io::Result<&[u8]>;
    /// The CRC-32 of the first `n` bytes from the signature (already made
    /// available by [`PacketWindow::bytes`]).
    fn crc(&mut self, n: usize) -> u32;
}

/// The one rule for "a valid packet starts here", used by the v1/v2 sniffer
/// and by the decoder's resynchronisation inside a damaged packet's span: a
/// header with a 1–3 byte length that leaves room for the CRC, every claimed
/// byte present, and the stored CRC matching. Only a CRC makes a 0xB3 in
/// arbitrary bytes trustworthy.
pub(crate) fn valid_packet_at(w: &mut impl PacketWindow) -> io::Result<bool> {
    let head = w.bytes(HEADER_PEEK)?;
    if head.len() < HEADER_PEEK {
        return Ok(false);
    }
    let Some((len, _)) = header_length(head).filter(|&(len, _)| len >= 8) else {
        return Ok(false);
    };
    let packet = w.bytes(len)?;
    if packet.len() < len {
        return Ok(false);
    }
    let stored = u32::from_be_bytes(packet[len - 4..len].try_into().expect("4 bytes"));
    Ok(w.crc(len - 4) == stored)
}

/// Decodes the packet at the start of `data` (which starts with 0xB3);
/// `crc(n)` gives the CRC-32 of `data[..n]`.
fn attempt(data: &[u8], at_eof: bool, crc: impl FnOnce(usize) -> u32) -> Attempt<'_> {
    let header = match parse_header(data, at_eof) {
        Ok(h) => h,
        Err(a) => return *a,
    };
    if header.length < 6 || data.len() < header.length {
        // python-subunit reads a negative remainder as "to the end of the
        // stream" and reports how much it got; look as far as the largest
        // packet, so the count does not depend on how the input arrives.
        let want = if header.length < 6 {
            6 + MAX_PACKET
        } else {
            header.length
        };
        if !at_eof && data.len() < want {
            return Attempt::NeedMore(want);
        }
        let got = (data.len() - 6).min(MAX_PACKET);
        return Attempt::Damaged(
            ParseError(format!(
                "Short read - got {} bytes, wanted {} bytes",
                got,
                header.length as i64 - 6
            )),
            got + 6,
        );
    }
    let packet = &data[..header.length];
    if packet.len() < 8 {
        return Attempt::Damaged(
            ParseError(format!(
                "Short read - got {} bytes, wanted 4 bytes",
                packet.len().saturating_sub(6)
            )),
            header.length,
        );
    }
    let (content, crc_bytes) = packet.split_at(packet.len() - 4);
    let stored = u32::from_be_bytes(crc_bytes.try_into().expect("4 bytes"));
    let calculated = crc(content.len());
    if calculated != stored {
        return Attempt::Damaged(
            ParseError(format!(
                "Bad checksum - calculated (0x{calculated:x}), stored (0x{stored:x})"
            )),
            header.length,
        );
    }
    // python-subunit counts field offsets from the flags, or from just after
    // a 3-byte length field; its messages depend on it.
    let (body_start, pos) = if header.length_width == 3 {
        (6, 0)
    } else {
        (1, 2 + header.length_width)
    };
    let body = &content[body_start..];
    match parse_fields(body, pos, header.flags) {
        Ok(ev) => Attempt::Packet(ev, header.length),
        Err(e) => Attempt::Damaged(e, header.length),
    }
}

fn short_field(n: usize) -> ParseError {
    ParseError(format!("unpack requires a buffer of {n} bytes"))
}

fn field_varint(body: &[u8], pos: usize) -> Result<(u32, usize), ParseError> {
    read_varint(body, pos).ok_or_else(|| short_field(1))
}

/// Whether `bytes` holds a zero byte: a word at a time (test ids are a
/// hundred bytes or so, too short for `memchr`'s set-up to pay).
fn has_nul(bytes: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    // Exact about whether a zero byte exists (the classic has-zero test).
    let zero = words.any(|w| {
        let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        w.wrapping_sub(LO) & !w & HI != 0
    });
    zero || words.remainder().contains(&0)
}

fn read_utf8(body: &[u8], pos: usize) -> Result<(&str, usize), ParseError> {
    let (length, width) = field_varint(body, pos)?;
    let pos = pos + width;
    let length = length as usize;
    let available = body.len().saturating_sub(pos).min(length);
    let offset = pos as i64 - 2;
    if available != length {
        return Err(ParseError(format!(
            "UTF8 string at offset {offset} extends past end of packet: claimed {length} bytes, {available} available"
        )));
    }
    let bytes = &body[pos..pos + length];
    if has_nul(bytes) {
        return Err(ParseError(format!(
            "UTF8 string at offset {offset} contains NUL byte"
        )));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((s, pos + length)),
        Err(e) if e.error_len().is_none() => Err(ParseError(format!(
            "Invalid (partially decodable) string at offset {offset}, {} undecoded bytes",
            length - e.valid_up_to()
        ))),
        Err(_) => Err(ParseError(format!(
            "UTF8 string at offset {offset} is not UTF8"
        ))),
    }
}

fn parse_fields(body: &[u8], mut pos: usize, flags: u16) -> Result<Event<'_>, ParseError> {
    let mut ev = Event {
        status: Status::from_bits(flags),
        runnable: flags & FLAG_RUNNABLE != 0,
        ..Event::default()
    };
    if flags & FLAG_TIMESTAMP != 0 {
        let secs = body.get(pos..pos + 4).ok_or_else(|| short_field(4))?;
        let secs = u32::from_be_bytes(secs.try_into().expect("4 bytes"));
        let (nanos, width) = field_varint(body, pos + 4)?;
        pos += 4 + width;
        ev.timestamp = Some(Timestamp {
            secs: i64::from(secs),
            nanos,
        });
    }
    if flags & FLAG_TEST_ID != 0 {
        let (id, next) = read_utf8(body, pos)?;
        ev.test_id = Some(Cow::Borrowed(id));
        pos = next;
    }
    if flags & FLAG_TAGS != 0 {
        let (count, width) = field_varint(body, pos)?;
        pos += width;
        // Each tag takes at least one byte, which bounds the allocation.
        let mut tags = Vec::with_capacity((count as usize).min(body.len() - pos.min(body.len())));
        for _ in 0..count {
            let (tag, next) = read_utf8(body, pos)?;
            tags.push(Cow::Borrowed(tag));
            pos = next;
        }
        ev.tags = Some(tags);
    }
    if flags & FLAG_MIME_TYPE != 0 {
        let (mime, next) = read_utf8(body, pos)?;
        ev.mime = Some(Cow::Borrowed(mime));
        pos = next;
    }
    if flags & FLAG_FILE_CONTENT != 0 {
        let (name, next) = read_utf8(body, pos)?;
        pos = next;
        let (length, width) = field_varint(body, pos)?;
        pos += width;
        let length = length as usize;
        let available = body.len().saturating_sub(pos);
        if length > available {
            return Err(ParseError(format!(
                "File content extends past end of packet: claimed {length} bytes, {available} available"
            )));
        }
        ev.file = Some(FileChunk {
            name: Cow::Borrowed(name),
            bytes: Cow::Borrowed(&body[pos..pos + length]),
            eof: flags & FLAG_EOF != 0,
        });
        pos += length;
    }
    if flags & FLAG_ROUTE_CODE != 0 {
        let (route, _) = read_utf8(body, pos)?;
        ev.route = Some(Cow::Borrowed(route));
    }
    Ok(ev)
}

/// The two events python-subunit emits for a packet it cannot parse.
pub fn parser_error_events(error: &ParseError, mut emit: impl FnMut(Event<'_>)) {
    emit(Event {
        test_id: Some(Cow::Borrowed("subunit.parser")),
        mime: Some(Cow::Borrowed("text/plain;charset=utf8")),
        file: Some(FileChunk {
            name: Cow::Borrowed("Parser Error"),
            bytes: Cow::Borrowed(error.0.as_bytes()),
            eof: true,
        }),
        ..Event::default()
    });
    emit(Event {
        test_id: Some(Cow::Borrowed("subunit.parser")),
        status: Some(Status::Fail),
        ..Event::default()
    });
}

/// Counts of what the decoder passed over, for the end-of-stream summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DecodeSummary {
    /// Packets decoded.
    pub packets: u64,
    /// Damaged packets (each reported as a parser error).
    pub damaged: u64,
    /// Bytes skipped while looking for a packet.
    pub skipped_bytes: u64,
    /// Where the first skipped bytes were.
    pub first_skip_offset: Option<u64>,
    /// Bytes read in all.
    pub bytes: u64,
}

/// Streams packets out of a reader through a sliding buffer.
pub struct Decoder<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// Stream offset of `buf[0]`.
    base: u64,
    summary: DecodeSummary,
    spans: SpanCrc,
    /// Stream offset up to which a damaged packet's claim may reach.
    damage_end: u64,
    /// Stream offset where the last damaged packet's claimed span ends;
    /// before it only packets with a valid CRC are looked for.
    claim_end: u64,
    /// Continuation bytes the text being skipped still owes its last UTF-8
    /// lead byte; a 0xB3 among them is text, not a packet start.
    utf8_pending: u8,
}

impl<R: Read> Decoder<R> {
    /// A decoder reading `src` from its start.
    pub fn new(src: R) -> Self {
        Self::with_prefix(Vec::new(), src)
    }

    /// Starts with bytes already taken from `src` (a sniffed head).
    pub fn with_prefix(prefix: Vec<u8>, src: R) -> Self {
        let end = prefix.len();
        Decoder {
            src,
            buf: prefix,
            pos: 0,
            end,
            eof: false,
            base: 0,
            summary: DecodeSummary::default(),
            spans: SpanCrc::new(),
            damage_end: 0,
            claim_end: 0,
            utf8_pending: 0,
        }
    }

    /// What decoding has seen so far.
    pub fn summary(&self) -> &DecodeSummary {
        &self.summary
    }

    /// Stream offset of the next undecoded byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Decodes the whole stream into `sink`. Only I/O errors and errors from
    /// the sink stop it; damage in the stream never does.
    pub fn run(&mut self, sink: &mut dyn EventSink) -> Result<(), DecodeError> {
        loop {
            self.fill(1)?;
            if self.pos == self.end {
                break;
            }
            if self.offset() < self.claim_end {
                if !self.resync_in_claim()? {
                    continue;
                }
            } else if self.utf8_pending > 0 || self.buf[self.pos] != SIGNATURE {
                self.skip_text()?;
                continue;
            }
            loop {
                let at = self.offset();
                let (buf, pos, base, spans) =
                    (&self.buf[..self.end], self.pos, self.base, &mut self.spans);
                // Packets that do not overlap are hashed directly; only near
                // damage, where claimed spans overlap, are prefix CRCs worth it.
                let near_damage = at < self.damage_end;
                match attempt(&buf[pos..], self.eof, |n| {
                    if near_damage {
                        spans.crc(buf, base, pos, pos + n)
                    } else {
                        crc32fast::hash(&buf[pos..pos + n])
                    }
                }) {
                    Attempt::NeedMore(n) => self.fill(n)?,
                    Attempt::Packet(ev, len) => {
                        sink.event(ev).map_err(DecodeError::Sink)?;
                        self.pos += len;
                        self.summary.packets += 1;
                        break;
                    }
                    Attempt::Damaged(err, claim) => {
                        self.summary.damaged += 1;
                        self.claim_end = at + claim.max(1) as u64;
                        self.damage_end = at + (6 + MAX_PACKET) as u64;
                        sink.warning(Warning {
                            offset: at,
                            message: format!("damaged packet: {}", err.0),
                        });
                        let mut result = Ok(());
                        parser_error_events(&err, |ev| {
                            if result.is_ok() {
                                result = sink.event(ev);
                            }
                        });
                        result.map_err(DecodeError::Sink)?;
                        // The damaged packet's own bytes are not "skipped":
                        // the next turn looks inside them for valid packets.
                        self.pos += 1;
                        self.utf8_pending = 0;
                        break;
                    }
                }
            }
        }
        if self.summary.skipped_bytes > 0 {
            sink.warning(Warning {
                offset: self.summary.first_skip_offset.unwrap_or(0),
                message: format!(
                    "skipped {} bytes that are not subunit packets",
                    self.summary.skipped_bytes
                ),
            });
        }
        Ok(())
    }

    /// Makes `want` bytes from `pos` available unless the stream ends first.
    fn fill(&mut self, want: usize) -> io::Result<()> {
        while self.end - self.pos < want && !self.eof {
            if self.pos > 0 && self.buf.len() - self.pos < want.max(READ_CHUNK) {
                self.buf.copy_within(self.pos..self.end, 0);
                self.base += self.pos as u64;
                self.end -= self.pos;
                self.pos = 0;
            }
            // Grow by what is read, never by what a length field claims.
            if self.buf.len() - self.end < READ_CHUNK / 2 {
                // From 64 KiB up: a small stream needs no zeroed 1 MiB.
                let grow = self
                    .buf
                    .len()
                    .clamp(64 * 1024, READ_CHUNK)
                    .max(self.buf.len() / 2);
                self.buf.resize(self.buf.len() + grow, 0);
            }
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.end += n;
                    self.summary.bytes += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn skip_to(&mut self, to: usize) {
        if to > self.pos {
            self.summary.skipped_bytes += (to - self.pos) as u64;
            self.summary.first_skip_offset.get_or_insert(self.offset());
            self.pos = to;
        }
    }

    /// Inside a damaged packet's claimed span: advances to the next position
    /// where a packet with a valid CRC starts (true), or to the span's end or
    /// the end of the stream (false). The bytes passed over belong to the
    /// damaged packet and are not counted as skipped.
    fn resync_in_claim(&mut self) -> io::Result<bool> {
        loop {
            self.fill(1)?;
            if self.pos == self.end {
                return Ok(false);
            }
            let room = self.claim_end.saturating_sub(self.offset());
            if room == 0 {
                return Ok(false);
            }
            let limit = self.end.min(self.pos.saturating_add(room as usize));
            match memchr::memchr(SIGNATURE, &self.buf[self.pos..limit]) {
                None => self.pos = limit,
                Some(i) => {
                    self.pos += i;
                    if self.crc_valid_here()? {
                        return Ok(true);
                    }
                    self.pos += 1;
                }
            }
        }
    }

    /// Outside packets: skips text up to the next 0xB3 that does not
    /// continue a UTF-8 character, or to the end of the stream, counting
    /// what it passes over.
    fn skip_text(&mut self) -> io::Result<()> {
        loop {
            self.fill(1)?;
            if self.pos == self.end {
                return Ok(());
            }
            let mut pending = self.utf8_pending;
            let mut i = self.pos;
            let mut found = false;
            while i < self.end {
                let b = self.buf[i];
                if pending > 0 && (0x80..=0xBF).contains(&b) {
                    pending -= 1;
                    i += 1;
                    continue;
                }
                if b == SIGNATURE {
                    pending = 0;
                    found = true;
                    break;
                }
                pending = match b {
                    0xC2..=0xDF => 1,
                    0xE0..=0xEF => 2,
                    0xF0..=0xF4 => 3,
                    _ => 0,
                };
                i += 1;
            }
            self.utf8_pending = pending;
            self.skip_to(i);
            if found {
                return Ok(());
            }
        }
    }

    fn crc_valid_here(&mut self) -> io::Result<bool> {
        /// The decoder's buffer from its read position.
        struct Here<'a, R>(&'a mut Decoder<R>);
        impl<R: Read> PacketWindow for Here<'_, R> {
            fn bytes(&mut self, n: usize) -> io::Result<&[u8]> {
                self.0.fill(n)?;
                Ok(&self.0.buf[self.0.pos..self.0.end])
            }
            fn crc(&mut self, n: usize) -> u32 {
                let d = &mut *self.0;
                d.spans.crc(&d.buf, d.base, d.pos, d.pos + n)
            }
        }
        valid_packet_at(&mut Here(self))
    }
}

/// What stops decoding: the input failing, or the sink refusing an event.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The input failed; [`Decoder::offset`] says where.
    #[error("read failed")]
    Read(#[from] io::Error),
    /// The sink refused an event.
    #[error(transparent)]
    Sink(crate::Error),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::v2::encode::{encode_event, write_packet, write_varint_width};

    #[derive(Default)]
    struct Sink {
        events: Vec<Event<'static>>,
        warnings: Vec<Warning>,
    }

    impl EventSink for Sink {
        fn event(&mut self, ev: Event<'_>) -> crate::Result<()> {
            self.events.push(ev.into_owned());
            Ok(())
        }
        fn warning(&mut self, w: Warning) {
            self.warnings.push(w);
        }
    }

    #[test]
    fn has_nul_finds_a_zero_anywhere_and_nothing_else() {
        for len in 0..40 {
            let clean: Vec<u8> = (0..len).map(|i| 1 + (i * 37 % 255) as u8).collect();
            assert!(!has_nul(&clean), "len {len}");
            for at in 0..len {
                let mut b = clean.clone();
                b[at] = 0;
                assert!(has_nul(&b), "len {len} at {at}");
            }
        }
        // Bytes that borrow in the word arithmetic are not zeros.
        assert!(!has_nul(&[
            0x80, 0x01, 0xff, 0x01, 0x80, 0x01, 0x01, 0x01, 0x01
        ]));
    }

    fn decode(bytes: &[u8]) -> Sink {
        let mut sink = Sink::default();
        Decoder::new(bytes).run(&mut sink).unwrap();
        sink
    }

    fn ev(id: &str, status: Option<Status>) -> Event<'static> {
        Event {
            test_id: Some(Cow::Owned(id.to_owned())),
            status,
            ..Event::default()
        }
    }

    fn packet(e: &Event<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        encode_event(e, &mut out).unwrap();
        out
    }

    #[test]
    fn varints_of_every_width() {
        for (value, width) in [
            (0, 1),
            (63, 1),
            (64, 2),
            (16383, 2),
            (16384, 3),
            (4194303, 3),
            (4194304, 4),
            ((1 << 30) - 1, 4),
        ] {
            let mut out = Vec::new();
            write_varint_width(value, width, &mut out);
            assert_eq!(read_varint(&out, 0), Some((value, width)));
        }
        // Non-minimal encodings carry the same value.
        assert_eq!(read_varint(&[0x40, 0x05], 0), Some((5, 2)));
        assert_eq!(read_varint(&[0x80, 0x00, 0x05], 0), Some((5, 3)));
        assert_eq!(read_varint(&[0xC0, 0x00, 0x00, 0x05], 0), Some((5, 4)));
        assert_eq!(read_varint(&[0xC0, 0x00], 0), None);
    }

    #[test]
    fn non_minimal_nanoseconds_decode() {
        // flags: version 2, timestamp, test id, success.
        let mut body = Vec::new();
        body.extend_from_slice(&1_444_074_544u32.to_be_bytes());
        write_varint_width(1500, 4, &mut body);
        write_varint_width(1, 3, &mut body);
        body.push(b'x');
        let mut out = Vec::new();
        write_packet(0x2000 | FLAG_TIMESTAMP | FLAG_TEST_ID | 3, &body, &mut out).unwrap();
        let s = decode(&out);
        assert_eq!(s.events.len(), 1);
        let e = &s.events[0];
        assert_eq!(e.test_id.as_deref(), Some("x"));
        assert_eq!(e.timestamp.unwrap().micros(), 1_444_074_544_000_002);
    }

    #[test]
    fn bad_crc_becomes_parser_failure_and_decoding_resumes() {
        let mut bytes = packet(&ev("a", Some(Status::Success)));
        let mut bad = packet(&ev("b", Some(Status::Success)));
        let n = bad.len();
        bad[n - 1] ^= 0xFF;
        bytes.extend_from_slice(&bad);
        bytes.extend_from_slice(&packet(&ev("c", Some(Status::Fail))));
        let s = decode(&bytes);
        let ids: Vec<_> = s
            .events
            .iter()
            .map(|e| e.test_id.as_deref().unwrap())
            .collect();
        assert_eq!(ids, ["a", "subunit.parser", "subunit.parser", "c"]);
        let msg = String::from_utf8(s.events[1].file.as_ref().unwrap().bytes.to_vec()).unwrap();
        assert!(msg.starts_with("Bad checksum - calculated (0x"), "{msg}");
        assert_eq!(s.events[2].status, Some(Status::Fail));
    }

    #[test]
    fn four_byte_length_is_an_error() {
        let mut bytes = vec![SIGNATURE, 0x2b, 0x03, 0xC0, 0, 0, 20];
        bytes.extend_from_slice(&[0u8; 16]);
        let s = decode(&bytes);
        let msg = String::from_utf8(s.events[0].file.as_ref().unwrap().bytes.to_vec()).unwrap();
        assert_eq!(msg, "3 byte maximum given but 4 byte value found.");
    }

    #[test]
    fn truncated_tail_gives_one_parser_record() {
        let mut bytes = packet(&ev("a", Some(Status::Success)));
        let second = packet(&ev("b", Some(Status::Success)));
        bytes.extend_from_slice(&second[..second.len() - 3]);
        let s = decode(&bytes);
        let ids: Vec<_> = s
            .events
            .iter()
            .map(|e| e.test_id.as_deref().unwrap())
            .collect();
        assert_eq!(ids, ["a", "subunit.parser", "subunit.parser"]);
        let msg = String::from_utf8(s.events[1].file.as_ref().unwrap().bytes.to_vec()).unwrap();
        assert!(msg.starts_with("Short read - got "), "{msg}");
    }

    #[test]
    fn stray_text_is_skipped_with_one_warning() {
        let mut bytes = b"hello\n".to_vec();
        bytes.extend_from_slice(&packet(&ev("a", Some(Status::Success))));
        bytes.extend_from_slice(b"more noise");
        bytes.extend_from_slice(&packet(&ev("b", Some(Status::Success))));
        let s = decode(&bytes);
        assert_eq!(s.events.len(), 2);
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].offset, 0);
        assert!(
            s.warnings[0].message.contains("16 bytes"),
            "{:?}",
            s.warnings
        );
    }

    #[test]
    fn utf8_errors_use_python_subunit_messages() {
        let mut body = Vec::new();
        write_varint_width(3, 1, &mut body);
        body.extend_from_slice(b"a\xe2\x82");
        let mut out = Vec::new();
        write_packet(0x2000 | FLAG_TEST_ID, &body, &mut out).unwrap();
        let s = decode(&out);
        let msg = String::from_utf8(s.events[0].file.as_ref().unwrap().bytes.to_vec()).unwrap();
        assert_eq!(
            msg,
            "Invalid (partially decodable) string at offset 2, 2 undecoded bytes"
        );
    }

    #[test]
    fn decoding_does_not_depend_on_read_sizes() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(3);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut bytes = b"xx".to_vec();
        for i in 0..50 {
            bytes.extend_from_slice(&packet(&ev(&format!("t{i}"), Some(Status::Success))));
        }
        let whole = decode(&bytes);
        let mut sink = Sink::default();
        Decoder::new(Trickle(&bytes)).run(&mut sink).unwrap();
        assert_eq!(sink.events, whole.events);
        assert_eq!(sink.events.len(), 50);
    }
}
