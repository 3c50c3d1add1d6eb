//! Text as quick-junit writes it: through its filter (`XmlString`: terminal
//! escape codes and control characters removed), then XML-escaped.
//!
//! The filter runs a terminal parser one character at a time, which for
//! the kilobytes of log text per test was most of the JUnit output's cost.
//! Nearly all text has nothing for it to remove, so one pass checks for
//! the only bytes it acts on and escapes at the same time; text that has
//! them goes through quick-junit's filter itself.

use quick_junit::XmlString;

/// What each byte needs: copied as is, an entity, or a look at the
/// filter (controls other than the line feed, ESC among them; 0xC2, the
/// lead byte of the C1 controls U+0080–U+009F).
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
    t[0xC2] = CHECK;
    t[b'<' as usize] = ENTITY;
    t[b'>' as usize] = ENTITY;
    t[b'&' as usize] = ENTITY;
    t[b'\'' as usize] = ENTITY;
    t[b'"' as usize] = ENTITY;
    t
};

/// The XML writer's escapes for the five special characters, in text and
/// in attribute values alike.
fn entity(b: u8) -> &'static [u8] {
    match b {
        b'<' => b"&lt;",
        b'>' => b"&gt;",
        b'&' => b"&amp;",
        b'\'' => b"&apos;",
        _ => b"&quot;",
    }
}

/// Appends `text` to `out` as quick-junit writes it (filtered, escaped).
pub(super) fn push(out: &mut Vec<u8>, text: &str) {
    let start = out.len();
    if !escape(text, true, out) {
        out.truncate(start);
        escape(&XmlString::new(text), false, out);
    }
}

/// Appends `text` escaped to `out`. With `check`, returns false, having
/// appended part of it, when the text holds a character the filter would
/// act on; the filter leaves any other text unchanged. Eight bytes are
/// looked at together (see [`mask`]).
fn escape(text: &str, check: bool, out: &mut Vec<u8>) -> bool {
    let b = text.as_bytes();
    out.reserve(b.len());
    let mut from = 0;
    let mut words = b.chunks_exact(8);
    let mut at = 0;
    for w in &mut words {
        let mut m = mask(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        while m != 0 {
            let p = at + (m.trailing_zeros() / 8) as usize;
            if !special(b, p, check, &mut from, out) {
                return false;
            }
            m &= m - 1;
        }
        at += 8;
    }
    for p in at..b.len() {
        if CLASS[b[p] as usize] != PLAIN && !special(b, p, check, &mut from, out) {
            return false;
        }
    }
    out.extend_from_slice(&b[from..]);
    true
}

/// Handles the byte at `p`, which [`CLASS`] does not call plain: writes
/// the plain run before it and its entity, or (with `check`) returns false
/// when the filter would act on it.
#[inline(always)]
fn special(b: &[u8], p: usize, check: bool, from: &mut usize, out: &mut Vec<u8>) -> bool {
    let c = b[p];
    match CLASS[c as usize] {
        ENTITY => {
            out.extend_from_slice(&b[*from..p]);
            out.extend_from_slice(entity(c));
            *from = p + 1;
            true
        }
        CHECK => {
            // 0xC2 followed by 0xA0..=0xBF is an ordinary character.
            let c1 = c == 0xC2 && b.get(p + 1).is_some_and(|&n| n <= 0x9F);
            !check || (c == 0xC2 && !c1)
        }
        _ => true,
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// The high bit of each byte of `w` that is not plain in [`CLASS`]. Exact
/// per byte (no carries between bytes), so the bits can be walked.
#[inline(always)]
fn mask(w: u64) -> u64 {
    let zero = |y: u64| !(((y & LOW7) + LOW7) | y) & HI;
    let below_space = !(((w & LOW7) + LO * (0x80 - 0x20)) | w) & HI;
    let newline = zero(w ^ (LO * u64::from(b'\n')));
    // `&` 0x26 and `'` 0x27 differ in bit 0; `<` 0x3C and `>` 0x3E in bit 1.
    let amp_apos = zero((w ^ (LO * 0x26)) & !LO);
    let lt_gt = zero((w ^ (LO * 0x3C)) & !(LO * 0x02));
    (below_space & !newline)
        | amp_apos
        | lt_gt
        | zero(w ^ (LO * u64::from(b'"')))
        | zero(w ^ (LO * 0xC2))
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
    fn plain_text_is_only_escaped() {
        assert_eq!(
            pushed("a<b> & \"c\" 'd' é\u{a0}\n"),
            "a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; é\u{a0}\n"
        );
        assert_eq!(pushed(""), "");
    }

    #[test]
    fn text_the_filter_acts_on_goes_through_it() {
        for s in ["\t", "\r", "\u{1b}[0m", "\u{85}", "\u{9f}", "\0"] {
            assert!(!escape(s, true, &mut Vec::new()), "{s:?}");
        }
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
    fn every_byte_is_classed_alike_in_words_and_alone() {
        for c in 0..=255u8 {
            let special = CLASS[c as usize] != PLAIN;
            for pos in 0..8 {
                let mut w = [b'a'; 8];
                w[pos] = c;
                let m = mask(u64::from_le_bytes(w));
                assert_eq!(
                    m,
                    u64::from(special) << (8 * pos + 7),
                    "byte {c:#x} at {pos}"
                );
            }
        }
    }
}
