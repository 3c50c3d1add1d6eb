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

/// Appends the standard base64 of `bytes` (with padding) to `out`, into
/// room made once: the attachment chunks pass through here (M's page is
/// 8.8 MB of base64).
pub(super) fn base64_into(out: &mut Vec<u8>, bytes: &[u8]) {
    use base64::Engine as _;
    let at = out.len();
    let len = base64::encoded_len(bytes.len(), true).expect("a chunk's base64 fits in memory");
    out.resize(at + len, 0);
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(bytes, &mut out[at..])
        .expect("room made for it");
    debug_assert_eq!(written, len);
}
