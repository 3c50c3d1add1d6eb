//! How a run's history is shown: console lines and `history.json`, the
//! data the report and other outputs read.

use std::collections::HashMap;

use serde::Serialize;

use super::{FailureKind, Marks, Outcome};

/// One exported stream's history.
#[derive(Debug, Clone, Serialize)]
pub struct StreamHistory {
    /// Position among the exported streams (config.json order).
    pub index: usize,
    pub description: String,
    /// `runs.uuid` in the store (what `sql2subunit` takes); empty without
    /// a store.
    pub run_uuid: String,
    /// False when the store already held this run (exported before).
    pub stored: bool,
    #[serde(serialize_with = "marks_json")]
    pub marks: Marks,
}

/// Lines for the console: counts, then up to `MAX_LISTED` names per list.
pub fn summary_lines(h: &StreamHistory) -> Vec<String> {
    const MAX_LISTED: usize = 10;
    let m = &h.marks;
    let count = |k| m.of_kind(k).count();
    let against = match &m.previous {
        Some(p) => format!(" vs {}", shown(p)),
        None => String::new(),
    };
    let mut lines = vec![format!(
        "History of {}{against}: {} failing ({} new, {} known, {} flaky), {} fixed, {} slower, {} added, {} removed{}",
        shown(&h.description),
        m.failures.len(),
        count(FailureKind::New),
        count(FailureKind::Known),
        count(FailureKind::Flaky),
        m.fixed.len(),
        m.slower.len(),
        m.added.len(),
        m.removed.len(),
        if !h.run_uuid.is_empty() && !h.stored {
            " (already in the store)"
        } else {
            ""
        }
    )];
    let mut list = |label: &str, names: Vec<String>| {
        let n = names.len();
        for name in names.into_iter().take(MAX_LISTED) {
            lines.push(format!("  {label}: {name}"));
        }
        if n > MAX_LISTED {
            lines.push(format!("  … and {} more {label}", n - MAX_LISTED));
        }
    };
    for kind in [FailureKind::New, FailureKind::Flaky, FailureKind::Known] {
        let label = format!("{} failure", kind.as_str());
        list(&label, m.of_kind(kind).map(shown).collect());
    }
    list(
        "slower",
        m.slower
            .iter()
            .map(|s| {
                format!(
                    "{} {:.2} s (median {:.2} s, {:.1}x)",
                    shown(&s.name),
                    s.seconds,
                    s.median,
                    s.factor
                )
            })
            .collect(),
    );
    list("fixed", m.fixed.iter().map(|n| shown(n)).collect());
    list("added", m.added.iter().map(|n| shown(n)).collect());
    list("removed", m.removed.iter().map(|n| shown(n)).collect());
    lines
}

/// Test names are untrusted: control characters escaped, length capped.
fn shown(s: &str) -> String {
    const CAP: usize = 200;
    let long = s.chars().count() > CAP;
    if !long && !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    let mut out: String = s
        .chars()
        .take(CAP)
        .flat_map(|c| c.escape_debug().collect::<Vec<_>>())
        .collect();
    if long {
        out.push('…');
    }
    out
}

/// `history.json`: every stream's marks, for the report and other tools.
pub fn to_json(all: &[StreamHistory]) -> Vec<u8> {
    #[derive(Serialize)]
    struct File<'a> {
        version: u32,
        streams: &'a [StreamHistory],
    }
    serde_json::to_vec(&File {
        version: 1,
        streams: all,
    })
    .unwrap_or_default()
}

fn marks_json<S: serde::Serializer>(m: &Marks, s: S) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    #[derive(Serialize)]
    struct Slow<'a> {
        name: &'a str,
        seconds: f64,
        median: f64,
        factor: Option<f64>,
    }
    let failures: HashMap<&str, Vec<&str>> =
        [FailureKind::New, FailureKind::Known, FailureKind::Flaky]
            .into_iter()
            .map(|k| (k.as_str(), m.of_kind(k).collect()))
            .collect();
    let slower: Vec<Slow> = m
        .slower
        .iter()
        .map(|x| Slow {
            name: &x.name,
            seconds: x.seconds,
            median: x.median,
            factor: x.factor.is_finite().then_some(x.factor),
        })
        .collect();
    // Strips as [status, seconds] pairs, oldest first.
    type Point<'a> = (&'a str, Option<f64>);
    let strips: std::collections::BTreeMap<&String, Vec<Point>> = m
        .strips
        .iter()
        .map(|(n, v)| {
            (
                n,
                v.iter()
                    .map(|r| {
                        let st = match r.outcome {
                            Outcome::Fail => "fail",
                            _ => "success",
                        };
                        (st, r.seconds())
                    })
                    .collect(),
            )
        })
        .collect();
    let mut map = s.serialize_map(Some(8))?;
    map.serialize_entry("previous", &m.previous)?;
    map.serialize_entry("new", &failures["new"])?;
    map.serialize_entry("known", &failures["known"])?;
    map.serialize_entry("flaky", &failures["flaky"])?;
    map.serialize_entry("slower", &slower)?;
    map.serialize_entry("fixed", &m.fixed)?;
    map.serialize_entry("added", &m.added)?;
    map.serialize_entry("removed", &m.removed)?;
    map.serialize_entry("strips", &strips)?;
    map.end()
}
