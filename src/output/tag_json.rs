//! Tag lists rendered once as JSON arrays, shared by the raw list and the
//! tree: most entries carry one of a few shared tag sets (`worker-N`), so
//! each set is escaped once per stream and then found by its address.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use super::json::write_str;
use super::names::Names;
use crate::model::tags::Tags;

/// Shared tag sets whose array is remembered by address; in a stream with
/// more distinct sets (each test its own) the rest are rendered each time
/// and found by their text.
const MAX_HELD: usize = 4096;

/// A stream's tag lists as JSON arrays (`["a","b"]`), each stored once
/// and addressed by a dense id.
#[derive(Default)]
pub struct TagJson {
    arrays: Names,
    by_address: HashMap<usize, u32>,
    /// Keeps the sets in `by_address` alive, so no address is reused.
    held: Vec<Tags>,
    scratch: Vec<u8>,
}

impl TagJson {
    /// The id of `tags`' JSON array.
    pub fn id(&mut self, tags: &Tags) -> u32 {
        let key = Arc::as_ptr(tags) as *const String as usize;
        if let Some(&id) = self.by_address.get(&key) {
            return id;
        }
        self.scratch.clear();
        self.scratch.push(b'[');
        for (i, t) in tags.iter().enumerate() {
            if i > 0 {
                self.scratch.push(b',');
            }
            write_str(&mut self.scratch, t);
        }
        self.scratch.push(b']');
        let text = std::str::from_utf8(&self.scratch).expect("JSON is UTF-8");
        let (id, _) = self.arrays.intern(text);
        if self.held.len() < MAX_HELD {
            self.held.push(tags.clone());
            self.by_address.insert(key, id);
        }
        id
    }

    /// The JSON array with id `id`.
    pub fn get(&self, id: u32) -> &str {
        self.arrays.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_sets_share_an_id_whether_shared_or_not() {
        let mut t = TagJson::default();
        let a: Tags = Arc::from(vec!["worker-0".to_owned(), "x\"y".to_owned()]);
        let a2: Tags = Arc::from(vec!["worker-0".to_owned(), "x\"y".to_owned()]);
        let empty: Tags = Arc::from(Vec::new());
        let ia = t.id(&a);
        assert_eq!(t.id(&a), ia);
        assert_eq!(t.id(&a2), ia, "another allocation with the same tags");
        let ie = t.id(&empty);
        assert_ne!(ie, ia);
        assert_eq!(t.get(ia), r#"["worker-0","x\"y"]"#);
        assert_eq!(t.get(ie), "[]");
    }

    #[test]
    fn past_the_held_sets_arrays_are_still_right() {
        let mut t = TagJson::default();
        for i in 0..MAX_HELD + 10 {
            let s: Tags = Arc::from(vec![format!("t{i}")]);
            let id = t.id(&s);
            assert_eq!(t.get(id), format!("[\"t{i}\"]"));
        }
        assert_eq!(t.held.len(), MAX_HELD);
    }
}
