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
//! Like every format this one sees each entry once, in the single pass. It
//! keeps what the page draws in memory (names, statuses, times, lanes) and
//! spools the rest to a scratch file as it goes: each test's full id, tags
//! and attachment texts, in chunks of about 256 KiB of JSON that are
//! gzip-compressed and base64-encoded into `<script
//! type="application/octet-stream">` blocks. The page decompresses a chunk
//! (with the browser's `DecompressionStream`) only when one of its tests is
//! opened, so a run with tens of thousands of logged tests still opens fast.
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
//! **dstat.** The classic dstat CSV is parsed here (a real CSV reader).
//! Its `system`/`time` column reads `DD-MM HH:MM:SS`, without a year or a
//! zone: times are taken as UTC, and each row gets the year that puts it
//! closest to the earliest test start, so a log that crosses New Year's Eve
//! stays in order. Logs of more than 20,000 rows are averaged down to 20,000
//! points. A log that cannot be read leaves the charts out, with a note in
//! the page and a warning (see [`Format::warnings`]).
//!
//! **Pass rate** = (success + xfail) / (success + xfail + fail + uxsuccess);
//! skips and tests without a verdict count in neither part.

mod cap;
mod dstat;
mod escape;
mod lanes;
mod page;
mod spool;

use std::io::{self, Seek, SeekFrom};

use self::cap::{cap_attachments, shorten};
use self::dstat::parse_dstat;
use self::escape::{escape_html, escape_script_json};
use self::lanes::worker_number;
use self::page::{Page, PageDstat, PageStream};
use self::spool::Spool;
use super::{ExportMeta, Format, StreamMeta, StreamWriter};
use crate::model::entry::{Entry, TestStatus};
use crate::model::stats::{failure_lines, Stats};
use crate::write::staging::{OutFile, Staging};
use crate::{Error, Result};

const PAGE: &str = include_str!("page.html");
const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("app.js");

/// The most attachment text kept per test, in UTF-8 bytes.
pub const ATTACHMENT_CAP: usize = 64 * 1024;
/// A chunk of spooled test records is closed at this many JSON bytes…
const CHUNK_BYTES: usize = 256 * 1024;
/// …or at this many tests.
const CHUNK_TESTS: usize = 512;
/// Attachment chunks are compressed at this level: most of level 6's
/// ratio (about 11.5 MB instead of 10.3 MB of page for 47 MB of logs) at
/// well under half its time.
const CHUNK_GZIP_LEVEL: u32 = 2;
/// dstat logs with more rows are averaged down to this many points.
const MAX_DSTAT_POINTS: usize = 20_000;
/// Skip reasons longer than this are shortened in the skip list (the
/// whole reason stays among the test's attachments).
const REASON_CAP: usize = 2000;
/// How far back a cut attachment may start later to begin at a line.
const LINE_SNAP: usize = 512;

/// What the page needs of one stream.
struct StreamData {
    name: String,
    names: Vec<String>,
    status: Vec<u8>,
    /// (start, end) in µs since the epoch.
    span: Vec<Option<(i64, i64)>>,
    duration: Vec<f64>,
    worker: Vec<Option<u32>>,
    /// Index of the first test of each spooled chunk.
    chunk_starts: Vec<u32>,
    failures: Vec<(u32, Option<Vec<String>>)>,
    skips: Vec<(u32, Option<String>)>,
    count: u64,
    start: Option<i64>,
    end: Option<i64>,
    total: f64,
}

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
            names: Vec::new(),
            status: Vec::new(),
            span: Vec::new(),
            duration: Vec::new(),
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
        if let Some(path) = &meta.dstat_path {
            let near = self.streams.iter().filter_map(|s| s.start).min();
            let parsed = match near {
                None => Err("no test has a timestamp to place it on the time axis".to_owned()),
                Some(near) => std::fs::read(path)
                    .map_err(|e| e.to_string())
                    .and_then(|bytes| parse_dstat(&bytes, near)),
            };
            match parsed {
                Ok(d) => dstat = Some(d),
                Err(why) => {
                    self.warnings.push(format!(
                        "{}: index.html has no dstat charts: {why}",
                        path.display()
                    ));
                    dstat_note = Some(why);
                }
            }
        }

        let streams: Vec<PageStream<'_>> = self.streams.iter().map(PageStream::new).collect();
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
            dstat_note: dstat_note.as_deref(),
        };
        let data = escape_script_json(&serde_json::to_vec(&page).expect("in-memory JSON"));
        let title = match self.streams.as_slice() {
            [one] => format!("StackViz: {}", one.name),
            _ => format!("StackViz: {} streams", self.streams.len()),
        };

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
                "script" => out.write_all_ctx(SCRIPT.as_bytes())?,
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

impl Html {
    fn copy_spool(&mut self, stage: &mut Staging, out: &mut OutFile) -> Result<()> {
        let Some(mut sp) = self.spool.take() else {
            return Ok(());
        };
        let mut file = sp.finish()?;
        let err = |e: io::Error| Error::io(&sp.path, e);
        file.seek(SeekFrom::Start(0)).map_err(err)?;
        io::copy(&mut file, out).map_err(|e| out.io_err(e))?;
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
        let i = cur.names.len() as u32;
        if sp.chunk_tests == 0 {
            cur.chunk_starts.push(i);
            sp.chunk.push(b'[');
        } else {
            sp.chunk.push(b',');
        }
        let id = (e.id != e.name).then_some(e.id.as_str());
        let record = (id, &e.tags, cap_attachments(&e.details));
        serde_json::to_writer(&mut sp.chunk, &record).expect("in-memory JSON");
        sp.chunk_tests += 1;
        if sp.chunk.len() >= CHUNK_BYTES || sp.chunk_tests >= CHUNK_TESTS {
            sp.close_chunk(self.index)?;
        }

        cur.names.push(e.name.clone());
        cur.status.push(e.status as u8);
        cur.span.push(match (e.start, e.end) {
            (Some(s), Some(x)) => Some((s.min(x), s.max(x))),
            (Some(t), None) | (None, Some(t)) => Some((t, t)),
            (None, None) => None,
        });
        cur.duration.push(e.duration);
        cur.worker
            .push(e.tags.iter().find_map(|t| worker_number(t)));
        match e.status {
            TestStatus::Fail => cur.failures.push((i, failure_lines(e.detail("traceback")))),
            TestStatus::Skip => cur
                .skips
                .push((i, e.detail("reason").map(|r| shorten(r, REASON_CAP)))),
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
    use super::dstat::*;
    use super::escape::*;
    use super::lanes::*;
    use super::*;

    fn spans(v: &[(i64, i64)]) -> Vec<Option<(i64, i64)>> {
        v.iter().map(|&s| Some(s)).collect()
    }

    #[test]
    fn worker_tags_give_one_lane_each_in_numeric_order() {
        let worker = [Some(10), Some(2), Some(2), None, Some(0)];
        let span = vec![Some((0, 5)), Some((0, 5)), None, Some((1, 2)), Some((3, 4))];
        let (labels, lane) = assign_lanes(&worker, &span);
        assert_eq!(labels, ["worker-0", "worker-2", "worker-10", "untagged 1"]);
        assert_eq!(lane, [2, 1, -1, 3, 0]);
        assert_eq!(worker_number("worker-7"), Some(7));
        assert_eq!(worker_number("worker-"), None);
        assert_eq!(worker_number("worker-+1"), None);
        assert_eq!(worker_number("worker-1a"), None);
    }

    #[test]
    fn untagged_tests_get_the_fewest_lanes_that_keep_bars_apart() {
        // Sequential tests, touching ends included, share one lane.
        let (labels, lane) = assign_lanes(&[None; 3], &spans(&[(0, 10), (10, 20), (20, 20)]));
        assert_eq!(labels, ["lane 1"]);
        assert_eq!(lane, [0, 0, 0]);
        // Three at once, then the lowest free lane is reused.
        let (labels, lane) = assign_lanes(
            &[None; 5],
            &spans(&[(0, 10), (1, 4), (2, 30), (5, 6), (11, 12)]),
        );
        assert_eq!(labels, ["lane 1", "lane 2", "lane 3"]);
        assert_eq!(lane, [0, 1, 2, 1, 0]);
        // Completion order does not matter; untimed tests have no lane.
        let (labels, lane) = assign_lanes(&[None; 3], &[Some((5, 9)), None, Some((0, 6))]);
        assert_eq!(labels, ["lane 1", "lane 2"]);
        assert_eq!(lane, [1, -1, 0]);
        let (labels, lane) = assign_lanes(&[], &[]);
        assert!(labels.is_empty() && lane.is_empty());
    }

    #[test]
    fn greedy_lanes_never_overlap_and_match_peak_concurrency() {
        let mut seed = 7u64;
        let mut next = move |n: i64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as i64) % n
        };
        let span: Vec<_> = (0..500)
            .map(|_| {
                let a = next(10_000);
                Some((a, a + next(300)))
            })
            .collect();
        let (labels, lane) = assign_lanes(&vec![None; span.len()], &span);
        let mut edges: Vec<(i64, i32)> = span
            .iter()
            .flatten()
            .flat_map(|&(a, b)| [(a, 1), (b, -1)])
            .collect();
        edges.sort_by_key(|&(t, d)| (t, d));
        let peak = edges
            .iter()
            .scan(0, |n, &(_, d)| {
                *n += d;
                Some(*n)
            })
            .max()
            .unwrap();
        assert_eq!(labels.len() as i32, peak);
        for l in 0..labels.len() as i32 {
            let mut mine: Vec<_> = (0..span.len())
                .filter(|&i| lane[i] == l)
                .map(|i| span[i].unwrap())
                .collect();
            mine.sort();
            assert!(mine.windows(2).all(|w| w[0].1 <= w[1].0));
        }
    }

    const REAL: &[u8] = include_bytes!("../../../fixtures/conformance/cli_dstat_real/dstat.csv");

    #[test]
    fn real_dstat_log_parses_into_series() {
        // 2026-11-22T01:42:38Z, the run the log came with.
        let near = 1_795_311_758_000_000;
        let d = parse_dstat(REAL, near).unwrap();
        assert_eq!(d.t.len(), 6);
        assert_eq!(d.t[0], 1_795_311_711_000_000); // 22-11 01:41:51
        assert!(d.t.windows(2).all(|w| w[1] - w[0] == 1_000_000));
        let keys: Vec<_> = d.series.iter().map(|s| s.0).collect();
        assert_eq!(
            keys,
            ["usr", "sys", "idl", "wai", "used", "read", "writ", "recv", "send"]
        );
        let get = |k: &str| &d.series.iter().find(|s| s.0 == k).unwrap().1;
        assert_eq!(get("usr")[0], Some(5.682));
        assert_eq!(get("used")[0], Some(165_597_184.0));
        assert_eq!(get("read")[0], Some(2_827_831.363));
        assert_eq!(get("writ")[1], Some(4096.0));
        assert_eq!(get("send")[5], Some(0.0));
    }

    fn classic(rows: &str) -> Vec<u8> {
        format!(
            "\"Dstat 0.7.2 CSV output\"\r\n\"Author:\",\"x\"\r\n\r\n\
             \"system\",\"total cpu usage\",,,,\"memory usage\"\r\n\
             \"time\",\"usr\",\"sys\",\"idl\",\"wai\",\"used\"\r\n{rows}"
        )
        .into_bytes()
    }

    #[test]
    fn dstat_year_comes_from_the_run_and_wraps_at_new_year() {
        // 2016-01-01T00:00:30Z
        let near = 1_451_606_430_000_000;
        let d = parse_dstat(
            &classic("31-12 23:59:59,1,2,97,0,5\r\n01-01 00:00:01,1,,,0,6\r\nbad,1,1,1,1,1\r\n"),
            near,
        )
        .unwrap();
        assert_eq!(d.t, [1_451_606_399_000_000, 1_451_606_401_000_000]);
        assert_eq!(d.series.len(), 5);
        assert_eq!(d.series[1].1, [Some(2.0), None]);
        assert_eq!(d.series[4].1, [Some(5.0), Some(6.0)]);
    }

    #[test]
    fn unreadable_dstat_logs_say_why() {
        let near = 1_451_606_430_000_000;
        assert!(parse_dstat(b"", near).unwrap_err().contains("empty"));
        let pcp = b"\"pcp-dstat 5.3.7 CSV Output\"\n\"system\"\n\"time\"\n";
        assert!(parse_dstat(pcp, near).unwrap_err().contains("first row"));
        assert!(parse_dstat(&classic(""), near)
            .unwrap_err()
            .contains("no data rows"));
        assert!(parse_dstat(&classic("yesterday,1,1,1,1,1\n"), near)
            .unwrap_err()
            .contains("05-10 19:49:04"));
        let no_cols = b"\"Dstat 0.7.2 CSV output\"\n\"system\",\"load avg\"\n\"time\",\"1m\"\n05-10 19:49:04,1\n";
        assert!(parse_dstat(no_cols, near).unwrap_err().contains("columns"));
    }

    #[test]
    fn long_dstat_logs_are_averaged_down() {
        let mut rows = String::new();
        for s in 0..(MAX_DSTAT_POINTS * 2 + 1) {
            let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
            rows.push_str(&format!("05-10 {h:02}:{m:02}:{sec:02},{},0,0,0,0\n", s % 2));
        }
        let d = parse_dstat(&classic(&rows), 1_444_000_000_000_000).unwrap();
        // 40,001 rows, averaged in threes.
        assert_eq!(d.t.len(), 13_334);
        assert_eq!(d.series[0].1[0], Some(1.0 / 3.0));
        assert_eq!(d.t[1] - d.t[0], 3_000_000);
    }

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
        let capped = cap_attachments(&details);
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
        for marker in ["title", "style", "data", "script", "attachments"] {
            assert!(PAGE.contains(&format!("<!--@{marker}-->")), "{marker}");
        }
        for piece in [STYLE, SCRIPT] {
            let lower = piece.to_ascii_lowercase();
            for bad in ["</script", "</style", "<!--"] {
                assert!(
                    !lower.contains(bad),
                    "an inline piece must not contain {bad}"
                );
            }
        }
        for url in ["http://", "https://", "//cdn", "@import"] {
            assert!(!PAGE.contains(url) && !STYLE.contains(url) && !SCRIPT.contains(url));
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
    }
}
