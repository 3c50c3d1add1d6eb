//! The per-stream summary StackViz shows: counts, time span, failures with
//! their last traceback lines, skips with their reasons.

use crate::model::entry::{Entry, TestStatus};
use crate::pycompat;

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
    let text = pycompat::strip(traceback?);
    let lines = pycompat::last_lines(text, 2);
    match lines.as_slice() {
        [] => None,
        [.., prev, last] if last.contains("Details") => {
            Some(vec![(*prev).to_owned(), (*last).to_owned()])
        }
        [.., last] => Some(vec![(*last).to_owned()]),
    }
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
}
