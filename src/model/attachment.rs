//! Attachments ("details") and the rules that turn them into text: MIME
//! parsing as Python's `email` does it, charset decoding as Python's codecs
//! do it (but lossy), and StackViz's key cleaning.

use crate::pycompat;

pub mod spool;
mod stream;

use spool::Spooled;

/// An attachment's bytes, concatenated from all its non-empty chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The attachment's name, as sent.
    pub name: String,
    /// The MIME type of the first non-empty chunk, as sent.
    pub mime: Option<String>,
    /// The content, all chunks concatenated.
    pub bytes: Vec<u8>,
}

impl Attachment {
    /// The attachment as text, if StackViz shows it: `text/*` decoded with
    /// its charset, or no MIME type and valid UTF-8. Empty text counts as
    /// absent.
    pub fn into_text(self) -> Option<String> {
        let text = match &self.mime {
            None => String::from_utf8(self.bytes).ok()?,
            Some(mime) => {
                let ct = ContentType::parse(mime);
                if ct.maintype() != "text" {
                    return None;
                }
                decode(self.bytes, ct.charset.as_deref())
            }
        };
        (!text.is_empty()).then_some(text)
    }
}

/// Cleans attachments into (key, text) pairs: non-word characters removed
/// from names, empty and non-text attachments left out, and colliding keys
/// kept at the first position with the last value.
pub fn clean_details(attachments: Vec<Attachment>) -> Vec<(String, String)> {
    clean_details_spooled(attachments, Vec::new()).0
}

/// Cleaned (key, text) pairs.
pub type Details = Vec<(String, String)>;

/// [`clean_details`] for a record some of whose attachments were spilled:
/// `spooled` lists them by attachment index (their `bytes` hold the end of
/// their text, as UTF-8). Returns the pairs (a spooled value holds the end
/// of its text) and which of them are spooled, by pair index.
pub fn clean_details_spooled(
    attachments: Vec<Attachment>,
    spooled: Vec<(usize, Spooled)>,
) -> (Details, Vec<(usize, Spooled)>) {
    let mut out: Vec<(String, String)> = Vec::with_capacity(attachments.len());
    let mut out_spooled: Vec<(usize, Spooled)> = Vec::new();
    let mut spooled = spooled.into_iter().peekable();
    // Only many attachments are worth a map (and need one to stay linear).
    let mut index: Option<rustc_hash::FxHashMap<String, usize>> =
        (attachments.len() > 16).then(Default::default);
    for (n, a) in attachments.into_iter().enumerate() {
        let key = clean_key(&a.name);
        let spill = spooled.next_if(|(i, _)| *i == n).map(|(_, s)| s);
        let text = match &spill {
            None => a.into_text(),
            Some(s) if s.is_text => String::from_utf8(a.bytes).ok(),
            Some(_) => None,
        };
        let Some(text) = text else { continue };
        let found = match &index {
            Some(map) => map.get(&key).copied(),
            None => out.iter().position(|(k, _)| *k == key),
        };
        let at = match found {
            Some(i) => {
                out[i].1 = text;
                out_spooled.retain(|(j, _)| *j != i);
                i
            }
            None => {
                if let Some(map) = &mut index {
                    map.insert(key.clone(), out.len());
                }
                out.push((key, text));
                out.len() - 1
            }
        };
        if let Some(s) = spill {
            out_spooled.push((at, s));
        }
    }
    out_spooled.sort_unstable_by_key(|(i, _)| *i);
    (out, out_spooled)
}

/// Python 3's `re.sub(r'\W', '', key)`: keeps letters, numbers and `_`.
/// Names are nearly always ASCII, kept or dropped a byte at a time.
pub fn clean_key(name: &str) -> String {
    if name.is_ascii() {
        let mut key = name.as_bytes().to_vec();
        key.retain(|&b| pycompat::is_word(char::from(b)));
        return String::from_utf8(key).expect("ASCII");
    }
    name.chars().filter(|&c| pycompat::is_word(c)).collect()
}

/// A Content-Type as `email.message.Message` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    /// Lower-cased `type/subtype`; `text/plain` when the value is malformed.
    pub essence: String,
    /// The charset parameter, unquoted and cut at the first `,` (testtools'
    /// workaround for its own old bad output).
    pub charset: Option<String>,
}

impl ContentType {
    pub fn parse(value: &str) -> ContentType {
        let params = split_params(value);
        let first = params.first().map(|s| s.trim()).unwrap_or("");
        let essence = first.to_lowercase();
        let essence = if essence.matches('/').count() == 1 {
            essence
        } else {
            "text/plain".to_owned()
        };
        let charset = params.iter().skip(1).find_map(|p| {
            let (k, v) = p.split_once('=')?;
            if !k.trim().eq_ignore_ascii_case("charset") {
                return None;
            }
            let v = unquote(v.trim());
            Some(match v.find(',') {
                Some(i) => v[..i].to_owned(),
                None => v.to_owned(),
            })
        });
        ContentType { essence, charset }
    }

    pub fn maintype(&self) -> &str {
        self.essence.split('/').next().unwrap_or("")
    }
}

/// `email.message._parseparam`: split on `;` outside double quotes.
fn split_params(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let bytes = rest.as_bytes();
        let mut end = None;
        let mut quotes = 0usize;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if i + 1 < bytes.len() && bytes[i + 1] == b'"' => i += 1,
                b'"' => quotes += 1,
                b';' if quotes.is_multiple_of(2) => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        match end {
            Some(e) => {
                out.push(rest[..e].trim());
                rest = &rest[e + 1..];
            }
            None => {
                out.push(rest.trim());
                return out;
            }
        }
    }
}

fn unquote(v: &str) -> &str {
    if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('<') && v.ends_with('>')))
    {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

/// The codecs this port knows; unknown names decode as UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Ascii,
    Latin1,
    Cp1252,
    Utf16,
    Utf16Le,
    Utf16Be,
    Utf32,
    Utf32Le,
    Utf32Be,
}

impl Charset {
    /// Python's codec lookup: normalised name, then aliases.
    pub fn lookup(name: &str) -> Option<Charset> {
        let mut norm = String::with_capacity(name.len());
        let mut pending_sep = false;
        for c in name.trim().chars() {
            if c.is_ascii_alphanumeric() || c == '.' {
                if pending_sep && !norm.is_empty() {
                    norm.push('_');
                }
                pending_sep = false;
                norm.push(c.to_ascii_lowercase());
            } else {
                pending_sep = true;
            }
        }
        Some(match norm.as_str() {
            "utf_8" | "utf8" | "u8" | "utf" | "utf8_ucs2" | "utf8_ucs4" | "cp65001" => {
                Charset::Utf8
            }
            "ascii" | "us_ascii" | "646" | "ansi_x3.4_1968" | "ansi_x3_4_1968"
            | "ansi_x3.4_1986" | "cp367" | "csascii" | "ibm367" | "iso646_us"
            | "iso_646.irv_1991" | "iso_ir_6" | "us" => Charset::Ascii,
            "latin_1" | "latin1" | "l1" | "latin" | "iso_8859_1" | "iso8859_1" | "8859"
            | "cp819" | "iso_ir_100" | "csisolatin1" | "ibm819" | "iso_8859_1_1987" => {
                Charset::Latin1
            }
            "cp1252" | "windows_1252" | "1252" => Charset::Cp1252,
            "utf_16" | "utf16" | "u16" => Charset::Utf16,
            "utf_16_le" | "utf_16le" | "utf16le" | "unicodelittleunmarked" => Charset::Utf16Le,
            "utf_16_be" | "utf_16be" | "utf16be" | "unicodebigunmarked" => Charset::Utf16Be,
            "utf_32" | "utf32" | "u32" => Charset::Utf32,
            "utf_32_le" | "utf_32le" | "utf32le" => Charset::Utf32Le,
            "utf_32_be" | "utf_32be" | "utf32be" => Charset::Utf32Be,
            _ => return None,
        })
    }
}

/// Decodes like `bytes.decode(charset, 'replace')`; ISO-8859-1 when no
/// charset is given, UTF-8 when the charset is unknown.
pub fn decode(bytes: Vec<u8>, charset: Option<&str>) -> String {
    let cs = match charset {
        None => Charset::Latin1,
        Some(name) => Charset::lookup(name).unwrap_or(Charset::Utf8),
    };
    // ASCII reads the same in every supported charset but UTF-16/32.
    let ascii_compatible = !matches!(
        cs,
        Charset::Utf16
            | Charset::Utf16Le
            | Charset::Utf16Be
            | Charset::Utf32
            | Charset::Utf32Le
            | Charset::Utf32Be
    );
    if ascii_compatible && bytes.is_ascii() {
        return String::from_utf8(bytes).expect("ASCII is UTF-8");
    }
    let bytes = match cs {
        Charset::Utf8 => {
            return String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
        _ => bytes,
    };
    let bytes = bytes.as_slice();
    match cs {
        Charset::Utf8 => unreachable!("handled above"),
        Charset::Ascii => bytes
            .iter()
            .map(|&b| if b < 0x80 { b as char } else { '\u{FFFD}' })
            .collect(),
        Charset::Latin1 => bytes.iter().map(|&b| b as char).collect(),
        Charset::Cp1252 => bytes.iter().map(|&b| cp1252(b)).collect(),
        Charset::Utf16 => match bytes {
            [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
            [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
            _ => utf16(bytes, false),
        },
        Charset::Utf16Le => utf16(bytes, false),
        Charset::Utf16Be => utf16(bytes, true),
        Charset::Utf32 => match bytes {
            [0xFF, 0xFE, 0, 0, rest @ ..] => utf32(rest, false),
            [0, 0, 0xFE, 0xFF, rest @ ..] => utf32(rest, true),
            _ => utf32(bytes, false),
        },
        Charset::Utf32Le => utf32(bytes, false),
        Charset::Utf32Be => utf32(bytes, true),
    }
}

fn utf16(bytes: &[u8], big_endian: bool) -> String {
    let units = bytes.chunks_exact(2).map(|c| {
        if big_endian {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    let mut s: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or('\u{FFFD}'))
        .collect();
    if bytes.len() % 2 == 1 {
        s.push('\u{FFFD}');
    }
    s
}

fn utf32(bytes: &[u8], big_endian: bool) -> String {
    let mut s: String = bytes
        .chunks_exact(4)
        .map(|c| {
            let v = if big_endian {
                u32::from_be_bytes([c[0], c[1], c[2], c[3]])
            } else {
                u32::from_le_bytes([c[0], c[1], c[2], c[3]])
            };
            char::from_u32(v).unwrap_or('\u{FFFD}')
        })
        .collect();
    if !bytes.len().is_multiple_of(4) {
        s.push('\u{FFFD}');
    }
    s
}

fn cp1252(b: u8) -> char {
    const HIGH: [u16; 32] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ];
    match b {
        0x80..=0x9F => char::from_u32(u32::from(HIGH[usize::from(b - 0x80)])).unwrap_or('\u{FFFD}'),
        _ => b as char,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn att(name: &str, mime: Option<&str>, bytes: &[u8]) -> Attachment {
        Attachment {
            name: name.into(),
            mime: mime.map(Into::into),
            bytes: bytes.into(),
        }
    }

    #[test]
    fn keys_keep_unicode_word_characters_only() {
        assert_eq!(clean_key("pythonlogging:''"), "pythonlogging");
        assert_eq!(clean_key("a b/c.d"), "abcd");
        assert_eq!(clean_key("::"), "");
        assert_eq!(clean_key("ümläut"), "ümläut");
        assert_eq!(clean_key("日本"), "日本");
        assert_eq!(clean_key("a²½_ü-ä"), "a²½_üä");
        assert_eq!(clean_key("test_pyt.py"), "test_pytpy");
        // A combining mark is not a word character for Python.
        assert_eq!(clean_key("e\u{301}x"), "ex");
        // The ASCII path keeps what the character path keeps.
        let every: String = (0..128u8).map(char::from).collect();
        let by_char: String = every.chars().filter(|&c| pycompat::is_word(c)).collect();
        assert_eq!(clean_key(&every), by_char);
        assert_eq!(by_char.len(), 63);
    }

    #[test]
    fn colliding_keys_keep_first_position_and_last_value() {
        let d = clean_details(vec![
            att("std-out", Some("text/plain"), b"one"),
            att("log", Some("text/plain"), b"log"),
            att("stdout", Some("text/plain"), b"two"),
            att("std out", Some("text/plain"), b""),
        ]);
        assert_eq!(
            d,
            vec![
                ("stdout".into(), "two".into()),
                ("log".into(), "log".into())
            ]
        );
    }

    #[test]
    fn many_attachments_use_the_same_rules() {
        let mut atts: Vec<_> = (0..20)
            .map(|i| att(&format!("k-{i}"), Some("text/plain"), b"first"))
            .collect();
        atts.extend((0..20).rev().map(|i| {
            att(
                &format!("k{i}"),
                Some("text/plain"),
                format!("last {i}").as_bytes(),
            )
        }));
        let d = clean_details(atts);
        assert_eq!(d.len(), 20);
        for (i, (k, v)) in d.iter().enumerate() {
            assert_eq!(k, &format!("k{i}"));
            assert_eq!(v, &format!("last {i}"));
        }
    }

    #[test]
    fn content_types_parse_like_email_headers() {
        let ct = ContentType::parse("text/plain;charset=utf8,language=python");
        assert_eq!(ct.essence, "text/plain");
        assert_eq!(ct.charset.as_deref(), Some("utf8"));
        let ct = ContentType::parse("TEXT/X-Log; CHARSET=\"UTF-8\"");
        assert_eq!(ct.essence, "text/x-log");
        assert_eq!(ct.charset.as_deref(), Some("UTF-8"));
        assert_eq!(ContentType::parse("notamime").essence, "text/plain");
        assert_eq!(ContentType::parse("").essence, "text/plain");
        assert_eq!(ContentType::parse("a/b/c").essence, "text/plain");
    }

    #[test]
    fn text_rules() {
        assert_eq!(
            att("x", None, "café".as_bytes()).into_text().as_deref(),
            Some("café")
        );
        assert_eq!(att("x", None, b"\x00\x01\xff").into_text(), None);
        assert_eq!(att("x", Some("image/png"), b"png").into_text(), None);
        assert_eq!(att("x", Some("text/plain"), b"").into_text(), None);
        assert_eq!(
            att("x", Some("text/plain"), "café".as_bytes())
                .into_text()
                .as_deref(),
            Some("caf\u{c3}\u{a9}")
        );
        assert_eq!(
            att("x", Some("text/plain;charset=utf8"), b"bad \xff\xfe utf8")
                .into_text()
                .as_deref(),
            Some("bad \u{fffd}\u{fffd} utf8")
        );
        assert_eq!(
            att("x", Some("text/plain;charset=klingon"), b"x")
                .into_text()
                .as_deref(),
            Some("x")
        );
        assert_eq!(
            att(
                "x",
                Some("text/plain;charset=utf-16"),
                b"\xff\xfeh\x00i\x00"
            )
            .into_text()
            .as_deref(),
            Some("hi")
        );
        assert_eq!(
            att("x", Some("text/plain;charset=ascii"), b"a\xe9")
                .into_text()
                .as_deref(),
            Some("a\u{fffd}")
        );
    }
}
