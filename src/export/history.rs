//! The export stage that gives each stream its history: it collects every
//! stream's results from the same pass that feeds the outputs, then (once
//! every stream was read) records them in the `--history` store, or
//! compares them with a `--baseline` run, or with the earlier runs of the
//! same repository under `--all-runs`, and classifies each run.
//!
//! The store works beside the export rather than after it: a server store
//! connects and reads the first stream's tests while the stream is read
//! ([`Preload`]); any store writes the test rows on its own thread while
//! the outputs are made, and commits as the last step of putting them in
//! place: an export that fails stores nothing, and a store that cannot
//! commit leaves DEST as it was.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

use crate::history::memory::MemoryStore;
use crate::history::postgres::{self as pg, PgStore};
use crate::history::sqlite::SqliteStore;
use crate::history::{self, Preload, Rules, RunBuilder, RunInput, StreamHistory};
use crate::model::entry::Entry;
use crate::output::StreamMeta;
use crate::write::staging::{sync_renames_in, TrackedFile};
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

/// Test names per read-ahead message.
const READ_AHEAD_CHUNK: usize = 2048;

/// What the export tells a server store's thread.
enum Msg {
    /// The first stream begins; its run's job.
    Stream { job: String },
    /// Test names new in that stream, in order.
    Names(Vec<String>),
    /// That stream ended.
    EndStream,
    /// Record these runs (see [`PendingStore`]).
    Record(Record),
}

struct Record {
    runs: Arc<Vec<RunInput>>,
    recorded: mpsc::Sender<history::Recorded>,
    go: mpsc::Receiver<bool>,
}

/// A server store's own thread, started with the export: it connects (and
/// copies a SQLite store in, with `--history-copy-from`) while the streams
/// are read, reads ahead what the first run needs (a [`Preload`]) as its
/// test names come in, and records the runs when asked. Without it, those
/// round trips to the server all came after the pass.
#[derive(Clone)]
struct ServerThread {
    tx: mpsc::Sender<Msg>,
    handle: Arc<Mutex<Option<JoinHandle<history::HResult<()>>>>>,
}

impl std::fmt::Debug for ServerThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerThread")
    }
}

impl ServerThread {
    fn start(
        url: &str,
        copy_from: Option<PathBuf>,
        keep_days: Option<u32>,
    ) -> Result<ServerThread> {
        let url = url.to_owned();
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("history-server".into())
            .spawn(move || server_work(&url, copy_from, keep_days, &rx))
            .map_err(Error::Thread)?;
        Ok(ServerThread {
            tx,
            handle: Arc::new(Mutex::new(Some(handle))),
        })
    }

    /// A message for the thread; when it has stopped (an error), the
    /// error comes out of [`PendingStore`].
    fn send(&self, msg: Msg) {
        let _ = self.tx.send(msg);
    }

    fn take_handle(&self) -> Option<JoinHandle<history::HResult<()>>> {
        self.handle.lock().ok().and_then(|mut h| h.take())
    }
}

/// The server thread's work; see [`ServerThread`].
fn server_work(
    url: &str,
    copy_from: Option<PathBuf>,
    keep_days: Option<u32>,
    rx: &mpsc::Receiver<Msg>,
) -> history::HResult<()> {
    let mut store = PgStore::connect(url)?;
    if let Some(file) = &copy_from {
        pg::copy_sqlite(file, &mut store)?;
    }
    let (preload, record) = read_ahead(&mut store, rx)?;
    let Some(record) = record else {
        // The export stopped before recording.
        return Ok(());
    };
    let committed = pg::record_runs_with(
        &mut store,
        &record.runs,
        preload,
        &mut |r| {
            let _ = record.recorded.send(r);
        },
        &mut go_once(&record.go),
    )?;
    if let (true, Some(days)) = (committed, keep_days) {
        store.prune(days)?;
    }
    Ok(())
}

/// Reads ahead for the first stream, in a read-only snapshot that holds
/// no lock, until the export asks to record.
fn read_ahead(
    store: &mut PgStore,
    rx: &mpsc::Receiver<Msg>,
) -> history::HResult<(Option<Preload>, Option<Record>)> {
    let job = loop {
        match rx.recv() {
            Ok(Msg::Stream { job }) => break job,
            Ok(Msg::Record(r)) => return Ok((None, Some(r))),
            Ok(_) => {}
            Err(_) => return Ok((None, None)),
        }
    };
    let mut reader = Some(store.begin_read()?);
    let mut preload = Preload {
        job,
        ..Preload::default()
    };
    if let Some(r) = reader.as_mut() {
        preload.token = r.write_token()?;
        preload.previous = r.previous_run(&preload.job, None)?;
    }
    loop {
        match rx.recv() {
            Ok(Msg::Names(names)) => {
                if let Some(r) = reader.as_mut() {
                    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                    let found = r.load_tests(&refs)?;
                    preload.tests.extend(names.into_iter().zip(found));
                }
            }
            // Read-only: dropping it ends it.
            Ok(Msg::EndStream) => reader = None,
            Ok(Msg::Stream { .. }) => {}
            Ok(Msg::Record(r)) => return Ok((Some(preload), Some(r))),
            Err(_) => return Ok((None, None)),
        }
    }
}

/// The go-ahead for the commit, asked once however often the store asks.
fn go_once(go: &mpsc::Receiver<bool>) -> impl FnMut() -> bool + '_ {
    let mut decided = None;
    move || *decided.get_or_insert_with(|| go.recv().unwrap_or(false))
}

/// Collects results during the pass; see the module docs.
#[derive(Debug, Clone)]
pub struct HistoryStage {
    store: Option<PathBuf>,
    /// The server store's thread (`--history postgresql://…`).
    server: Option<ServerThread>,
    /// Test names not yet sent to it for reading ahead (first stream).
    names: Vec<String>,
    reading_ahead: bool,
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

    /// The SQLite store's file (none for a server store).
    pub fn store_file(&self) -> Option<&Path> {
        self.store.as_deref().filter(|_| self.server.is_none())
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
        let server = match url {
            Some(u) => Some(ServerThread::start(
                u,
                opts.copy_from.clone(),
                opts.keep_days,
            )?),
            None => None,
        };
        Ok(Some(HistoryStage {
            server,
            names: Vec::new(),
            reading_ahead: false,
            store: opts.store.clone(),
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
        if let Some(s) = &self.server {
            // The first stream's reads go ahead while it is read.
            self.reading_ahead = self.runs.is_empty();
            if self.reading_ahead {
                s.send(Msg::Stream { job: b.job() });
            }
        }
        self.current = Some((meta.index, b));
    }

    pub fn entry(&mut self, e: &Entry) {
        if let Some((_, b)) = &mut self.current {
            let new = b.add(&e.id, e.status.as_str(), e.start, e.end);
            if let (true, Some(name)) = (self.reading_ahead, new) {
                self.names.push(name.to_owned());
                if self.names.len() >= READ_AHEAD_CHUNK {
                    self.send_names();
                }
            }
        }
    }

    fn send_names(&mut self) {
        if let Some(s) = &self.server {
            s.send(Msg::Names(std::mem::take(&mut self.names)));
        }
    }

    pub fn end_stream(&mut self) {
        if self.reading_ahead {
            self.send_names();
            if let Some(s) = &self.server {
                s.send(Msg::EndStream);
            }
            self.reading_ahead = false;
        }
        if let Some((i, b)) = self.current.take() {
            self.runs.push((i, b.finish()));
        }
    }

    /// Classifies each run against the store, the baseline, or the earlier
    /// runs of this export. With a store, every run is recorded in its one
    /// transaction (all or nothing) on a thread of its own: the marks are
    /// returned as soon as the store's reads are done, while it writes the
    /// test rows, and the returned [`PendingStore`] commits once the
    /// export's files are in place (dropping it rolls back).
    pub fn finish(self) -> Result<(Vec<StreamHistory>, Option<PendingStore>)> {
        let (indexes, runs): (Vec<usize>, Vec<RunInput>) = self.runs.into_iter().unzip();
        let runs = Arc::new(runs);
        let (mut stored, pending) = match &self.store {
            Some(path) => {
                let target = match &self.server {
                    Some(s) => Target::Server(s.clone()),
                    None => Target::File(path.clone()),
                };
                let (recs, pending) = PendingStore::start(target, runs.clone())?;
                (Some(recs), Some(pending))
            }
            None => (None, None),
        };
        let priors: Vec<history::Prior> = match (&self.baseline, &mut stored) {
            (Some(base), _) => {
                let mut priors = Vec::with_capacity(runs.len());
                for run in runs.iter() {
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
        let marks = runs
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
            .collect();
        Ok((marks, pending))
    }
}

/// Which store a [`PendingStore`] writes to.
enum Target {
    File(PathBuf),
    Server(ServerThread),
}

/// The store's transaction, open on its own thread: it reads what the
/// marks need, hands that over, writes the test rows, then waits for
/// [`commit`](PendingStore::commit). Dropped without it, the transaction
/// rolls back and the store is left as it was.
pub struct PendingStore {
    go: Option<mpsc::Sender<bool>>,
    done: Option<JoinHandle<history::HResult<()>>>,
}

impl std::fmt::Debug for PendingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingStore")
    }
}

impl PendingStore {
    /// Starts recording `runs`; returns each run's [`history::Recorded`]
    /// once the store's reads are done.
    fn start(
        target: Target,
        runs: Arc<Vec<RunInput>>,
    ) -> Result<(Vec<history::Recorded>, PendingStore)> {
        let (rec_tx, rec_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<bool>();
        let n = runs.len();
        let handle = match target {
            Target::File(path) => std::thread::Builder::new()
                .name("history-store".into())
                .spawn(move || -> history::HResult<()> {
                    let send = &mut |r| {
                        let _ = rec_tx.send(r);
                    };
                    let absent = std::fs::symlink_metadata(&path)
                        .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
                    if absent {
                        return record_new_file(&path, &runs, send, &go_rx);
                    }
                    let mut store = SqliteStore::open(&path)?;
                    history::record_runs_with(&mut store, &runs, None, send, &mut go_once(&go_rx))?;
                    Ok(())
                })
                .map_err(Error::Thread)?,
            Target::Server(server) => {
                server.send(Msg::Record(Record {
                    runs,
                    recorded: rec_tx,
                    go: go_rx,
                }));
                server
                    .take_handle()
                    .ok_or(Error::Stopped("the history store"))?
            }
        };
        let mut pending = PendingStore {
            go: Some(go_tx),
            done: Some(handle),
        };
        let mut recs = Vec::with_capacity(n);
        while recs.len() < n {
            match rec_rx.recv() {
                Ok(r) => recs.push(r),
                // The thread ended before every run was read: its error.
                Err(_) => {
                    pending.go = None;
                    pending.join()?;
                    return Err(Error::Stopped("the history store"));
                }
            }
        }
        Ok((recs, pending))
    }

    /// Commits the store's transaction and waits for it.
    pub fn commit(mut self) -> Result<()> {
        if let Some(go) = self.go.take() {
            let _ = go.send(true);
        }
        self.join()
    }

    fn join(&mut self) -> Result<()> {
        match self.done.take().map(JoinHandle::join) {
            Some(Ok(r)) => r.map_err(Error::from),
            Some(Err(_)) => Err(Error::Stopped("the history store")),
            None => Ok(()),
        }
    }
}

impl Drop for PendingStore {
    fn drop(&mut self) {
        // No go-ahead: the thread rolls back.
        self.go = None;
        let _ = self.join();
    }
}

/// Records `runs` in a SQLite store that does not exist yet. It is built
/// under a temporary name beside `path` and renamed into place only when
/// the export commits, so a failed or interrupted export leaves no store
/// behind (it used to leave one holding only the schema). The rename never
/// replaces a store that another export created in the meantime: the runs
/// are then recorded in that one, and this export's marks stay those
/// computed against an empty history.
fn record_new_file(
    path: &Path,
    runs: &[RunInput],
    send: &mut dyn FnMut(history::Recorded),
    go: &mpsc::Receiver<bool>,
) -> history::HResult<()> {
    let io_err = |e: std::io::Error| history::HistoryError::Backend {
        location: path.display().to_string(),
        message: e.to_string(),
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // 0666 less the umask, as SQLite creates a store (tempfile's default
    // is 0600).
    let tmp = tempfile::Builder::new()
        .prefix(".stackviz-history-")
        .suffix(".new")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(io_err)?
        .into_temp_path();
    let tracked = TrackedFile::new(&tmp);
    let mut go_ahead = go_once(go);
    let mut committed = false;
    let built = SqliteStore::open_named(&tmp, path).and_then(|mut store| {
        history::record_runs_with(&mut store, runs, None, send, &mut || {
            committed = go_ahead();
            committed
        })?;
        store.close()
    });
    if built.is_err() || !committed {
        // The store or the export failed: no store.
        TrackedFile::remove(&tmp);
        return built;
    }
    let placed = tmp.persist_noclobber(path);
    drop(tracked);
    match placed {
        Ok(()) => sync_renames_in(dir).map_err(|e| match e {
            Error::Io { source, .. } => io_err(source),
            other => io_err(std::io::Error::other(other.to_string())),
        }),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            TrackedFile::remove(&e.path);
            let mut store = SqliteStore::open(path)?;
            history::record_runs_with(&mut store, runs, None, &mut |_| {}, &mut || true)?;
            Ok(())
        }
        Err(e) => {
            TrackedFile::remove(&e.path);
            Err(io_err(e.error))
        }
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
