//! All-or-nothing output. Every file is written into a private directory
//! that this run creates inside DEST (unpredictable name, created
//! exclusively, files opened with `O_EXCL`, so nothing planted there is ever
//! followed), then flushed to disk and renamed into place at commit,
//! `config.json` last, under an advisory lock on DEST. If any rename fails, the files
//! already replaced are put back, so DEST is left exactly as it was. At
//! commit, the files a previous export into DEST wrote and this one does not
//! are removed (only those its `config.json` names, and an `index.html` that
//! carries our marker). Dropping a `Staging` without committing, or a signal
//! (see [`remove_temporaries_and_exit`]), removes everything the run created.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::gzip::{ParallelGz, DEFAULT_LEVEL};
use super::outfile::{OutFile, Sink};
use crate::{Error, Result};

/// Names of the private directories runs write into.
const WORK_PREFIX: &str = ".stackviz-export-";
/// What marks an `index.html` as written by this tool.
pub const HTML_MARKER: &str = "<meta name=\"generator\" content=\"stackviz-export\">";
/// A previous `config.json` larger than this is not read for clean-up.
const MAX_PREVIOUS_CONFIG: u64 = 64 << 20;

/// What a signal must remove: each live run's private directory, then the
/// directories it created for DEST (innermost first, only if empty).
static LIVE: Mutex<Vec<(PathBuf, Vec<PathBuf>)>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<(PathBuf, Vec<PathBuf>)>> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Files outside the private directories that a signal must remove too.
static LIVE_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live_files() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE_FILES.lock().unwrap_or_else(|p| p.into_inner())
}

/// Removes the temporaries and created directories of every export still
/// running in this process, then exits with `code`. For SIGINT, SIGTERM
/// and SIGHUP. A commit already under way finishes (or rolls back) first;
/// the registry stays locked until the exit, so no commit starts after.
pub fn remove_temporaries_and_exit(code: i32) -> ! {
    let mut guard = live();
    for (work, created) in guard.drain(..) {
        remove_work(&work, &created);
    }
    for file in live_files().drain(..) {
        TrackedFile::remove(&file);
    }
    std::process::exit(code)
}

/// A temporary file outside DEST (a new history store, built under a
/// temporary name until the commit renames it into place) that a signal
/// removes, with the side files SQLite keeps beside it. Its owner removes
/// or renames it; dropping this only stops the tracking.
#[derive(Debug)]
pub struct TrackedFile(PathBuf);

impl TrackedFile {
    pub fn new(path: &Path) -> TrackedFile {
        live_files().push(path.to_path_buf());
        TrackedFile(path.to_path_buf())
    }

    /// Removes `path` and its SQLite side files, where they exist.
    pub fn remove(path: &Path) {
        let _ = fs::remove_file(path);
        for side in ["-wal", "-shm", "-journal"] {
            let mut p = path.as_os_str().to_owned();
            p.push(side);
            let _ = fs::remove_file(PathBuf::from(p));
        }
    }
}

impl Drop for TrackedFile {
    fn drop(&mut self) {
        live_files().retain(|p| p != &self.0);
    }
}

fn remove_work(work: &Path, created: &[PathBuf]) {
    let _ = fs::remove_dir_all(work);
    for d in created {
        if fs::remove_dir(d).is_err() {
            break;
        }
    }
}

pub struct Staging {
    dest: PathBuf,
    /// The private directory inside DEST.
    work: PathBuf,
    /// Held open and locked while the run lives: a directory whose lock
    /// can be taken belongs to a run that is gone.
    _work_lock: File,
    /// (name in `work`, final name), in the order files were finished.
    done: Vec<(String, String)>,
    /// DEST and the parents this run created, innermost first.
    created: Vec<PathBuf>,
    /// Finished files outside DEST (`--junit FILE`…): (temporary, final).
    outside: Vec<(PathBuf, PathBuf)>,
    /// Paths the commit must not replace, and what they are.
    intact: Vec<(PathBuf, &'static str)>,
    /// Files for targets that are not plain files: (finished file in the
    /// private directory, target), written through after the commit.
    through: Vec<(PathBuf, PathBuf)>,
    /// Open temporaries outside DEST, removed if the export fails.
    outside_open: Vec<PathBuf>,
    /// Directories created for files outside DEST, innermost first.
    created_outside: Vec<PathBuf>,
    committed: bool,
    counter: u32,
    /// The level of gzipped files (1-9).
    gzip_level: u32,
}

impl Staging {
    /// Sets the level of the gzipped files created from now on (1-9).
    pub fn set_gzip_level(&mut self, level: u32) {
        self.gzip_level = level.clamp(1, 9);
    }

    /// This run's private directory inside DEST, for scratch and spool
    /// files that never become outputs.
    pub fn dir(&self) -> &Path {
        &self.work
    }

    /// [`Staging::with_notes`], dropping the notes.
    #[cfg(test)]
    pub fn new(dir: &Path) -> Result<Staging> {
        Self::with_notes(dir, &mut |_| {})
    }

    /// Creates DEST (and missing parents) and this run's private directory
    /// in it; removes what earlier runs that died left there, telling
    /// `note` about each.
    pub fn with_notes(dir: &Path, note: &mut dyn FnMut(String)) -> Result<Staging> {
        let mut created = Vec::new();
        let mut p = Some(dir);
        while let Some(d) = p {
            if d.as_os_str().is_empty() || fs::symlink_metadata(d).is_ok() {
                break;
            }
            created.push(d.to_path_buf());
            p = d.parent();
        }
        // Registered before anything exists, so a signal removes it all.
        let mut reg = live();
        let undo = |created: &[PathBuf]| {
            for d in created {
                if fs::remove_dir(d).is_err() {
                    break;
                }
            }
        };
        fs::create_dir_all(dir).map_err(|e| {
            undo(&created);
            Error::io(dir, e)
        })?;
        if !dir.is_dir() {
            return Err(Error::NotADirectory(dir.to_path_buf()));
        }
        remove_stale(dir, note);
        let work = tempfile::Builder::new()
            .prefix(&format!("{WORK_PREFIX}{}-", std::process::id()))
            .rand_bytes(6)
            .tempdir_in(dir)
            .map_err(|e| {
                undo(&created);
                // Found before any input is read: a usage error naming DEST.
                Error::Usage(format!(
                    "cannot write into DEST {}: {e}",
                    crate::shown_path(dir)
                ))
            })?
            .keep();
        let lock = File::open(&work).and_then(|f| try_lock(&f).map(|_| f));
        let lock = match lock {
            Ok(l) => l,
            Err(e) => {
                remove_work(&work, &created);
                return Err(Error::io(&work, e));
            }
        };
        reg.push((work.clone(), created.clone()));
        drop(reg);
        Ok(Staging {
            dest: dir.to_path_buf(),
            work,
            _work_lock: lock,
            done: Vec::new(),
            created,
            outside: Vec::new(),
            intact: Vec::new(),
            through: Vec::new(),
            outside_open: Vec::new(),
            created_outside: Vec::new(),
            committed: false,
            counter: 0,
            gzip_level: DEFAULT_LEVEL,
        })
    }

    /// A fresh file in the private directory, under a short name of its own.
    fn new_file(&mut self, read: bool) -> Result<(File, String)> {
        self.counter += 1;
        let short = self.counter.to_string();
        let path = self.work.join(&short);
        let file = File::options()
            .read(read)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok((file, short))
    }

    /// Opens `name` for writing, gzip-compressed when `gzip` is set (the
    /// caller adds `.gz` to the name). Once a file outgrows one buffer, the
    /// write calls run on a thread of their own, so they overlap with
    /// producing the data; a small file is written at close without one.
    /// Compression runs on the shared gzip threads ([`super::gzip`]).
    pub fn create(&mut self, name: &str, gzip: bool) -> Result<OutFile> {
        let (file, short) = self.new_file(false)?;
        let tmp = self.work.join(&short);
        let final_name = self.dest.join(name);
        let sink = if gzip {
            Sink::Gzip(Box::new(ParallelGz::new(file, self.gzip_level)))
        } else {
            Sink::Plain(file)
        };
        // Made durable all at once by the commit's `syncfs`.
        Ok(OutFile::new(sink, tmp, final_name, false))
    }

    /// Opens a file outside DEST (a CI report such as `--junit FILE`): it
    /// is written under an unpredictable temporary name beside `path`
    /// (created exclusively, with the mode a new file gets) and renamed
    /// into place at commit with the rest. Missing parent directories are
    /// created, and removed again if the export fails.
    ///
    /// An existing `path` that is not a plain file (a symlink, a FIFO, a
    /// device such as `/dev/stdout`) is written through instead, once
    /// everything else is in place: renaming over it would replace the
    /// link or the FIFO with a file (as root, `/dev/stdout` itself).
    pub fn create_at(&mut self, path: &Path) -> Result<OutFile> {
        let through = fs::symlink_metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
        if through {
            let (file, short) = self.new_file(true)?;
            let tmp = self.work.join(short);
            self.through.push((tmp.clone(), path.to_path_buf()));
            return Ok(OutFile::new(
                Sink::Plain(file),
                tmp,
                path.to_path_buf(),
                false,
            ));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Error::Usage(format!("not a file name: {}", crate::shown_path(path))))?;
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut missing = Vec::new();
        let mut p = Some(parent.as_path());
        while let Some(d) = p {
            if d.as_os_str().is_empty() || fs::symlink_metadata(d).is_ok() {
                break;
            }
            missing.push(d.to_path_buf());
            p = d.parent();
        }
        fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        self.created_outside.extend(missing);
        let short: String = name.chars().take(32).collect();
        let prefix = format!(".{short}.");
        let mut temp = tempfile::Builder::new();
        temp.prefix(&prefix).suffix(".part").rand_bytes(6);
        // tempfile's default is 0600; a report is read by whoever reads
        // DEST's files (0666 less the umask, like them).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            temp.permissions(fs::Permissions::from_mode(0o666));
        }
        let (file, tmp) = temp
            .tempfile_in(&parent)
            .and_then(|t| t.keep().map_err(|e| e.error))
            .map_err(|e| Error::io(path, e))?;
        self.outside_open.push(tmp.clone());
        let sync = !self.synced_at_commit(&file);
        Ok(OutFile::new(
            Sink::Plain(file),
            tmp,
            path.to_path_buf(),
            sync,
        ))
    }

    /// Whether the commit's `syncfs` of the private directory's file
    /// system also puts `file` on disk. A report there is then made
    /// durable with DEST's files: an `fsync` of its own would write it
    /// back on this process's time (`syncfs` hands that to the kernel's
    /// flusher threads) and flush the disk's cache once more. A report
    /// on another file system is synced on its own at close.
    fn synced_at_commit(&self, file: &File) -> bool {
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::MetadataExt;
            match (file.metadata(), fs::metadata(&self.work)) {
                (Ok(f), Ok(w)) => f.dev() == w.dev(),
                _ => false,
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = file;
            false
        }
    }

    /// A scratch file that is never renamed into place.
    pub fn scratch(&mut self, _name: &str) -> Result<(File, PathBuf)> {
        let (file, short) = self.new_file(true)?;
        Ok((file, self.work.join(short)))
    }

    /// Removes a scratch file early.
    pub fn discard(&mut self, tmp: &Path) {
        let _ = fs::remove_file(tmp);
    }

    /// Completes a file; it is renamed into place at commit.
    pub fn finish(&mut self, file: OutFile) -> Result<()> {
        let (tmp, name) = file.close()?;
        if self.through.iter().any(|(t, _)| *t == tmp) {
            return Ok(());
        }
        match (tmp.strip_prefix(&self.work), name.strip_prefix(&self.dest)) {
            (Ok(short), Ok(rel)) if tmp.parent() == Some(self.work.as_path()) => {
                let short = short.to_string_lossy().into_owned();
                self.done.push((short, rel.to_string_lossy().into_owned()));
            }
            _ => self.outside.push((tmp, name)),
        }
        Ok(())
    }

    /// Completes a file but keeps it as scratch (removed at the end).
    pub fn finish_scratch(&mut self, file: OutFile) -> Result<PathBuf> {
        let (tmp, _) = file.close()?;
        Ok(tmp)
    }

    /// Renames every finished file into place, in order, under a lock on
    /// DEST; removes what the previous export wrote and this one does not.
    /// On any failure, DEST is put back as it was. Returns how many files
    /// were written.
    pub fn commit(self) -> Result<usize> {
        self.commit_with(|| Ok(()))
    }

    /// [`commit`](Self::commit), running `last` as its last step, once every
    /// file is in place: its error puts DEST back as it was. (The history
    /// store commits there, so an export that fails stores nothing, a store
    /// that cannot commit fails the export, and the store's writes overlap
    /// the export's own.)
    pub fn commit_with(mut self, last: impl FnOnce() -> Result<()>) -> Result<usize> {
        // A signal waits for the commit (or its rollback) to end.
        let mut reg = live();
        if !reg.iter().any(|(w, _)| w == &self.work) {
            return Err(Error::Stopped("the export"));
        }
        let dest_dir = File::open(&self.dest).map_err(|e| Error::io(&self.dest, e))?;
        rustix::fs::flock(&dest_dir, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| Error::io(&self.dest, e.into()))?;
        sync_files(&self.work, &self.done)?;
        let old = self.work.join("old");
        fs::create_dir(&old).map_err(|e| Error::io(&old, e))?;
        let new_names: HashSet<&str> = self.done.iter().map(|(_, n)| n.as_str()).collect();
        let stale = previous_outputs(&self.dest, &new_names);
        let reports = self.outside.iter().map(|(_, t)| t.as_path());
        if let Some(e) = self.clash(reports, &new_names, &stale) {
            return Err(e);
        }
        let mut steps = Vec::new();
        // Files outside DEST first: a previous file there is kept as a
        // second link until DEST's own files are all in place.
        let mut outside_steps: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
        let result = (|| -> Result<()> {
            for (tmp, target) in &self.outside {
                let backup = match fs::symlink_metadata(target) {
                    Ok(m) if !m.is_dir() => {
                        let b = tmp.with_extension("old");
                        fs::hard_link(target, &b).map_err(|e| Error::io(target, e))?;
                        Some(b)
                    }
                    _ => None,
                };
                outside_steps.push((target.clone(), backup));
                fs::rename(tmp, target).map_err(|e| Error::io(target, e))?;
            }
            let work_dir = File::open(&self.work).map_err(|e| Error::io(&self.work, e))?;
            for (short, name) in &self.done {
                let target = self.dest.join(name);
                if rename_new(&work_dir, short, &dest_dir, name)
                    .map_err(|e| Error::io(&target, e))?
                {
                    steps.push(Step::Replaced {
                        name: name.clone(),
                        kept: false,
                    });
                    continue;
                }
                let backup = old.join(name);
                let kept = match fs::symlink_metadata(&target) {
                    Ok(m) if !m.is_dir() => {
                        // A second link keeps the old file; the rename then
                        // replaces it in one step.
                        if fs::hard_link(&target, &backup).is_err() {
                            fs::rename(&target, &backup).map_err(|e| Error::io(&target, e))?;
                        }
                        true
                    }
                    _ => false,
                };
                steps.push(Step::Replaced {
                    name: name.clone(),
                    kept,
                });
                fs::rename(self.work.join(short), &target).map_err(|e| Error::io(&target, e))?;
            }
            for name in &stale {
                let target = self.dest.join(name);
                fs::rename(&target, old.join(name)).map_err(|e| Error::io(&target, e))?;
                steps.push(Step::Removed { name: name.clone() });
            }
            sync_dir(&self.dest)?;
            // The renamed reports' directories too, so that a report seen
            // after the export is still there after a power cut.
            let mut dirs: Vec<&Path> = self
                .outside
                .iter()
                // The temporary file was made in the target's directory
                // (`.` for a bare name), so its parent is that directory.
                .filter_map(|(tmp, _)| tmp.parent())
                .filter(|d| *d != self.dest)
                .collect();
            dirs.sort();
            dirs.dedup();
            for d in dirs {
                sync_renames_in(d)?;
            }
            last()
        })();
        if let Err(e) = result {
            rollback(&self.dest, &old, &steps);
            for (target, backup) in outside_steps.iter().rev() {
                match backup {
                    Some(b) => {
                        let _ = fs::rename(b, target);
                    }
                    None => {
                        let _ = fs::remove_file(target);
                    }
                }
            }
            let _ = sync_dir(&self.dest);
            return Err(e);
        }
        for (_, backup) in &outside_steps {
            if let Some(b) = backup {
                let _ = fs::remove_file(b);
            }
        }
        self.outside_open.clear();
        self.committed = true;
        reg.retain(|(w, _)| w != &self.work);
        drop(reg);
        let through = write_through(&self.through);
        let _ = fs::remove_dir_all(&self.work);
        through?;
        Ok(self.done.len() + self.through.len())
    }

    /// A path the commit must not replace (a history store file): asking
    /// for it as one of the export's files in DEST fails the commit.
    pub fn keep_intact(&mut self, path: &Path, what: &'static str) {
        self.intact.push((path.to_path_buf(), what));
    }

    /// The commit's clash check ([`Staging::commit`]) made before any work,
    /// against the names known then: `names` (files every export of this
    /// kind writes: `config.json`, and `index.html`, `history.json` when
    /// asked for) and every file the previous export into DEST wrote. Data
    /// files named after the streams are only known at commit, where the
    /// same check runs again.
    pub fn refuse_clash_early(&self, reports: &[&Path], names: &[&str]) -> Result<()> {
        let names: HashSet<&str> = names.iter().copied().collect();
        let previous = previous_outputs(&self.dest, &HashSet::new());
        match self.clash(reports.iter().copied(), &names, &previous) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The usage error for the first of `reports` (CI reports such as
    /// `--junit FILE`) or of the paths given to [`Staging::keep_intact`]
    /// that is also one of the export's files in DEST, new (`names`) or
    /// left by the previous export there (`stale`): one would silently
    /// replace the other (or be removed as stale).
    fn clash<'a>(
        &'a self,
        reports: impl Iterator<Item = &'a Path>,
        names: &HashSet<&str>,
        stale: &[String],
    ) -> Option<Error> {
        let dest = fs::canonicalize(&self.dest).ok()?;
        let ours = |t: &Path| {
            let (Some(parent), Some(file)) = (t.parent(), t.file_name()) else {
                return false;
            };
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            let Ok(parent) = fs::canonicalize(parent) else {
                return false;
            };
            let full = parent.join(file);
            let Ok(rel) = full.strip_prefix(&dest) else {
                return false;
            };
            let rel = rel.to_string_lossy();
            names.contains(rel.as_ref()) || stale.iter().any(|s| *s == rel)
        };
        let kept = self.intact.iter().map(|(p, what)| (p.as_path(), *what));
        let (t, what) = reports
            .map(|t| (t, "report file"))
            .chain(kept)
            .find(|(t, _)| ours(t))?;
        Some(Error::Usage(format!(
            "{} is also one of the export's files in DEST; give the {what} another name",
            crate::shown_path(t)
        )))
    }
}

/// One change the commit made to DEST, undone in reverse on failure.
enum Step {
    /// A file renamed into place; `kept` when the one it replaced is in
    /// `old/` under the same name.
    Replaced { name: String, kept: bool },
    /// A previous output moved to `old/`.
    Removed { name: String },
}

fn rollback(dest: &Path, old: &Path, steps: &[Step]) {
    for step in steps.iter().rev() {
        match step {
            Step::Replaced { name, kept: true } | Step::Removed { name } => {
                let _ = fs::rename(old.join(name), dest.join(name));
            }
            Step::Replaced { name, kept: false } => {
                // Only if the rename happened: then it is our file.
                let target = dest.join(name);
                if fs::symlink_metadata(&target).is_ok_and(|m| m.is_file()) {
                    let _ = fs::remove_file(target);
                }
            }
        }
    }
}

/// Copies each finished file to its target opened for writing (truncated
/// where that means anything), for targets that are not plain files.
fn write_through(files: &[(PathBuf, PathBuf)]) -> Result<()> {
    for (tmp, target) in files {
        let mut from = File::open(tmp).map_err(|e| Error::io(tmp, e))?;
        // As the shell's `>`: a dangling link gets its file.
        let mut to = File::options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(target)
            .map_err(|e| Error::io(target, e))?;
        io::copy(&mut from, &mut to).map_err(|e| Error::io(target, e))?;
    }
    Ok(())
}

/// Moves `short` from the private directory to `name` in DEST if DEST has
/// nothing by that name: one call, relative to open directories, where
/// looking first and then renaming takes two full path walks (with a
/// thousand streams, 3,000 of each). `false` when something is there, or
/// when the file system cannot refuse to replace; the caller then keeps
/// what is there before replacing it.
fn rename_new(work: &File, short: &str, dest: &File, name: &str) -> io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        use rustix::io::Errno;
        match rustix::fs::renameat_with(work, short, dest, name, rustix::fs::RenameFlags::NOREPLACE)
        {
            Ok(()) => Ok(true),
            Err(Errno::EXIST | Errno::INVAL | Errno::NOSYS | Errno::NOTSUP) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (work, short, dest, name);
        Ok(false)
    }
}

/// An exclusive `flock` without waiting; released when the file closes
/// (also when the process dies).
fn try_lock(f: &File) -> io::Result<()> {
    rustix::fs::flock(f, rustix::fs::FlockOperation::NonBlockingLockExclusive)
        .map_err(io::Error::from)
}

/// Puts the finished files in `work` (and the directory) on disk before
/// any of them is renamed into place. One `syncfs` of the private
/// directory's file system instead of an `fsync` per file: each `fsync`
/// also flushes the disk's cache, and with a thousand streams (3,000
/// files) those flushes were most of the export's time and a fifth of its
/// CPU. Elsewhere, each file is synced.
fn sync_files(work: &Path, done: &[(String, String)]) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        let _ = done;
        let dir = File::open(work).map_err(|e| Error::io(work, e))?;
        rustix::fs::syncfs(&dir).map_err(|e| Error::io(work, e.into()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        for (short, _) in done {
            let p = work.join(short);
            File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io(&p, e))?;
        }
        sync_dir(work)
    }
}

#[cfg(test)]
thread_local! {
    /// The directories this thread synced, for the tests.
    static SYNCED_DIRS: std::cell::RefCell<Vec<PathBuf>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Syncs `dir` so that files renamed into it outside DEST (reports, a new
/// history store) keep their names after a power cut. A file system that
/// cannot sync a directory (EINVAL, unsupported) is not an error: the file
/// itself is on disk, only its name may not be.
pub fn sync_renames_in(dir: &Path) -> Result<()> {
    match sync_dir(dir) {
        Err(Error::Io { source, .. })
            if matches!(
                source.kind(),
                io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported
            ) =>
        {
            Ok(())
        }
        other => other,
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(test)]
    SYNCED_DIRS.with(|s| s.borrow_mut().push(dir.to_path_buf()));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// A name a previous export may have written: a plain file name in DEST.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name != "config.json"
        && !name.contains(['/', '\0'])
        && !name.starts_with(WORK_PREFIX)
}

/// The files the previous export into `dest` wrote that this one does not:
/// those its `config.json` names (either layout), and an `index.html` that
/// carries our marker. Only regular files; anything unreadable is kept.
fn previous_outputs(dest: &Path, new_names: &HashSet<&str>) -> Vec<String> {
    let mut names = Vec::new();
    let config = dest.join("config.json");
    let small =
        fs::symlink_metadata(&config).is_ok_and(|m| m.is_file() && m.len() <= MAX_PREVIOUS_CONFIG);
    if small {
        if let Ok(v) = fs::read(&config)
            .map_err(|_| ())
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).map_err(|_| ()))
        {
            let strings = |x: &serde_json::Value, keys: &[&str], out: &mut Vec<String>| {
                for k in keys {
                    if let Some(s) = x.get(k).and_then(|s| s.as_str()) {
                        out.push(s.to_owned());
                    }
                }
            };
            for s in v
                .get("tempest")
                .and_then(|t| t.as_array())
                .into_iter()
                .flatten()
            {
                strings(s, &["raw", "tree", "details", "dstat"], &mut names);
            }
            for d in v
                .get("datasets")
                .and_then(|t| t.as_array())
                .into_iter()
                .flatten()
            {
                for a in d
                    .get("artifacts")
                    .and_then(|t| t.as_array())
                    .into_iter()
                    .flatten()
                {
                    strings(a, &["path"], &mut names);
                }
            }
        }
    }
    let html = dest.join("index.html");
    // The marker sits in the page's head: a page of any size is ours when
    // its first 4 KiB carry it, and no more is read.
    let ours = fs::symlink_metadata(&html).is_ok_and(|m| m.is_file())
        && File::open(&html).is_ok_and(|f| {
            let mut head = Vec::with_capacity(4096);
            f.take(4096).read_to_end(&mut head).is_ok()
                && head
                    .windows(HTML_MARKER.len())
                    .any(|w| w == HTML_MARKER.as_bytes())
        });
    if ours {
        names.push("index.html".into());
    }
    let mut seen = HashSet::new();
    names.retain(|n| {
        plain_name(n)
            && !new_names.contains(n.as_str())
            && seen.insert(n.clone())
            && fs::symlink_metadata(dest.join(n)).is_ok_and(|m| m.is_file())
    });
    names
}

/// Removes private directories of earlier runs that are gone (their lock
/// is free and their process no longer exists), and the `.part` files that
/// versions before the private directory left.
fn remove_stale(dest: &Path, note: &mut dyn FnMut(String)) {
    let Ok(entries) = fs::read_dir(dest) else {
        return;
    };
    let proc_ok = Path::new("/proc/self").exists();
    let gone = |pid: &str| proc_ok && !Path::new("/proc").join(pid).exists();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = e.path();
        if let Some(rest) = name.strip_prefix(WORK_PREFIX) {
            let pid = rest.split('-').next().unwrap_or("");
            let unlocked = File::open(&path).is_ok_and(|f| try_lock(&f).is_ok());
            if unlocked && gone(pid) && fs::remove_dir_all(&path).is_ok() {
                note(format!(
                    "removed {}: temporaries of an earlier export that did not finish",
                    crate::shown(name)
                ));
            }
        } else if let Some(pid) = legacy_part_pid(name) {
            if gone(pid)
                && e.file_type().is_ok_and(|t| t.is_file())
                && fs::remove_file(&path).is_ok()
            {
                note(format!(
                    "removed {}: a temporary file of an earlier export that did not finish",
                    crate::shown(name)
                ));
            }
        }
    }
}

/// The process id in `.<name>.<pid>-<n>.part`, the temporary names of
/// earlier versions.
fn legacy_part_pid(name: &str) -> Option<&str> {
    let stem = name.strip_prefix('.')?.strip_suffix(".part")?;
    let (_, tail) = stem.rsplit_once('.')?;
    let (pid, n) = tail.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(n)).then_some(pid)
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for tmp in &self.outside_open {
            let _ = fs::remove_file(tmp);
        }
        // Innermost first within each file's list; a second round takes
        // parents shared by several files.
        for _ in 0..2 {
            for d in &self.created_outside {
                let _ = fs::remove_dir(d);
            }
        }
        let mut reg = live();
        // Gone from the registry: a signal already removed it.
        if let Some(i) = reg.iter().position(|(w, _)| w == &self.work) {
            reg.remove(i);
            remove_work(&self.work, &self.created);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn our_page_is_known_by_its_head_whatever_its_size() {
        let tmp = tempfile::tempdir().unwrap();
        let none = HashSet::new();
        // Ours: the marker in the head, a body far past what is read.
        let mut page = format!("<html><head>{HTML_MARKER}</head><body>").into_bytes();
        page.resize(200 * 1024, b'x');
        fs::write(tmp.path().join("index.html"), &page).unwrap();
        assert_eq!(previous_outputs(tmp.path(), &none), ["index.html"]);
        // Not ours: the marker only after the first 4 KiB.
        let mut page = vec![b' '; 8192];
        page.extend_from_slice(HTML_MARKER.as_bytes());
        fs::write(tmp.path().join("index.html"), &page).unwrap();
        assert!(previous_outputs(tmp.path(), &none).is_empty());
    }

    #[test]
    fn files_outside_dest_appear_only_at_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let report = tmp.path().join("reports/ci/junit.xml");
        let mut stage = Staging::new(&tmp.path().join("out")).unwrap();
        let mut f = stage.create_at(&report).unwrap();
        f.write_all(b"<testsuites/>").unwrap();
        stage.finish(f).unwrap();
        assert!(!report.exists(), "not before the commit");
        let parts: Vec<_> = fs::read_dir(report.parent().unwrap()).unwrap().collect();
        assert_eq!(parts.len(), 1, "only the temporary file");
        stage.commit().unwrap();
        assert_eq!(fs::read(&report).unwrap(), b"<testsuites/>");
        assert_eq!(fs::read_dir(report.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn reports_on_dest_file_system_are_synced_by_the_commit() {
        use std::os::unix::fs::MetadataExt;
        let tmp = tempfile::tempdir().unwrap();
        let mut stage = Staging::new(&tmp.path().join("out")).unwrap();
        let beside = stage.create_at(&tmp.path().join("ci/junit.xml")).unwrap();
        assert!(!beside.syncs(), "the commit's syncfs covers it");
        stage.finish(beside).unwrap();
        // On another file system (tmpfs), it syncs itself.
        let shm = Path::new("/dev/shm");
        let dev = |p: &Path| fs::metadata(p).map(|m| m.dev()).ok();
        let other = tempfile::tempdir_in(shm).ok();
        if let Some(other) = other.as_ref().filter(|_| dev(shm) != dev(tmp.path())) {
            let away = stage.create_at(&other.path().join("junit.xml")).unwrap();
            assert!(away.syncs(), "another file system: synced at close");
            stage.finish(away).unwrap();
        } else {
            eprintln!("skipped: no second file system at /dev/shm");
        }
        SYNCED_DIRS.with(|s| s.borrow_mut().clear());
        stage.commit().unwrap();
        assert!(tmp.path().join("ci/junit.xml").is_file());
        // The renames are made durable: DEST's and the report's directory.
        let synced = SYNCED_DIRS.with(|s| s.take());
        assert!(synced.contains(&tmp.path().join("out")), "{synced:?}");
        assert!(synced.contains(&tmp.path().join("ci")), "{synced:?}");
    }

    #[test]
    fn an_aborted_export_removes_files_and_directories_it_made_outside_dest() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("reports/a/x.json");
        let b = tmp.path().join("reports/b/y.json");
        let kept = tmp.path().join("kept");
        fs::create_dir(&kept).unwrap();
        {
            let mut stage = Staging::new(&tmp.path().join("out")).unwrap();
            for p in [&a, &b, &kept.join("z.md")] {
                let mut f = stage.create_at(p).unwrap();
                f.write_all(b"{}").unwrap();
                stage.finish(f).unwrap();
            }
        }
        assert!(!tmp.path().join("reports").exists());
        assert!(!tmp.path().join("out").exists());
        assert_eq!(
            fs::read_dir(&kept).unwrap().count(),
            0,
            "existing directory kept, emptied"
        );
    }
}
