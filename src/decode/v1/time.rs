//! `time:` values: the `iso8601` package's grammar, as python-subunit reads it.

use crate::decode::event::Timestamp;

/// The fields of a `time:` value, defaults as in the `iso8601` package.
#[derive(Clone, Copy, Debug)]
struct Fields {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    micros: u32,
    /// Offset east of UTC, in minutes.
    offset: i32,
}

/// Parses a `time:` value with the grammar of the `iso8601` package that
/// python-subunit uses (`2015-10-05 19:49:04.812133Z`, `T` separator,
/// offsets, reduced precision…). Fractions beyond microseconds truncate.
pub(super) fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.as_bytes();
    let year = digits(s, 0, 4)?;
    let start = Fields {
        year: year as i32,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        micros: 0,
        offset: 0,
    };
    let f = iso_month(s, 4, start).or_else(|| at_end(s, 4, start))?;
    let date = chrono::NaiveDate::from_ymd_opt(f.year, f.month, f.day)?;
    if f.year < 1 || f.offset.abs() >= 24 * 60 {
        return None;
    }
    let dt = date.and_hms_micro_opt(f.hour, f.minute, f.second, f.micros)?;
    let secs = dt.and_utc().timestamp() - i64::from(f.offset) * 60;
    Some(Timestamp {
        secs,
        nanos: f.micros * 1000,
    })
}

/// Exactly `n` ASCII digits at `i`.
fn digits(s: &[u8], i: usize, n: usize) -> Option<u32> {
    let d = s.get(i..i + n)?;
    d.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn at_end(s: &[u8], i: usize, f: Fields) -> Option<Fields> {
    (i == s.len()).then_some(f)
}

// The functions below follow the regular expression's alternatives in its
// order of preference; each returns the first complete match.

fn iso_month(s: &[u8], i: usize, f: Fields) -> Option<Fields> {
    if s.get(i) == Some(&b'-') {
        for n in [2, 1] {
            if let Some(month) = digits(s, i + 1, n) {
                let r = iso_day(s, i + 1 + n, Fields { month, ..f })
                    .or_else(|| at_end(s, i + 1 + n, Fields { month, ..f }));
                if r.is_some() {
                    return r;
                }
            }
        }
    }
    // YYYYMM alone is not allowed.
    if let Some(month) = digits(s, i, 2).filter(|_| i + 2 != s.len()) {
        let f = Fields { month, ..f };
        return iso_day(s, i + 2, f).or_else(|| at_end(s, i + 2, f));
    }
    None
}

fn iso_day(s: &[u8], i: usize, f: Fields) -> Option<Fields> {
    if s.get(i) == Some(&b'-') {
        for n in [2, 1] {
            if let Some(day) = digits(s, i + 1, n) {
                let f = Fields { day, ..f };
                let r = iso_time(s, i + 1 + n, f).or_else(|| at_end(s, i + 1 + n, f));
                if r.is_some() {
                    return r;
                }
            }
        }
    }
    let day = digits(s, i, 2)?;
    let f = Fields { day, ..f };
    iso_time(s, i + 2, f).or_else(|| at_end(s, i + 2, f))
}

/// Tries `:` first when present (the regex's greedy `:{0,1}`).
fn colon_options(s: &[u8], i: usize) -> impl Iterator<Item = usize> {
    let with = (s.get(i) == Some(&b':')).then_some(i + 1);
    with.into_iter().chain(std::iter::once(i))
}

fn iso_time(s: &[u8], i: usize, f: Fields) -> Option<Fields> {
    if !matches!(s.get(i), Some(b' ' | b'T')) {
        return None;
    }
    let hour = digits(s, i + 1, 2)?;
    let f = Fields { hour, ..f };
    let i = i + 3;
    for j in colon_options(s, i) {
        if let Some(minute) = digits(s, j, 2) {
            if let Some(r) = iso_second(s, j + 2, Fields { minute, ..f }) {
                return Some(r);
            }
        }
    }
    iso_second(s, i, f)
}

fn iso_second(s: &[u8], i: usize, f: Fields) -> Option<Fields> {
    for j in colon_options(s, i) {
        for n in [2, 1] {
            let Some(second) = digits(s, j, n) else {
                continue;
            };
            let f = Fields { second, ..f };
            let k = j + n;
            if matches!(s.get(k), Some(b'.' | b',')) {
                let len = s[k + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                if len > 0 {
                    let frac = &s[k + 1..k + 1 + len];
                    let micros = (0..6).fold(0u32, |acc, p| {
                        acc * 10 + frac.get(p).map_or(0, |&b| u32::from(b - b'0'))
                    });
                    if let Some(r) = iso_zone(s, k + 1 + len, Fields { micros, ..f }) {
                        return Some(r);
                    }
                }
            }
            if let Some(r) = iso_zone(s, k, f) {
                return Some(r);
            }
        }
    }
    iso_zone(s, i, f)
}

fn iso_zone(s: &[u8], i: usize, f: Fields) -> Option<Fields> {
    match s.get(i) {
        Some(b'Z') => {
            if let Some(r) = at_end(s, i + 1, f) {
                return Some(r);
            }
        }
        Some(&sign @ (b'+' | b'-')) => {
            if let Some(hours) = digits(s, i + 1, 2) {
                let sign = if sign == b'-' { -1 } else { 1 };
                for j in colon_options(s, i + 3) {
                    if let Some(minutes) = digits(s, j, 2) {
                        let offset = sign * (hours * 60 + minutes) as i32;
                        if let Some(r) = at_end(s, j + 2, Fields { offset, ..f }) {
                            return Some(r);
                        }
                    }
                    let offset = sign * (hours * 60) as i32;
                    if let Some(r) = at_end(s, j, Fields { offset, ..f }) {
                        return Some(r);
                    }
                }
            }
        }
        _ => {}
    }
    at_end(s, i, f)
}
