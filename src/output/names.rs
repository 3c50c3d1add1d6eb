//! Test names stored once per stream, in blocks that never move, and
//! addressed by dense ids in first-seen order. The details index, the tree
//! and the repeated-name rebuild all refer to names by id.
//!
//! A stream's files write each name four times (raw list, details key,
//! tree leaf and `name_full`): [`Names::with_json`] keeps each name escaped
//! for JSON too, escaped once when first seen; a name with nothing to
//! escape (nearly all) is that text itself and is stored once.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// Bytes per block; a longer name gets a block of its own.
const BLOCK: usize = 1 << 20;

#[derive(Debug, Clone, Copy)]
struct Span {
    block: u32,
    start: u32,
    len: u32,
    /// Length of the escaped form; when it differs from `len`, that form
    /// follows the name in its block.
    json_len: u32,
}

/// An append-only set of strings with `u32` ids.
#[derive(Default)]
pub struct Names {
    blocks: Vec<String>,
    spans: Vec<Span>,
    /// (id, 32 bits of the name's hash): growing the table rehashes from
    /// the stored bits, never from the names.
    table: HashTable<(u32, u32)>,
    hasher: FxBuildHasher,
    /// Whether names are kept escaped for JSON too.
    json: bool,
    scratch: Vec<u8>,
}

/// The table's hash of a name, from 32 bits of its hash, spread over 64.
fn spread(h: u32) -> u64 {
    u64::from(h).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl Names {
    /// Names that also keep their JSON string form ([`Names::json`]).
    pub fn with_json() -> Names {
        Names {
            json: true,
            ..Names::default()
        }
    }

    /// The name with id `id` escaped as the inside of a JSON string
    /// literal (no quotes); the name itself unless made [`Names::with_json`].
    pub fn json(&self, id: u32) -> &str {
        let s = self.spans[id as usize];
        let start = s.start as usize
            + if s.json_len == s.len {
                0
            } else {
                s.len as usize
            };
        &self.blocks[s.block as usize][start..start + s.json_len as usize]
    }

    pub fn get(&self, id: u32) -> &str {
        let s = self.spans[id as usize];
        let start = s.start as usize;
        &self.blocks[s.block as usize][start..start + s.len as usize]
    }

    /// The id of `name`, and whether it was new.
    pub fn intern(&mut self, name: &str) -> (u32, bool) {
        let short = (self.hasher.hash_one(name) >> 32) as u32;
        let hash = spread(short);
        let Names {
            blocks,
            spans,
            table,
            hasher: _,
            json,
            scratch,
        } = self;
        let text = |id: &u32| {
            let s = spans[*id as usize];
            let start = s.start as usize;
            &blocks[s.block as usize][start..start + s.len as usize]
        };
        if let Some(&(id, _)) = table.find(hash, |(id, h)| *h == short && text(id) == name) {
            return (id, false);
        }
        let id = u32::try_from(spans.len()).expect("fewer than 2^32 names");
        scratch.clear();
        if *json {
            super::json::write_str_body(scratch, name);
        }
        // Escaping only lengthens: the same length means nothing escaped.
        let escaped = (*json && scratch.len() != name.len())
            .then(|| std::str::from_utf8(scratch).expect("escaped UTF-8 is UTF-8"));
        let json_len = escaped.map_or(name.len(), str::len);
        let need = name.len() + escaped.map_or(0, str::len);
        let fits = blocks
            .last()
            .is_some_and(|b| b.capacity() - b.len() >= need);
        if !fits {
            // 64 KiB first, doubling up to BLOCK: small streams stay small.
            let size = ((64 * 1024usize) << blocks.len().min(4)).min(BLOCK);
            blocks.push(String::with_capacity(size.max(need)));
        }
        let index = (blocks.len() - 1) as u32;
        let block = blocks.last_mut().expect("a block");
        let span = Span {
            block: index,
            start: block.len() as u32,
            len: name.len() as u32,
            json_len: json_len as u32,
        };
        block.push_str(name);
        if let Some(e) = escaped {
            block.push_str(e);
        }
        spans.push(span);
        table.insert_unique(hash, (id, short), |&(_, h)| spread(h));
        (id, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_is_the_escaped_name_and_ids_stay_dense() {
        let mut n = Names::with_json();
        let names = [
            "a.b.test_x",
            "q\"uote\\d",
            "tab\there",
            "a.b.test_x",
            "\u{1}ctl",
        ];
        let ids: Vec<_> = names.iter().map(|s| n.intern(s)).collect();
        assert_eq!(
            ids,
            [(0, true), (1, true), (2, true), (0, false), (3, true)]
        );
        assert_eq!(n.get(1), "q\"uote\\d");
        assert_eq!(n.json(0), "a.b.test_x");
        assert_eq!(n.json(1), r#"q\"uote\\d"#);
        assert_eq!(n.json(2), r"tab\there");
        assert_eq!(n.json(3), r"\u0001ctl");
        // Without the JSON form, `json` is the name itself.
        let mut plain = Names::default();
        plain.intern("q\"x");
        assert_eq!(plain.json(0), "q\"x");
    }

    #[test]
    fn a_name_longer_than_a_block_gets_its_own() {
        let mut n = Names::with_json();
        let long = "\"".repeat(BLOCK);
        n.intern("short");
        n.intern(&long);
        n.intern("after");
        assert_eq!(n.get(1), long);
        assert_eq!(n.json(1).len(), 2 * BLOCK);
        assert_eq!((n.get(0), n.get(2)), ("short", "after"));
    }
}
