//! Test repositories (`.testrepository`, `.stestr`): finding one and its runs.
//!
//! Layout, shared by testrepository and stestr: a `format` file reading
//! `1\n`, a `next-stream` file with the id the next run will get, and one
//! subunit v1 file per run, named by its decimal id.
//!
//! Messages name the path as the user gave it, so they can be matched
//! against the command line.

use std::fs;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use crate::Error;

/// An opened repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repository {
    /// The path given on the command line.
    pub given: PathBuf,
    /// The directory that holds `format`, `next-stream` and the runs.
    pub dir: PathBuf,
    /// The id the next run would get: runs are `0..next_stream`.
    pub next_stream: u64,
    /// A `.stestr` beside the `.testrepository` that was chosen: both
    /// exist, and the caller should say which one is used.
    pub also_found: Option<PathBuf>,
}

/// One stored run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub id: u64,
    pub path: PathBuf,
}

impl Repository {
    /// Opens `given`: a directory containing `.testrepository` (preferred,
    /// as upstream tries it first) or `.stestr`, or the repository directory
    /// itself (anything holding a `format` file). Every problem is a usage
    /// error, since it concerns a path from the command line.
    pub fn open(given: &Path) -> Result<Repository, Error> {
        let shown = given.display();
        match fs::metadata(given) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(Error::Usage(format!(
                    "repository is not a directory: {shown}"
                )))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(Error::Usage(format!("repository not found: {shown}")))
            }
            Err(e) => {
                return Err(Error::Usage(format!(
                    "cannot access repository {shown}: {e}"
                )))
            }
        }
        // A directory we may not list or enter is a permission problem,
        // not "not a repository".
        fs::read_dir(given)
            .map_err(|e| Error::Usage(format!("cannot read repository {shown}: {e}")))?;
        let candidates = [
            given.join(".testrepository"),
            given.join(".stestr"),
            given.to_path_buf(),
        ];
        let mut found = Vec::new();
        for d in candidates {
            match fs::metadata(d.join("format")) {
                Ok(_) => found.push(d),
                Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {}
                Err(e) => {
                    return Err(Error::Usage(format!(
                        "repository {shown}: cannot read {}: {e}",
                        d.display()
                    )))
                }
            }
        }
        let mut found = found.into_iter();
        let dir = found.next().ok_or_else(|| {
            Error::Usage(format!(
                "not a test repository (no .testrepository or .stestr in it): {shown}"
            ))
        })?;
        let also_found = found
            .next()
            .filter(|d| dir.ends_with(".testrepository") && d.ends_with(".stestr"));

        let format_path = dir.join("format");
        let format = fs::read(&format_path).map_err(|e| {
            Error::Usage(format!(
                "repository {shown}: cannot read {}: {e}",
                format_path.display()
            ))
        })?;
        // testrepository and stestr both insist on exactly "1\n".
        if format != b"1\n" {
            return Err(Error::Usage(format!(
                "repository {shown}: unsupported format {:?} in {} (expected \"1\")",
                String::from_utf8_lossy(&format).trim(),
                format_path.display()
            )));
        }

        let next_path = dir.join("next-stream");
        let next = fs::read(&next_path).map_err(|e| {
            Error::Usage(format!(
                "repository {shown}: cannot read {}: {e}",
                next_path.display()
            ))
        })?;
        let next_stream = parse_next_stream(&next).ok_or_else(|| {
            Error::Usage(format!(
                "repository {shown}: corrupt {}: {:?}",
                next_path.display(),
                String::from_utf8_lossy(&next)
            ))
        })?;

        Ok(Repository {
            given: given.to_path_buf(),
            dir,
            next_stream,
            also_found,
        })
    }

    /// The run numbered `next_stream - 1`, or `None` for a repository that
    /// has no runs yet. A missing latest run is a broken repository (exit 1).
    pub fn latest_run(&self) -> Result<Option<Run>, Error> {
        let Some(id) = self.next_stream.checked_sub(1) else {
            return Ok(None);
        };
        let path = self.dir.join(id.to_string());
        if path.is_file() {
            return Ok(Some(Run { id, path }));
        }
        let problem = if path.exists() {
            "is not a file"
        } else {
            "not found"
        };
        Err(Error::MissingRun {
            repo: self.given.clone(),
            id,
            run: path,
            problem,
        })
    }

    /// Every run file that exists, in id order. Gaps (deleted runs) are
    /// skipped; files numbered `next_stream` or above are not runs.
    pub fn all_runs(&self) -> Result<Vec<Run>, Error> {
        let entries = fs::read_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        let mut runs = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&self.dir, e))?;
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(run_id) else {
                continue;
            };
            let path = entry.path();
            if id < self.next_stream && path.is_file() {
                runs.push(Run { id, path });
            }
        }
        runs.sort_by_key(|r| r.id);
        Ok(runs)
    }
}

/// A run file name: the decimal id as `str(id)` writes it.
fn run_id(name: &str) -> Option<u64> {
    let canonical = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_digit())
        && (name == "0" || !name.starts_with('0'));
    canonical.then(|| name.parse().ok()).flatten()
}

/// `int()` of the file's text, as upstream reads it: surrounding
/// whitespace, a sign and `_` between digits are allowed. A negative count
/// means no runs.
fn parse_next_stream(bytes: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(bytes).ok()?.trim();
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    let value: u64 = digits.replace('_', "").parse().ok()?;
    Some(if negative { 0 } else { value })
}

/// The name a repository is known by (`repo_<name>`): the last component
/// of the path as given, trailing slashes ignored, and `.`/`..` replaced by
/// the name of the directory they stand for.
pub fn repo_basename(given: &Path) -> String {
    match given.components().next_back() {
        Some(Component::Normal(name)) => name.to_string_lossy().into_owned(),
        _ => fs::canonicalize(given)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// Makes `root/<sub>` a repository with the given files.
    fn make(root: &Path, sub: &str, format: &str, next: &str, runs: &[&str]) -> PathBuf {
        let dir = root.join(sub);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("format"), format).unwrap();
        fs::write(dir.join("next-stream"), next).unwrap();
        for run in runs {
            fs::write(dir.join(run), "time: 2015-10-05 19:49:04Z\n").unwrap();
        }
        dir
    }

    fn usage(r: Result<Repository, Error>) -> String {
        match r {
            Err(Error::Usage(m)) => m,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn opens_stestr_and_finds_latest_run() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = make(tmp.path(), "r/.stestr", "1\n", "3\n", &["0", "1", "2"]);
        let repo = Repository::open(&tmp.path().join("r")).unwrap();
        assert_eq!(repo.dir, dir);
        assert_eq!(repo.next_stream, 3);
        let latest = repo.latest_run().unwrap().unwrap();
        assert_eq!(latest.id, 2);
        assert_eq!(latest.path, dir.join("2"));
        let ids: Vec<u64> = repo.all_runs().unwrap().iter().map(|r| r.id).collect();
        assert_eq!(ids, [0, 1, 2]);
    }

    #[test]
    fn testrepository_wins_over_stestr() {
        let tmp = tempfile::tempdir().unwrap();
        make(tmp.path(), "both/.stestr", "1\n", "3\n", &["2"]);
        let tr = make(tmp.path(), "both/.testrepository", "1\n", "2\n", &["1"]);
        let repo = Repository::open(&tmp.path().join("both")).unwrap();
        assert_eq!(repo.dir, tr);
        assert_eq!(repo.latest_run().unwrap().unwrap().id, 1);
    }

    #[test]
    fn testrepository_without_format_falls_back_to_stestr() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("r/.testrepository")).unwrap();
        let st = make(tmp.path(), "r/.stestr", "1\n", "1\n", &["0"]);
        assert_eq!(Repository::open(&tmp.path().join("r")).unwrap().dir, st);
    }

    #[test]
    fn repository_directory_given_directly() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = make(tmp.path(), "r/.stestr", "1\n", "1\n", &["0"]);
        let repo = Repository::open(&dir).unwrap();
        assert_eq!(repo.dir, dir);
        // Any directory with a format file counts, whatever its name.
        let other = make(tmp.path(), "plain", "1\n", "1\n", &["0"]);
        assert_eq!(Repository::open(&other).unwrap().dir, other);
    }

    #[test]
    fn empty_repository_has_no_latest_run() {
        let tmp = tempfile::tempdir().unwrap();
        make(tmp.path(), "e/.stestr", "1\n", "0\n", &[]);
        let repo = Repository::open(&tmp.path().join("e")).unwrap();
        assert_eq!(repo.latest_run().unwrap(), None);
        assert!(repo.all_runs().unwrap().is_empty());
    }

    #[test]
    fn missing_latest_run_is_an_error_naming_the_repository() {
        let tmp = tempfile::tempdir().unwrap();
        make(tmp.path(), "holey/.stestr", "1\n", "2\n", &["0"]);
        // Relative to the case folder, as on the command line.
        let given = tmp.path().join("holey");
        let repo = Repository::open(&given).unwrap();
        let Err(e @ Error::MissingRun { .. }) = repo.latest_run() else {
            panic!("expected an error");
        };
        let msg = e.to_string();
        let expected = format!(
            "repository {}: latest run 1 not found ({})",
            given.display(),
            given.join(".stestr").join("1").display()
        );
        assert_eq!(msg, expected);
        let ids: Vec<u64> = repo.all_runs().unwrap().iter().map(|r| r.id).collect();
        assert_eq!(ids, [0]);
    }

    #[test]
    fn message_uses_the_path_as_given() {
        let tmp = tempfile::tempdir().unwrap();
        make(tmp.path(), "holey/.stestr", "1\n", "2\n", &["0"]);
        let cwd = std::env::current_dir().unwrap();
        // A relative path, without changing the process's directory.
        let rel = pathdiff(tmp.path().join("holey"), &cwd);
        let repo = Repository::open(&rel).unwrap();
        let Err(e @ Error::MissingRun { .. }) = repo.latest_run() else {
            panic!("expected an error");
        };
        let msg = e.to_string();
        assert!(msg.starts_with(&format!("repository {}: ", rel.display())));
    }

    /// `target` relative to `base` through `..` components.
    fn pathdiff(target: PathBuf, base: &Path) -> PathBuf {
        let depth = base.components().count() - 1;
        let mut p = PathBuf::new();
        for _ in 0..depth {
            p.push("..");
        }
        p.join(target.strip_prefix("/").unwrap())
    }

    #[test]
    fn gappy_runs_in_numeric_order() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = make(
            tmp.path(),
            "g/.stestr",
            "1\n",
            "12\n",
            &["10", "3", "1", "011", "12", "failing", "x1"],
        );
        fs::create_dir(dir.join("5")).unwrap();
        let repo = Repository::open(&tmp.path().join("g")).unwrap();
        let ids: Vec<u64> = repo.all_runs().unwrap().iter().map(|r| r.id).collect();
        assert_eq!(ids, [1, 3, 10]);
        let Err(e @ Error::MissingRun { .. }) = repo.latest_run() else {
            panic!("run 11 is missing");
        };
        let msg = e.to_string();
        assert!(msg.contains("latest run 11 not found"), "{msg}");
    }

    #[test]
    fn latest_run_that_is_a_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = make(tmp.path(), "d/.stestr", "1\n", "1\n", &[]);
        fs::create_dir(dir.join("0")).unwrap();
        let repo = Repository::open(&tmp.path().join("d")).unwrap();
        let Err(e @ Error::MissingRun { .. }) = repo.latest_run() else {
            panic!("expected an error");
        };
        let msg = e.to_string();
        assert!(msg.contains("latest run 0 is not a file"), "{msg}");
    }

    #[test]
    fn bad_format_is_a_usage_error() {
        let tmp = tempfile::tempdir().unwrap();
        for format in ["2\n", "1", "1\r\n", " 1\n", ""] {
            make(tmp.path(), "badrepo/.stestr", format, "1\n", &[]);
            let msg = usage(Repository::open(&tmp.path().join("badrepo")));
            assert!(msg.contains("badrepo"), "{msg}");
            assert!(msg.contains("unsupported format"), "{msg}");
        }
    }

    #[test]
    fn not_a_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let plain = tmp.path().join("plainfolder");
        fs::create_dir(&plain).unwrap();
        fs::write(plain.join("readme.txt"), "hi").unwrap();
        let msg = usage(Repository::open(&plain));
        assert!(msg.contains("not a test repository"), "{msg}");
        assert!(msg.contains("plainfolder"), "{msg}");
    }

    #[test]
    fn missing_path_and_file_path() {
        let tmp = tempfile::tempdir().unwrap();
        let msg = usage(Repository::open(&tmp.path().join("norepo")));
        assert!(msg.contains("repository not found"), "{msg}");
        assert!(msg.contains("norepo"), "{msg}");
        let file = tmp.path().join("afile");
        fs::write(&file, "x").unwrap();
        let msg = usage(Repository::open(&file));
        assert!(msg.contains("not a directory"), "{msg}");
        assert!(msg.contains("afile"), "{msg}");
    }

    #[test]
    fn bad_next_stream() {
        let tmp = tempfile::tempdir().unwrap();
        for next in [
            "",
            "x\n",
            "1.5\n",
            "_1\n",
            "1__0\n",
            "99999999999999999999999\n",
        ] {
            make(tmp.path(), "r/.stestr", "1\n", next, &[]);
            let msg = usage(Repository::open(&tmp.path().join("r")));
            assert!(msg.contains("corrupt"), "{next:?}: {msg}");
        }
        let dir = tmp.path().join("n/.stestr");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("format"), "1\n").unwrap();
        let msg = usage(Repository::open(&tmp.path().join("n")));
        assert!(msg.contains("cannot read"), "{msg}");
        assert!(msg.contains("next-stream"), "{msg}");
    }

    #[test]
    fn next_stream_like_python_int() {
        assert_eq!(parse_next_stream(b"3\n"), Some(3));
        assert_eq!(parse_next_stream(b" 12 \n"), Some(12));
        assert_eq!(parse_next_stream(b"+4"), Some(4));
        assert_eq!(parse_next_stream(b"1_0\n"), Some(10));
        assert_eq!(parse_next_stream(b"-1\n"), Some(0));
        assert_eq!(parse_next_stream(b"-"), None);
        assert_eq!(parse_next_stream(b"\xff"), None);
    }

    #[test]
    fn run_ids() {
        assert_eq!(run_id("0"), Some(0));
        assert_eq!(run_id("17"), Some(17));
        assert_eq!(run_id("017"), None);
        assert_eq!(run_id("00"), None);
        assert_eq!(run_id(""), None);
        assert_eq!(run_id("1a"), None);
        assert_eq!(run_id("+1"), None);
        assert_eq!(run_id("99999999999999999999999"), None);
    }

    #[test]
    fn basenames() {
        assert_eq!(repo_basename(Path::new("tlrepo")), "tlrepo");
        assert_eq!(repo_basename(Path::new("tlrepo/")), "tlrepo");
        assert_eq!(repo_basename(Path::new("tlrepo//")), "tlrepo");
        assert_eq!(repo_basename(Path::new("sub/dir/")), "dir");
        assert_eq!(repo_basename(Path::new("tlrepo/.stestr")), ".stestr");
        assert_eq!(repo_basename(Path::new("tlrepo/.")), "tlrepo");
        assert_eq!(repo_basename(Path::new("/")), "");

        let tmp = tempfile::tempdir().unwrap();
        let inner = tmp.path().join("repo_dot").join("inner");
        fs::create_dir_all(&inner).unwrap();
        assert_eq!(repo_basename(&inner.join("..")), "repo_dot");
        assert_eq!(repo_basename(&inner.join("../.")), "repo_dot");
        let cwd_name = std::env::current_dir()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(repo_basename(Path::new(".")), cwd_name);
        assert_eq!(repo_basename(Path::new("./")), cwd_name);
    }
}
