//! What the CI side outputs (console summary, JUnit, CTRF, Markdown, trace)
//! share: how a StackViz status maps to a CI outcome, the worker of a test,
//! the JUnit-style name split, and text capping that keeps the end.

use super::StreamWriter;
use crate::model::entry::{Entry, TestStatus};
use crate::model::stats::Stats;
use crate::write::staging::Staging;

/// A test's outcome as CI tools count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    Passed,
    Failed,
    /// Succeeded although expected to fail: counts as a failure.
    UxSuccess,
    Skipped,
    /// Failed as expected: not a failure.
    XFail,
    /// No final status: the test hung, the stream was cut, or it was only
    /// listed (`exists`).
    Unfinished,
}

impl Outcome {
    pub fn of(status: TestStatus) -> Outcome {
        match status {
            TestStatus::Success => Outcome::Passed,
            TestStatus::Fail => Outcome::Failed,
            TestStatus::UxSuccess => Outcome::UxSuccess,
            TestStatus::Skip => Outcome::Skipped,
            TestStatus::XFail => Outcome::XFail,
            TestStatus::Exists | TestStatus::InProgress | TestStatus::Unknown => {
                Outcome::Unfinished
            }
        }
    }

    /// Whether `--exit-code` treats it as a failed test.
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::UxSuccess)
    }
}

/// The worker number from a `worker-N` tag, as stestr and StackViz read it.
pub fn worker(e: &Entry) -> Option<u32> {
    e.tags
        .iter()
        .find_map(|t| t.strip_prefix("worker-").and_then(|n| n.parse().ok()))
}

/// `pkg.mod.Class.test` → (`pkg.mod.Class`, `test`), split at the last dot
/// like subunit2junitxml; a name without a dot has an empty class.
pub fn split_name(name: &str) -> (&str, &str) {
    // memchr's search is vectorised; `str::rfind` goes a word at a time.
    match memchr::memrchr(b'.', name.as_bytes()) {
        Some(i) if i + 1 < name.len() => (&name[..i], &name[i + 1..]),
        _ => ("", name),
    }
}

/// The last `max` bytes of `text` (on a character boundary), and how many
/// bytes were cut from the front.
pub fn tail(text: &str, max: usize) -> (&str, usize) {
    if text.len() <= max {
        return (text, 0);
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    (&text[start..], start)
}

/// The first `max` bytes of `text` (on a character boundary).
pub fn head(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// An integer in decimal, as JSON (and XML attributes) write it.
pub fn push_int(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends `s` as a JSON string literal. Names, ids, tags and suite names
/// are short and nearly always need no escape: one check the compiler
/// vectorises (no early exit), then one copy; other text goes through the
/// project's escaper ([`super::json::write_str`]).
pub fn push_json_str(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    let special = |c: u8| (c < 0x20) | (c == b'"') | (c == b'\\');
    if b.len() <= 512 && !b.iter().fold(false, |any, &c| any | special(c)) {
        out.reserve(b.len() + 2);
        out.push(b'"');
        out.extend_from_slice(b);
        out.push(b'"');
    } else {
        super::json::write_str(out, s);
    }
}

/// The test's one-line failure reason (see `model::failure`).
pub fn reason(e: &Entry) -> Option<&str> {
    crate::model::failure::reason(e.details.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Optional notes about a test that a caller can attach (for example
/// "new", "flaky", "slower" from a run history). The summary and the
/// Markdown job summary print them beside the test's name when present.
pub trait Annotator: Send + Sync {
    /// A short note for the test with this id in this stream, if any.
    fn annotate(&self, stream: &str, test_id: &str) -> Option<String>;
}

/// The per-stream half of a side output. Side outputs keep their state
/// in one value for the whole run (a report spans every stream), so their
/// stream writer only forwards to it.
pub(crate) trait SideStream {
    fn side_entry(&mut self, e: &Entry) -> crate::Result<()>;
    fn side_end(&mut self, stage: &mut Staging, stats: &Stats) -> crate::Result<()>;
}

/// The [`StreamWriter`] of a side output: borrows it for the stream.
pub(crate) struct Forward<'a, T: SideStream>(pub &'a mut T);

impl<T: SideStream> StreamWriter for Forward<'_, T> {
    fn entry(&mut self, e: &Entry) -> crate::Result<()> {
        self.0.side_entry(e)
    }

    fn end(self: Box<Self>, stage: &mut Staging, stats: &Stats) -> crate::Result<()> {
        self.0.side_end(stage, stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::entry::TestStatus;

    #[test]
    fn outcomes_and_names() {
        assert_eq!(Outcome::of(TestStatus::Success), Outcome::Passed);
        assert_eq!(Outcome::of(TestStatus::UxSuccess), Outcome::UxSuccess);
        assert!(Outcome::of(TestStatus::UxSuccess).is_failure());
        assert!(!Outcome::of(TestStatus::XFail).is_failure());
        assert_eq!(Outcome::of(TestStatus::InProgress), Outcome::Unfinished);
        assert_eq!(Outcome::of(TestStatus::Unknown), Outcome::Unfinished);
        assert_eq!(split_name("a.b.C.test_x"), ("a.b.C", "test_x"));
        assert_eq!(split_name("plain"), ("", "plain"));
        assert_eq!(split_name("trailing."), ("", "trailing."));
        assert_eq!(tail("héllo", 4), ("llo", 3));
        assert_eq!(tail("abc", 10), ("abc", 0));
        assert_eq!(head("héllo", 2), "h");
    }

    #[test]
    fn json_strings_as_the_escaper_writes_them() {
        let long = "a\\".repeat(300);
        for s in [
            "",
            "tempest.api.T.test_x[id-1]",
            "q\"uote",
            "back\\slash",
            "tab\there",
            "nl\n",
            "\u{1f}\u{7f}",
            "é\u{2028}😀",
            long.as_str(),
        ] {
            let mut ours = Vec::new();
            push_json_str(&mut ours, s);
            let mut theirs = Vec::new();
            super::super::json::write_str(&mut theirs, s);
            assert_eq!(ours, theirs, "{s:?}");
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }

    #[test]
    fn integers_as_display_writes_them() {
        for v in [
            0,
            7,
            10,
            99,
            100,
            101,
            999,
            1000,
            1_714_564_800_123_456,
            -1,
            -10,
            -105,
            i64::MAX,
            i64::MIN,
        ] {
            let mut out = Vec::new();
            push_int(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap(), v.to_string());
        }
    }
}
