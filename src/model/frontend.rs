//! What both StackViz front-ends need from a stream's entries beyond what
//! the Python tool writes: dense `worker-0..n-1` tags (they index lanes by
//! worker number) and a timestamp on every entry (one `null` starts their
//! time axis at 1970). [`Check`] finds the problems while entries stream
//! past; [`Fix`] (`--fix-for-frontend`) repairs them. The fix has to see a
//! whole stream before numbering lanes, so it holds the stream's entries
//! until its end.

use std::collections::BTreeSet;

use crate::model::entry::Entry;
use crate::model::lanes::{self, worker_number};

/// The tag an entry gets when the fix filled in its timestamps.
pub const FILLED_TAG: &str = "timestamp-filled-in";
/// The flag that turns the fix on, as messages name it.
pub const FLAG: &str = "--fix-for-frontend";

/// Counts the problems of one stream without changing anything.
#[derive(Debug, Default)]
pub struct Check {
    entries: u64,
    untimed: u64,
    untagged: u64,
    workers: BTreeSet<u32>,
}

impl Check {
    pub fn add(&mut self, e: &Entry) {
        self.entries += 1;
        if e.start.is_none() || e.end.is_none() {
            self.untimed += 1;
        }
        let mut tagged = false;
        for n in e.tags.iter().filter_map(|t| worker_number(t)) {
            tagged = true;
            self.workers.insert(n);
        }
        if !tagged {
            self.untagged += 1;
        }
    }

    /// One sentence per problem that breaks the front-ends, each ending in
    /// what to add.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.untimed > 0 {
            out.push(format!(
                "{} {} no timestamps, so both StackViz front-ends start their time axis \
                 at 1970 and show nothing at first; add {FLAG} to give them the time of \
                 the entry before",
                self.untimed,
                if self.untimed == 1 {
                    "entry has"
                } else {
                    "entries have"
                },
            ));
        }
        let sparse = self
            .workers
            .iter()
            .enumerate()
            .any(|(i, &w)| w as usize != i);
        let lanes = if self.untagged > 0 && self.workers.is_empty() {
            Some("no test has a worker-N tag".to_owned())
        } else if self.untagged > 0 {
            Some(format!(
                "{} of {} tests {} no worker-N tag",
                self.untagged,
                self.entries,
                if self.untagged == 1 { "has" } else { "have" }
            ))
        } else if sparse {
            let shown: Vec<String> = self
                .workers
                .iter()
                .take(4)
                .map(|w| format!("worker-{w}"))
                .collect();
            Some(format!(
                "the worker ids are not 0..{} ({}{})",
                self.workers.len() - 1,
                shown.join(", "),
                if self.workers.len() > 4 { ", …" } else { "" }
            ))
        } else {
            None
        };
        if let Some(what) = lanes {
            out.push(format!(
                "{what}; both StackViz front-ends index their lanes by worker number, \
                 so bars pile up and selecting a test fails; add {FLAG} to assign dense \
                 worker-N tags"
            ));
        }
        out
    }
}

/// What the fix changed in one stream.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Entries whose timestamps were filled in.
    pub filled: u64,
    /// Tests without a worker tag that got one.
    pub placed: u64,
    /// Worker ids that got another number.
    pub renumbered: usize,
    /// Lanes in the end.
    pub lanes: usize,
}

impl Changes {
    /// One sentence per kind of change, for stderr.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.filled > 0 {
            out.push(format!(
                "{} {} without timestamps given the time of the entry before (tagged {FILLED_TAG})",
                self.filled,
                if self.filled == 1 { "entry" } else { "entries" }
            ));
        }
        let mut parts = Vec::new();
        if self.placed > 0 {
            parts.push(format!(
                "{} {} without a worker tag placed by time overlap",
                self.placed,
                if self.placed == 1 { "test" } else { "tests" }
            ));
        }
        if self.renumbered > 0 {
            parts.push(format!("{} worker ids renumbered", self.renumbered));
        }
        if !parts.is_empty() {
            out.push(format!(
                "worker lanes: {} ({} {}: worker-0 … worker-{})",
                parts.join(", "),
                self.lanes,
                if self.lanes == 1 { "lane" } else { "lanes" },
                self.lanes.saturating_sub(1)
            ));
        }
        out
    }
}

/// Holds one stream's entries and repairs them at its end.
#[derive(Default)]
pub struct Fix {
    entries: Vec<Entry>,
}

impl Fix {
    pub fn push(&mut self, e: Entry) {
        self.entries.push(e);
    }

    /// The stream's entries, repaired and in their order. `fallback` (µs
    /// since the epoch) times the entries of a stream without any timestamp.
    pub fn finish(self, fallback: i64) -> (Vec<Entry>, Changes) {
        let mut entries = self.entries;
        let mut changes = Changes {
            filled: fill_timestamps(&mut entries, fallback),
            ..Changes::default()
        };
        let worker: Vec<Option<u32>> = entries.iter().map(|e| lanes::worker_of(&e.tags)).collect();
        let span: Vec<Option<(i64, i64)>> =
            entries.iter().map(|e| Some((e.start?, e.end?))).collect();
        let lanes = lanes::assign(&worker, &span);
        changes.lanes = lanes.count();
        changes.renumbered = lanes
            .workers
            .iter()
            .enumerate()
            .filter(|&(i, &w)| w as usize != i)
            .count();
        for (i, e) in entries.iter_mut().enumerate() {
            let new = match worker[i] {
                Some(_) if changes.renumbered == 0 => continue,
                Some(_) => None,
                None => {
                    changes.placed += 1;
                    lanes.lane[i]
                }
            };
            let mut tags: Vec<String> = Vec::with_capacity(e.tags.len() + 1);
            for t in e.tags.iter() {
                match worker_number(t).and_then(|n| lanes.worker_lane(n)) {
                    Some(l) => tags.push(format!("worker-{l}")),
                    None => tags.push(t.clone()),
                }
            }
            if let Some(l) = new {
                tags.push(format!("worker-{l}"));
            }
            tags.sort_unstable();
            tags.dedup();
            e.tags = tags.into();
        }
        (entries, changes)
    }
}

/// Gives every entry without a start or end the latest timestamp of the
/// entries before it (the stream's earliest when none came before, else
/// `fallback`), duration 0 and [`FILLED_TAG`]. Returns how many changed.
fn fill_timestamps(entries: &mut [Entry], fallback: i64) -> u64 {
    let first = entries
        .iter()
        .filter_map(|e| e.start.into_iter().chain(e.end).min())
        .min()
        .unwrap_or(fallback);
    let mut last: Option<i64> = None;
    let mut filled = 0;
    for e in entries.iter_mut() {
        if e.start.is_none() || e.end.is_none() {
            let t = match (e.start, e.end) {
                (Some(t), None) | (None, Some(t)) => t,
                _ => last.unwrap_or(first),
            };
            e.start = Some(t);
            e.end = Some(t);
            e.duration = 0.0;
            if let Err(at) = e.tags.binary_search_by(|x| x.as_str().cmp(FILLED_TAG)) {
                let mut tags = e.tags.to_vec();
                tags.insert(at, FILLED_TAG.to_owned());
                e.tags = tags.into();
            }
            filled += 1;
        }
        let latest = e.start.into_iter().chain(e.end).max();
        last = last.max(latest);
    }
    filled
}
