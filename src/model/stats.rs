//! The per-stream summary StackViz shows: counts, time span, failures with
//! their last traceback lines, skips with their reasons.

use crate::model::entry::{Entry, TestStatus};

#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub name: String,
    pub duration: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub count: u64,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub total_duration: f64,
    pub failures: Vec<(Issue, Option<Vec<String>>)>,
    pub skips: Vec<(Issue, Option<String>)>,
}

impl Stats {
    pub fn add(&mut self, e: &Entry) {
        self.count += 1;
        if let Some(s) = e.start {
            if self.start.is_none_or(|cur| s < cur) {
                self.start = Some(s);
            }
        }
        if let Some(x) = e.end {
            if self.end.is_none_or(|cur| x > cur) {
                self.end = Some(x);
            }
        }
        self.total_duration += e.duration;
        let issue = || Issue {
            name: e.name.clone(),
            duration: e.duration,
        };
        match e.status {
            TestStatus::Fail => self
                .failures
                .push((issue(), failure_lines(e.detail("traceback")))),
            TestStatus::Skip => self
                .skips
                .push((issue(), e.detail("reason").map(str::to_owned))),
            _ => {}
        }
    }
}

/// The failure message StackViz shows: the last two lines of the stripped
/// traceback when the last one mentions `Details`, else the last line.
pub fn failure_lines(traceback: Option<&str>) -> Option<Vec<String>> {
    let text = py_strip(traceback?);
    let lines = py_splitlines(text);
    match lines.as_slice() {
        [] => None,
        [.., prev, last] if last.contains("Details") => {
            Some(vec![(*prev).to_owned(), (*last).to_owned()])
        }
        [.., last] => Some(vec![(*last).to_owned()]),
    }
}

/// `str.isspace()`: Unicode White_Space plus the separators U+001C–U+001F.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn py_strip(s: &str) -> &str {
    s.trim_matches(py_space)
}

/// `str.splitlines()`: every line boundary Python knows, `\r\n` as one.
fn py_splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let boundary = matches!(
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
        );
        if boundary {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Option<Vec<String>> {
        failure_lines(Some(s))
    }

    #[test]
    fn failure_line_rule() {
        assert_eq!(
            lines(
                "Traceback (most recent call last):\n  File \"x\"\nMismatchError: 'new' != 'old'\n"
            ),
            Some(vec!["MismatchError: 'new' != 'old'".to_owned()])
        );
        assert_eq!(
            lines("Traceback:\nNotFound: Object not found\nDetails: {'code': 404}\n\n"),
            Some(vec![
                "NotFound: Object not found".to_owned(),
                "Details: {'code': 404}".to_owned()
            ])
        );
        assert_eq!(
            lines("a\nb\nraise SomeDetailsError"),
            Some(vec!["b".to_owned(), "raise SomeDetailsError".to_owned()])
        );
        assert_eq!(
            lines("  AssertionError: single line traceback\n"),
            Some(vec!["AssertionError: single line traceback".to_owned()])
        );
        assert_eq!(lines(" \n\t\u{1c}\n"), None);
        assert_eq!(failure_lines(None), None);
    }

    #[test]
    fn python_line_boundaries() {
        assert_eq!(
            py_splitlines("a\r\nb\rc\u{2028}d\u{b}e"),
            vec!["a", "b", "c", "d", "e"]
        );
        assert_eq!(py_splitlines("a\n\nb\n"), vec!["a", "", "b"]);
        assert_eq!(py_strip("\u{1f}\u{a0} x \u{3000}"), "x");
    }
}
