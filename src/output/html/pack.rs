//! Compression for the page's blocks: gzip members made by libdeflate,
//! base64-encoded.
//!
//! A block's text is one or more base64 pieces, one per line, each a gzip
//! member of its own (the page decompresses them one by one and joins the
//! bytes). Whole buffers are libdeflate's strength: on this machine its
//! level 1 packs tempest logs 3 % smaller than zlib-rs's level 2 in 75 % of
//! the time, and its level 6 packs a million test names in 60 % of
//! zlib-rs's level-6 time; streaming data is cut into 1 MiB pieces so that
//! it never has to be held whole.

use std::io;

use super::escape::base64_into;

/// Makes one gzip member per call, reusing its buffers.
pub(super) struct Gzip {
    deflate: libdeflater::Compressor,
    out: Vec<u8>,
}

impl Gzip {
    /// `level` 1 (fastest) to 12 (smallest).
    pub(super) fn new(level: i32) -> Gzip {
        let level = libdeflater::CompressionLvl::new(level)
            .unwrap_or_else(|_| libdeflater::CompressionLvl::default());
        Gzip {
            deflate: libdeflater::Compressor::new(level),
            out: Vec::new(),
        }
    }

    /// `data` as one gzip member.
    pub(super) fn pack(&mut self, data: &[u8]) -> io::Result<&[u8]> {
        let bound = self.deflate.gzip_compress_bound(data.len());
        if self.out.len() < bound {
            self.out.resize(bound, 0);
        }
        let n = self
            .deflate
            .gzip_compress(data, &mut self.out)
            .map_err(|e| io::Error::other(format!("gzip: {e:?}")))?;
        Ok(&self.out[..n])
    }
}

/// The size of a piece of a streamed block.
const PIECE: usize = 1 << 20;

/// A block's text built from bytes that arrive a little at a time: every
/// 1 MiB is compressed and encoded as one line.
pub(super) struct Pieces {
    gz: Gzip,
    pending: Vec<u8>,
    text: Vec<u8>,
}

impl Pieces {
    pub(super) fn new(level: i32) -> Pieces {
        Pieces {
            gz: Gzip::new(level),
            pending: Vec::new(),
            text: Vec::new(),
        }
    }

    pub(super) fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= PIECE {
            let mut at = 0;
            while self.pending.len() - at >= PIECE {
                put(&mut self.gz, &mut self.text, &self.pending[at..at + PIECE]);
                at += PIECE;
            }
            self.pending.drain(..at);
        }
    }

    /// The block's text (at least one piece, which may hold no bytes).
    pub(super) fn finish(mut self) -> Vec<u8> {
        if !self.pending.is_empty() || self.text.is_empty() {
            put(&mut self.gz, &mut self.text, &self.pending);
        }
        self.text
    }

    /// The block's text for bytes that are all at hand.
    pub(super) fn all(level: i32, bytes: &[u8]) -> Vec<u8> {
        let mut p = Pieces::new(level);
        for piece in bytes.chunks(PIECE) {
            put(&mut p.gz, &mut p.text, piece);
        }
        p.finish()
    }
}

/// Appends one piece's line to a block's text.
fn put(gz: &mut Gzip, text: &mut Vec<u8>, piece: &[u8]) {
    if !text.is_empty() {
        text.push(b'\n');
    }
    base64_into(text, gz.pack(piece).expect("in-memory gzip"));
}

/// A block's bytes back from its text (tests of the formats use it).
#[cfg(test)]
pub(super) fn unpack(text: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    use std::io::Read;
    let mut out = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(line)
            .expect("a line of base64");
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_pieces_unpack_to_their_input() {
        let mut gz = Gzip::new(1);
        let big: Vec<u8> = (0..700_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        for t in [&b""[..], b"hello hello hello", &big] {
            let mut text = Vec::new();
            base64_into(&mut text, gz.pack(t).unwrap());
            assert_eq!(unpack(&text), t);
        }
        // Streamed in uneven bits: a line per MiB, joined they are the input.
        let mut p = Pieces::new(4);
        for bit in big.chunks(77_777) {
            p.push(bit);
        }
        let text = p.finish();
        assert_eq!(
            text.split(|&b| b == b'\n').count(),
            big.len().div_ceil(PIECE)
        );
        assert_eq!(unpack(&text), big);
        assert_eq!(unpack(&Pieces::all(1, &big)), big);
        // Nothing at all is still one (empty) member.
        assert!(unpack(&Pieces::new(1).finish()).is_empty());
    }
}
