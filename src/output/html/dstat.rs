//! dstat CSV to chart series.

use super::MAX_DSTAT_POINTS;

/// A dstat log as chart series.
#[derive(Debug, PartialEq)]
pub(super) struct DstatSeries {
    /// µs since the epoch, ascending.
    pub t: Vec<i64>,
    /// (`usr`, `sys`, `idl`, `wai`, `used`, `read`, `writ`, `recv`, `send`)
    /// → one value per point, for the columns the log has.
    pub series: Vec<(&'static str, Vec<Option<f64>>)>,
}

/// Which column feeds each series: (key, group candidates, column name).
/// A group ending in `*` matches by prefix; the first match wins.
const DSTAT_COLUMNS: [(&str, &[&str], &str); 9] = [
    ("usr", &["total cpu usage", "cpu*"], "usr"),
    ("sys", &["total cpu usage", "cpu*"], "sys"),
    ("idl", &["total cpu usage", "cpu*"], "idl"),
    ("wai", &["total cpu usage", "cpu*"], "wai"),
    ("used", &["memory usage", "mem*"], "used"),
    ("read", &["dsk/total", "dsk/*"], "read"),
    ("writ", &["dsk/total", "dsk/*"], "writ"),
    ("recv", &["net/total", "net/*"], "recv"),
    ("send", &["net/total", "net/*"], "send"),
];

/// Parses a classic dstat CSV. `near` (µs since the epoch) picks each
/// row's year: the one that puts the row closest to it.
pub(super) fn parse_dstat(bytes: &[u8], near: i64) -> Result<DstatSeries, String> {
    if let Some(why) = crate::dstat::problem(bytes) {
        return Err(why);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = rdr.byte_records();
    let text = |c: &[u8]| String::from_utf8_lossy(c).trim().to_owned();
    let mut prev: Option<Vec<String>> = None;
    let mut header = None;
    for row in rows.by_ref() {
        let row = row.map_err(|e| format!("not readable as CSV: {e}"))?;
        let row: Vec<String> = row.iter().map(text).collect();
        if let Some(groups) = &prev {
            if let Some(i) = groups.iter().position(|g| g == "system") {
                if row.get(i).map(String::as_str) == Some("time") {
                    header = Some((groups.clone(), row, i));
                    break;
                }
            }
        }
        prev = Some(row);
    }
    let (groups, names, time_col) =
        header.ok_or("no \"system\" group with a \"time\" column in the header rows")?;
    // A group name covers its column and the unnamed ones after it.
    let mut group_of = Vec::with_capacity(names.len());
    let mut g = "";
    for i in 0..names.len() {
        if let Some(name) = groups.get(i).filter(|s| !s.is_empty()) {
            g = name;
        }
        group_of.push(g);
    }
    let find = |cands: &[&str], col: &str| {
        cands.iter().find_map(|cand| {
            (0..names.len()).find(|&i| {
                let grp = group_of[i];
                let hit = match cand.strip_suffix('*') {
                    Some(prefix) => grp.starts_with(prefix),
                    None => grp == *cand,
                };
                hit && names[i] == col
            })
        })
    };
    let cols: Vec<(&'static str, usize)> = DSTAT_COLUMNS
        .iter()
        .filter_map(|(key, cands, col)| find(cands, col).map(|i| (*key, i)))
        .collect();
    if cols.is_empty() {
        return Err("no CPU, memory, disk or network columns".into());
    }
    let mut points: Vec<(i64, Vec<Option<f64>>)> = Vec::new();
    let mut bad = 0usize;
    for row in rows {
        let row = row.map_err(|e| format!("not readable as CSV: {e}"))?;
        let Some(t) = row
            .get(time_col)
            .and_then(|c| dstat_time(&String::from_utf8_lossy(c), near))
        else {
            bad += 1;
            continue;
        };
        let values = cols
            .iter()
            .map(|&(_, i)| {
                row.get(i)
                    .and_then(|c| std::str::from_utf8(c).ok())
                    .and_then(|c| c.trim().parse::<f64>().ok())
                    .filter(|v| v.is_finite())
            })
            .collect();
        points.push((t, values));
    }
    if points.is_empty() {
        return Err(if bad > 0 {
            format!("none of its {bad} data rows has a time like \"05-10 19:49:04\"")
        } else {
            "it has no data rows".into()
        });
    }
    points.sort_by_key(|p| p.0);
    let per = points.len().div_ceil(MAX_DSTAT_POINTS);
    let mut t = Vec::with_capacity(points.len() / per + 1);
    let mut series: Vec<(&'static str, Vec<Option<f64>>)> =
        cols.iter().map(|(k, _)| (*k, Vec::new())).collect();
    for group in points.chunks(per) {
        t.push(group[0].0 + (group[group.len() - 1].0 - group[0].0) / 2);
        for (c, (_, out)) in series.iter_mut().enumerate() {
            let vals: Vec<f64> = group.iter().filter_map(|p| p.1[c]).collect();
            out.push((!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64));
        }
    }
    Ok(DstatSeries { t, series })
}

/// `DD-MM HH:MM:SS` as µs since the epoch (UTC), in the year that puts it
/// nearest to `near`.
pub(super) fn dstat_time(cell: &str, near: i64) -> Option<i64> {
    use chrono::{Datelike, NaiveDate, NaiveTime};
    let cell = cell.trim();
    let (date, time) = cell.split_once(' ')?;
    let (d, m) = date.split_once('-')?;
    let (d, m): (u32, u32) = (d.parse().ok()?, m.parse().ok()?);
    let time = NaiveTime::parse_from_str(time.trim(), "%H:%M:%S").ok()?;
    let year = chrono::DateTime::from_timestamp(near.div_euclid(1_000_000), 0)?.year();
    (year - 1..=year + 1)
        .filter_map(|y| NaiveDate::from_ymd_opt(y, m, d))
        .map(|date| date.and_time(time).and_utc().timestamp() * 1_000_000)
        .min_by_key(|t| (t - near).abs())
}
