//! The `tree` view: names split on `.` into nested nodes, StackViz's
//! `reorganize` with its quirks kept (one root named after the last entry's
//! first component; a dotless name makes the root itself the test).

use rustc_hash::FxHashMap as HashMap;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::json::Iso;
use super::raw::Empty;
use crate::model::entry::Entry;

struct Test {
    name_full: String,
    status: &'static str,
    tags: Vec<String>,
    start: Option<i64>,
    end: Option<i64>,
    duration: f64,
}

#[derive(Default)]
struct Node {
    name: String,
    /// `None` until the node gets a child (leaves have no `children` key).
    children: Option<Vec<Node>>,
    index: HashMap<String, usize>,
    test: Option<Test>,
}

impl Node {
    fn child(&mut self, part: &str) -> &mut Node {
        let children = self.children.get_or_insert_with(Vec::new);
        let i = match self.index.get(part) {
            Some(&i) => i,
            None => {
                children.push(Node {
                    name: part.to_owned(),
                    ..Node::default()
                });
                self.index.insert(part.to_owned(), children.len() - 1);
                children.len() - 1
            }
        };
        &mut children[i]
    }
}

#[derive(Default)]
pub struct TreeBuilder {
    root: Option<Node>,
}

impl TreeBuilder {
    pub fn add(&mut self, e: &Entry) {
        let mut parts = e.name.split('.');
        let first = parts.next().unwrap_or("");
        let root = self.root.get_or_insert_with(Node::default);
        root.name = first.to_owned();
        let mut node = root;
        for part in parts {
            node = node.child(part);
        }
        node.test = Some(Test {
            name_full: e.name.clone(),
            status: e.status.as_str(),
            tags: e.tags.clone(),
            start: e.start,
            end: e.end,
            duration: e.duration,
        });
    }
}

impl Serialize for TreeBuilder {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.root {
            Some(root) => root.serialize(s),
            None => s.serialize_map(Some(0))?.end(),
        }
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("name", &self.name)?;
        if let Some(children) = &self.children {
            m.serialize_entry("children", children)?;
        }
        if let Some(t) = &self.test {
            m.serialize_entry("status", t.status)?;
            m.serialize_entry("tags", &t.tags)?;
            m.serialize_entry("timestamps", &[t.start.map(Iso), t.end.map(Iso)])?;
            m.serialize_entry("duration", &t.duration)?;
            m.serialize_entry("details", &Empty)?;
            m.serialize_entry("name_full", &t.name_full)?;
        }
        m.end()
    }
}
