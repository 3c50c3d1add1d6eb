//! Running the exporter the way the CI-output tests do, and reading its
//! JUnit back with `junitparser` from the reference tools' venv.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(case: &str, file: &str) -> PathBuf {
    root().join("fixtures/conformance").join(case).join(file)
}

pub fn exe() -> Command {
    Command::cargo_bin("stackviz-export").unwrap()
}

/// Runs the exporter into `<tmp>/out` with `args`; returns the output.
pub fn run(tmp: &Path, args: &[&std::ffi::OsStr]) -> Output {
    exe()
        .arg(tmp.join("out"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

pub fn os<S: AsRef<std::ffi::OsStr> + ?Sized>(s: &S) -> &std::ffi::OsStr {
    s.as_ref()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(path: &Path) -> Value {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The venv with the reference Python tools, or why it cannot be used.
pub fn venv_python() -> Option<PathBuf> {
    let venv = std::env::var_os("STACKVIZ_TOOLS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".tools/venv"));
    let py = venv.join("bin/python");
    let ok = py.is_file()
        && std::process::Command::new(&py)
            .args(["-c", "import junitparser"])
            .output()
            .is_ok_and(|o| o.status.success());
    if ok {
        return Some(py);
    }
    let why = format!(
        "junitparser not found in {} (run scripts/setup-test-tools.sh)",
        venv.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{why}");
    }
    eprintln!("skipped: {why}");
    None
}

pub const READ_JUNIT: &str = r#"
import json, sys
from junitparser import JUnitXml, Failure, Skipped, Error
xml = JUnitXml.fromfile(sys.argv[1])
out = {"tests": xml.tests, "failures": xml.failures, "errors": xml.errors, "suites": []}
for s in xml:
    cases = []
    for c in s:
        cases.append({
            "classname": c.classname, "name": c.name, "time": c.time,
            "results": [[type(r).__name__, r.message, r.type] for r in c.result],
            "props": [[p.name, p.value] for p in c.properties()] if hasattr(c, "properties") else [],
        })
    out["suites"].append({
        "name": s.name, "tests": s.tests, "failures": s.failures, "errors": s.errors,
        "skipped": s.skipped, "time": s.time, "timestamp": s.timestamp,
        "hostname": s.hostname, "props": [[p.name, p.value] for p in s.properties()],
        "cases": cases,
    })
print(json.dumps(out))
"#;

pub fn read_junit(py: &Path, file: &Path) -> Value {
    let o = std::process::Command::new(py)
        .args(["-c", READ_JUNIT])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "junitparser failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Exports `stream` into `<tmp>/out` with `-e --junit <tmp>/junit.xml` and
/// `JOB_NAME` set to `job`, which must succeed; returns the JUnit file's
/// text and what junitparser reads in it.
pub fn junit_with_job(py: &Path, tmp: &Path, stream: &Path, job: &str) -> (String, Value) {
    let junit = tmp.join("junit.xml");
    let o = exe()
        .arg(tmp.join("out"))
        .args(["-e", "--junit"])
        .arg(&junit)
        .arg("-f")
        .arg(stream)
        .env("JOB_NAME", job)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    (fs::read_to_string(&junit).unwrap(), read_junit(py, &junit))
}
