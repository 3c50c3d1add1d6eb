//! The `tree` view: names split on `.` into nested nodes, StackViz's
//! `reorganize` with its quirks kept (one root named after the last entry's
//! first component; the first component of every name is dropped, so a
//! dotless name makes the root itself the test, and `a.x` and `b.x` are the
//! same node, holding the test that came last).
//!
//! While a stream is read only a compact leaf per distinct name is kept
//! (names themselves live once, in the stream's [`Names`], which must keep
//! their JSON form: [`Names::with_json`]); the nodes are
//! built when the tree is written, and written without recursion, so deep
//! names cannot overflow the stack.

use std::io::Write;

use rustc_hash::FxHashMap as HashMap;

use super::json::IsoWriter;
use super::names::Names;
use super::tag_json::TagJson;
use crate::model::entry::Entry;

/// No start or end time.
const NONE: i64 = i64::MIN;
const NO_ID: u32 = u32::MAX;

/// What the tree shows of a test, by name id.
struct Leaf {
    status: &'static str,
    tags: u32,
    start: i64,
    end: i64,
    duration: f64,
    /// Entry number of the latest entry with this name.
    seq: u64,
}

#[derive(Default)]
pub struct TreeBuilder {
    leaves: Vec<Leaf>,
    /// Name id of the latest entry (it names the root).
    last: Option<u32>,
    seq: u64,
}

impl TreeBuilder {
    /// Adds an entry whose name has id `id` in the stream's names (ids are
    /// handed out densely in first-seen order) and whose tags have id
    /// `tags` in the stream's [`TagJson`].
    pub fn add(&mut self, id: u32, tags: u32, e: &Entry) {
        let leaf = Leaf {
            status: e.status.as_str(),
            tags,
            start: e.start.unwrap_or(NONE),
            end: e.end.unwrap_or(NONE),
            duration: e.duration,
            seq: self.seq,
        };
        self.seq += 1;
        self.last = Some(id);
        match self.leaves.get_mut(id as usize) {
            Some(slot) => *slot = leaf,
            None => {
                debug_assert_eq!(id as usize, self.leaves.len(), "ids are dense");
                self.leaves.push(leaf);
            }
        }
    }

    /// Writes the tree as compact JSON.
    pub fn write(&self, names: &Names, tags: &TagJson, out: &mut dyn Write) -> std::io::Result<()> {
        let Some(last) = self.last else {
            return out.write_all(b"{}");
        };
        let nodes = self.build(names, last);
        let mut times = IsoWriter::default();
        let mut buf = Vec::with_capacity(64 * 1024);
        // (node, whether its children are done)
        let mut stack: Vec<(u32, bool)> = vec![(0, false)];
        while let Some((i, children_done)) = stack.pop() {
            let n = &nodes[i as usize];
            if !children_done {
                if n.open_sibling {
                    buf.push(b',');
                }
                buf.extend_from_slice(b"{\"name\":\"");
                buf.extend_from_slice(n.name.as_bytes());
                buf.push(b'"');
                stack.push((i, true));
                if n.first_child != NO_ID {
                    buf.extend_from_slice(b",\"children\":[");
                    // Children in order: push them in reverse.
                    let mut kids = Vec::new();
                    let mut c = n.first_child;
                    while c != NO_ID {
                        kids.push(c);
                        c = nodes[c as usize].next;
                    }
                    stack.extend(kids.into_iter().rev().map(|c| (c, false)));
                }
            } else {
                if n.first_child != NO_ID {
                    buf.push(b']');
                }
                if n.test != NO_ID {
                    self.write_leaf(&mut buf, names, tags, n.test, &mut times)?;
                }
                buf.push(b'}');
            }
            if buf.len() >= 60 * 1024 {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        out.write_all(&buf)
    }

    fn write_leaf(
        &self,
        buf: &mut Vec<u8>,
        names: &Names,
        tags: &TagJson,
        id: u32,
        times: &mut IsoWriter,
    ) -> std::io::Result<()> {
        let leaf = &self.leaves[id as usize];
        let time = |t: i64| (t != NONE).then_some(t);
        buf.extend_from_slice(b",\"status\":\"");
        buf.extend_from_slice(leaf.status.as_bytes());
        buf.push(b'"');
        buf.extend_from_slice(b",\"tags\":");
        buf.extend_from_slice(tags.get(leaf.tags).as_bytes());
        buf.extend_from_slice(b",\"timestamps\":");
        times.write_pair(buf, time(leaf.start), time(leaf.end));
        buf.extend_from_slice(b",\"duration\":");
        serde_json::to_writer(&mut *buf, &leaf.duration)?;
        buf.extend_from_slice(b",\"details\":{},\"name_full\":\"");
        buf.extend_from_slice(names.json(id).as_bytes());
        buf.push(b'"');
        Ok(())
    }

    /// The nodes, root first; children linked in first-seen order.
    fn build<'n>(&self, names: &'n Names, last: u32) -> Vec<Node<'n>> {
        // Nodes are named in the names' JSON form: escaping never makes or
        // takes a `.`, and is one to one, so the components and their
        // equality are the same, and the tree writes them as they are.
        let first = names.json(last);
        let root_name = &first[..memchr::memchr(b'.', first.as_bytes()).unwrap_or(first.len())];
        let mut nodes = vec![Node::new(root_name)];
        let mut last_child = vec![NO_ID];
        let mut index: HashMap<(u32, &str), u32> = HashMap::default();
        index.reserve(self.leaves.len() + self.leaves.len() / 4);
        // The node of each name's parent (all but its last component), so
        // that the tests of one class walk its path once.
        let mut parents: HashMap<&str, u32> = HashMap::default();
        for id in 0..self.leaves.len() as u32 {
            let name = names.json(id);
            let (start, rest) = match memchr::memrchr(b'.', name.as_bytes()) {
                // A dotless name is the root itself.
                None => (0, ""),
                Some(cut) => {
                    let parent = &name[..cut];
                    let start = match parents.get(parent) {
                        Some(&n) => n,
                        None => {
                            let n = Self::walk(&mut nodes, &mut last_child, &mut index, 0, parent);
                            parents.insert(parent, n);
                            n
                        }
                    };
                    // The last component, as a path of one part.
                    (start, &name[cut..])
                }
            };
            let node = Self::walk(&mut nodes, &mut last_child, &mut index, start, rest);
            let n = &mut nodes[node as usize];
            let newer =
                n.test == NO_ID || self.leaves[id as usize].seq > self.leaves[n.test as usize].seq;
            if newer {
                n.test = id;
            }
        }
        nodes
    }

    /// The node reached from `node` by the components of `path` after its
    /// first (StackViz drops a name's first component), created as needed
    /// with children in first-seen order.
    fn walk<'n>(
        nodes: &mut Vec<Node<'n>>,
        last_child: &mut Vec<u32>,
        index: &mut HashMap<(u32, &'n str), u32>,
        mut node: u32,
        path: &'n str,
    ) -> u32 {
        for part in after_first(path) {
            node = match index.get(&(node, part)) {
                Some(&c) => c,
                None => {
                    let c = nodes.len() as u32;
                    let mut child = Node::new(part);
                    let prev = last_child[node as usize];
                    if prev == NO_ID {
                        nodes[node as usize].first_child = c;
                    } else {
                        nodes[prev as usize].next = c;
                        child.open_sibling = true;
                    }
                    last_child[node as usize] = c;
                    nodes.push(child);
                    last_child.push(NO_ID);
                    index.insert((node, part), c);
                    c
                }
            };
        }
        node
    }
}

/// The components of a dotted path after its first: `path.split('.')
/// .skip(1)`, but with the dots found by byte, as `str::split` calls
/// `memcmp` for each match, once per component of every name.
fn after_first(path: &str) -> impl Iterator<Item = &str> {
    let dots = || memchr::memchr_iter(b'.', path.as_bytes());
    let ends = dots().skip(1).chain(std::iter::once(path.len()));
    dots()
        .map(|d| d + 1)
        .zip(ends)
        .map(|(from, to)| &path[from..to])
}

struct Node<'n> {
    name: &'n str,
    first_child: u32,
    next: u32,
    /// Name id of the test shown at this node.
    test: u32,
    /// Not the first child: a comma goes before it.
    open_sibling: bool,
}

impl<'n> Node<'n> {
    fn new(name: &'n str) -> Self {
        Node {
            name,
            first_child: NO_ID,
            next: NO_ID,
            test: NO_ID,
            open_sibling: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::after_first;

    #[test]
    fn components_after_the_first_are_those_of_split() {
        for path in [
            "",
            ".",
            "..",
            "a",
            "a.",
            ".a",
            "a.b",
            "a..b",
            "pkg.mod.Class.test",
            "é.ü.ß",
            "x.[1.5]",
            "a.b.",
        ] {
            let want: Vec<&str> = path.split('.').skip(1).collect();
            assert_eq!(after_first(path).collect::<Vec<_>>(), want, "{path:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_path_splits_like_str_split(path in "[a.é\\[\\]]{0,12}") {
            let want: Vec<&str> = path.split('.').skip(1).collect();
            proptest::prop_assert_eq!(after_first(&path).collect::<Vec<_>>(), want);
        }
    }
}
