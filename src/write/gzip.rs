//! Gzip on every core, as one ordinary gzip member.
//!
//! A file's data arrives in buffers of about 256 KiB, gathered into pieces
//! of 1 MiB. Each piece is deflated as its own run of blocks on a shared
//! pool of threads, primed with the 32 KiB that precede it (so matches reach across the seam as in
//! a serial stream) and ended with a sync flush, which closes on a byte
//! boundary; the pieces are written in order, then one empty final block
//! and the trailer. The result is a single member: browsers decoding a
//! `Content-Encoding: gzip` response stop after the first member (Chromium
//! ignores the bytes after it), so independently compressed members would
//! lose everything after the first buffer there.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Write};
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use flate2::{Compress, Compression, FlushCompress, Status};

/// The level `-z` uses unless `--gzip-level` says otherwise. On the
/// benchmark stream M (docs/PERFORMANCE.md): level 3 comes within 5.2 % of
/// `gzip -6`'s size and the whole export takes half of `gzip -6`'s CPU
/// time; level 4 is 1.9 % larger than `gzip -6` at 0.56 of its CPU, too
/// close to the 0.6 target; level 2 is 12 % larger, level 1 53 %.
pub const DEFAULT_LEVEL: u32 = 3;

/// Deflate's window: how far back a match may reach.
const WINDOW: usize = 32 * 1024;

/// Uncompressed bytes per piece. Priming with the dictionary costs about
/// as much as compressing 32 KiB, so larger pieces waste less (3 % here).
const PIECE: usize = 1 << 20;

/// Pieces of one file being compressed at once.
const IN_FLIGHT: usize = 3;

/// A final, empty block with fixed codes (BFINAL=1, BTYPE=01, end of
/// block): ends a stream whose pieces all end in a sync flush.
const LAST_BLOCK: [u8; 2] = [0x03, 0x00];

/// One compressed buffer: its input (for reuse), its deflate bytes and
/// the CRC of its input.
struct Piece {
    input: Vec<u8>,
    deflated: io::Result<Vec<u8>>,
    crc: crc32fast::Hasher,
}

type Job = Box<dyn FnOnce() + Send>;

/// The shared compression threads, one per core, started on first use
/// and living as long as the process.
fn pool() -> &'static Mutex<mpsc::Sender<Job>> {
    static POOL: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let n = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
        for _ in 0..n {
            let rx = Arc::clone(&rx);
            let _ = std::thread::Builder::new()
                .name("gzip".into())
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
        }
        Mutex::new(tx)
    })
}

thread_local! {
    /// Each pool thread keeps its compressor (level, state) between
    /// buffers: setting one up costs more than resetting it.
    static DEFLATE: RefCell<Option<(u32, Compress)>> = const { RefCell::new(None) };
}

/// Deflates `data` after the dictionary `dict` (the bytes before it),
/// ending in a sync flush.
fn deflate_piece(level: u32, dict: &[u8], data: &[u8]) -> io::Result<Vec<u8>> {
    DEFLATE.with(|cell| {
        let mut cell = cell.borrow_mut();
        let c = match &mut *cell {
            Some((l, c)) if *l == level => {
                c.reset();
                c
            }
            slot => {
                &mut slot
                    .insert((level, Compress::new(Compression::new(level), false)))
                    .1
            }
        };
        if !dict.is_empty() {
            c.set_dictionary(dict).map_err(io::Error::other)?;
        }
        let mut out = Vec::with_capacity(data.len() / 2 + 1024);
        let start = c.total_in();
        loop {
            let done = (c.total_in() - start) as usize;
            let status = c
                .compress_vec(&data[done..], &mut out, FlushCompress::Sync)
                .map_err(io::Error::other)?;
            let consumed = (c.total_in() - start) as usize == data.len();
            // The flush is complete once it left room in the output.
            if consumed && out.len() < out.capacity() {
                return Ok(out);
            }
            if status == Status::BufError || out.len() == out.capacity() {
                out.reserve(out.capacity().max(64 * 1024));
            }
        }
    })
}

/// A gzip member written to `file`, its buffers deflated on the pool.
pub(crate) struct ParallelGz {
    file: File,
    level: u32,
    /// The last bytes before the next buffer (up to [`WINDOW`]).
    tail: Vec<u8>,
    pending: VecDeque<mpsc::Receiver<Piece>>,
    crc: crc32fast::Hasher,
    started: bool,
    /// The piece being gathered.
    gather: Vec<u8>,
    /// Emptied pieces, for reuse.
    spare: Vec<Vec<u8>>,
}

impl ParallelGz {
    pub(crate) fn new(file: File, level: u32) -> ParallelGz {
        ParallelGz {
            file,
            level: level.clamp(1, 9),
            tail: Vec::with_capacity(WINDOW),
            pending: VecDeque::new(),
            crc: crc32fast::Hasher::new(),
            started: false,
            gather: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// Takes `buf` for compression; returns it emptied, for reuse.
    pub(crate) fn push(&mut self, mut buf: Vec<u8>) -> io::Result<Option<Vec<u8>>> {
        if self.gather.capacity() == 0 {
            self.gather = self
                .spare
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(PIECE));
        }
        self.gather.extend_from_slice(&buf);
        buf.clear();
        if self.gather.len() >= PIECE {
            let piece = std::mem::take(&mut self.gather);
            self.submit(piece)?;
        }
        Ok(Some(buf))
    }

    /// Queues a piece for compression, writing out the oldest queued one
    /// when too many are.
    fn submit(&mut self, buf: Vec<u8>) -> io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let dict = std::mem::take(&mut self.tail);
        // The next buffer's dictionary: the last WINDOW bytes so far.
        let mut next = Vec::with_capacity(WINDOW);
        if buf.len() < WINDOW {
            next.extend_from_slice(&dict[dict.len().saturating_sub(WINDOW - buf.len())..]);
        }
        next.extend_from_slice(&buf[buf.len().saturating_sub(WINDOW)..]);
        self.tail = next;
        let (tx, rx) = mpsc::sync_channel(1);
        let level = self.level;
        let job: Job = Box::new(move || {
            let deflated = deflate_piece(level, &dict, &buf);
            let mut crc = crc32fast::Hasher::new();
            crc.update(&buf);
            let _ = tx.send(Piece {
                input: buf,
                deflated,
                crc,
            });
        });
        pool()
            .lock()
            .map_err(|_| io::Error::other("the gzip threads stopped"))?
            .send(job)
            .map_err(|_| io::Error::other("the gzip threads stopped"))?;
        self.pending.push_back(rx);
        if self.pending.len() > IN_FLIGHT {
            let done = self.write_oldest()?;
            self.spare.push(done);
        }
        Ok(())
    }

    /// Waits for the oldest queued buffer and writes its deflate bytes;
    /// returns the buffer, emptied.
    fn write_oldest(&mut self) -> io::Result<Vec<u8>> {
        let rx = self.pending.pop_front().expect("a queued buffer");
        let piece = rx
            .recv()
            .map_err(|_| io::Error::other("a gzip thread stopped"))?;
        self.header()?;
        self.file.write_all(&piece.deflated?)?;
        self.crc.combine(&piece.crc);
        let mut input = piece.input;
        input.clear();
        Ok(input)
    }

    /// Writes the member's header once.
    fn header(&mut self) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        // Magic, deflate, no flags, no time; XFL as zlib sets it; OS unknown.
        let xfl = match self.level {
            1 => 4,
            9 => 2,
            _ => 0,
        };
        self.file
            .write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255])
    }

    /// Writes what is queued and ends the member; returns the file.
    pub(crate) fn finish(mut self) -> io::Result<File> {
        let last = std::mem::take(&mut self.gather);
        self.submit(last)?;
        while !self.pending.is_empty() {
            self.write_oldest()?;
        }
        // Also for an empty file: one empty member.
        self.header()?;
        self.file.write_all(&LAST_BLOCK)?;
        let len = self.crc.total_len();
        let crc = self.crc.clone().finalize();
        self.file.write_all(&crc.to_le_bytes())?;
        self.file.write_all(&(len as u32).to_le_bytes())?;
        Ok(self.file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek};

    fn roundtrip(chunks: &[Vec<u8>], level: u32) -> (Vec<u8>, Vec<u8>) {
        let mut file = tempfile::tempfile().unwrap();
        let mut gz = ParallelGz::new(file.try_clone().unwrap(), level);
        for c in chunks {
            gz.push(c.clone()).unwrap();
        }
        gz.finish().unwrap();
        file.rewind().unwrap();
        let mut packed = Vec::new();
        file.read_to_end(&mut packed).unwrap();
        // The single-member decoder: what a browser does.
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_end(&mut plain)
            .unwrap();
        (packed, plain)
    }

    fn text(n: usize, seed: u64) -> Vec<u8> {
        use rand::{RngExt, SeedableRng};
        const ABC: &[u8] = b"abcdefgh \"{}:,0123";
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        (0..n)
            .map(|i| {
                if i % 61 == 0 {
                    b'\n'
                } else {
                    ABC[rng.random_range(0..ABC.len())]
                }
            })
            .collect()
    }

    #[test]
    fn one_member_that_a_single_member_decoder_reads_whole() {
        let chunks = vec![
            text(300_000, 1),
            text(10, 2),
            text(40_000, 3),
            Vec::new(),
            text(262_144, 4),
            text(1, 5),
        ];
        for level in [1, 4, 9] {
            let (packed, plain) = roundtrip(&chunks, level);
            assert_eq!(plain, chunks.concat(), "level {level}");
            // The member's trailer holds the CRC and length of the whole.
            let n = packed.len();
            let crc = u32::from_le_bytes(packed[n - 8..n - 4].try_into().unwrap());
            let len = u32::from_le_bytes(packed[n - 4..].try_into().unwrap());
            assert_eq!(crc, crc32fast::hash(&chunks.concat()));
            assert_eq!(len as usize, chunks.concat().len());
        }
    }

    #[test]
    fn matches_reach_across_buffers() {
        // The same 100 KB twice, split at the seam: the second copy costs
        // almost nothing only if the dictionary carries the first.
        let a = text(100_000, 7);
        let (packed, plain) = roundtrip(&[a.clone(), a[a.len() - 30_000..].to_vec()], 6);
        let (alone, _) = roundtrip(std::slice::from_ref(&a), 6);
        assert_eq!(plain.len(), 130_000);
        // Without it, the 30 KB would cost some 12 KB more.
        assert!(
            packed.len() < alone.len() + 1000,
            "{} vs {}",
            packed.len(),
            alone.len()
        );
    }

    #[test]
    fn empty_file_is_an_empty_member() {
        let (packed, plain) = roundtrip(&[], 4);
        assert!(plain.is_empty());
        assert_eq!(&packed[..2], &[0x1f, 0x8b]);
    }
}
