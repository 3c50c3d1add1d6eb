//! What the report reads from attachments whose names depend on the
//! producer: the traceback (`traceback`, unittest's subTest
//! `traceback (i=2)`, pytest-subunit's attachment named after the test
//! file) and the skip reason (`reason`, tap2subunit's `tap comment`,
//! pytest-subunit's `('file', line, 'Skipped: …')`).

/// The attachment that holds a failure's traceback, if any.
pub(crate) fn traceback(details: &[(String, String)]) -> Option<&str> {
    let by_key = |pred: &dyn Fn(&str) -> bool| {
        details
            .iter()
            .find(|(k, v)| pred(k) && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    };
    by_key(&|k| k == "traceback")
        .or_else(|| by_key(&|k| k.starts_with("traceback")))
        .or_else(|| {
            details
                .iter()
                .find(|(_, v)| {
                    v.contains("Traceback (most recent call last):")
                        || v.lines().any(|l| l.starts_with("E   "))
                })
                .map(|(_, v)| v.as_str())
        })
}

/// A skip's reason: the `reason` attachment, else one whose name says it
/// is a reason or a comment; pytest-subunit's tuple is reduced to its
/// message.
pub(crate) fn skip_reason(details: &[(String, String)]) -> Option<&str> {
    let named = |pred: &dyn Fn(&str) -> bool| {
        details
            .iter()
            .find(|(k, v)| pred(&k.to_ascii_lowercase()) && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    };
    if let Some(r) = named(&|k| k == "reason") {
        return Some(r);
    }
    if let Some(r) = named(&|k| k.contains("reason") || k.replace(' ', "") == "tapcomment") {
        return Some(r.trim());
    }
    details.iter().find_map(|(_, v)| pytest_skip(v))
}

/// `('/path/test_x.py', 20, 'Skipped: needs a GPU')` → `needs a GPU`.
fn pytest_skip(text: &str) -> Option<&str> {
    let t = text.trim();
    let inner = t.strip_prefix('(')?.strip_suffix(')')?;
    let at = inner
        .find("'Skipped: ")
        .or_else(|| inner.find("\"Skipped: "))?;
    let msg = &inner[at + 1 + "Skipped: ".len()..];
    Some(msg.strip_suffix(['\'', '"']).unwrap_or(msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn tracebacks_are_found_whatever_their_attachment_is_called() {
        let tb = "Traceback (most recent call last):\n  File \"x\", line 1\nKeyError: 1\n";
        assert_eq!(traceback(&d(&[("log", "x"), ("traceback", tb)])), Some(tb));
        assert_eq!(traceback(&d(&[("traceback (i=2)", tb)])), Some(tb));
        let py = "\n    def test_fail():\n>       assert 1 == 2\nE       assert 1 == 2\n\nt.py:9: AssertionError\n";
        assert_eq!(traceback(&d(&[("tests/t.py", py)])), Some(py));
        assert_eq!(traceback(&d(&[("pythonlogging:''", "started\n")])), None);
    }

    #[test]
    fn skip_reasons_from_each_producer() {
        assert_eq!(skip_reason(&d(&[("reason", "no GPU")])), Some("no GPU"));
        assert_eq!(
            skip_reason(&d(&[("tap comment", "no network\n")])),
            Some("no network")
        );
        assert_eq!(
            skip_reason(&d(&[("t.py", "('/w/t.py', 20, 'Skipped: needs a GPU')\n")])),
            Some("needs a GPU")
        );
        assert_eq!(skip_reason(&d(&[("log", "hello")])), None);
    }
}
