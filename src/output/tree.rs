//! The `tree` view: names split on `.` into nested nodes, StackViz's
//! `reorganize` with its quirks kept (one root named after the last entry's
//! first component; a dotless name makes the root itself the test).

use rustc_hash::FxHashMap as HashMap;

use serde::Serialize;

use super::json::Iso;
use super::raw::Empty;
use crate::model::entry::Entry;
use crate::write::staging::OutFile;
use crate::Result;

struct Test {
    name_full: String,
    status: &'static str,
    tags: Vec<String>,
    start: Option<i64>,
    end: Option<i64>,
    duration: f64,
}

/// A node of the tree; nodes live in one arena and refer to their children
/// by index, so that neither building, writing nor dropping a tree recurses
/// (a test id with a million dots is a million levels deep).
#[derive(Default)]
struct Node {
    name: String,
    /// `None` until the node gets a child (leaves have no `children` key).
    children: Option<Vec<u32>>,
    index: HashMap<String, u32>,
    test: Option<Test>,
}

#[derive(Default)]
pub struct TreeBuilder {
    /// `nodes[0]` is the root, once there is one.
    nodes: Vec<Node>,
}

impl TreeBuilder {
    fn child(&mut self, parent: usize, part: &str) -> usize {
        if let Some(&i) = self.nodes[parent].index.get(part) {
            return i as usize;
        }
        let i = self.nodes.len();
        let id = u32::try_from(i).expect("fewer than 2^32 tree nodes");
        self.nodes.push(Node {
            name: part.to_owned(),
            ..Node::default()
        });
        let p = &mut self.nodes[parent];
        p.index.insert(part.to_owned(), id);
        p.children.get_or_insert_with(Vec::new).push(id);
        i
    }

    pub fn add(&mut self, e: &Entry) {
        let mut parts = e.name.split('.');
        let first = parts.next().unwrap_or("");
        if self.nodes.is_empty() {
            self.nodes.push(Node::default());
        }
        self.nodes[0].name = first.to_owned();
        let mut node = 0;
        for part in parts {
            node = self.child(node, part);
        }
        self.nodes[node].test = Some(Test {
            name_full: e.name.clone(),
            status: e.status.as_str(),
            tags: e.tags.clone(),
            start: e.start,
            end: e.end,
            duration: e.duration,
        });
    }

    /// Writes the tree as JSON with an explicit stack instead of recursion.
    pub fn write(&self, out: &mut OutFile) -> Result<()> {
        let mut buf = Vec::with_capacity(64 * 1024);
        if self.nodes.is_empty() {
            return out.write_all_ctx(b"{}");
        }
        // (node, index of the next child to write)
        let mut stack: Vec<(usize, usize)> = Vec::new();
        open_node(&mut buf, &self.nodes[0]);
        stack.push((0, 0));
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let n = &self.nodes[node];
            let children = n.children.as_deref().unwrap_or(&[]);
            if *next < children.len() {
                if *next > 0 {
                    buf.push(b',');
                }
                let child = children[*next] as usize;
                *next += 1;
                open_node(&mut buf, &self.nodes[child]);
                stack.push((child, 0));
            } else {
                close_node(&mut buf, n);
                stack.pop();
            }
            if buf.len() >= 64 * 1024 {
                out.write_all_ctx(&buf)?;
                buf.clear();
            }
        }
        out.write_all_ctx(&buf)
    }
}

fn json<T: Serialize + ?Sized>(buf: &mut Vec<u8>, value: &T) {
    serde_json::to_writer(&mut *buf, value).expect("JSON into memory");
}

/// `{"name":…` and, for a node with children, `,"children":[`.
fn open_node(buf: &mut Vec<u8>, n: &Node) {
    buf.extend_from_slice(b"{\"name\":");
    json(buf, &n.name);
    if n.children.is_some() {
        buf.extend_from_slice(b",\"children\":[");
    }
}

/// Ends the children list (if any), adds the test's fields (if any), `}`.
fn close_node(buf: &mut Vec<u8>, n: &Node) {
    if n.children.is_some() {
        buf.push(b']');
    }
    if let Some(t) = &n.test {
        buf.extend_from_slice(b",\"status\":");
        json(buf, t.status);
        buf.extend_from_slice(b",\"tags\":");
        json(buf, &t.tags);
        buf.extend_from_slice(b",\"timestamps\":");
        json(buf, &[t.start.map(Iso), t.end.map(Iso)]);
        buf.extend_from_slice(b",\"duration\":");
        json(buf, &t.duration);
        buf.extend_from_slice(b",\"details\":");
        json(buf, &Empty);
        buf.extend_from_slice(b",\"name_full\":");
        json(buf, &t.name_full);
    }
    buf.push(b'}');
}
