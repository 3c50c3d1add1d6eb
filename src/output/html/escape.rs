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

pub(super) fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        let digits = [18, 12, 6, 0].map(|s| ABC[(n >> s & 63) as usize] as char);
        out.push(digits[0]);
        out.push(digits[1]);
        out.push(if c.len() > 1 { digits[2] } else { '=' });
        out.push(if c.len() > 2 { digits[3] } else { '=' });
    }
    out
}
