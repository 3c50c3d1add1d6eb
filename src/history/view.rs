//! How a run's history is shown: console lines and `history.json`, the
//! data the report and other outputs read.

use super::{FailureKind, Marks, Outcome, Recent};

/// One exported stream's history.
#[derive(Debug, Clone)]
pub struct StreamHistory {
    /// Position among the exported streams (config.json order).
    pub index: usize,
    pub description: String,
    /// `runs.uuid` in the store (what `sql2subunit` takes); empty without
    /// a store.
    pub run_uuid: String,
    /// False when the store already held this run (exported before).
    pub stored: bool,
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
/// Written by hand: the strips (one per test, ten points each) are most of
/// the file, and going through serde's maps and tuples cost several times
/// the writing itself.
pub fn to_json(all: &[StreamHistory]) -> Vec<u8> {
    let strip_points: usize = all
        .iter()
        .flat_map(|h| h.marks.strips.values())
        .map(Vec::len)
        .sum();
    let mut out = Vec::with_capacity(256 + strip_points * 24);
    out.extend_from_slice(b"{\"version\":1,\"streams\":[");
    for (i, h) in all.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"index\":");
        out.extend_from_slice(h.index.to_string().as_bytes());
        out.extend_from_slice(b",\"description\":");
        write_str(&mut out, &h.description);
        out.extend_from_slice(b",\"run_uuid\":");
        write_str(&mut out, &h.run_uuid);
        out.extend_from_slice(if h.stored {
            b",\"stored\":true,\"marks\":"
        } else {
            b",\"stored\":false,\"marks\":"
        });
        marks_json(&mut out, &h.marks);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    out
}

fn marks_json(out: &mut Vec<u8>, m: &Marks) {
    let names = |out: &mut Vec<u8>, key: &str, names: &mut dyn Iterator<Item = &str>| {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":[");
        for (i, n) in names.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, n);
        }
        out.push(b']');
    };
    out.extend_from_slice(b"{\"previous\":");
    match &m.previous {
        Some(p) => write_str(out, p),
        None => out.extend_from_slice(b"null"),
    }
    for kind in [FailureKind::New, FailureKind::Known, FailureKind::Flaky] {
        names(out, kind.as_str(), &mut m.of_kind(kind));
    }
    out.extend_from_slice(b",\"slower\":[");
    for (i, x) in m.slower.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":");
        write_str(out, &x.name);
        out.extend_from_slice(b",\"seconds\":");
        write_f64(out, x.seconds);
        out.extend_from_slice(b",\"median\":");
        write_f64(out, x.median);
        out.extend_from_slice(b",\"factor\":");
        write_f64(out, x.factor);
        out.push(b'}');
    }
    out.push(b']');
    names(out, "fixed", &mut m.fixed.iter().map(String::as_str));
    names(out, "added", &mut m.added.iter().map(String::as_str));
    names(out, "removed", &mut m.removed.iter().map(String::as_str));
    // Strips by name, each as [status, seconds] pairs, oldest first.
    let mut strips: Vec<(&String, &Vec<Recent>)> = m.strips.iter().collect();
    strips.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.extend_from_slice(b",\"strips\":{");
    for (i, (name, points)) in strips.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, name);
        out.extend_from_slice(b":[");
        for (j, r) in points.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            out.extend_from_slice(match r.outcome {
                Outcome::Fail => b"[\"fail\",",
                _ => b"[\"success\",",
            });
            match r.micros {
                Some(us) => write_seconds(out, us),
                None => out.extend_from_slice(b"null"),
            }
            out.push(b']');
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}}");
}

/// A JSON string literal (serde_json's escaping).
fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A number as serde_json writes it (`null` when not finite).
fn write_f64(out: &mut Vec<u8>, v: f64) {
    if serde_json::to_writer(&mut *out, &v).is_err() {
        out.extend_from_slice(b"null");
    }
}

/// `micros / 1e6` seconds, byte for byte as [`write_f64`] writes that
/// double, from the integer: below 10^15 µs the decimal digits of `micros`
/// are the double's shortest round-trip digits.
fn write_seconds(out: &mut Vec<u8>, micros: i64) {
    if !(10..1_000_000_000_000_000).contains(&micros) {
        return write_f64(out, micros as f64 / 1e6);
    }
    let whole = micros / 1_000_000;
    let mut frac = micros % 1_000_000;
    out.extend_from_slice(whole.to_string().as_bytes());
    out.push(b'.');
    if frac == 0 {
        out.push(b'0');
        return;
    }
    let mut digits = 6;
    while frac % 10 == 0 {
        frac /= 10;
        digits -= 1;
    }
    let text = frac.to_string();
    out.extend(std::iter::repeat_n(b'0', digits - text.len()));
    out.extend_from_slice(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The integer path writes what serde_json writes for the double.
    #[test]
    fn seconds_match_serde_json() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut values: Vec<i64> = (0..3_000).collect();
        for _ in 0..20_000 {
            values.push(rng.random_range(0..2_000_000_000_000_000));
            values.push(rng.random_range(0..100_000_000));
        }
        values.extend([999_999, 1_000_000, 1_000_001, 10_000_000, 123_000_000]);
        for us in values {
            let mut ours = Vec::new();
            write_seconds(&mut ours, us);
            let theirs = serde_json::to_vec(&(us as f64 / 1e6)).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap(),
                "{us} µs"
            );
        }
    }
}
