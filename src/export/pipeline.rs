//! The run: each stream read once on a decoding thread, entries serialised
//! on a second, every output fed on the caller's thread.

use std::io::{self, BufReader};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::history::HistoryStage;
use super::options::{FormatKind, Options, Reporter};
use super::plan::{plan, Plan, Stream};
use crate::decode::v1;
use crate::decode::v2::{DecodeError, Decoder};
use crate::input::dstat;
use crate::input::source::{self, Origin, Protocol};
use crate::model::entry::Entry;
use crate::model::record::{Assembler, Record, Warnings};
use crate::model::stats::Stats;
use crate::output::artifacts::Artifacts;
use crate::output::html::Html;
use crate::output::json::prepare_details_json;
use crate::output::tempest::Tempest;
use crate::output::{ExportMeta, Format};
use crate::write::staging::Staging;
use crate::{Error, Result};

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
            formats[0].dstat_name().unwrap_or("dstat.csv"),
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
    let mut history = plan.history.clone();
    for s in &plan.streams {
        let (tests, bytes) = export_stream(s, &mut formats, history.as_mut(), &mut stage, rep)?;
        summary.streams += 1;
        summary.tests += tests;
        summary.bytes += bytes;
    }
    if let Some(h) = history {
        // The store's one transaction: every run, or none.
        meta.history = h.finish()?;
        for sh in &meta.history {
            for line in crate::history::view::summary_lines(sh) {
                rep.info(&line);
            }
        }
        let mut out = stage.create("history.json", false)?;
        out.write_all_ctx(&crate::history::view::to_json(&meta.history))?;
        stage.finish(out)?;
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

/// What the decoding thread reports when it is done.
struct Decoded {
    bytes: u64,
    warnings: Warnings,
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
    mut history: Option<&mut HistoryStage>,
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
    let mut writers = formats
        .iter_mut()
        .map(|f| f.begin_stream(stage, &s.meta))
        .collect::<Result<Vec<_>>>()?;
    if let Some(h) = history.as_deref_mut() {
        h.begin_stream(&s.meta, s.repo_run);
    }
    let mut stats = Stats::default();
    let mut last_note = Instant::now();
    let (tx, rx_decoded) = mpsc::sync_channel::<Vec<Entry>>(BATCHES_IN_FLIGHT);
    let (tx_ready, rx) = mpsc::sync_channel::<Vec<Entry>>(BATCHES_IN_FLIGHT);
    let decoded = std::thread::scope(|scope| -> Result<Decoded> {
        let spawn_err = |e: io::Error| Error::Other(format!("cannot start a thread: {e}"));
        let decoder = std::thread::Builder::new()
            .name("decode".into())
            .spawn_scoped(scope, || decode_stream(opened, &label, tx))
            .map_err(spawn_err)?;
        // Three stages: decode, serialise details, write.
        std::thread::Builder::new()
            .name("serialise".into())
            .spawn_scoped(scope, move || {
                for mut batch in rx_decoded {
                    batch.iter_mut().for_each(prepare_details_json);
                    if tx_ready.send(batch).is_err() {
                        break;
                    }
                }
            })
            .map_err(spawn_err)?;
        let mut written = Ok(());
        'batches: for batch in rx.iter() {
            for e in &batch {
                stats.add(e);
                if let Some(h) = history.as_deref_mut() {
                    h.entry(e);
                }
                for w in writers.iter_mut() {
                    if let Err(err) = w.entry(e) {
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
        written?;
        decoded
    })?;
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
    for w in writers {
        w.end(stage, &stats)?;
    }
    if let Some(h) = history {
        h.end_stream();
    }
    Ok((stats.count, decoded.bytes))
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
    let (tx, rx) = mpsc::sync_channel::<Vec<Entry>>(BATCHES_IN_FLIGHT);
    std::thread::scope(|scope| -> Result<()> {
        let decoder = std::thread::Builder::new()
            .name("decode".into())
            .spawn_scoped(scope, || decode_stream(opened, &label, tx))
            .map_err(|e| Error::Other(format!("cannot start a thread: {e}")))?;
        for batch in rx.iter() {
            batch.iter().for_each(&mut *f);
        }
        decoder
            .join()
            .unwrap_or_else(|_| Err(Error::Other("the decoder panicked".into())))
            .map(|_| ())
    })
}
