use super::*;

/// Runs a pass; returns the copy and what it found.
fn run(bytes: &[u8], fix: Option<Wanted>, near: Option<i64>) -> (Vec<u8>, Scan) {
    let mut out = Vec::new();
    let scan = scan(
        &mut &bytes[..],
        Pass {
            out: &mut out,
            fix,
            near,
            charts: true,
        },
    )
    .unwrap();
    (out, scan)
}

fn charts(bytes: &[u8], near: i64) -> Result<Series, String> {
    run(bytes, None, Some(near)).1.charts.unwrap()
}

const REAL: &[u8] = include_bytes!("../../../fixtures/conformance/cli_dstat_real/dstat.csv");
const OLD: &[u8] = include_bytes!("../../../fixtures/conformance/cli_dstat_classic/dstat.csv");
const PCP: &[u8] = include_bytes!("../../../tests/data/frontend/pcp-dstat-6.0.3.csv");
const TEMPEST: Wanted = Wanted { blank: true };
const TODAY: Wanted = Wanted { blank: false };

#[test]
fn layouts_are_told_apart_by_row_position() {
    assert_eq!(run(OLD, None, None).1.layout, Layout::Blank);
    assert_eq!(run(REAL, None, None).1.layout, Layout::NoBlank);
    let pcp = run(PCP, None, None).1.layout;
    assert_eq!(
        pcp,
        Layout::Pcp {
            version: "6.0.3".into()
        }
    );
    assert!(TEMPEST.accepts(&Layout::Blank) && !TEMPEST.accepts(&Layout::NoBlank));
    assert!(TODAY.accepts(&Layout::NoBlank) && !TODAY.accepts(&pcp));
    let why = mismatch(&Layout::NoBlank, TEMPEST, "tempest-format").unwrap();
    assert!(
        why.contains("0.7.3+") && why.contains("tempest-format"),
        "{why}"
    );
    assert_eq!(mismatch(&Layout::Blank, TEMPEST, "tempest-format"), None);
}

#[test]
fn the_copy_is_byte_for_byte_unless_fixed() {
    for (log, want) in [(OLD, TEMPEST), (REAL, TODAY), (OLD, TODAY), (PCP, TEMPEST)] {
        let (out, scan) = run(log, None, None);
        assert_eq!(out, log);
        assert_eq!(scan.fixed, None);
        // Fixing for a front-end that already reads it changes nothing.
        if want.accepts(&scan.layout) {
            assert_eq!(run(log, Some(want), None).0, log);
        }
    }
}

#[test]
fn fixes_move_only_header_rows() {
    let (out, scan) = run(OLD, Some(TODAY), None);
    let mut want: Vec<&[u8]> = OLD.split(|&b| b == b'\n').collect();
    want.remove(4);
    assert_eq!(out, want.join(&b'\n'));
    assert!(scan.fixed.unwrap().contains("dropped the blank line"));
    let (back, _) = run(&out, Some(TEMPEST), None);
    assert_eq!(back, OLD);

    let (out, scan) = run(PCP, Some(TODAY), None);
    assert!(scan.fixed.unwrap().contains("pcp-dstat 6.0.3"));
    let text = String::from_utf8(out).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "\"Dstat (pcp-dstat 6.0.3) CSV output\"");
    assert!(rows[5].starts_with("\"time\",\"usr\",\"sys\",\"idl\",\"wai\",\"stl\",\"used\""));
    let pcp = std::str::from_utf8(PCP).unwrap();
    assert_eq!(rows[6..], pcp.lines().collect::<Vec<_>>()[6..]);
    assert_eq!(run(text.as_bytes(), None, None).1.layout, Layout::NoBlank);
    // CRLF logs keep CRLF in the inserted line.
    let crlf = String::from_utf8(REAL.to_vec())
        .unwrap()
        .replace('\n', "\r\n");
    let (out, _) = run(crlf.as_bytes(), Some(TEMPEST), None);
    assert!(String::from_utf8(out)
        .unwrap()
        .contains("\r\n\r\n\"system\""));
}

#[test]
fn real_dstat_log_parses_into_series() {
    // 2026-11-22T01:42:38Z, the run the log came with.
    let near = 1_795_311_758_000_000;
    let (_, scan) = run(REAL, None, Some(near));
    assert_eq!(
        scan.span,
        Some((1_795_311_711_000_000, 1_795_311_716_000_000))
    );
    let d = scan.charts.unwrap().unwrap();
    assert_eq!(d.t.len(), 6);
    assert_eq!(d.t[0], 1_795_311_711_000_000); // 22-11 01:41:51
    assert!(d.t.windows(2).all(|w| w[1] - w[0] == 1_000_000));
    let keys: Vec<_> = d.series.iter().map(|s| s.0).collect();
    assert_eq!(
        keys,
        ["usr", "sys", "idl", "wai", "used", "read", "writ", "recv", "send"]
    );
    let get = |k: &str| &d.series.iter().find(|s| s.0 == k).unwrap().1;
    assert_eq!(get("usr")[0], Some(5.682));
    assert_eq!(get("used")[0], Some(165_597_184.0));
    assert_eq!(get("read")[0], Some(2_827_831.363));
    assert_eq!(get("writ")[1], Some(4096.0));
    assert_eq!(get("send")[5], Some(0.0));
    // pcp-dstat's "total usage:usr" feeds the same chart.
    let near = 1_796_157_914_000_000; // 2026-12-01T20:45:14Z
    let d = charts(PCP, near).unwrap();
    assert_eq!(d.series[0].0, "usr");
    assert_eq!(d.series[0].1[1], Some(85.374));
    let span = run(PCP, None, Some(near)).1.span.unwrap();
    assert_eq!(span, (near - 1_000_000, near + 3_000_000));
    assert_eq!(overlap_problem(span, (near, near + 1_000_000)), None);
}

fn classic(rows: &str) -> Vec<u8> {
    format!(
        "\"Dstat 0.7.2 CSV output\"\r\n\"Author:\",\"x\"\r\n\r\n\
         \"system\",\"total cpu usage\",,,,\"memory usage\"\r\n\
         \"time\",\"usr\",\"sys\",\"idl\",\"wai\",\"used\"\r\n{rows}"
    )
    .into_bytes()
}

#[test]
fn dstat_year_comes_from_the_run_and_wraps_at_new_year() {
    // 2016-01-01T00:00:30Z
    let near = 1_451_606_430_000_000;
    let d = charts(
        &classic("31-12 23:59:59,1,2,97,0,5\r\n01-01 00:00:01,1,,,0,6\r\nbad,1,1,1,1,1\r\n"),
        near,
    )
    .unwrap();
    assert_eq!(d.t, [1_451_606_399_000_000, 1_451_606_401_000_000]);
    assert_eq!(d.series.len(), 5);
    assert_eq!(d.series[1].1, [Some(2.0), None]);
    assert_eq!(d.series[4].1, [Some(5.0), Some(6.0)]);
    // Rows in unusual places chart here, but no front-end reads them.
    let layout = run(&classic(""), None, None).1.layout;
    assert!(matches!(layout, Layout::Other(_)), "{layout:?}");
    assert!(!TEMPEST.can_fix(&layout));
}

#[test]
fn unreadable_dstat_logs_say_why() {
    let near = 1_451_606_430_000_000;
    assert!(charts(b"", near).unwrap_err().contains("empty"));
    let pcp = b"\"pcp-dstat 5.3.7 CSV Output\"\n\"system\"\n\"time\"\n";
    assert!(charts(pcp, near).unwrap_err().contains("columns"));
    assert!(charts(&classic(""), near)
        .unwrap_err()
        .contains("no data rows"));
    assert!(charts(&classic("yesterday,1,1,1,1,1\n"), near)
        .unwrap_err()
        .contains("05-10 19:49:04"));
    let no_cols =
        b"\"Dstat 0.7.2 CSV output\"\n\"system\",\"load avg\"\n\"time\",\"1m\"\n05-10 19:49:04,1\n";
    assert!(charts(no_cols, near).unwrap_err().contains("columns"));
    // The first row is quoted as written, commas and all, escaped and capped.
    let odd = run(b"a,b\n", None, None).1.layout;
    assert!(odd.describe().contains("\"a,b\""), "{odd:?}");
    let evil = format!("{}\u{1b}[2J\n", "x".repeat(300));
    let why = run(evil.as_bytes(), None, None).1.layout.describe();
    assert!(!why.contains('\u{1b}') && why.len() < 400, "{why}");
    assert_eq!(
        run(b"\"Dstat 0.8.0 CSV output\"\n\"x\"\n", None, None)
            .1
            .layout,
        Layout::Unreadable("no \"system\" group with a \"time\" column in the header rows".into())
    );
}

#[test]
fn long_dstat_logs_are_averaged_down_as_they_stream() {
    let mut rows = String::new();
    for s in 0..(MAX_POINTS * 2 + 1) {
        let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
        rows.push_str(&format!("05-10 {h:02}:{m:02}:{sec:02},{},0,0,0,0\n", s % 2));
    }
    let d = charts(&classic(&rows), 1_444_000_000_000_000).unwrap();
    // 40,001 rows: points of four rows, the last one alone.
    assert_eq!(d.t.len(), 10_001);
    assert_eq!(d.series[0].1[0], Some(0.5));
    assert_eq!(d.t[1] - d.t[0], 4_000_000);
    assert_eq!(d.series[0].1[10_000], Some(0.0));
    let two = "05-10 00:00:00,1,0,0,0,0\n05-10 00:00:01,3,0,0,0,0\n";
    let small = charts(&classic(two), 1_444_000_000_000_000).unwrap();
    assert_eq!(small.series[0].1, [Some(1.0), Some(3.0)]);
}

#[test]
fn a_huge_row_stops_parsing_but_not_copying() {
    let mut log = classic("05-10 00:00:00,1,0,0,0,0\n");
    log.extend(std::iter::repeat_n(b'z', MAX_ROW + 10));
    log.extend_from_slice(b"\n05-10 00:00:09,1,0,0,0,0\n");
    let (out, scan) = run(&log, None, Some(1_444_000_000_000_000));
    assert_eq!(out, log);
    assert_eq!(scan.charts.unwrap().unwrap().t.len(), 1);
    let span = scan.span.unwrap();
    assert_eq!(span.0, span.1);
}

#[test]
fn rows_split_into_cells_with_quotes_and_times_parse_fast() {
    let row = b"05-10 19:49:04,1.5,\"py,thon\",\"2\",";
    let mut f = Vec::new();
    split_fields(row, &mut f);
    let cells: Vec<&[u8]> = f.iter().map(|&(a, b)| &row[a..b]).collect();
    assert_eq!(
        cells,
        [&b"05-10 19:49:04"[..], b"1.5", b"py,thon", b"2", b""]
    );
    assert_eq!(parse_stamp(b" 05-10 19:49:04"), Some((5, 10, 71_344)));
    assert_eq!(parse_stamp(b"05-13 19:49:04"), None);
    let near = 1_444_074_544_000_000; // 2015-10-05T19:49:04Z
    let mut days = Days::default();
    assert_eq!(days.time(b"05-10 19:49:04", near), Some(near));
    assert_eq!(days.time(b"05-10 19:49:05", near), Some(near + 1_000_000));
    assert_eq!(days.time(b"5-10 19:49:04", near), Some(near));
}

#[test]
fn overlap_is_any_shared_moment() {
    assert_eq!(overlap_problem((0, 10), (10, 20)), None);
    assert_eq!(overlap_problem((5, 6), (0, 20)), None);
    let why = overlap_problem((0, 1_000_000), (2_000_000, 3_000_000)).unwrap();
    assert!(
        why.contains("1970-01-01 00:00:01") && why.contains("do not overlap"),
        "{why}"
    );
}
