//! Subunit v2 packet writer.
//!
//! The exporter itself only reads streams; this writer exists so tests can
//! build streams byte for byte and the benchmark generator needs no Python.
//! Its output matches python-subunit's `StreamResultToBytes` for the same
//! fields, so streams it writes are what real test runners produce.

use std::borrow::Cow;

use crate::decode::event::{Event, FileChunk};

pub use crate::decode::v2::{
    FLAG_EOF, FLAG_FILE_CONTENT, FLAG_MIME_TYPE, FLAG_ROUTE_CODE, FLAG_RUNNABLE, FLAG_TAGS,
    FLAG_TEST_ID, FLAG_TIMESTAMP, SIGNATURE,
};

/// The version nibble every v2 packet carries in its flags.
pub const FLAG_VERSION_2: u16 = 0x2000;

/// Largest value a (4-byte) varint holds.
pub const MAX_VARINT: u32 = (1 << 30) - 1;
/// Largest whole packet: the length field may use at most 3 bytes.
pub use super::MAX_PACKET as MAX_PACKET_LEN;
/// Attachment chunk size for [`encode_file_chunks`]; well under the packet
/// limit, so big attachments never fail to encode.
pub const FILE_CHUNK_SIZE: usize = 65536;

/// Why an event cannot be written as a valid packet. Nothing is appended to
/// the output when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error(
        "packet would be {0} bytes; the limit is 4194303 (split the file with encode_file_chunks)"
    )]
    TooLarge(usize),
    #[error("timestamp seconds {0} do not fit an unsigned 32-bit field")]
    TimestampSecs(i64),
    #[error("timestamp nanoseconds {0} exceed the varint maximum 2^30 - 1")]
    TimestampNanos(u32),
    #[error("string {0:?} contains NUL, which decoders reject")]
    Nul(String),
}

/// Writes `value` in the shortest varint form.
///
/// # Panics
/// If `value` exceeds [`MAX_VARINT`]; no varint can hold it.
pub fn write_varint(value: u32, out: &mut Vec<u8>) {
    write_varint_width(value, varint_len(value as usize), out);
}

/// Writes `value` as a varint of exactly `width` bytes (1–4), so tests can
/// produce the non-minimal encodings that decoders must accept.
///
/// # Panics
/// If `width` is not 1–4 or `value` does not fit in that width.
pub fn write_varint_width(value: u32, width: usize, out: &mut Vec<u8>) {
    assert!(
        (1..=4).contains(&width),
        "varint width {width} not in 1..=4"
    );
    let bits = 8 * width as u32 - 2;
    assert!(
        value < 1 << bits,
        "{value} does not fit a {width}-byte varint"
    );
    let tagged = value | ((width as u32 - 1) << bits);
    out.extend_from_slice(&tagged.to_be_bytes()[4 - width..]);
}

/// Width of the minimal varint for `value` (4 for anything above the 3-byte
/// range, even beyond [`MAX_VARINT`]; callers bound sizes separately).
pub fn varint_len(value: usize) -> usize {
    match value {
        0..=0x3F => 1,
        0x40..=0x3FFF => 2,
        0x4000..=0x3F_FFFF => 3,
        _ => 4,
    }
}

/// Writes a string field: varint byte length, then the UTF-8 bytes.
///
/// # Panics
/// If the string is longer than [`MAX_VARINT`] bytes.
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    let len = u32::try_from(s.len())
        .ok()
        .filter(|&n| n <= MAX_VARINT)
        .expect("string too long for a varint length");
    write_varint(len, out);
    out.extend_from_slice(s.as_bytes());
}

fn str_len(s: &str) -> usize {
    varint_len(s.len()) + s.len()
}

fn check_nul(s: &str) -> Result<(), EncodeError> {
    if s.contains('\0') {
        Err(EncodeError::Nul(s.to_owned()))
    } else {
        Ok(())
    }
}

/// Writes signature, flags and length for a body of `body_len` bytes.
///
/// The length counts the whole packet, its own bytes included, so its width
/// depends on itself; python-subunit picks the smallest width that holds the
/// resulting total, and so do we.
fn write_header(flags: u16, body_len: usize, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    // signature + flags + body + CRC, without the length field
    let base = 1 + 2 + body_len + 4;
    let total = if base < 63 {
        base + 1
    } else if base + 2 <= 0x3FFF {
        base + 2
    } else if base + 3 <= MAX_PACKET_LEN {
        base + 3
    } else {
        return Err(EncodeError::TooLarge(base.saturating_add(3)));
    };
    out.push(SIGNATURE);
    out.extend_from_slice(&flags.to_be_bytes());
    write_varint(total as u32, out);
    Ok(())
}

fn write_crc(start: usize, out: &mut Vec<u8>) {
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Frames an arbitrary body (everything between the length field and the
/// CRC) as a packet with a correct length and CRC. Lets decoder tests build
/// packets whose contents are deliberately wrong, e.g. a flag without its
/// field or a string containing NUL.
pub fn write_packet(flags: u16, body: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let start = out.len();
    write_header(flags, body.len(), out)?;
    out.extend_from_slice(body);
    write_crc(start, out);
    Ok(())
}

/// Appends one packet carrying exactly the fields of `ev`.
///
/// Every `Some` field is written, even when empty (an empty tag list, an
/// empty MIME type, a zero-length file), so decoding gives back the same
/// event; python-subunit instead drops empty tags and MIME types. The EOF
/// flag can only be set through `ev.file`. On error `out` is left as it was.
pub fn encode_event(ev: &Event<'_>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let mut flags = FLAG_VERSION_2 | ev.status.map_or(0, |s| s.to_bits());
    let mut body_len = 0usize;

    let ts = match ev.timestamp {
        Some(ts) => {
            let secs = u32::try_from(ts.secs).map_err(|_| EncodeError::TimestampSecs(ts.secs))?;
            if ts.nanos > MAX_VARINT {
                return Err(EncodeError::TimestampNanos(ts.nanos));
            }
            flags |= FLAG_TIMESTAMP;
            body_len += 4 + varint_len(ts.nanos as usize);
            Some((secs, ts.nanos))
        }
        None => None,
    };
    if let Some(id) = &ev.test_id {
        check_nul(id)?;
        flags |= FLAG_TEST_ID;
        body_len += str_len(id);
    }
    if let Some(tags) = &ev.tags {
        flags |= FLAG_TAGS;
        body_len += varint_len(tags.len());
        for tag in tags {
            check_nul(tag)?;
            body_len += str_len(tag);
        }
    }
    if ev.runnable {
        flags |= FLAG_RUNNABLE;
    }
    if let Some(mime) = &ev.mime {
        check_nul(mime)?;
        flags |= FLAG_MIME_TYPE;
        body_len += str_len(mime);
    }
    if let Some(file) = &ev.file {
        check_nul(&file.name)?;
        flags |= FLAG_FILE_CONTENT;
        if file.eof {
            flags |= FLAG_EOF;
        }
        body_len += str_len(&file.name) + varint_len(file.bytes.len()) + file.bytes.len();
    }
    if let Some(route) = &ev.route {
        check_nul(route)?;
        flags |= FLAG_ROUTE_CODE;
        body_len += str_len(route);
    }

    // Every count and length below is smaller than the packet, which the
    // header has just bounded by MAX_PACKET_LEN, so the varint writes and
    // `as u32` conversions cannot fail.
    let start = out.len();
    write_header(flags, body_len, out)?;
    if let Some((secs, nanos)) = ts {
        out.extend_from_slice(&secs.to_be_bytes());
        write_varint(nanos, out);
    }
    if let Some(id) = &ev.test_id {
        write_str(id, out);
    }
    if let Some(tags) = &ev.tags {
        write_varint(tags.len() as u32, out);
        for tag in tags {
            write_str(tag, out);
        }
    }
    if let Some(mime) = &ev.mime {
        write_str(mime, out);
    }
    if let Some(file) = &ev.file {
        write_str(&file.name, out);
        write_varint(file.bytes.len() as u32, out);
        out.extend_from_slice(&file.bytes);
    }
    if let Some(route) = &ev.route {
        write_str(route, out);
    }
    write_crc(start, out);
    debug_assert_eq!(
        out.len() - start,
        varint_total(&out[start..]),
        "length field disagrees with bytes written"
    );
    Ok(())
}

/// The packet length recorded in the header of `packet`.
fn varint_total(packet: &[u8]) -> usize {
    let b = &packet[3..];
    let width = usize::from(b[0] >> 6) + 1;
    let mut v = usize::from(b[0] & 0x3F);
    for &x in &b[1..width] {
        v = (v << 8) | usize::from(x);
    }
    v
}

/// Writes an attachment as one packet per `chunk_size` bytes (0 counts as
/// 1), the way testtools streams details: each packet repeats the
/// template's timestamp, test id, tags, MIME type, route code and runnable
/// flag; only the last one sets EOF and carries the template's status, so
/// a final status still closes the test after all of its bytes. An empty
/// attachment is a single empty EOF packet. The template's own `file` is
/// ignored. Returns the number of packets; on error `out` is left as it was.
pub fn encode_file_chunks(
    template: &Event<'_>,
    name: &str,
    bytes: &[u8],
    chunk_size: usize,
    out: &mut Vec<u8>,
) -> Result<usize, EncodeError> {
    let start = out.len();
    let chunk_size = chunk_size.max(1);
    let n = bytes.len().div_ceil(chunk_size).max(1);
    fn borrow<'b>(c: &'b Option<Cow<'_, str>>) -> Option<Cow<'b, str>> {
        c.as_deref().map(Cow::Borrowed)
    }
    let mut ev = Event {
        status: None,
        timestamp: template.timestamp,
        test_id: borrow(&template.test_id),
        tags: template
            .tags
            .as_ref()
            .map(|t| t.iter().map(|s| Cow::Borrowed(&**s)).collect()),
        mime: borrow(&template.mime),
        file: None,
        route: borrow(&template.route),
        runnable: template.runnable,
    };
    for i in 0..n {
        let last = i + 1 == n;
        let lo = i * chunk_size;
        let hi = bytes.len().min(lo + chunk_size);
        ev.file = Some(FileChunk {
            name: Cow::Borrowed(name),
            bytes: Cow::Borrowed(&bytes[lo.min(hi)..hi]),
            eof: last,
        });
        if last {
            ev.status = template.status;
        }
        if let Err(e) = encode_event(&ev, out) {
            out.truncate(start);
            return Err(e);
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::event::{Status, Timestamp};

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn enc(ev: &Event<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        encode_event(ev, &mut out).unwrap();
        out
    }

    fn s(x: &str) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(x))
    }

    /// 2015-10-05T19:49:04.812133Z, as python-subunit sends it.
    const TS: Timestamp = Timestamp {
        secs: 1_444_074_544,
        nanos: 812_133_000,
    };

    // The expected bytes below were produced by python-subunit 1.4's
    // StreamResultToBytes.status() with the same arguments.

    #[test]
    fn matches_python_subunit_status_with_timestamp() {
        let ev = Event {
            test_id: s("x"),
            status: Some(Status::Success),
            timestamp: Some(TS),
            runnable: true,
            ..Event::default()
        };
        assert_eq!(enc(&ev), hex("b32b03125612d430f0682a88017897780512"));
    }

    #[test]
    fn matches_python_subunit_minimal() {
        let ev = Event {
            test_id: s("x"),
            status: Some(Status::Success),
            ..Event::default()
        };
        assert_eq!(enc(&ev), hex("b328030a017884ca46ca"));
        assert_eq!(enc(&Event::default()), hex("b32000081815f0ba"));
    }

    #[test]
    fn matches_python_subunit_tags_and_route() {
        let ev = Event {
            test_id: s("tempest.api.t[id-1,smoke]"),
            status: Some(Status::InProgress),
            tags: Some(vec![Cow::Borrowed("worker-0")]),
            route: s("0"),
            timestamp: Some(TS),
            runnable: true,
            ..Event::default()
        };
        assert_eq!(
            enc(&ev),
            hex(
                "b32f82365612d430f0682a881974656d706573742e6170692e745b69642d312c736d6f6b655d\
                 0108776f726b65722d300130cf401d85"
            )
        );
    }

    #[test]
    fn matches_python_subunit_attachment() {
        let ev = Event {
            test_id: s("x"),
            file: Some(FileChunk {
                name: Cow::Borrowed("pythonlogging:''"),
                bytes: Cow::Borrowed(b"hello\n"),
                eof: true,
            }),
            mime: s("text/plain; charset=\"utf8\""),
            tags: Some(vec![Cow::Borrowed("worker-1")]),
            route: s("1"),
            timestamp: Some(TS),
            runnable: true,
            ..Event::default()
        };
        assert_eq!(
            enc(&ev),
            hex(
                "b32ff040525612d430f0682a8801780108776f726b65722d311a746578742f706c61696e3b\
                 20636861727365743d22757466382210707974686f6e6c6f6767696e673a27270668656c6c\
                 6f0a01318f633487"
            )
        );
    }

    #[test]
    fn matches_python_subunit_non_ascii() {
        let ev = Event {
            test_id: s("café"),
            status: Some(Status::Fail),
            tags: Some(vec![Cow::Borrowed("été"), Cow::Borrowed("b")]),
            route: s("ré"),
            ..Event::default()
        };
        assert_eq!(
            enc(&ev),
            hex("b32c861b05636166c3a90205c3a974c3a901620372c3a9930ad54d")
        );
    }

    #[test]
    fn length_field_widths_follow_python_subunit() {
        // A 54-byte id makes a 63-byte packet (1-byte length); 55 bytes
        // cannot fit 1 byte, and the 2-byte length makes it 65.
        let ev = |n| Event {
            test_id: Some(Cow::Owned("z".repeat(n))),
            ..Event::default()
        };
        let p = enc(&ev(54));
        assert_eq!(p.len(), 63);
        assert_eq!(&p[..4], &hex("b328003f")[..]);
        assert_eq!(&p[p.len() - 4..], &hex("1a12b54e")[..]);
        let p = enc(&ev(55));
        assert_eq!(p.len(), 65);
        assert_eq!(&p[..5], &hex("b328004041")[..]);
        assert_eq!(&p[p.len() - 4..], &hex("d0ae0c16")[..]);

        // 20000 file bytes: python-subunit gives 20017 bytes, 3-byte length.
        let ev = Event {
            file: Some(FileChunk {
                name: Cow::Borrowed("big"),
                bytes: Cow::Owned(vec![b'a'; 20000]),
                eof: true,
            }),
            ..Event::default()
        };
        let p = enc(&ev);
        assert_eq!(p.len(), 20017);
        assert_eq!(&p[..12], &hex("b32050804e3103626967804e")[..]);
        assert_eq!(&p[p.len() - 4..], &hex("d01eddcf")[..]);
    }

    #[test]
    fn length_field_is_consistent_at_every_boundary() {
        for n in (0..200).chain(16300..16420).chain(4_194_200..4_194_290) {
            let ev = Event {
                file: Some(FileChunk {
                    name: Cow::Borrowed(""),
                    bytes: Cow::Owned(vec![7; n]),
                    eof: false,
                }),
                ..Event::default()
            };
            let mut out = Vec::new();
            match encode_event(&ev, &mut out) {
                Ok(()) => {
                    assert_eq!(varint_total(&out), out.len(), "n = {n}");
                    let width = usize::from(out[3] >> 6) + 1;
                    let minimal = varint_len(out.len());
                    assert_eq!(width, minimal, "n = {n}");
                }
                Err(EncodeError::TooLarge(len)) => {
                    assert!(len > MAX_PACKET_LEN);
                    assert!(out.is_empty());
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn largest_packet_fits_and_one_more_byte_does_not() {
        // header 1 + 2 + 3, file name "" (1) + 3-byte length, CRC 4
        let max_file = MAX_PACKET_LEN - (1 + 2 + 3 + 1 + 3 + 4);
        let ev = |n| Event {
            file: Some(FileChunk {
                name: Cow::Borrowed(""),
                bytes: Cow::Owned(vec![0; n]),
                eof: true,
            }),
            ..Event::default()
        };
        let mut out = vec![1, 2, 3];
        encode_event(&ev(max_file), &mut out).unwrap();
        assert_eq!(out.len(), 3 + MAX_PACKET_LEN);
        out.truncate(3);
        assert_eq!(
            encode_event(&ev(max_file + 1), &mut out),
            Err(EncodeError::TooLarge(MAX_PACKET_LEN + 1))
        );
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn varint_widths_and_boundaries() {
        let cases: &[(u32, &str)] = &[
            (0, "00"),
            (63, "3f"),
            (64, "4040"),
            (16383, "7fff"),
            (16384, "804000"),
            (4_194_303, "bfffff"),
            (4_194_304, "c0400000"),
            (MAX_VARINT, "ffffffff"),
        ];
        for &(v, h) in cases {
            let mut out = Vec::new();
            write_varint(v, &mut out);
            assert_eq!(out, hex(h), "{v}");
            assert_eq!(varint_len(v as usize), out.len());
        }
    }

    #[test]
    fn non_minimal_varints() {
        let cases: &[(u32, usize, &str)] = &[
            (5, 1, "05"),
            (5, 2, "4005"),
            (5, 3, "800005"),
            (5, 4, "c0000005"),
            (63, 4, "c000003f"),
            (16383, 3, "803fff"),
            (4_194_303, 4, "c03fffff"),
        ];
        for &(v, w, h) in cases {
            let mut out = Vec::new();
            write_varint_width(v, w, &mut out);
            assert_eq!(out, hex(h), "{v} in {w} bytes");
        }
    }

    #[test]
    #[should_panic(expected = "does not fit")]
    fn varint_too_wide_value_panics() {
        write_varint_width(64, 1, &mut Vec::new());
    }

    #[test]
    #[should_panic(expected = "does not fit")]
    fn varint_above_maximum_panics() {
        write_varint(MAX_VARINT + 1, &mut Vec::new());
    }

    #[test]
    fn crc_covers_everything_before_it() {
        let ev = Event {
            test_id: s("a.b.c"),
            status: Some(Status::XFail),
            timestamp: Some(TS),
            ..Event::default()
        };
        let p = enc(&ev);
        let (body, crc) = p.split_at(p.len() - 4);
        assert_eq!(crc, crc32fast::hash(body).to_be_bytes());
    }

    #[test]
    fn every_field_combination_encodes() {
        let texts = ["", "a", "é-日本", &"long".repeat(40)];
        for mask in 0u32..256 {
            for (k, t) in texts.iter().enumerate() {
                let on = |bit: u32| mask & (1 << bit) != 0;
                let ev = Event {
                    status: on(0).then_some(Status::Skip),
                    timestamp: on(1).then_some(Timestamp {
                        secs: if k == 0 { 0 } else { i64::from(u32::MAX) },
                        nanos: [0, 63, 999_999_999, MAX_VARINT][k],
                    }),
                    test_id: on(2).then_some(Cow::Borrowed(*t)),
                    tags: on(3).then(|| texts[..k].iter().map(|x| Cow::Borrowed(*x)).collect()),
                    mime: on(4).then_some(Cow::Borrowed(*t)),
                    file: on(5).then(|| FileChunk {
                        name: Cow::Borrowed(*t),
                        bytes: Cow::Owned(t.as_bytes().repeat(k * 50)),
                        eof: on(7),
                    }),
                    route: on(6).then_some(Cow::Borrowed(*t)),
                    runnable: on(7),
                };
                let p = enc(&ev);
                assert_eq!(p[0], SIGNATURE);
                assert_eq!(varint_total(&p), p.len());
                let flags = u16::from_be_bytes([p[1], p[2]]);
                assert_eq!(flags & 0xF000, FLAG_VERSION_2);
                assert_eq!(flags & 0x0008, 0);
                assert_eq!(Status::from_bits(flags), ev.status);
                assert_eq!(flags & FLAG_TIMESTAMP != 0, on(1));
                assert_eq!(flags & FLAG_TEST_ID != 0, on(2));
                assert_eq!(flags & FLAG_TAGS != 0, on(3));
                assert_eq!(flags & FLAG_MIME_TYPE != 0, on(4));
                assert_eq!(flags & FLAG_FILE_CONTENT != 0, on(5));
                assert_eq!(flags & FLAG_ROUTE_CODE != 0, on(6));
                assert_eq!(flags & FLAG_RUNNABLE != 0, on(7));
                assert_eq!(flags & FLAG_EOF != 0, on(5) && on(7));
            }
        }
    }

    #[test]
    fn empty_fields_are_written_not_dropped() {
        let ev = Event {
            test_id: s(""),
            tags: Some(vec![]),
            mime: s(""),
            file: Some(FileChunk {
                name: Cow::Borrowed(""),
                bytes: Cow::Borrowed(b""),
                eof: true,
            }),
            route: s(""),
            ..Event::default()
        };
        // flags 0x2CF0: version, id, route, tags, file, mime, eof
        // body: id "", tag count 0, mime "", file "" + 0 bytes, route ""
        let mut want = hex("b32cf00e000000000000");
        want.extend(crc32fast::hash(&want).to_be_bytes());
        assert_eq!(enc(&ev), want);
    }

    #[test]
    fn unencodable_events_leave_output_untouched() {
        let mut out = vec![9];
        let bad = [
            (
                Event {
                    timestamp: Some(Timestamp { secs: -1, nanos: 0 }),
                    ..Event::default()
                },
                EncodeError::TimestampSecs(-1),
            ),
            (
                Event {
                    timestamp: Some(Timestamp {
                        secs: 1 << 32,
                        nanos: 0,
                    }),
                    ..Event::default()
                },
                EncodeError::TimestampSecs(1 << 32),
            ),
            (
                Event {
                    timestamp: Some(Timestamp {
                        secs: 0,
                        nanos: MAX_VARINT + 1,
                    }),
                    ..Event::default()
                },
                EncodeError::TimestampNanos(MAX_VARINT + 1),
            ),
            (
                Event {
                    tags: Some(vec![Cow::Borrowed("a\0b")]),
                    ..Event::default()
                },
                EncodeError::Nul("a\0b".into()),
            ),
        ];
        for (ev, err) in bad {
            assert_eq!(encode_event(&ev, &mut out), Err(err));
            assert_eq!(out, [9]);
        }
    }

    #[test]
    fn write_packet_frames_raw_bodies() {
        // Same bytes as the python-subunit "x" success packet.
        let mut body = Vec::new();
        write_str("x", &mut body);
        let mut out = Vec::new();
        write_packet(FLAG_VERSION_2 | FLAG_TEST_ID | 3, &body, &mut out).unwrap();
        assert_eq!(out, hex("b328030a017884ca46ca"));
    }

    #[test]
    fn file_chunks_split_and_carry_status_last() {
        let template = Event {
            test_id: s("t"),
            status: Some(Status::Fail),
            mime: s("text/plain"),
            tags: Some(vec![Cow::Borrowed("worker-0")]),
            route: s("0"),
            timestamp: Some(TS),
            runnable: true,
            file: None,
        };
        let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let mut out = Vec::new();
        let n = encode_file_chunks(&template, "log", &data, FILE_CHUNK_SIZE, &mut out).unwrap();
        assert_eq!(n, 4);

        let mut want = Vec::new();
        for (i, chunk) in data.chunks(FILE_CHUNK_SIZE).enumerate() {
            let last = i == 3;
            let ev = Event {
                status: if last { template.status } else { None },
                file: Some(FileChunk {
                    name: Cow::Borrowed("log"),
                    bytes: Cow::Borrowed(chunk),
                    eof: last,
                }),
                ..template.clone()
            };
            encode_event(&ev, &mut want).unwrap();
        }
        assert_eq!(out, want);

        // An empty attachment is one empty EOF packet with the status.
        out.clear();
        assert_eq!(
            encode_file_chunks(&template, "log", b"", 0, &mut out),
            Ok(1)
        );
        let ev = Event {
            file: Some(FileChunk {
                name: Cow::Borrowed("log"),
                bytes: Cow::Borrowed(b""),
                eof: true,
            }),
            ..template.clone()
        };
        assert_eq!(out, enc(&ev));
    }

    #[test]
    fn file_chunks_leave_output_untouched_on_error() {
        let template = Event {
            test_id: Some(Cow::Owned("i".repeat(100))),
            ..Event::default()
        };
        let big = vec![0u8; MAX_PACKET_LEN];
        let mut out = vec![9];
        let r = encode_file_chunks(&template, "a", &big, MAX_PACKET_LEN, &mut out);
        assert!(matches!(r, Err(EncodeError::TooLarge(_))));
        let r = encode_file_chunks(&template, "a\0", &big, FILE_CHUNK_SIZE, &mut out);
        assert!(matches!(r, Err(EncodeError::Nul(_))));
        assert_eq!(out, [9]);
        assert_eq!(
            encode_file_chunks(&template, "a", &big, FILE_CHUNK_SIZE, &mut out),
            Ok(64)
        );
    }
}
