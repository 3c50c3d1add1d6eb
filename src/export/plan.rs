//! The plan: every input checked and every stream named before anything
//! is written.

use std::io;
use std::path::{Path, PathBuf};

use super::options::{FormatKind, Options};
use crate::input::repo::Repository;
use crate::input::source::{self, Origin};
use crate::output::StreamMeta;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Repo,
    File,
    Stdin,
}

/// One stream to export.
#[derive(Debug, Clone)]
pub(super) struct Stream {
    pub(super) origin: Origin,
    pub(super) meta: StreamMeta,
    /// The repository's run id, for a repository run.
    pub(super) repo_run: Option<u64>,
}

/// Everything checked and named, before anything is written.
#[derive(Debug)]
pub struct Plan {
    pub(super) dest: PathBuf,
    pub(super) streams: Vec<Stream>,
    pub(super) dstat: Option<PathBuf>,
    pub(super) gzip: bool,
    pub(super) format: FormatKind,
    pub(super) html: bool,
    pub(super) env: Vec<(&'static str, String)>,
    /// Providers with nothing to export (a repository without runs).
    pub(super) empty: Vec<String>,
    /// Collects each stream's results for its history, when asked for.
    pub(super) history: Option<super::history::HistoryStage>,
}

impl Plan {
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }
}

struct Provider {
    kind: Kind,
    given: PathBuf,
    base: String,
    runs: Vec<(Origin, Option<u64>)>,
}

/// Assigns `-2`, `-3`, … to names already taken; returns which positions
/// collided with another provider's base name.
fn dedupe(names: &[String]) -> (Vec<String>, Vec<bool>) {
    let mut taken = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let mut name = n.clone();
        let mut k = 2;
        while !taken.insert(name.clone()) {
            name = format!("{n}-{k}");
            k += 1;
        }
        out.push(name);
    }
    let collided = names
        .iter()
        .map(|n| names.iter().filter(|m| *m == n).count() > 1)
        .collect();
    (out, collided)
}

const ENV_FIELDS: [(&str, &str); 5] = [
    ("ZUUL_PROJECT", "change_project"),
    ("ZUUL_CHANGE", "change_id"),
    ("ZUUL_PATCHSET", "revision"),
    ("ZUUL_PIPELINE", "pipeline"),
    ("JOB_NAME", "name"),
];

/// Checks every path and names every stream. Writes nothing.
pub fn plan(opts: &Options) -> Result<Plan> {
    if opts.files.is_empty() && opts.repos.is_empty() && !opts.stdin {
        return Err(Error::Usage(
            "no input: give at least one of -f, -r, -i".into(),
        ));
    }
    if let Ok(m) = std::fs::metadata(&opts.dest) {
        if !m.is_dir() {
            return Err(Error::Usage(format!(
                "output path exists and is not a directory: {}",
                opts.dest.display()
            )));
        }
    }
    let mut providers = Vec::new();
    for given in &opts.repos {
        let repo = Repository::open(given)?;
        let runs = if opts.all_runs {
            repo.all_runs()?
        } else {
            repo.latest_run()?.into_iter().collect()
        };
        providers.push(Provider {
            kind: Kind::Repo,
            given: given.clone(),
            base: crate::input::repo::repo_basename(given),
            runs: runs
                .into_iter()
                .map(|r| (Origin::File(r.path), Some(r.id)))
                .collect(),
        });
    }
    for given in &opts.files {
        check_stream_file(given)?;
        providers.push(Provider {
            kind: Kind::File,
            given: given.clone(),
            base: source::basename(given),
            runs: vec![(Origin::File(given.clone()), None)],
        });
    }
    if opts.stdin {
        providers.push(Provider {
            kind: Kind::Stdin,
            given: PathBuf::from("-"),
            base: "stdin".into(),
            runs: vec![(Origin::Stdin, None)],
        });
    }
    if let Some(d) = &opts.dstat {
        match std::fs::metadata(d) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(Error::Usage(format!(
                    "dstat log is not a regular file: {}",
                    d.display()
                )))
            }
            Err(e) => {
                return Err(Error::Usage(format!(
                    "dstat log not found: {} ({})",
                    d.display(),
                    io_reason(&e)
                )))
            }
        }
    }

    let tempest_names: Vec<String> = providers
        .iter()
        .map(|p| match p.kind {
            Kind::Repo => format!("repo_{}", p.base),
            Kind::File => format!("file_{}", p.base),
            Kind::Stdin => "stdin".into(),
        })
        .collect();
    let artifact_names: Vec<String> = providers.iter().map(|p| p.base.clone()).collect();
    let (tempest_names, collided) = dedupe(&tempest_names);
    let (artifact_names, _) = dedupe(&artifact_names);

    let mut streams = Vec::new();
    let mut empty = Vec::new();
    for (i, p) in providers.iter().enumerate() {
        let shown = if collided[i] {
            p.given.display().to_string()
        } else {
            p.base.clone()
        };
        let description = match p.kind {
            Kind::Repo => format!("Repository: {shown}"),
            Kind::File => format!("Subunit File: {shown}"),
            Kind::Stdin => "Subunit Stream (stdin)".into(),
        };
        if p.runs.is_empty() {
            empty.push(description.clone());
        }
        for (run_index, (origin, run_id)) in p.runs.iter().enumerate() {
            let description = match (opts.all_runs, run_id) {
                (true, Some(id)) => format!("{description} ({id})"),
                _ => description.clone(),
            };
            streams.push(Stream {
                origin: origin.clone(),
                meta: StreamMeta {
                    index: streams.len(),
                    provider: tempest_names[i].clone(),
                    artifact_name: artifact_names[i].clone(),
                    run_index,
                    description,
                },
                repo_run: *run_id,
            });
        }
    }
    let env = if opts.env {
        ENV_FIELDS
            .iter()
            .filter_map(|(var, key)| std::env::var(var).ok().map(|v| (*key, v)))
            .collect()
    } else {
        Vec::new()
    };
    let history = super::history::HistoryStage::new(
        &opts.history,
        opts.all_runs && !opts.repos.is_empty(),
        &env,
    )?;
    Ok(Plan {
        history,
        dest: opts.dest.clone(),
        streams,
        dstat: opts.dstat.clone(),
        gzip: opts.gzip,
        format: opts.format,
        html: opts.html,
        env,
        empty,
    })
}

pub(super) fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn check_stream_file(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(Error::Usage(format!(
            "stream file is not a regular file: {}",
            path.display()
        ))),
        Ok(_) => Ok(()),
        Err(e) => Err(Error::Usage(format!(
            "stream file not found: {} ({})",
            path.display(),
            io_reason(&e)
        ))),
    }
}
