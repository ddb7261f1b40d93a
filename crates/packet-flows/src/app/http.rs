//! HTTP/1.x on one connection: requests and responses, for `trans_depth`,
//! `response_body_len` and `ct_flw_http_mthd`.
//!
//! Heads are parsed with `httparse` (at most [`MAX_HEADERS`] headers, a head at most
//! [`MAX_HEAD`] bytes, the only buffer), leniently as Zeek is: a head `httparse` rejects still
//! counts when its first line is a request or status line, its framing headers read by hand.
//! Bodies are framed as RFC 9112 §6.3 says ([`Body`]), so keep-alive and pipelined messages
//! are found: request bodies by `Content-Length` or chunked; responses have none after HEAD
//! and for 1xx, 204 and 304, and otherwise end by length, by the last chunk, or at close.
//! After `101 Switching Protocols` or a 2xx answer to CONNECT the bytes are no longer HTTP and
//! parsing stops. A gap inside a body of known length is skipped; anywhere else it stops that
//! direction, as does a malformed head or body.

mod head;

use std::collections::VecDeque;

use super::Side;
use super::body::Body;
use super::stream::Chunk;
use head::{Method, Parsed, head_end, parse, response_body};

/// Longest head (request or status line and headers) accepted.
pub(super) const MAX_HEAD: usize = 8192;
/// Most headers a head may have.
pub(super) const MAX_HEADERS: usize = 64;
/// Most requests remembered while waiting for their responses.
const MAX_PENDING: usize = 64;

/// Where a direction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Between messages or inside a head.
    Head,
    Body(Body),
    /// Not parsed any further.
    Stopped,
}

/// One direction: requests (the client's) or responses (the server's).
#[derive(Debug)]
struct Direction {
    phase: Phase,
    /// A head that began in an earlier chunk.
    head: Vec<u8>,
    /// How much of `head` was searched for its end.
    scanned: usize,
}

impl Direction {
    fn new() -> Direction {
        Direction {
            phase: Phase::Head,
            head: Vec::new(),
            scanned: 0,
        }
    }
}

/// An HTTP connection's parser.
#[derive(Debug)]
pub(super) struct Http {
    client: Side,
    requests_dir: Direction,
    responses_dir: Direction,
    /// The methods of requests whose responses have not begun.
    pending: VecDeque<Method>,
    requests: u32,
    responses: u32,
    /// Requests sent when the server's first message began.
    first_depth: Option<u32>,
    first_body: u64,
    /// Whether body bytes now belong to the first response.
    in_first_body: bool,
    /// Past an upgrade or a CONNECT tunnel: no longer HTTP.
    tunnel: bool,
}

impl Http {
    /// A parser for a connection whose client is `client`.
    pub(super) fn new(client: Side) -> Http {
        Http {
            client,
            requests_dir: Direction::new(),
            responses_dir: Direction::new(),
            pending: VecDeque::new(),
            requests: 0,
            responses: 0,
            first_depth: None,
            first_body: 0,
            in_first_body: false,
            tunnel: false,
        }
    }

    /// Takes the next chunk of `side`'s stream.
    pub(super) fn feed(&mut self, side: Side, chunk: Chunk<'_>) {
        let server = side != self.client;
        match chunk {
            Chunk::Data(data) => self.data(server, data),
            Chunk::Gap(len) => {
                let dir = self.direction(server);
                let progress = match &mut dir.phase {
                    Phase::Body(body) => body.skip(len),
                    _ => Err(super::body::Malformed),
                };
                match progress {
                    Ok(p) => {
                        if p.done {
                            dir.phase = Phase::Head;
                        }
                        self.body_data(server, p.data, p.done);
                    }
                    Err(_) => dir.phase = Phase::Stopped,
                }
            }
            Chunk::Lost => self.direction(server).phase = Phase::Stopped,
        }
    }

    /// `trans_depth`: requests sent when the first response began (at least 1 once there is
    /// a request, 0 without one).
    pub(super) fn trans_depth(&self) -> u32 {
        match self.requests {
            0 => 0,
            _ => self.first_depth.unwrap_or(1).max(1),
        }
    }

    /// `response_body_len`: the first response's body, as sent.
    pub(super) fn response_body_len(&self) -> u64 {
        self.first_body
    }

    /// `ct_flw_http_mthd`: requests × responses.
    pub(super) fn ct_flw_http_mthd(&self) -> u32 {
        self.requests.saturating_mul(self.responses)
    }

    /// Bytes buffered (for the tests' memory bound).
    #[cfg(test)]
    pub(super) fn buffered_bytes(&self) -> usize {
        self.requests_dir.head.capacity() + self.responses_dir.head.capacity()
    }

    fn direction(&mut self, server: bool) -> &mut Direction {
        if server {
            &mut self.responses_dir
        } else {
            &mut self.requests_dir
        }
    }

    fn data(&mut self, server: bool, mut input: &[u8]) {
        while !input.is_empty() && !self.tunnel {
            let dir = self.direction(server);
            match &mut dir.phase {
                Phase::Stopped => return,
                Phase::Body(body) => match body.consume(input) {
                    Ok(p) => {
                        input = &input[p.consumed..];
                        if p.done {
                            dir.phase = Phase::Head;
                        }
                        self.body_data(server, p.data, p.done);
                    }
                    Err(_) => dir.phase = Phase::Stopped,
                },
                Phase::Head => {
                    if dir.head.is_empty() {
                        // Blank lines between messages are allowed (RFC 9112 §2.2).
                        let blank = input.iter().take_while(|b| matches!(b, b'\r' | b'\n'));
                        input = &input[blank.count()..];
                        if input.is_empty() {
                            return;
                        }
                        if server && self.first_depth.is_none() {
                            self.first_depth = Some(self.requests);
                        }
                    }
                    let Some((consumed, parsed)) = self.head(server, input) else {
                        return;
                    };
                    input = &input[consumed..];
                    if let Some(parsed) = parsed {
                        self.message(parsed);
                    } else {
                        self.direction(server).phase = Phase::Stopped;
                    }
                }
            }
        }
    }

    /// Collects a head from `input`: `None` when all of `input` went into the head buffer
    /// (or the head is too long, which stops the direction); otherwise the bytes used and
    /// the parsed head (`None`: malformed).
    fn head(&mut self, server: bool, input: &[u8]) -> Option<(usize, Option<Parsed>)> {
        let dir = self.direction(server);
        if dir.head.is_empty()
            && let Some(end) = head_end(input, 0)
        {
            return Some((end, parse(server, &input[..end])));
        }
        let before = dir.head.len();
        let take = input.len().min(MAX_HEAD - before);
        super::extend_within(&mut dir.head, &input[..take], MAX_HEAD);
        match head_end(&dir.head, dir.scanned.saturating_sub(2)) {
            Some(end) => {
                let parsed = parse(server, &dir.head[..end]);
                dir.head = Vec::new();
                dir.scanned = 0;
                Some((end.saturating_sub(before), parsed))
            }
            None if take < input.len() => {
                dir.head = Vec::new();
                dir.phase = Phase::Stopped;
                None
            }
            None => {
                dir.scanned = dir.head.len();
                None
            }
        }
    }

    /// Counts a parsed head and sets up its body.
    fn message(&mut self, parsed: Parsed) {
        match parsed {
            Parsed::Request { method, body } => {
                self.requests = self.requests.saturating_add(1);
                if self.pending.len() < MAX_PENDING {
                    self.pending.push_back(method);
                }
                if let Some(body) = body {
                    self.requests_dir.phase = Phase::Body(body);
                }
            }
            Parsed::Response { status, .. } if (100..200).contains(&status) && status != 101 => {
                // Interim (100 Continue, 102, 103): the final response follows.
            }
            Parsed::Response { status, framing } => {
                let method = self.pending.pop_front().unwrap_or(Method::Other);
                let first = self.responses == 0;
                self.responses = self.responses.saturating_add(1);
                let tunnel =
                    status == 101 || (method == Method::Connect && (200..300).contains(&status));
                if tunnel {
                    self.tunnel = true;
                    return;
                }
                let body = response_body(method, status, framing);
                self.in_first_body = first && body.is_some();
                if let Some(body) = body {
                    self.responses_dir.phase = Phase::Body(body);
                }
            }
        }
    }

    fn body_data(&mut self, server: bool, data: u64, done: bool) {
        if server && self.in_first_body {
            self.first_body = self.first_body.saturating_add(data);
            self.in_first_body = !done;
        }
    }
}

#[cfg(test)]
mod tests;
