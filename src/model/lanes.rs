//! Timeline lanes: which lane each test's bar is drawn in.
//!
//! One rule for every consumer: the `--html` report's timeline and the
//! `worker-N` tags `--fix-for-frontend` writes (both StackViz front-ends
//! index their lanes by worker number, so they need dense `worker-0..n-1`).
//!
//! Tests tagged `worker-N` get one lane per distinct N, in numeric order.
//! Tests without such a tag are packed into as few extra lanes as keep their
//! bars apart: in order of start time, each takes the lowest lane free at its
//! start (a bar that ends when another starts does not overlap it). That
//! greedy order uses exactly as many lanes as tests ever run at once.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// `worker-N` → N (decimal digits only, as test runners write it).
pub fn worker_number(tag: &str) -> Option<u32> {
    let n = tag.strip_prefix("worker-")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// A test's worker number: the smallest `worker-N` among its tags.
pub fn worker_of(tags: &[String]) -> Option<u32> {
    tags.iter().filter_map(|t| worker_number(t)).min()
}

/// Where each test goes; built by [`assign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lanes {
    /// The distinct worker numbers, ascending: lane `i` (for
    /// `i < workers.len()`) holds the tests tagged `worker-{workers[i]}`.
    pub workers: Vec<u32>,
    /// Lanes after the workers' ones, holding the untagged tests.
    pub extra: usize,
    /// Each test's lane, `None` for a test with no time span.
    pub lane: Vec<Option<usize>>,
}

impl Lanes {
    /// All lanes: the workers' ones, then the extra ones.
    pub fn count(&self) -> usize {
        self.workers.len() + self.extra
    }

    /// The lane of `worker-{n}`, if a test carried that tag.
    pub fn worker_lane(&self, n: u32) -> Option<usize> {
        self.workers.binary_search(&n).ok()
    }
}

/// Lanes for one stream's tests. `worker[i]` is test `i`'s worker number,
/// `span[i]` its (start, end) in any unit (an end before the start counts
/// as the start); both slices have one item per test, in any order.
pub fn assign(worker: &[Option<u32>], span: &[Option<(i64, i64)>]) -> Lanes {
    let mut workers: Vec<u32> = worker.iter().flatten().copied().collect();
    workers.sort_unstable();
    workers.dedup();
    let base = workers.len();
    let mut lane = vec![None; span.len()];
    let mut untagged = Vec::new();
    for (i, s) in span.iter().enumerate() {
        let Some((a, b)) = *s else { continue };
        match worker.get(i).copied().flatten() {
            Some(w) => lane[i] = workers.binary_search(&w).ok(),
            None => untagged.push((a, b.max(a), i)),
        }
    }
    untagged.sort_unstable();
    // (end, lane) of lanes in use; lanes free again.
    let mut busy: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::new();
    let mut free: BinaryHeap<Reverse<usize>> = BinaryHeap::new();
    let mut extra = 0usize;
    for (a, b, i) in untagged {
        while let Some(&Reverse((end, l))) = busy.peek() {
            if end > a {
                break;
            }
            busy.pop();
            free.push(Reverse(l));
        }
        let l = match free.pop() {
            Some(Reverse(l)) => l,
            None => {
                extra += 1;
                extra - 1
            }
        };
        busy.push(Reverse((b, l)));
        lane[i] = Some(base + l);
    }
    Lanes {
        workers,
        extra,
        lane,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(v: &[(i64, i64)]) -> Vec<Option<(i64, i64)>> {
        v.iter().map(|&s| Some(s)).collect()
    }

    #[test]
    fn worker_tags_give_one_lane_each_in_numeric_order() {
        let worker = [Some(10), Some(2), Some(2), None, Some(0)];
        let span = vec![Some((0, 5)), Some((0, 5)), None, Some((1, 2)), Some((3, 4))];
        let l = assign(&worker, &span);
        assert_eq!(l.workers, [0, 2, 10]);
        assert_eq!(l.extra, 1);
        assert_eq!(l.lane, [Some(2), Some(1), None, Some(3), Some(0)]);
        assert_eq!(
            (l.count(), l.worker_lane(10), l.worker_lane(3)),
            (4, Some(2), None)
        );
        assert_eq!(worker_number("worker-7"), Some(7));
        assert_eq!(worker_number("worker-"), None);
        assert_eq!(worker_number("worker-+1"), None);
        assert_eq!(worker_number("worker-1a"), None);
    }

    #[test]
    fn untagged_tests_get_the_fewest_lanes_that_keep_bars_apart() {
        // Sequential tests, touching ends included, share one lane.
        let l = assign(&[None; 3], &spans(&[(0, 10), (10, 20), (20, 20)]));
        assert_eq!((l.extra, l.lane), (1, vec![Some(0); 3]));
        // Three at once, then the lowest free lane is reused.
        let l = assign(
            &[None; 5],
            &spans(&[(0, 10), (1, 4), (2, 30), (5, 6), (11, 12)]),
        );
        assert_eq!(l.extra, 3);
        assert_eq!(l.lane, [Some(0), Some(1), Some(2), Some(1), Some(0)]);
        // Completion order does not matter; untimed tests have no lane;
        // a negative duration is a point.
        let l = assign(
            &[None; 4],
            &[Some((5, 9)), None, Some((0, 6)), Some((7, 1))],
        );
        assert_eq!(l.extra, 2);
        assert_eq!(l.lane, [Some(1), None, Some(0), Some(0)]);
        let l = assign(&[], &[]);
        assert!(l.workers.is_empty() && l.lane.is_empty() && l.extra == 0);
    }

    #[test]
    fn greedy_lanes_never_overlap_and_match_peak_concurrency() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut next = move |n: i64| rng.random_range(0..n);
        let span: Vec<_> = (0..500)
            .map(|_| {
                let a = next(10_000);
                Some((a, a + next(300)))
            })
            .collect();
        let l = assign(&vec![None; span.len()], &span);
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
        assert_eq!(l.count() as i32, peak);
        for k in 0..l.count() {
            let mut mine: Vec<(i64, i64)> = (0..span.len())
                .filter(|&i| l.lane[i] == Some(k))
                .map(|i| span[i].unwrap())
                .collect();
            mine.sort_unstable();
            assert!(mine.windows(2).all(|w| w[0].1 <= w[1].0), "lane {k}");
        }
    }

    #[test]
    fn many_distinct_workers_stay_fast_and_ordered() {
        // 100k distinct worker ids: numbering is a sort, not a scan per test.
        let worker: Vec<Option<u32>> = (0..100_000u32).rev().map(Some).collect();
        let span = vec![Some((0, 1)); worker.len()];
        let l = assign(&worker, &span);
        assert_eq!(l.workers.len(), 100_000);
        assert_eq!(l.lane[0], Some(99_999));
        assert_eq!(l.lane[99_999], Some(0));
    }
}
