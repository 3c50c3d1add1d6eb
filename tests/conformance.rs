//! Runs the binary on every conformance case under `fixtures/conformance`
//! and compares its output the way SPEC §7 says: JSON as values (key order
//! free, numbers within 1e-9 relative, `tags` as sets, no duplicate keys),
//! `.gz` decompressed, other files byte for byte.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

const EXE: &str = env!("CARGO_BIN_EXE_stackviz-export");
const CI_VARS: [&str; 5] = [
    "ZUUL_PROJECT",
    "ZUUL_CHANGE",
    "ZUUL_PATCHSET",
    "ZUUL_PIPELINE",
    "JOB_NAME",
];

/// Cases whose feature has not landed yet, by name.
const PENDING: &[&str] = &[];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformance")
}

/// A JSON value that rejects objects repeating a key.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::new();
        while let Some(Strict(x)) = seq.next_element()? {
            v.push(x);
        }
        Ok(Value::Array(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let Strict(v) = map.next_value()?;
            if m.insert(k.clone(), v).is_some() {
                return Err(de::Error::custom(format!("duplicate key {k:?}")));
            }
        }
        Ok(Value::Object(m))
    }
}

fn load_json(bytes: &[u8], what: &str) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("{what}: not UTF-8: {e}"))?;
    serde_json::from_str::<Strict>(text)
        .map(|s| s.0)
        .map_err(|e| format!("{what}: not valid JSON: {e}"))
}

fn num_eq(a: &Number, b: &Number) -> bool {
    let (x, y) = (a.as_f64().unwrap(), b.as_f64().unwrap());
    x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs())
}

fn compare(exp: &Value, got: &Value, path: &str) -> Result<(), String> {
    let differ = || format!("{path}: expected {exp}, got {got}");
    match (exp, got) {
        (Value::Number(a), Value::Number(b)) => num_eq(a, b).then_some(()).ok_or_else(differ),
        (Value::Object(a), Value::Object(b)) => {
            if let Some(k) = a.keys().find(|k| !b.contains_key(*k)) {
                return Err(format!("{path}: missing key {k:?}"));
            }
            if let Some(k) = b.keys().find(|k| !a.contains_key(*k)) {
                return Err(format!("{path}: unexpected key {k:?}"));
            }
            for (k, v) in a {
                let sub = format!("{path}.{k}");
                match (k.as_str(), v, &b[k]) {
                    ("tags", Value::Array(x), Value::Array(y)) => {
                        let xs: BTreeSet<String> = x.iter().map(Value::to_string).collect();
                        let ys: BTreeSet<String> = y.iter().map(Value::to_string).collect();
                        if ys.len() != y.len() {
                            return Err(format!("{sub}: duplicate tags {got}"));
                        }
                        if xs != ys {
                            return Err(format!("{sub}: expected tag set {x:?}, got {y:?}"));
                        }
                    }
                    _ => compare(v, &b[k], &sub)?,
                }
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                compare(x, y, &format!("{path}[{i}]"))?;
            }
            (a.len() == b.len())
                .then_some(())
                .ok_or_else(|| format!("{path}: expected {} elements, got {}", a.len(), b.len()))
        }
        _ => (exp == got).then_some(()).ok_or_else(differ),
    }
}

fn gunzip(bytes: &[u8], what: &str) -> Result<Vec<u8>, String> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(format!("{what}: not gzip"));
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| format!("{what}: bad gzip: {e}"))?;
    Ok(out)
}

fn compare_file(exp: &Path, got: &Path, name: &str) -> Result<(), String> {
    let mut e = fs::read(exp).unwrap();
    let mut g = fs::read(got).map_err(|err| format!("{name}: {err}"))?;
    let mut base = name;
    if let Some(b) = name.strip_suffix(".gz") {
        e = gunzip(&e, "expected")?;
        g = gunzip(&g, name)?;
        base = b;
    }
    if base.ends_with(".json") {
        compare(&load_json(&e, "expected")?, &load_json(&g, name)?, "$")
            .map_err(|d| format!("{name}: {d}"))
    } else if e != g {
        Err(format!("{name}: bytes differ"))
    } else {
        Ok(())
    }
}

fn list_files(dir: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// Splits an `args` file the way a shell would for these simple cases.
fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

struct Run {
    code: i32,
    stderr: String,
    dest: PathBuf,
    _tmp: tempfile::TempDir,
}

fn run(case: &Path, argv: &[String], env: &[(String, String)]) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("missing-parent/out");
    let stdin_path = case.join("stdin.subunit");
    let stdin = if stdin_path.exists() {
        Stdio::from(fs::File::open(&stdin_path).unwrap())
    } else {
        Stdio::null()
    };
    let mut cmd = Command::new(EXE);
    cmd.arg(&dest).args(argv).current_dir(case).stdin(stdin);
    for v in CI_VARS {
        cmd.env_remove(v);
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    let out = cmd.output().expect("run the exporter");
    Run {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        dest,
        _tmp: tmp,
    }
}

fn check_case(case: &Path) -> Result<(), String> {
    let read = |n: &str| fs::read_to_string(case.join(n)).ok();
    let args = split_args(&read("args").unwrap());
    let aargs = read("args-artifacts").map_or_else(|| args.clone(), |s| split_args(&s));
    let env: Vec<(String, String)> = read("env")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    let artifacts = |a: &[String]| {
        let mut v = vec!["--format".to_owned(), "artifacts".to_owned()];
        v.extend_from_slice(a);
        v
    };
    if let Some(spec) = read("error") {
        let field = |k: &str| {
            spec.lines()
                .find_map(|l| l.strip_prefix(k))
                .unwrap()
                .to_owned()
        };
        let code: i32 = field("exit=").parse().unwrap();
        let text = field("stderr-contains=");
        for (label, argv) in [("tempest", args.clone()), ("artifacts", artifacts(&aargs))] {
            let r = run(case, &argv, &env);
            if r.code != code {
                return Err(format!("{label}: exit {} not {code}: {}", r.code, r.stderr));
            }
            if !r.stderr.contains(&text) {
                return Err(format!("{label}: stderr lacks {text:?}: {}", r.stderr));
            }
            if r.dest.parent().unwrap().exists() {
                return Err(format!("{label}: output dir was created"));
            }
        }
        return Ok(());
    }
    let mut expected: Vec<String> = fs::read_dir(case)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("expected") && case.join(n).is_dir())
        .collect();
    expected.sort();
    if expected.is_empty() {
        return Err("case has neither expected* nor error".into());
    }
    for exp in expected {
        let mut argv = if exp.contains("artifacts") {
            artifacts(&aargs)
        } else {
            args.clone()
        };
        if exp.ends_with("-gz") {
            argv.insert(0, "-z".into());
        }
        let r = run(case, &argv, &env);
        if r.code != 0 {
            return Err(format!("{exp}: exit {}: {}", r.code, r.stderr));
        }
        let want = list_files(&case.join(&exp));
        let have = list_files(&r.dest);
        if want != have {
            return Err(format!(
                "{exp}: file sets differ: missing {:?}, unexpected {:?}",
                want.difference(&have).collect::<Vec<_>>(),
                have.difference(&want).collect::<Vec<_>>()
            ));
        }
        for name in &want {
            compare_file(&case.join(&exp).join(name), &r.dest.join(name), name)
                .map_err(|e| format!("{exp}/{e}"))?;
        }
    }
    Ok(())
}

#[test]
fn every_conformance_case() {
    let mut cases: Vec<PathBuf> = fs::read_dir(cases_dir())
        .expect("fixtures/conformance")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("args").exists())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 86,
        "expected the full suite, found {}",
        cases.len()
    );
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let chunks: Vec<Vec<PathBuf>> = (0..workers)
        .map(|w| cases.iter().skip(w).step_by(workers).cloned().collect())
        .collect();
    let results: Vec<(String, Result<(), String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|c| {
                            let name = c.file_name().unwrap().to_string_lossy().into_owned();
                            let r = if PENDING.contains(&name.as_str()) {
                                Ok(())
                            } else {
                                check_case(c)
                            };
                            (name, r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(n, r)| r.as_ref().err().map(|e| format!("{n}: {e}")))
        .collect();
    let passed = results.len() - failures.len() - PENDING.len();
    eprintln!(
        "conformance: {passed} passed, {} failed, {} pending {:?}",
        failures.len(),
        PENDING.len(),
        PENDING
    );
    assert!(
        failures.is_empty(),
        "failing cases:\n{}",
        failures.join("\n")
    );
}

#[test]
fn json_comparison_is_strict_where_it_must_be() {
    let v = |s: &str| load_json(s.as_bytes(), "t").unwrap();
    assert!(compare(&v(r#"{"a": 0}"#), &v(r#"{"a": 0.0}"#), "$").is_ok());
    assert!(compare(
        &v(r#"{"tags": ["a","b"]}"#),
        &v(r#"{"tags": ["b","a"]}"#),
        "$"
    )
    .is_ok());
    assert!(compare(&v(r#"["a","b"]"#), &v(r#"["b","a"]"#), "$").is_err());
    assert!(compare(&v(r#"{"a": 1}"#), &v(r#"{"a": 1, "b": 2}"#), "$").is_err());
    assert!(compare(&v(r#"{"a": 0.1}"#), &v(r#"{"a": 0.1000001}"#), "$").is_err());
    assert!(load_json(br#"{"a": 1, "a": 2}"#, "t").is_err());
}
