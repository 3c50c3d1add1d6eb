//! The history tests' inputs, shared so that the SQLite store, the server
//! store and the report run one suite: v2 streams built from (id, status,
//! start, duration) rows, and the synthetic history whose marks are known.
#![allow(dead_code)]

use std::borrow::Cow;

use serde_json::Value;
use stackviz_export::testkit::encode::encode_event;
use stackviz_export::{Event, Status, Timestamp};

/// A v2 stream: (id, status, start seconds, duration seconds) per test,
/// seconds counted from 2023-11-14.
pub fn stream(tests: &[(&str, Status, f64, f64)]) -> Vec<u8> {
    let mut out = Vec::new();
    let ts = |s: f64| {
        let micros = (s * 1e6).round() as i64;
        Timestamp {
            secs: 1_700_000_000 + micros / 1_000_000,
            nanos: (micros % 1_000_000) as u32 * 1000,
        }
    };
    for (id, status, start, dur) in tests {
        for (st, at) in [(Status::InProgress, *start), (*status, start + dur)] {
            let ev = Event {
                status: Some(st),
                timestamp: Some(ts(at)),
                test_id: Some(Cow::Borrowed(id)),
                ..Event::default()
            };
            encode_event(&ev, &mut out).expect("encode");
        }
    }
    out
}

/// `t.flaky`'s outcomes in the six earlier runs: two flips in the window.
pub const FLAKY: [Status; 6] = [
    Status::Success,
    Status::Fail,
    Status::Success,
    Status::Success,
    Status::Fail,
    Status::Success,
];

/// `t.slow`'s earlier durations: median 1.0 s, MAD 0.05 s.
pub const SLOW: [f64; 6] = [1.0, 1.1, 0.9, 1.0, 1.05, 0.95];

/// Six earlier runs, an hour apart, and the current run, whose marks
/// [`check_marks`] knows. `flaky_id` is the flaky test's id in the stream
/// (with a `[…]` attribute group the store drops it from its name).
pub fn synthetic(flaky_id: &str) -> (Vec<Vec<u8>>, Vec<u8>) {
    use Status::*;
    let earlier = (0..6)
        .map(|i| {
            let t0 = i as f64 * 3600.0;
            stream(&[
                ("t.stable", Success, t0, 1.0),
                (
                    "t.broken",
                    if i >= 1 { Fail } else { Success },
                    t0 + 2.0,
                    0.1,
                ),
                (flaky_id, FLAKY[i], t0 + 3.0, 0.2),
                (
                    "t.fixed",
                    if i == 5 { Fail } else { Success },
                    t0 + 4.0,
                    0.3,
                ),
                ("t.slow", Success, t0 + 5.0, SLOW[i]),
                ("t.removed", Success, t0 + 7.0, 0.1),
            ])
        })
        .collect();
    let t0 = 6.0 * 3600.0;
    let current = stream(&[
        ("t.stable", Fail, t0, 1.0),
        ("t.broken", Fail, t0 + 2.0, 0.1),
        (flaky_id, Fail, t0 + 3.0, 0.2),
        ("t.fixed", Success, t0 + 4.0, 0.3),
        ("t.slow", Success, t0 + 5.0, 3.0),
        ("t.added", Fail, t0 + 9.0, 0.1),
    ]);
    (earlier, current)
}

/// A JSON list of strings.
pub fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| x.as_str().expect("a string").to_owned())
        .collect()
}

/// The current run's marks in `history.json` after the six earlier runs
/// of [`synthetic`] (flaky test named `t.flaky`).
pub fn check_marks(m: &Value) {
    assert_eq!(names(&m["new"]), ["t.stable", "t.added"]);
    assert_eq!(names(&m["known"]), ["t.broken"]);
    assert_eq!(names(&m["flaky"]), ["t.flaky"]);
    assert_eq!(names(&m["fixed"]), ["t.fixed"]);
    assert_eq!(names(&m["added"]), ["t.added"]);
    assert_eq!(names(&m["removed"]), ["t.removed"]);
    assert_eq!(m["slower"][0]["name"], "t.slow");
    assert_eq!(m["slower"][0]["factor"], 3.0);
    assert_eq!(m["slower"].as_array().expect("a list").len(), 1);
}
