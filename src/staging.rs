//! All-or-nothing output: every file is written under a temporary name in
//! DEST and renamed into place only when the whole export has succeeded,
//! `config.json` last. Dropping a `Staging` without committing removes
//! everything it wrote, so a failed run leaves an earlier export intact.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::{Error, Result};

/// The gzip level: fast enough to keep up with decoding, still a good ratio.
pub const GZIP_LEVEL: u32 = 1;

const BUF_SIZE: usize = 256 * 1024;

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
            return Err(Error::Other(format!(
                "{}: output path is not a directory",
                dir.display()
            )));
        }
        Ok(Staging {
            dir: dir.to_path_buf(),
            done: Vec::new(),
            open: Vec::new(),
            created,
            committed: false,
            counter: 0,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
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
    /// caller adds `.gz` to the name).
    pub fn create(&mut self, name: &str, gzip: bool) -> Result<OutFile> {
        let tmp = self.temp_path(name);
        let file = File::create(&tmp).map_err(|e| Error::io(self.dir.join(name), e))?;
        self.open.push(tmp.clone());
        let w = BufWriter::with_capacity(BUF_SIZE, file);
        let inner = if gzip {
            Inner::Gz(Box::new(GzEncoder::new(w, Compression::new(GZIP_LEVEL))))
        } else {
            Inner::Plain(w)
        };
        Ok(OutFile {
            inner,
            tmp,
            name: self.dir.join(name),
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
            .map_err(|e| Error::io(self.dir.join(name), e))?;
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
        let OutFile {
            inner, tmp, name, ..
        } = file;
        let w = match inner {
            Inner::Plain(w) => w,
            Inner::Gz(gz) => gz.finish().map_err(|e| Error::io(&name, e))?,
        };
        let f = w
            .into_inner()
            .map_err(|e| Error::io(&name, e.into_error()))?;
        drop(f);
        self.open.retain(|p| p != &tmp);
        self.done.push((tmp, name));
        Ok(())
    }

    /// Moves a finished scratch file into place as `name` at commit.
    pub fn adopt(&mut self, tmp: PathBuf, name: &str) {
        self.open.retain(|p| p != &tmp);
        self.done.push((tmp, self.dir.join(name)));
    }

    /// Renames every finished file into place, in order.
    pub fn commit(mut self) -> Result<()> {
        let done = std::mem::take(&mut self.done);
        for (tmp, name) in &done {
            fs::rename(tmp, name).map_err(|e| Error::io(name, e))?;
        }
        self.committed = true;
        Ok(())
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

enum Inner {
    Plain(BufWriter<File>),
    Gz(Box<GzEncoder<BufWriter<File>>>),
}

/// A file being written; its errors name the final path.
pub struct OutFile {
    inner: Inner,
    tmp: PathBuf,
    name: PathBuf,
    written: u64,
}

impl OutFile {
    pub fn path(&self) -> &Path {
        &self.name
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
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.inner {
            Inner::Plain(w) => w.write(buf)?,
            Inner::Gz(w) => w.write(buf)?,
        };
        self.written += n as u64;
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.inner {
            Inner::Plain(w) => w.write_all(buf)?,
            Inner::Gz(w) => w.write_all(buf)?,
        }
        self.written += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Plain(w) => w.flush(),
            Inner::Gz(w) => w.flush(),
        }
    }
}
