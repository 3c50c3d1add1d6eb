//! The Python semantics the port reproduces, in one place.
//!
//! The Python exporter's output depends on how `str.strip()`,
//! `str.splitlines()`, `str.split()` and `re.sub(r'\W', …)` treat Unicode.
//! Rust's own definitions differ at the edges (the separators U+001C–U+001F
//! are whitespace to Python, not to Rust; Python splits lines at U+2028…), so
//! every layer that must agree with Python calls these, never its own copy.
//! This module depends on nothing else in the crate.

use unicode_general_category::{get_general_category, GeneralCategory as Gc};

/// `str.isspace()` for one character: Unicode White_Space plus the
/// separators U+001C–U+001F. `str.split()` and `str.strip()` use it.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `str.strip()` with no argument.
pub(crate) fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// A line boundary to `str.splitlines()`.
fn is_line_boundary(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{b}'
            | '\u{c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// `str.splitlines()`: every line boundary Python knows, `\r\n` as one, no
/// empty last line for a trailing boundary. The export needs only a text's
/// last lines ([`last_lines`]); this whole form is their reference.
#[cfg(test)]
pub(crate) fn splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if is_line_boundary(c) {
            out.push(&s[start..i]);
            let mut next = i + c.len_utf8();
            if c == '\r' {
                if let Some(&(j, '\n')) = it.peek() {
                    it.next();
                    next = j + 1;
                }
            }
            start = next;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// The last `n` lines of [`splitlines`]`(s)`, in order, found from the end:
/// a traceback's last lines without splitting all of it.
pub(crate) fn last_lines(s: &str, n: usize) -> Vec<&str> {
    let mut out = Vec::with_capacity(n);
    // Where the line being collected ends; None until the first boundary
    // from the end, so that a trailing boundary makes no empty line.
    let mut end = s.len();
    let mut seen_boundary = false;
    let mut it = s.char_indices().rev().peekable();
    while let Some((i, c)) = it.next() {
        if out.len() == n {
            break;
        }
        if !is_line_boundary(c) {
            continue;
        }
        let mut at = i;
        if c == '\n' {
            if let Some(&(j, '\r')) = it.peek() {
                it.next();
                at = j;
            }
        }
        let after = i + c.len_utf8();
        if seen_boundary || after < s.len() {
            out.push(&s[after..end]);
        }
        seen_boundary = true;
        end = at;
    }
    if out.len() < n && (seen_boundary || !s.is_empty()) {
        out.push(&s[..end]);
    }
    out.reverse();
    out
}

/// A character of the regular expression class `\w` in Python 3 (`str`
/// patterns): letters, numbers and `_`. `\W` is its complement.
pub(crate) fn is_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    matches!(
        get_general_category(c),
        Gc::UppercaseLetter
            | Gc::LowercaseLetter
            | Gc::TitlecaseLetter
            | Gc::ModifierLetter
            | Gc::OtherLetter
            | Gc::DecimalNumber
            | Gc::LetterNumber
            | Gc::OtherNumber
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_boundaries() {
        assert_eq!(
            splitlines("a\r\nb\rc\u{2028}d\u{b}e"),
            vec!["a", "b", "c", "d", "e"]
        );
        assert_eq!(splitlines("a\n\nb\n"), vec!["a", "", "b"]);
        assert_eq!(splitlines(""), Vec::<&str>::new());
    }

    #[test]
    fn last_lines_are_the_end_of_splitlines() {
        for s in [
            "",
            "a",
            "\n",
            "\r\n",
            "a\n",
            "\na",
            "a\r\nb\rc\u{2028}d\u{b}e",
            "a\n\nb\n",
            "a\r\r\nb",
            "x\r",
            "\n\n\n",
        ] {
            let all = splitlines(s);
            for n in 0..4 {
                let want = &all[all.len().saturating_sub(n)..];
                assert_eq!(last_lines(s, n), want, "{s:?}, {n}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn last_lines_agree_with_splitlines(
            s in "[a\r\n\u{b}\u{c}\u{1c}\u{85}\u{2028}é]{0,24}",
            n in 0usize..4,
        ) {
            let all = splitlines(&s);
            proptest::prop_assert_eq!(last_lines(&s, n), &all[all.len().saturating_sub(n)..]);
        }
    }

    #[test]
    fn whitespace_includes_the_information_separators() {
        assert_eq!(strip("\u{1f}\u{a0} x \u{3000}"), "x");
        assert!(is_space('\u{1c}'));
        assert!(!is_space('\u{200b}'), "ZERO WIDTH SPACE is not whitespace");
        let words: Vec<&str> = "a\u{1d}b  c"
            .split(is_space)
            .filter(|w| !w.is_empty())
            .collect();
        assert_eq!(words, ["a", "b", "c"]);
    }

    #[test]
    fn word_characters() {
        assert!(is_word('_') && is_word('é') && is_word('٣') && is_word('Ⅳ'));
        assert!(!is_word('-') && !is_word(' ') && !is_word('·'));
    }
}
