//! All-or-nothing output: every file is written under a temporary name in
//! DEST and renamed into place only when the whole export has succeeded,
//! `config.json` last. Dropping a `Staging` without committing removes
//! everything it wrote, so a failed run leaves an earlier export intact.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::{Error, Result};

/// The gzip level: fast enough to keep up with decoding, still a good ratio.
pub const GZIP_LEVEL: u32 = 1;

const BUF_SIZE: usize = 256 * 1024;
/// Buffers queued for a file's writer thread.
const BUFS_IN_FLIGHT: usize = 4;

pub struct Staging {
    dir: PathBuf,
    /// (temporary path, final path), in the order files were finished.
    done: Vec<(PathBuf, PathBuf)>,
    /// Temporary files not yet finished, removed on abort.
    open: Vec<PathBuf>,
    /// DEST and the parents this run created, innermost first.
    created: Vec<PathBuf>,
    committed: bool,
    counter: u32,
}

impl Staging {
    /// Creates DEST (and missing parents) and prepares to write into it.
    pub fn new(dir: &Path) -> Result<Staging> {
        let mut created = Vec::new();
        let mut p = Some(dir);
        while let Some(d) = p {
            if d.as_os_str().is_empty() || d.exists() {
                break;
            }
            created.push(d.to_path_buf());
            p = d.parent();
        }
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        if !dir.is_dir() {
            return Err(Error::NotADirectory(dir.to_path_buf()));
        }
        let stage = Staging {
            dir: dir.to_path_buf(),
            done: Vec::new(),
            open: Vec::new(),
            created,
            committed: false,
            counter: 0,
        };
        stage.check_writable()?;
        Ok(stage)
    }

    /// Creates and removes a file in DEST, so that a DEST this user may not
    /// write into is a usage error naming DEST, found before any input is
    /// read, rather than a failure naming a temporary file.
    fn check_writable(&self) -> Result<()> {
        let probe = self
            .dir
            .join(format!(".stackviz-export-check.{}", std::process::id()));
        match File::options().write(true).create_new(true).open(&probe) {
            Ok(_) => {
                let _ = fs::remove_file(&probe);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(Error::Usage(format!(
                "cannot write into DEST {}: {e}",
                self.dir.display()
            ))),
        }
    }

    fn temp_path(&mut self, name: &str) -> PathBuf {
        self.counter += 1;
        self.dir.join(format!(
            ".{}.{}-{}.part",
            name,
            std::process::id(),
            self.counter
        ))
    }

    /// Opens `name` for writing, gzip-compressed when `gzip` is set (the
    /// caller adds `.gz` to the name). Compression and the write calls run
    /// on a thread of their own, so they overlap with producing the data.
    pub fn create(&mut self, name: &str, gzip: bool) -> Result<OutFile> {
        let tmp = self.temp_path(name);
        let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        self.open.push(tmp.clone());
        let final_name = self.dir.join(name);
        let sink: Box<dyn Write + Send> = if gzip {
            Box::new(GzEncoder::new(file, Compression::new(GZIP_LEVEL)))
        } else {
            Box::new(file)
        };
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(BUFS_IN_FLIGHT);
        let (back_tx, back_rx) = mpsc::channel::<Vec<u8>>();
        let writer = std::thread::Builder::new()
            .name("write".into())
            .spawn(move || write_loop(sink, rx, back_tx))
            .map_err(|e| Error::io(&final_name, e))?;
        Ok(OutFile {
            buf: Vec::with_capacity(BUF_SIZE),
            tx: Some(tx),
            back: back_rx,
            writer: Some(writer),
            tmp,
            name: final_name,
            written: 0,
        })
    }

    /// A scratch file that is never renamed into place.
    pub fn scratch(&mut self, name: &str) -> Result<(File, PathBuf)> {
        let tmp = self.temp_path(name);
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| Error::io(&tmp, e))?;
        self.open.push(tmp.clone());
        Ok((file, tmp))
    }

    /// Removes a scratch file early.
    pub fn discard(&mut self, tmp: &Path) {
        let _ = fs::remove_file(tmp);
        self.open.retain(|p| p != tmp);
    }

    /// Completes a file; it is renamed into place at commit.
    pub fn finish(&mut self, file: OutFile) -> Result<()> {
        let (tmp, name) = file.close()?;
        self.open.retain(|p| p != &tmp);
        self.done.push((tmp, name));
        Ok(())
    }

    /// Completes a file but keeps it as scratch (removed at the end).
    pub fn finish_scratch(&mut self, file: OutFile) -> Result<PathBuf> {
        let (tmp, _) = file.close()?;
        Ok(tmp)
    }

    /// Renames every finished file into place, in order; returns how many.
    pub fn commit(mut self) -> Result<usize> {
        let done = std::mem::take(&mut self.done);
        for (tmp, name) in &done {
            fs::rename(tmp, name).map_err(|e| Error::io(name, e))?;
        }
        self.committed = true;
        Ok(done.len())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for p in self.open.iter().chain(self.done.iter().map(|(t, _)| t)) {
            let _ = fs::remove_file(p);
        }
        // Only directories this run created, and only if left empty.
        for d in &self.created {
            if fs::remove_dir(d).is_err() {
                break;
            }
        }
    }
}

/// Runs on the file's thread: compresses (when gzip) and writes each
/// buffer, handing the emptied buffers back for reuse.
fn write_loop(
    mut sink: Box<dyn Write + Send>,
    rx: mpsc::Receiver<Vec<u8>>,
    back: mpsc::Sender<Vec<u8>>,
) -> io::Result<()> {
    for mut buf in rx {
        sink.write_all(&buf)?;
        buf.clear();
        let _ = back.send(buf);
    }
    sink.flush()
}

/// A file being written; its errors name the final path.
pub struct OutFile {
    buf: Vec<u8>,
    tx: Option<mpsc::SyncSender<Vec<u8>>>,
    back: mpsc::Receiver<Vec<u8>>,
    writer: Option<std::thread::JoinHandle<io::Result<()>>>,
    tmp: PathBuf,
    name: PathBuf,
    written: u64,
}

impl OutFile {
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

    /// Hands the buffer to the writer thread.
    fn ship(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = self
            .back
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BUF_SIZE));
        let full = std::mem::replace(&mut self.buf, next);
        let sent = self.tx.as_ref().map(|tx| tx.send(full));
        match sent {
            Some(Ok(())) => Ok(()),
            // The writer thread stopped: its error says why.
            _ => Err(self
                .stop()
                .err()
                .unwrap_or_else(|| io::ErrorKind::BrokenPipe.into())),
        }
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

    /// Flushes everything and closes the file: (temporary, final) paths.
    fn close(mut self) -> Result<(PathBuf, PathBuf)> {
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
