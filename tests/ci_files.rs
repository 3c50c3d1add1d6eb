//! Where the CI report files go and what they carry in the cases a probe
//! tries: paths checked before anything is written, report files that
//! clash with the export's own, symlinks, FIFOs and standard output,
//! parametrised test names, characters XML lacks.

use std::fs;

use serde_json::Value;

mod common;
use common::ci_formats::ctrf_problems;
use common::ci_run::*;

#[test]
fn side_files_are_checked_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let s = fixture("syn_statuses", "s.subunit");
    for flag in ["--junit", "--ctrf", "--markdown", "--trace"] {
        let o = run(tmp.path(), &[os(flag), os(tmp.path()), os("-f"), os(&s)]);
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("is a directory"),
            "{flag}: {}",
            stderr(&o)
        );
        assert!(!tmp.path().join("out").exists(), "{flag}: nothing written");
    }
    // A file under a regular file cannot be created either.
    let blocker = tmp.path().join("plain");
    fs::write(&blocker, "x").unwrap();
    let o = run(
        tmp.path(),
        &[os("--ctrf"), os(&blocker.join("c.json")), os("-f"), os(&s)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!tmp.path().join("out").exists());
    // The same file for two outputs.
    let same = tmp.path().join("same");
    let o = run(
        tmp.path(),
        &[
            os("--ctrf"),
            os(&same),
            os("--trace"),
            os(&same),
            os("-f"),
            os(&s),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// A report file named like one of the export's own files in DEST would
/// silently replace it, or be replaced (or be removed as a stale output
/// of the previous export there): a usage error, with nothing changed.
#[test]
fn a_report_file_that_is_one_of_the_exports_files_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let s = fixture("syn_statuses", "s.subunit");
    for (flag, name, extra) in [
        ("--junit", "config.json", None),
        ("--ctrf", "index.html", Some("--html")),
        ("--trace", "tempest_file_s.subunit_0_raw.json", None),
    ] {
        // Spelled another way than DEST, as users do.
        let file = tmp.path().join("out/../out").join(name);
        let mut args = vec![os(flag), os(&file), os("-f"), os(&s)];
        args.extend(extra.map(os));
        let o = run(tmp.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{flag} {name}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("is also one of the export's files in DEST"),
            "{}",
            stderr(&o)
        );
        assert!(!out.exists(), "{flag} {name}: nothing left");
    }
    // A data file of the previous export there, which this one removes.
    let o = run(tmp.path(), &[os("-f"), os(&s)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = fs::read(out.join("config.json")).unwrap();
    let other = tmp.path().join("other.subunit");
    fs::copy(&s, &other).unwrap();
    let stale = out.join("tempest_file_s.subunit_0_tree.json");
    let o = run(
        tmp.path(),
        &[os("--junit"), os(&stale), os("-f"), os(&other)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(fs::read(out.join("config.json")).unwrap(), before);
    assert!(
        json(&stale).is_object(),
        "the previous export's tree is kept"
    );
}

/// A clash with a name known before the stream is read (`config.json`,
/// `index.html` with `--html`, the previous export's files) is refused
/// before reading it: here standard input stays open and unwritten, so an
/// export that read it first would never end.
#[test]
fn a_clash_known_in_advance_is_refused_before_the_stream_is_read() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for (flag, name, extra) in [
        ("--junit", "config.json", None),
        ("--ctrf", "index.html", Some("--html")),
    ] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_stackviz-export"));
        cmd.current_dir(tmp.path())
            .args([os(flag), os(&out.join(name)), os("-i"), os(&out)])
            .args(extra.map(os))
            .stdin(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let _stdin = child.stdin.take();
        let t0 = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if t0.elapsed() > Duration::from_secs(20) {
                child.kill().unwrap();
                panic!("{flag} {name}: still reading the stream");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(2), "{flag} {name}");
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert!(
            err.contains("is also one of the export's files in DEST"),
            "{err}"
        );
        assert!(!out.exists(), "{flag} {name}: nothing left");
    }
}

/// A report path that is a symlink or a FIFO (or `/dev/stdout`) is
/// written through once the export is in place: renaming over it would
/// replace the link or the FIFO with a file. A new report file gets the
/// mode any new file gets (tempfile's own default is 0600).
#[test]
fn reports_go_through_links_and_fifos_and_are_readable() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let tmp = tempfile::tempdir().unwrap();
    let s = fixture("syn_statuses", "s.subunit");
    let real = tmp.path().join("real.xml");
    fs::write(&real, "old").unwrap();
    let link = tmp.path().join("link.xml");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let fifo = tmp.path().join("ctrf.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    let md = tmp.path().join("summary.md");
    let o = run(
        tmp.path(),
        &[
            os("--junit"),
            os(&link),
            os("--ctrf"),
            os(&fifo),
            os("--markdown"),
            os(&md),
            os("-f"),
            os(&s),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(fs::read_to_string(&real).unwrap().starts_with("<?xml"));
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    let ctrf: Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert!(ctrf_problems(&ctrf).is_empty());
    // Readable by group and others unless the umask says otherwise (the
    // test process's umask is the one the export got).
    let umask = {
        let o = std::process::Command::new("sh")
            .args(["-c", "umask"])
            .output()
            .unwrap();
        u32::from_str_radix(String::from_utf8_lossy(&o.stdout).trim(), 8).unwrap()
    };
    let mode = fs::metadata(&md).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o666 & !umask, "{mode:o}");
    let data = fs::metadata(tmp.path().join("out/config.json")).unwrap();
    assert_eq!(data.permissions().mode() & 0o777, mode);
    // `-` is standard output.
    let o = run(tmp.path(), &[os("--markdown"), os("-"), os("-f"), os(&s)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("## Test results\n"), "{out}");
    assert!(!tmp.path().join("-").exists());
}

#[test]
fn failed_export_leaves_no_side_file_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let junit = tmp.path().join("j.xml");
    let o = run(
        tmp.path(),
        &[
            os("--junit"),
            os(&junit),
            os("-r"),
            os(&fixture("repo_missing_run_file", "holey")),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!junit.exists());
    let left: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.iter().all(|n| !n.to_string_lossy().ends_with(".part")),
        "{left:?}"
    );
}

// ------------------------------------------------------------------ JUnit

/// Parametrised tests stay apart in the CI files, although their JSON
/// names lose the parameters (upstream's rule): GitLab keys test cases by
/// classname and name and drops repeats, so a failing `test_x[2]` would
/// vanish behind a passing `test_x[1]`.
#[test]
fn parametrised_tests_keep_their_parameters_in_ci_files() {
    let Some(py) = venv_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("p.subunit");
    fs::write(
        &stream,
        "test: pkg.C.test_x[1.5]\nsuccess: pkg.C.test_x[1.5]\n\
         test: pkg.C.test_x[2]\nfailure: pkg.C.test_x[2] [\nValueError: two\n]\n\
         test: test_y (pkg.C)\nsuccess: test_y (pkg.C)\n",
    )
    .unwrap();
    let (junit, ctrf) = (tmp.path().join("j.xml"), tmp.path().join("c.json"));
    let o = run(
        tmp.path(),
        &[
            os("--junit"),
            os(&junit),
            os("--ctrf"),
            os(&ctrf),
            os("-f"),
            os(&stream),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got = read_junit(&py, &junit);
    let cases: Vec<(String, String, usize)> = got["suites"][0]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["classname"].as_str().unwrap().to_owned(),
                c["name"].as_str().unwrap().to_owned(),
                c["results"].as_array().unwrap().len(),
            )
        })
        .collect();
    let want = [
        ("pkg.C", "test_x[1.5]", 0),
        ("pkg.C", "test_x[2]", 1),
        ("pkg.C", "test_y", 0),
    ];
    let want: Vec<(String, String, usize)> = want
        .iter()
        .map(|(c, n, r)| (c.to_string(), n.to_string(), *r))
        .collect();
    assert_eq!(cases, want);
    let names: Vec<String> = json(&ctrf)["results"]["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        ["pkg.C.test_x[1.5]", "pkg.C.test_x[2]", "pkg.C.test_y"]
    );
    // The console summary names the failing parameter too.
    assert!(
        stderr(&o).contains("pkg.C.test_x[2]: ValueError: two"),
        "{}",
        stderr(&o)
    );
}

/// U+FFFE and U+FFFF are not XML characters: one anywhere (a test id, a
/// traceback, the stream's file name, CI metadata) used to make the whole
/// report unreadable to every XML parser.
#[test]
fn junit_replaces_characters_xml_lacks() {
    let Some(py) = venv_python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let stream = tmp.path().join("run\u{FFFF}.subunit");
    fs::write(
        &stream,
        "test: pkg.Case\u{FFFE}.test_a\n\
         failure: pkg.Case\u{FFFE}.test_a [\n\
         Traceback (most recent call last):\n\
         ValueError: bad \u{FFFF} value\n]\n",
    )
    .unwrap();
    let (text, got) = junit_with_job(&py, tmp.path(), &stream, "job\u{FFFF}");
    assert!(!text.contains(['\u{FFFE}', '\u{FFFF}']), "{text}");
    let suite = &got["suites"][0];
    assert!(
        suite["name"].as_str().unwrap().contains("run\u{FFFD}"),
        "{suite}"
    );
    assert!(
        suite["props"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(["name", "job\u{FFFD}"])),
        "{suite}"
    );
    let case = &suite["cases"][0];
    assert_eq!(case["classname"], "pkg.Case\u{FFFD}");
    assert_eq!(case["name"], "test_a");
    assert_eq!(
        case["results"][0],
        serde_json::json!(["Failure", "ValueError: bad \u{FFFD} value", "ValueError"])
    );
}
