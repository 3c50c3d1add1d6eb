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

pub(super) struct Decoder {
    /// Unconsumed input, one element per line (python's `buffered_bytes`).
    buffered: VecDeque<Vec<u8>>,
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
            Some(last) if last.last() != Some(&b'\n') => last.extend_from_slice(piece),
            _ => self.buffered.push_back(piece.to_vec()),
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
                    let len = first.len() as u64;
                    if left >= len {
                        out.extend_from_slice(first);
                        self.held -= first.len();
                        self.buffered.pop_front();
                        if left == len {
                            // Ending on an element boundary, python waits for
                            // the next line before looking for a size.
                            self.state = State::Size;
                            return Step::More;
                        }
                        self.state = State::Body(left - len);
                    } else {
                        let n = left as usize;
                        out.extend_from_slice(&first[..n]);
                        first.drain(..n);
                        self.held -= n;
                        self.state = State::Size;
                    }
                }
                State::Size => {
                    let count = self.size_chars();
                    if count.last() != Some(&b'\n') {
                        return Step::More;
                    }
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

    /// The size characters python collects: from each buffered element, the
    /// leading run of hex digits, CR and LF, up to and including a LF.
    fn size_chars(&self) -> Vec<u8> {
        let mut count = Vec::new();
        for elem in &self.buffered {
            for &b in elem {
                if !(b.is_ascii_hexdigit() || b == b'\r' || b == b'\n') {
                    break;
                }
                count.push(b);
                if b == b'\n' {
                    break;
                }
            }
        }
        count
    }

    /// Drops `n` bytes from the front, whichever elements they came from.
    fn drop_front(&mut self, mut n: usize) {
        while n > 0 {
            let Some(first) = self.buffered.front_mut() else {
                return;
            };
            if n >= first.len() {
                n -= first.len();
                self.held -= first.len();
                self.buffered.pop_front();
            } else {
                first.drain(..n);
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
