//! HTTP message bodies: how long they are, byte by byte, so the next message is found and
//! the first response's length is known (RFC 9112 §6-7).
//!
//! Chunked bodies are decoded without buffering: a small state machine reads the hexadecimal
//! size, skips chunk extensions and trailers (each line capped at [`MAX_LINE`] bytes), and
//! counts only the chunk data. Content codings (gzip) are not undone: the length counted is
//! the body as sent.

/// Longest chunk-size line (with extensions) or trailer line accepted.
pub(super) const MAX_LINE: u16 = 4096;

/// How a body ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Body {
    /// `Content-Length`: this many bytes remain.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked(Chunked),
    /// A response with neither: the body runs until the connection closes.
    UntilClose,
}

/// Where a chunked body's decoder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Chunked {
    /// Reading a chunk size: its value so far and how many digits.
    Size { value: u64, digits: u8 },
    /// Skipping a chunk extension (or spaces after the size) to the line's end.
    Extension { size: u64, len: u16 },
    /// Inside a chunk's data: this many bytes remain.
    Data(u64),
    /// After a chunk's data: the CRLF.
    DataEnd,
    /// Reading the trailer section: the current line's length.
    Trailer { len: u16 },
}

/// The body framing is broken; the parser stops this direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Malformed;

/// What [`Body::consume`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Progress {
    /// Bytes of the input used (framing and data).
    pub consumed: usize,
    /// Of which body data.
    pub data: u64,
    /// Whether the body ended.
    pub done: bool,
}

impl Body {
    /// A chunked body before its first size line.
    pub(super) fn chunked() -> Body {
        Body::Chunked(Chunked::Size {
            value: 0,
            digits: 0,
        })
    }

    /// Reads body bytes from the start of `input`; stops where the body ends.
    pub(super) fn consume(&mut self, input: &[u8]) -> Result<Progress, Malformed> {
        match self {
            Body::Length(remaining) => {
                let take = (input.len() as u64).min(*remaining);
                *remaining -= take;
                Ok(Progress {
                    consumed: take as usize,
                    data: take,
                    done: *remaining == 0,
                })
            }
            Body::UntilClose => Ok(Progress {
                consumed: input.len(),
                data: input.len() as u64,
                done: false,
            }),
            Body::Chunked(state) => chunked(state, input),
        }
    }

    /// Skips `len` bytes that were never captured: possible inside data of known length
    /// (the skipped bytes count as body data: they were sent), not inside framing.
    pub(super) fn skip(&mut self, len: u32) -> Result<Progress, Malformed> {
        let len = u64::from(len);
        let remaining = match self {
            Body::UntilClose => {
                return Ok(Progress {
                    consumed: 0,
                    data: len,
                    done: false,
                });
            }
            Body::Length(remaining) | Body::Chunked(Chunked::Data(remaining)) => remaining,
            Body::Chunked(_) => return Err(Malformed),
        };
        if len > *remaining {
            return Err(Malformed);
        }
        *remaining -= len;
        let done = match self {
            Body::Length(0) => true,
            Body::Chunked(state @ Chunked::Data(0)) => {
                *state = Chunked::DataEnd;
                false
            }
            _ => false,
        };
        Ok(Progress {
            consumed: 0,
            data: len,
            done,
        })
    }
}

/// Runs the chunked decoder over `input`.
fn chunked(state: &mut Chunked, input: &[u8]) -> Result<Progress, Malformed> {
    let mut progress = Progress::default();
    let mut at = 0;
    while at < input.len() {
        if let Chunked::Data(remaining) = state {
            let take = ((input.len() - at) as u64).min(*remaining);
            *remaining -= take;
            at += take as usize;
            progress.data += take;
            if *remaining == 0 {
                *state = Chunked::DataEnd;
            }
            continue;
        }
        let byte = input[at];
        at += 1;
        *state = match (*state, byte) {
            (Chunked::Size { value, digits }, b) if b.is_ascii_hexdigit() => {
                if digits >= 15 {
                    return Err(Malformed); // more than 2^60 bytes: not a size
                }
                let digit = (b as char).to_digit(16).unwrap_or(0);
                Chunked::Size {
                    value: value << 4 | u64::from(digit),
                    digits: digits + 1,
                }
            }
            (Chunked::Size { digits: 0, .. }, _) => return Err(Malformed),
            (Chunked::Size { value, .. }, b';' | b' ' | b'\t' | b'\r') => Chunked::Extension {
                size: value,
                len: 0,
            },
            (Chunked::Size { value, .. } | Chunked::Extension { size: value, .. }, b'\n') => {
                if value == 0 {
                    Chunked::Trailer { len: 0 }
                } else {
                    Chunked::Data(value)
                }
            }
            (Chunked::Size { .. }, _) => return Err(Malformed),
            (Chunked::Extension { size, len }, _) => {
                if len >= MAX_LINE {
                    return Err(Malformed);
                }
                Chunked::Extension { size, len: len + 1 }
            }
            (Chunked::DataEnd, b'\r') => Chunked::DataEnd,
            (Chunked::DataEnd, b'\n') => Chunked::Size {
                value: 0,
                digits: 0,
            },
            (Chunked::DataEnd, _) => return Err(Malformed),
            (Chunked::Trailer { len: 0 }, b'\n') => {
                progress.consumed = at;
                progress.done = true;
                return Ok(progress);
            }
            (Chunked::Trailer { .. }, b'\n') => Chunked::Trailer { len: 0 },
            (Chunked::Trailer { len }, b'\r') => Chunked::Trailer { len },
            (Chunked::Trailer { len }, _) => {
                if len >= MAX_LINE {
                    return Err(Malformed);
                }
                Chunked::Trailer { len: len + 1 }
            }
            // Handled before the match; stop rather than panic should that ever change.
            (Chunked::Data(_), _) => return Err(Malformed),
        };
    }
    progress.consumed = at;
    Ok(progress)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `parts` one after another; returns (data bytes, bytes consumed, done).
    fn feed(body: &mut Body, parts: &[&[u8]]) -> Result<(u64, usize, bool), Malformed> {
        let (mut data, mut consumed) = (0, 0);
        for part in parts {
            let p = body.consume(part)?;
            data += p.data;
            consumed += p.consumed;
            if p.done {
                return Ok((data, consumed, true));
            }
        }
        Ok((data, consumed, false))
    }

    const CHUNKED: &[u8] = b"4\r\nWiki\r\n5;name=value\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n\
        0\r\nExpires: never\r\n\r\nNEXT";

    #[test]
    fn chunked_counts_data_only_and_stops_at_the_end() {
        let mut body = Body::chunked();
        assert_eq!(
            feed(&mut body, &[CHUNKED]),
            Ok((23, CHUNKED.len() - 4, true))
        );
    }

    #[test]
    fn chunked_split_at_every_byte() {
        for cut in 1..CHUNKED.len() - 4 {
            let mut body = Body::chunked();
            let (a, b) = CHUNKED.split_at(cut);
            assert_eq!(
                feed(&mut body, &[a, b]),
                Ok((23, CHUNKED.len() - 4, true)),
                "{cut}"
            );
        }
        let mut body = Body::chunked();
        let bytes: Vec<&[u8]> = CHUNKED.chunks(1).collect();
        assert_eq!(feed(&mut body, &bytes), Ok((23, CHUNKED.len() - 4, true)));
    }

    #[test]
    fn bare_newlines_and_no_trailers() {
        let mut body = Body::chunked();
        assert_eq!(feed(&mut body, &[b"3\nabc\n0\n\n"]), Ok((3, 9, true)));
    }

    #[test]
    fn malformed_chunks_are_errors() {
        for bad in [
            &b"x\r\n"[..],
            b"\r\n",
            b"3\r\nabcX",
            b"11111111111111111\r\n",
        ] {
            assert_eq!(
                feed(&mut Body::chunked(), &[bad]),
                Err(Malformed),
                "{bad:?}"
            );
        }
        let long_extension = [&b"1;"[..], &[b'a'; MAX_LINE as usize + 1]].concat();
        assert_eq!(
            feed(&mut Body::chunked(), &[&long_extension]),
            Err(Malformed)
        );
    }

    #[test]
    fn content_length_and_until_close() {
        let mut body = Body::Length(5);
        assert_eq!(feed(&mut body, &[b"ab", b"cdefg"]), Ok((5, 5, true)));
        let mut body = Body::UntilClose;
        assert_eq!(feed(&mut body, &[b"ab", b"cd"]), Ok((4, 4, false)));
    }

    #[test]
    fn gaps_are_skipped_inside_data_only() {
        let mut body = Body::Length(10);
        assert_eq!(body.skip(4).map(|p| (p.data, p.done)), Ok((4, false)));
        assert_eq!(body.skip(6).map(|p| (p.data, p.done)), Ok((6, true)));
        assert_eq!(Body::Length(3).skip(4), Err(Malformed));
        let mut body = Body::chunked();
        body.consume(b"a\r\n").unwrap();
        assert!(body.skip(10).is_ok());
        assert_eq!(body, Body::Chunked(Chunked::DataEnd));
        assert_eq!(body.skip(1), Err(Malformed));
        assert_eq!(Body::UntilClose.skip(7).map(|p| p.data), Ok(7));
    }
}
