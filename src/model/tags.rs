//! Tag sets shared between records.
//!
//! Most tests of a stream carry one of a few tag sets (`worker-N`, v1
//! global tags), and a v1 stream may give every test the same tens of
//! thousands of global tags. Records therefore hold a reference-counted set,
//! and the assembler hands out the set it already has when an event's tags
//! equal it: memory grows with the distinct sets, not with tests × tags.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// A test's tags: sorted, free of duplicates, shared between tests.
pub type Tags = Arc<[String]>;

/// Keeps the tag sets seen lately, so that equal sets are one allocation.
pub(crate) struct TagSets {
    table: HashTable<(u64, Tags)>,
    /// Tags held by `table`, all sets together: past [`KEEP_TAGS`] the
    /// table starts afresh, so a stream whose every test has its own set
    /// does not keep them all.
    held: usize,
    /// Indices into the event's tags, sorted by tag: reused between calls.
    order: Vec<usize>,
    empty: Tags,
}

/// How many tags (over all sets) the table keeps before starting afresh.
const KEEP_TAGS: usize = 1 << 18;

impl Default for TagSets {
    fn default() -> Self {
        TagSets {
            table: HashTable::new(),
            held: 0,
            order: Vec::new(),
            empty: Arc::from(Vec::new()),
        }
    }
}

fn hash_of<'a>(tags: impl Iterator<Item = &'a str>) -> u64 {
    let mut h = FxBuildHasher.build_hasher();
    for t in tags {
        h.write(t.as_bytes());
        h.write_u8(0xff);
    }
    h.finish()
}

impl TagSets {
    /// The shared set holding `tags` sorted and without duplicates.
    pub(crate) fn get<T: AsRef<str>>(&mut self, tags: &[T]) -> Tags {
        if tags.is_empty() {
            return self.empty.clone();
        }
        let order = &mut self.order;
        order.clear();
        order.extend(0..tags.len());
        order.sort_unstable_by(|&a, &b| tags[a].as_ref().cmp(tags[b].as_ref()));
        order.dedup_by(|a, b| tags[*a].as_ref() == tags[*b].as_ref());
        let hash = hash_of(order.iter().map(|&i| tags[i].as_ref()));
        let same = |(h, set): &(u64, Tags)| {
            *h == hash
                && set.len() == order.len()
                && set
                    .iter()
                    .zip(order.iter())
                    .all(|(s, &i)| s == tags[i].as_ref())
        };
        if let Some((_, set)) = self.table.find(hash, same) {
            return set.clone();
        }
        let set: Tags = order.iter().map(|&i| tags[i].as_ref().to_owned()).collect();
        if self.held + set.len() > KEEP_TAGS {
            self.table.clear();
            self.held = 0;
        }
        self.held += set.len();
        self.table
            .insert_unique(hash, (hash, set.clone()), |(h, _)| *h);
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_sets_are_one_allocation_and_sorted() {
        let mut sets = TagSets::default();
        let a = sets.get(&["worker-1", "b", "b", "a"]);
        assert_eq!(&a[..], ["a", "b", "worker-1"]);
        let b = sets.get(&["a", "worker-1", "b"]);
        assert!(Arc::ptr_eq(&a, &b));
        let c = sets.get(&["a", "worker-2", "b"]);
        assert_eq!(&c[..], ["a", "b", "worker-2"]);
        assert!(!Arc::ptr_eq(&a, &c));
        // A prefix is not the same set.
        assert_eq!(&sets.get(&["a", "b"])[..], ["a", "b"]);
        assert!(sets.get::<&str>(&[]).is_empty());
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut sets = TagSets::default();
        for i in 0..(KEEP_TAGS / 1000 + 10) {
            let tags: Vec<String> = (0..1000).map(|k| format!("t{i}-{k}")).collect();
            sets.get(&tags);
            assert!(sets.held <= KEEP_TAGS);
        }
        // A set larger than the whole budget is still handed out.
        let big: Vec<String> = (0..KEEP_TAGS + 1).map(|k| k.to_string()).collect();
        assert_eq!(sets.get(&big).len(), KEEP_TAGS + 1);
    }
}
