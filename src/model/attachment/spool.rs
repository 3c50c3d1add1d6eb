//! Attachments too large to hold: past [`SPILL_AT`] bytes their text is
//! decoded as the chunks arrive and appended to a spool file, so memory does
//! not grow with attachment size. The details writer escapes the text from
//! the spool, piece by piece, when the test's entry is written.
//!
//! The spool is one unnamed file per stream (created in the output
//! directory and unlinked at once, so nothing is left behind whatever
//! happens); attachments of tests that run at the same time interleave in
//! it, each remembering its segments.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::stream::TextDecoder;
use crate::{Error, Result};

/// An attachment stays in memory up to this many bytes.
pub const SPILL_AT: usize = 1 << 20;
/// Text goes to the spool, and comes back, in pieces of about this size.
const SEGMENT: usize = 256 * 1024;
/// How much of the end of a spilled text stays in memory: the failure
/// lines in the stats and the report's capped excerpt look at the end only.
pub const TAIL: usize = 1 << 20;

/// The spool file of one stream, shared by the assembler (which appends)
/// and the writer (which reads finished attachments back).
#[derive(Debug)]
pub struct Spool {
    file: File,
    path: PathBuf,
}

impl PartialEq for Spool {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Spool {
    /// Creates an unnamed spool file in `dir`.
    fn create(dir: &Path) -> Result<Spool> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".stackviz-export-spool.{}.{n}", std::process::id()));
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        // Unlinked at once: the open handle keeps the data.
        let _ = std::fs::remove_file(&path);
        Ok(Spool { file, path })
    }

    /// Errors name the spool's path (already unlinked: a temporary file
    /// of this run in DEST).
    fn err(&self, e: io::Error) -> Error {
        Error::io(&self.path, e)
    }
}

/// The appending end of a stream's spool, created on first use.
#[derive(Debug)]
pub struct SpoolWriter {
    dir: PathBuf,
    spool: Option<Arc<Spool>>,
    len: u64,
}

impl SpoolWriter {
    pub fn new(dir: PathBuf) -> SpoolWriter {
        SpoolWriter {
            dir,
            spool: None,
            len: 0,
        }
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(Arc<Spool>, u64)> {
        let spool = match &self.spool {
            Some(s) => s.clone(),
            None => {
                let s = Arc::new(Spool::create(&self.dir)?);
                self.spool = Some(s.clone());
                s
            }
        };
        let at = self.len;
        spool
            .file
            .write_all_at(bytes, at)
            .map_err(|e| spool.err(e))?;
        self.len += bytes.len() as u64;
        Ok((spool, at))
    }
}

/// Where a spilled attachment's text is.
#[derive(Debug, Clone, PartialEq)]
pub struct Spooled {
    spool: Option<Arc<Spool>>,
    /// (offset, length) in the spool, in order.
    segments: Vec<(u64, u64)>,
    /// Bytes of the decoded text (before escaping).
    pub text_len: u64,
    /// False when the bytes turned out not to be text (left out then).
    pub is_text: bool,
}

impl Spooled {
    /// Feeds the whole text to `f`, piece by piece (each piece whole
    /// characters).
    pub fn copy_text(&self, f: &mut dyn FnMut(&str) -> Result<()>) -> Result<()> {
        let Some(spool) = &self.spool else {
            return Ok(());
        };
        let mut buf = vec![0u8; SEGMENT + 4];
        // Bytes of a character cut by the previous piece.
        let mut carry = 0usize;
        for &(at, len) in &self.segments {
            let mut done = 0u64;
            while done < len {
                let n = (len - done).min(SEGMENT as u64) as usize;
                spool
                    .file
                    .read_exact_at(&mut buf[carry..carry + n], at + done)
                    .map_err(|e| spool.err(e))?;
                done += n as u64;
                let filled = carry + n;
                let text = match std::str::from_utf8(&buf[..filled]) {
                    Ok(t) => t,
                    Err(e) if e.error_len().is_none() => {
                        std::str::from_utf8(&buf[..e.valid_up_to()]).expect("checked")
                    }
                    Err(_) => return Err(spool.err(io::ErrorKind::InvalidData.into())),
                };
                let used = text.len();
                f(text)?;
                buf.copy_within(used..filled, 0);
                carry = filled - used;
            }
        }
        Ok(())
    }
}

/// An attachment being spilled.
#[derive(Debug)]
pub struct Spill {
    /// `None` when the MIME type is not text: the bytes are dropped.
    decoder: Option<TextDecoder>,
    text: String,
    segments: Vec<(u64, u64)>,
    spool: Option<Arc<Spool>>,
    tail: String,
    text_len: u64,
}

impl Spill {
    pub fn new(mime: Option<&str>) -> Spill {
        Spill {
            decoder: TextDecoder::new(mime),
            text: String::new(),
            segments: Vec::new(),
            spool: None,
            tail: String::new(),
            text_len: 0,
        }
    }

    /// Takes the next bytes of the attachment.
    pub fn feed(&mut self, bytes: &[u8], out: &mut SpoolWriter) -> Result<()> {
        let Some(dec) = &mut self.decoder else {
            return Ok(());
        };
        dec.feed(bytes, &mut self.text);
        self.take_text(out, false)
    }

    /// Keeps the end of the decoded text and writes full segments.
    fn take_text(&mut self, out: &mut SpoolWriter, last: bool) -> Result<()> {
        if self.text.len() < SEGMENT && !last {
            return Ok(());
        }
        let text = std::mem::take(&mut self.text);
        self.text_len += text.len() as u64;
        self.tail.push_str(&text);
        if self.tail.len() >= 2 * TAIL {
            let mut cut = self.tail.len() - TAIL;
            while !self.tail.is_char_boundary(cut) {
                cut += 1;
            }
            self.tail.drain(..cut);
        }
        if !text.is_empty() {
            let (spool, at) = out.append(text.as_bytes())?;
            self.segments.push((at, text.len() as u64));
            self.spool = Some(spool);
        }
        self.text = text;
        self.text.clear();
        Ok(())
    }

    /// Ends the attachment: its spool segments, and the end of its text.
    pub fn finish(mut self, out: &mut SpoolWriter) -> Result<(Spooled, String)> {
        let is_text = match &mut self.decoder {
            None => false,
            Some(dec) => {
                dec.finish(&mut self.text);
                dec.is_text()
            }
        };
        if is_text {
            self.take_text(out, true)?;
        }
        let mut tail = std::mem::take(&mut self.tail);
        if tail.len() > TAIL {
            let mut cut = tail.len() - TAIL;
            while !tail.is_char_boundary(cut) {
                cut += 1;
            }
            tail.drain(..cut);
        }
        Ok((
            Spooled {
                spool: self.spool,
                segments: self.segments,
                text_len: self.text_len,
                is_text,
            },
            if is_text { tail } else { String::new() },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::attachment::Attachment;

    fn spill_through(mime: &str, bytes: &[u8], chunk: usize) -> (Spooled, String) {
        let dir = std::env::temp_dir();
        let mut out = SpoolWriter::new(dir);
        let mut spill = Spill::new(Some(mime));
        for c in bytes.chunks(chunk) {
            spill.feed(c, &mut out).unwrap();
        }
        spill.finish(&mut out).unwrap()
    }

    #[test]
    fn spooled_text_is_the_whole_text_and_its_end_stays() {
        // Latin-1 with quotes, controls and high bytes, over several segments.
        let bytes: Vec<u8> = (0..3_000_000u32)
            .map(|i| [b'a', b'"', b'\n', 0xe9, b'\\', 0x01, b'z'][(i % 7) as usize])
            .collect();
        let mime = "text/plain; charset=latin-1";
        let text = Attachment {
            name: "log".into(),
            mime: Some(mime.into()),
            bytes: bytes.clone(),
        }
        .into_text()
        .unwrap();
        let (spooled, tail) = spill_through(mime, &bytes, 65_536);
        assert!(spooled.is_text);
        assert_eq!(spooled.text_len, text.len() as u64);
        assert!(spooled.segments.len() > 1);
        let mut back = String::new();
        spooled
            .copy_text(&mut |p| {
                back.push_str(p);
                Ok(())
            })
            .unwrap();
        assert!(back == text, "spooled text differs");
        assert!(tail.len() <= TAIL && tail.len() >= TAIL - 4);
        assert!(text.ends_with(&tail));
    }

    #[test]
    fn invalid_utf8_without_a_type_and_binary_types_are_not_text() {
        let mut out = SpoolWriter::new(std::env::temp_dir());
        let mut spill = Spill::new(None);
        spill.feed(&[b'x'; 100], &mut out).unwrap();
        spill.feed(b"\xff", &mut out).unwrap();
        let (spooled, tail) = spill.finish(&mut out).unwrap();
        assert!(!spooled.is_text);
        assert_eq!(tail, "");
        let (spooled, _) = spill_through("image/png", &[b'x'; 1000], 100);
        assert!(!spooled.is_text);
        assert!(spooled.segments.is_empty());
    }
}
