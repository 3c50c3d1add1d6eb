//! Opening inputs: files, standard input, repository runs. Gzip is detected
//! by its magic bytes, and the protocol (v2 packets or v1 text) by sniffing
//! the head of the (decompressed) stream, which is then replayed, so every
//! stream is read exactly once.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use flate2::read::MultiGzDecoder;

use crate::decode::v2::crc::SpanCrc;
use crate::decode::v2::{self, SIGNATURE};

/// How much of a stream is looked at to tell v1 from v2.
const SNIFF: usize = 64 * 1024;

/// Which protocol a stream speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Subunit v2 packets.
    V2,
    /// The subunit v1 line protocol.
    V1,
}

/// Where a stream comes from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Stdin,
}

impl Origin {
    pub fn label(&self) -> String {
        match self {
            Origin::File(p) => p.display().to_string(),
            Origin::Stdin => "<stdin>".to_owned(),
        }
    }

    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Origin::File(p) => Box::new(File::open(p)?),
            Origin::Stdin => Box::new(io::stdin()),
        })
    }

    /// The input's size when it is a regular file (not a pipe or a
    /// terminal), for a progress display.
    pub fn size(&self) -> Option<u64> {
        let meta = match self {
            Origin::File(p) => std::fs::metadata(p).ok(),
            Origin::Stdin => stdin_metadata(),
        };
        meta.filter(|m| m.is_file()).map(|m| m.len())
    }
}

/// What standard input is (`< run.subunit` makes it a regular file).
#[cfg(unix)]
fn stdin_metadata() -> Option<std::fs::Metadata> {
    use std::os::fd::AsFd;
    let fd = io::stdin().as_fd().try_clone_to_owned().ok()?;
    File::from(fd).metadata().ok()
}

#[cfg(not(unix))]
fn stdin_metadata() -> Option<std::fs::Metadata> {
    None
}

/// Counts the bytes read through it into a shared counter, so another
/// thread can show how far the input has been read.
pub struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> Counted<R> {
    pub fn new(inner: R, count: Arc<AtomicU64>) -> Counted<R> {
        Counted { inner, count }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A stream ready to decode: its sniffed head plus the rest of the reader.
pub struct Opened {
    /// The protocol sniffed from the head.
    pub protocol: Protocol,
    /// Whether the input was gzip-compressed.
    pub gzip: bool,
    /// The bytes already read for sniffing (decompressed).
    pub head: Vec<u8>,
    /// The rest of the stream (decompressed).
    pub rest: Box<dyn Read + Send>,
    /// Set when the gzip layer hit damaged data (then treated as the end).
    pub gzip_error: Arc<Mutex<Option<String>>>,
}

impl Opened {
    /// The whole stream as one reader, head first.
    pub fn into_reader(self) -> impl Read + Send {
        Cursor::new(self.head).chain(self.rest)
    }
}

/// Reads until `buf` holds `want` bytes or the reader ends.
fn read_up_to(r: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> io::Result<()> {
    let mut chunk = [0u8; 16 * 1024];
    while buf.len() < want {
        let n = match r.read(&mut chunk[..(want - buf.len()).min(16 * 1024)]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

/// Turns a gzip error into the end of the stream, remembering why, so what
/// decompressed before the damage is still exported.
struct Lenient<R> {
    inner: R,
    error: Arc<Mutex<Option<String>>>,
    done: bool,
}

impl<R: Read> Read for Lenient<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Err(e) if e.kind() != io::ErrorKind::Interrupted => {
                self.done = true;
                *self.error.lock().expect("lock") = Some(e.to_string());
                Ok(0)
            }
            r => r,
        }
    }
}

/// Opens a raw stream: gunzips it when it starts with the gzip magic and sniffs its protocol, keeping the head to replay.
pub fn prepare(mut raw: Box<dyn Read + Send>) -> io::Result<Opened> {
    let mut head = Vec::new();
    read_up_to(&mut raw, &mut head, 2)?;
    let gzip_error = Arc::new(Mutex::new(None));
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let mut rest: Box<dyn Read + Send> = if gzip {
        let inner = MultiGzDecoder::new(Cursor::new(std::mem::take(&mut head)).chain(raw));
        Box::new(Lenient {
            inner,
            error: gzip_error.clone(),
            done: false,
        })
    } else {
        raw
    };
    read_up_to(&mut rest, &mut head, SNIFF)?;
    let protocol = sniff(&mut head, &mut rest)?;
    Ok(Opened {
        protocol,
        gzip,
        head,
        rest,
        gzip_error,
    })
}

/// v1 only when the head holds no valid v2 packet but does hold a v1
/// directive; anything else is decoded as v2 (stray text is skipped there).
fn sniff(head: &mut Vec<u8>, rest: &mut dyn Read) -> io::Result<Protocol> {
    if has_v2_packet(head, rest)? || !has_v1_directive(head) {
        Ok(Protocol::V2)
    } else {
        Ok(Protocol::V1)
    }
}

fn has_v2_packet(head: &mut Vec<u8>, rest: &mut dyn Read) -> io::Result<bool> {
    let mut spans = SpanCrc::new();
    let mut at = 0;
    while let Some(i) = memchr::memchr(SIGNATURE, &head[at..]) {
        let p = at + i;
        if head.len() - p < 6 {
            let want = head.len() + 6;
            read_up_to(rest, head, want)?;
        }
        if head.len() - p >= 6 {
            if let Some((len, width)) = v2::read_varint(head, p + 3) {
                let len = len as usize;
                if width < 4 && len >= 8 {
                    if head.len() - p < len && p < SNIFF {
                        // A packet that starts in the head may end past it.
                        read_up_to(rest, head, p + len)?;
                    }
                    if head.len() - p >= len {
                        let crc = &head[p + len - 4..p + len];
                        if spans.crc(head, 0, p, p + len - 4)
                            == u32::from_be_bytes(crc.try_into().expect("4 bytes"))
                        {
                            return Ok(true);
                        }
                    }
                }
            }
        }
        at = p + 1;
        if at >= SNIFF {
            break;
        }
    }
    Ok(false)
}

const V1_WORDS: [&str; 12] = [
    "test",
    "testing",
    "success",
    "successful",
    "failure",
    "error",
    "skip",
    "xfail",
    "uxsuccess",
    "tags",
    "time",
    "progress",
];

/// A line whose first word, less a trailing `:`, is a v1 directive, and
/// which has more text after it.
pub fn has_v1_directive(head: &[u8]) -> bool {
    head.split(|&b| b == b'\n').any(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(sp) = line.iter().position(|&b| b == b' ' || b == b'\t') else {
            return false;
        };
        let word = &line[..sp];
        let word = word.strip_suffix(b":").unwrap_or(word);
        let more = line[sp..].iter().any(|b| !b.is_ascii_whitespace());
        more && V1_WORDS.iter().any(|w| w.as_bytes() == word)
    })
}

/// The last path component as the user would read it.
pub fn basename(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_directives_are_recognised() {
        assert!(has_v1_directive(b"junk\ntest: a.b\n"));
        assert!(has_v1_directive(b"success a.b\r\n"));
        assert!(!has_v1_directive(b"test:\n"));
        assert!(!has_v1_directive(b"testing123 x\n"));
        assert!(!has_v1_directive(b"hello world\n"));
    }

    #[test]
    fn gzip_is_detected_and_v1_sniffed() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"test: a\nsuccess: a\n").unwrap();
        let bytes = gz.finish().unwrap();
        let o = prepare(Box::new(Cursor::new(bytes))).unwrap();
        assert!(o.gzip);
        assert_eq!(o.protocol, Protocol::V1);
        let mut all = Vec::new();
        o.into_reader().read_to_end(&mut all).unwrap();
        assert_eq!(all, b"test: a\nsuccess: a\n");
    }
}
