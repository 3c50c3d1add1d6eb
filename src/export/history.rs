//! The export stage that gives each stream its history: it collects every
//! stream's results from the same pass that feeds the outputs, then (once
//! every stream was read) records them in the `--history` store, or
//! compares them with a `--baseline` run, or with the earlier runs of the
//! same repository under `--all-runs`, and classifies each run.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::history::memory::MemoryStore;
use crate::history::postgres::{self as pg, PgStore};
use crate::history::sqlite::SqliteStore;
use crate::history::{self, Rules, RunBuilder, RunInput, StreamHistory};
use crate::model::entry::Entry;
use crate::output::StreamMeta;
use crate::{Error, Result};

/// What the command line asked of history.
#[derive(Debug, Clone, Default)]
pub struct HistoryOptions {
    /// `--history FILE|URL`: the store to append to (a `postgresql://`
    /// URL selects the server backend).
    pub store: Option<PathBuf>,
    /// `--history-copy-from FILE`: a SQLite store to copy into the server
    /// store first.
    pub copy_from: Option<PathBuf>,
    /// `--history-keep-days N`: retention on the server store.
    pub keep_days: Option<u32>,
    /// `--baseline PATH`: a stream, a repository or an earlier DEST.
    pub baseline: Option<PathBuf>,
    /// The switches of the marking rules.
    pub rules: Rules,
}

/// A server store being connected to on its own thread while the streams
/// are read, so the connection and schema check cost the export no time.
#[derive(Clone, Default)]
struct Connecting(Arc<Mutex<Option<JoinHandle<history::HResult<PgStore>>>>>);

impl std::fmt::Debug for Connecting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Connecting")
    }
}

impl Connecting {
    fn start(url: &str) -> Connecting {
        let url = url.to_owned();
        let handle = std::thread::Builder::new()
            .name("history-connect".into())
            .spawn(move || PgStore::connect(&url))
            .ok();
        Connecting(Arc::new(Mutex::new(handle)))
    }

    /// The store, connected here when no thread was started.
    fn finish(&self, url: &str) -> history::HResult<PgStore> {
        let handle = self.0.lock().ok().and_then(|mut h| h.take());
        match handle.map(JoinHandle::join) {
            Some(Ok(store)) => store,
            Some(Err(_)) | None => PgStore::connect(url),
        }
    }
}

/// Collects results during the pass; see the module docs.
#[derive(Debug, Clone)]
pub struct HistoryStage {
    store: Option<PathBuf>,
    connecting: Connecting,
    copy_from: Option<PathBuf>,
    keep_days: Option<u32>,
    /// `--baseline`'s runs: then each run is compared with these only.
    baseline: Option<Vec<RunInput>>,
    rules: Rules,
    env: Vec<(&'static str, String)>,
    runs: Vec<(usize, RunInput)>,
    current: Option<(usize, RunBuilder)>,
}

impl HistoryStage {
    /// Returns `None` when nothing asks for history. `repo_all_runs`: the
    /// export reads every run of a repository (`-r --all-runs`), whose runs
    /// are then compared with each other. The baseline is read here, before
    /// any output is written.
    /// Whether `history.json` goes into DEST: only when a store or a
    /// baseline was asked for. Comparing `-r --all-runs` runs with each
    /// other only prints, so the default output stays the Python tool's.
    pub fn writes_file(&self) -> bool {
        self.store.is_some() || self.baseline.is_some()
    }

    pub fn new(
        opts: &HistoryOptions,
        repo_all_runs: bool,
        env: &[(&'static str, String)],
    ) -> Result<Option<HistoryStage>> {
        if opts.store.is_none() && opts.baseline.is_none() && !repo_all_runs {
            return Ok(None);
        }
        if opts.rules.window == 0 || opts.rules.window > history::rolling::KEEP {
            return Err(Error::Usage(format!(
                "--history-window must be between 1 and {}",
                history::rolling::KEEP
            )));
        }
        let url = opts
            .store
            .as_deref()
            .and_then(Path::to_str)
            .filter(|s| pg::is_url(s));
        match (&opts.store, url) {
            (Some(_), Some(_)) => {}
            (Some(s), None) => check_store_path(s)?,
            (None, _) => {}
        }
        if opts.copy_from.is_some() && url.is_none() {
            return Err(Error::Usage(
                "--history-copy-from needs --history postgresql://… (the server store to fill)"
                    .to_owned(),
            ));
        }
        if opts.keep_days.is_some() && url.is_none() {
            return Err(Error::Usage(
                "--history-keep-days needs --history postgresql://… (retention is for server \
                 stores)"
                    .to_owned(),
            ));
        }
        let baseline = match &opts.baseline {
            Some(b) => Some(super::baseline::read(b)?),
            None => None,
        };
        Ok(Some(HistoryStage {
            connecting: url.map(Connecting::start).unwrap_or_default(),
            store: opts.store.clone(),
            copy_from: opts.copy_from.clone(),
            keep_days: opts.keep_days,
            baseline,
            rules: opts.rules.clone(),
            env: env.to_vec(),
            runs: Vec::new(),
            current: None,
        }))
    }

    pub fn begin_stream(&mut self, meta: &StreamMeta, repo_run: Option<u64>) {
        let mut b = RunBuilder::new(&meta.provider, &meta.description);
        for (k, v) in &self.env {
            b.meta(k, v);
        }
        if let Some(id) = repo_run {
            b.meta("stestr_run_id", &id.to_string());
        }
        self.current = Some((meta.index, b));
    }

    pub fn entry(&mut self, e: &Entry) {
        if let Some((_, b)) = &mut self.current {
            b.push(&e.id, e.status.as_str(), e.start, e.end);
        }
    }

    pub fn end_stream(&mut self) {
        if let Some((i, b)) = self.current.take() {
            self.runs.push((i, b.finish()));
        }
    }

    /// Records every run read in the store (its one transaction: all or
    /// nothing) and classifies each run against the store, the baseline, or
    /// the earlier runs of this export.
    pub fn finish(self) -> Result<Vec<StreamHistory>> {
        let (indexes, runs): (Vec<usize>, Vec<RunInput>) = self.runs.into_iter().unzip();
        let mut stored = match &self.store {
            Some(path) => match path.to_str().filter(|s| pg::is_url(s)) {
                Some(url) => {
                    let mut store = self.connecting.finish(url)?;
                    if let Some(file) = &self.copy_from {
                        pg::copy_sqlite(file, &mut store)?;
                    }
                    let recs = pg::record_runs(&mut store, &runs)?;
                    if let Some(days) = self.keep_days {
                        store.prune(days)?;
                    }
                    Some(recs)
                }
                None => {
                    let mut store = SqliteStore::open(path)?;
                    Some(history::record_runs(&mut store, &runs)?)
                }
            },
            None => None,
        };
        let priors: Vec<history::Prior> = match (&self.baseline, &mut stored) {
            (Some(base), _) => {
                let mut priors = Vec::with_capacity(runs.len());
                for run in &runs {
                    // The baseline run of the same provider, else the first.
                    let mut store = MemoryStore::new();
                    if let Some(b) = base
                        .iter()
                        .find(|b| b.provider == run.provider)
                        .or_else(|| base.first())
                    {
                        let mut b = b.clone();
                        b.job = run.job.clone();
                        history::record_runs(&mut store, std::slice::from_ref(&b))?;
                    }
                    let rec = history::record_runs(&mut store, std::slice::from_ref(run))?;
                    priors.extend(rec.into_iter().map(|r| r.prior));
                }
                priors
            }
            (None, Some(recs)) => recs
                .iter_mut()
                .map(|r| std::mem::take(&mut r.prior))
                .collect(),
            (None, None) => {
                let mut store = MemoryStore::new();
                history::record_runs(&mut store, &runs)?
                    .into_iter()
                    .map(|r| r.prior)
                    .collect()
            }
        };
        Ok(runs
            .iter()
            .zip(priors)
            .enumerate()
            .map(|(k, (run, prior))| StreamHistory {
                index: indexes[k],
                description: run.description.clone(),
                run_uuid: stored.as_ref().map_or(String::new(), |s| s[k].uuid.clone()),
                stored: stored.as_ref().is_some_and(|s| s[k].added),
                marks: history::classify(run, &prior, &self.rules),
            })
            .collect())
    }
}

fn check_store_path(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(Error::Usage(format!(
            "--history is a directory, not a store file: {}",
            path.display()
        ))),
        Ok(_) => Ok(()),
        Err(_) => {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            match parent {
                Some(p) if !p.is_dir() => Err(Error::Usage(format!(
                    "--history: directory not found: {} (create it, or give another path)",
                    p.display()
                ))),
                _ => Ok(()),
            }
        }
    }
}
