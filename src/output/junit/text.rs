//! Text as quick-junit writes it: through its filter (`XmlString`: terminal
//! escape codes and control characters removed), then XML-escaped.
//!
//! The filter runs a terminal parser one character at a time, which for
//! the kilobytes of log text per test was most of the JUnit output's cost.
//! Nearly all text has nothing for it to remove, so one pass checks for
//! the only bytes it acts on and escapes at the same time; text that has
//! them goes through quick-junit's filter itself.

use std::borrow::Cow;

use quick_junit::XmlString;

/// What each byte needs: copied as is, an entity, or a look at the
/// filter (controls other than the line feed, ESC among them; the C1
/// controls are looked for before, see [`has_c1`]).
const PLAIN: u8 = 0;
const ENTITY: u8 = 1;
const CHECK: u8 = 2;

const CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = CHECK;
        b += 1;
    }
    t[b'\n' as usize] = PLAIN;
    t[b'<' as usize] = ENTITY;
    t[b'>' as usize] = ENTITY;
    t[b'&' as usize] = ENTITY;
    t[b'\'' as usize] = ENTITY;
    t[b'"' as usize] = ENTITY;
    t
};

/// Appends `text` to `out` as quick-junit writes it (filtered, escaped),
/// with [`xml_chars`] applied.
pub(super) fn push(out: &mut Vec<u8>, text: &str) {
    let b = text.as_bytes();
    // Names, types and property values are short and nearly always plain:
    // one pass the compiler vectorises (no early exit), then one copy.
    if b.len() <= 256 && !b.iter().fold(false, |any, &c| any | maybe_special(c)) {
        out.extend_from_slice(b);
        return;
    }
    let text = &*xml_chars(text);
    let start = out.len();
    if has_c1(text.as_bytes()) || !escape(text, true, out) {
        out.truncate(start);
        escape(&XmlString::new(text), false, out);
    }
}

/// Bytes that are not [`PLAIN`], line feeds (all controls are looked at),
/// and the first byte of a C1 control or of U+FFFE/U+FFFF.
#[inline(always)]
fn maybe_special(c: u8) -> bool {
    (c < 0x20) | matches!(c, b'<' | b'>' | b'&' | b'\'' | b'"' | 0xC2 | 0xEF)
}

/// `text` with U+FFFE and U+FFFF replaced by U+FFFD. XML 1.0 has no such
/// characters, not even as references, and quick-junit's filter lets them
/// through: one in a test id or a log made the whole report unreadable to
/// every XML parser (expat, lxml, so junitparser, Jenkins, GitLab). The
/// other characters XML lacks are controls (the filter removes them) and
/// surrogates (a Rust string holds none).
pub(super) fn xml_chars(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let noncharacter =
        |p: usize| b.get(p + 1) == Some(&0xBF) && matches!(b.get(p + 2), Some(0xBE | 0xBF));
    if memchr::memchr_iter(0xEF, b).any(noncharacter) {
        Cow::Owned(text.replace(['\u{FFFE}', '\u{FFFF}'], "\u{FFFD}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Whether the text holds a C1 control (U+0080–U+009F: 0xC2 0x80..=0x9F),
/// which the filter removes. 0xC2 is rare in logs; memchr finds it fast.
fn has_c1(b: &[u8]) -> bool {
    memchr::memchr_iter(0xC2, b).any(|p| b.get(p + 1).is_some_and(|&n| n <= 0x9F))
}

/// The XML writer's escape of a special character (the same in text and
/// in attribute values), padded to six bytes, and its length.
fn entity6(b: u8) -> ([u8; 6], usize) {
    match b {
        b'<' => (*b"&lt;\0\0", 4),
        b'>' => (*b"&gt;\0\0", 4),
        b'&' => (*b"&amp;\0", 5),
        b'\'' => (*b"&apos;", 6),
        _ => (*b"&quot;", 6),
    }
}

/// Stages one byte the mask flagged at `tmp[*n]`: its entity, or the byte
/// itself (a line feed, or a byte flagged needlessly). False for a byte
/// the filter acts on while `check` asks to stop there.
#[inline(always)]
fn stage_byte(c: u8, tmp: &mut [u8], n: &mut usize, check: bool) -> bool {
    match CLASS[c as usize] {
        ENTITY => {
            let (e, len) = entity6(c);
            tmp[*n..*n + 6].copy_from_slice(&e);
            *n += len;
        }
        CHECK if check => return false,
        _ => {
            tmp[*n] = c;
            *n += 1;
        }
    }
    true
}

/// Output is staged in a small stack buffer with fixed-size stores (a
/// whole word, then the cursor moves by the part that counts) and flushed
/// every few hundred bytes: log text dense with quotes then costs no copy
/// call per entity.
const STAGE: usize = 512;

/// Appends `text` escaped to `out`. With `check`, returns false, having
/// appended part of it, when the text holds a control character other
/// than the line feed (the filter acts on those; C1 controls are for the
/// caller to rule out). Eight bytes are looked at together (see [`mask`]).
fn escape(text: &str, check: bool, out: &mut Vec<u8>) -> bool {
    let b = text.as_bytes();
    out.reserve(b.len());
    if b.len() < 32 {
        // Names and attributes: not worth setting up the stage.
        for &c in b {
            match CLASS[c as usize] {
                PLAIN => out.push(c),
                ENTITY => {
                    let (e, len) = entity6(c);
                    out.extend_from_slice(&e[..len]);
                }
                _ if check => return false,
                _ => out.push(c),
            }
        }
        return true;
    }
    // Headroom past STAGE for one word of six-byte entities plus a store.
    let mut tmp = [0u8; STAGE + 64];
    let mut n = 0;
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let v = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        let mut m = mask(v);
        let mut j = 0; // bytes of the word already staged
        while m != 0 {
            let p = (m.trailing_zeros() / 8) as usize;
            // Store the rest of the word; keep the plain run before p.
            tmp[n..n + 8].copy_from_slice(&(v >> (8 * j)).to_le_bytes());
            n += p - j;
            if !stage_byte(w[p], &mut tmp, &mut n, check) {
                return false;
            }
            j = p + 1;
            m &= m - 1;
        }
        if j < 8 {
            tmp[n..n + 8].copy_from_slice(&(v >> (8 * j)).to_le_bytes());
            n += 8 - j;
        }
        if n >= STAGE {
            out.extend_from_slice(&tmp[..n]);
            n = 0;
        }
    }
    for &c in words.remainder() {
        if !stage_byte(c, &mut tmp, &mut n, check) {
            return false;
        }
    }
    out.extend_from_slice(&tmp[..n]);
    true
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that is not plain in [`CLASS`], and
/// of some others: line feeds (every control is flagged) and bytes just
/// above a flagged one (the subtraction's borrow). Each flagged byte is
/// looked up in [`CLASS`]; the mask only has to miss none.
#[inline(always)]
fn mask(w: u64) -> u64 {
    let zero = |y: u64| y.wrapping_sub(LO) & !y & HI;
    let below_space = w.wrapping_sub(LO * 0x20) & !w & HI;
    // `&` 0x26 and `'` 0x27 differ in bit 0; `<` 0x3C and `>` 0x3E in bit 1.
    let amp_apos = zero((w ^ (LO * 0x26)) & !LO);
    let lt_gt = zero((w ^ (LO * 0x3C)) & !(LO * 0x02));
    below_space | amp_apos | lt_gt | zero(w ^ (LO * u64::from(b'"')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pushed(s: &str) -> String {
        let mut out = Vec::new();
        push(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn characters_xml_lacks_become_the_replacement_character() {
        // Short (the plain path's check) and long (the escaper's).
        assert_eq!(pushed("a\u{FFFF}b\u{FFFE}"), "a\u{FFFD}b\u{FFFD}");
        let long = format!("{}\u{FFFF}<\u{FFFD}\u{FFFC}", "x".repeat(300));
        assert_eq!(
            pushed(&long),
            format!("{}\u{FFFD}&lt;\u{FFFD}\u{FFFC}", "x".repeat(300))
        );
        assert_eq!(xml_chars("\u{FEFF}\u{EFBF}"), "\u{FEFF}\u{EFBF}");
        assert!(matches!(xml_chars("plain é"), Cow::Borrowed(_)));
    }

    #[test]
    fn plain_text_is_only_escaped() {
        assert_eq!(
            pushed("a<b> & \"c\" 'd' é\u{a0}\n"),
            "a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; é\u{a0}\n"
        );
        assert_eq!(pushed(""), "");
    }

    #[test]
    fn text_the_filter_acts_on_goes_through_it() {
        for s in ["\t", "\r", "\u{1b}[0m", "\0"] {
            assert!(!escape(s, true, &mut Vec::new()), "{s:?}");
            assert!(!escape(&s.repeat(40), true, &mut Vec::new()), "{s:?}");
        }
        assert!(has_c1("x\u{85}".as_bytes()) && has_c1("\u{9f}".as_bytes()));
        assert!(!has_c1("nbsp\u{a0} ¿".as_bytes()));
        let naive = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('\'', "&apos;")
                .replace('"', "&quot;")
        };
        for s in [
            "red \u{1b}[31m<x>\u{1b}[0m\tend\r\n",
            "c1 \u{85}\u{9b}1m nel",
            "osc \u{1b}]0;title\u{7} after",
            "del\u{7f} nul\0 ends in ESC\u{1b}",
        ] {
            assert_eq!(pushed(s), naive(&XmlString::new(s)), "{s:?}");
        }
        assert_eq!(pushed("a\u{1b}[1mb\tc"), "abc");
    }

    #[test]
    fn the_short_path_passes_only_plain_bytes() {
        for c in 0..=255u8 {
            assert_eq!(
                maybe_special(c),
                CLASS[c as usize] != PLAIN || matches!(c, 0xC2 | 0xEF | b'\n'),
                "{c:#x}"
            );
        }
    }

    #[test]
    fn the_word_mask_misses_no_special_byte() {
        for c in 0..=255u8 {
            let special = CLASS[c as usize] != PLAIN;
            for pos in 0..8 {
                for fill in [b'a', 0x01, 0x27, 0x3D, 0xFF] {
                    let mut w = [fill; 8];
                    w[pos] = c;
                    let bit = mask(u64::from_le_bytes(w)) >> (8 * pos + 7) & 1;
                    assert!(!special || bit == 1, "byte {c:#x} at {pos} among {fill:#x}");
                }
            }
        }
        // No false alarms in plain text.
        assert_eq!(mask(u64::from_le_bytes(*b"plain ab")), 0);
    }
}
