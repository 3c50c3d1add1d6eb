//! JSON helpers: timestamps as Python's `isoformat()`, stats as StackViz
//! writes them, and fast string escaping for the bulk of the output
//! (attachment text).
//!
//! serde_json escapes byte by byte; attachment text is megabytes of mostly
//! plain characters, so [`write_str`] scans eight bytes at a time for the three things
//! JSON must escape (`"`, `\\`, control characters) and copies the runs
//! between them.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::model::entry::Entry;
use crate::model::stats::{Issue, Stats};
use crate::write::outfile::OutFile;
use crate::Result;

/// A timestamp in microseconds, serialised like Python's `isoformat()` of
/// an aware UTC datetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iso(pub i64);

impl Iso {
    /// Formats into a stack buffer; chrono's strftime is slow on the hot path.
    fn render(self, buf: &mut [u8; 40]) -> &str {
        use chrono::{Datelike, Timelike};
        let secs = self.0.div_euclid(1_000_000);
        let micros = self.0.rem_euclid(1_000_000) as u32;
        let Some(dt) = chrono::DateTime::from_timestamp(secs, 0) else {
            return "";
        };
        let year = dt.year();
        if !(0..=9999).contains(&year) {
            return "";
        }
        fn put(buf: &mut [u8], at: usize, value: u32, width: usize) {
            let mut v = value;
            for i in (0..width).rev() {
                buf[at + i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        }
        buf[..19].copy_from_slice(b"0000-00-00T00:00:00");
        put(buf, 0, year as u32, 4);
        put(buf, 5, dt.month(), 2);
        put(buf, 8, dt.day(), 2);
        put(buf, 11, dt.hour(), 2);
        put(buf, 14, dt.minute(), 2);
        put(buf, 17, dt.second(), 2);
        let mut n = 19;
        if micros != 0 {
            buf[n] = b'.';
            put(buf, n + 1, micros, 6);
            n += 7;
        }
        buf[n..n + 6].copy_from_slice(b"+00:00");
        n += 6;
        std::str::from_utf8(&buf[..n]).expect("ASCII")
    }
}

impl std::fmt::Display for Iso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buf = [0u8; 40];
        match self.render(&mut buf) {
            "" => {
                // Outside what Python's datetime can hold; still say something.
                let secs = self.0.div_euclid(1_000_000);
                write!(f, "{secs}")
            }
            s => f.write_str(s),
        }
    }
}

impl Serialize for Iso {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut buf = [0u8; 40];
        match self.render(&mut buf) {
            "" => s.collect_str(self),
            text => s.serialize_str(text),
        }
    }
}

/// Writes timestamps as JSON (an [`Iso`] string or `null`) without going
/// through serde. The text up to the second is kept from the last call: a
/// run's timestamps mostly fall on one day, often in one second, and the
/// rest is plain arithmetic into one stack buffer.
pub(crate) struct IsoWriter {
    /// The second `text` holds (since the epoch).
    second: Option<i64>,
    /// `"YYYY-MM-DDTHH:MM:SS` of `second`, then room for the fraction and
    /// the offset.
    text: [u8; 34],
}

impl Default for IsoWriter {
    fn default() -> Self {
        IsoWriter {
            second: None,
            text: [0; 34],
        }
    }
}

impl IsoWriter {
    pub(crate) fn write(&mut self, buf: &mut Vec<u8>, t: Option<i64>) {
        let Some(t) = t else {
            buf.extend_from_slice(b"null");
            return;
        };
        let secs = t.div_euclid(1_000_000);
        if self.second != Some(secs) {
            let day = secs.div_euclid(86_400);
            let same_day = self.second.is_some_and(|s| s.div_euclid(86_400) == day);
            if !same_day {
                let mut tmp = [0u8; 40];
                let date = match day.checked_mul(86_400_000_000) {
                    Some(us) => Iso(us).render(&mut tmp),
                    None => "",
                };
                if date.is_empty() {
                    // Outside what Python's datetime holds: serde's form.
                    self.second = None;
                    let _ = serde_json::to_writer(&mut *buf, &Iso(t));
                    return;
                }
                self.text[0] = b'"';
                self.text[1..11].copy_from_slice(&date.as_bytes()[..10]);
                self.text[11] = b'T';
            }
            let of_day = secs.rem_euclid(86_400) as u32;
            for (at, v) in [
                (12, of_day / 3600),
                (15, of_day / 60 % 60),
                (18, of_day % 60),
            ] {
                self.text[at] = b'0' + (v / 10) as u8;
                self.text[at + 1] = b'0' + (v % 10) as u8;
            }
            self.text[14] = b':';
            self.text[17] = b':';
            self.second = Some(secs);
        }
        let micros = t.rem_euclid(1_000_000) as u32;
        let mut n = 20;
        if micros != 0 {
            self.text[20] = b'.';
            let mut v = micros;
            for d in self.text[21..27].iter_mut().rev() {
                *d = b'0' + (v % 10) as u8;
                v /= 10;
            }
            n = 27;
        }
        self.text[n..n + 7].copy_from_slice(b"+00:00\"");
        buf.extend_from_slice(&self.text[..n + 7]);
    }

    /// `[start, end]`, as serde_json writes a pair.
    pub(crate) fn write_pair(&mut self, buf: &mut Vec<u8>, start: Option<i64>, end: Option<i64>) {
        buf.push(b'[');
        self.write(buf, start);
        buf.push(b',');
        self.write(buf, end);
        buf.push(b']');
    }
}

/// Writes `value` as JSON, mapping errors to the file's path.
pub fn write_json<T: Serialize + ?Sized>(out: &mut OutFile, value: &T) -> Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(|e| out.io_err(e.into()))
}

/// Serialises [`Stats`] as StackViz's stats object.
pub(crate) struct StatsJson<'a>(pub &'a Stats);

impl Serialize for StatsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_stats(self.0, s)
    }
}

/// `serialize_with` form of [`StatsJson`].
pub(crate) fn serialize_stats<S: Serializer>(
    stats: &Stats,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    {
        struct Item<'a, T>(&'a Issue, &'a Option<T>);
        impl<T: Serialize> Serialize for Item<'_, T> {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("name", &self.0.name)?;
                m.serialize_entry("duration", &self.0.duration)?;
                m.serialize_entry("details", self.1)?;
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("count", &stats.count)?;
        m.serialize_entry("start", &stats.start.map(Iso))?;
        m.serialize_entry("end", &stats.end.map(Iso))?;
        if stats.count == 0 {
            // Python's sum starts from the integer 0.
            m.serialize_entry("total_duration", &0)?;
        } else {
            m.serialize_entry("total_duration", &stats.total_duration)?;
        }
        let failures: Vec<_> = stats.failures.iter().map(|(i, d)| Item(i, d)).collect();
        m.serialize_entry("failures", &failures)?;
        let skips: Vec<_> = stats.skips.iter().map(|(i, d)| Item(i, d)).collect();
        m.serialize_entry("skips", &skips)?;
        m.end()
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// The high bit of every byte of `w` that JSON must escape: `"`, `\` and
/// control characters. Exact (no carries between bytes), so the set bits
/// can be walked one by one.
#[inline(always)]
fn escape_mask(w: u64) -> u64 {
    let is_zero = |y: u64| !(((y & LOW7) + LOW7) | y) & HI;
    let below_space = !(((w & LOW7) + LO * (0x80 - 0x20)) | w) & HI;
    below_space | is_zero(w ^ (LO * u64::from(b'"'))) | is_zero(w ^ (LO * u64::from(b'\\')))
}

/// Whether some byte of `w` needs escaping. Cheaper than [`escape_mask`]:
/// the classic "has a zero byte" and "has a byte below n" tests are exact
/// about whether such a byte exists (only the bits above the first one may
/// be wrong), and `"` and `\\` have their high bit clear, so one `!w`
/// serves all three.
#[inline(always)]
fn may_escape(w: u64) -> bool {
    let below_space = w.wrapping_sub(LO * 0x20);
    let quote = (w ^ (LO * u64::from(b'"'))).wrapping_sub(LO);
    let backslash = (w ^ (LO * u64::from(b'\\'))).wrapping_sub(LO);
    (below_space | quote | backslash) & !w & HI != 0
}

/// Output is staged in a small stack buffer using only fixed-size stores
/// (whole words, then the cursor advances by the part that counts), and
/// flushed every few KiB: text with dense quotes (JSON bodies in logs)
/// then costs no copy call per run.
const STAGE: usize = 512;

/// Appends `s` as a JSON string literal, quotes included.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_str_body(out, s);
    out.push(b'"');
}

/// Appends `s` escaped for the inside of a JSON string literal (no
/// quotes), so that a long text can be escaped piece by piece.
pub fn write_str_body(out: &mut Vec<u8>, s: &str) {
    // Most names and many lines need no escape at all: find the first byte
    // that does, copy what comes before it in one go, and stage only the rest.
    let clean = clean_prefix(s.as_bytes());
    out.extend_from_slice(&s.as_bytes()[..clean]);
    if clean < s.len() {
        write_escaped(out, &s.as_bytes()[clean..]);
    }
}

/// How many leading bytes of `bytes` JSON takes as they are.
#[inline]
fn clean_prefix(bytes: &[u8]) -> usize {
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for w in &mut words {
        let mask = escape_mask(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        if mask != 0 {
            return at + (mask.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    for &b in words.remainder() {
        if b < 0x20 || b == b'"' || b == b'\\' {
            return at;
        }
        at += 1;
    }
    at
}

/// [`write_str_body`] past the clean prefix.
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len());
    if bytes.len() < 32 {
        // Short keys and names: not worth setting up the stage.
        for &b in bytes {
            let (esc, len) = escape_bytes(b);
            if b < 0x20 || b == b'"' || b == b'\\' {
                out.extend_from_slice(&esc[..len]);
            } else {
                out.push(b);
            }
        }
        return;
    }
    // Headroom past STAGE for one word of six-byte escapes plus a store.
    let mut tmp = [0u8; STAGE + 64];
    let mut n = 0;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let v = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        if !may_escape(v) {
            // Most words: no escape, no position needed.
            tmp[n..n + 8].copy_from_slice(w);
            n += 8;
            if n >= STAGE {
                out.extend_from_slice(&tmp[..n]);
                n = 0;
            }
            continue;
        }
        let mut mask = escape_mask(v);
        let mut j = 0u32; // bytes of the word already consumed
        while mask != 0 {
            let p = mask.trailing_zeros() / 8;
            // Store the rest of the word, keep only the plain run before p.
            tmp[n..n + 8].copy_from_slice(&(v >> (8 * j)).to_le_bytes());
            n += (p - j) as usize;
            let (esc, len) = escape_bytes(w[p as usize]);
            tmp[n..n + 6].copy_from_slice(&esc);
            n += len;
            j = p + 1;
            mask &= mask - 1;
        }
        if j < 8 {
            tmp[n..n + 8].copy_from_slice(&(v >> (8 * j)).to_le_bytes());
            n += (8 - j) as usize;
        }
        if n >= STAGE {
            out.extend_from_slice(&tmp[..n]);
            n = 0;
        }
    }
    for &b in words.remainder() {
        let (esc, len) = escape_bytes(b);
        if b < 0x20 || b == b'"' || b == b'\\' {
            tmp[n..n + 6].copy_from_slice(&esc);
            n += len;
        } else {
            tmp[n] = b;
            n += 1;
        }
    }
    out.extend_from_slice(&tmp[..n]);
}

/// The escape sequence for `b` (padded to six bytes) and its length.
#[inline(always)]
fn escape_bytes(b: u8) -> ([u8; 6], usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let two = |c: u8| ([b'\\', c, 0, 0, 0, 0], 2);
    match b {
        b'"' => two(b'"'),
        b'\\' => two(b'\\'),
        b'\n' => two(b'n'),
        b'\r' => two(b'r'),
        b'\t' => two(b't'),
        0x08 => two(b'b'),
        0x0c => two(b'f'),
        _ => (
            [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ],
            6,
        ),
    }
}

/// Fills [`Entry::details_json`] ahead of the writers (on its own thread).
pub(crate) fn prepare_details_json(e: &mut Entry) {
    e.details_json.clear();
    // Spooled text is copied from the spool by the details writer; `{}`
    // is not worth a buffer of its own (the writer makes it).
    if e.spooled.is_empty() && !e.details.is_empty() {
        write_pairs(&mut e.details_json, &e.details);
    }
}

/// Appends `{"k": "v", …}` for ordered pairs, into room made once for the
/// text and a few escapes: a test's attachments run to kilobytes, and
/// growing the buffer by doubling copied them about twice over.
pub fn write_pairs(out: &mut Vec<u8>, pairs: &[(String, String)]) {
    let plain: usize = pairs.iter().map(|(k, v)| k.len() + v.len() + 8).sum();
    out.reserve(2 + plain + plain / 8);
    out.push(b'{');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        write_str(out, k);
        out.extend_from_slice(b": ");
        write_str(out, v);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(s: &str) -> String {
        let mut v = Vec::new();
        write_str(&mut v, s);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn matches_serde_json_on_tricky_text() {
        let samples = [
            "",
            "plain ascii text that is long enough for words",
            "short \"q\"\n",
            "quote \" backslash \\ newline \n tab \t cr \r",
            "\u{0}\u{1}\u{1f}\u{7f} control",
            "ünïcödé \u{2028} \u{1F600} mixed \"with\" escapes\n",
            "12345678\"12345678\\12345678\n",
            "\u{8}\u{c}",
        ];
        for s in samples {
            assert_eq!(ours(s), serde_json::to_string(s).unwrap(), "{s:?}");
            let back: String = serde_json::from_str(&ours(s)).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn every_byte_position_in_a_word_is_checked() {
        for pos in 0..16 {
            for c in ['"', '\\', '\n', '\u{0}', '\u{1f}'] {
                let mut s = "a".repeat(16);
                s.replace_range(pos..pos + 1, &c.to_string());
                assert_eq!(ours(&s), serde_json::to_string(&s).unwrap());
            }
        }
    }

    #[test]
    fn the_quick_check_agrees_with_the_exact_mask() {
        // Every byte value at every position, over backgrounds that stress
        // borrows (0x00, 0x20, 0x21, 0x80, 0xff neighbours).
        for bg in [
            0x00u8, 0x1f, 0x20, 0x21, 0x22, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0xff, b'a',
        ] {
            for pos in 0..8 {
                for b in 0..=255u8 {
                    let mut bytes = [bg; 8];
                    bytes[pos] = b;
                    let w = u64::from_le_bytes(bytes);
                    assert_eq!(may_escape(w), escape_mask(w) != 0, "{bytes:?}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn the_quick_check_agrees_on_any_word(w: u64) {
            proptest::prop_assert_eq!(may_escape(w), escape_mask(w) != 0);
        }

        #[test]
        fn any_text_escapes_as_serde_json_does(s: String) {
            proptest::prop_assert_eq!(ours(&s), serde_json::to_string(&s).unwrap());
        }
    }

    #[test]
    fn escapes_after_a_clean_prefix_of_any_length() {
        for len in 0..80 {
            for c in ['"', '\\', '\n', '\u{1}', 'é'] {
                let s = format!("{}{c}{}", "n".repeat(len), "t".repeat(len % 13));
                assert_eq!(ours(&s), serde_json::to_string(&s).unwrap(), "{s:?}");
            }
        }
    }

    #[test]
    fn iso_writer_matches_serde() {
        let mut w = IsoWriter::default();
        let times = [
            Some(1_444_074_544_812_133),
            Some(1_444_074_544_000_000),
            Some(1_444_074_544_000_001),
            Some(1_444_074_545_999_999),
            Some(1_444_089_599_000_000),
            Some(1_444_089_600_000_000),
            Some(253_402_300_799_999_999),
            Some(253_402_300_800_000_000),
            None,
            Some(0),
            Some(-1),
            Some(i64::MAX),
            Some(i64::MIN + 1),
            Some(1_444_074_544_812_133),
        ];
        for t in times {
            let mut ours = Vec::new();
            w.write(&mut ours, t);
            let theirs = serde_json::to_vec(&t.map(Iso)).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap()
            );
        }
    }

    #[test]
    fn isoformat_like_python() {
        assert_eq!(
            Iso(1_444_074_544_812_133).to_string(),
            "2015-10-05T19:49:04.812133+00:00"
        );
        assert_eq!(
            Iso(1_444_074_544_000_000).to_string(),
            "2015-10-05T19:49:04+00:00"
        );
        assert_eq!(
            Iso(1_444_074_544_000_001).to_string(),
            "2015-10-05T19:49:04.000001+00:00"
        );
        assert_eq!(Iso(0).to_string(), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            Iso(4_294_967_295_000_000).to_string(),
            "2106-02-07T06:28:15+00:00"
        );
    }
}
