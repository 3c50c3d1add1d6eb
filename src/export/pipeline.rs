//! The run: each stream read once on a decoding thread, entries serialised
//! on a second, every output fed on the caller's thread.

use std::io::{self, BufReader};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};

use super::history::HistoryStage;
use super::options::{FormatKind, Options, Progress, Reporter};
use super::plan::{plan, Plan, Stream};
use crate::decode::v1;
use crate::decode::v2::{DecodeError, Decoder};
use crate::input::dstat;
use crate::input::source::{self, Origin, Protocol};
use crate::model::entry::Entry;
use crate::model::frontend::{self, FLAG};
use crate::model::record::{Assembler, Record, Warnings};
use crate::model::stats::Stats;
use crate::model::tags::Tags;
use crate::output::artifacts::Artifacts;
use crate::output::ctrf::CtrfFile;
use crate::output::html::Html;
use crate::output::json::prepare_details_json;
use crate::output::junit::JunitFile;
use crate::output::markdown::MarkdownFile;
use crate::output::summary::Results;
use crate::output::tempest::Tempest;
use crate::output::trace::TraceFile;
use crate::output::{ExportMeta, Format, StreamWriter};
use crate::write::staging::Staging;
use crate::{Error, Result};

/// What an export did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Streams exported.
    pub streams: usize,
    /// Tests exported.
    pub tests: u64,
    /// Tests with status `fail`.
    pub failed: u64,
    /// Bytes of v2 streams read.
    pub bytes: u64,
    /// Counts, failures and slowest tests: the console summary and what
    /// `--exit-code` decides on.
    pub results: Results,
    /// Files renamed into place in DEST.
    pub files: usize,
}

impl Summary {
    /// The closing line: what was written where, e.g.
    /// "wrote 5 files for 1 stream (282 tests, 1 failed) to out/".
    pub fn line(&self, dest: &Path) -> String {
        let plural =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "wrote {} for {} ({}, {} failed) to {}",
            plural(self.files as u64, "file", "files"),
            plural(self.streams as u64, "stream", "streams"),
            plural(self.tests, "test", "tests"),
            self.failed,
            dest.display()
        )
    }
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
    let notes = plan.annotations.as_ref().map(|a| a.0.clone());
    let ci = &plan.ci;
    if let Some(p) = &ci.junit {
        formats.push(Box::new(JunitFile::new(p.clone())));
    }
    if let Some(p) = &ci.ctrf {
        formats.push(Box::new(CtrfFile::new(p.clone())));
    }
    if let Some(p) = &ci.markdown {
        formats.push(Box::new(MarkdownFile::new(p.clone(), notes.clone())));
    }
    if let Some(p) = &ci.trace {
        formats.push(Box::new(TraceFile::new(p.clone())));
    }
    let mut stale_notes = Vec::new();
    let mut stage = Staging::with_notes(&plan.dest, &mut |n| stale_notes.push(n))?;
    stage.set_gzip_level(plan.gzip_level);
    if let Some(f) = plan.history.as_ref().and_then(|h| h.store_file()) {
        stage.keep_intact(f, "history store");
    }
    let mut fixed = vec!["config.json"];
    if plan.html {
        fixed.push("index.html");
    }
    if plan.history.as_ref().is_some_and(|h| h.writes_file()) {
        fixed.push("history.json");
    }
    let reports: Vec<&Path> = ci.named().into_iter().map(|(_, p)| p).collect();
    stage.refuse_clash_early(&reports, &fixed)?;
    for n in stale_notes {
        rep.info(&n);
    }
    for w in &plan.warnings {
        rep.warn(w);
    }
    let mut meta = ExportMeta {
        env: plan.env.clone(),
        ..ExportMeta::default()
    };
    if plan.gzip && !plan.html {
        rep.warn(
            "-z: neither StackViz front-end decompresses the .gz data files; serve DEST \
             from a web server that answers *.gz with \"Content-Encoding: gzip\" \
             (python3 -m http.server does not; see \"Viewing the data in StackViz\" in the README)",
        );
    }
    if plan.dstat.is_some() {
        rep.info("Exporting DStat log");
    }
    for d in &plan.empty {
        rep.warn(&format!(
            "{d}: the repository has no runs; nothing to export"
        ));
    }
    let mut summary = Summary {
        results: Results::new(notes),
        ..Summary::default()
    };
    // The tests' time span over every stream, for the dstat log.
    let mut span: Option<(i64, i64)> = None;
    let mut history = plan.history.clone();
    for s in &plan.streams {
        let (stats, bytes) = export_stream(
            s,
            &mut formats,
            &mut summary.results,
            history.as_mut(),
            &mut stage,
            plan.fix,
            rep,
        )?;
        summary.streams += 1;
        summary.tests += stats.count;
        summary.failed += stats.failures.len() as u64;
        summary.bytes += bytes;
        let lo = stats.start.into_iter().chain(span.map(|s| s.0)).min();
        let hi = stats.end.into_iter().chain(span.map(|s| s.1)).max();
        span = lo.zip(hi.or(lo));
    }
    // The dstat log goes after the streams: its rows carry no year, and
    // checking it needs the tests' time span.
    if let Some(path) = &plan.dstat {
        let name = format!(
            "{}{}",
            formats[0].dstat_name().unwrap_or("dstat.csv"),
            if plan.gzip { ".gz" } else { "" }
        );
        meta.dstat_charts = export_dstat(&mut stage, path, &name, plan, span, rep)?;
        meta.dstat_file = Some(name);
        meta.dstat_source_name = Some(source::basename(path));
        meta.dstat_path = Some(path.clone());
    }
    let mut pending_store = None;
    if let Some(h) = history {
        let write_file = h.writes_file();
        // The store's one transaction (every run, or none) goes on writing
        // while the files are made; it commits once they are in place (its
        // failure puts DEST back).
        let (marks, pending) = h.finish()?;
        meta.history = marks;
        pending_store = pending;
        for sh in &meta.history {
            for line in crate::history::view::summary_lines(sh) {
                rep.info(&line);
            }
        }
        if write_file {
            let mut out = stage.create("history.json", false)?;
            out.write_all_ctx(&crate::history::view::to_json(&meta.history))?;
            stage.finish(out)?;
        }
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
    summary.files = match pending_store {
        Some(p) => stage.commit_with(|| p.commit())?,
        None => stage.commit()?,
    };
    Ok(summary)
}

/// Plans and runs in one call.
pub fn export(opts: &Options, rep: &mut dyn Reporter) -> Result<Summary> {
    let plan = plan(opts)?;
    run(&plan, rep)
}

/// Copies the dstat log in one streaming pass (rewriting its header with
/// `--fix-for-frontend` when the chosen front-end reads another layout),
/// warns about what would keep the front-end from charting it, and returns
/// the chart series when `--html` wants them.
fn export_dstat(
    stage: &mut Staging,
    path: &Path,
    name: &str,
    plan: &Plan,
    tests: Option<(i64, i64)>,
    rep: &mut dyn Reporter,
) -> Result<Option<dstat::Charts>> {
    let (wanted, front_end) = match plan.format {
        FormatKind::Tempest => (dstat::Wanted { blank: true }, "tempest-format"),
        FormatKind::Artifacts => (dstat::Wanted { blank: false }, "artifacts-format"),
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut input = BufReader::with_capacity(256 * 1024, file);
    let mut out = stage.create(name, plan.gzip)?;
    let pass = dstat::Pass {
        out: &mut out,
        fix: plan.fix.then_some(wanted),
        near: tests.map(|t| t.0),
        charts: plan.html || plan.ci.trace.is_some(),
    };
    let scan = match dstat::scan(&mut input, pass) {
        Ok(scan) => scan,
        Err(dstat::PassError::Read(e)) => return Err(Error::io(path, e)),
        Err(dstat::PassError::Write(e)) => return Err(out.io_err(e)),
    };
    stage.finish(out)?;
    let shown = crate::shown_path(path);
    if let Some(what) = &scan.fixed {
        rep.info(&format!("stackviz-export: {FLAG}: {shown}: {what}"));
    } else if let Some(why) = dstat::mismatch(&scan.layout, wanted, front_end) {
        let hint = match &scan.layout {
            _ if !wanted.can_fix(&scan.layout) => String::new(),
            dstat::Layout::Pcp { .. } => format!("; add {FLAG} to rewrite its header as dstat's"),
            _ => format!("; add {FLAG} to write {name} in that layout"),
        };
        rep.warn(&format!("{shown}: {why}{hint}"));
    }
    if let (Some(log), Some(tests)) = (scan.span, tests) {
        if let Some(why) = dstat::overlap_problem(log, tests) {
            rep.warn(&format!("{shown}: {why}"));
        }
    }
    Ok(scan.charts)
}

/// Entries travel from the decoding thread to the writing thread in
/// batches of about this much attachment text and tags (or `BATCH_ENTRIES`
/// entries).
const BATCH_BYTES: usize = 512 * 1024;
const BATCH_ENTRIES: usize = 256;
/// Batches in flight; bounds the memory between the two threads.
const BATCHES_IN_FLIGHT: usize = 2;

/// What the decoding thread reports when it is done.
struct Decoded {
    bytes: u64,
    warnings: Warnings,
}

/// Stream files up to this size are decoded and written on the caller's
/// thread: for a small stream, starting threads costs more than they save.
const INLINE_STREAM_BYTES: u64 = 4 << 20;

/// Decodes a stream and assembles entries, handing them to `deliver` in
/// batches. Runs on its own thread for large streams, so that decoding
/// overlaps with writing. Large attachments are spooled in `spool_dir`.
fn decode_stream(
    opened: source::Opened,
    label: &str,
    spool_dir: &Path,
    mut deliver: impl FnMut(Vec<Entry>) -> Result<()>,
) -> Result<Decoded> {
    let mut batch = Vec::with_capacity(BATCH_ENTRIES);
    let mut batch_bytes = 0usize;
    let mut last_tags: Option<Tags> = None;
    let mut send = |batch: &mut Vec<Entry>| {
        deliver(std::mem::replace(batch, Vec::with_capacity(BATCH_ENTRIES)))
    };
    let sink = |rec: Record| -> Result<()> {
        let e = Entry::from_record(rec);
        batch_bytes += e.details.iter().map(|(_, v)| v.len()).sum::<usize>();
        // A tag set shared with the previous entry costs nothing more; a
        // new one (thousands of v1 global tags, say) weighs like text.
        if !last_tags.as_ref().is_some_and(|t| Arc::ptr_eq(t, &e.tags)) {
            batch_bytes += e.tags.iter().map(String::len).sum::<usize>();
            last_tags = Some(e.tags.clone());
        }
        batch.push(e);
        if batch.len() >= BATCH_ENTRIES || batch_bytes >= BATCH_BYTES {
            batch_bytes = 0;
            send(&mut batch)?;
        }
        Ok(())
    };
    let mut asm = Assembler::new(sink);
    asm.set_spool_dir(spool_dir.to_path_buf());
    let bytes = match opened.protocol {
        Protocol::V2 => {
            // A long preamble was set aside while sniffing: replay it too.
            let mut dec: Decoder<Box<dyn io::Read + Send>> = if opened.spill.is_some() {
                Decoder::new(Box::new(opened.into_reader()))
            } else {
                Decoder::with_prefix(opened.head, opened.rest)
            };
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
                // The reader does not know the stream's name.
                Error::Read { offset, source, .. } => Error::Read {
                    path: label.to_owned(),
                    offset,
                    source,
                },
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

/// Reads one stream once, feeding every format. Returns its stats and
/// the bytes decoded.
fn export_stream(
    s: &Stream,
    formats: &mut [Box<dyn Format>],
    results: &mut Results,
    mut history: Option<&mut HistoryStage>,
    stage: &mut Staging,
    fix: bool,
    rep: &mut dyn Reporter,
) -> Result<(Stats, u64)> {
    let label = s.origin.label();
    rep.info(&format!("Exporting {}", s.meta.description));
    let read_err = |offset: u64, e: io::Error| Error::Read {
        path: label.clone(),
        offset,
        source: e,
    };
    let read = Arc::new(AtomicU64::new(0));
    let (raw, size) = s.origin.open_sized().map_err(|e| read_err(0, e))?;
    let raw = Box::new(source::Counted::new(raw, read.clone()));
    let mut progress = Progress {
        what: &s.meta.description,
        bytes: 0,
        total: size,
        tests: 0,
        done: false,
    };
    rep.progress(&progress);
    let opened = source::prepare(raw).map_err(|e| read_err(0, e))?;
    let gzip_error = opened.gzip_error.clone();
    let mut writers = formats
        .iter_mut()
        .map(|f| f.begin_stream(stage, &s.meta))
        .collect::<Result<Vec<_>>>()?;
    results.begin_stream(&s.meta.description);
    if let Some(h) = history.as_deref_mut() {
        h.begin_stream(&s.meta, s.repo_run);
    }
    let mut stats = Stats::default();
    // With --fix-for-frontend the stream's entries wait here until its end.
    let mut held = fix.then(frontend::Fix::default);
    let mut check = frontend::Check::default();
    let mut seen = 0u64;
    // Takes what it keeps; what it leaves in the batch is freed by the
    // thread that allocated it.
    let mut consume = |batch: &mut Vec<Entry>| -> Result<()> {
        seen += batch.len() as u64;
        if let Some(held) = &mut held {
            batch.drain(..).for_each(|e| held.push(e));
        } else {
            for e in batch.iter() {
                check.add(e);
                if let Some(h) = history.as_deref_mut() {
                    h.entry(e);
                }
                feed(e, &mut stats, results, &mut writers)?;
            }
        }
        progress.bytes = read.load(Ordering::Relaxed);
        progress.tests = seen;
        rep.progress(&progress);
        Ok(())
    };
    let small =
        matches!(s.origin, Origin::File(_)) && size.is_some_and(|n| n <= INLINE_STREAM_BYTES);
    let spool_dir = stage.dir().to_path_buf();
    let decoded = if small {
        decode_stream(opened, &label, &spool_dir, |mut b| consume(&mut b))?
    } else {
        pipeline(opened, &label, &spool_dir, &mut consume)?
    };
    progress.bytes = read.load(Ordering::Relaxed);
    progress.tests = seen;
    progress.done = true;
    rep.progress(&progress);
    // A badly damaged stream could say the same thing thousands of times:
    // the assembler keeps the first few and counts the rest.
    for w in &decoded.warnings.kept {
        rep.warn(&format!("{label}: byte offset {}: {}", w.offset, w.message));
    }
    if decoded.warnings.dropped > 0 {
        rep.warn(&format!(
            "{label}: {} more warnings not shown",
            decoded.warnings.dropped
        ));
    }
    if let Some(e) = gzip_error.lock().expect("lock").take() {
        rep.warn(&format!(
            "{label}: the gzip data is damaged ({e}); exported what came before"
        ));
    }
    if let Some(held) = held {
        let (entries, changes) = held.finish(fallback_time(&s.origin));
        for e in &entries {
            if let Some(h) = history.as_deref_mut() {
                h.entry(e);
            }
            feed(e, &mut stats, results, &mut writers)?;
        }
        for what in changes.describe() {
            rep.info(&format!("stackviz-export: {FLAG}: {label}: {what}"));
        }
    } else {
        for why in check.problems() {
            rep.warn(&format!("{label}: {why}"));
        }
    }
    if stats.count == 0 {
        rep.warn(&format!(
            "no tests in {label}: the stream is empty or holds no subunit test results"
        ));
    }
    for w in writers {
        w.end(stage, &stats)?;
    }
    results.end_stream(stats.start, stats.end);
    if let Some(h) = history {
        h.end_stream();
    }
    Ok((stats, decoded.bytes))
}

/// Decoding, serialising and writing (`consume`) on three threads.
///
/// Consumed batches travel back (writer → serialiser → decoder) so that
/// each thread frees what it allocated: freeing another thread's memory
/// takes the allocator lock of that thread's arena, and with a few hundred
/// thousand small entries the threads spent their time waiting on it.
fn pipeline(
    opened: source::Opened,
    label: &str,
    spool_dir: &Path,
    consume: &mut dyn FnMut(&mut Vec<Entry>) -> Result<()>,
) -> Result<Decoded> {
    let (tx, rx_decoded) = mpsc::sync_channel::<Vec<Entry>>(BATCHES_IN_FLIGHT);
    let (tx_ready, rx) = mpsc::sync_channel::<Vec<Entry>>(BATCHES_IN_FLIGHT);
    // At most BATCHES_IN_FLIGHT + 1 batches wait in each: a batch goes back
    // only after it went forward, and each sender drains its return before
    // it sends on.
    let (tx_used, rx_used) = mpsc::channel::<Vec<Entry>>();
    let (tx_free, rx_free) = mpsc::channel::<Vec<Entry>>();
    std::thread::scope(|scope| -> Result<Decoded> {
        let spawn_err = Error::Thread;
        let decoder = std::thread::Builder::new()
            .name("decode".into())
            // Owns `tx`: dropping it when done ends the other stages.
            .spawn_scoped(scope, move || {
                decode_stream(opened, label, spool_dir, |batch| {
                    rx_free.try_iter().for_each(drop);
                    tx.send(batch)
                        .map_err(|_| Error::Stopped("writing the outputs"))
                })
            })
            .map_err(spawn_err)?;
        // Three stages: decode, serialise details, write.
        std::thread::Builder::new()
            .name("serialise".into())
            .spawn_scoped(scope, move || {
                for mut batch in rx_decoded {
                    for mut used in rx_used.try_iter() {
                        used.iter_mut().for_each(|e| e.details_json = Vec::new());
                        // The decoder may be done: then it is freed here.
                        let _ = tx_free.send(used);
                    }
                    batch.iter_mut().for_each(prepare_details_json);
                    if tx_ready.send(batch).is_err() {
                        break;
                    }
                }
            })
            .map_err(spawn_err)?;
        let mut written = Ok(());
        for mut batch in rx.iter() {
            if let Err(err) = consume(&mut batch) {
                written = Err(err);
                break;
            }
            // The serialiser may be done: then it is freed here.
            let _ = tx_used.send(batch);
        }
        // Stops the decoder if writing failed first.
        drop(rx);
        let decoded = decoder
            .join()
            .unwrap_or(Err(Error::Stopped("decoding the stream")));
        written?;
        decoded
    })
}

/// Counts an entry and hands it to every format's writer.
fn feed(
    e: &Entry,
    stats: &mut Stats,
    results: &mut Results,
    writers: &mut [Box<dyn StreamWriter + '_>],
) -> Result<()> {
    stats.add(e);
    results.entry(e);
    for w in writers.iter_mut() {
        w.entry(e)?;
    }
    Ok(())
}

/// The time `--fix-for-frontend` gives the entries of a stream without
/// any timestamp: when the input file was last written (near the run's
/// end), or now for standard input. µs since the epoch.
fn fallback_time(origin: &Origin) -> i64 {
    let at = match origin {
        Origin::File(p) => std::fs::metadata(p).and_then(|m| m.modified()).ok(),
        Origin::Stdin => None,
    }
    .unwrap_or_else(std::time::SystemTime::now);
    at.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64 * 1_000_000)
}

/// Reads a stream and hands each entry to `f`, on the export's decoder;
/// for inputs that are not exported (a `--baseline` stream).
pub(super) fn for_each_entry(origin: &Origin, f: &mut dyn FnMut(&Entry)) -> Result<()> {
    let label = origin.label();
    let read_err = |offset: u64, e: io::Error| Error::Read {
        path: label.clone(),
        offset,
        source: e,
    };
    let raw = origin.open().map_err(|e| read_err(0, e))?;
    let opened = source::prepare(raw).map_err(|e| read_err(0, e))?;
    // Attachments large enough to spool go to the system's temporary
    // directory: a baseline is read, never exported.
    let spool = std::env::temp_dir();
    decode_stream(opened, &label, &spool, |batch: Vec<Entry>| {
        batch.iter().for_each(&mut *f);
        Ok(())
    })
    .map(|_| ())
}
