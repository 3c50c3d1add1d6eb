//! Escaping for the places text goes in the page: script JSON, HTML, base64.

/// Makes JSON safe inside a `<script>` element: `</` → `<\/` and
/// `<!` → `\u003c!`. `<` only occurs inside JSON strings, where both
/// spellings mean the same text.
pub(super) fn escape_script_json(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + json.len() / 64);
    let mut i = 0;
    while i < json.len() {
        match (json[i], json.get(i + 1)) {
            (b'<', Some(b'/')) => {
                out.extend_from_slice(b"<\\/");
                i += 2;
            }
            (b'<', Some(b'!')) => {
                out.extend_from_slice(b"\\u003c!");
                i += 2;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

pub(super) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
pub(super) fn base64(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    base64_into(&mut out, bytes);
    String::from_utf8(out).expect("base64 is ASCII")
}

/// The base64 alphabet.
const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The two base64 digits of every 12 bits: one lookup per two digits.
static PAIRS: [[u8; 2]; 4096] = {
    let mut t = [[0u8; 2]; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = [ABC[i >> 6], ABC[i & 63]];
        i += 1;
    }
    t
};

/// Appends the standard base64 of `bytes` (with padding) to `out`; the
/// attachment chunks pass through here, so it writes whole groups into
/// room made once, six bytes at a time with two-digit lookups (half the
/// instructions of a digit at a time: M's page is 8.8 MB of base64).
pub(super) fn base64_into(out: &mut Vec<u8>, bytes: &[u8]) {
    let at = out.len();
    out.resize(at + bytes.len().div_ceil(3) * 4, 0);
    let dst = &mut out[at..];
    let sixes = bytes.chunks_exact(6);
    let tail = sixes.remainder();
    let mut eights = dst.chunks_exact_mut(8);
    for (c, d) in sixes.zip(&mut eights) {
        let n = u64::from_be_bytes([0, 0, c[0], c[1], c[2], c[3], c[4], c[5]]);
        let [a, b] = PAIRS[(n >> 36) as usize];
        let [e, f] = PAIRS[(n >> 24 & 0xfff) as usize];
        let [g, h] = PAIRS[(n >> 12 & 0xfff) as usize];
        let [k, l] = PAIRS[(n & 0xfff) as usize];
        d.copy_from_slice(&[a, b, e, f, g, h, k, l]);
    }
    let done = bytes.len() / 6 * 8;
    let whole = tail.chunks_exact(3);
    let rest = whole.remainder();
    let mut groups = dst[done..].chunks_exact_mut(4);
    for (c, d) in whole.zip(&mut groups) {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        d[..2].copy_from_slice(&PAIRS[(n >> 12) as usize]);
        d[2..].copy_from_slice(&PAIRS[(n & 0xfff) as usize]);
    }
    if let Some(d) = groups.next() {
        let n = (u32::from(rest[0]) << 16) | (u32::from(*rest.get(1).unwrap_or(&0)) << 8);
        d[0] = ABC[(n >> 18) as usize];
        d[1] = ABC[(n >> 12 & 63) as usize];
        d[2] = if rest.len() > 1 {
            ABC[(n >> 6 & 63) as usize]
        } else {
            b'='
        };
        d[3] = b'=';
    }
}
