//! Checks shared by the robustness tests and the fuzz targets: an export
//! directory is either a complete, consistent export or untouched.
//! They panic with the path on anything unexpected.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

/// Every file of an export directory: name → bytes (decompressed for `.gz`).
pub type Snapshot = BTreeMap<String, Vec<u8>>;

/// A temporary directory for one input's export: in memory (`/dev/shm`)
/// where there is one, so that fuzz targets exporting thousands of times
/// a second do not wear on a disk.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let root = if shm.is_dir() { shm } else { Path::new("/tmp") };
    tempfile::Builder::new()
        .prefix("svx-fuzz")
        .tempdir_in(root)
        .expect("temp dir")
}

/// Reads every file in `dir` (not recursing), decompressing `.gz` files.
pub fn snapshot(dir: &Path) -> Snapshot {
    let mut out = Snapshot::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let e = e.expect("directory entry");
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().expect("file type").is_file() {
            out.insert(name.clone(), read_plain(&e.path()));
        } else {
            out.insert(format!("{name}/"), Vec::new());
        }
    }
    out
}

/// A file's bytes, gunzipped when its name ends in `.gz`.
pub fn read_plain(path: &Path) -> Vec<u8> {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_some_and(|x| x == "gz") {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap_or_else(|e| panic!("{}: bad gzip: {e}", path.display()));
        out
    } else {
        bytes
    }
}

/// Parses a file as JSON (after gunzip), panicking with the path.
pub fn read_json(path: &Path) -> Value {
    let bytes = read_plain(path);
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

/// Asserts that a file (after gunzip) is one well-formed JSON value. A test
/// id with hundreds of dots makes `tree.json` nest deeper than serde_json's
/// recursion limit, so past that limit the syntax is checked without
/// recursion.
pub fn check_json(path: &Path) {
    let bytes = read_plain(path);
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
        if !e.to_string().contains("recursion limit") {
            panic!("{} is not valid JSON: {e}", path.display());
        }
        if let Err(e) = well_formed(&bytes) {
            panic!("{} is not valid JSON: {e}", path.display());
        }
    }
}

/// Checks JSON syntax with an explicit stack of open containers.
fn well_formed(bytes: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    let b = text.as_bytes();
    let mut stack: Vec<u8> = Vec::new();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && matches!(b[*i], b' ' | b'\t' | b'\n' | b'\r') {
            *i += 1;
        }
    };
    // After a value: a comma, a closing bracket, or the end.
    let mut want_value = true;
    loop {
        skip_ws(&mut i);
        if want_value {
            let top_is_object = stack.last() == Some(&b'{');
            let at = i;
            if top_is_object && b.get(i) != Some(&b'"') {
                return Err(format!("object key expected at byte {at}"));
            }
            match b.get(i) {
                Some(b'[') | Some(b'{') => {
                    stack.push(b[i]);
                    i += 1;
                    skip_ws(&mut i);
                    let close = if b[at] == b'[' { b']' } else { b'}' };
                    if b.get(i) == Some(&close) {
                        stack.pop();
                        i += 1;
                        want_value = false;
                    }
                    continue;
                }
                Some(_) => {
                    // A scalar: strings up to their closing quote, other
                    // tokens up to a delimiter; serde_json judges the token.
                    let end = if b[i] == b'"' {
                        let mut j = i + 1;
                        loop {
                            match b.get(j) {
                                None => return Err(format!("unterminated string at byte {at}")),
                                Some(b'\\') => j += 2,
                                Some(b'"') => break j + 1,
                                Some(_) => j += 1,
                            }
                        }
                    } else {
                        let mut j = i;
                        while j < b.len() && !b" \t\n\r,]}:".contains(&b[j]) {
                            j += 1;
                        }
                        j
                    };
                    serde_json::from_str::<serde::de::IgnoredAny>(&text[i..end])
                        .map_err(|e| format!("bad value at byte {at}: {e}"))?;
                    i = end;
                    if top_is_object {
                        skip_ws(&mut i);
                        if b.get(i) != Some(&b':') {
                            return Err(format!("':' expected at byte {i}"));
                        }
                        i += 1;
                        // The key's value follows.
                        skip_ws(&mut i);
                        stack.push(b':');
                        continue;
                    }
                    want_value = false;
                }
                None => return Err("value expected at the end".into()),
            }
            if stack.last() == Some(&b':') {
                stack.pop();
            }
        } else {
            if stack.last() == Some(&b':') {
                stack.pop();
            }
            match (b.get(i), stack.last()) {
                (None, None) => return Ok(()),
                (Some(b','), Some(_)) => {
                    i += 1;
                    want_value = true;
                }
                (Some(b']'), Some(b'[')) | (Some(b'}'), Some(b'{')) => {
                    stack.pop();
                    i += 1;
                }
                _ => return Err(format!("unexpected byte at {i}")),
            }
        }
    }
}

/// Leftover temporaries in `dir`: any hidden entry (the export's private
/// directory, or `.part` files of earlier versions). A finished or failed
/// export leaves none.
pub fn temp_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            name.starts_with('.').then_some(name)
        })
        .collect()
}

/// What a complete export directory holds, as checked by [`check_export`].
#[derive(Debug)]
pub struct Checked {
    /// The files `config.json` names, in order.
    pub files: Vec<String>,
    /// The `raw` entries of each stream, in order.
    pub raw: Vec<Vec<Value>>,
}

/// Asserts that `dir` holds a complete export: `config.json` parses, every
/// file it names exists and (JSON files) parses, the raw list of each stream
/// has as many entries as its stats say, and no temporary file is left.
pub fn check_export(dir: &Path) -> Checked {
    let leftovers = temp_files(dir);
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let config = read_json(&dir.join("config.json"));
    let mut files = Vec::new();
    let mut raw = Vec::new();
    if let Some(streams) = config.get("tempest") {
        let streams = streams.as_array().expect("tempest is an array");
        for (i, s) in streams.iter().enumerate() {
            assert_eq!(s["id"], i, "ids count from 0");
            for key in ["raw", "tree", "details", "dstat"] {
                if let Some(name) = s.get(key) {
                    files.push(name.as_str().expect("file name").to_owned());
                }
            }
            let entries = read_json(&dir.join(s["raw"].as_str().expect("raw")));
            let entries = entries.as_array().expect("raw is an array").clone();
            assert_eq!(
                s["stats"]["count"].as_u64(),
                Some(entries.len() as u64),
                "stats count disagrees with raw.json"
            );
            read_json(&dir.join(s["details"].as_str().expect("details")));
            raw.push(entries);
        }
    } else {
        assert_eq!(config["deployer"], false, "not an artifacts config");
        let datasets = config["datasets"].as_array().expect("datasets");
        for d in datasets {
            for a in d["artifacts"].as_array().expect("artifacts") {
                let path = a["path"].as_str().expect("path");
                files.push(path.to_owned());
                if a["artifact_type"] == "subunit" {
                    let entries = read_json(&dir.join(path));
                    raw.push(entries.as_array().expect("raw is an array").clone());
                }
            }
        }
    }
    for f in &files {
        let p = dir.join(f);
        assert!(p.is_file(), "config.json names a missing file: {f}");
        if f.contains(".json") {
            check_json(&p);
        } else {
            read_plain(&p);
        }
    }
    Checked { files, raw }
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn deep_json_is_checked_without_recursion() {
        let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(well_formed(deep.as_bytes()), Ok(()));
        let mut tree = String::new();
        for _ in 0..10_000 {
            tree.push_str(r#"{"name":"a\"b","children":["#);
        }
        tree.push_str(r#"{"x":[1,-2.5e3,true,null,"é",{}]}"#);
        tree.push_str(&"]}".repeat(10_000));
        assert_eq!(well_formed(tree.as_bytes()), Ok(()));
        for bad in [
            "[1,]",
            "[1 2]",
            r#"{"a" 1}"#,
            r#"{1:2}"#,
            r#"{"a":}"#,
            "[1]]",
            "[[1]",
            r#"["abc]"#,
            "[01x]",
            "{} {}",
            "",
        ] {
            assert!(well_formed(bad.as_bytes()).is_err(), "{bad:?} passed");
        }
        for good in [
            "[]",
            "{}",
            r#"{"a":[]}"#,
            r#" {"a" : {"b":[ ]} , "c":1 } "#,
            "3",
        ] {
            assert_eq!(well_formed(good.as_bytes()), Ok(()), "{good:?}");
        }
    }
}
