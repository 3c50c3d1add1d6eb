//! Attachment text decoded as its bytes arrive, chunk by chunk, with the
//! same result as decoding the whole attachment at once
//! (`Attachment::into_text`): UTF-8 sequences, UTF-16 surrogate pairs and
//! UTF-32 units split across chunks are carried over to the next chunk.

use super::{Charset, ContentType};

/// How the bytes become text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No MIME type: text only if the whole attachment is valid UTF-8.
    Strict,
    /// `text/*` in this charset, bad bytes replaced.
    Lossy(Charset),
}

/// An incremental decoder for one attachment.
#[derive(Debug)]
pub struct TextDecoder {
    mode: Mode,
    /// Bytes of an incomplete character from the previous chunk (at most 3,
    /// or 5 for a UTF-16 high surrogate plus an odd byte).
    carry: Vec<u8>,
    /// Whether the attachment's first bytes were seen (BOM handling).
    started: bool,
    /// Strict mode met a byte sequence that is not UTF-8.
    invalid: bool,
}

impl TextDecoder {
    /// A decoder for an attachment of this MIME type, or `None` when
    /// StackViz does not show it as text (`text/*` or no type only).
    pub fn new(mime: Option<&str>) -> Option<TextDecoder> {
        let mode = match mime {
            None => Mode::Strict,
            Some(m) => {
                let ct = ContentType::parse(m);
                if ct.maintype() != "text" {
                    return None;
                }
                Mode::Lossy(match ct.charset.as_deref() {
                    None => Charset::Latin1,
                    Some(name) => Charset::lookup(name).unwrap_or(Charset::Utf8),
                })
            }
        };
        Some(TextDecoder {
            mode,
            carry: Vec::new(),
            started: false,
            invalid: false,
        })
    }

    /// False once the attachment turned out not to be text (then it is left
    /// out, whatever follows).
    pub fn is_text(&self) -> bool {
        !self.invalid
    }

    /// Decodes the next chunk, appending text to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut String) {
        if self.invalid {
            return;
        }
        if self.carry.is_empty() {
            self.decode(bytes, out);
        } else {
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(bytes);
            self.decode(&joined, out);
        }
    }

    fn decode(&mut self, bytes: &[u8], out: &mut String) {
        // A byte-order mark is looked for in the attachment's first bytes:
        // wait until there are enough of them.
        let bom_len = match self.mode {
            Mode::Lossy(Charset::Utf16) => 2,
            Mode::Lossy(Charset::Utf32) => 4,
            _ => 0,
        };
        if !self.started && bytes.len() < bom_len {
            self.carry.extend_from_slice(bytes);
            return;
        }
        match self.mode {
            Mode::Strict => self.utf8(bytes, out, true),
            Mode::Lossy(cs) => match cs {
                Charset::Utf8 => self.utf8(bytes, out, false),
                Charset::Ascii => {
                    out.extend(
                        bytes
                            .iter()
                            .map(|&b| if b < 0x80 { b as char } else { '\u{FFFD}' }),
                    )
                }
                Charset::Latin1 => latin1(bytes, out),
                Charset::Cp1252 => out.extend(bytes.iter().map(|&b| super::cp1252(b))),
                Charset::Utf16 | Charset::Utf16Le | Charset::Utf16Be => {
                    let (body, big) = self.bom(bytes, cs);
                    self.utf16(body, big, out)
                }
                Charset::Utf32 | Charset::Utf32Le | Charset::Utf32Be => {
                    let (body, big) = self.bom(bytes, cs);
                    self.utf32(body, big, out)
                }
            },
        }
        self.started = true;
    }

    /// Ends the attachment: what an incomplete final character becomes.
    pub fn finish(&mut self, out: &mut String) {
        let rest = std::mem::take(&mut self.carry);
        if rest.is_empty() || self.invalid {
            return;
        }
        match self.mode {
            Mode::Strict => self.invalid = true,
            Mode::Lossy(Charset::Utf16 | Charset::Utf16Le | Charset::Utf16Be) => {
                // A lone high surrogate, then perhaps an odd byte.
                if rest.len() >= 2 {
                    out.push('\u{FFFD}');
                }
                if rest.len() % 2 == 1 {
                    out.push('\u{FFFD}');
                }
            }
            Mode::Lossy(_) => out.push('\u{FFFD}'),
        }
    }

    /// Strips the byte-order mark the whole attachment starts with (only
    /// for `utf-16`/`utf-32` without an endianness); returns the bytes and
    /// whether they are big-endian.
    fn bom<'b>(&mut self, bytes: &'b [u8], cs: Charset) -> (&'b [u8], bool) {
        let big = matches!(cs, Charset::Utf16Be | Charset::Utf32Be);
        if self.started || !matches!(cs, Charset::Utf16 | Charset::Utf32) {
            return (bytes, big);
        }
        match (cs, bytes) {
            (Charset::Utf16, [0xFF, 0xFE, rest @ ..]) => (rest, false),
            (Charset::Utf16, [0xFE, 0xFF, rest @ ..]) => {
                self.mode = Mode::Lossy(Charset::Utf16Be);
                (rest, true)
            }
            (Charset::Utf32, [0xFF, 0xFE, 0, 0, rest @ ..]) => (rest, false),
            (Charset::Utf32, [0, 0, 0xFE, 0xFF, rest @ ..]) => {
                self.mode = Mode::Lossy(Charset::Utf32Be);
                (rest, true)
            }
            _ => (bytes, false),
        }
    }

    fn utf8(&mut self, mut bytes: &[u8], out: &mut String, strict: bool) {
        loop {
            match std::str::from_utf8(bytes) {
                Ok(s) => {
                    out.push_str(s);
                    return;
                }
                Err(e) => {
                    let (good, bad) = bytes.split_at(e.valid_up_to());
                    out.push_str(std::str::from_utf8(good).expect("checked"));
                    match e.error_len() {
                        None => {
                            self.carry.extend_from_slice(bad);
                            return;
                        }
                        Some(_) if strict => {
                            self.invalid = true;
                            return;
                        }
                        Some(n) => {
                            out.push('\u{FFFD}');
                            bytes = &bad[n..];
                        }
                    }
                }
            }
        }
    }

    fn utf16(&mut self, bytes: &[u8], big: bool, out: &mut String) {
        let whole = bytes.len() / 2 * 2;
        let unit = |c: &[u8]| {
            if big {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        };
        // A high surrogate at the end may pair with the next chunk.
        let mut end = whole;
        if end >= 2 && (0xD800..0xDC00).contains(&unit(&bytes[end - 2..end])) {
            end -= 2;
        }
        let units = bytes[..end].chunks_exact(2).map(unit);
        out.extend(char::decode_utf16(units).map(|r| r.unwrap_or('\u{FFFD}')));
        self.carry.extend_from_slice(&bytes[end..]);
    }

    fn utf32(&mut self, bytes: &[u8], big: bool, out: &mut String) {
        let whole = bytes.len() / 4 * 4;
        out.extend(bytes[..whole].chunks_exact(4).map(|c| {
            let v = if big {
                u32::from_be_bytes([c[0], c[1], c[2], c[3]])
            } else {
                u32::from_le_bytes([c[0], c[1], c[2], c[3]])
            };
            char::from_u32(v).unwrap_or('\u{FFFD}')
        }));
        self.carry.extend_from_slice(&bytes[whole..]);
    }
}

fn latin1(bytes: &[u8], out: &mut String) {
    if bytes.is_ascii() {
        out.push_str(std::str::from_utf8(bytes).expect("ASCII"));
    } else {
        out.extend(bytes.iter().map(|&b| b as char));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::attachment::Attachment;

    /// Chunked decoding equals whole decoding, for every split point.
    fn same_as_whole(mime: Option<&str>, bytes: &[u8]) {
        let whole = Attachment {
            name: "a".into(),
            mime: mime.map(Into::into),
            bytes: bytes.to_vec(),
        }
        .into_text();
        for split in 0..=bytes.len() {
            for second in split..=bytes.len() {
                let Some(mut dec) = TextDecoder::new(mime) else {
                    assert_eq!(whole, None, "{mime:?}");
                    return;
                };
                let mut out = String::new();
                dec.feed(&bytes[..split], &mut out);
                dec.feed(&bytes[split..second], &mut out);
                dec.feed(&bytes[second..], &mut out);
                dec.finish(&mut out);
                let got = (dec.is_text() && !out.is_empty()).then_some(out);
                assert_eq!(got, whole, "{mime:?} {bytes:?} split at {split}, {second}");
            }
        }
    }

    #[test]
    fn chunked_decoding_matches_whole_decoding() {
        let samples: &[&[u8]] = &[
            b"plain",
            "caf\u{e9} \u{1F600} \u{2028}".as_bytes(),
            b"bad \xff\xfe utf8 \xe2\x82",
            b"\xf0\x9f\x98",
            b"\xff\xfeh\x00i\x00=\xd8\x00\xde\x00",
            b"\xfe\xff\x00h\xd8=\xde\x00\x00",
            b"\xff\xfe\x00\x00h\x00\x00\x00\x00\x00\x11\x00x",
            b"\x80\x9f\xe9\x00\x01",
            b"",
        ];
        let mimes = [
            None,
            Some("text/plain"),
            Some("text/plain; charset=utf8"),
            Some("text/plain; charset=ascii"),
            Some("text/plain; charset=latin-1"),
            Some("text/plain; charset=cp1252"),
            Some("text/plain; charset=utf-16"),
            Some("text/plain; charset=utf-16-be"),
            Some("text/plain; charset=utf-32"),
            Some("text/plain; charset=utf-32-be"),
            Some("image/png"),
        ];
        for mime in mimes {
            for bytes in samples {
                same_as_whole(mime, bytes);
            }
        }
    }
}
