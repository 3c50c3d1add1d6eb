//! The event model shared by every reader: one `Event` per subunit v2 packet
//! (or per v1 directive, once translated).
//!
//! Events borrow from the reader's buffer where they can, so a packet's
//! attachment bytes are only copied when the record assembler keeps them.

use std::borrow::Cow;

/// A test status as carried by a packet (the low three bits of the flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// `exists`: the test is known, not run.
    Exists,
    /// `inprogress`: the test started.
    InProgress,
    /// `success`
    Success,
    /// `uxsuccess`: an unexpected success.
    UxSuccess,
    /// `skip`
    Skip,
    /// `fail`
    Fail,
    /// `xfail`: an expected failure.
    XFail,
}

impl Status {
    /// Maps the 3-bit status field; 0 means "no status".
    pub fn from_bits(bits: u16) -> Option<Status> {
        match bits & 0x7 {
            1 => Some(Status::Exists),
            2 => Some(Status::InProgress),
            3 => Some(Status::Success),
            4 => Some(Status::UxSuccess),
            5 => Some(Status::Skip),
            6 => Some(Status::Fail),
            7 => Some(Status::XFail),
            _ => None,
        }
    }

    /// The 3-bit status field for this status.
    pub fn to_bits(self) -> u16 {
        match self {
            Status::Exists => 1,
            Status::InProgress => 2,
            Status::Success => 3,
            Status::UxSuccess => 4,
            Status::Skip => 5,
            Status::Fail => 6,
            Status::XFail => 7,
        }
    }

    /// The word StackViz writes for this status.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Exists => "exists",
            Status::InProgress => "inprogress",
            Status::Success => "success",
            Status::UxSuccess => "uxsuccess",
            Status::Skip => "skip",
            Status::Fail => "fail",
            Status::XFail => "xfail",
        }
    }

    /// Whether a packet with this status finishes its test record.
    pub fn is_final(self) -> bool {
        !matches!(self, Status::InProgress)
    }
}

/// A packet timestamp as transmitted: whole seconds plus nanoseconds.
///
/// Nanoseconds may exceed 10^9 (a 4-byte varint holds up to 2^30 - 1); the
/// excess simply adds seconds, as it does in python-subunit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// Whole seconds since the epoch.
    pub secs: i64,
    /// Nanoseconds, possibly more than a second's worth.
    pub nanos: u32,
}

impl Timestamp {
    /// Microseconds since the epoch, nanoseconds rounded half to even like
    /// Python's `timedelta(microseconds=ns / 1000)`.
    pub fn micros(self) -> i64 {
        let q = i64::from(self.nanos / 1000);
        let r = self.nanos % 1000;
        let us = if r > 500 || (r == 500 && q % 2 == 1) {
            q + 1
        } else {
            q
        };
        self.secs * 1_000_000 + us
    }
}

/// One chunk of an attachment ("file" in subunit terms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChunk<'a> {
    /// The attachment's name.
    pub name: Cow<'a, str>,
    /// This chunk's bytes.
    pub bytes: Cow<'a, [u8]>,
    /// The end-of-file flag; carried for completeness, unused by StackViz.
    pub eof: bool,
}

/// Everything one packet says. Absent fields are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event<'a> {
    /// The test status, if the packet carries one.
    pub status: Option<Status>,
    /// When the packet was sent.
    pub timestamp: Option<Timestamp>,
    /// The test the packet is about.
    pub test_id: Option<Cow<'a, str>>,
    /// The test's tags (replacing earlier ones).
    pub tags: Option<Vec<Cow<'a, str>>>,
    /// The MIME type of `file`.
    pub mime: Option<Cow<'a, str>>,
    /// An attachment chunk.
    pub file: Option<FileChunk<'a>>,
    /// The route code (which worker process sent it).
    pub route: Option<Cow<'a, str>>,
    /// The runnable flag (0x0100); carried for round trips, unused here.
    pub runnable: bool,
}

impl Event<'_> {
    /// Detaches the event from the buffer it borrows from.
    pub fn into_owned(self) -> Event<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        Event {
            status: self.status,
            timestamp: self.timestamp,
            test_id: self.test_id.map(own),
            tags: self.tags.map(|t| t.into_iter().map(own).collect()),
            mime: self.mime.map(own),
            file: self.file.map(|f| FileChunk {
                name: own(f.name),
                bytes: Cow::Owned(f.bytes.into_owned()),
                eof: f.eof,
            }),
            route: self.route.map(own),
            runnable: self.runnable,
        }
    }
}

/// Something a reader noticed that did not stop it: skipped bytes and the
/// like. `offset` is the byte offset in the (decompressed) stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Byte offset in the (decompressed) stream.
    pub offset: u64,
    /// What happened, for the user.
    pub message: String,
}

/// Where readers deliver what they decode, in stream order.
pub trait EventSink {
    /// One event; an error stops the reader.
    fn event(&mut self, event: Event<'_>) -> Result<(), crate::Error>;
    /// Something the reader noticed and skipped.
    fn warning(&mut self, warning: Warning);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(secs: i64, nanos: u32) -> i64 {
        Timestamp { secs, nanos }.micros()
    }

    #[test]
    fn rounding_is_half_to_even() {
        assert_eq!(us(0, 1500), 2);
        assert_eq!(us(0, 2500), 2);
        assert_eq!(us(0, 500), 0);
        assert_eq!(us(0, 999), 1);
        assert_eq!(us(0, 1499), 1);
        assert_eq!(us(0, 3500), 4);
    }

    #[test]
    fn rounding_carries_into_the_next_second() {
        assert_eq!(us(10, 999_999_500), 11_000_000);
        assert_eq!(us(10, 999_999_499), 10_999_999);
        assert_eq!(us(0, 1_073_741_823), 1_073_742);
    }

    #[test]
    fn status_bits_round_trip() {
        for bits in 1..8u16 {
            assert_eq!(Status::from_bits(bits).unwrap().to_bits(), bits);
        }
        assert_eq!(Status::from_bits(0), None);
        assert_eq!(Status::from_bits(0x2003), Some(Status::Success));
    }
}
