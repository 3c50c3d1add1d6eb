//! One test's record in an attachment chunk, written straight into the
//! chunk's JSON with the project's escaper.
//!
//! Two shapes (the page's data.js reads both):
//! - `[null, tags, {"key": "text", …}]` when nothing was cut: the object is
//!   [`Entry::details_json`] as the serialising thread already rendered it
//!   for details.json, copied as it is instead of escaped a second time;
//! - `[null, tags, [["key", "kept text", bytes cut], …]]` otherwise (the
//!   cap cut something, a text was spooled, the entry was not pre-rendered,
//!   or a key looks like an array index, which a JS object would reorder).
//!
//! The leading `null` is the slot for a full id (the id is in the columns).

use super::cap::cap_with_lengths;
use super::ATTACHMENT_CAP;
use crate::model::entry::Entry;
use crate::output::json::write_str;

/// Appends `e`'s record to `out`.
pub(super) fn write_record(out: &mut Vec<u8>, e: &Entry) {
    out.extend_from_slice(b"[null,[");
    for (i, t) in e.tags.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, t);
    }
    out.extend_from_slice(b"],");
    let whole = e.spooled.is_empty()
        && e.details.iter().map(|(_, v)| v.len()).sum::<usize>() <= ATTACHMENT_CAP;
    if whole && !e.details_json.is_empty() && !e.details.iter().any(|(k, _)| index_like(k)) {
        out.extend_from_slice(&e.details_json);
    } else if whole {
        out.push(b'[');
        for (i, (k, v)) in e.details.iter().enumerate() {
            out.extend_from_slice(if i > 0 { b",[" } else { b"[" });
            write_str(out, k);
            out.push(b',');
            write_str(out, v);
            out.extend_from_slice(b",0]");
        }
        out.push(b']');
    } else {
        let lens: Vec<usize> = (0..e.details.len())
            .map(|i| usize::try_from(e.detail_len(i)).unwrap_or(usize::MAX))
            .collect();
        out.push(b'[');
        for (i, (k, kept, cut)) in cap_with_lengths(&e.details, &lens).into_iter().enumerate() {
            out.extend_from_slice(if i > 0 { b",[" } else { b"[" });
            write_str(out, k);
            out.push(b',');
            write_str(out, kept);
            out.push(b',');
            out.extend_from_slice(cut.to_string().as_bytes());
            out.push(b']');
        }
        out.push(b']');
    }
    out.push(b']');
}

/// A key JavaScript would move to the front of an object (all digits).
fn index_like(k: &str) -> bool {
    !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::entry::TestStatus;
    use crate::output::json::write_pairs;
    use serde_json::{json, Value};

    fn entry(details: &[(&str, String)], rendered: bool) -> Entry {
        let details: Vec<(String, String)> = details
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        let mut details_json = Vec::new();
        if rendered {
            write_pairs(&mut details_json, &details);
        }
        Entry {
            id: "t.a".into(),
            name: "t.a".into(),
            status: TestStatus::Fail,
            tags: ["worker-1".to_owned(), "q\"t".to_owned()].into(),
            start: None,
            end: None,
            duration: 0.0,
            details,
            details_json,
            spooled: Vec::new(),
        }
    }

    fn record(e: &Entry) -> Value {
        let mut out = Vec::new();
        write_record(&mut out, e);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn records_reuse_the_rendered_details_or_list_the_cut() {
        let tb = "Traceback:\n\"x\" \\ </script>\u{1}".to_owned();
        let e = entry(&[("traceback", tb.clone()), ("log", "ok".into())], true);
        assert_eq!(
            record(&e),
            json!([null, ["worker-1", "q\"t"], {"traceback": tb, "log": "ok"}])
        );
        // Not pre-rendered, or an index-like key: the list form.
        let want = json!([
            null,
            ["worker-1", "q\"t"],
            [["traceback", tb, 0], ["7", "x", 0]]
        ]);
        let e = entry(&[("traceback", tb.clone()), ("7", "x".into())], true);
        assert_eq!(record(&e), want);
        let e = entry(&[("traceback", tb.clone()), ("7", "x".into())], false);
        assert_eq!(record(&e), want);
        // Over the cap: the end is kept and the cut counted.
        let big = "y".repeat(ATTACHMENT_CAP + 10);
        let e = entry(&[("log", big)], true);
        let r = record(&e);
        assert_eq!(r[2][0][1].as_str().unwrap().len(), ATTACHMENT_CAP);
        assert_eq!(r[2][0][2], 10);
    }
}
