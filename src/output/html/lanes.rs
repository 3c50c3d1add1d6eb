//! Timeline lane labels; the lanes themselves come from
//! [`crate::model::lanes`], the rule `--fix-for-frontend` also uses.

use crate::model::lanes;

/// The timeline's lanes: labels `worker-N`, then `untagged k` (or `lane k`
/// when no test has a worker tag); and each test's lane, −1 for tests
/// without timestamps.
pub(super) fn lane_labels(
    worker: &[Option<u32>],
    span: &[Option<(i64, i64)>],
) -> (Vec<String>, Vec<i32>) {
    let l = lanes::assign(worker, span);
    let mut labels: Vec<String> = l.workers.iter().map(|w| format!("worker-{w}")).collect();
    let word = if labels.is_empty() {
        "lane"
    } else {
        "untagged"
    };
    labels.extend((1..=l.extra).map(|k| format!("{word} {k}")));
    let lane = l.lane.iter().map(|x| x.map_or(-1, |x| x as i32)).collect();
    (labels, lane)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_are_labelled_by_worker_then_untagged() {
        let worker = [Some(10), Some(2), None, Some(0)];
        let span = [Some((0, 5)), Some((0, 5)), Some((1, 2)), None];
        let (labels, lane) = lane_labels(&worker, &span);
        assert_eq!(labels, ["worker-0", "worker-2", "worker-10", "untagged 1"]);
        assert_eq!(lane, [2, 1, 3, -1]);
        let (labels, lane) = lane_labels(&[None, None], &[Some((0, 2)), Some((1, 3))]);
        assert_eq!(labels, ["lane 1", "lane 2"]);
        assert_eq!(lane, [0, 1]);
    }
}
