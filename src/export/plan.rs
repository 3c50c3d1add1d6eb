//! The plan: every input checked and every stream named before anything
//! is written.

use std::fs::File;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

use super::options::{Annotations, CiFiles, FormatKind, Options};
use crate::input::repo::Repository;
use crate::input::source::{self, Origin};
use crate::output::StreamMeta;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Repo,
    File,
    Stdin,
    /// A `/dev/fd/N` path that is a pipe, as `-f <(cmd)` gives.
    Pipe,
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
    pub(super) gzip_level: u32,
    pub(super) format: FormatKind,
    pub(super) html: bool,
    pub(super) fix: bool,
    pub(super) env: Vec<(&'static str, String)>,
    /// Providers with nothing to export (a repository without runs).
    pub(super) empty: Vec<String>,
    pub(super) ci: CiFiles,
    pub(super) annotations: Option<Annotations>,
    /// Collects each stream's results for its history, when asked for.
    pub(super) history: Option<super::history::HistoryStage>,
    /// Found while checking the inputs, printed before the export starts.
    pub(super) warnings: Vec<String>,
}

impl Plan {
    /// How many streams the run will read.
    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// Adds per-test notes to the console summary and the Markdown report.
    pub fn annotate(&mut self, annotations: Annotations) {
        self.annotations = Some(annotations);
    }
}

/// Checks a CI report path before anything is written: not a directory,
/// and its nearest existing ancestor is a directory.
fn check_side_file(flag: &str, path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            return Err(Error::Usage(format!(
                "{flag}: {} is a directory; give a file name",
                path.display()
            )))
        }
        // Not a plain file (a FIFO, /dev/stdout): written through at the
        // end, so it must take writes now.
        Ok(m) if !m.is_file() => {
            // Where the kernel cannot say, the write itself will.
            return match may(path, rustix::fs::Access::WRITE_OK) {
                Some(Err(e)) => Err(Error::Usage(format!(
                    "{flag}: cannot write to {}: {}",
                    path.display(),
                    io_reason(&e)
                ))),
                _ => Ok(()),
            };
        }
        Ok(_) => return Ok(()),
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(Error::Usage(format!(
                "{flag}: {} ({})",
                path.display(),
                io_reason(&e)
            )))
        }
        Err(_) => {}
    }
    if path.file_name().is_none() {
        return Err(Error::Usage(format!(
            "{flag}: {} is not a file name",
            path.display()
        )));
    }
    let mut up = path.parent();
    while let Some(dir) = up.filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(m) = std::fs::metadata(dir) {
            if !m.is_dir() {
                return Err(Error::Usage(format!(
                    "{flag}: cannot create {}: {} is not a directory",
                    path.display(),
                    dir.display()
                )));
            }
            break;
        }
        up = dir.parent();
    }
    Ok(())
}

/// Every CI report path usable, and no two the same file.
fn check_side_files(ci: &CiFiles) -> Result<()> {
    let named = ci.named();
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    for (i, (flag, path)) in named.iter().enumerate() {
        check_side_file(flag, path)?;
        for (other, p) in &named[..i] {
            if absolute(p) == absolute(path) {
                return Err(Error::Usage(format!(
                    "{other} and {flag} name the same file: {}",
                    path.display()
                )));
            }
        }
    }
    Ok(())
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
            "no input: give at least one of -f/--stream-file FILE, -i/--stdin \
             or -r/--repository DIR"
                .into(),
        ));
    }
    let dashes = opts.files.iter().filter(|f| is_dash(f)).count();
    if dashes + usize::from(opts.stdin) > 1 {
        return Err(Error::Usage(
            "standard input can be read only once: give one of -i and -f -".into(),
        ));
    }
    if dashes + usize::from(opts.stdin) == 1 && io::stdin().is_terminal() {
        return Err(Error::Usage(
            "standard input is a terminal, not a subunit stream: pipe one in \
             (stestr last --subunit | stackviz-export -i DEST) or redirect a \
             file (-i DEST < run.subunit)"
                .into(),
        ));
    }
    let mut warnings = Vec::new();
    if opts.env && opts.format != FormatKind::Artifacts {
        warnings.push(
            "-e/--env has no effect with the tempest format (the default): \
             add --format artifacts for the layout today's StackViz front-end \
             reads, with the fields -e fills in"
                .to_owned(),
        );
    }
    if opts.all_runs && opts.repos.is_empty() {
        warnings.push(
            "--all-runs has no effect without -r/--repository: it exports \
             every run of a test repository instead of the latest"
                .to_owned(),
        );
    }
    if opts.gzip_level.is_some() && !opts.gzip {
        warnings.push(
            "--gzip-level has no effect without -z/--gzip: add -z to gzip the data files"
                .to_owned(),
        );
    }
    if let Some(level) = opts.gzip_level.filter(|l| !(1..=9).contains(l)) {
        return Err(crate::Error::Usage(format!(
            "--gzip-level {level}: the level is 1 (fastest) to 9 (smallest)"
        )));
    }
    check_dest(&opts.dest)?;
    check_side_files(&opts.ci)?;
    let mut providers = Vec::new();
    for given in &opts.repos {
        let repo = Repository::open(given)?;
        if let Some(other) = &repo.also_found {
            warnings.push(format!(
                "{} holds both {} and {}; using {}, as StackViz does (give -r {} \
                 to export the other one)",
                given.display(),
                file_name(&repo.dir),
                file_name(other),
                file_name(&repo.dir),
                other.display()
            ));
        }
        let runs = if opts.all_runs {
            repo.all_runs()?
        } else {
            repo.latest_run()?.into_iter().collect()
        };
        for r in &runs {
            check_readable("repository run", &r.path)?;
        }
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
        if is_dash(given) {
            continue;
        }
        check_stream_file(given)?;
        let (kind, base) = match fd_target(given) {
            Some(FdTarget::Pipe) => (Kind::Pipe, "pipe".to_owned()),
            Some(FdTarget::Path(p)) => (Kind::File, source::basename(&p)),
            None => (Kind::File, source::basename(given)),
        };
        providers.push(Provider {
            kind,
            given: given.clone(),
            base,
            runs: vec![(Origin::File(given.clone()), None)],
        });
    }
    if opts.stdin || dashes > 0 {
        providers.push(Provider {
            kind: Kind::Stdin,
            given: PathBuf::from("-"),
            base: "stdin".into(),
            runs: vec![(Origin::Stdin, None)],
        });
    }
    if let Some(d) = &opts.dstat {
        match std::fs::metadata(d) {
            Ok(m) if m.is_file() => check_readable("dstat log", d)?,
            Ok(_) => {
                return Err(Error::Usage(format!(
                    "dstat log is not a regular file: {}",
                    crate::shown_path(d)
                )))
            }
            Err(e) => {
                return Err(Error::Usage(format!(
                    "dstat log not found: {} ({})",
                    crate::shown_path(d),
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
            Kind::Pipe => "pipe".into(),
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
            Kind::Pipe => format!("Subunit Stream ({})", p.given.display()),
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
                    run_is_artifact: opts.all_runs && p.kind == Kind::Repo,
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
        gzip_level: opts.gzip_level.unwrap_or(crate::write::gzip::DEFAULT_LEVEL),
        format: opts.format,
        html: opts.html,
        fix: opts.fix_for_frontend,
        env,
        empty,
        ci: opts.ci.clone(),
        annotations: None,
        warnings,
    })
}

/// `-f -`: standard input, as in most Unix tools.
fn is_dash(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// What a `/dev/fd/N` (or `/proc/self/fd/N`) path stands for.
enum FdTarget {
    /// A pipe or socket, e.g. `-f <(zcat run.subunit.gz)`: no useful name.
    Pipe,
    /// A file opened by the shell, e.g. `-f /dev/fd/3 3<run.subunit`.
    Path(PathBuf),
}

/// Names an inherited descriptor after what it is, not its number (the
/// basename of `/dev/fd/63` would be `63`).
fn fd_target(path: &Path) -> Option<FdTarget> {
    let dir = path.parent()?;
    let is_fd_dir = dir == Path::new("/dev/fd") || dir == Path::new("/proc/self/fd");
    let numeric = path
        .file_name()?
        .to_str()?
        .bytes()
        .all(|b| b.is_ascii_digit());
    if !is_fd_dir || !numeric {
        return None;
    }
    // Linux shows a pipe as "pipe:[inode]", a file as its absolute path.
    match std::fs::read_link(path) {
        Ok(t) if t.is_absolute() => Some(FdTarget::Path(t)),
        _ => Some(FdTarget::Pipe),
    }
}

/// Checks that a regular file may be read, so that an unreadable input is
/// a usage error found before anything is written. Pipes and FIFOs are
/// left alone: opening one would wait for a writer or take data from the
/// stream.
fn check_readable(what: &str, path: &Path) -> Result<()> {
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    if !regular {
        return Ok(());
    }
    may_read(what, path)
}

/// Asks the kernel whether this process may read `path` (its effective
/// ids, as `open` would) without opening it: with a thousand inputs, an
/// open and close each only to check was a fifth of the input side's
/// system calls.
fn may_read(what: &str, path: &Path) -> Result<()> {
    let answer = match may(path, rustix::fs::Access::READ_OK) {
        Some(answer) => answer,
        // No such check here: opening tells.
        None => File::open(path).map(drop),
    };
    answer.map_err(|e| {
        Error::Usage(format!(
            "cannot read {what} {}: {}",
            path.display(),
            io_reason(&e)
        ))
    })
}

/// `faccessat(…, AT_EACCESS)`: whether this process may access `path` as
/// `open` would decide; `None` where the kernel has no such check.
fn may(path: &Path, how: rustix::fs::Access) -> Option<io::Result<()>> {
    use rustix::fs::{accessat, AtFlags, CWD};
    match accessat(CWD, path, how, AtFlags::EACCESS).map_err(io::Error::from) {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::Unsupported | io::ErrorKind::InvalidInput
            ) =>
        {
            None
        }
        answer => Some(answer),
    }
}

/// DEST must be a directory or a path that can become one: anything of
/// another kind, on the way or at the end, is a usage error that says what
/// is wrong.
fn check_dest(dest: &Path) -> Result<()> {
    let shown = crate::shown_path;
    match std::fs::symlink_metadata(dest) {
        Ok(m) if m.file_type().is_symlink() && std::fs::metadata(dest).is_err() => {
            let target = std::fs::read_link(dest).unwrap_or_default();
            return Err(Error::Usage(format!(
                "output path is a symbolic link to {}, which does not exist: {}",
                shown(&target),
                shown(dest)
            )));
        }
        Ok(_) => {
            if !dest.is_dir() {
                return Err(Error::Usage(format!(
                    "output path exists and is not a directory: {}",
                    shown(dest)
                )));
            }
            return Ok(());
        }
        Err(_) => {}
    }
    // The nearest existing ancestor must be a directory.
    let mut p = dest.parent();
    while let Some(a) = p.filter(|a| !a.as_os_str().is_empty()) {
        if let Ok(m) = std::fs::metadata(a) {
            if !m.is_dir() {
                return Err(Error::Usage(format!(
                    "output path {} is below {}, which is not a directory",
                    shown(dest),
                    shown(a)
                )));
            }
            break;
        }
        p = a.parent();
    }
    Ok(())
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
            crate::shown_path(path)
        ))),
        Ok(m) if m.is_file() => may_read("stream file", path),
        Ok(_) => Ok(()),
        Err(e) => Err(Error::Usage(format!(
            "stream file not found: {} ({})",
            crate::shown_path(path),
            io_reason(&e)
        ))),
    }
}
