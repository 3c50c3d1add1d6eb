//! CRC-32 of many overlapping spans of one buffer without rehashing them.
//!
//! Resynchronising after damage means asking, at every 0xB3 byte, whether a
//! packet with a valid CRC starts there, and a packet may claim up to 4 MiB.
//! Hashing each candidate's span directly costs its claimed length, so input
//! full of 0xB3 bytes claiming large lengths would take quadratic time.
//! Instead, CRCs of prefixes are kept every `STEP` bytes, and the CRC of
//! any span follows from two prefix CRCs (zlib's `crc32_combine` identity):
//! `crc(B) = crc(A ‖ B) ⊕ crc(A)·x^(8|B|) mod P`. Each byte is hashed once per
//! resynchronisation, and each span then costs a few table multiplications.

use std::sync::OnceLock;

/// Spans up to this long are simply hashed.
const DIRECT: usize = 1024;
/// Distance between stored prefix CRCs.
const STEP: usize = 256;
/// The reflected CRC-32 polynomial.
const POLY: u32 = 0xEDB8_8320;

/// Prefix CRCs over a sliding window of a stream.
#[derive(Debug, Default)]
pub struct SpanCrc {
    /// Stream offset of the first prefix.
    origin: u64,
    /// `marks[i]` is the CRC-32 of the stream bytes `origin .. origin + i * STEP`.
    marks: Vec<u32>,
}

impl SpanCrc {
    pub fn new() -> Self {
        Self::default()
    }

    /// The CRC-32 of `buf[from..to]`, where `buf[0]` is at stream offset
    /// `base`. Calls for the same stream may move `base` forward (the window
    /// slides) as long as `buf` still starts at `base`.
    pub fn crc(&mut self, buf: &[u8], base: u64, from: usize, to: usize) -> u32 {
        if to - from <= DIRECT {
            return crc32fast::hash(&buf[from..to]);
        }
        let start = base + from as u64;
        let covered = self.origin + (self.marks.len().saturating_sub(1) * STEP) as u64;
        if self.marks.is_empty() || self.origin < base || start < self.origin || start > covered {
            self.origin = start;
            self.marks.clear();
            self.marks.push(0);
        }
        let org = (self.origin - base) as usize;
        while org + self.marks.len() * STEP <= to {
            let lo = org + (self.marks.len() - 1) * STEP;
            let last = *self.marks.last().expect("not empty");
            self.marks.push(extend(last, &buf[lo..lo + STEP]));
        }
        let prefix = |at: usize| {
            let k = (at - org) / STEP;
            extend(self.marks[k], &buf[org + k * STEP..at])
        };
        prefix(to) ^ shift(prefix(from), to - from)
    }
}

fn extend(crc: u32, bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(crc);
    h.update(bytes);
    h.finalize()
}

/// `a·b mod P`, bit 31 being the coefficient of x^0 (zlib's `multmodp`).
fn multmodp(a: u32, mut b: u32) -> u32 {
    let mut m = 1u32 << 31;
    let mut p = 0;
    loop {
        if a & m != 0 {
            p ^= b;
            if a & (m - 1) == 0 {
                return p;
            }
        }
        m >>= 1;
        if m == 0 {
            return p;
        }
        b = if b & 1 != 0 { (b >> 1) ^ POLY } else { b >> 1 };
    }
}

/// `x^(8·b·256^j) mod P` for each byte `b` of a length, `j` = 0, 1, 2.
fn tables() -> &'static [[u32; 256]; 3] {
    static TABLES: OnceLock<[[u32; 256]; 3]> = OnceLock::new();
    TABLES.get_or_init(|| {
        // x2n[k] = x^(2^k)
        let mut x2n = [0u32; 32];
        x2n[0] = 1 << 30;
        for k in 1..32 {
            x2n[k] = multmodp(x2n[k - 1], x2n[k - 1]);
        }
        let mut t = [[0u32; 256]; 3];
        for (j, row) in t.iter_mut().enumerate() {
            for (b, slot) in row.iter_mut().enumerate() {
                // x^(8·b·256^j): bit i of b contributes x^(2^(i + 3 + 8j)).
                let mut p = 1u32 << 31;
                for i in 0..8 {
                    if b >> i & 1 != 0 {
                        p = multmodp(x2n[i + 3 + 8 * j], p);
                    }
                }
                *slot = p;
            }
        }
        t
    })
}

/// `crc·x^(8n) mod P`: the CRC of a prefix carried over `n` more bytes.
fn shift(crc: u32, n: usize) -> u32 {
    assert!(n < 1 << 24, "span too long");
    let t = tables();
    let m = multmodp(
        t[0][n & 0xFF],
        multmodp(t[1][(n >> 8) & 0xFF], t[2][(n >> 16) & 0xFF]),
    );
    multmodp(m, crc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize, seed: u64) -> Vec<u8> {
        use rand::{RngExt, SeedableRng};
        let mut data = vec![0u8; n];
        rand::rngs::StdRng::seed_from_u64(seed).fill(&mut data[..]);
        data
    }

    #[test]
    fn spans_match_direct_hashing() {
        let data = bytes(20_000, 7);
        let mut s = SpanCrc::new();
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(12345);
        for _ in 0..2000 {
            let from = rng.random_range(0..data.len());
            let len = rng.random_range(0..=data.len() - from);
            assert_eq!(
                s.crc(&data, 0, from, from + len),
                crc32fast::hash(&data[from..from + len]),
                "span {from}..{}",
                from + len
            );
        }
    }

    #[test]
    fn spans_follow_a_sliding_window() {
        let data = bytes(50_000, 3);
        let mut s = SpanCrc::new();
        for base in (0..40_000).step_by(977) {
            let window = &data[base..];
            for (from, len) in [(0, 5000), (300, 2000), (1, 9000), (4000, 1025)] {
                assert_eq!(
                    s.crc(window, base as u64, from, from + len),
                    crc32fast::hash(&window[from..from + len])
                );
            }
        }
    }

    #[test]
    fn shifting_matches_zeros_appended() {
        // crc(A ‖ 0^n) = shift(crc(A), n) ⊕ crc(0^n)
        let a = bytes(100, 9);
        for n in [0usize, 1, 255, 256, 70_000, (1 << 22) - 1] {
            let mut joined = a.clone();
            joined.resize(100 + n, 0);
            let zeros = vec![0u8; n];
            assert_eq!(
                crc32fast::hash(&joined),
                shift(crc32fast::hash(&a), n) ^ crc32fast::hash(&zeros),
                "n = {n}"
            );
        }
    }
}
