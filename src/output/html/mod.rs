//! `--html`: one self-contained `index.html` that shows the export without
//! the StackViz front-end, a server or the network.
//!
//! The page holds, per stream, a summary (counts by status, pass rate, wall
//! time, sum of durations, workers), a timeline with one lane per worker
//! (`worker-N` tags; tests without such a tag get lanes assigned greedily by
//! time overlap, the fewest that keep bars apart), the failures with their
//! last traceback lines, the skips with their reasons, the slowest tests and
//! a filterable, sortable table of every test. With `--dstat`, CPU, memory,
//! disk and network charts share the timeline's time axis. Several streams
//! share one page behind a selector.
//!
//! Everything is inline: style, script, and the data, which sits in a
//! `<script type="application/json">` block. Inside it `</` is written `<\/`
//! and `<!` as `\u003c!`, so no text from a stream can end the block or put
//! the HTML parser into a state where the real end tag would not end it.
//!
//! Like every format this one sees each entry once, in the single pass.
//! What the page draws goes into columns (see `columns`): ids compressed
//! as they arrive, names kept to be sorted and compressed at the end (see
//! `order`), statuses, times and lanes as typed arrays,
//! written as `<script type="application/octet-stream">` blocks of gzip
//! members in base64 (see `pack`) after the script, which the page
//! decodes with the browser's `DecompressionStream`; its JSON block
//! holds only what the first screen needs (counts, stream facts) and the
//! failures and skips. Entries of one test id are merged there too: the
//! page counts each test once, with its final outcome. The rest is spooled
//! to a scratch file as it goes: each test's tags and attachment texts
//! (see `record`), in chunks of about 256 KiB of JSON, compressed and
//! encoded the same way on a thread of their own; the page decompresses a
//! chunk only when one of its tests is opened.
//!
//! **Producers.** A failure's traceback is taken from whichever attachment
//! holds one, and its exception line and signature come from
//! `model::failure`; a skip's reason from `reason`, tap2subunit's
//! `tap comment` or pytest-subunit's tuple (see `producers`). The stats in
//! the JSON files keep upstream's rules.
//!
//! **Attachment cap.** A test's attachment text is capped at 64 KiB
//! ([`ATTACHMENT_CAP`], counted in UTF-8 bytes over all its attachments).
//! When a test has more, the budget is shared out fairly: attachments
//! smaller than an equal share are kept whole, and the larger ones are each
//! cut to the same share. A cut attachment keeps its **end** (tracebacks and
//! logs end with what went wrong), starting at a line boundary when one is
//! near, and the page shows `… cut: N bytes not shown` above it. The last
//! traceback lines in the failure list come from the whole traceback.
//!
//! **dstat.** The export reads the log once, in [`crate::input::dstat`],
//! and hands the chart series over in [`ExportMeta::dstat_charts`]. Its
//! `system`/`time` column reads `DD-MM HH:MM:SS`, without a year or a zone:
//! times are taken as UTC, and each row gets the year that puts it closest
//! to the earliest test start, so a log that crosses New Year's Eve stays in
//! order. Long logs are averaged down to at most 20,000 points. A log that
//! cannot be read leaves the charts out, with a note in the page and a
//! warning (see [`Format::warnings`]).
//!
//! **Pass rate** = (success + xfail) / (success + xfail + fail + uxsuccess);
//! skips and tests without a verdict count in neither part.

mod cap;
mod columns;
mod escape;
mod lanes;
mod order;
mod pack;
mod page;
mod producers;
mod record;
mod spool;

use std::io::{self, Read, Seek, SeekFrom};

use self::cap::shorten;
use self::columns::Columns;
use self::escape::{escape_html, escape_script_json};
use self::page::{Page, PageDstat, PageStream};
use self::spool::Spool;
use super::{ExportMeta, Format, StreamMeta, StreamWriter};
use crate::model::entry::{Entry, TestStatus};
use crate::model::failure;
use crate::model::lanes::worker_of;
use crate::model::stats::{failure_lines, Stats};
use crate::write::outfile::OutFile;
use crate::write::staging::Staging;
use crate::{Error, Result};

const PAGE: &str = include_str!("page.html");
const STYLE: &str = include_str!("style.css");
/// The page's script: these parts, in order, inside one function scope
/// (no build step, no library; see `js/base.js`).
const SCRIPT_PARTS: [&str; 7] = [
    include_str!("js/base.js"),
    include_str!("js/data.js"),
    include_str!("js/timeline.js"),
    include_str!("js/panels.js"),
    include_str!("js/table.js"),
    include_str!("js/history.js"),
    include_str!("js/view.js"),
];
const SCRIPT_OPEN: &str = "(function () {\n'use strict';\n";
const SCRIPT_CLOSE: &str = "})();";

/// The most attachment text kept per test, in UTF-8 bytes.
pub const ATTACHMENT_CAP: usize = 64 * 1024;
/// A chunk of spooled test records is closed at this many JSON bytes…
const CHUNK_BYTES: usize = 256 * 1024;
/// …or at this many tests.
const CHUNK_TESTS: usize = 512;
/// Attachment chunks are compressed at libdeflate's level 1: level 6
/// makes tempest logs 10 % smaller in almost twice the time.
const CHUNK_GZIP_LEVEL: i32 = 1;
/// Skip reasons longer than this are shortened in the skip list (the
/// whole reason stays among the test's attachments).
const REASON_CAP: usize = 2000;
/// How far back a cut attachment may start later to begin at a line.
const LINE_SNAP: usize = 512;

/// What the page needs of one stream.
struct StreamData {
    name: String,
    /// Statuses, names and ids, in columns.
    cols: Columns,
    /// (start, end) in µs since the epoch.
    span: Vec<Option<(i64, i64)>>,
    worker: Vec<Option<u32>>,
    /// Index of the first test of each spooled chunk.
    chunk_starts: Vec<u32>,
    failures: Vec<Failure>,
    skips: Vec<(u32, Option<String>)>,
    count: u64,
    start: Option<i64>,
    end: Option<i64>,
    total: f64,
}

/// A failure on the page: entry, upstream's last traceback lines (what
/// the stats files say), the exception line and its signature.
type Failure = (u32, Option<Vec<String>>, Option<String>, Option<String>);

/// The `index.html` report.
pub struct Html {
    streams: Vec<StreamData>,
    /// Created with the first stream; each stream's writer holds it.
    spool: Option<Spool>,
    warnings: Vec<String>,
}

impl Default for Html {
    fn default() -> Self {
        Self::new()
    }
}

impl Html {
    pub fn new() -> Self {
        Html {
            streams: Vec::new(),
            spool: None,
            warnings: Vec::new(),
        }
    }
}

impl Format for Html {
    fn begin_stream<'a>(
        &'a mut self,
        stage: &mut Staging,
        meta: &StreamMeta,
    ) -> Result<Box<dyn StreamWriter + 'a>> {
        let mut spool = match self.spool.take() {
            Some(sp) => sp,
            None => {
                let (file, path) = stage.scratch("index.html.attachments")?;
                Spool::new(file, path)
            }
        };
        spool.chunk_no = 0;
        let data = StreamData {
            name: meta.description.clone(),
            cols: Columns::new(),
            span: Vec::new(),
            worker: Vec::new(),
            chunk_starts: Vec::new(),
            failures: Vec::new(),
            skips: Vec::new(),
            count: 0,
            start: None,
            end: None,
            total: 0.0,
        };
        Ok(Box::new(HtmlStream {
            index: self.streams.len(),
            html: self,
            data,
            spool,
        }))
    }
    fn finish(&mut self, stage: &mut Staging, meta: &ExportMeta) -> Result<()> {
        let mut dstat = None;
        let mut dstat_note = None;
        match &meta.dstat_charts {
            None => {}
            Some(Ok(d)) => dstat = Some(d),
            Some(Err(why)) => {
                if let Some(path) = &meta.dstat_path {
                    self.warnings.push(format!(
                        "{}: index.html has no dstat charts: {why}",
                        path.display()
                    ));
                }
                dstat_note = Some(why.as_str());
            }
        }

        let title = match self.streams.as_slice() {
            [one] => format!("StackViz: {}", one.name),
            _ => format!("StackViz: {} streams", self.streams.len()),
        };
        let mut blocks = Vec::new();
        let mut streams = Vec::new();
        for (si, s) in std::mem::take(&mut self.streams).into_iter().enumerate() {
            let (page, b) = PageStream::new(si, s);
            streams.push(page);
            blocks.extend(b);
        }
        let page = Page {
            generator: concat!("stackviz-export ", env!("CARGO_PKG_VERSION")),
            statuses: TestStatus::NAMES,
            cap: ATTACHMENT_CAP,
            streams,
            dstat: dstat.as_ref().map(|d| PageDstat {
                name: meta.dstat_source_name.as_deref(),
                points: d.t.len(),
                t: &d.t,
                series: d.series.iter().map(|(k, v)| (*k, v.as_slice())).collect(),
            }),
            dstat_note,
        };
        let data = escape_script_json(&serde_json::to_vec(&page).expect("in-memory JSON"));

        let mut out = stage.create("index.html", false)?;
        let mut rest = PAGE;
        while let Some(at) = rest.find("<!--@") {
            out.write_all_ctx(&rest.as_bytes()[..at])?;
            let after = &rest[at + 5..];
            let end = after.find("-->").expect("template marker is closed");
            match &after[..end] {
                "title" => out.write_all_ctx(escape_html(&title).as_bytes())?,
                "style" => out.write_all_ctx(STYLE.as_bytes())?,
                "data" => out.write_all_ctx(&data)?,
                // history.json's content, for js/history.js (empty without history).
                "history" if !meta.history.is_empty() => out.write_all_ctx(&escape_script_json(
                    &crate::history::view::to_json(&meta.history),
                ))?,
                "history" => {}
                "script" => {
                    out.write_all_ctx(SCRIPT_OPEN.as_bytes())?;
                    for part in SCRIPT_PARTS {
                        out.write_all_ctx(part.as_bytes())?;
                    }
                    out.write_all_ctx(SCRIPT_CLOSE.as_bytes())?;
                }
                "columns" => {
                    // Arrays and names, the mark the page waits for, then
                    // the id extras (see data.js, whenColumns).
                    let (ids, first): (Vec<_>, Vec<_>) =
                        blocks.iter().partition(|(id, _)| id.starts_with("x-"));
                    for (id, text) in first {
                        write_block(&mut out, id, text)?;
                    }
                    out.write_all_ctx(b"<div id=\"columns-end\" hidden></div>\n")?;
                    for (id, text) in ids {
                        write_block(&mut out, id, text)?;
                    }
                }
                "attachments" => self.copy_spool(stage, &mut out)?,
                other => unreachable!("unknown template marker {other}"),
            }
            rest = &after[end + 3..];
        }
        out.write_all_ctx(rest.as_bytes())?;
        stage.finish(out)
    }

    fn warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

/// One `<script type="application/octet-stream">` block.
fn write_block(out: &mut OutFile, id: &str, text: &[u8]) -> Result<()> {
    let open = format!("<script type=\"application/octet-stream\" id=\"{id}\">");
    out.write_all_ctx(open.as_bytes())?;
    out.write_all_ctx(text)?;
    out.write_all_ctx(b"</script>\n")
}

impl Html {
    fn copy_spool(&mut self, stage: &mut Staging, out: &mut OutFile) -> Result<()> {
        let Some(mut sp) = self.spool.take() else {
            return Ok(());
        };
        let mut file = sp.finish()?;
        let err = |e: io::Error| Error::io(&sp.path, e);
        file.seek(SeekFrom::Start(0)).map_err(err)?;
        // In 1 MiB reads: io::copy's 8 KiB buffer made a read call per
        // 8 KiB of a page that can be hundreds of MB.
        let mut buf = vec![0; 1 << 20];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(err(e)),
            };
            out.write_all_ctx(&buf[..n])?;
        }
        drop(file);
        stage.discard(&sp.path);
        Ok(())
    }
}

/// One stream of the report: its page data, and the spool while it runs.
struct HtmlStream<'a> {
    html: &'a mut Html,
    index: usize,
    data: StreamData,
    spool: Spool,
}

impl StreamWriter for HtmlStream<'_> {
    fn entry(&mut self, e: &Entry) -> Result<()> {
        let cur = &mut self.data;
        let sp = &mut self.spool;
        let i = cur.cols.len() as u32;
        if sp.chunk_tests == 0 {
            cur.chunk_starts.push(i);
            sp.chunk.push(b'[');
        } else {
            sp.chunk.push(b',');
        }
        record::write_record(&mut sp.chunk, e);
        sp.chunk_tests += 1;
        if sp.chunk.len() >= CHUNK_BYTES || sp.chunk_tests >= CHUNK_TESTS {
            sp.close_chunk(self.index)?;
        }

        cur.cols.push(e.status, &e.name, &e.id);
        cur.span.push(match (e.start, e.end) {
            (Some(s), Some(x)) => Some((s.min(x), s.max(x))),
            (Some(t), None) | (None, Some(t)) => Some((t, t)),
            (None, None) => None,
        });
        cur.worker.push(worker_of(&e.tags));
        match e.status {
            TestStatus::Fail => {
                // Whichever attachment holds the traceback; the lines
                // under it keep upstream's rule, the summary is the
                // exception line.
                let tb = producers::traceback(&e.details);
                let details = e.details.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                let reason =
                    failure::reason(details).or_else(|| tb.and_then(failure::exception_line));
                cur.failures.push((
                    i,
                    failure_lines(tb),
                    reason.map(str::to_owned),
                    reason.map(failure::signature),
                ));
            }
            TestStatus::Skip => cur.skips.push((
                i,
                producers::skip_reason(&e.details).map(|r| shorten(r, REASON_CAP)),
            )),
            _ => {}
        }
        Ok(())
    }

    fn end(self: Box<Self>, _stage: &mut Staging, stats: &Stats) -> Result<()> {
        let HtmlStream {
            html,
            index,
            data: mut cur,
            mut spool,
        } = *self;
        spool.close_chunk(index)?;
        html.spool = Some(spool);
        cur.count = stats.count;
        cur.start = stats.start;
        cur.end = stats.end;
        cur.total = stats.total_duration;
        html.streams.push(cur);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::cap::*;
    use super::escape::*;
    use super::*;

    #[test]
    fn the_cap_shares_fairly_and_keeps_the_end() {
        assert_eq!(fair_shares(&[10, 20], 100), [10, 20]);
        assert_eq!(fair_shares(&[10, 500, 300], 100), [10, 45, 45]);
        assert_eq!(fair_shares(&[40, 40, 40], 90), [30, 30, 30]);
        assert_eq!(fair_shares(&[], 90), Vec::<usize>::new());
        let big = "x".repeat(70_000) + "\nlast line";
        let details = vec![
            ("traceback".to_owned(), big.clone()),
            ("reason".to_owned(), "short".to_owned()),
        ];
        let capped = super::cap::cap_attachments(&details);
        assert_eq!(capped[1], ("reason", "short", 0));
        let (_, kept, cut) = capped[0];
        assert!(kept.len() <= ATTACHMENT_CAP - 5);
        assert!(kept.ends_with("\nlast line"));
        assert_eq!(kept.len() + cut, big.len());
        // Line snapping and character boundaries.
        assert_eq!(keep_end("aaaa\nbbbb", 6), "bbbb");
        assert_eq!(keep_end("ééé", 3), "é");
        assert_eq!(keep_end("abc", 5), "abc");
    }

    #[test]
    fn script_data_cannot_close_its_block() {
        let json = serde_json::to_vec(&"</script><!-- <script>").unwrap();
        let esc = escape_script_json(&json);
        let text = String::from_utf8(esc.clone()).unwrap();
        assert!(!text.contains("</") && !text.contains("<!"));
        let back: String = serde_json::from_slice(&esc).unwrap();
        assert_eq!(back, "</script><!-- <script>");
    }

    #[test]
    fn template_pieces_are_safe_inline() {
        for marker in [
            "title",
            "style",
            "data",
            "history",
            "script",
            "columns",
            "attachments",
        ] {
            assert!(PAGE.contains(&format!("<!--@{marker}-->")), "{marker}");
        }
        let pieces = [STYLE, SCRIPT_OPEN, SCRIPT_CLOSE]
            .into_iter()
            .chain(SCRIPT_PARTS);
        for piece in pieces.clone() {
            let lower = piece.to_ascii_lowercase();
            for bad in ["</script", "</style", "<!--"] {
                assert!(
                    !lower.contains(bad),
                    "an inline piece must not contain {bad}"
                );
            }
        }
        for url in ["http://", "https://", "//cdn", "@import"] {
            assert!(!PAGE.contains(url) && pieces.clone().all(|p| !p.contains(url)));
        }
    }

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
        // Six bytes at a time, then groups of three, then the padding.
        assert_eq!(base64(b"foobarf"), "Zm9vYmFyZg==");
        assert_eq!(base64(b"foobarfo"), "Zm9vYmFyZm8=");
        assert_eq!(base64(b"foobarfoo"), "Zm9vYmFyZm9v");
        assert_eq!(base64(b"foobarfoobar!"), "Zm9vYmFyZm9vYmFyIQ==");
        assert_eq!(base64(&[0xfb, 0xff, 0xbf, 0x00, 0x10, 0x83]), "+/+/ABCD");
    }
}
