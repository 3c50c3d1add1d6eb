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

/// Leftover temporary files (`.<name>.<pid>-<n>.part`) in `dir`.
pub fn temp_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            name.ends_with(".part").then_some(name)
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
            read_json(&p);
        } else {
            read_plain(&p);
        }
    }
    Checked { files, raw }
}
