//! The page's test data in columns: one block of fixed-size arrays
//! (statuses, id kinds, final-entry flags, lanes, starts, spans, name
//! lengths) and one block of names, each compressed and encoded (see
//! `pack`) into a `<script type="application/octet-stream">` element that
//! the page decodes with the browser's `DecompressionStream`. Names are
//! written once and compressed a MiB at a time as they arrive, so they do
//! not stay in memory.
//!
//! Layout of the arrays block (little-endian; the page's data.js reads it):
//! `"SVC1"`, u32 n, u32 name bytes, u32 id-extra bytes, u8 status[n],
//! u8 id kind[n], u8 final[n], padding to 8, i32 lane[n], padding to 8,
//! f64 at[n] (µs from the stream's start, NaN without timestamps),
//! f64 span[n] (µs), u32 name length[n] and u32 id-extra length[n] (in
//! UTF-16 units, so the page can slice one decoded string).
//! Id kind (low two bits) 0: the test id is the name; 1: the name followed
//! by the extra (the `[…]` part the JSON name drops); 2: the extra is the
//! whole id. Bit 2: show the id rather than the name, because dropping
//! that part made different tests look alike (pytest's `test_x[1]`,
//! `test_x[2]`). `final` marks the entry that holds its test's outcome.

use super::pack::Pieces;
use crate::model::entry::TestStatus;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

/// libdeflate levels (see `pack`). Names: level 6, 4 % smaller than
/// level 4 on a million tempest names for 0.1 s more per 300,000.
const NAME_LEVEL: i32 = 6;
/// Id extras are mostly random UUIDs: level 3 is within 1 % of level 6.
const EXTRA_LEVEL: i32 = 3;
/// The arrays gain little beyond level 4 (timestamps have µs noise), and
/// level 6 takes twice as long on them.
const ARRAY_LEVEL: i32 = 4;

/// A stream's columns as its entries arrive.
pub(crate) struct Columns {
    status: Vec<u8>,
    statuses: Vec<TestStatus>,
    kind: Vec<u8>,
    is_final: Vec<u8>,
    name_len: Vec<u32>,
    extra_len: Vec<u32>,
    names: Pieces,
    extras: Pieces,
    name_bytes: u64,
    extra_bytes: u64,
    /// Test id (hashed) → its final entry so far.
    tests: HashMap<u64, u32>,
    /// Name (hashed) → the first id (hashed) seen with it; names seen
    /// with several ids; each entry's name hash.
    first_id: HashMap<u64, u64>,
    clashes: HashSet<u64>,
    name_hash: Vec<u64>,
    hasher: rustc_hash::FxBuildHasher,
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
            names: Pieces::new(NAME_LEVEL),
            extras: Pieces::new(EXTRA_LEVEL),
            name_bytes: 0,
            extra_bytes: 0,
            tests: HashMap::new(),
            first_id: HashMap::new(),
            clashes: HashSet::new(),
            name_hash: Vec::new(),
            hasher: rustc_hash::FxBuildHasher,
        }
    }

    pub fn len(&self) -> usize {
        self.status.len()
    }

    fn hash(&self, s: &str) -> u64 {
        self.hasher.hash_one(s)
    }

    /// Tests (final entries) by status, indexed like `TestStatus::NAMES`.
    pub fn counts(&self) -> [u64; 8] {
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
        let i = self.status.len() as u32;
        self.status.push(status as u8);
        self.statuses.push(status);
        self.is_final.push(1);
        self.name_len.push(utf16_len(name));
        self.name_bytes += name.len() as u64;
        self.names.push(name.as_bytes());
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
        self.extras.push(extra.as_bytes());
        let id_hash = self.hash(id);
        let name_hash = if kind == 0 { id_hash } else { self.hash(name) };
        self.name_hash.push(name_hash);
        let first = *self.first_id.entry(name_hash).or_insert(id_hash);
        if first != id_hash {
            self.clashes.insert(name_hash);
        }
        match self.tests.get_mut(&id_hash) {
            None => {
                self.tests.insert(id_hash, i);
            }
            Some(cur) => {
                let earlier = self.statuses[*cur as usize];
                if later_wins(earlier, status) {
                    self.is_final[*cur as usize] = 0;
                    *cur = i;
                } else {
                    self.is_final[i as usize] = 0;
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
        let n = self.status.len();
        let mut buf: Vec<u8> = Vec::with_capacity(16 + n * 40);
        buf.extend_from_slice(b"SVC1");
        for v in [n as u64, self.name_bytes, self.extra_bytes] {
            buf.extend_from_slice(&(v.min(u64::from(u32::MAX)) as u32).to_le_bytes());
        }
        buf.extend_from_slice(&self.status);
        if !self.clashes.is_empty() {
            for (k, h) in self.kind.iter_mut().zip(&self.name_hash) {
                if *k != 0 && self.clashes.contains(h) {
                    *k |= 4;
                }
            }
        }
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
        let arrays = Pieces::all(ARRAY_LEVEL, &buf);
        drop(buf);
        let names = self.names.finish();
        let extras = (self.extra_bytes > 0).then(|| self.extras.finish());
        (arrays, names, extras)
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
        assert_eq!(&a[..4], b"SVC1");
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
        // Names once; lengths in UTF-16 units.
        assert_eq!(gunzip(&names), "abaabbé".as_bytes());
        let lens_at = at0 + 16 * n;
        assert_eq!(
            u32::from_le_bytes(a[lens_at + 24..lens_at + 28].try_into().unwrap()),
            1
        );
        assert_eq!(gunzip(&extras.unwrap()), "[1][1][2]x.é".as_bytes());
    }
}
