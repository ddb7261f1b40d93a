//! One direction of a TCP connection as an ordered byte stream, in bounded memory.
//!
//! The application parsers want the bytes in order, once each. Captures give segments that
//! repeat (retransmissions, and UNSW-NB15's captures hold most packets twice), overlap, arrive
//! out of order, or never arrive (capture loss, a snapshot length that cut the payload).
//! [`Stream`] delivers each byte once, in sequence order, and turns what it cannot deliver into
//! a [`Chunk::Gap`] the parser can skip (inside a body of known length) or stop at.
//!
//! It holds at most one run of out-of-order bytes ([`MAX_HELD`] bytes): enough for the common
//! case of one segment overtaking another. A second segment that does not continue the held run
//! gives up on the hole: the hole becomes a gap and parsing goes on after it. Nothing else is
//! buffered, so a direction costs 16 bytes until it sees a segment ahead of the expected one.

/// The most out-of-order bytes one direction holds while it waits for a hole to fill.
pub(super) const MAX_HELD: usize = 4096;

/// What a direction delivers to its parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Chunk<'a> {
    /// The next bytes of the stream.
    Data(&'a [u8]),
    /// This many bytes of the stream were never seen; the next chunk follows them.
    Gap(u32),
    /// Bytes were lost and how many is not known (the parser must resynchronise or stop).
    Lost,
}

/// Out-of-order bytes waiting for the hole before them.
#[derive(Debug)]
struct Held {
    /// Sequence number of `bytes[0]`.
    sequence: u32,
    bytes: Vec<u8>,
}

impl Held {
    fn end(&self) -> u32 {
        self.sequence.wrapping_add(self.bytes.len() as u32)
    }
}

/// One direction's reassembly state.
#[derive(Debug, Default)]
pub(super) struct Stream {
    /// The sequence number of the next byte to deliver; `None` before the first segment.
    next: Option<u32>,
    held: Option<Box<Held>>,
}

/// Serial-number comparison (RFC 1982): how far `a` is ahead of `b` (negative: behind).
fn ahead(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

impl Stream {
    /// Takes a segment: `sequence` is its sequence number, `syn` whether it had SYN (which
    /// takes one sequence number before the payload). The first segment of a direction,
    /// SYN or not, fixes where the stream starts; bytes before that are never delivered.
    pub(super) fn segment(
        &mut self,
        sequence: u32,
        syn: bool,
        payload: &[u8],
        deliver: &mut impl FnMut(Chunk<'_>),
    ) {
        let start = if syn {
            sequence.wrapping_add(1)
        } else {
            sequence
        };
        let next = *self.next.get_or_insert(start);
        if payload.is_empty() {
            return;
        }
        // A payload longer than 2 GiB cannot be told apart from one behind the stream.
        let Ok(len) = u32::try_from(payload.len()) else {
            return;
        };
        let len = len.min(i32::MAX as u32);
        let payload = &payload[..len as usize];
        let offset = ahead(start, next);
        if offset <= 0 {
            let seen = offset.unsigned_abs() as usize;
            if seen < payload.len() {
                self.deliver(&payload[seen..], deliver);
                self.release_held(deliver);
            }
            return;
        }
        // Ahead of the stream: hold it, extend the held run, or give up on the hole.
        if let Some(held) = self.held.as_mut() {
            let into_held = ahead(start, held.sequence);
            let past_end = ahead(start, held.end());
            if into_held >= 0 && past_end <= 0 {
                let seen = past_end.unsigned_abs() as usize;
                if seen < payload.len() && held.bytes.len() + payload.len() - seen <= MAX_HELD {
                    super::extend_within(&mut held.bytes, &payload[seen..], MAX_HELD);
                    return;
                }
                if seen >= payload.len() {
                    return; // a retransmission of held bytes
                }
            }
            if into_held < 0 {
                // In the hole before the held run: what precedes it is lost.
                self.skip_to(start, deliver);
                self.deliver(payload, deliver);
                self.release_held(deliver);
                return;
            }
            self.flush_held(deliver);
            // The stream moved: take the segment again against the new position (no held
            // run now, so this recursion is one level deep).
            return self.segment(sequence, syn, payload, deliver);
        }
        if payload.len() <= MAX_HELD {
            self.held = Some(Box::new(Held {
                sequence: start,
                bytes: payload.to_vec(),
            }));
        } else {
            self.skip_to(start, deliver);
            self.deliver(payload, deliver);
        }
    }

    /// Delivers `bytes` as the next bytes of the stream.
    fn deliver(&mut self, bytes: &[u8], deliver: &mut impl FnMut(Chunk<'_>)) {
        deliver(Chunk::Data(bytes));
        if let Some(next) = self.next.as_mut() {
            *next = next.wrapping_add(bytes.len() as u32);
        }
    }

    /// Delivers the held run if the stream has reached it.
    fn release_held(&mut self, deliver: &mut impl FnMut(Chunk<'_>)) {
        let Some(next) = self.next else {
            return;
        };
        // While the hole is still there, the run stays held.
        let Some(held) = self.held.take_if(|h| ahead(h.sequence, next) <= 0) else {
            return;
        };
        let seen = ahead(held.sequence, next).unsigned_abs() as usize;
        if seen < held.bytes.len() {
            self.deliver(&held.bytes[seen..], deliver);
        }
    }

    /// Gives up on the hole before the held run: a gap, then the held bytes.
    fn flush_held(&mut self, deliver: &mut impl FnMut(Chunk<'_>)) {
        let (Some(next), Some(held)) = (self.next, self.held.take()) else {
            return;
        };
        if ahead(held.sequence, next) > 0 {
            self.skip_to(held.sequence, deliver);
        }
        self.deliver(&held.bytes, deliver);
    }

    /// Gives up on the bytes before `sequence` (ahead of the stream): a gap.
    fn skip_to(&mut self, sequence: u32, deliver: &mut impl FnMut(Chunk<'_>)) {
        if let Some(next) = self.next.replace(sequence) {
            deliver(Chunk::Gap(sequence.wrapping_sub(next)));
        }
    }

    /// Bytes this direction holds (for the tests' memory bound).
    #[cfg(test)]
    pub(super) fn held_bytes(&self) -> usize {
        self.held.as_ref().map_or(0, |h| h.bytes.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `(sequence, syn, payload)` segments and renders what comes out: data as text,
    /// gaps as `[gap n]`.
    fn run(segments: &[(u32, bool, &str)]) -> String {
        let mut stream = Stream::default();
        let mut out = String::new();
        for &(sequence, syn, payload) in segments {
            stream.segment(
                sequence,
                syn,
                payload.as_bytes(),
                &mut |chunk| match chunk {
                    Chunk::Data(d) => out.push_str(std::str::from_utf8(d).unwrap()),
                    Chunk::Gap(n) => out.push_str(&format!("[gap {n}]")),
                    Chunk::Lost => out.push_str("[lost]"),
                },
            );
        }
        out
    }

    #[test]
    fn in_order_after_a_syn() {
        assert_eq!(
            run(&[(99, true, ""), (100, false, "abc"), (103, false, "def")]),
            "abcdef"
        );
        // Data on the SYN itself (TCP Fast Open) starts after the SYN's sequence number.
        assert_eq!(run(&[(99, true, "ab"), (102, false, "c")]), "abc");
    }

    #[test]
    fn retransmissions_and_overlaps_deliver_each_byte_once() {
        let segments = [
            (1, false, "abc"),
            (1, false, "abc"),
            (2, false, "bcdef"),
            (4, false, "d"),
        ];
        assert_eq!(run(&segments), "abcdef");
        // A keep-alive probe: one byte before the stream.
        assert_eq!(run(&[(10, false, "xy"), (11, false, "y")]), "xy");
    }

    #[test]
    fn one_segment_overtaking_another_is_put_back_in_order() {
        assert_eq!(
            run(&[(0, false, "ab"), (4, false, "ef"), (2, false, "cd")]),
            "abcdef"
        );
        // Several later segments extend the held run.
        let segments = [
            (0, false, "a"),
            (2, false, "c"),
            (3, false, "d"),
            (1, false, "b"),
        ];
        assert_eq!(run(&segments), "abcd");
    }

    #[test]
    fn a_hole_that_does_not_fill_becomes_a_gap() {
        // "cd" never comes: the third segment does not continue the held run.
        let segments = [(0, false, "ab"), (4, false, "ef"), (10, false, "kl")];
        assert_eq!(run(&segments), "ab[gap 2]ef"); // "kl" is held in turn
        // A segment inside the hole gives up on the hole's start only.
        assert_eq!(
            run(&[(0, false, "a"), (5, false, "f"), (3, false, "de")]),
            "a[gap 2]def"
        );
        // Bigger than the held run may be: a gap at once.
        let big = "x".repeat(MAX_HELD + 1);
        assert_eq!(
            run(&[(0, false, "a"), (2, false, &big)]),
            format!("a[gap 1]{big}")
        );
    }

    proptest::proptest! {
        /// Whatever the segments (repeated, overlapping, reordered, missing), each delivered
        /// byte is the stream's byte at the position the chunks so far add up to.
        #[test]
        fn delivered_bytes_are_the_streams_bytes_at_their_positions(
            isn in proptest::prelude::any::<u32>(),
            segments in proptest::collection::vec((0usize..6000, 0usize..2000), 0..30),
        ) {
            let original: Vec<u8> = (0..8000u32).map(|i| (i * 7 % 251) as u8).collect();
            let mut stream = Stream::default();
            stream.segment(isn, true, &[], &mut |_| {});
            let mut position = 0usize;
            let mut ok = true;
            for (start, len) in segments {
                let bytes = &original[start..(start + len).min(original.len())];
                let sequence = isn.wrapping_add(1).wrapping_add(start as u32);
                stream.segment(sequence, false, bytes, &mut |chunk| match chunk {
                    Chunk::Data(d) => {
                        ok &= original.get(position..position + d.len()) == Some(d);
                        position += d.len();
                    }
                    Chunk::Gap(n) => position += n as usize,
                    Chunk::Lost => ok = false,
                });
                proptest::prop_assert!(ok, "wrong bytes at {}", position);
                proptest::prop_assert!(stream.held_bytes() <= MAX_HELD);
            }
        }
    }

    #[test]
    fn sequence_numbers_wrap() {
        let segments = [
            (u32::MAX - 1, false, "abc"),
            (1, false, "de"),
            (0, false, "cd"),
        ];
        assert_eq!(run(&segments), "abcde");
        assert_eq!(
            run(&[(u32::MAX, true, ""), (0, false, "ab"), (2, false, "c")]),
            "abc"
        );
    }
}
