//! `--markdown FILE`: a job summary for `$GITHUB_STEP_SUMMARY` or a merge
//! request note: the counts per stream, the failures (each a `<details>`
//! block with the end of its traceback), the slowest tests and a worker
//! balance line.
//!
//! GitHub refuses step summaries over 1,024 KiB, so the text is built
//! within [`CAP`]: failures keep their traceback while a budget lasts, then
//! shrink to one line each, then are only counted, and the text says what
//! was left out. Memory is bounded the same way, whatever the run's size.

use std::fmt::Write as _;
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use super::side::{self, Annotator, Outcome};
use super::side::{Forward, SideStream};
use super::summary::{seconds, Counts};
use super::{ExportMeta, Format, StreamMeta, StreamWriter};
use crate::model::entry::Entry;
use crate::model::stats::Stats;
use crate::write::staging::Staging;

/// Largest file written, in bytes: below GitHub's 1,024 KiB limit with room
/// for what other steps add to the same summary.
pub const CAP: usize = 1000 * 1024;
/// Bytes of failure blocks with tracebacks.
const DETAILED_BUDGET: usize = 640 * 1024;
/// Bytes of one-line failures once the detailed budget is spent.
const BRIEF_BUDGET: usize = 200 * 1024;
/// Traceback end shown per failure.
const TRACEBACK_TAIL: usize = 3 * 1024;
/// Longest test name or reason shown, in bytes.
const NAME_WIDTH: usize = 300;
/// Rows of the stream table before the rest are summed up.
const MAX_STREAM_ROWS: usize = 200;
const SLOWEST: usize = 10;

struct StreamRow {
    name: String,
    counts: Counts,
    wall: Option<f64>,
    test_time: f64,
    /// (busiest, idlest) worker: (name, busy seconds, tests), and the
    /// share of worker time spent idle.
    balance: Option<(String, String, f64)>,
}

/// Collects the summary while the streams are read.
pub struct Markdown {
    streams: Vec<StreamRow>,
    detailed: String,
    /// Set once a failure did not fit the detailed budget.
    tracebacks_cut: bool,
    brief: String,
    failures: u64,
    not_listed: u64,
    slowest: Vec<(f64, String, Option<String>)>,
    annotator: Option<Arc<dyn Annotator>>,
    current: String,
    counts: Counts,
    test_time: f64,
    workers: HashMap<u32, (f64, u64)>,
    worker_of: side::Workers,
}

impl Markdown {
    pub fn new(annotator: Option<Arc<dyn Annotator>>) -> Markdown {
        Markdown {
            streams: Vec::new(),
            detailed: String::new(),
            tracebacks_cut: false,
            brief: String::new(),
            failures: 0,
            not_listed: 0,
            slowest: Vec::new(),
            annotator,
            current: String::new(),
            counts: Counts::default(),
            test_time: 0.0,
            workers: HashMap::default(),
            worker_of: side::Workers::default(),
        }
    }

    pub fn begin_stream(&mut self, name: &str) {
        self.current = name.to_owned();
        self.counts = Counts::default();
        self.test_time = 0.0;
        self.workers.clear();
    }

    fn note(&self, e: &Entry) -> Option<String> {
        self.annotator
            .as_ref()
            .and_then(|a| a.annotate(&self.current, &e.id))
    }

    pub fn entry(&mut self, e: &Entry) {
        let outcome = Outcome::of(e.status);
        self.counts.add(outcome);
        self.test_time += e.duration;
        if let Some(w) = self.worker_of.of(e) {
            let slot = self.workers.entry(w).or_default();
            slot.0 += e.duration;
            slot.1 += 1;
        }
        if outcome.is_failure() {
            self.failure(e, outcome);
        }
        let fits =
            self.slowest.len() < SLOWEST || self.slowest.last().is_some_and(|s| e.duration > s.0);
        if fits && e.duration > 0.0 {
            let at = self.slowest.partition_point(|s| s.0 >= e.duration);
            let name = side::head(side::report_name(e), NAME_WIDTH).to_owned();
            let note = self.note(e);
            self.slowest.insert(at, (e.duration, name, note));
            self.slowest.truncate(SLOWEST);
        }
    }

    fn failure(&mut self, e: &Entry, outcome: Outcome) {
        self.failures += 1;
        let reason = match outcome {
            Outcome::UxSuccess => Some("unexpected success"),
            _ => side::reason(e),
        };
        let name = side::head(side::report_name(e), NAME_WIDTH);
        let mut title = code_span(name);
        if let Some(n) = self.note(e) {
            let _ = write!(title, " **[{}]**", inline(side::head(&n, 80)));
        }
        if let Some(r) = reason {
            let _ = write!(title, " — {}", inline(side::head(r, NAME_WIDTH)));
        }
        if !self.tracebacks_cut {
            let mut block = String::new();
            let _ = writeln!(
                block,
                "<details><summary>{}</summary>\n",
                html_of_md(&title)
            );
            match e
                .detail("traceback")
                .map(str::trim_end)
                .filter(|t| !t.is_empty())
            {
                Some(tb) => {
                    let (end, cut) = side::tail(tb, TRACEBACK_TAIL);
                    if cut > 0 {
                        let _ = writeln!(block, "_… {cut} bytes of the traceback not shown_\n");
                    }
                    let fence = fence_for(end);
                    let _ = writeln!(block, "{fence}text\n{end}\n{fence}");
                }
                None => block.push_str("_No traceback attached._\n"),
            }
            block.push_str("</details>\n\n");
            if self.detailed.len() + block.len() <= DETAILED_BUDGET {
                self.detailed.push_str(&block);
                return;
            }
            // Past the budget: this and later failures are listed briefly.
            self.tracebacks_cut = true;
        }
        let line = format!("- {title}\n");
        if self.brief.len() + line.len() <= BRIEF_BUDGET {
            self.brief.push_str(&line);
        } else {
            self.not_listed += 1;
        }
    }

    pub fn end_stream(&mut self, start: Option<i64>, end: Option<i64>) {
        let wall = match (start, end) {
            (Some(s), Some(e)) if e >= s => Some((e - s) as f64 / 1e6),
            _ => None,
        };
        let balance = (|| {
            let wall = wall.filter(|w| *w > 0.0)?;
            let busiest = self
                .workers
                .iter()
                .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(b.0.cmp(a.0)))?;
            let idlest = self
                .workers
                .iter()
                .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(a.0.cmp(b.0)))?;
            let busy: f64 = self.workers.values().map(|w| w.0).sum();
            let idle = (1.0 - busy / (wall * self.workers.len() as f64)).clamp(0.0, 1.0);
            let show = |(w, (t, n)): (&u32, &(f64, u64))| {
                format!(
                    "worker-{w} ({} in {n} test{})",
                    seconds(*t),
                    if *n == 1 { "" } else { "s" }
                )
            };
            Some((show(busiest), show(idlest), idle))
        })();
        self.streams.push(StreamRow {
            name: std::mem::take(&mut self.current),
            counts: self.counts,
            wall,
            test_time: self.test_time,
            balance,
        });
    }

    /// The document, at most [`CAP`] bytes.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.detailed.len() + self.brief.len() + 8192);
        out.push_str("## Test results\n\n");
        out.push_str(
            "| Stream | Tests | Passed | Failed | Skipped | Other | Wall time | Test time |\n",
        );
        out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        let row = |out: &mut String, name: &str, c: &Counts, wall: Option<f64>, time: f64| {
            let failed = if c.failures() > 0 {
                format!("**{}**", c.failures())
            } else {
                "0".to_owned()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {failed} | {} | {} | {} | {} |",
                cell(name),
                c.total(),
                c.passed,
                c.skipped,
                c.other(),
                wall.map_or("–".to_owned(), seconds),
                seconds(time)
            );
        };
        for s in self.streams.iter().take(MAX_STREAM_ROWS) {
            row(&mut out, &s.name, &s.counts, s.wall, s.test_time);
        }
        if self.streams.len() > MAX_STREAM_ROWS {
            let rest = &self.streams[MAX_STREAM_ROWS..];
            let mut c = Counts::default();
            for s in rest {
                c.merge(&s.counts);
            }
            let time = rest.iter().map(|s| s.test_time).sum();
            row(
                &mut out,
                &format!("{} more streams", rest.len()),
                &c,
                None,
                time,
            );
        }
        out.push('\n');

        let mut cut_notes = Vec::new();
        if self.failures > 0 {
            let _ = writeln!(out, "### Failures ({})\n", self.failures);
            out.push_str(&self.detailed);
            if !self.brief.is_empty() {
                if !self.detailed.is_empty() {
                    out.push_str("More failures, without their tracebacks:\n\n");
                }
                out.push_str(&self.brief);
                out.push('\n');
            }
            if self.not_listed > 0 {
                let _ = writeln!(
                    out,
                    "_… {} more failures not listed to stay within GitHub's size limit._\n",
                    self.not_listed
                );
            }
            if self.tracebacks_cut {
                cut_notes.push("tracebacks of later failures");
            }
        }
        if !self.slowest.is_empty() {
            let _ = writeln!(
                out,
                "### Slowest tests\n\n| Duration | Test |\n| ---: | --- |"
            );
            for (d, name, note) in &self.slowest {
                let note = note
                    .as_ref()
                    .map(|n| format!(" **[{}]**", cell(side::head(n, 80))))
                    .unwrap_or_default();
                let _ = writeln!(out, "| {} | {}{note} |", seconds(*d), cell_code(name));
            }
            out.push('\n');
        }
        for s in self.streams.iter().take(MAX_STREAM_ROWS) {
            if let Some((busy, idle, share)) = &s.balance {
                let _ = writeln!(
                    out,
                    "**Worker balance** ({}): busiest {busy}, idlest {idle}; workers idle {:.0}% of the wall time.\n",
                    inline(&s.name),
                    share * 100.0
                );
            }
        }
        if !cut_notes.is_empty() {
            let _ = writeln!(
                out,
                "_Left out to stay within GitHub's size limit: {}._",
                cut_notes.join(", ")
            );
        }
        if out.len() > CAP {
            let note =
                "\n\n_… the rest was cut to stay within GitHub's 1,024 KiB step summary limit._\n";
            let mut end = CAP - note.len();
            while !out.is_char_boundary(end) {
                end -= 1;
            }
            let end = out[..end].rfind('\n').unwrap_or(end);
            out.truncate(end);
            out.push_str(note);
        }
        out
    }
}

/// The longest run of backticks in `text`.
fn longest_backticks(text: &str) -> usize {
    let b = text.as_bytes();
    let mut longest = 0;
    let mut at = 0;
    // Backticks are rare in tracebacks: memchr skips to each run.
    while let Some(i) = memchr::memchr(b'`', &b[at..]) {
        let run = b[at + i..].iter().take_while(|&&c| c == b'`').count();
        longest = longest.max(run);
        at += i + run;
    }
    longest
}

/// A code block fence longer than any backtick run in `text`.
fn fence_for(text: &str) -> String {
    "`".repeat((longest_backticks(text) + 1).max(3))
}

/// Inline Markdown code for a test name.
fn code_span(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    // A run of backticks as long as the fence would end the span.
    let fence = "`".repeat(longest_backticks(&text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Plain text made safe for inline Markdown and HTML.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '*' | '_' | '`' | '[' | ']' | '|' | '\\' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A table cell: inline text, `|` escaped.
fn cell(text: &str) -> String {
    inline(text)
}

/// A test name in a table cell: code, with `|` escaped (GFM tables split
/// on it even inside code).
fn cell_code(text: &str) -> String {
    code_span(text).replace('|', "\\|")
}

/// The title of a `<details>` block is HTML, where Markdown code spans
/// still render on GitHub, but raw `<`/`&` must be escaped.
fn html_of_md(md: &str) -> String {
    // `inline` already escaped the rest; the name is a code span whose
    // content needs HTML escaping. A span opens with a run of backticks
    // and closes at the next run of the same length (CommonMark).
    let mut out = String::with_capacity(md.len());
    let mut fence = 0; // the open span's fence, 0 outside a span
    let mut rest = md;
    while let Some(c) = rest.chars().next() {
        if c == '\\' && fence == 0 && rest.len() > 1 {
            // `inline`'s escapes: `\`` opens no span.
            let next = rest[1..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&rest[..1 + next]);
            rest = &rest[1 + next..];
            continue;
        }
        if c == '`' {
            let run = rest.bytes().take_while(|&b| b == b'`').count();
            if fence == 0 {
                fence = run;
            } else if run == fence {
                fence = 0;
            }
            out.push_str(&rest[..run]);
            rest = &rest[run..];
            continue;
        }
        match c {
            '<' if fence > 0 => out.push_str("&lt;"),
            '&' if fence > 0 => out.push_str("&amp;"),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `--markdown FILE` behind the output trait.
pub struct MarkdownFile {
    path: std::path::PathBuf,
    md: Markdown,
}

impl MarkdownFile {
    pub fn new(path: std::path::PathBuf, annotator: Option<Arc<dyn Annotator>>) -> MarkdownFile {
        MarkdownFile {
            path,
            md: Markdown::new(annotator),
        }
    }
}

impl Format for MarkdownFile {
    fn begin_stream<'a>(
        &'a mut self,
        _stage: &mut Staging,
        meta: &StreamMeta,
    ) -> crate::Result<Box<dyn StreamWriter + 'a>> {
        self.md.begin_stream(&meta.description);
        Ok(Box::new(Forward(self)))
    }

    fn finish(&mut self, stage: &mut Staging, _meta: &ExportMeta) -> crate::Result<()> {
        let mut out = stage.create_at(&self.path)?;
        // The document is the file: handed over, not copied.
        out.write_vec(self.md.render().into_bytes())
            .map_err(|e| out.io_err(e))?;
        stage.finish(out)
    }
}

impl SideStream for MarkdownFile {
    fn side_entry(&mut self, e: &Entry) -> crate::Result<()> {
        self.md.entry(e);
        Ok(())
    }

    fn side_end(&mut self, _stage: &mut Staging, stats: &Stats) -> crate::Result<()> {
        self.md.end_stream(stats.start, stats.end);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::summary::tests::entry;

    #[test]
    fn fences_outrun_every_backtick_run() {
        assert_eq!(fence_for("no ticks, é"), "```");
        assert_eq!(fence_for("`a` ``b``"), "```");
        assert_eq!(fence_for("é```é `` ````"), "`````");
        assert_eq!(fence_for("ends ``````"), "```````");
    }

    #[test]
    fn names_with_backticks_stay_one_code_span() {
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`a``"), "``` `a`` ```");
        assert_eq!(code_span("plain"), "`plain`");
        // The span's HTML is escaped up to its own closing run only.
        let title = format!("{} — {}", code_span("a`b<details>&"), inline("x ``` <y>"));
        assert_eq!(
            html_of_md(&title),
            "``a`b&lt;details>&amp;`` — x \\`\\`\\` &lt;y&gt;"
        );
        let mut m = Markdown::new(None);
        m.begin_stream("s");
        m.entry(&entry("p.T.t`<details>", "fail", 1.0, Some("E: x\n")));
        m.end_stream(Some(0), Some(1_000_000));
        let md = m.render();
        assert!(
            md.contains("<details><summary>``p.T.t`&lt;details>`` — E: x</summary>"),
            "{md}"
        );
        // In a table cell the code span itself keeps the tag literal.
        assert!(md.contains("| 1.00s | ``p.T.t`<details>`` |"), "{md}");
    }

    #[test]
    fn counts_failures_slowest_and_balance() {
        let mut m = Markdown::new(None);
        m.begin_stream("Subunit File: x|y");
        let tb = "Traceback (most recent call last):\n  File \"t\", line 1\n    ```\nAssertionError: 1 != 2\n";
        let mut a = entry("a.T.test_fail<1>", "fail", 3.0, Some(tb));
        a.tags = ["worker-1".to_owned()].into();
        m.entry(&a);
        m.entry(&entry("a.T.test_ok", "success", 1.0, None));
        m.entry(&entry("a.T.test_ux", "uxsuccess", 0.0, None));
        m.end_stream(Some(0), Some(4_000_000));
        let md = m.render();
        assert!(
            md.contains("| Subunit File: x\\|y | 3 | 1 | **2** | 0 | 0 | 4.00s | 4.00s |"),
            "{md}"
        );
        assert!(md.contains("### Failures (2)"), "{md}");
        assert!(
            md.contains(
                "<details><summary>`a.T.test_fail&lt;1>` — AssertionError: 1 != 2</summary>"
            ),
            "{md}"
        );
        assert!(
            md.contains("````text\n"),
            "a fence longer than the traceback's: {md}"
        );
        assert!(md.contains("`a.T.test_ux` — unexpected success"), "{md}");
        assert!(md.contains("| 3.00s | `a.T.test_fail<1>` |"), "{md}");
        assert!(md.contains("busiest worker-1 (3.00s in 1 test), idlest worker-0 (1.00s in 2 tests); workers idle 50%"), "{md}");
    }

    #[test]
    fn huge_runs_stay_under_the_cap_and_say_what_was_cut() {
        let mut m = Markdown::new(None);
        m.begin_stream("s");
        let tb = format!(
            "Traceback (most recent call last):\n{}AssertionError: x\n",
            "  File \"f\", line 1\n".repeat(300)
        );
        for i in 0..20_000 {
            m.entry(&entry(
                &format!("pkg.Test.test_{i}"),
                "fail",
                0.1,
                Some(&tb),
            ));
        }
        m.end_stream(None, None);
        let md = m.render();
        assert!(md.len() <= CAP, "{}", md.len());
        assert!(md.contains("### Failures (20000)"));
        assert!(md.contains("More failures, without their tracebacks:"));
        assert!(md.contains("more failures not listed"));
        assert!(md.contains(
            "_Left out to stay within GitHub's size limit: tracebacks of later failures._"
        ));
        assert!(md.contains("bytes of the traceback not shown"));
    }
}
