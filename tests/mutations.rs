//! Deterministic damage to every fixture stream: flipped bits, truncation,
//! zeroed, duplicated and random ranges, and text between packets. Every
//! damaged stream must export completely (or fail cleanly, leaving nothing),
//! quickly, without a panic.

mod common;

use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use stackviz_export::{export, Collect, FormatKind, Options};
use stackviz_export::{sniff_stream, Protocol};

/// Streams larger than this are mutated through their first this-many
/// bytes, to keep the test fast in debug builds.
const MAX_BASE: usize = 64 * 1024;
/// Mutants per fixture and mutation kind.
const PER_KIND: usize = 2;

/// Seeded, so that a failure names a mutant that can be made again.
struct Rng(StdRng);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(StdRng::seed_from_u64(seed))
    }
    fn next(&mut self) -> u64 {
        self.0.random()
    }
    /// Uniform in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n)
    }
    /// A range of at most `max` bytes inside `0..len` (`len` > 0).
    fn range(&mut self, len: usize, max: usize) -> (usize, usize) {
        let start = self.below(len);
        let n = 1 + self.below(max.min(len - start));
        (start, start + n)
    }
}

/// Every distinct `*.subunit` fixture, by path.
fn fixtures() -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformance");
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = walk(&root)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "subunit"))
        .collect();
    paths.sort();
    for p in paths {
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.truncate(MAX_BASE);
        if seen.insert(bytes.clone()) {
            out.push((p, bytes));
        }
    }
    assert!(out.len() >= 40, "fixtures missing: {}", out.len());
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Offsets where packets start, following length fields from the start.
fn packet_starts(data: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 6 <= data.len() && data[at] == 0xB3 {
        out.push(at);
        match stackviz_export::testkit::read_varint(data, at + 3) {
            Some((len, w)) if w < 4 && len >= 8 => at += len as usize,
            _ => break,
        }
    }
    out.push(at.min(data.len()));
    out
}

const TEXT: [&[u8]; 4] = [
    b"stray print output\n",
    b"Traceback (most recent call last):\n  File \"x.py\", line 1\n",
    b"2015-10-05 19:49:04.812 INFO [tempest] test: ok\r\n",
    b"\x00\x00\xff\xfe garbage \x1b[31m",
];

type Mutator = fn(&mut Rng, &[u8]) -> Vec<u8>;

fn flip_bits(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(d.len());
        d[at] ^= 1 << rng.below(8);
    }
    d
}

fn truncate(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    data[..rng.below(data.len())].to_vec()
}

fn zero_range(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    let (a, b) = rng.range(d.len(), 64);
    d[a..b].fill(0);
    d
}

fn duplicate_range(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let (a, b) = rng.range(data.len(), 300);
    let at = rng.below(data.len() + 1);
    let mut d = data[..at].to_vec();
    d.extend_from_slice(&data[a..b]);
    d.extend_from_slice(&data[at..]);
    d
}

fn random_bytes(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    let (a, b) = rng.range(d.len(), 48);
    for x in &mut d[a..b] {
        *x = rng.next() as u8;
    }
    // And some inserted, 0xB3 included now and then.
    let at = rng.below(d.len() + 1);
    let extra: Vec<u8> = (0..1 + rng.below(16))
        .map(|i| if i == 0 { 0xB3 } else { rng.next() as u8 })
        .collect();
    d.splice(at..at, extra);
    d
}

fn text_at_boundaries(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let starts = packet_starts(data);
    let mut picks: Vec<usize> = (0..1 + rng.below(4))
        .map(|_| starts[rng.below(starts.len())])
        .collect();
    picks.sort_unstable();
    picks.dedup();
    let mut d = Vec::new();
    let mut last = 0;
    for at in picks {
        d.extend_from_slice(&data[last..at]);
        d.extend_from_slice(TEXT[rng.below(TEXT.len())]);
        last = at;
    }
    d.extend_from_slice(&data[last..]);
    d
}

/// Exports one mutant and checks the outcome. Returns whether it exported.
fn check_mutant(dir: &Path, what: &str, bytes: &[u8], n: usize) -> bool {
    let input = dir.join(format!("m{n}.subunit"));
    std::fs::write(&input, bytes).unwrap();
    let dest = dir.join(format!("out{n}/nested"));
    let format = if n.is_multiple_of(2) {
        FormatKind::Tempest
    } else {
        FormatKind::Artifacts
    };
    let opts = Options {
        dest: dest.clone(),
        files: vec![input],
        format,
        gzip: n.is_multiple_of(3),
        ..Options::default()
    };
    let started = Instant::now();
    let result = export(&opts, &mut Collect::default());
    let took = started.elapsed();
    assert!(took < Duration::from_secs(20), "{what}: took {took:?}");
    match result {
        Ok(summary) => {
            let checked = common::check_export(&dest);
            assert_eq!(checked.raw.len(), 1, "{what}");
            assert_eq!(checked.raw[0].len() as u64, summary.tests, "{what}");
            true
        }
        Err(e) => {
            // Only a stream read as v1 may fail (until the v1 reader lands);
            // then nothing at all is left behind.
            let protocol = sniff_stream(Box::new(Cursor::new(bytes.to_vec())))
                .unwrap()
                .protocol;
            assert_eq!(protocol, Protocol::V1, "{what}: export failed: {e}");
            assert!(!dest.exists(), "{what}: failed export left {dest:?}");
            false
        }
    }
}

/// Runs `kind` over every fixture on a worker thread, failing on a panic
/// or if the whole run does not finish in time (a hang).
fn run_kind(name: &'static str, kind: Mutator, seed: u64) {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = Rng::new(seed);
        let (mut ok, mut total) = (0, 0);
        for (path, base) in fixtures() {
            if base.is_empty() {
                continue;
            }
            for i in 0..PER_KIND {
                let mutant = kind(&mut rng, &base);
                let what = format!("{name} #{i} of {}", path.display());
                ok += usize::from(check_mutant(dir.path(), &what, &mutant, total));
                total += 1;
            }
        }
        tx.send((ok, total)).unwrap();
    });
    match rx.recv_timeout(Duration::from_secs(240)) {
        Ok((ok, total)) => {
            worker.join().unwrap();
            // Most fixtures are v2, whose damage never stops an export.
            assert!(
                ok * 10 >= total * 8,
                "{name}: only {ok} of {total} exported"
            );
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(worker.join().unwrap_err());
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{name}: no result in 240 s (hang?)"),
    }
}

#[test]
fn bit_flips() {
    run_kind("bit flips", flip_bits, 1);
}

#[test]
fn truncation() {
    run_kind("truncation", truncate, 2);
}

#[test]
fn zeroed_ranges() {
    run_kind("zeroed range", zero_range, 3);
}

#[test]
fn duplicated_ranges() {
    run_kind("duplicated range", duplicate_range, 4);
}

#[test]
fn random_bytes_overwritten_and_inserted() {
    run_kind("random bytes", random_bytes, 5);
}

#[test]
fn text_between_packets() {
    run_kind("text at packet boundaries", text_at_boundaries, 6);
}

/// The binary on a sample of mutants: exit 0 with a complete export, or
/// exit 1 with one error line and nothing written.
#[test]
fn binary_on_a_sample() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(99);
    let kinds: [Mutator; 6] = [
        flip_bits,
        truncate,
        zero_range,
        duplicate_range,
        random_bytes,
        text_at_boundaries,
    ];
    let all = fixtures();
    let (mut exported, mut failed) = (0, 0);
    for (n, (path, base)) in all.iter().enumerate().step_by(5) {
        if base.is_empty() {
            continue;
        }
        let mutant = kinds[n % kinds.len()](&mut rng, base);
        let input = dir.path().join(format!("s{n}.subunit"));
        std::fs::write(&input, &mutant).unwrap();
        let dest = dir.path().join(format!("missing/out{n}"));
        let out = assert_cmd::Command::cargo_bin("stackviz-export")
            .unwrap()
            .arg("-f")
            .arg(&input)
            .arg(&dest)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.stdout.is_empty(),
            "{}: stdout not empty",
            path.display()
        );
        match out.status.code() {
            Some(0) => {
                common::check_export(&dest);
                exported += 1;
            }
            Some(1) => {
                let last = stderr.lines().last().unwrap_or("");
                assert!(last.starts_with("stackviz-export: error: "), "{stderr}");
                assert!(!dest.exists() && !dest.parent().unwrap().exists());
                failed += 1;
            }
            other => panic!("{}: exit {other:?}: {stderr}", path.display()),
        }
    }
    assert!(exported >= 8, "exported {exported}, failed {failed}");
}
