//! The tests in the order of the names the page shows, computed here so
//! that the page's sort by name is a lookup: a million names sorted as
//! strings in the browser took 2–3 s, five times the table's bound.
//!
//! The page compares names as JavaScript's default sort does, by UTF-16
//! code units. UTF-8 bytes compare like code points, which agrees with
//! UTF-16 except between U+E000–U+FFFF and the characters beyond U+FFFF
//! (whose surrogates, U+D800–U+DFFF, come first in UTF-16): only when a
//! name has such a character do the bytes need more than `memcmp`.

use std::cmp::Ordering;

use super::columns::unpack_uuids;

/// Every entry's name and packed id extra (see `columns::pack_uuids`), one
/// after another.
#[derive(Default)]
pub(super) struct Names {
    names: Vec<u8>,
    name_at: Vec<usize>,
    extras: Vec<u8>,
    extra_at: Vec<usize>,
    /// Some name or extra has a character beyond U+FFFF.
    wide: bool,
}

impl Names {
    pub(super) fn push(&mut self, name: &str, packed_extra: &[u8]) {
        self.name_at.push(self.names.len());
        self.names.extend_from_slice(name.as_bytes());
        self.extra_at.push(self.extras.len());
        self.extras.extend_from_slice(packed_extra);
        if !self.wide && !name.is_ascii() {
            self.wide = name.bytes().any(|b| b >= 0xF0);
        }
        // Extras count only in the ids shown for clashing names, checked
        // in `name_order`.
    }

    pub(super) fn name(&self, i: usize) -> &[u8] {
        let end = self.name_at.get(i + 1).copied().unwrap_or(self.names.len());
        &self.names[self.name_at[i]..end]
    }

    fn extra(&self, i: usize) -> &[u8] {
        let end = self
            .extra_at
            .get(i + 1)
            .copied()
            .unwrap_or(self.extras.len());
        &self.extras[self.extra_at[i]..end]
    }
}

/// The entries in ascending order of the name the page shows (the test
/// id where `kind` bit 2 says so, else the name), ties in stream order.
pub(super) fn name_order(names: &Names, kind: &[u8]) -> Vec<u32> {
    // Shown ids, for the entries whose names clash.
    let mut ids = Vec::new();
    let mut id_at = Vec::new();
    for (i, &k) in kind.iter().enumerate() {
        if k & 4 != 0 {
            let start = ids.len();
            if k & 3 == 1 {
                ids.extend_from_slice(names.name(i));
            }
            unpack_uuids(names.extra(i), &mut ids);
            id_at.push((i, start, ids.len()));
        }
    }
    let mut wide = names.wide;
    if !wide && !ids.is_ascii() {
        wide = ids.iter().any(|&b| b >= 0xF0);
    }
    let mut clash = id_at.iter().peekable();
    let mut keyed: Vec<(&[u8], u32)> = Vec::with_capacity(kind.len());
    for i in 0..kind.len() {
        let key = match clash.peek() {
            Some(&&(at, start, end)) if at == i => {
                clash.next();
                &ids[start..end]
            }
            _ => names.name(i),
        };
        keyed.push((key, i as u32));
    }
    sort_keyed(&mut keyed, wide);
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// Sorts `(name, entry)` pairs by name (as UTF-16 when `wide`), ties by
/// entry.
fn sort_keyed(keyed: &mut [(&[u8], u32)], wide: bool) {
    if wide {
        keyed.sort_unstable_by(|a, b| utf16_cmp(a.0, b.0).then(a.1.cmp(&b.1)));
    } else {
        keyed.sort_unstable();
    }
}

/// Lead bytes 0xEE and 0xEF start U+E000–U+FFFF, which UTF-16 puts after
/// 0xF0–0xF4's characters beyond U+FFFF (see `utf16_cmp`).
fn rank_utf16(c: u8) -> u8 {
    if c == 0xEE || c == 0xEF {
        c + 7
    } else {
        c
    }
}

/// `a` and `b` (UTF-8) compared as their UTF-16 code units compare.
fn utf16_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let Some(at) = a.iter().zip(b).position(|(x, y)| x != y) else {
        return a.len().cmp(&b.len());
    };
    // The first differing bytes are both lead bytes or both continuation
    // bytes of one character.
    rank_utf16(a[at]).cmp(&rank_utf16(b[at]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_utf16(a: &str, b: &str) -> Ordering {
        a.encode_utf16().cmp(b.encode_utf16())
    }

    #[test]
    fn byte_comparison_agrees_with_utf16() {
        let words = [
            "",
            "a",
            "ab",
            "b",
            "é",
            "\u{7ff}",
            "\u{800}",
            "\u{d7ff}",
            "\u{e000}",
            "\u{e000}a",
            "\u{fffd}",
            "\u{ffff}",
            "\u{10000}",
            "\u{1f600}",
            "\u{10ffff}",
            "a\u{1f600}",
            "a\u{fffd}",
            "a\u{e000}z",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    utf16_cmp(a.as_bytes(), b.as_bytes()),
                    by_utf16(a, b),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    fn order(entries: &[(&str, &[u8], u8)]) -> Vec<u32> {
        let mut names = Names::default();
        for (name, extra, _) in entries {
            names.push(name, extra);
        }
        let kind: Vec<u8> = entries.iter().map(|e| e.2).collect();
        name_order(&names, &kind)
    }

    #[test]
    fn entries_by_shown_name_ties_in_stream_order() {
        // 0 and 3 share a name (stream order decides), 2 and 4 clash and
        // show their ids (`b[2]` < `b[9]` < `b_`), 5 is an emoji: before
        // U+FFFD (6) in UTF-16, after it in code points.
        let got = order(&[
            ("t.b", b"", 0),
            ("t.a", b"", 0),
            ("t.b", b"[9]", 5),
            ("t.b", b"", 0),
            ("t.b", b"[2]", 5),
            ("t.\u{1f600}", b"", 0),
            ("t.\u{fffd}", b"", 0),
            ("t.b_", b"", 0),
        ]);
        assert_eq!(got, [1, 0, 3, 4, 2, 7, 5, 6]);
        // An id that is all extra (kind 2) sorts by the id, UUIDs unpacked.
        let mut packed = vec![b'z', 0];
        packed.extend_from_slice(&[0xab; 16]);
        let got = order(&[("y", &packed, 6), ("z", b"", 0), ("za", b"", 0)]);
        assert_eq!(got, [1, 2, 0]);
    }
}
