//! A file being written: buffered, handed to a writer thread of its own
//! once it outgrows one buffer (so writing overlaps with producing the
//! data), optionally gzip-compressed on the shared gzip threads. Made by
//! [`Staging`](super::staging::Staging), which decides where it lands.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc;

use super::gzip::ParallelGz;
use crate::{Error, Result};

const BUF_SIZE: usize = 256 * 1024;
/// Buffers queued for a file's writer thread.
const BUFS_IN_FLIGHT: usize = 4;
/// Buffers a plain file allocates at most; past that it waits for one to
/// come back from its writer thread. A fresh 256 KiB buffer costs 64 page
/// faults (about 160 µs here), more than waiting for a write into the
/// page cache.
const MAX_BUFS: usize = 3;

/// Where a file's bytes go: the file itself or a gzip stream into it.
pub(super) enum Sink {
    Plain(File),
    Gzip(Box<ParallelGz>),
}

/// Runs on the file's thread: writes each buffer (gzip: hands it to the
/// compression threads and writes their output in order), handing the
/// emptied buffers back for reuse; then finishes the
/// gzip stream and, when `sync` is set, syncs the file to disk, so that a
/// power cut after the commit cannot leave an empty or partial file (files
/// on DEST's file system are synced together at commit instead).
fn write_loop(
    mut sink: Sink,
    rx: mpsc::Receiver<Vec<u8>>,
    back: mpsc::Sender<Vec<u8>>,
    sync: bool,
) -> io::Result<()> {
    for mut buf in rx {
        let spare = match &mut sink {
            Sink::Plain(f) => {
                f.write_all(&buf)?;
                buf.clear();
                Some(buf)
            }
            Sink::Gzip(g) => g.push(buf)?,
        };
        if let Some(spare) = spare {
            let _ = back.send(spare);
        }
    }
    let file = match sink {
        Sink::Plain(f) => f,
        Sink::Gzip(g) => g.finish()?,
    };
    if sync {
        file.sync_all()?;
    }
    Ok(())
}

/// Writes what is left of a file that never needed its own thread.
fn write_rest(sink: Sink, buf: Vec<u8>, sync: bool) -> io::Result<()> {
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(1);
    let (back, _) = mpsc::channel();
    tx.send(buf).map_err(|_| io::ErrorKind::BrokenPipe)?;
    drop(tx);
    write_loop(sink, rx, back, sync)
}

/// A file being written; its errors name the final path.
pub struct OutFile {
    buf: Vec<u8>,
    /// The file until its writer thread starts.
    sink: Option<Sink>,
    tx: Option<mpsc::SyncSender<Vec<u8>>>,
    back: Option<mpsc::Receiver<Vec<u8>>>,
    writer: Option<std::thread::JoinHandle<io::Result<()>>>,
    /// Buffers allocated for shipping, those sent and not yet back, and
    /// whether the writer hands every one back (a plain file; gzip keeps
    /// some for its threads).
    bufs: usize,
    in_flight: usize,
    recycles: bool,
    tmp: PathBuf,
    name: PathBuf,
    written: u64,
    /// Synced on its own at close (a report on another file system).
    sync: bool,
}

impl OutFile {
    pub(super) fn new(sink: Sink, tmp: PathBuf, name: PathBuf, sync: bool) -> OutFile {
        let recycles = matches!(sink, Sink::Plain(_));
        OutFile {
            buf: Vec::new(),
            sink: Some(sink),
            tx: None,
            back: None,
            writer: None,
            bufs: 1,
            in_flight: 0,
            recycles,
            tmp,
            name,
            written: 0,
            sync,
        }
    }

    /// Whether it is synced on its own at close.
    #[cfg(test)]
    pub(super) fn syncs(&self) -> bool {
        self.sync
    }

    /// Uncompressed bytes written so far.
    pub fn position(&self) -> u64 {
        self.written
    }

    pub fn write_all_ctx(&mut self, buf: &[u8]) -> Result<()> {
        self.write_all(buf).map_err(|e| Error::io(&self.name, e))
    }

    pub fn io_err(&self, e: io::Error) -> Error {
        Error::io(&self.name, e)
    }

    /// Starts the writer thread the first time.
    fn start_writer(&mut self) -> io::Result<()> {
        if let Some(sink) = self.sink.take() {
            let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(BUFS_IN_FLIGHT);
            let (back_tx, back_rx) = mpsc::channel::<Vec<u8>>();
            let sync = self.sync;
            let writer = std::thread::Builder::new()
                .name("write".into())
                .spawn(move || write_loop(sink, rx, back_tx, sync))?;
            self.tx = Some(tx);
            self.back = Some(back_rx);
            self.writer = Some(writer);
        }
        Ok(())
    }

    /// An empty buffer to fill next: one the writer gave back, a fresh one,
    /// or, with [`MAX_BUFS`] allocated, the next one the writer gives back.
    fn spare(&mut self) -> Vec<u8> {
        let Some(back) = self.back.as_ref() else {
            return Vec::new();
        };
        if let Ok(spare) = back.try_recv() {
            self.in_flight -= 1;
            return spare;
        }
        if self.recycles && self.bufs >= MAX_BUFS && self.in_flight > 0 {
            // A writer that stopped drops its end: its error is reported
            // by the next send.
            if let Ok(spare) = back.recv() {
                self.in_flight -= 1;
                return spare;
            }
            return Vec::new();
        }
        self.bufs += 1;
        Vec::with_capacity(BUF_SIZE)
    }

    /// Sends a filled buffer to the writer thread.
    fn send(&mut self, full: Vec<u8>) -> io::Result<()> {
        let sent = self.tx.as_ref().map(|tx| tx.send(full));
        match sent {
            Some(Ok(())) => {
                self.in_flight += 1;
                Ok(())
            }
            // The writer thread stopped: its error says why.
            _ => Err(self
                .stop()
                .err()
                .unwrap_or_else(|| io::ErrorKind::BrokenPipe.into())),
        }
    }

    /// Hands the buffer to the writer thread, starting it the first time.
    fn ship(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.start_writer()?;
        let next = self.spare();
        let full = std::mem::replace(&mut self.buf, next);
        self.send(full)
    }

    /// Writes `data` by handing the buffer itself to the writer thread
    /// instead of copying it into the file's own: for a large block built
    /// in memory (a report held until its totals are known).
    pub fn write_vec(&mut self, data: Vec<u8>) -> io::Result<()> {
        if data.len() < BUF_SIZE {
            return self.write_all(&data);
        }
        // What is buffered goes first.
        self.ship()?;
        self.written += data.len() as u64;
        self.start_writer()?;
        self.send(data)
    }

    /// Writes `data` like [`OutFile::write_vec`] (handed over when it is
    /// at least half a buffer) and returns an empty buffer to fill next,
    /// one the writer thread gave back where it can.
    pub fn swap_vec(&mut self, mut data: Vec<u8>) -> io::Result<Vec<u8>> {
        if data.len() < BUF_SIZE / 2 {
            self.write_all(&data)?;
            data.clear();
            return Ok(data);
        }
        self.ship()?;
        self.written += data.len() as u64;
        self.start_writer()?;
        self.send(data)?;
        Ok(self.spare())
    }

    /// Ends the writer thread and returns its result.
    fn stop(&mut self) -> io::Result<()> {
        self.tx = None;
        match self.writer.take() {
            Some(h) => h
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked"))),
            None => Ok(()),
        }
    }

    /// Flushes everything and closes the file: (temporary path, final
    /// path).
    pub(super) fn close(mut self) -> Result<(PathBuf, PathBuf)> {
        if let Some(sink) = self.sink.take() {
            // Never outgrew its buffer: written here, no thread needed.
            let rest = std::mem::take(&mut self.buf);
            write_rest(sink, rest, self.sync).map_err(|e| Error::io(&self.name, e))?;
        }
        let shipped = self.ship();
        let stopped = self.stop();
        shipped.and(stopped).map_err(|e| Error::io(&self.name, e))?;
        Ok((
            std::mem::take(&mut self.tmp),
            std::mem::take(&mut self.name),
        ))
    }
}

impl Drop for OutFile {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.buf.capacity() == 0 {
            self.buf.reserve(BUF_SIZE.min(buf.len().max(16 * 1024)));
        }
        if self.buf.len() + buf.len() > BUF_SIZE {
            self.ship()?;
        }
        self.buf.extend_from_slice(buf);
        self.written += buf.len() as u64;
        if self.buf.len() >= BUF_SIZE {
            self.ship()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::staging::Staging;
    use std::fs;

    #[test]
    fn handed_over_buffers_land_in_order_with_the_copied_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let mut stage = Staging::new(&tmp.path().join("out")).unwrap();
        let mut f = stage.create("f.txt", false).unwrap();
        let big: Vec<u8> = (0..BUF_SIZE * 3 + 17)
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        f.write_all(b"head ").unwrap();
        f.write_vec(big.clone()).unwrap();
        f.write_all(b" middle ").unwrap();
        // Small ones are copied like any write.
        f.write_vec(b"small".to_vec()).unwrap();
        f.write_vec(big.clone()).unwrap();
        assert_eq!(f.position() as usize, 5 + 2 * big.len() + 8 + 5);
        stage.finish(f).unwrap();
        stage.commit().unwrap();
        let mut want = b"head ".to_vec();
        want.extend_from_slice(&big);
        want.extend_from_slice(b" middle small");
        want.extend_from_slice(&big);
        assert_eq!(fs::read(tmp.path().join("out/f.txt")).unwrap(), want);
    }

    #[test]
    fn swapped_buffers_come_back_empty_and_few_are_allocated() {
        let tmp = tempfile::tempdir().unwrap();
        let mut stage = Staging::new(&tmp.path().join("out")).unwrap();
        let mut f = stage.create("f.txt", false).unwrap();
        f.write_all(b"head ").unwrap();
        let mut want = b"head ".to_vec();
        let mut buf = Vec::with_capacity(BUF_SIZE);
        for round in 0..40u8 {
            // Half a buffer and more is handed over; less is copied.
            let len = if round % 5 == 0 {
                100
            } else {
                BUF_SIZE / 2 + round as usize
            };
            buf.resize(len, b'a' + round % 26);
            want.extend_from_slice(&buf);
            buf = f.swap_vec(buf).unwrap();
            assert!(buf.is_empty(), "round {round}");
        }
        // A long run of ordinary writes as well.
        for i in 0..(BUF_SIZE * 20 / 1000) {
            let line = format!("{i:0999}\n");
            f.write_all(line.as_bytes()).unwrap();
            want.extend_from_slice(line.as_bytes());
        }
        assert!(f.bufs <= MAX_BUFS, "{} buffers allocated", f.bufs);
        assert_eq!(f.position() as usize, want.len());
        stage.finish(f).unwrap();
        stage.commit().unwrap();
        assert_eq!(fs::read(tmp.path().join("out/f.txt")).unwrap(), want);
    }
}
