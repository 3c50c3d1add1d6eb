//! Attachment bodies in HTTP chunked coding, decoded the way python-subunit's
//! `chunked.Decoder` does when it is fed one line at a time.
//!
//! Valid input is simple: a hex size line, that many bytes, and so on up to
//! a size of 0. Damaged input is where python-subunit is peculiar: after a
//! size line it cannot read, it keeps every later line buffered and, on each
//! new line, looks for a size in the leading size characters of all of them
//! together, and may carry on from there. Repository runs must convert as
//! they did upstream, so that is reproduced too, up to [`HELD_LINES`] lines
//! or [`HELD_BYTES`] bytes held; beyond that the block is given up.

use std::collections::VecDeque;

pub(super) const HELD_LINES: usize = 4096;
pub(super) const HELD_BYTES: usize = 16 << 20;

/// What a write led to.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// The body goes on.
    More,
    /// The terminating zero-size chunk was read, and nothing is left over.
    Done,
    /// Input python-subunit raises an exception on, or too much held.
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Size,
    Body(u64),
}

/// One buffered line, or what is left of it.
struct Elem {
    bytes: Vec<u8>,
    /// Bytes before `start` have been consumed.
    start: usize,
    /// How many leading bytes (from `start`) are size characters, and
    /// whether that run ends with the LF. Kept up to date so that a rescan
    /// of all held lines costs one step per line, not per byte.
    size_len: usize,
    size_lf: bool,
}

fn is_size_char(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b'\r' || b == b'\n'
}

impl Elem {
    fn new(bytes: &[u8]) -> Elem {
        let mut e = Elem {
            bytes: bytes.to_vec(),
            start: 0,
            size_len: 0,
            size_lf: false,
        };
        e.scan();
        e
    }

    fn rest(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    fn len(&self) -> usize {
        self.bytes.len() - self.start
    }

    /// Extends the run of size characters over bytes not looked at yet; a
    /// run that already stopped at another byte stays stopped.
    fn scan(&mut self) {
        if self.size_lf {
            return;
        }
        let rest = &self.bytes[self.start..];
        while let Some(&b) = rest.get(self.size_len) {
            if !is_size_char(b) {
                return;
            }
            self.size_len += 1;
            if b == b'\n' {
                self.size_lf = true;
                return;
            }
        }
    }

    fn append(&mut self, piece: &[u8]) {
        self.bytes.extend_from_slice(piece);
        self.scan();
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.size_len = 0;
        self.size_lf = false;
        self.scan();
    }
}

pub(super) struct Decoder {
    /// Unconsumed input, one element per line (python's `buffered_bytes`).
    buffered: VecDeque<Elem>,
    held: usize,
    state: State,
}

impl Decoder {
    pub(super) fn new() -> Decoder {
        Decoder {
            buffered: VecDeque::new(),
            held: 0,
            state: State::Size,
        }
    }

    /// Feeds the next piece of a line: `piece` contains no newline except
    /// possibly as its last byte. Body bytes are appended to `out`.
    ///
    /// Decoding a line piece by piece gives what python-subunit gives for
    /// the whole line: the pieces extend one buffered element, and a partial
    /// line can never complete a size line.
    pub(super) fn write(&mut self, piece: &[u8], out: &mut Vec<u8>) -> Step {
        if piece.is_empty() {
            return Step::More;
        }
        match self.buffered.back_mut() {
            Some(last) if last.bytes.last() != Some(&b'\n') => last.append(piece),
            _ => self.buffered.push_back(Elem::new(piece)),
        }
        self.held += piece.len();
        if self.buffered.len() > HELD_LINES || self.held > HELD_BYTES {
            return Step::Failed;
        }
        self.run(out)
    }

    fn run(&mut self, out: &mut Vec<u8>) -> Step {
        loop {
            match self.state {
                State::Body(left) => {
                    let Some(first) = self.buffered.front_mut() else {
                        return Step::More;
                    };
                    let len = first.len();
                    if left >= len as u64 {
                        out.extend_from_slice(first.rest());
                        self.held -= len;
                        self.buffered.pop_front();
                        if left == len as u64 {
                            // Ending on an element boundary, python waits for
                            // the next line before looking for a size.
                            self.state = State::Size;
                            return Step::More;
                        }
                        self.state = State::Body(left - len as u64);
                    } else {
                        let n = left as usize;
                        out.extend_from_slice(&first.rest()[..n]);
                        first.consume(n);
                        self.held -= n;
                        self.state = State::Size;
                    }
                }
                State::Size => {
                    // The collected characters end with a LF only if the
                    // last line that contributes any ends with one.
                    let complete = self
                        .buffered
                        .iter()
                        .rev()
                        .find(|e| e.size_len > 0)
                        .is_some_and(|e| e.size_lf);
                    if !complete {
                        return Step::More;
                    }
                    let count: Vec<u8> = self
                        .buffered
                        .iter()
                        .flat_map(|e| &e.rest()[..e.size_len])
                        .copied()
                        .collect();
                    let Some(size) = parse_size(&count) else {
                        return Step::Failed;
                    };
                    self.drop_front(count.len());
                    if size == 0 {
                        // Anything still buffered trips python's assertion.
                        return if self.buffered.is_empty() {
                            Step::Done
                        } else {
                            Step::Failed
                        };
                    }
                    self.state = State::Body(size);
                }
            }
        }
    }

    /// Drops `n` bytes from the front, whichever elements they came from.
    fn drop_front(&mut self, mut n: usize) {
        while n > 0 {
            let Some(first) = self.buffered.front_mut() else {
                return;
            };
            let len = first.len();
            if n >= len {
                n -= len;
                self.held -= len;
                self.buffered.pop_front();
            } else {
                first.consume(n);
                self.held -= n;
                n = 0;
            }
        }
    }
}

/// The size from the collected characters, or `None` where python-subunit
/// raises. It wants CR LF at the end and no other CR, then reads the rest as
/// `int(…, 16)` (surrounding whitespace allowed). A plain `hex LF` is
/// accepted as well. Sizes beyond u64 saturate: the body then runs to the
/// end of the stream either way.
fn parse_size(count: &[u8]) -> Option<u64> {
    let strict = match count.strip_suffix(b"\r\n") {
        Some(head) => !head.contains(&b'\r'),
        None => false,
    };
    let lenient = count
        .strip_suffix(b"\n")
        .is_some_and(|head| !head.is_empty() && head.iter().all(u8::is_ascii_hexdigit));
    if !strict && !lenient {
        return None;
    }
    let mut text = count;
    while let [head @ .., b'\r' | b'\n'] = text {
        text = head;
    }
    while let [b'\r' | b'\n', tail @ ..] = text {
        text = tail;
    }
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u64, |acc, &b| {
        let d = (b as char).to_digit(16)?;
        Some(acc.saturating_mul(16).saturating_add(u64::from(d)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds whole lines, as python-subunit does.
    fn decode(lines: &[&[u8]]) -> (Vec<u8>, Vec<Step>) {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        let steps = lines.iter().map(|l| d.write(l, &mut out)).collect();
        (out, steps)
    }

    #[test]
    fn plain_chunks() {
        let (out, steps) = decode(&[b"5\r\n", b"hello6\r\n", b" world0\r\n"]);
        assert_eq!(out, b"hello world");
        assert_eq!(steps, [Step::More, Step::More, Step::Done]);
    }

    #[test]
    fn body_spanning_lines() {
        let (out, steps) = decode(&[b"8\r\n", b"]\n", b"]\n", b"0\r\n", b"\r0\r\n"]);
        assert_eq!(out, b"]\n]\n0\r\n\r");
        assert_eq!(steps.last(), Some(&Step::Done));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size(b"0\r\n"), Some(0));
        assert_eq!(parse_size(b"1A\r\n"), Some(26));
        assert_eq!(parse_size(b"ff\n"), Some(255));
        assert_eq!(parse_size(b"\n1\r\n"), Some(1));
        assert_eq!(parse_size(b"00000000000000000000000010\r\n"), Some(16));
        assert_eq!(parse_size(b"FFFFFFFFFFFFFFFFFFFFF\r\n"), Some(u64::MAX));
        for bad in [
            &b"\r\n"[..],
            b"\n",
            b"5\r\r\n",
            b"1\n2\r\n",
            b"1\r\n2\r\n",
            b"\r5\n",
        ] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn unreadable_size_waits_for_a_later_one() {
        // "log" is not a size: python keeps the line, finds "1" on the next
        // one, drops that many bytes from the front ("log"), reads the "\n"
        // left over as the body, and so on.
        let (out, steps) = decode(&[b"log\n", b"1\r\n", b"x0\r\n"]);
        assert_eq!(out, b"\nx");
        assert_eq!(steps, [Step::More, Step::More, Step::Done]);
        // Here the resumed scan ends on a lone LF, which python rejects.
        let (out, steps) = decode(&[b"3\r\n", b"hello0\r\n", b"x\n", b"1\r\n"]);
        assert_eq!(out, b"hel\r\r");
        assert_eq!(steps, [Step::More, Step::More, Step::More, Step::Failed]);
    }

    #[test]
    fn zero_size_with_leftovers_fails() {
        let (_, steps) = decode(&[b"3\r\n", b"hello0\r\n", b"0\r\n"]);
        assert_eq!(steps.last(), Some(&Step::Failed));
    }

    #[test]
    fn pieces_decode_like_lines() {
        let lines: [&[u8]; 7] = [
            b"3\r\n",
            b"hello0\r\n",
            b"ab\r\n",
            b"log\n",
            b"1\r\n",
            b"x0\r\n",
            b"0\r\n",
        ];
        let (whole_out, whole_steps) = decode(&lines);
        let mut d = Decoder::new();
        let mut out = Vec::new();
        let mut steps = Vec::new();
        for line in lines {
            let mut last = Step::More;
            for b in line.chunks(1) {
                last = d.write(b, &mut out);
            }
            steps.push(last);
        }
        assert_eq!(out, whole_out);
        assert_eq!(steps, whole_steps);
    }

    #[test]
    fn many_held_lines_stay_cheap() {
        // Long runs of size characters that never end a size line: each new
        // line must not rescan the bytes of all the earlier ones.
        let mut d = Decoder::new();
        let mut out = Vec::new();
        let mut line = vec![b'a'; 4000];
        line.extend_from_slice(b"z\n");
        let start = std::time::Instant::now();
        let mut last = Step::More;
        for _ in 0..HELD_LINES {
            last = d.write(&line, &mut out);
        }
        assert_eq!(last, Step::More);
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn holding_is_bounded() {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        assert_eq!(d.write(b"zz\r\n", &mut out), Step::More);
        let mut last = Step::More;
        for _ in 0..HELD_LINES {
            last = d.write(b"garbage\n", &mut out);
        }
        assert_eq!(last, Step::Failed);
        let mut d = Decoder::new();
        let big = vec![b'z'; 1 << 20];
        let mut last = Step::More;
        for _ in 0..=(HELD_BYTES >> 20) {
            last = d.write(&big, &mut out);
        }
        assert_eq!(last, Step::Failed);
    }
}
