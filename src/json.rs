//! JSON string escaping for the bulk of the output (attachment text).
//!
//! serde_json escapes byte by byte; attachment text is megabytes of mostly
//! plain characters, so this scans eight bytes at a time for the three things
//! JSON must escape (`"`, `\`, control characters) and copies the runs
//! between them.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `w` needs escaping (may report a false positive
/// after a true one, never a false negative).
#[inline]
fn needs_escape(w: u64) -> bool {
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let ctrl = w.wrapping_sub(LO * 0x20) & !w & HI;
    (ctrl | zero(w ^ (LO * b'"' as u64)) | zero(w ^ (LO * b'\\' as u64))) != 0
}

#[inline]
fn byte_needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Appends `s` as a JSON string literal, quotes included.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut base = 0;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        if needs_escape(u64::from_le_bytes(w.try_into().expect("8 bytes"))) {
            escape_run(out, bytes, w, base, &mut start);
        }
        base += 8;
    }
    escape_run(out, bytes, words.remainder(), base, &mut start);
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Escapes what needs it in `part` (at `base` in `bytes`), flushing the
/// plain run before each escape.
#[inline]
fn escape_run(out: &mut Vec<u8>, bytes: &[u8], part: &[u8], base: usize, start: &mut usize) {
    for (j, &b) in part.iter().enumerate() {
        if byte_needs_escape(b) {
            let i = base + j;
            out.extend_from_slice(&bytes[*start..i]);
            escape(out, b);
            *start = i + 1;
        }
    }
}

fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(b >> 4)],
            HEX[usize::from(b & 0xf)],
        ]),
    }
}

/// Appends `{"k": "v", …}` for ordered pairs.
pub fn write_pairs(out: &mut Vec<u8>, pairs: &[(String, String)]) {
    out.push(b'{');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        write_str(out, k);
        out.extend_from_slice(b": ");
        write_str(out, v);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(s: &str) -> String {
        let mut v = Vec::new();
        write_str(&mut v, s);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn matches_serde_json_on_tricky_text() {
        let samples = [
            "",
            "plain ascii text that is long enough for words",
            "quote \" backslash \\ newline \n tab \t cr \r",
            "\u{0}\u{1}\u{1f}\u{7f} control",
            "ünïcödé \u{2028} \u{1F600} mixed \"with\" escapes\n",
            "12345678\"12345678\\12345678\n",
            "\u{8}\u{c}",
        ];
        for s in samples {
            assert_eq!(ours(s), serde_json::to_string(s).unwrap(), "{s:?}");
            let back: String = serde_json::from_str(&ours(s)).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn every_byte_position_in_a_word_is_checked() {
        for pos in 0..16 {
            for c in ['"', '\\', '\n', '\u{0}', '\u{1f}'] {
                let mut s = "a".repeat(16);
                s.replace_range(pos..pos + 1, &c.to_string());
                assert_eq!(ours(&s), serde_json::to_string(&s).unwrap());
            }
        }
    }
}
