//! The layout today's StackViz front-end reads: `<P>-<i>-{raw,details,stats}.json`
//! per stream, `dstat.csv`, and a `config.json` with one dataset listing
//! every file as an artifact.

use serde::Serialize;

use super::details::DetailsWriter;
use super::json::{write_json, StatsJson};
use super::names::Names;
use super::raw::RawWriter;
use super::tag_json::TagJson;
use super::{ExportMeta, Format, StreamMeta, StreamWriter};
use crate::model::entry::Entry;
use crate::model::stats::Stats;
use crate::write::staging::Staging;
use crate::Result;

/// One stream's files; hands its artifacts back to [`Artifacts`].
struct ArtifactsStream<'a> {
    format: &'a mut Artifacts,
    meta: StreamMeta,
    base: String,
    raw: RawWriter,
    details: DetailsWriter,
    /// Every distinct test name of the stream, stored once.
    names: Names,
    tags: TagJson,
}

#[derive(Serialize)]
struct Artifact {
    path: String,
    artifact_name: String,
    artifact_type: &'static str,
    content_type: &'static str,
    primary: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_encoding: Option<&'static str>,
}

pub struct Artifacts {
    gzip: bool,
    artifacts: Vec<Artifact>,
}

impl Artifacts {
    pub fn new(gzip: bool) -> Self {
        Artifacts {
            gzip,
            artifacts: Vec::new(),
        }
    }

    fn artifact(
        &self,
        path: String,
        name: &str,
        kind: &'static str,
        content_type: &'static str,
    ) -> Artifact {
        Artifact {
            path,
            artifact_name: name.to_owned(),
            artifact_type: kind,
            content_type,
            primary: kind == "subunit",
            content_encoding: self.gzip.then_some("gzip"),
        }
    }
}

impl Format for Artifacts {
    fn dstat_name(&self) -> Option<&'static str> {
        Some("dstat.csv")
    }

    fn begin_stream<'a>(
        &'a mut self,
        stage: &mut Staging,
        meta: &StreamMeta,
    ) -> Result<Box<dyn StreamWriter + 'a>> {
        let gz = if self.gzip { ".gz" } else { "" };
        let base = format!("{}-{}", meta.artifact_name, meta.run_index);
        Ok(Box::new(ArtifactsStream {
            meta: meta.clone(),
            raw: RawWriter::create(stage, &format!("{base}-raw.json{gz}"), self.gzip)?,
            details: DetailsWriter::create(stage, &format!("{base}-details.json{gz}"), self.gzip)?,
            names: Names::with_json(),
            tags: TagJson::default(),
            base,
            format: self,
        }))
    }

    fn finish(&mut self, stage: &mut Staging, meta: &ExportMeta) -> Result<()> {
        let mut artifacts = Vec::with_capacity(self.artifacts.len() + 1);
        if let (Some(file), Some(source)) = (&meta.dstat_file, &meta.dstat_source_name) {
            artifacts.push(self.artifact(file.clone(), source, "dstat", "text/csv"));
        }
        artifacts.append(&mut self.artifacts);
        let field = |key: &str| {
            meta.env
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
        };
        #[derive(Serialize)]
        struct Dataset {
            name: Option<String>,
            url: Option<String>,
            status: Option<String>,
            ci_username: Option<String>,
            pipeline: Option<String>,
            change_id: Option<String>,
            revision: Option<String>,
            change_project: Option<String>,
            change_subject: Option<String>,
            artifacts: Vec<Artifact>,
        }
        #[derive(Serialize)]
        struct Config {
            deployer: bool,
            datasets: [Dataset; 1],
        }
        let config = Config {
            deployer: false,
            datasets: [Dataset {
                name: field("name"),
                url: None,
                status: None,
                ci_username: None,
                pipeline: field("pipeline"),
                change_id: field("change_id"),
                revision: field("revision"),
                change_project: field("change_project"),
                change_subject: None,
                artifacts,
            }],
        };
        let mut out = stage.create("config.json", false)?;
        write_json(&mut out, &config)?;
        stage.finish(out)
    }
}

impl StreamWriter for ArtifactsStream<'_> {
    fn entry(&mut self, entry: &Entry) -> Result<()> {
        let tags = self.tags.id(&entry.tags);
        let (id, new) = self.names.intern(&entry.name);
        let name = self.names.json(id);
        self.raw.entry(entry, name, self.tags.get(tags))?;
        self.details.entry(entry, name, id, new)
    }

    fn end(self: Box<Self>, stage: &mut Staging, stats: &Stats) -> Result<()> {
        let cur = *self;
        let gz = if cur.format.gzip { ".gz" } else { "" };
        cur.raw.finish(stage)?;
        cur.details.finish(stage, &cur.names)?;
        let stats_name = format!("{}-stats.json{gz}", cur.base);
        let mut out = stage.create(&stats_name, cur.format.gzip)?;
        write_json(&mut out, &StatsJson(stats))?;
        stage.finish(out)?;
        // Per run under --all-runs: the stem of its files (SPEC §5).
        let name = if cur.meta.run_is_artifact {
            &cur.base
        } else {
            &cur.meta.artifact_name
        };
        for (suffix, kind) in [
            ("raw", "subunit"),
            ("details", "subunit-details"),
            ("stats", "subunit-stats"),
        ] {
            let a = cur.format.artifact(
                format!("{}-{suffix}.json{gz}", cur.base),
                name,
                kind,
                "application/json",
            );
            cur.format.artifacts.push(a);
        }
        Ok(())
    }
}
