//! Timeline lanes: which row of the timeline each test is drawn in.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

/// `worker-N` → N.
pub(super) fn worker_number(tag: &str) -> Option<u32> {
    let n = tag.strip_prefix("worker-")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// Timeline lanes: one per worker number (in numeric order, labelled
/// `worker-N`), then, for timed tests without a worker tag, as few extra
/// lanes as keep their bars from overlapping (each test takes the lowest
/// lane free at its start; a test that ends when another starts does not
/// overlap it). Returns the lane labels and each test's lane, −1 for tests
/// without timestamps.
pub(super) fn assign_lanes(
    worker: &[Option<u32>],
    span: &[Option<(i64, i64)>],
) -> (Vec<String>, Vec<i32>) {
    let workers: BTreeSet<u32> = worker.iter().flatten().copied().collect();
    let mut labels: Vec<String> = workers.iter().map(|w| format!("worker-{w}")).collect();
    let base = labels.len();
    let mut lane = vec![-1i32; span.len()];
    let mut untagged = Vec::new();
    for (i, (w, s)) in worker.iter().zip(span).enumerate() {
        match (w, s) {
            (Some(w), Some(_)) => {
                lane[i] = workers.range(..w).count() as i32;
            }
            (None, Some((a, b))) => untagged.push((*a, *b, i)),
            _ => {}
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
        lane[i] = (base + l) as i32;
    }
    let word = if base == 0 { "lane" } else { "untagged" };
    labels.extend((1..=extra).map(|k| format!("{word} {k}")));
    (labels, lane)
}
