//! The export: check every input, then read each stream once and feed every
//! output from that one pass, then commit all files at once.

use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::decode::v1;
use crate::decode::v2::{DecodeError, Decoder};
use crate::input::dstat;
use crate::input::repo::Repository;
use crate::input::source::{self, Origin, Protocol};
use crate::model::record::{Assembler, Entry, Record};
use crate::model::stats::Stats;
use crate::output::artifacts::Artifacts;
use crate::output::html::Html;
use crate::output::tempest::Tempest;
use crate::output::{ExportMeta, Format, StreamMeta};
use crate::write::staging::Staging;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormatKind {
    #[default]
    Tempest,
    Artifacts,
}

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dest: PathBuf,
    pub files: Vec<PathBuf>,
    pub stdin: bool,
    pub repos: Vec<PathBuf>,
    pub dstat: Option<PathBuf>,
    pub gzip: bool,
    pub env: bool,
    pub format: FormatKind,
    pub all_runs: bool,
    /// Also write the self-contained `index.html` report.
    pub html: bool,
}

/// Where informational lines and warnings go.
pub trait Reporter {
    fn info(&mut self, line: &str);
    fn warn(&mut self, line: &str);
    /// Called now and then during a long stream.
    fn progress(&mut self, _what: &str, _tests: u64) {}
}

/// Collects messages; handy in tests and for library users.
#[derive(Debug, Default)]
pub struct Collect {
    pub info: Vec<String>,
    pub warnings: Vec<String>,
}

impl Reporter for Collect {
    fn info(&mut self, line: &str) {
        self.info.push(line.to_owned());
    }
    fn warn(&mut self, line: &str) {
        self.warnings.push(line.to_owned());
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Repo,
    File,
    Stdin,
}

/// One stream to export.
#[derive(Debug, Clone)]
struct Stream {
    origin: Origin,
    meta: StreamMeta,
}

/// Everything checked and named, before anything is written.
#[derive(Debug)]
pub struct Plan {
    dest: PathBuf,
    streams: Vec<Stream>,
    dstat: Option<PathBuf>,
    gzip: bool,
    format: FormatKind,
    html: bool,
    env: Vec<(&'static str, String)>,
    /// Providers with nothing to export (a repository without runs).
    empty: Vec<String>,
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
    Ok(Plan {
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

fn io_reason(e: &io::Error) -> String {
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

/// What an export did.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub streams: usize,
    pub tests: u64,
    pub bytes: u64,
}

/// Runs a checked plan: writes everything to temporary files in DEST and
/// renames them into place only when all of it succeeded.
pub fn run(plan: &Plan, rep: &mut dyn Reporter) -> Result<Summary> {
    let mut formats: Vec<Box<dyn Format>> = vec![match plan.format {
        FormatKind::Tempest => Box::new(Tempest::new(plan.gzip)),
        FormatKind::Artifacts => Box::new(Artifacts::new(plan.gzip)),
    }];
    if plan.html {
        formats.push(Box::new(Html::new()));
    }
    let mut stage = Staging::new(&plan.dest)?;
    let mut meta = ExportMeta {
        env: plan.env.clone(),
        ..ExportMeta::default()
    };
    if let Some(path) = &plan.dstat {
        rep.info("Exporting DStat log");
        let name = format!(
            "{}{}",
            formats[0].dstat_name(),
            if plan.gzip { ".gz" } else { "" }
        );
        copy_dstat(&mut stage, path, &name, plan.gzip, rep)?;
        meta.dstat_file = Some(name);
        meta.dstat_source_name = Some(source::basename(path));
        meta.dstat_path = Some(path.clone());
    }
    for d in &plan.empty {
        rep.warn(&format!(
            "{d}: the repository has no runs; nothing to export"
        ));
    }
    let mut summary = Summary::default();
    for s in &plan.streams {
        let (tests, bytes) = export_stream(s, &mut formats, &mut stage, rep)?;
        summary.streams += 1;
        summary.tests += tests;
        summary.bytes += bytes;
    }
    // Last format first, so the main format's config.json stays the last
    // file renamed into place.
    for f in formats.iter_mut().rev() {
        f.finish(&mut stage, &meta)?;
    }
    for f in &mut formats {
        for w in f.warnings() {
            rep.warn(&w);
        }
    }
    stage.commit()?;
    Ok(summary)
}

/// Plans and runs in one call.
pub fn export(opts: &Options, rep: &mut dyn Reporter) -> Result<Summary> {
    let plan = plan(opts)?;
    run(&plan, rep)
}

fn copy_dstat(
    stage: &mut Staging,
    path: &Path,
    name: &str,
    gzip: bool,
    rep: &mut dyn Reporter,
) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if let Some(why) = dstat::problem(&bytes) {
        rep.warn(&format!(
            "{}: StackViz will not chart this dstat log: {why}",
            path.display()
        ));
    }
    let mut out = stage.create(name, gzip)?;
    out.write_all_ctx(&bytes)?;
    stage.finish(out)
}

/// Entries travel from the decoding thread to the writing thread in
/// batches of about this much attachment text (or `BATCH_ENTRIES` entries).
const BATCH_BYTES: usize = 512 * 1024;
const BATCH_ENTRIES: usize = 256;
/// Batches in flight; bounds the memory between the two threads.
const BATCHES_IN_FLIGHT: usize = 4;
/// Warnings printed per stream; the rest are counted.
const MAX_WARNINGS: usize = 20;

/// What the decoding thread reports when it is done.
struct Decoded {
    bytes: u64,
    warnings: Vec<crate::decode::event::Warning>,
}

/// Decodes a stream and assembles entries, sending them on in batches.
/// Runs on its own thread so that decoding overlaps with writing.
fn decode_stream(
    opened: source::Opened,
    label: &str,
    tx: mpsc::SyncSender<Vec<Entry>>,
) -> Result<Decoded> {
    let mut batch = Vec::with_capacity(BATCH_ENTRIES);
    let mut batch_bytes = 0usize;
    let send = |batch: &mut Vec<Entry>| {
        tx.send(std::mem::replace(batch, Vec::with_capacity(BATCH_ENTRIES)))
            .map_err(|_| Error::Other("the writer stopped".into()))
    };
    let sink = |rec: Record| -> Result<()> {
        let e = Entry::from_record(rec);
        batch_bytes += e.details.iter().map(|(_, v)| v.len()).sum::<usize>();
        batch.push(e);
        if batch.len() >= BATCH_ENTRIES || batch_bytes >= BATCH_BYTES {
            batch_bytes = 0;
            send(&mut batch)?;
        }
        Ok(())
    };
    let mut asm = Assembler::new(sink);
    let bytes = match opened.protocol {
        Protocol::V2 => {
            let mut dec = Decoder::with_prefix(opened.head, opened.rest);
            let result = dec.run(&mut asm);
            match result {
                Ok(()) => dec.summary().bytes,
                Err(DecodeError::Read(e)) => {
                    return Err(Error::Read {
                        path: label.to_owned(),
                        offset: dec.offset(),
                        source: e,
                    })
                }
                Err(DecodeError::Sink(e)) => return Err(e),
            }
        }
        Protocol::V1 => {
            let mut reader = BufReader::with_capacity(256 * 1024, opened.into_reader());
            v1::read_v1(&mut reader, &mut asm).map_err(|e| match e {
                Error::Other(m) => Error::Other(format!("{label}: {m}")),
                e => e,
            })?;
            0
        }
    };
    let (_, warnings) = asm.finish()?;
    if !batch.is_empty() {
        send(&mut batch)?;
    }
    Ok(Decoded { bytes, warnings })
}

/// Reads one stream once, feeding every format. Returns (tests, bytes).
fn export_stream(
    s: &Stream,
    formats: &mut [Box<dyn Format>],
    stage: &mut Staging,
    rep: &mut dyn Reporter,
) -> Result<(u64, u64)> {
    let label = s.origin.label();
    rep.info(&format!("Exporting {}", s.meta.description));
    let read_err = |offset: u64, e: io::Error| Error::Read {
        path: label.clone(),
        offset,
        source: e,
    };
    let raw = s.origin.open().map_err(|e| read_err(0, e))?;
    let opened = source::prepare(raw).map_err(|e| read_err(0, e))?;
    let gzip_error = opened.gzip_error.clone();
    for f in formats.iter_mut() {
        f.begin_stream(stage, &s.meta)?;
    }
    let mut stats = Stats::default();
    let mut last_note = Instant::now();
    let (tx, rx_decoded) = mpsc::sync_channel::<Vec<Entry>>(BATCHES_IN_FLIGHT);
    let (tx_ready, rx) = mpsc::sync_channel::<Vec<Entry>>(BATCHES_IN_FLIGHT);
    let (written, decoded) = std::thread::scope(|scope| {
        let spawn_err = |e: io::Error| Error::Other(format!("cannot start a thread: {e}"));
        let decoder = std::thread::Builder::new()
            .name("decode".into())
            .spawn_scoped(scope, || decode_stream(opened, &label, tx))
            .map_err(spawn_err);
        let decoder = match decoder {
            Ok(d) => d,
            Err(e) => return (Err(e), None),
        };
        // Three stages: decode, serialise details, write.
        let serialiser = std::thread::Builder::new()
            .name("serialise".into())
            .spawn_scoped(scope, move || {
                for mut batch in rx_decoded {
                    batch.iter_mut().for_each(Entry::prepare_json);
                    if tx_ready.send(batch).is_err() {
                        break;
                    }
                }
            })
            .map_err(spawn_err);
        if let Err(e) = serialiser {
            return (Err(e), None);
        }
        let mut written = Ok(());
        'batches: for batch in rx.iter() {
            for e in &batch {
                stats.add(e);
                for f in formats.iter_mut() {
                    if let Err(err) = f.entry(e) {
                        written = Err(err);
                        break 'batches;
                    }
                }
            }
            if last_note.elapsed() > Duration::from_secs(2) {
                last_note = Instant::now();
                rep.progress(&s.meta.description, stats.count);
            }
        }
        // Stops the decoder if writing failed first.
        drop(rx);
        let decoded = decoder
            .join()
            .unwrap_or_else(|_| Err(Error::Other("the decoder panicked".into())));
        (written, Some(decoded))
    });
    written?;
    let decoded = decoded.expect("decoder ran")?;
    // A badly damaged stream could say the same thing thousands of times.
    let shown = decoded.warnings.len().min(MAX_WARNINGS);
    for w in &decoded.warnings[..shown] {
        rep.warn(&format!("{label}: byte offset {}: {}", w.offset, w.message));
    }
    if decoded.warnings.len() > shown {
        rep.warn(&format!(
            "{label}: {} more warnings not shown",
            decoded.warnings.len() - shown
        ));
    }
    if let Some(e) = gzip_error.lock().expect("lock").take() {
        rep.warn(&format!(
            "{label}: the gzip data is damaged ({e}); exported what came before"
        ));
    }
    for f in formats.iter_mut() {
        f.end_stream(stage, &stats)?;
    }
    Ok((stats.count, decoded.bytes))
}
