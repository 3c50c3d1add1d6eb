//! The page data: what the page's script reads from the JSON block, and
//! the columnar blocks beside it.

use std::collections::BTreeSet;

use serde::Serialize;

use super::lanes::lane_labels;
use super::{Failure, StreamData};

#[derive(Serialize)]
pub(super) struct Page<'a> {
    pub(super) generator: &'static str,
    pub(super) statuses: [&'static str; 8],
    pub(super) cap: usize,
    pub(super) streams: Vec<PageStream>,
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
pub(super) struct PageStream {
    pub(super) name: String,
    /// Entries.
    pub(super) count: u64,
    /// Tests (entries merged by id) by status, indexed like `statuses`.
    pub(super) counts: [u64; 8],
    /// µs since the epoch.
    pub(super) start: Option<i64>,
    pub(super) end: Option<i64>,
    pub(super) total: f64,
    pub(super) workers: usize,
    pub(super) lanes: Vec<String>,
    /// Ids of the stream's columnar blocks (see `columns`).
    pub(super) columns: String,
    pub(super) names_block: String,
    pub(super) extras_block: Option<String>,
    pub(super) chunks: Vec<u32>,
    pub(super) failures: Vec<Failure>,
    pub(super) skips: Vec<(u32, Option<String>)>,
}

/// A block's element id and its text (see `pack`).
pub(super) type Block = (String, Vec<u8>);

impl PageStream {
    pub(super) fn new(si: usize, mut s: StreamData) -> (Self, Vec<Block>) {
        let base = s.start.unwrap_or(0);
        let (lanes, lane) = lane_labels(&s.worker, &s.span);
        let counts = s.cols.counts();
        let (arrays, names, extras) = s.cols.finish(&lane, &s.span, base);
        let mut blocks = vec![(format!("c-{si}"), arrays), (format!("n-{si}"), names)];
        let extras_block = extras.map(|x| {
            blocks.push((format!("x-{si}"), x));
            format!("x-{si}")
        });
        let page = PageStream {
            name: s.name,
            count: s.count,
            counts,
            start: s.start,
            end: s.end,
            total: s.total,
            workers: s.worker.iter().flatten().collect::<BTreeSet<_>>().len(),
            lanes,
            columns: format!("c-{si}"),
            names_block: format!("n-{si}"),
            extras_block,
            chunks: s.chunk_starts,
            failures: s.failures,
            skips: s.skips,
        };
        (page, blocks)
    }
}
