//! JSON string escaping for the bulk of the output (attachment text).
//!
//! serde_json escapes byte by byte; attachment text is megabytes of mostly
//! plain characters, so this scans eight bytes at a time for the three things
//! JSON must escape (`"`, `\`, control characters) and copies the runs
//! between them.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// The high bit of every byte of `w` that JSON must escape: `"`, `\` and
/// control characters. Exact (no carries between bytes), so the set bits
/// can be walked one by one.
#[inline(always)]
fn escape_mask(w: u64) -> u64 {
    let is_zero = |y: u64| !(((y & LOW7) + LOW7) | y) & HI;
    let below_space = !(((w & LOW7) + LO * (0x80 - 0x20)) | w) & HI;
    below_space | is_zero(w ^ (LO * u64::from(b'"'))) | is_zero(w ^ (LO * u64::from(b'\\')))
}

/// Output is staged in a small stack buffer using only fixed-size stores
/// (whole words, then the cursor advances by the part that counts), and
/// flushed every few KiB: text with dense quotes (JSON bodies in logs)
/// then costs no copy call per run.
const STAGE: usize = 512;

/// Appends `s` as a JSON string literal, quotes included.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if bytes.len() < 32 {
        // Short keys and names: not worth setting up the stage.
        for &b in bytes {
            let (esc, len) = escape_bytes(b);
            if b < 0x20 || b == b'"' || b == b'\\' {
                out.extend_from_slice(&esc[..len]);
            } else {
                out.push(b);
            }
        }
        out.push(b'"');
        return;
    }
    // Headroom past STAGE for one word of six-byte escapes plus a store.
    let mut tmp = [0u8; STAGE + 64];
    let mut n = 0;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let v = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        let mut mask = escape_mask(v);
        let mut j = 0u32; // bytes of the word already consumed
        while mask != 0 {
            let p = mask.trailing_zeros() / 8;
            // Store the rest of the word, keep only the plain run before p.
            tmp[n..n + 8].copy_from_slice(&(v >> (8 * j)).to_le_bytes());
            n += (p - j) as usize;
            let (esc, len) = escape_bytes(w[p as usize]);
            tmp[n..n + 6].copy_from_slice(&esc);
            n += len;
            j = p + 1;
            mask &= mask - 1;
        }
        if j < 8 {
            tmp[n..n + 8].copy_from_slice(&(v >> (8 * j)).to_le_bytes());
            n += (8 - j) as usize;
        }
        if n >= STAGE {
            out.extend_from_slice(&tmp[..n]);
            n = 0;
        }
    }
    for &b in words.remainder() {
        let (esc, len) = escape_bytes(b);
        if b < 0x20 || b == b'"' || b == b'\\' {
            tmp[n..n + 6].copy_from_slice(&esc);
            n += len;
        } else {
            tmp[n] = b;
            n += 1;
        }
    }
    out.extend_from_slice(&tmp[..n]);
    out.push(b'"');
}

/// The escape sequence for `b` (padded to six bytes) and its length.
#[inline(always)]
fn escape_bytes(b: u8) -> ([u8; 6], usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let two = |c: u8| ([b'\\', c, 0, 0, 0, 0], 2);
    match b {
        b'"' => two(b'"'),
        b'\\' => two(b'\\'),
        b'\n' => two(b'n'),
        b'\r' => two(b'r'),
        b'\t' => two(b't'),
        0x08 => two(b'b'),
        0x0c => two(b'f'),
        _ => (
            [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ],
            6,
        ),
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
            "short \"q\"\n",
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
