//! TCP services recognised from the first bytes each side sends, as Zeek's dynamic protocol
//! detection does (`base/frameworks/dpd/dpd.sig` and the analyzers' signatures), not from the
//! port: UNSW-NB15's `service` column is Zeek's, so a web server on port 8000 is `http` and a
//! port scan of port 80 is `-`.
//!
//! A [`Detector`] keeps the first [`PREFIX_LEN`] bytes of each direction until a signature
//! matches, then hands them to the protocol's parser (so the parser sees the stream from its
//! start) and is dropped. It gives up when both prefixes are full or cut by a gap, or after
//! [`MAX_CHUNKS`] chunks, as Zeek's DPD stops looking after its first buffer.

use super::Side;
use super::service::{Service, dns_header};
use super::stream::Chunk;

/// Bytes kept from the start of each direction while the service is unknown.
pub(super) const PREFIX_LEN: usize = 256;
/// Chunks a detector looks at before giving up.
pub(super) const MAX_CHUNKS: u16 = 32;

/// What the prefixes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Nothing yet; more bytes may tell. (After a tentative verdict: the guess is refuted.)
    Pending,
    /// Nothing, and nothing will: stop looking.
    GiveUp,
    /// Probably this service, with this side as the client, unless the other side's first
    /// bytes say otherwise (only a `USER` command with no reply yet: FTP, unless the server
    /// turns out to speak POP3).
    Tentative(Service, Side),
    /// This service, with this side as the client; final.
    Decided(Service, Side),
}

/// The start of one direction.
#[derive(Debug, Default)]
struct Prefix {
    bytes: Vec<u8>,
    /// Whether the direction delivered bytes that `bytes` does not hold.
    lost: bool,
    /// Whether nothing more will be appended (full, or after a gap).
    closed: bool,
}

impl Prefix {
    fn push(&mut self, chunk: Chunk<'_>) {
        match chunk {
            Chunk::Data(data) if !self.closed => {
                let room = PREFIX_LEN - self.bytes.len();
                super::extend_within(&mut self.bytes, &data[..data.len().min(room)], PREFIX_LEN);
                self.lost |= data.len() > room;
                self.closed = self.bytes.len() == PREFIX_LEN;
            }
            Chunk::Data(_) | Chunk::Gap(_) | Chunk::Lost => {
                self.closed = true;
                self.lost = true;
            }
        }
    }
}

/// The first bytes of both directions of a TCP connection whose service is not known yet.
#[derive(Debug, Default)]
pub(super) struct Detector {
    prefixes: [Prefix; 2],
    /// The side that delivered data first (replays start with it).
    first: Option<Side>,
    chunks: u16,
    /// The last chunk's side, and its prefix's length and `lost` flag before the chunk.
    last: Option<(Side, usize, bool)>,
}

impl Detector {
    /// Adds a chunk of `side`'s stream.
    pub(super) fn push(&mut self, side: Side, chunk: Chunk<'_>) {
        let prefix = &mut self.prefixes[side.index()];
        self.last = Some((side, prefix.bytes.len(), prefix.lost));
        prefix.push(chunk);
        self.first.get_or_insert(side);
        self.chunks = self.chunks.saturating_add(1);
    }

    /// Which service the prefixes show; `ports` (source, destination) matter only for DNS.
    /// When detection ends (both prefixes closed, or the chunk budget spent), a tentative
    /// guess becomes the decision.
    pub(super) fn verdict(&self, ports: (u16, u16)) -> Verdict {
        let bytes = [
            self.prefixes[0].bytes.as_slice(),
            self.prefixes[1].bytes.as_slice(),
        ];
        let over = self.chunks >= MAX_CHUNKS || self.prefixes.iter().all(|p| p.closed);
        match classify(bytes, ports) {
            Some(Verdict::Tentative(service, client)) if over => Verdict::Decided(service, client),
            Some(verdict) => verdict,
            None if over => Verdict::GiveUp,
            None => Verdict::Pending,
        }
    }

    /// Bytes held on the heap (for the tests' memory bound).
    #[cfg(test)]
    pub(super) fn buffered_bytes(&self) -> usize {
        self.prefixes.iter().map(|p| p.bytes.capacity()).sum()
    }

    /// Hands everything seen so far to a parser, each side in order, the side that spoke
    /// first first. `current` is the chunk just pushed: it is replayed whole, not cut at the
    /// prefix length. Where a side's bytes were not all kept, a [`Chunk::Lost`] says so.
    pub(super) fn replay(&self, current: Chunk<'_>, feed: &mut impl FnMut(Side, Chunk<'_>)) {
        let Some(first) = self.first else {
            return;
        };
        for side in [first, first.other()] {
            let prefix = &self.prefixes[side.index()];
            match self.last {
                Some((last, len, lost)) if last == side => {
                    replay_bytes(side, &prefix.bytes[..len], lost, feed);
                    feed(side, current);
                }
                _ => replay_bytes(side, &prefix.bytes, prefix.lost, feed),
            }
        }
    }
}

fn replay_bytes(side: Side, bytes: &[u8], lost: bool, feed: &mut impl FnMut(Side, Chunk<'_>)) {
    if !bytes.is_empty() {
        feed(side, Chunk::Data(bytes));
    }
    if lost {
        feed(side, Chunk::Lost);
    }
}

/// HTTP methods Zeek's HTTP analyzer accepts (RFC 9110, WebDAV, and a few others).
const HTTP_METHODS: [&[u8]; 20] = [
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"TRACE",
    b"CONNECT",
    b"PATCH",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"SEARCH",
    b"REPORT",
    b"SUBSCRIBE",
    b"NOTIFY",
];
/// Commands only an FTP client opens with after a `220` greeting.
const FTP_COMMANDS: [&[u8]; 22] = [
    b"USER", b"PASS", b"AUTH", b"ACCT", b"FEAT", b"SYST", b"OPTS", b"HOST", b"CLNT", b"PBSZ",
    b"PROT", b"PWD", b"CWD", b"TYPE", b"PASV", b"EPSV", b"PORT", b"EPRT", b"LIST", b"NLST",
    b"RETR", b"STOR",
];
/// What an SMTP client opens with after the `220` greeting.
const SMTP_COMMANDS: [&[u8]; 3] = [b"HELO", b"EHLO", b"MAIL"];
/// What a POP3 client sends after the `+OK` greeting.
const POP3_COMMANDS: [&[u8]; 15] = [
    b"USER", b"PASS", b"APOP", b"CAPA", b"AUTH", b"STLS", b"STAT", b"UIDL", b"LIST", b"RETR",
    b"TOP", b"DELE", b"NOOP", b"RSET", b"QUIT",
];

/// The signatures, strongest first; `p` is indexed by [`Side::index`].
fn classify(p: [&[u8]; 2], ports: (u16, u16)) -> Option<Verdict> {
    use Verdict::Decided;
    let sides = [Side::Source, Side::Destination];
    let of = |side: Side| p[side.index()];
    // Either side may open these, and one side suffices.
    if sides
        .iter()
        .any(|&s| of(s).starts_with(b"SSH-1.") || of(s).starts_with(b"SSH-2."))
    {
        return Some(Decided(Service::Ssh, Side::Source));
    }
    if sides
        .iter()
        .any(|&s| tls_hello(of(s)) || sslv2_client_hello(of(s)))
    {
        return Some(Decided(Service::Ssl, Side::Source));
    }
    for side in sides {
        if http_request(of(side)) {
            return Some(Decided(Service::Http, side));
        }
    }
    for side in sides {
        if of(side).starts_with(b"HTTP/1.") || of(side).starts_with(b"HTTP/0.9") {
            return Some(Decided(Service::Http, side.other()));
        }
    }
    if (ports.0 == 53 || ports.1 == 53) && sides.iter().any(|&s| dns_over_tcp(of(s))) {
        return Some(Decided(Service::Dns, Side::Source));
    }
    // Greetings: the server speaks first, the client's first command tells the protocol.
    for server in [Side::Destination, Side::Source] {
        let client = server.other();
        let word = first_word(of(client));
        if reply_code(of(server)).is_some_and(|(code, sep)| code == 220 && sep != b'\n') {
            match word {
                Some(w) if is_one_of(w, &SMTP_COMMANDS) => {
                    return Some(Decided(Service::Smtp, client));
                }
                Some(w) if is_one_of(w, &FTP_COMMANDS) => {
                    return Some(Decided(Service::Ftp, client));
                }
                _ => {}
            }
        }
        if of(server).starts_with(b"+OK") && word.is_some_and(|w| is_one_of(w, &POP3_COMMANDS)) {
            return Some(Decided(Service::Pop3, client));
        }
    }
    for client in sides {
        let server = of(client.other());
        let word = first_word(of(client));
        if word.is_some_and(|w| w.eq_ignore_ascii_case(b"NICK")) {
            return Some(Decided(Service::Irc, client));
        }
        if irc_registration(of(client)) && irc_reply(server) {
            return Some(Decided(Service::Irc, client));
        }
        // A capture that began after the greeting: `USER name` is FTP unless the server
        // answers like POP3.
        if word.is_some_and(|w| w.eq_ignore_ascii_case(b"USER")) && !irc_registration(of(client)) {
            if server.starts_with(b"+OK") || server.starts_with(b"-ERR") {
                return Some(Decided(Service::Pop3, client));
            }
            if reply_code(server).is_some() {
                return Some(Decided(Service::Ftp, client));
            }
            if server.is_empty() {
                return Some(Verdict::Tentative(Service::Ftp, client));
            }
        }
    }
    None
}

/// A request line's start: a method, then a space (leading blank lines allowed).
fn http_request(p: &[u8]) -> bool {
    let p = p.trim_ascii_start();
    HTTP_METHODS
        .iter()
        .any(|m| p.starts_with(m) && p.get(m.len()) == Some(&b' '))
}

/// A TLS record (SSL 3.0 to TLS 1.3 record versions) holding a ClientHello (1) or
/// ServerHello (2) with a plausible record length and, when captured, hello version.
fn tls_hello(p: &[u8]) -> bool {
    let [0x16, 0x03, 0x00..=0x04, high, low, 1 | 2, rest @ ..] = p else {
        return false;
    };
    let record_len = u16::from_be_bytes([*high, *low]);
    let version_ok = match rest {
        [_, _, _, major, minor, ..] => *major == 0x03 && *minor <= 0x04,
        _ => true,
    };
    (4..=18_432).contains(&record_len) && version_ok
}

/// An SSLv2 CLIENT-HELLO with a 2-byte header, offering SSL 2.0 or SSL 3.0 to TLS 1.3.
fn sslv2_client_hello(p: &[u8]) -> bool {
    let [high, low, 1, major, minor, ..] = *p else {
        return false;
    };
    let len = u16::from_be_bytes([high & 0x7f, low]);
    high & 0x80 != 0 && len >= 9 && matches!((major, minor), (0, 2) | (3, 0..=4))
}

/// DNS over TCP: a 2-byte length of at least a header, then a plausible header.
fn dns_over_tcp(p: &[u8]) -> bool {
    match p {
        [high, low, message @ ..] => u16::from_be_bytes([*high, *low]) >= 12 && dns_header(message),
        _ => false,
    }
}

/// A reply's code and the byte after it (`' '`, `'-'`, `'\r'` or `'\n'`).
fn reply_code(p: &[u8]) -> Option<(u16, u8)> {
    match *p {
        [a, b, c, sep, ..]
            if [a, b, c].iter().all(u8::is_ascii_digit) && b" -\r\n".contains(&sep) =>
        {
            let digit = |d: u8| u16::from(d - b'0');
            Some((digit(a) * 100 + digit(b) * 10 + digit(c), sep))
        }
        _ => None,
    }
}

/// The first word of a client's first line, once its end has been seen (16 letters at most).
fn first_word(p: &[u8]) -> Option<&[u8]> {
    let p = p.trim_ascii_start();
    let end = p
        .iter()
        .take(17)
        .position(|b| matches!(b, b' ' | b'\r' | b'\n'))?;
    Some(&p[..end])
}

fn is_one_of(word: &[u8], list: &[&[u8]]) -> bool {
    list.iter().any(|w| word.eq_ignore_ascii_case(w))
}

/// An IRC client's registration: `PASS`, `CAP`, or `USER user mode unused :real name`.
fn irc_registration(p: &[u8]) -> bool {
    match first_word(p) {
        Some(w) if w.eq_ignore_ascii_case(b"PASS") || w.eq_ignore_ascii_case(b"CAP") => true,
        Some(w) if w.eq_ignore_ascii_case(b"USER") => {
            let line = p
                .trim_ascii_start()
                .split(|&b| b == b'\n')
                .next()
                .unwrap_or(&[]);
            let mut params = line.split(|&b| b == b' ').filter(|w| !w.is_empty()).skip(1);
            params.nth(2).is_some() && params.next().is_some_and(|w| w.starts_with(b":"))
        }
        _ => false,
    }
}

/// An IRC server's line: `:server NOTICE …`, `:server 001 …` (a numeric), or `NOTICE …`.
fn irc_reply(p: &[u8]) -> bool {
    if p.starts_with(b"NOTICE ") {
        return true;
    }
    let Some(rest) = p.strip_prefix(b":") else {
        return false;
    };
    let Some(space) = rest.iter().position(|&b| b == b' ') else {
        return false;
    };
    let command = &rest[space + 1..];
    command.starts_with(b"NOTICE ") || reply_code(command).is_some_and(|(_, sep)| sep == b' ')
}

#[cfg(test)]
mod tests;
