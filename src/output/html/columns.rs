//! The page's test data in columns: one block of fixed-size arrays
//! (statuses, id kinds, final-entry flags, lanes, starts, spans, name
//! lengths) and one block of names, each compressed and encoded (see
//! `pack`) into a `<script type="application/octet-stream">` element that
//! the page decodes with the browser's `DecompressionStream`. Names are
//! written once, in the order of the names the page shows (see `order`):
//! the page's sort by name is then a lookup, and sorted names compress to
//! less than half (neighbours share most of their text).
//!
//! Layout of the arrays block (little-endian; the page's data.js reads it):
//! `"SVC2"`, u32 n, u32 name bytes, u32 id-extra bytes, u8 status[n],
//! u8 id kind[n], u8 final[n], padding to 8, i32 lane[n], padding to 8,
//! f64 at[n] (µs from the stream's start, NaN without timestamps),
//! f64 span[n] (µs), u32 name length[n] and u32 id-extra length[n] (in
//! UTF-16 units), then u32 by name[n]: the entries in the order of the
//! names the page shows, which is the order of the names block.
//! The id extras block holds each extra with its UUIDs packed to 16 bytes
//! (see `pack_uuids`).
//! Id kind (low two bits) 0: the test id is the name; 1: the name followed
//! by the extra (the `[…]` part the JSON name drops); 2: the extra is the
//! whole id. Bit 2: show the id rather than the name, because dropping
//! that part made different tests look alike (pytest's `test_x[1]`,
//! `test_x[2]`). `final` marks the entry that holds its test's outcome.

use super::order::{name_order, Names};
use super::pack::Pieces;
use crate::model::entry::TestStatus;
use rustc_hash::FxHashSet;
use std::hash::BuildHasher;

/// libdeflate levels (see `pack`), chosen on the 1,000,000-test page,
/// where these blocks are nearly all of it (scripts/bench-report.sh).
/// Names, sorted (see `order`): level 1, 6 % larger than level 4 (1M
/// names: 6.7 MB of text against 6.3 MB) with the fastest matcher.
const NAME_LEVEL: i32 = 1;
/// Id extras are mostly UUIDs, packed to random bytes: level 1 makes them
/// as small as level 2 or 3.
const EXTRA_LEVEL: i32 = 1;
/// The arrays gain little beyond level 1 (timestamps have µs noise): level
/// 2 is 2.5 % smaller and level 4 3.5 %, both with the slower greedy
/// matcher.
const ARRAY_LEVEL: i32 = 1;

/// A stream's columns as its entries arrive.
pub(crate) struct Columns {
    status: Vec<u8>,
    statuses: Vec<TestStatus>,
    kind: Vec<u8>,
    is_final: Vec<u8>,
    name_len: Vec<u32>,
    extra_len: Vec<u32>,
    extras: Pieces,
    name_bytes: u64,
    extra_bytes: u64,
    /// Each entry's test id and name, hashed. Entries are merged by id and
    /// names checked for several ids once, by sorting, at the end: hash
    /// maps over a million entries spent a fifth of the report's time on
    /// cache misses.
    id_hash: Vec<u64>,
    name_hash: Vec<u64>,
    hasher: rustc_hash::FxBuildHasher,
    /// One extra with its UUIDs packed (see `pack_uuids`), reused.
    packed: Vec<u8>,
    /// `is_final` and the show-the-id bits are set (see `resolve`).
    resolved: bool,
    /// Names and packed extras as they are, for the order by name
    /// (`finish`; the extras for the ids of clashing names). This holds
    /// about 120 MB more at the peak for a million tempest-like tests
    /// (445 MB → 569 MB): the price of a page that sorts by name at once.
    sort_names: Names,
}

/// Which of two entries of one test id holds its outcome: a later verdict
/// replaces an earlier one (a rerun that passed after a failure), a
/// listing (`exists`) never replaces a verdict, and a `success` never
/// replaces a `skip` or `xfail` (a skipped test cannot also pass in the
/// same run: that is a reporter's second entry for the same test, as
/// pytest-subunit writes).
pub(crate) fn later_wins(earlier: TestStatus, later: TestStatus) -> bool {
    match later {
        TestStatus::Exists => earlier == TestStatus::Exists,
        TestStatus::Success => !matches!(earlier, TestStatus::Skip | TestStatus::XFail),
        _ => true,
    }
}

impl Columns {
    pub fn new() -> Self {
        Columns {
            status: Vec::new(),
            statuses: Vec::new(),
            kind: Vec::new(),
            is_final: Vec::new(),
            name_len: Vec::new(),
            extra_len: Vec::new(),
            extras: Pieces::new(EXTRA_LEVEL),
            name_bytes: 0,
            extra_bytes: 0,
            id_hash: Vec::new(),
            resolved: false,
            name_hash: Vec::new(),
            hasher: rustc_hash::FxBuildHasher,
            packed: Vec::new(),
            sort_names: Names::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.status.len()
    }

    fn hash(&self, s: &str) -> u64 {
        self.hasher.hash_one(s)
    }

    /// Tests (final entries) by status, indexed like `TestStatus::NAMES`.
    pub fn counts(&mut self) -> [u64; 8] {
        self.resolve();
        let mut out = [0; 8];
        for (s, f) in self.statuses.iter().zip(&self.is_final) {
            if *f == 1 {
                out[*s as usize] += 1;
            }
        }
        out
    }

    /// Adds one entry: its status, name and test id.
    pub fn push(&mut self, status: TestStatus, name: &str, id: &str) {
        self.status.push(status as u8);
        self.statuses.push(status);
        self.is_final.push(1);
        self.name_len.push(utf16_len(name));
        self.name_bytes += name.len() as u64;
        let (kind, extra) = if id == name {
            (0, "")
        } else if let Some(rest) = id.strip_prefix(name) {
            (1, rest)
        } else {
            (2, id)
        };
        self.kind.push(kind);
        self.extra_len.push(utf16_len(extra));
        self.extra_bytes += extra.len() as u64;
        self.packed.clear();
        pack_uuids(extra.as_bytes(), &mut self.packed);
        self.extras.push(&self.packed);
        self.sort_names.push(name, &self.packed);
        let id_hash = self.hash(id);
        let name_hash = if kind == 0 { id_hash } else { self.hash(name) };
        self.name_hash.push(name_hash);
        self.id_hash.push(id_hash);
        self.resolved = false;
    }

    /// Marks each test's final entry (entries of one id in stream order:
    /// see `later_wins`) and the entries whose name is shared by several
    /// ids (id kind bit 2).
    fn resolve(&mut self) {
        if self.resolved {
            return;
        }
        self.resolved = true;
        let mut by_id: Vec<(u64, u32)> = (0..).zip(&self.id_hash).map(|(i, &h)| (h, i)).collect();
        by_id.sort_unstable();
        self.is_final.fill(1);
        for group in by_id.chunk_by(|a, b| a.0 == b.0) {
            let mut cur = group[0].1 as usize;
            for &(_, i) in &group[1..] {
                let i = i as usize;
                if later_wins(self.statuses[cur], self.statuses[i]) {
                    self.is_final[cur] = 0;
                    cur = i;
                } else {
                    self.is_final[i] = 0;
                }
            }
        }
        drop(by_id);
        let mut pairs: Vec<(u64, u64)> = self
            .name_hash
            .iter()
            .zip(&self.id_hash)
            .map(|(&n, &i)| (n, i))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let clashes: FxHashSet<u64> = pairs
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|g| g.len() > 1)
            .map(|g| g[0].0)
            .collect();
        drop(pairs);
        if !clashes.is_empty() {
            for (k, h) in self.kind.iter_mut().zip(&self.name_hash) {
                if *k != 0 && clashes.contains(h) {
                    *k |= 4;
                }
            }
        }
    }

    /// The blocks' texts (see `pack`): arrays, names, and id extras when
    /// any id differs from its name; given each entry's lane and (start, end) in
    /// µs since the epoch.
    pub fn finish(
        mut self,
        lane: &[i32],
        span: &[Option<(i64, i64)>],
        base: i64,
    ) -> (Vec<u8>, Vec<u8>, Option<Vec<u8>>) {
        self.resolve();
        let n = self.status.len();
        let mut buf: Vec<u8> = Vec::with_capacity(16 + n * 44);
        buf.extend_from_slice(b"SVC2");
        for v in [n as u64, self.name_bytes, self.extra_bytes] {
            buf.extend_from_slice(&(v.min(u64::from(u32::MAX)) as u32).to_le_bytes());
        }
        buf.extend_from_slice(&self.status);
        buf.extend_from_slice(&self.kind);
        buf.extend_from_slice(&self.is_final);
        pad8(&mut buf);
        for l in lane {
            buf.extend_from_slice(&l.to_le_bytes());
        }
        pad8(&mut buf);
        for s in span {
            let at = s.map_or(f64::NAN, |(a, _)| (a - base) as f64);
            buf.extend_from_slice(&at.to_le_bytes());
        }
        for s in span {
            let len = s.map_or(f64::NAN, |(a, b)| (b - a) as f64);
            buf.extend_from_slice(&len.to_le_bytes());
        }
        for l in &self.name_len {
            buf.extend_from_slice(&l.to_le_bytes());
        }
        for l in &self.extra_len {
            buf.extend_from_slice(&l.to_le_bytes());
        }
        let order = name_order(&self.sort_names, &self.kind);
        for i in &order {
            buf.extend_from_slice(&i.to_le_bytes());
        }
        let mut names = Pieces::new(NAME_LEVEL);
        for &i in &order {
            names.push(self.sort_names.name(i as usize));
        }
        drop(self.sort_names);
        let arrays = Pieces::all(ARRAY_LEVEL, &buf);
        drop(buf);
        let names = names.finish();
        let extras = (self.extra_bytes > 0).then(|| self.extras.finish());
        (arrays, names, extras)
    }
}

/// A canonical UUID's length: `8-4-4-4-12` lower-case hex digits.
const UUID_LEN: usize = 36;

/// Appends `text` to `out` with every lower-case canonical UUID replaced
/// by a 0 byte and its 16 bytes; a literal 0 or 1 byte is written as 1 and
/// the byte. Tempest ids end in `[id-<uuid>]`: as hex, these random digits
/// were most of the page's id block and slow to compress for nothing
/// (data.js, `unpackUuids`, turns them back into text).
fn pack_uuids(text: &[u8], out: &mut Vec<u8>) {
    let mut done = 0;
    // A UUID's first `-` is its ninth byte: look only where there is one.
    let mut from = 0;
    while let Some(k) = memchr::memchr(b'-', &text[from..]) {
        let dash = from + k;
        from = dash + 1;
        let Some(start) = dash.checked_sub(8).filter(|&s| s >= done) else {
            continue;
        };
        let Some(bytes) = text.get(start..start + UUID_LEN).and_then(uuid_bytes) else {
            continue;
        };
        copy_escaped(&text[done..start], out);
        out.push(0);
        out.extend_from_slice(&bytes);
        done = start + UUID_LEN;
        from = done;
    }
    copy_escaped(&text[done..], out);
}

/// `text` as it is, but a 0 or 1 byte preceded by a 1.
fn copy_escaped(text: &[u8], out: &mut Vec<u8>) {
    if !text.iter().any(|&b| b <= 1) {
        out.extend_from_slice(text);
        return;
    }
    for &b in text {
        if b <= 1 {
            out.push(1);
        }
        out.push(b);
    }
}

/// The 16 bytes of a lower-case canonical UUID, or `None`.
fn uuid_bytes(t: &[u8]) -> Option<[u8; 16]> {
    if t[8] != b'-' || t[13] != b'-' || t[18] != b'-' || t[23] != b'-' {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 16];
    let mut k = 0;
    let mut hi = None;
    for (at, &c) in t.iter().enumerate() {
        if matches!(at, 8 | 13 | 18 | 23) {
            continue;
        }
        let d = digit(c)?;
        match hi.take() {
            None => hi = Some(d),
            Some(h) => {
                out[k] = h << 4 | d;
                k += 1;
            }
        }
    }
    Some(out)
}

/// `pack_uuids` undone (what data.js's `unpackUuids` does), appended to
/// `out`.
pub(super) fn unpack_uuids(b: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0 if i + 17 <= b.len() => {
                for (k, &x) in b[i + 1..i + 17].iter().enumerate() {
                    if matches!(k, 4 | 6 | 8 | 10) {
                        out.push(b'-');
                    }
                    out.extend_from_slice(&[HEX[usize::from(x >> 4)], HEX[usize::from(x & 15)]]);
                }
                i += 17;
            }
            1 if i + 2 <= b.len() => {
                out.push(b[i + 1]);
                i += 2;
            }
            x => {
                out.push(x);
                i += 1;
            }
        }
    }
}

fn pad8(buf: &mut Vec<u8>) {
    while !buf.len().is_multiple_of(8) {
        buf.push(0);
    }
}

fn utf16_len(s: &str) -> u32 {
    if s.is_ascii() {
        return s.len() as u32;
    }
    s.chars().map(|c| c.len_utf16() as u32).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gunzip(text: &[u8]) -> Vec<u8> {
        super::super::pack::unpack(text)
    }

    fn code(s: &str) -> TestStatus {
        let k = TestStatus::NAMES.iter().position(|x| *x == s).unwrap();
        [
            TestStatus::Success,
            TestStatus::Fail,
            TestStatus::Skip,
            TestStatus::XFail,
            TestStatus::UxSuccess,
            TestStatus::Exists,
        ][k]
    }

    #[test]
    fn entries_of_one_id_keep_the_final_outcome() {
        let w = |a, b| later_wins(code(a), code(b));
        assert!(w("fail", "success"));
        assert!(w("exists", "skip"));
        assert!(!w("skip", "success"));
        assert!(!w("xfail", "success"));
        assert!(!w("success", "exists"));
        assert!(w("success", "fail"));
        let mut c = Columns::new();
        c.push(code("exists"), "a", "a");
        c.push(code("exists"), "b", "b[1]");
        c.push(code("skip"), "a", "a");
        c.push(code("success"), "a", "a");
        c.push(code("success"), "b", "b[1]");
        c.push(code("fail"), "b", "b[2]");
        c.push(code("success"), "é", "x.é");
        let (arrays, names, extras) = c.finish(
            &[-1, -1, 0, 0, 1, 1, 0],
            &[
                None,
                None,
                Some((10, 20)),
                Some((20, 20)),
                Some((5, 9)),
                Some((9, 12)),
                None,
            ],
            5,
        );
        let a = gunzip(&arrays);
        assert_eq!(&a[..4], b"SVC2");
        let n = 7;
        assert_eq!(u32::from_le_bytes(a[4..8].try_into().unwrap()), n as u32);
        let status = &a[16..16 + n];
        let kind = &a[16 + n..16 + 2 * n];
        let fin = &a[16 + 2 * n..16 + 3 * n];
        assert_eq!(status[5], code("fail") as u8);
        // b[1] and b[2] share the name b: they show their ids.
        assert_eq!(kind, [0, 5, 0, 0, 5, 5, 2]);
        // a: the skip stays (its success double does not count); b[1]:
        // the success after its listing; b[2] and x.é: their only entry.
        assert_eq!(fin, [0, 0, 1, 0, 1, 1, 1]);
        let lanes_at = (16 + 3 * n).div_ceil(8) * 8;
        let lane = |i: usize| {
            i32::from_le_bytes(
                a[lanes_at + 4 * i..lanes_at + 4 * i + 4]
                    .try_into()
                    .unwrap(),
            )
        };
        assert_eq!(lane(4), 1);
        let at0 = (lanes_at + 4 * n).div_ceil(8) * 8;
        let f = |k: usize| f64::from_le_bytes(a[k..k + 8].try_into().unwrap());
        assert!(f(at0).is_nan());
        assert_eq!(f(at0 + 8 * 2), 5.0);
        assert_eq!(f(at0 + 8 * n + 8 * 5), 3.0);
        // Names once, by shown name (b[1] and b[2] show their ids);
        // lengths in UTF-16 units.
        assert_eq!(gunzip(&names), "aaabbbé".as_bytes());
        let lens_at = at0 + 16 * n;
        assert_eq!(
            u32::from_le_bytes(a[lens_at + 24..lens_at + 28].try_into().unwrap()),
            1
        );
        assert_eq!(gunzip(&extras.unwrap()), "[1][1][2]x.é".as_bytes());
        // The entries by shown name: a (0, 2, 3), b[1] (1, 4: ids, as
        // their names clash), b[2] (5), é.
        let by_name: Vec<u32> = a[lens_at + 8 * n..]
            .chunks(4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        assert_eq!(by_name, [0, 2, 3, 1, 4, 5, 6]);
    }

    #[test]
    fn uuids_in_extras_are_packed_and_come_back() {
        let u = "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b";
        for text in [
            format!("[id-{u}]"),
            format!("[id-{u},smoke,id-{u}]"),
            format!("{u}{u}"),
            // Upper case, a bad digit, a short one: kept as text.
            format!("[id-{}]", u.to_uppercase()),
            "[id-6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6g]".into(),
            "[id-6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6]".into(),
            "nul \u{0} and \u{1} stay".into(),
            String::new(),
        ] {
            let mut packed = Vec::new();
            pack_uuids(text.as_bytes(), &mut packed);
            let mut back = Vec::new();
            unpack_uuids(&packed, &mut back);
            assert_eq!(back, text.as_bytes(), "{text}");
        }
        let mut packed = Vec::new();
        pack_uuids(format!("[id-{u}]").as_bytes(), &mut packed);
        assert_eq!(packed.len(), 4 + 17 + 1);
        assert_eq!(packed[4..6], [0, 0x6f]);
    }
}
