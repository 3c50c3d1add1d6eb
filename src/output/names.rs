//! Test names stored once per stream, in blocks that never move, and
//! addressed by dense ids in first-seen order. The details index, the tree
//! and the repeated-name rebuild all refer to names by id.

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
}

/// The table's hash of a name, from 32 bits of its hash, spread over 64.
fn spread(h: u32) -> u64 {
    u64::from(h).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl Names {
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
        let fits = blocks
            .last()
            .is_some_and(|b| b.capacity() - b.len() >= name.len());
        if !fits {
            // 64 KiB first, doubling up to BLOCK: small streams stay small.
            let size = ((64 * 1024usize) << blocks.len().min(4)).min(BLOCK);
            blocks.push(String::with_capacity(size.max(name.len())));
        }
        let index = (blocks.len() - 1) as u32;
        let block = blocks.last_mut().expect("a block");
        let span = Span {
            block: index,
            start: block.len() as u32,
            len: name.len() as u32,
        };
        block.push_str(name);
        spans.push(span);
        table.insert_unique(hash, (id, short), |&(_, h)| spread(h));
        (id, true)
    }
}
