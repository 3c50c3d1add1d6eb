//! `--baseline PATH`: the run(s) an export is compared with when there is
//! no store. PATH is a subunit stream, a test repository (its latest run),
//! or the DEST of an earlier export (its raw test lists, either format,
//! gzipped or not).

use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use crate::history::{RunBuilder, RunInput};
use crate::input::repo::{self, Repository};
use crate::input::source::{self, Origin};
use crate::{Error, Result};

/// Reads every run the baseline holds (one, except an earlier export of
/// several streams).
pub fn read(path: &Path) -> Result<Vec<RunInput>> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Error::Usage(format!(
            "--baseline not found: {} ({})",
            path.display(),
            super::plan::io_reason(&e)
        ))
    })?;
    if meta.is_dir() {
        if path.join("config.json").is_file() {
            return read_dest(path);
        }
        let repo = Repository::open(path).map_err(|_| {
            Error::Usage(format!(
                "--baseline {}: neither an earlier export (no config.json) nor a test repository",
                path.display()
            ))
        })?;
        let Some(run) = repo.latest_run()? else {
            return Err(Error::Usage(format!(
                "--baseline {}: the repository has no runs",
                path.display()
            )));
        };
        let provider = format!("repo_{}", repo::repo_basename(path));
        let description = format!("baseline {} ({})", path.display(), run.id);
        return Ok(vec![read_stream(
            &Origin::File(run.path),
            &provider,
            &description,
        )?]);
    }
    let provider = format!("file_{}", source::basename(path));
    let description = format!("baseline {}", path.display());
    Ok(vec![read_stream(
        &Origin::File(path.to_owned()),
        &provider,
        &description,
    )?])
}

fn read_stream(origin: &Origin, provider: &str, description: &str) -> Result<RunInput> {
    let mut b = RunBuilder::new(provider, description);
    super::pipeline::for_each_entry(origin, &mut |e| {
        b.push(&e.id, e.status.as_str(), e.start, e.end)
    })?;
    Ok(b.finish())
}

#[derive(Deserialize)]
struct RawTest {
    name: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    timestamps: Option<Vec<Option<String>>>,
}

/// Reads an earlier export: each stream's raw test list as one run.
fn read_dest(dir: &Path) -> Result<Vec<RunInput>> {
    let config: serde_json::Value =
        serde_json::from_slice(&read_file(&dir.join("config.json"))?)
            .map_err(|e| bad(dir, &format!("config.json is not JSON ({e})")))?;
    // (provider, description, raw file)
    let mut streams: Vec<(String, String, String)> = Vec::new();
    if let Some(list) = config.get("tempest").and_then(|v| v.as_array()) {
        for s in list {
            let raw = s.get("raw").and_then(|v| v.as_str()).unwrap_or_default();
            let name = s.get("name").and_then(|v| v.as_str()).unwrap_or_default();
            // tempest_<P>_<i>_raw.json
            let provider = raw
                .strip_prefix("tempest_")
                .and_then(|r| r.rsplit_once("_raw.json").map(|x| x.0))
                .and_then(|r| r.rsplit_once('_').map(|x| x.0))
                .unwrap_or_default();
            streams.push((provider.to_owned(), name.to_owned(), raw.to_owned()));
        }
    } else if let Some(sets) = config.get("datasets").and_then(|v| v.as_array()) {
        for d in sets {
            let arts = d.get("artifacts").and_then(|v| v.as_array());
            for a in arts.into_iter().flatten() {
                if a.get("artifact_type").and_then(|v| v.as_str()) != Some("subunit") {
                    continue;
                }
                let path = a.get("path").and_then(|v| v.as_str()).unwrap_or_default();
                let name = a
                    .get("artifact_name")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                streams.push((String::new(), name.to_owned(), path.to_owned()));
            }
        }
    }
    if streams.is_empty() {
        return Err(bad(dir, "config.json lists no test data"));
    }
    let mut runs = Vec::new();
    for (provider, name, raw) in streams {
        // Only plain names inside DEST.
        if raw.is_empty() || raw.contains('/') || raw.contains('\\') || raw.starts_with('.') {
            return Err(bad(dir, "config.json names a file outside the export"));
        }
        let path = dir.join(&raw);
        let bytes = read_file(&path)?;
        let tests: Vec<RawTest> = serde_json::from_slice(&bytes)
            .map_err(|e| bad(dir, &format!("{raw} is not a raw test list ({e})")))?;
        let mut b = RunBuilder::new(&provider, &format!("baseline {} ({name})", dir.display()));
        for t in tests {
            let ts = t.timestamps.unwrap_or_default();
            let at = |i: usize| ts.get(i).cloned().flatten().and_then(|s| parse_iso(&s));
            b.push(
                &t.name,
                t.status.as_deref().unwrap_or("unknown"),
                at(0),
                at(1),
            );
        }
        runs.push(b.finish());
    }
    Ok(runs)
}

fn bad(dir: &Path, why: &str) -> Error {
    Error::Usage(format!(
        "--baseline {}: not a readable export: {why}",
        dir.display()
    ))
}

/// A file's bytes, gunzipped when it ends in `.gz`.
fn read_file(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if path.extension().is_some_and(|x| x == "gz") {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| Error::io(path, e))?;
        return Ok(out);
    }
    Ok(bytes)
}

/// `2015-10-05T19:49:04.812133+00:00` to microseconds since the epoch.
fn parse_iso(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times() {
        assert_eq!(
            parse_iso("2015-10-05T19:49:04.812133+00:00"),
            Some(1_444_074_544_812_133)
        );
        assert_eq!(
            parse_iso("2015-10-05T19:49:04+00:00"),
            Some(1_444_074_544_000_000)
        );
        assert_eq!(parse_iso("yesterday"), None);
    }
}
