//! The tempest layout StackViz documents: `tempest_<P>_<i>_{raw,tree,details}.json`
//! per stream and a `config.json` listing them with their stats.

use serde::Serialize;

use super::details::DetailsWriter;
use super::raw::RawWriter;
use super::tree::TreeBuilder;
use super::{write_json, ExportMeta, Format, StreamMeta};
use crate::model::entry::Entry;
use crate::model::stats::Stats;
use crate::write::staging::Staging;
use crate::Result;

struct Current {
    meta: StreamMeta,
    files: [String; 3],
    raw: RawWriter,
    details: DetailsWriter,
    tree: TreeBuilder,
}

#[derive(Serialize)]
struct ConfigEntry {
    id: usize,
    name: String,
    raw: String,
    tree: String,
    details: String,
    stats: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    dstat: Option<String>,
}

pub struct Tempest {
    gzip: bool,
    current: Option<Current>,
    entries: Vec<ConfigEntry>,
}

impl Tempest {
    pub fn new(gzip: bool) -> Self {
        Tempest {
            gzip,
            current: None,
            entries: Vec::new(),
        }
    }
}

impl Format for Tempest {
    fn dstat_name(&self) -> &'static str {
        "dstat_log.csv"
    }

    fn begin_stream(&mut self, stage: &mut Staging, meta: &StreamMeta) -> Result<()> {
        let gz = if self.gzip { ".gz" } else { "" };
        let base = format!("tempest_{}_{}", meta.provider, meta.run_index);
        let files = [
            format!("{base}_raw.json{gz}"),
            format!("{base}_tree.json{gz}"),
            format!("{base}_details.json{gz}"),
        ];
        self.current = Some(Current {
            meta: meta.clone(),
            raw: RawWriter::create(stage, &files[0], self.gzip)?,
            details: DetailsWriter::create(stage, &files[2], self.gzip)?,
            tree: TreeBuilder::default(),
            files,
        });
        Ok(())
    }

    fn entry(&mut self, entry: &Entry) -> Result<()> {
        let cur = self.current.as_mut().expect("entry outside a stream");
        cur.raw.entry(entry)?;
        cur.details.entry(entry)?;
        cur.tree.add(entry);
        Ok(())
    }

    fn end_stream(&mut self, stage: &mut Staging, stats: &Stats) -> Result<()> {
        let cur = self.current.take().expect("end outside a stream");
        cur.raw.finish(stage)?;
        cur.details.finish(stage)?;
        let mut out = stage.create(&cur.files[1], self.gzip)?;
        write_json(&mut out, &cur.tree)?;
        stage.finish(out)?;
        let [raw, tree, details] = cur.files;
        self.entries.push(ConfigEntry {
            id: cur.meta.index,
            name: cur.meta.description,
            raw,
            tree,
            details,
            stats: serde_json::to_value(stats).expect("stats serialise"),
            dstat: None,
        });
        Ok(())
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
