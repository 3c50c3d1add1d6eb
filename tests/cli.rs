//! The command line as a user meets it: messages, exit codes, quiet mode.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

fn fixture(case: &str, file: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/conformance")
        .join(case)
        .join(file)
}

fn exe() -> Command {
    Command::cargo_bin("stackviz-export").unwrap()
}

#[test]
fn nothing_on_stdout_and_progress_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = exe()
        .arg(dir.path().join("out"))
        .arg("-f")
        .arg(fixture("syn_statuses", "s.subunit"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("Exporting Subunit File: s.subunit"), "{err}");
}

#[test]
fn stray_bytes_warn_with_file_and_offset_unless_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let stream = fixture("syn_non_subunit_prefix", "n.subunit");
    let out = exe()
        .arg(dir.path().join("a"))
        .arg("-f")
        .arg(&stream)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("stackviz-export: warning: n.subunit")
            || err.contains(&format!("warning: {}", stream.display())),
        "{err}"
    );
    assert!(err.contains("byte offset 0"), "{err}");
    let quiet = exe()
        .arg(dir.path().join("b"))
        .args(["-q", "-f"])
        .arg(&stream)
        .output()
        .unwrap();
    assert_eq!(quiet.status.code(), Some(0));
    assert!(quiet.stderr.is_empty());
}

#[test]
fn usage_errors_exit_2_with_the_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    fs::write(&file, b"x").unwrap();
    let out = exe()
        .arg(&file)
        .arg("-f")
        .arg(fixture("syn_statuses", "s.subunit"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("stackviz-export: error: "), "{err}");
    assert!(err.contains("not-a-dir"), "{err}");

    let out = exe()
        .arg(dir.path().join("o"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .starts_with("stackviz-export: error: unexpected argument '--bogus'"));
    assert!(!dir.path().join("o").exists());
}

#[test]
fn a_dstat_log_the_front_end_rejects_is_copied_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let dstat = dir.path().join("pcp.csv");
    fs::write(
        &dstat,
        b"\"pcp-dstat 5.3.7 CSV Output\"\n\"system\"\n\"time\"\n",
    )
    .unwrap();
    let out = exe()
        .arg(dir.path().join("out"))
        .arg("--dstat")
        .arg(&dstat)
        .arg("-f")
        .arg(fixture("syn_statuses", "s.subunit"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("pcp.csv: StackViz will not chart this dstat log"),
        "{err}"
    );
    assert_eq!(
        fs::read(dir.path().join("out/dstat_log.csv")).unwrap(),
        fs::read(&dstat).unwrap()
    );
}

#[test]
fn exporting_again_replaces_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out");
    for case in [("syn_statuses", "s.subunit"), ("syn_tags", "t.subunit")] {
        exe()
            .arg(&dest)
            .arg("-f")
            .arg(fixture(case.0, case.1))
            .assert()
            .success();
    }
    let config = fs::read_to_string(dest.join("config.json")).unwrap();
    assert!(
        config.contains("tempest_file_t.subunit_0_raw.json"),
        "{config}"
    );
    // No temporary files are left behind.
    let leftovers: Vec<_> = fs::read_dir(&dest)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
