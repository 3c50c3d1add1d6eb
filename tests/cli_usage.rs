//! The command line as a first-time user and a CI engineer meet it: help,
//! usage errors, option prefixes, `-f -`, warnings for options that do
//! nothing, unreadable inputs, progress and the closing summary line.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};
use std::time::Duration;

use assert_cmd::Command;

const EXE: &str = env!("CARGO_BIN_EXE_stackviz-export");

fn fixture(case: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/conformance")
        .join(case)
        .join(file)
}

fn sample(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sample")
        .join(file)
}

fn small() -> PathBuf {
    fixture("syn_statuses", "s.subunit")
}

fn exe() -> Command {
    let mut c = Command::cargo_bin("stackviz-export").unwrap();
    c.timeout(Duration::from_secs(60));
    c
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn warnings(o: &Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.starts_with("stackviz-export: warning: "))
        .map(str::to_owned)
        .collect()
}

/// Exit 2, one `stackviz-export: error:` message, and DEST never created.
fn assert_usage_error(o: &Output, dest: &Path) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.starts_with("stackviz-export: error: "), "{err}");
    assert!(o.stdout.is_empty());
    assert!(!dest.exists(), "DEST was created: {err}");
    err
}

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        == Some("0")
}

fn set_mode(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

/// Runs the binary as a user that file modes apply to: as root, as
/// `nobody` (setpriv drops root), otherwise as this user.
fn run_unprivileged(args: &[&std::ffi::OsStr]) -> Output {
    let mut c = if is_root() {
        let mut c = StdCommand::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", EXE]);
        c
    } else {
        StdCommand::new(EXE)
    };
    c.args(args).stdin(Stdio::null());
    c.output()
        .expect("run the exporter (setpriv from util-linux when root)")
}

/// A scratch directory every user may enter and write into.
fn open_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    set_mode(dir.path(), 0o777);
    dir
}

/// Runs the binary with a terminal on stdin, stdout and stderr (a pty made
/// by Python's `pty` module); returns its exit code and what it printed.
fn run_on_a_terminal(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let o = StdCommand::new("python3")
        .args([
            "-c",
            "import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))",
            EXE,
        ])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs the exporter on a pty");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).replace("\r\n", "\n"),
    )
}

// ---- help and usage ----------------------------------------------------------

#[test]
fn short_and_long_help_start_with_the_same_sentence() {
    let short = exe().arg("-h").output().unwrap();
    let long = exe().arg("--help").output().unwrap();
    assert_eq!(short.status.code(), Some(0));
    assert_eq!(long.status.code(), Some(0));
    let first = |o: &Output| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(first(&short), first(&long));
    assert!(
        first(&short).starts_with("Turn subunit"),
        "{}",
        first(&short)
    );
}

#[test]
fn a_bare_invocation_shows_the_full_usage_and_asks_for_an_input() {
    let o = exe().output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.starts_with("stackviz-export: error: "), "{err}");
    assert!(
        err.contains("Usage: stackviz-export [OPTIONS] <DEST>"),
        "{err}"
    );
    assert!(err.contains("<DEST>"), "{err}");
    assert!(
        err.contains("--stream-file") && err.contains("--stdin") && err.contains("--repository"),
        "does not say an input is required: {err}"
    );
}

/// `stackviz-export run.subunit out/` (no -f) says how to give the stream.
#[test]
fn a_stream_given_without_f_gets_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out");
    let o = exe().arg(small()).arg(&dest).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is a file, and DEST is one directory"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "stackviz-export -f {} {}",
            small().display(),
            dest.display()
        )),
        "{err}"
    );
    assert!(!dest.exists());
    // Two directories: the extra one is named.
    let other = dir.path().join("other");
    let o = exe()
        .arg(&dest)
        .arg(&other)
        .arg("-f")
        .arg(small())
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("one output directory <DEST> only"), "{err}");
    assert!(!dest.exists() && !other.exists());
}

#[test]
fn no_input_is_a_usage_error_naming_the_input_options() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out");
    let o = exe().arg(&dest).output().unwrap();
    let err = assert_usage_error(&o, &dest);
    assert!(
        err.contains("--stream-file") && err.contains("--stdin"),
        "{err}"
    );
}

#[test]
fn help_into_a_full_disk_fails() {
    for flag in ["--help", "-h", "--version"] {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = StdCommand::new(EXE)
            .arg(flag)
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{flag}: {err}");
        assert!(err.starts_with("stackviz-export: error: "), "{flag}: {err}");
        assert!(err.contains("No space left on device"), "{flag}: {err}");
    }
}

// ---- option prefixes (argparse accepted them) --------------------------------

#[test]
fn unambiguous_prefixes_of_long_options_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out");
    exe()
        .arg("--stream")
        .arg(small())
        .arg("--gz")
        .arg("--form")
        .arg("artifacts")
        .arg("--quiet")
        .arg(&dest)
        .assert()
        .success();
    assert!(dest.join("s.subunit-0-raw.json.gz").is_file());
}

#[test]
fn an_ambiguous_prefix_is_a_usage_error_listing_the_candidates() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out");
    // --st: --stream-file or --stdin
    let o = exe().arg("--st").arg(small()).arg(&dest).output().unwrap();
    let err = assert_usage_error(&o, &dest);
    assert!(err.contains("--st"), "{err}");
}

// ---- `-f -` and /dev/fd paths ------------------------------------------------

#[test]
fn dash_as_a_stream_file_reads_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out");
    exe()
        .args(["-q", "-f", "-"])
        .arg(&dest)
        .pipe_stdin(small())
        .unwrap()
        .assert()
        .success();
    let raw = fs::read_to_string(dest.join("tempest_stdin_0_raw.json")).unwrap();
    let via_i = dir.path().join("via-i");
    exe()
        .args(["-q", "-i"])
        .arg(&via_i)
        .pipe_stdin(small())
        .unwrap()
        .assert()
        .success();
    assert_eq!(
        raw,
        fs::read_to_string(via_i.join("tempest_stdin_0_raw.json")).unwrap()
    );
}

#[test]
fn standard_input_twice_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["-f", "-", "-i"][..], &["-f", "-", "-f", "-"][..]] {
        let dest = dir.path().join("out");
        let o = exe().args(args).arg(&dest).output().unwrap();
        let err = assert_usage_error(&o, &dest);
        assert!(err.contains("standard input"), "{args:?}: {err}");
    }
}

#[test]
fn a_process_substitution_is_named_pipe_not_after_its_fd_number() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out");
    // bash gives `<(cat FILE)` as /dev/fd/63 (or similar).
    let script = r#"exec "$0" -q -f <(cat "$1") "$2""#;
    let o = StdCommand::new("bash")
        .args(["-c", script, EXE])
        .arg(small())
        .arg(&dest)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let names: Vec<String> = fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n == "tempest_pipe_0_raw.json"),
        "{names:?}"
    );
}

// ---- standard input on a terminal ----------------------------------------------

#[test]
fn stdin_on_a_terminal_is_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out");
    let (code, out) = run_on_a_terminal(&["-i".as_ref(), dest.as_os_str()]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("stackviz-export: error: "), "{out}");
    assert!(out.contains("terminal"), "{out}");
    assert!(out.contains("stestr last --subunit |"), "no hint: {out}");
    assert!(!dest.exists());
}

// ---- options that would do nothing ----------------------------------------------

#[test]
fn env_without_the_artifacts_format_warns_what_to_add() {
    let dir = tempfile::tempdir().unwrap();
    let o = exe()
        .arg("-e")
        .arg("-f")
        .arg(small())
        .arg(dir.path().join("a"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let w = warnings(&o);
    assert!(
        w.iter()
            .any(|l| l.contains("-e/--env") && l.contains("add --format artifacts")),
        "{w:?}"
    );
    // With the artifacts format there is nothing to warn about.
    let o = exe()
        .args(["-e", "--format", "artifacts", "-f"])
        .arg(small())
        .arg(dir.path().join("b"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let w = warnings(&o);
    assert!(!w.iter().any(|l| l.contains("-e/--env")), "{w:?}");
}

#[test]
fn all_runs_without_a_repository_warns() {
    let dir = tempfile::tempdir().unwrap();
    let o = exe()
        .arg("--all-runs")
        .arg("-f")
        .arg(small())
        .arg(dir.path().join("a"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let w = warnings(&o);
    assert!(
        w.iter()
            .any(|l| l.contains("--all-runs") && l.contains("-r/--repository")),
        "{w:?}"
    );
}

#[test]
fn the_quiet_flag_silences_the_new_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let o = exe()
        .args(["-q", "-e", "--all-runs", "-f"])
        .arg(small())
        .arg(dir.path().join("a"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}

// ---- repositories ----------------------------------------------------------------

#[test]
fn both_repository_kinds_warn_which_one_was_used() {
    let dir = tempfile::tempdir().unwrap();
    let o = exe()
        .arg("-r")
        .arg(fixture("repo_both_kinds", "both"))
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let w = warnings(&o);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains(".testrepository") && w[0].contains(".stestr"),
        "{w:?}"
    );
    assert!(w[0].contains("using"), "{w:?}");
    // It says how to pick the other one.
    assert!(w[0].contains("/.stestr"), "{w:?}");
}

// ---- unreadable inputs: usage errors before anything is written -------------------

#[test]
fn an_unreadable_stream_file_is_a_usage_error() {
    let dir = open_dir();
    let input = dir.path().join("s.subunit");
    fs::copy(small(), &input).unwrap();
    set_mode(&input, 0o000);
    let dest = dir.path().join("out");
    let o = run_unprivileged(&["-f".as_ref(), input.as_os_str(), dest.as_os_str()]);
    let err = assert_usage_error(&o, &dest);
    assert!(err.contains(&*input.to_string_lossy()), "{err}");
    assert!(err.to_lowercase().contains("permission denied"), "{err}");
}

#[test]
fn an_unreadable_dstat_log_is_a_usage_error() {
    let dir = open_dir();
    let input = dir.path().join("s.subunit");
    fs::copy(small(), &input).unwrap();
    set_mode(&input, 0o644);
    let dstat = dir.path().join("dstat.csv");
    fs::copy(sample("dstat.csv"), &dstat).unwrap();
    set_mode(&dstat, 0o000);
    let dest = dir.path().join("out");
    let o = run_unprivileged(&[
        "-f".as_ref(),
        input.as_os_str(),
        "--dstat".as_ref(),
        dstat.as_os_str(),
        dest.as_os_str(),
    ]);
    let err = assert_usage_error(&o, &dest);
    assert!(err.contains(&*dstat.to_string_lossy()), "{err}");
    assert!(err.to_lowercase().contains("permission denied"), "{err}");
}

#[test]
fn an_unreadable_stestr_directory_reports_the_permission_error() {
    let dir = open_dir();
    let repo = dir.path().join("proj/.stestr");
    fs::create_dir_all(&repo).unwrap();
    fs::write(repo.join("format"), "1\n").unwrap();
    fs::write(repo.join("next-stream"), "0\n").unwrap();
    set_mode(&dir.path().join("proj"), 0o755);
    set_mode(&repo, 0o000);
    let dest = dir.path().join("out");
    let o = run_unprivileged(&["-r".as_ref(), repo.as_os_str(), dest.as_os_str()]);
    set_mode(&repo, 0o755);
    let err = assert_usage_error(&o, &dest);
    assert!(err.to_lowercase().contains("permission denied"), "{err}");
    assert!(!err.contains("not a test repository"), "{err}");
}

// ---- progress and the closing line ---------------------------------------------

/// The sample: 282 tests, one of them failed, with its dstat log: five
/// files in the tempest format.
#[test]
fn the_last_line_says_what_was_written_where() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out");
    let o = exe()
        .arg("-f")
        .arg(sample("run.subunit"))
        .arg("--dstat")
        .arg(sample("dstat.csv"))
        .arg(&dest)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let want = format!(
        "wrote 5 files for 1 stream (282 tests, 1 failed) to {}",
        dest.display()
    );
    let err = stderr(&o);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("wrote ")).count(),
        1,
        "{err}"
    );
    assert!(err.lines().any(|l| l == want), "{err}");
    assert_eq!(fs::read_dir(&dest).unwrap().count(), 5);
}

#[test]
fn the_last_line_counts_every_stream_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out");
    let o = exe()
        .arg("--html")
        .arg("-f")
        .arg(sample("run.subunit"))
        .arg("-f")
        .arg(small())
        .arg(&dest)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let files = fs::read_dir(&dest).unwrap().count();
    assert_eq!(files, 8, "config, index.html and 3 per stream");
    let err = stderr(&o);
    let line = err
        .lines()
        .find(|l| l.starts_with("wrote "))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(line.starts_with("wrote 8 files for 2 streams ("), "{line}");
    assert!(line.ends_with(&format!(" to {}", dest.display())), "{line}");
}

#[test]
fn no_progress_drawing_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let o = exe()
        .arg("-f")
        .arg(sample("run.subunit"))
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert!(!err.contains('\r') && !err.contains('\u{1b}'), "{err:?}");
    assert!(!err.contains("tests so far"), "{err}");
}

#[test]
fn on_a_terminal_progress_is_redrawn_in_place_and_quiet_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out");
    let stream = sample("run.subunit");
    let (code, out) = run_on_a_terminal(&["-f".as_ref(), stream.as_os_str(), dest.as_os_str()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("tests so far"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("wrote 4 files for 1 stream (282 tests, 1 failed)")),
        "{out:?}"
    );
    let (code, out) = run_on_a_terminal(&[
        "-q".as_ref(),
        "-f".as_ref(),
        stream.as_os_str(),
        dir.path().join("quiet").as_os_str(),
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out, "");
}

// ---- shell completions and the man page -----------------------------------------

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef stackviz-export"),
        ("fish", "complete -c stackviz-export"),
    ] {
        let o = exe().args(["--completions", shell]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains(marker), "{shell}: {text}");
        assert!(text.contains("stream-file"), "{shell}");
    }
    let o = exe().args(["--completions", "tcsh"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_with_every_option() {
    let o = exe().arg("--man").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.starts_with(".ie") || text.contains(".TH stackviz-export"),
        "{text}"
    );
    for opt in ["stream\\-file", "repository", "all\\-runs", "dstat", "html"] {
        assert!(text.contains(opt), "{opt} missing");
    }
}

// ---- -z and --gzip-level -----------------------------------------------------

fn gunzip(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    // The single-member decoder, as a browser reads Content-Encoding: gzip.
    flate2::read::GzDecoder::new(fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn every_gzip_level_writes_the_plain_files_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("real_testtools_c4", "testtools.subunit");
    let plain = dir.path().join("plain");
    exe().arg("-qf").arg(&input).arg(&plain).assert().success();
    let mut sizes = Vec::new();
    for level in ["1", "9"] {
        let dest = dir.path().join(level);
        exe()
            .args(["-q", "-z", "--gzip-level", level, "-f"])
            .arg(&input)
            .arg(&dest)
            .assert()
            .success();
        let mut total = 0;
        for kind in ["raw", "tree", "details"] {
            let name = format!("tempest_file_testtools.subunit_0_{kind}.json");
            let gz = dest.join(format!("{name}.gz"));
            let want = fs::read(plain.join(&name)).unwrap();
            assert_eq!(gunzip(&gz), want, "{gz:?}");
            // The usual tools read it too, where they are installed.
            let py = "import gzip, sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())";
            for tool in [&["gzip", "-dc"][..], &["python3", "-c", py]] {
                if let Ok(o) = StdCommand::new(tool[0]).args(&tool[1..]).arg(&gz).output() {
                    assert!(o.status.success(), "{tool:?} {gz:?}");
                    assert_eq!(o.stdout, want, "{tool:?} {gz:?}");
                }
            }
            total += fs::metadata(&gz).unwrap().len();
        }
        sizes.push(total);
    }
    assert!(sizes[1] < sizes[0], "level 9 is smaller than 1: {sizes:?}");
}

#[test]
fn a_gzip_level_out_of_range_is_a_usage_error_and_without_z_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out");
    for level in ["0", "10"] {
        let o = exe()
            .args(["-z", "--gzip-level", level, "-f"])
            .arg(small())
            .arg(&dest)
            .output()
            .unwrap();
        let err = assert_usage_error(&o, &dest);
        assert!(err.contains("--gzip-level"), "{level}: {err}");
    }
    let o = exe()
        .args(["--gzip-level", "5", "-f"])
        .arg(small())
        .arg(&dest)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let ours = "stackviz-export: warning: --gzip-level has no effect without -z/--gzip: \
                add -z to gzip the data files";
    assert_eq!(warnings(&o).first().map(String::as_str), Some(ours));
    assert!(dest.join("tempest_file_s.subunit_0_raw.json").is_file());
}

/// A report path that is a FIFO the user may not write to is a usage error
/// before anything is written (it would only be opened after the commit);
/// a dangling symlink gets its file, as the shell's `>` does.
#[test]
fn report_targets_that_are_not_plain_files_are_checked_first() {
    let dir = open_dir();
    let input = dir.path().join("s.subunit");
    fs::copy(small(), &input).unwrap();
    set_mode(&input, 0o644);
    let fifo = dir.path().join("junit.fifo");
    assert!(StdCommand::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    set_mode(&fifo, 0o444);
    let dest = dir.path().join("out");
    let o = run_unprivileged(&[
        "--junit".as_ref(),
        fifo.as_os_str(),
        "-f".as_ref(),
        input.as_os_str(),
        dest.as_os_str(),
    ]);
    let err = assert_usage_error(&o, &dest);
    assert!(err.contains("--junit: cannot write to"), "{err}");
    assert!(err.to_lowercase().contains("permission denied"), "{err}");
    let target = dir.path().join("reports-target.json");
    let link = dir.path().join("ctrf.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let o = exe()
        .args(["-q", "--ctrf"])
        .arg(&link)
        .arg("-f")
        .arg(&input)
        .arg(&dest)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&target)
        .unwrap()
        .contains("\"reportFormat\""));
}
