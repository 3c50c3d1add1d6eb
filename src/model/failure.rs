//! Why a test failed, in one line, and a signature that groups failures
//! with the same cause.
//!
//! The one place that reads tracebacks for their meaning: the console
//! summary, the JUnit/CTRF/Markdown outputs and the report's failure groups
//! all call these, so a failure is described the same way everywhere.
//!
//! ```text
//! reason(details)      -> "AssertionError: 1 != 2"      (the exception line)
//! split(reason)        -> (Some("AssertionError"), "1 != 2")
//! signature(reason)    -> "AssertionError: <n> != <n>"  (volatile parts normalised)
//! ```

/// The header Python prints before a traceback's frames.
const TRACEBACK_HEADER: &str = "Traceback (most recent call last):";
/// The same, searched for with memchr's vectorised search: every side
/// output asks for the reason of every failure.
const HEADER: &[u8] = TRACEBACK_HEADER.as_bytes();

/// Longest reason returned, in bytes; longer lines are cut at a character
/// boundary and end with `…`-free truncation (callers add their own mark).
pub const MAX_REASON: usize = 500;

/// The one-line reason for a failure, from a test's attachments
/// (`(cleaned key, text)` pairs).
///
/// Looks in the `traceback` attachment first, then in the first attachment
/// that holds a Python traceback. Within it: the exception line of the last
/// traceback (so a chained exception gives the one finally raised), or a
/// pytest `E   ` line, or else the last non-blank line. `None` when no
/// attachment has any of these (a hung test, a failure without details).
pub fn reason<'a, I>(details: I) -> Option<&'a str>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
    I::IntoIter: Clone,
{
    let details = details.into_iter();
    // Other attachments (logs of any size) are searched only when no
    // `traceback` gives a line.
    details
        .clone()
        .filter(|(key, _)| *key == "traceback")
        .find_map(|(_, text)| exception_line(text))
        .or_else(|| {
            details
                .filter(|(key, _)| *key != "traceback")
                .find(|(_, text)| header().find(text.as_bytes()).is_some())
                .and_then(|(_, text)| exception_line(text))
        })
}

/// The exception line of one traceback text (see [`reason`]).
pub fn exception_line(text: &str) -> Option<&str> {
    let line = match last_header(text.as_bytes()) {
        Some(at) => {
            after_frames(&text[at + TRACEBACK_HEADER.len()..]).or_else(|| last_line(&text[at..]))
        }
        None => pytest_line(text).or_else(|| last_line(text)),
    }?;
    Some(cap(line))
}

/// The header's searcher, built once.
fn header() -> &'static memchr::memmem::Finder<'static> {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    FINDER.get_or_init(|| memchr::memmem::Finder::new(HEADER))
}

/// Where the last header starts. Found by searching forward (vectorised;
/// the reverse search goes a byte at a time through the whole traceback
/// above it): the header cannot overlap itself, so the searches that
/// follow each match find every one.
fn last_header(text: &[u8]) -> Option<usize> {
    let mut last = None;
    let mut from = 0;
    while let Some(at) = header().find(&text[from..]) {
        last = Some(from + at);
        from += at + HEADER.len();
    }
    last
}

/// The first non-blank line after the frames: frames and their source
/// lines are indented, the exception line is not. The lines of
/// `rest.lines().skip(1)`, but those that start indented (nearly all) are
/// passed over by their first byte alone.
fn after_frames(rest: &str) -> Option<&str> {
    let b = rest.as_bytes();
    memchr::memchr_iter(b'\n', b)
        .map(|nl| nl + 1)
        .filter(|&start| start < b.len() && !matches!(b[start], b' ' | b'\t'))
        .map(|start| {
            let line = &rest[start..];
            // As `str::lines` cuts it: at `\n`, dropping a `\r` before it.
            match memchr::memchr(b'\n', line.as_bytes()) {
                Some(end) => line[..end].strip_suffix('\r').unwrap_or(&line[..end]),
                None => line,
            }
        })
        .find(|l| !l.trim().is_empty())
        .map(str::trim_end)
}

/// pytest marks the exception with `E` in the first column.
fn pytest_line(text: &str) -> Option<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix("E "))
        .map(str::trim)
        .find(|l| !l.is_empty())
}

fn last_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).rfind(|l| !l.is_empty())
}

fn cap(line: &str) -> &str {
    if line.len() <= MAX_REASON {
        return line;
    }
    let mut end = MAX_REASON;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}

/// Splits a reason into the exception type and its message:
/// `"a.b.KeyError: 'x'"` → `(Some("a.b.KeyError"), "'x'")`. The type is
/// `None` when the line does not start with a dotted identifier and a
/// colon; a bare identifier (`StopIteration`) is a type with no message.
pub fn split(reason: &str) -> (Option<&str>, &str) {
    let reason = reason.trim();
    let (head, message) = match reason.split_once(':') {
        Some((h, m)) => (h, m.trim()),
        None => (reason, ""),
    };
    let is_type = !head.is_empty()
        && head
            .split('.')
            .all(|p| !p.is_empty() && !p.starts_with(|c: char| c.is_ascii_digit()))
        && head
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && head.starts_with(|c: char| c.is_uppercase() || c.is_lowercase());
    if is_type && (!message.is_empty() || !reason.contains(' ')) {
        (Some(head), message)
    } else {
        (None, reason)
    }
}

/// Longest message part of a signature, in characters.
const MAX_SIGNATURE_MESSAGE: usize = 200;

/// A key that is equal for failures with the same cause: the exception type
/// and the message with its volatile parts replaced by placeholders —
/// UUIDs (`<uuid>`), hex addresses and long hex ids (`<hex>`), timestamps
/// (`<time>`), temporary paths (`<tmp>`), quoted values that hold digits
/// (`'<id>'`) and any other run of digits (`<n>`). Whitespace is collapsed.
///
/// `signature("AssertionError: 1 != 2") == signature("AssertionError: 3 != 4")`
pub fn signature(reason: &str) -> String {
    let (ty, message) = split(reason);
    let norm = normalise(message);
    match ty {
        Some(t) if norm.is_empty() => t.to_owned(),
        Some(t) => format!("{t}: {norm}"),
        None => norm,
    }
}

/// Replaces the volatile parts of a message (see [`signature`]).
pub fn normalise(message: &str) -> String {
    let s = message;
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len().min(256));
    let mut i = 0;
    let mut chars = 0usize;
    let mut prev_word = false;
    while i < b.len() && chars < MAX_SIGNATURE_MESSAGE {
        let c = b[i];
        let start_of_token = !prev_word;
        let (piece, used): (&str, usize) = if c.is_ascii_whitespace() {
            let n = b[i..]
                .iter()
                .take_while(|c| c.is_ascii_whitespace())
                .count();
            (if out.is_empty() { "" } else { " " }, n)
        } else if (c == b'\'' || c == b'"') && start_of_token {
            match quoted_id(&s[i..]) {
                Some(n) if c == b'\'' => ("'<id>'", n),
                Some(n) => ("\"<id>\"", n),
                None => (&s[i..i + 1], 1),
            }
        } else if start_of_token && uuid_at(&b[i..]) {
            ("<uuid>", 36)
        } else if start_of_token && timestamp_len(&b[i..]) > 0 {
            ("<time>", timestamp_len(&b[i..]))
        } else if start_of_token && tmp_path_len(&s[i..]) > 0 {
            ("<tmp>", tmp_path_len(&s[i..]))
        } else if start_of_token
            && (c == b'0')
            && b.get(i + 1) == Some(&b'x')
            && hex_run(&b[i + 2..]) > 0
        {
            ("<hex>", 2 + hex_run(&b[i + 2..]))
        } else if start_of_token && long_hex_len(&b[i..]) > 0 {
            ("<hex>", long_hex_len(&b[i..]))
        } else if c.is_ascii_digit() {
            let mut n = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            // A decimal fraction belongs to the number.
            if b.get(i + n) == Some(&b'.') && b.get(i + n + 1).is_some_and(u8::is_ascii_digit) {
                n += 1 + b[i + n + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
            }
            ("<n>", n)
        } else {
            let n = s[i..].chars().next().map_or(1, char::len_utf8);
            (&s[i..i + n], n)
        };
        out.push_str(piece);
        chars += piece.chars().count();
        prev_word = b[i + used - 1].is_ascii_alphanumeric()
            || b[i + used - 1] == b'_'
            || b[i + used - 1] >= 0x80;
        i += used;
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

fn hex_run(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_hexdigit()).count()
}

/// A word of 8+ hex digits with at least one digit and one letter, or of
/// 16+ digits: request ids, hashes.
fn long_hex_len(b: &[u8]) -> usize {
    let n = hex_run(b);
    let ends_word = b
        .get(n)
        .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
    let digits = b[..n].iter().filter(|c| c.is_ascii_digit()).count();
    if n >= 8 && ends_word && digits > 0 && (digits < n || n >= 16) {
        n
    } else {
        0
    }
}

/// `8-4-4-4-12` hex digits.
fn uuid_at(b: &[u8]) -> bool {
    if b.len() < 36 {
        return false;
    }
    let groups_ok = b[..36].iter().enumerate().all(|(k, c)| match k {
        8 | 13 | 18 | 23 => *c == b'-',
        _ => c.is_ascii_hexdigit(),
    });
    groups_ok && b.get(36).is_none_or(|c| !c.is_ascii_alphanumeric())
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.frac]][Z|±HH[:]MM]`; 0 when not one.
fn timestamp_len(b: &[u8]) -> usize {
    let digits =
        |at: usize, n: usize| b.len() >= at + n && b[at..at + n].iter().all(u8::is_ascii_digit);
    let is = |at: usize, c: u8| b.get(at) == Some(&c);
    if !(digits(0, 4) && is(4, b'-') && digits(5, 2) && is(7, b'-') && digits(8, 2)) {
        return 0;
    }
    let mut n = 10;
    if (is(10, b'T') || is(10, b' ')) && digits(11, 2) && is(13, b':') && digits(14, 2) {
        n = 16;
        if is(16, b':') && digits(17, 2) {
            n = 19;
            if is(19, b'.') || is(19, b',') {
                let f = b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
                if f > 0 {
                    n = 20 + f;
                }
            }
        }
        if is(n, b'Z') {
            n += 1;
        } else if (is(n, b'+') || is(n, b'-')) && digits(n + 1, 2) {
            let m = n + 3 + usize::from(is(n + 3, b':'));
            if digits(m, 2) {
                n = m + 2;
            }
        }
    }
    n
}

/// Directories whose contents are named anew by every run.
const TMP_PREFIXES: [&str; 5] = [
    "/tmp/",
    "/var/tmp/",
    "/var/folders/",
    "/private/var/folders/",
    "/dev/shm/",
];

fn tmp_path_len(s: &str) -> usize {
    if !TMP_PREFIXES.iter().any(|p| s.starts_with(p)) {
        return 0;
    }
    s.find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | ',' | ')' | ']' | '>' | ';'))
        .unwrap_or(s.len())
}

/// A quoted value (one line, at most 200 bytes) that holds a digit or a
/// temporary path: an id, not a word worth keeping. Returns its length
/// with both quotes.
fn quoted_id(s: &str) -> Option<usize> {
    let q = s.as_bytes()[0];
    let body = &s.as_bytes()[1..];
    let end = body.iter().take(200).position(|&c| c == q || c == b'\n')?;
    if body[end] != q {
        return None;
    }
    let inner = &s[1..1 + end];
    let volatile = inner.bytes().any(|c| c.is_ascii_digit()) || tmp_path_len(inner) > 0;
    volatile.then_some(end + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(key: &'static str, text: &'static str) -> Option<&'static str> {
        reason([(key, text)])
    }

    #[test]
    fn exception_line_of_a_python_traceback() {
        let tb = "Traceback (most recent call last):\n  File \"t.py\", line 3, in test\n    self.assertEqual(1, 2)\nAssertionError: 1 != 2\n";
        assert_eq!(one("traceback", tb), Some("AssertionError: 1 != 2"));
    }

    #[test]
    fn details_after_the_exception_are_not_the_reason() {
        let tb = "Traceback (most recent call last):\n  File \"x.py\", line 9, in test_show\n    c.show()\ntempest.lib.exceptions.NotFound: Object not found\nDetails: {'code': 404}\n\n  \n";
        assert_eq!(
            one("traceback", tb),
            Some("tempest.lib.exceptions.NotFound: Object not found")
        );
    }

    #[test]
    fn chained_exceptions_give_the_last_one() {
        let tb = "Traceback (most recent call last):\n  File \"a\", line 1\nKeyError: 'k'\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"b\", line 2\nValueError: bad\n";
        assert_eq!(one("traceback", tb), Some("ValueError: bad"));
    }

    #[test]
    fn other_attachments_and_fallbacks() {
        // A traceback in another attachment, when there is no `traceback`.
        let log =
            "noise\nTraceback (most recent call last):\n  File \"a\", line 1\nRuntimeError: boom\n";
        assert_eq!(
            reason([("stdout", "x"), ("junitdetail", log)]),
            Some("RuntimeError: boom")
        );
        // pytest's E lines.
        let py = "def test():\n>       assert 1 == 2\nE       assert 1 == 2\nE        +  where 1 = f()\n\nt.py:3: AssertionError";
        assert_eq!(one("traceback", py), Some("assert 1 == 2"));
        // Anything else: the last non-blank line.
        assert_eq!(one("traceback", "  single line  \n\n"), Some("single line"));
        assert_eq!(one("traceback", " \n\t\n"), None);
        assert_eq!(reason([("stdout", "no traceback here")]), None);
        assert_eq!(reason(std::iter::empty()), None);
        // Frames only: the last line still says something.
        assert_eq!(
            one(
                "traceback",
                "Traceback (most recent call last):\n  File \"a\", line 1\n    x()\n"
            ),
            Some("x()")
        );
    }

    proptest::proptest! {
        /// The line scan and the forward search give what `str::lines`
        /// and a reverse search give.
        #[test]
        fn scans_agree_with_the_plain_forms(
            text in "(Traceback \\(most recent call last\\):|Trace|[ \t\r\nAé:]){0,24}"
        ) {
            let by_lines = text
                .lines()
                .skip(1)
                .find(|l| !l.trim().is_empty() && !l.starts_with([' ', '\t']))
                .map(str::trim_end);
            proptest::prop_assert_eq!(after_frames(&text), by_lines);
            proptest::prop_assert_eq!(
                last_header(text.as_bytes()),
                memchr::memmem::rfind(text.as_bytes(), HEADER)
            );
        }
    }

    #[test]
    fn long_lines_are_capped_on_a_char_boundary() {
        let line = format!("E: {}", "é".repeat(400));
        let r = exception_line(&line).unwrap();
        assert!(
            r.len() <= MAX_REASON && r.len() > MAX_REASON - 2,
            "{}",
            r.len()
        );
    }

    #[test]
    fn split_type_and_message() {
        assert_eq!(
            split("AssertionError: 1 != 2"),
            (Some("AssertionError"), "1 != 2")
        );
        assert_eq!(
            split("a.b_c.NotFound: x: y"),
            (Some("a.b_c.NotFound"), "x: y")
        );
        assert_eq!(split("StopIteration"), (Some("StopIteration"), ""));
        assert_eq!(split("assert 1 == 2"), (None, "assert 1 == 2"));
        assert_eq!(split("took 3 s: timeout"), (None, "took 3 s: timeout"));
        assert_eq!(split("12: x"), (None, "12: x"));
    }

    #[test]
    fn signatures_ignore_volatile_parts() {
        assert_eq!(
            signature("AssertionError: 1 != 2"),
            "AssertionError: <n> != <n>"
        );
        assert_eq!(
            signature("AssertionError: 1 != 2"),
            signature("AssertionError: 30 != 4.5")
        );
        assert_eq!(
            signature("Error: <Server object at 0x7f79c7ab3ad0> in /tmp/tmpa1b2c3/x.log"),
            "Error: <Server object at <hex>> in <tmp>"
        );
        assert_eq!(
            signature("NotFound: Server 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 not found"),
            "NotFound: Server <uuid> not found"
        );
        assert_eq!(
            signature("Timeout: at 2026-12-01T20:44:08.123456+00:00 and 2026-12-01 20:44"),
            "Timeout: at <time> and <time>"
        );
        assert_eq!(
            signature("KeyError: 'server-42' in \"req-9\" not 'ACTIVE'"),
            "KeyError: '<id>' in \"<id>\" not 'ACTIVE'"
        );
        assert_eq!(
            signature("E: request deadbeef01 failed"),
            "E: request <hex> failed"
        );
        // Words with digits keep their letters; whitespace collapses.
        assert_eq!(
            signature("E: worker-3   py311\n x"),
            "E: worker-<n> py<n> x"
        );
        assert_eq!(signature("StopIteration"), "StopIteration");
        assert_eq!(signature("assert 10 == 2"), "assert <n> == <n>");
        // Different causes stay apart.
        assert_ne!(signature("KeyError: 'a'"), signature("KeyError: 'b'"));
        assert_ne!(signature("KeyError: 1"), signature("IndexError: 1"));
        // Non-ASCII text survives, and the message is capped.
        assert_eq!(signature("E: é 1"), "E: é <n>");
        assert!(signature(&format!("E: {}", "x ".repeat(500))).len() < 220);
    }
}
