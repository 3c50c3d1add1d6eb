//! What the CI side outputs (console summary, JUnit, CTRF, Markdown, trace)
//! share: how a StackViz status maps to a CI outcome, the worker of a test,
//! the JUnit-style name split, and text capping that keeps the end.

use super::StreamWriter;
use crate::model::entry::{Entry, TestStatus};
use crate::model::stats::Stats;
use crate::write::outfile::OutFile;
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

/// The name a test has in the CI outputs: its JSON name, except that a
/// bracketed suffix the JSON name drops (pytest's parameters `[1]`,
/// tempest's `[id-…,smoke]`) is kept, as subunit2junitxml keeps the whole
/// id. `test_x[1]` and `test_x[2]` are two tests, and GitLab silently drops
/// a second test case with the same class and name.
pub fn report_name(e: &Entry) -> &str {
    let cut = e.id.len() > e.name.len() && e.id.starts_with(e.name.as_str());
    if cut && e.id.ends_with(']') {
        &e.id
    } else {
        &e.name
    }
}

/// `pkg.mod.Class.test` → (`pkg.mod.Class`, `test`), split at the last dot
/// like subunit2junitxml, but before a bracketed suffix
/// (`pkg.C.test[1.5]` → `pkg.C`, `test[1.5]`); a name without a dot has an
/// empty class.
pub fn split_name(name: &str) -> (&str, &str) {
    let b = name.as_bytes();
    let body = match b.last() {
        Some(b']') => memchr::memchr(b'[', b).map_or(b, |i| &b[..i]),
        _ => b,
    };
    // memchr's search is vectorised; `str::rfind` goes a word at a time.
    match memchr::memrchr(b'.', body) {
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
    if b.len() <= 512 && json_plain(b) {
        out.reserve(b.len() + 2);
        out.push(b'"');
        out.extend_from_slice(b);
        out.push(b'"');
    } else {
        super::json::write_str(out, s);
    }
}

/// Appends `s`, known to need no escape ([`json_plain`]), as a JSON
/// string literal: a test's name and class are parts of its id, so one
/// check of the id covers all three.
pub fn push_json_plain(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Whether JSON writes `b` as it is (no `"`, `\\` or control byte),
/// eight bytes at a time; a tail shorter than a word is looked at again
/// with the word before it rather than byte by byte.
pub fn json_plain(b: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // "Has a byte below 0x20" and "has a zero byte" (after the XOR with
    // `"` or `\\`) are exact about whether such a byte exists; `"` and `\\`
    // have their high bit clear, so one `!w` serves all three.
    let flagged = |w: u64| {
        let below_space = w.wrapping_sub(LO * 0x20);
        let quote = (w ^ (LO * u64::from(b'"'))).wrapping_sub(LO);
        let backslash = (w ^ (LO * u64::from(b'\\'))).wrapping_sub(LO);
        (below_space | quote | backslash) & !w & HI
    };
    if b.len() < 8 {
        return !b.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\');
    }
    let word = |w: &[u8]| u64::from_le_bytes(w.try_into().expect("8 bytes"));
    let mut words = b.chunks_exact(8);
    let mut any = words.by_ref().fold(0, |any, w| any | flagged(word(w)));
    if !words.remainder().is_empty() {
        any |= flagged(word(&b[b.len() - 8..]));
    }
    any == 0
}

/// The worker of a test by its tag set: sets are shared between the
/// entries that have them (a stream has a few: one per worker), so the
/// last few sets looked up are kept with their worker, held so that
/// their address cannot be taken by another set.
#[derive(Default)]
pub struct Workers {
    seen: Vec<(crate::model::tags::Tags, Option<u32>)>,
    next: usize,
}

impl Workers {
    const KEEP: usize = 16;

    pub fn of(&mut self, e: &Entry) -> Option<u32> {
        if let Some((_, w)) = self
            .seen
            .iter()
            .find(|(t, _)| std::sync::Arc::ptr_eq(t, &e.tags))
        {
            return *w;
        }
        let w = worker(e);
        if self.seen.len() < Self::KEEP {
            self.seen.push((e.tags.clone(), w));
        } else {
            self.seen[self.next] = (e.tags.clone(), w);
            self.next = (self.next + 1) % Self::KEEP;
        }
        w
    }
}

/// Where a side output's bytes go: its file, or memory (in tests). A
/// large block built in memory is handed over rather than copied.
pub trait Sink: std::io::Write {
    /// Writes `data`, taking the buffer itself where it can.
    fn write_vec(&mut self, data: Vec<u8>) -> std::io::Result<()> {
        self.write_all(&data)
    }

    /// Writes `data` and returns an empty buffer to fill next: a file
    /// gives back one its writer thread is done with, so a burst of
    /// output reuses a few buffers instead of allocating fresh ones.
    fn swap_vec(&mut self, mut data: Vec<u8>) -> std::io::Result<Vec<u8>> {
        self.write_all(&data)?;
        data.clear();
        Ok(data)
    }
}

impl Sink for Vec<u8> {}

impl Sink for OutFile {
    fn write_vec(&mut self, data: Vec<u8>) -> std::io::Result<()> {
        OutFile::write_vec(self, data)
    }

    fn swap_vec(&mut self, data: Vec<u8>) -> std::io::Result<Vec<u8>> {
        OutFile::swap_vec(self, data)
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
        assert_eq!(split_name("a.C.test_x[1.5]"), ("a.C", "test_x[1.5]"));
        assert_eq!(
            split_name("t.api.T.test_a[id-1,smoke]"),
            ("t.api.T", "test_a[id-1,smoke]")
        );
        assert_eq!(split_name("a.b[c.d].e"), ("a.b[c.d]", "e"));
        assert_eq!(split_name("[x.y]"), ("", "[x.y]"));
        assert_eq!(split_name("plain"), ("", "plain"));
        assert_eq!(split_name("trailing."), ("", "trailing."));
        assert_eq!(tail("héllo", 4), ("llo", 3));
        assert_eq!(tail("abc", 10), ("abc", 0));
        assert_eq!(head("héllo", 2), "h");
    }

    #[test]
    fn report_names_keep_what_the_json_name_cuts() {
        let named = |id: &str| {
            let mut e = crate::output::summary::tests::entry(id, "success", 0.0, None);
            e.name = crate::model::entry::clean_name(id).into_owned();
            report_name(&e).to_owned()
        };
        assert_eq!(named("p.C.test_x[1]"), "p.C.test_x[1]");
        assert_eq!(named("t.T.test_a[id-1,smoke]"), "t.T.test_a[id-1,smoke]");
        // unittest's `method (class)` keeps the JSON name's reordering.
        assert_eq!(named("test_b (p.mod.C)"), "p.mod.C.test_b");
        assert_eq!(named("p.C.test_c"), "p.C.test_c");
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
    fn the_plain_check_misses_no_byte_json_escapes() {
        for len in [1, 7, 8, 9, 15, 16, 17, 40] {
            for at in 0..len {
                for c in 0..=127u8 {
                    let mut b = vec![b'a'; len];
                    b[at] = c;
                    let s = std::str::from_utf8(&b).unwrap();
                    let escapes = c < 0x20 || c == b'"' || c == b'\\';
                    assert_eq!(json_plain(&b), !escapes, "{s:?}");
                }
            }
        }
        assert!(json_plain("é😀 ünïcödé names".as_bytes()));
    }

    #[test]
    fn workers_are_read_from_each_tag_set() {
        let mut w = Workers::default();
        let sets: Vec<crate::model::tags::Tags> = (0..40)
            .map(|i| vec![format!("worker-{i}"), "smoke".to_owned()].into())
            .collect();
        for round in 0..3 {
            for (i, t) in sets.iter().enumerate() {
                let mut e = crate::output::summary::tests::entry("a.b", "success", 1.0, None);
                e.tags = t.clone();
                assert_eq!(w.of(&e), Some(i as u32), "round {round}");
            }
        }
        let mut e = crate::output::summary::tests::entry("a.b", "success", 1.0, None);
        e.tags = vec!["smoke".to_owned()].into();
        assert_eq!(w.of(&e), None);
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
