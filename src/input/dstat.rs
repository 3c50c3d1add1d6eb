//! dstat logs: which header layout a log has, which one each StackViz
//! front-end reads, and one streaming pass that copies the log (byte for
//! byte, or with only its header rewritten for a front-end), finds the time
//! span of its rows and, when asked, averages the chart series — without
//! holding the log in memory.
//!
//! The front-ends read dstat CSV by fixed row positions: row 0 one cell
//! `Dstat … CSV output`, rows 1–3 `Author:`, `Host:`, `Cmdline:`, then the
//! group-name row and the column-name row. dstat ≤ 0.7.2 writes a blank
//! row after `Cmdline:` (groups at row 5; the tempest-layout front-end
//! expects that), dstat 0.7.3+/0.8 does not (groups at row 4; today's
//! front-end expects that). pcp-dstat writes the 0.7.3+ layout under a
//! first row `pcp-dstat X CSV Output` and names its columns `group:column`.

use std::io::{self, BufRead, Write};

/// Chart series are averaged down to at most this many points.
pub const MAX_POINTS: usize = 20_000;
/// Header rows searched for the `system`/`time` pair.
const HEADER_ROWS: usize = 16;
/// A row longer than this is not dstat's; parsing stops, copying goes on.
const MAX_ROW: usize = 1 << 20;
/// Quoted file content in messages is cut to this many bytes.
const QUOTE_CAP: usize = 200;

/// A header layout, as the front-ends see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// dstat ≤ 0.7.2: a blank row after `Cmdline:`, groups at row 5.
    Blank,
    /// dstat 0.7.3+/0.8: no blank row, groups at row 4.
    NoBlank,
    /// pcp-dstat (`version`): the 0.7.3+ layout under its own first row.
    Pcp { version: String },
    /// Our charts read it, but its rows are not where either front-end
    /// looks, for this reason.
    Other(String),
    /// Not a dstat log anyone charts, for this reason.
    Unreadable(String),
}

impl Layout {
    /// How messages name it.
    pub fn describe(&self) -> String {
        match self {
            Layout::Blank => {
                "the dstat 0.7.2-and-older layout (a blank line after \"Cmdline\")".into()
            }
            Layout::NoBlank => "the dstat 0.7.3+ layout (no blank line after \"Cmdline\")".into(),
            Layout::Pcp { version } => format!("a pcp-dstat {version} header"),
            Layout::Other(why) | Layout::Unreadable(why) => why.clone(),
        }
    }
}

/// The row layout a front-end reads: `blank` says whether it expects the
/// blank row after `Cmdline:` (the tempest-layout front-end does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    pub blank: bool,
}

impl Wanted {
    /// Whether a log with `layout` charts in this front-end as it is.
    pub fn accepts(self, layout: &Layout) -> bool {
        matches!(
            (layout, self.blank),
            (Layout::Blank, true) | (Layout::NoBlank, false)
        )
    }
    /// Whether [`scan`] with `fix: Some(self)` can rewrite `layout` for it.
    pub fn can_fix(self, layout: &Layout) -> bool {
        !self.accepts(layout) && !matches!(layout, Layout::Other(_) | Layout::Unreadable(_))
    }
    fn describe(self) -> &'static str {
        if self.blank {
            "the dstat 0.7.2-and-older layout (a blank line after \"Cmdline\")"
        } else {
            "the dstat 0.7.3+ layout (no blank line after \"Cmdline\")"
        }
    }
}

/// Why a front-end that wants `wanted` would not chart a log with `layout`,
/// in words, or `None` when it would.
pub fn mismatch(layout: &Layout, wanted: Wanted, front_end: &str) -> Option<String> {
    if wanted.accepts(layout) {
        return None;
    }
    Some(match layout {
        Layout::Unreadable(why) => format!("StackViz will not chart this dstat log: {why}"),
        Layout::Other(why) => format!("StackViz will not chart this dstat log: {why}"),
        Layout::Pcp { .. } => format!(
            "this log has {}, which neither StackViz front-end reads",
            layout.describe()
        ),
        _ => format!(
            "this log has {}, but the {front_end} front-end reads {}, so its charts stay empty",
            layout.describe(),
            wanted.describe()
        ),
    })
}

/// Chart series: time points and the averaged values of each column found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// µs since the epoch, in file order (dstat writes them ascending).
    pub t: Vec<i64>,
    /// (`usr`, `sys`, `idl`, `wai`, `used`, `read`, `writ`, `recv`, `send`)
    /// → one value per point, for the columns the log has.
    pub series: Vec<(&'static str, Vec<Option<f64>>)>,
}

/// The chart series, or why there are none.
pub type Charts = Result<Series, String>;

/// Which column feeds each series: (key, group candidates, column name).
/// A group ending in `*` matches by prefix; the first match wins.
const COLUMNS: [(&str, &[&str], &str); 9] = [
    ("usr", &["total cpu usage", "total usage", "cpu*"], "usr"),
    ("sys", &["total cpu usage", "total usage", "cpu*"], "sys"),
    ("idl", &["total cpu usage", "total usage", "cpu*"], "idl"),
    ("wai", &["total cpu usage", "total usage", "cpu*"], "wai"),
    ("used", &["memory usage", "mem*"], "used"),
    ("read", &["dsk/total", "dsk/*"], "read"),
    ("writ", &["dsk/total", "dsk/*"], "writ"),
    ("recv", &["net/total", "net/*"], "recv"),
    ("send", &["net/total", "net/*"], "send"),
];

/// What to do in one pass.
pub struct Pass<'a> {
    /// Where the copy goes.
    pub out: &'a mut dyn Write,
    /// Rewrite the header for this front-end when it reads another layout
    /// and the log can be converted; `None` copies byte for byte.
    pub fix: Option<Wanted>,
    /// µs since the epoch near the log's rows: rows carry no year, and the
    /// one nearest this is taken. `None` skips reading times.
    pub near: Option<i64>,
    /// Also average chart series (needs `near`).
    pub charts: bool,
}

/// What one pass found.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    pub layout: Layout,
    /// What the header rewrite did, when it did something.
    pub fixed: Option<String>,
    /// Earliest and latest row time, µs since the epoch.
    pub span: Option<(i64, i64)>,
    /// The chart series, or why there are none (only when asked for).
    pub charts: Option<Charts>,
}

/// Reading the log or writing the copy failed.
#[derive(Debug)]
pub enum PassError {
    Read(io::Error),
    Write(io::Error),
}

/// Copies `input` to `pass.out` and scans it; see the module docs.
pub fn scan(input: &mut dyn BufRead, pass: Pass<'_>) -> Result<Scan, PassError> {
    let Pass {
        out,
        fix,
        near,
        charts,
    } = pass;
    // Header: up to HEADER_ROWS rows, kept until the layout is known.
    let mut rows: Vec<Vec<u8>> = Vec::new();
    let mut too_long = false;
    while rows.len() < HEADER_ROWS {
        let mut row = Vec::new();
        let complete = read_row(input, &mut row, MAX_ROW).map_err(PassError::Read)?;
        if row.is_empty() {
            break;
        }
        rows.push(row);
        if !complete {
            too_long = true;
            break;
        }
        if found_pair(&rows).is_some() {
            break;
        }
    }
    let header = Header::parse(&rows, too_long);
    let mut fixed = None;
    let head: Vec<u8> = match fix.filter(|w| w.can_fix(&header.layout)) {
        Some(w) => {
            let (bytes, what) = header.rewrite(&rows, w);
            fixed = Some(what);
            bytes
        }
        None => rows.concat(),
    };
    out.write_all(&head).map_err(PassError::Write)?;

    let mut data = Data::new(&header, near, charts && near.is_some());
    let mut row = Vec::new();
    loop {
        row.clear();
        let complete = copy_row(input, out, &mut row, MAX_ROW)?;
        if row.is_empty() && complete {
            break;
        }
        if complete {
            data.row(&row);
        } else {
            // Not dstat's; copy the rest without looking at it.
            data.stop();
            loop {
                let buf = input.fill_buf().map_err(PassError::Read)?;
                if buf.is_empty() {
                    break;
                }
                out.write_all(buf).map_err(PassError::Write)?;
                let n = buf.len();
                input.consume(n);
            }
            break;
        }
    }
    let (span, charts) = data.finish(&header, charts);
    Ok(Scan {
        layout: header.layout,
        fixed,
        span,
        charts,
    })
}

/// Reads one row (through `\n`) into `row`, at most `cap` bytes; false when
/// the row was longer (then `row` holds its first `cap` bytes).
fn read_row(input: &mut dyn BufRead, row: &mut Vec<u8>, cap: usize) -> io::Result<bool> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(true);
        }
        let (take, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if row.len() + take > cap {
            let n = cap - row.len();
            row.extend_from_slice(&buf[..n]);
            input.consume(n);
            return Ok(false);
        }
        row.extend_from_slice(&buf[..take]);
        input.consume(take);
        if done {
            return Ok(true);
        }
    }
}

/// Like [`read_row`], but writes every byte to `out` as it goes; on a row
/// longer than `cap`, what was read of it is already written.
fn copy_row(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    row: &mut Vec<u8>,
    cap: usize,
) -> Result<bool, PassError> {
    let complete = read_row(input, row, cap).map_err(PassError::Read)?;
    out.write_all(row).map_err(PassError::Write)?;
    Ok(complete)
}

/// A row without its line ending, as CSV cells (trimmed).
fn cells(row: &[u8]) -> Vec<String> {
    let row = trim_eol(row);
    if row.is_empty() {
        return Vec::new();
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(row);
    match rdr.byte_records().next() {
        Some(Ok(r)) => r
            .iter()
            .map(|c| String::from_utf8_lossy(c).trim().to_owned())
            .collect(),
        _ => vec![String::from_utf8_lossy(row).into_owned()],
    }
}

fn trim_eol(row: &[u8]) -> &[u8] {
    let row = row.strip_suffix(b"\n").unwrap_or(row);
    row.strip_suffix(b"\r").unwrap_or(row)
}

/// pcp-dstat names columns `group:column`; dstat names them `column`.
fn bare_column(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Index of the group row whose `system` group has a `time` column below.
fn found_pair(rows: &[Vec<u8>]) -> Option<(usize, usize)> {
    let n = rows.len();
    if n < 2 {
        return None;
    }
    // Only the newest pair needs checking as rows arrive.
    let groups = cells(&rows[n - 2]);
    let names = cells(&rows[n - 1]);
    groups
        .iter()
        .enumerate()
        .find(|(i, g)| *g == "system" && names.get(*i).map(String::as_str) == Some("time"))
        .map(|(i, _)| (n - 2, i))
}

/// What the header rows say.
struct Header {
    layout: Layout,
    /// Row index of the group names, and the time column.
    pair: Option<(usize, usize)>,
    groups: Vec<String>,
    names: Vec<String>,
}

impl Header {
    fn parse(rows: &[Vec<u8>], too_long: bool) -> Header {
        let pair = (2..=rows.len()).find_map(|n| found_pair(&rows[..n]));
        let (groups, names) = match pair {
            Some((g, _)) => (cells(&rows[g]), cells(&rows[g + 1])),
            None => (Vec::new(), Vec::new()),
        };
        let layout = Self::layout(rows, pair, too_long);
        Header {
            layout,
            pair,
            groups,
            names,
        }
    }

    fn layout(rows: &[Vec<u8>], pair: Option<(usize, usize)>, too_long: bool) -> Layout {
        let Some(first) = rows.first() else {
            return Layout::Unreadable("the file is empty".into());
        };
        let first_cells = cells(first);
        let cell = first_cells.first().map(String::as_str).unwrap_or("");
        let kind = if first_cells.len() != 1 {
            None
        } else if cell.starts_with("Dstat") && cell.ends_with("CSV output") {
            Some(None)
        } else if cell.starts_with("pcp-dstat") && cell.to_lowercase().ends_with("csv output") {
            let version = cell["pcp-dstat".len()..cell.len() - "CSV output".len()].trim();
            Some(Some(version.to_owned()))
        } else {
            None
        };
        let Some(kind) = kind else {
            return Layout::Unreadable(format!(
                "the first row is \"{}\", not the single cell \"Dstat … CSV output\" of classic dstat",
                quote(trim_eol(first))
            ));
        };
        if too_long {
            return Layout::Unreadable(format!("a header row is longer than {MAX_ROW} bytes"));
        }
        let Some((g, _)) = pair else {
            return Layout::Unreadable(
                "no \"system\" group with a \"time\" column in the header rows".into(),
            );
        };
        let meta_ok = rows.len() > 3
            && [&b"\"Author:\""[..], b"\"Host:\"", b"\"Cmdline:\""]
                .iter()
                .zip(&rows[1..4])
                .all(|(p, r)| r.starts_with(p));
        let blank_row4 = rows.get(4).is_some_and(|r| trim_eol(r).is_empty());
        match (kind, g, meta_ok) {
            (None, 5, true) if blank_row4 => Layout::Blank,
            (None, 4, true) => Layout::NoBlank,
            (Some(version), 4, true) => Layout::Pcp { version },
            (kind, ..) => Layout::Other(format!(
                "{}its group names are on row {g} (counting from 0) after other rows, not \
                 where the front-ends read them (row 5 for dstat 0.7.2 and older, row 4 since)",
                kind.map_or(String::new(), |v| format!(
                    "it has a pcp-dstat {v} header, and "
                ))
            )),
        }
    }

    /// The header rewritten for `w`, and what changed, in words.
    fn rewrite(&self, rows: &[Vec<u8>], w: Wanted) -> (Vec<u8>, String) {
        let eol: &[u8] = if rows[0].ends_with(b"\r\n") {
            b"\r\n"
        } else {
            b"\n"
        };
        let mut out: Vec<u8> = Vec::new();
        let mut what = Vec::new();
        let (g, _) = self.pair.expect("a convertible layout has its header pair");
        for (i, row) in rows.iter().enumerate() {
            match (&self.layout, i) {
                (Layout::Pcp { version }, 0) => {
                    out.extend_from_slice(
                        format!("\"Dstat (pcp-dstat {version}) CSV output\"").as_bytes(),
                    );
                    out.extend_from_slice(eol);
                    what.push(format!("rewrote the pcp-dstat {version} header as dstat's"));
                }
                (Layout::Pcp { .. }, r) if r == g + 1 => {
                    let names: Vec<String> = self
                        .names
                        .iter()
                        .map(|n| format!("\"{}\"", bare_column(n).replace('"', "\"\"")))
                        .collect();
                    out.extend_from_slice(names.join(",").as_bytes());
                    out.extend_from_slice(eol);
                }
                (Layout::Blank, 4) if !w.blank => {
                    what.push("dropped the blank line after \"Cmdline\"".into());
                }
                _ => out.extend_from_slice(row),
            }
            if i == 3 && w.blank && !matches!(self.layout, Layout::Blank) {
                out.extend_from_slice(eol);
                what.push("inserted a blank line after \"Cmdline\"".into());
            }
        }
        let target = w.describe();
        (out, format!("{}: now {target}", what.join(", ")))
    }
}

/// Quotes untrusted text: control characters escaped, at most QUOTE_CAP bytes.
fn quote(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(QUOTE_CAP)];
    let mut s: String = String::from_utf8_lossy(cut).escape_debug().to_string();
    // escape_debug also escapes quotes; the message wraps the text in them.
    s = s.replace("\\\"", "\"").replace("\\'", "'");
    if bytes.len() > QUOTE_CAP {
        s.push('…');
    }
    s
}

/// The data rows, read one at a time.
struct Data {
    near: Option<i64>,
    time_col: Option<usize>,
    cols: Vec<(&'static str, usize)>,
    span: Option<(i64, i64)>,
    charts: Option<Averager>,
    rows: u64,
    bad: u64,
    stopped: bool,
    /// The current row's cells, as byte ranges (reused between rows).
    fields: Vec<(usize, usize)>,
    days: Days,
}

impl Data {
    fn new(h: &Header, near: Option<i64>, charts: bool) -> Data {
        let time_col = h.pair.map(|(_, i)| i);
        let cols = if charts { chart_columns(h) } else { Vec::new() };
        Data {
            near: near.filter(|_| time_col.is_some()),
            time_col,
            charts: (charts && !cols.is_empty()).then(|| Averager::new(cols.len())),
            cols,
            span: None,
            rows: 0,
            bad: 0,
            stopped: false,
            fields: Vec::new(),
            days: Days::default(),
        }
    }

    fn stop(&mut self) {
        self.stopped = true;
    }

    fn row(&mut self, row: &[u8]) {
        let (Some(near), Some(tc), false) = (self.near, self.time_col, self.stopped) else {
            return;
        };
        let row = trim_eol(row);
        if row.is_empty() {
            return;
        }
        self.rows += 1;
        split_fields(row, &mut self.fields);
        let field = |i: usize| self.fields.get(i).map(|&(a, b)| &row[a..b]);
        let Some(t) = field(tc).and_then(|c| self.days.time(c, near)) else {
            self.bad += 1;
            return;
        };
        self.span = Some(match self.span {
            None => (t, t),
            Some((a, b)) => (a.min(t), b.max(t)),
        });
        if let Some(avg) = &mut self.charts {
            let values = self.cols.iter().map(|&(_, i)| {
                field(i)
                    .and_then(|c| std::str::from_utf8(c).ok())
                    .and_then(|c| c.trim().parse::<f64>().ok())
                    .filter(|v| v.is_finite())
            });
            avg.push(t, values);
        }
    }

    fn finish(self, h: &Header, charts: bool) -> (Option<(i64, i64)>, Option<Charts>) {
        if !charts {
            return (self.span, None);
        }
        let result = if let Layout::Unreadable(why) = &h.layout {
            Err(why.clone())
        } else if self.near.is_none() {
            Err("no test has a timestamp to place it on the time axis".into())
        } else if self.cols.is_empty() {
            Err("no CPU, memory, disk or network columns".into())
        } else {
            match self.charts {
                Some(avg) if !avg.is_empty() => {
                    let t = avg.finish();
                    let keys: Vec<&'static str> = self.cols.iter().map(|c| c.0).collect();
                    Ok(Series {
                        t: t.0,
                        series: keys.into_iter().zip(t.1).collect(),
                    })
                }
                _ if self.bad > 0 => Err(format!(
                    "none of its {} data rows has a time like \"05-10 19:49:04\"",
                    self.bad
                )),
                _ => Err("it has no data rows".into()),
            }
        };
        (self.span, Some(result))
    }
}

/// The columns that feed the charts, found by group and (bare) name.
fn chart_columns(h: &Header) -> Vec<(&'static str, usize)> {
    // A group name covers its column and the unnamed ones after it.
    let mut group_of = Vec::with_capacity(h.names.len());
    let mut g = "";
    for i in 0..h.names.len() {
        if let Some(name) = h.groups.get(i).filter(|s| !s.is_empty()) {
            g = name;
        }
        group_of.push(g);
    }
    let find = |cands: &[&str], col: &str| {
        cands.iter().find_map(|cand| {
            (0..h.names.len()).find(|&i| {
                let grp = group_of[i];
                let hit = match cand.strip_suffix('*') {
                    Some(prefix) => grp.starts_with(prefix),
                    None => grp == *cand,
                };
                hit && bare_column(&h.names[i]) == col
            })
        })
    };
    COLUMNS
        .iter()
        .filter_map(|(key, cands, col)| find(cands, col).map(|i| (*key, i)))
        .collect()
}

/// Averages rows into at most MAX_POINTS points without knowing the row
/// count ahead: points hold `per` rows each (the last one may hold fewer);
/// when a point more would be needed, neighbours merge and `per` doubles.
struct Averager {
    per: usize,
    points: Vec<Point>,
    width: usize,
}

struct Point {
    first: i64,
    last: i64,
    rows: usize,
    sum: Vec<f64>,
    n: Vec<u32>,
}

impl Point {
    fn absorb(&mut self, other: Point) {
        self.last = other.last;
        self.rows += other.rows;
        for (i, (s, n)) in other.sum.into_iter().zip(other.n).enumerate() {
            self.sum[i] += s;
            self.n[i] += n;
        }
    }
}

impl Averager {
    fn new(width: usize) -> Self {
        Averager {
            per: 1,
            points: Vec::new(),
            width,
        }
    }

    fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    fn push(&mut self, t: i64, values: impl Iterator<Item = Option<f64>>) {
        let full = self.points.last().is_none_or(|p| p.rows >= self.per);
        if full && self.points.len() == MAX_POINTS {
            let old = std::mem::take(&mut self.points);
            let mut it = old.into_iter();
            while let Some(mut a) = it.next() {
                if let Some(b) = it.next() {
                    a.absorb(b);
                }
                self.points.push(a);
            }
            self.per *= 2;
        }
        if self.points.last().is_none_or(|p| p.rows >= self.per) {
            self.points.push(Point {
                first: t,
                last: t,
                rows: 0,
                sum: vec![0.0; self.width],
                n: vec![0; self.width],
            });
        }
        let p = self.points.last_mut().expect("just pushed");
        p.last = t;
        p.rows += 1;
        for (i, v) in values.enumerate() {
            if let Some(v) = v {
                p.sum[i] += v;
                p.n[i] += 1;
            }
        }
    }

    fn finish(self) -> (Vec<i64>, Vec<Vec<Option<f64>>>) {
        let t = self
            .points
            .iter()
            .map(|p| p.first + (p.last - p.first) / 2)
            .collect();
        let series = (0..self.width)
            .map(|c| {
                self.points
                    .iter()
                    .map(|p| (p.n[c] > 0).then(|| p.sum[c] / f64::from(p.n[c])))
                    .collect()
            })
            .collect();
        (t, series)
    }
}

/// Splits a CSV row into cell ranges, without the quotes around a quoted
/// cell. Cheaper than a CSV reader per row; the cells read here (times and
/// numbers) never hold escaped quotes.
fn split_fields(row: &[u8], out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut start = 0;
    let mut quoted = false;
    for (i, &b) in row.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                out.push(unquote(row, start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(unquote(row, start, row.len()));
}

fn unquote(row: &[u8], a: usize, b: usize) -> (usize, usize) {
    if b >= a + 2 && row[a] == b'"' && row[b - 1] == b'"' {
        (a + 1, b - 1)
    } else {
        (a, b)
    }
}

/// Row times, with the day's start kept: a log has many rows per day.
#[derive(Default)]
struct Days {
    /// (day, month) → µs since the epoch at that day's midnight.
    last: Option<((u32, u32), i64)>,
}

impl Days {
    fn time(&mut self, cell: &[u8], near: i64) -> Option<i64> {
        let Some((d, m, secs)) = parse_stamp(cell) else {
            return std::str::from_utf8(cell)
                .ok()
                .and_then(|c| row_time(c, near));
        };
        match self.last {
            Some((day, midnight)) if day == (d, m) => Some(midnight + secs * 1_000_000),
            _ => {
                let t = row_time(std::str::from_utf8(cell).ok()?, near)?;
                self.last = Some(((d, m), t - secs * 1_000_000));
                Some(t)
            }
        }
    }
}

/// `DD-MM HH:MM:SS` exactly as dstat writes it → (day, month, seconds into
/// the day); anything else is left to [`row_time`].
fn parse_stamp(cell: &[u8]) -> Option<(u32, u32, i64)> {
    let c = cell.trim_ascii();
    if c.len() != 14 || c[2] != b'-' || c[5] != b' ' || c[8] != b':' || c[11] != b':' {
        return None;
    }
    let two = |i: usize| -> Option<u32> {
        let (a, b) = (c[i], c[i + 1]);
        (a.is_ascii_digit() && b.is_ascii_digit())
            .then(|| u32::from(a - b'0') * 10 + u32::from(b - b'0'))
    };
    let (d, m, h, mi, s) = (two(0)?, two(3)?, two(6)?, two(9)?, two(12)?);
    (h < 24 && mi < 60 && s < 60 && (1..=31).contains(&d) && (1..=12).contains(&m))
        .then(|| (d, m, i64::from(h * 3600 + mi * 60 + s)))
}

/// `DD-MM HH:MM:SS` as µs since the epoch (UTC), in the year that puts it
/// nearest to `near`.
pub fn row_time(cell: &str, near: i64) -> Option<i64> {
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

/// Whether the log's rows and the tests' run share any moment; when not,
/// a sentence that names both spans.
pub fn overlap_problem(log: (i64, i64), tests: (i64, i64)) -> Option<String> {
    if log.0 <= tests.1 && log.1 >= tests.0 {
        return None;
    }
    let fmt = |t: i64| {
        chrono::DateTime::from_timestamp(t.div_euclid(1_000_000), 0)
            .map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| t.to_string())
    };
    Some(format!(
        "its rows ({} – {}) do not overlap the tests ({} – {}), so no front-end \
         draws its charts beside them; is it from another run?",
        fmt(log.0),
        fmt(log.1),
        fmt(tests.0),
        fmt(tests.1)
    ))
}

#[cfg(test)]
mod tests;
