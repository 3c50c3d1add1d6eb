//! The page data: what the script in `app.js` reads from the JSON block.

use std::collections::BTreeSet;

use serde::Serialize;

use super::lanes::lane_labels;
use super::StreamData;

#[derive(Serialize)]
pub(super) struct Page<'a> {
    pub(super) generator: &'static str,
    pub(super) statuses: [&'static str; 8],
    pub(super) cap: usize,
    pub(super) streams: Vec<PageStream<'a>>,
    pub(super) dstat: Option<PageDstat<'a>>,
    pub(super) dstat_note: Option<&'a str>,
}

#[derive(Serialize)]
pub(super) struct PageDstat<'a> {
    pub(super) name: Option<&'a str>,
    pub(super) points: usize,
    /// µs since the epoch.
    pub(super) t: &'a [i64],
    pub(super) series: Vec<(&'static str, &'a [Option<f64>])>,
}

#[derive(Serialize)]
pub(super) struct PageStream<'a> {
    pub(super) name: &'a str,
    pub(super) count: u64,
    /// µs since the epoch.
    pub(super) start: Option<i64>,
    pub(super) end: Option<i64>,
    pub(super) total: f64,
    pub(super) workers: usize,
    pub(super) lanes: Vec<String>,
    pub(super) names: &'a [String],
    pub(super) status: &'a [u8],
    /// Start offset from `start`, µs; null without timestamps.
    pub(super) at: Vec<Option<i64>>,
    /// Span in µs (end − start, never negative).
    pub(super) span: Vec<Option<i64>>,
    pub(super) duration: &'a [f64],
    /// Lane index, −1 when the test is not on the timeline.
    pub(super) lane: Vec<i32>,
    pub(super) chunks: &'a [u32],
    pub(super) failures: &'a [(u32, Option<Vec<String>>)],
    pub(super) skips: &'a [(u32, Option<String>)],
}

impl<'a> PageStream<'a> {
    pub(super) fn new(s: &'a StreamData) -> Self {
        let base = s.start.unwrap_or(0);
        let (lanes, lane) = lane_labels(&s.worker, &s.span);
        PageStream {
            name: &s.name,
            count: s.count,
            start: s.start,
            end: s.end,
            total: s.total,
            workers: s.worker.iter().flatten().collect::<BTreeSet<_>>().len(),
            lanes,
            names: &s.names,
            status: &s.status,
            at: s.span.iter().map(|p| p.map(|(a, _)| a - base)).collect(),
            span: s.span.iter().map(|p| p.map(|(a, b)| b - a)).collect(),
            duration: &s.duration,
            lane,
            chunks: &s.chunk_starts,
            failures: &s.failures,
            skips: &s.skips,
        }
    }
}
