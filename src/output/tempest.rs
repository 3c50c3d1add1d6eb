//! The tempest layout StackViz documents: `tempest_<P>_<i>_{raw,tree,details}.json`
//! per stream and a `config.json` listing them with their stats.

use serde::Serialize;

use super::details::DetailsWriter;
use super::json::{serialize_stats, write_json};
use super::names::Names;
use super::raw::RawWriter;
use super::tag_json::TagJson;
use super::tree::TreeBuilder;
use super::{ExportMeta, Format, StreamMeta, StreamWriter};
use crate::model::entry::Entry;
use crate::model::stats::Stats;
use crate::write::staging::Staging;
use crate::Result;

/// One stream's files; hands its config entry back to [`Tempest`].
struct TempestStream<'a> {
    format: &'a mut Tempest,
    meta: StreamMeta,
    files: [String; 3],
    raw: RawWriter,
    details: DetailsWriter,
    tree: TreeBuilder,
    /// Every distinct test name of the stream, stored once.
    names: Names,
    tags: TagJson,
}

#[derive(Serialize)]
struct ConfigEntry {
    id: usize,
    name: String,
    raw: String,
    tree: String,
    details: String,
    #[serde(serialize_with = "serialize_stats")]
    stats: Stats,
    #[serde(skip_serializing_if = "Option::is_none")]
    dstat: Option<String>,
}

pub struct Tempest {
    gzip: bool,
    entries: Vec<ConfigEntry>,
}

impl Tempest {
    pub fn new(gzip: bool) -> Self {
        Tempest {
            gzip,
            entries: Vec::new(),
        }
    }
}

impl Format for Tempest {
    fn dstat_name(&self) -> Option<&'static str> {
        Some("dstat_log.csv")
    }

    fn begin_stream<'a>(
        &'a mut self,
        stage: &mut Staging,
        meta: &StreamMeta,
    ) -> Result<Box<dyn StreamWriter + 'a>> {
        let gz = if self.gzip { ".gz" } else { "" };
        let base = format!("tempest_{}_{}", meta.provider, meta.run_index);
        let files = [
            format!("{base}_raw.json{gz}"),
            format!("{base}_tree.json{gz}"),
            format!("{base}_details.json{gz}"),
        ];
        Ok(Box::new(TempestStream {
            meta: meta.clone(),
            raw: RawWriter::create(stage, &files[0], self.gzip)?,
            details: DetailsWriter::create(stage, &files[2], self.gzip)?,
            tree: TreeBuilder::default(),
            names: Names::with_json(),
            tags: TagJson::default(),
            files,
            format: self,
        }))
    }

    fn finish(&mut self, stage: &mut Staging, meta: &ExportMeta) -> Result<()> {
        for e in &mut self.entries {
            e.dstat.clone_from(&meta.dstat_file);
        }
        #[derive(Serialize)]
        struct Config<'a> {
            tempest: &'a [ConfigEntry],
        }
        let mut out = stage.create("config.json", false)?;
        write_json(
            &mut out,
            &Config {
                tempest: &self.entries,
            },
        )?;
        stage.finish(out)
    }
}

impl StreamWriter for TempestStream<'_> {
    fn entry(&mut self, entry: &Entry) -> Result<()> {
        let tags = self.tags.id(&entry.tags);
        let (id, new) = self.names.intern(&entry.name);
        let name = self.names.json(id);
        self.raw.entry(entry, name, self.tags.get(tags))?;
        self.details.entry(entry, name, id, new)?;
        self.tree.add(id, tags, entry);
        Ok(())
    }

    fn end(self: Box<Self>, stage: &mut Staging, stats: &Stats) -> Result<()> {
        let cur = *self;
        cur.raw.finish(stage)?;
        cur.details.finish(stage, &cur.names)?;
        let mut out = stage.create(&cur.files[1], cur.format.gzip)?;
        cur.tree
            .write(&cur.names, &cur.tags, &mut out)
            .map_err(|e| out.io_err(e))?;
        stage.finish(out)?;
        let [raw, tree, details] = cur.files;
        cur.format.entries.push(ConfigEntry {
            id: cur.meta.index,
            name: cur.meta.description,
            raw,
            tree,
            details,
            stats: stats.clone(),
            dstat: None,
        });
        Ok(())
    }
}
