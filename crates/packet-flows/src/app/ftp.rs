//! The FTP control connection (RFC 959, RFC 2428): logins for `is_ftp_login` and
//! `ct_ftp_cmd`, and the data connections it announces.
//!
//! Line-based: lines are at most [`MAX_LINE`] bytes (a longer one is skipped to its newline),
//! commands are case-insensitive, and a gap in the stream loses only the line it cuts (parsing
//! resumes after the next newline). A multi-line reply (`230-…` … `230 …`) counts once.
//!
//! ## The two counts, and the dataset
//!
//! UNSW-NB15's ftp rows (`UNSW_NB15_testing-set.dev.csv`, 1,255 rows) have
//! `(is_ftp_login, ct_ftp_cmd)` = (0, 0) 699 times, (1, 1) 545, (1, 2) 6, (2, 2) 3, (0, 1) 2,
//! and every other row (0, 0): `ct_ftp_cmd` is never below `is_ftp_login`, and almost always
//! equal. Counting Zeek's logged file commands (RETR, STOR, PASV, PORT, …) cannot give that:
//! an ordinary session that fetched one file announces its data connection and retrieves,
//! two commands at least, yet the 52-packet sessions that recur in the file are (1, 1).
//! What fits is a count of login attempts and a count of the attempts the server accepted:
//!
//! - `ct_ftp_cmd`: login attempts, each `USER` command (or a `PASS` with no `USER` before it,
//!   when the capture began late);
//! - `is_ftp_login`: the attempts answered `230` (logged in), at most one per attempt.
//!
//! So (0, 1) is a failed login, (1, 2) a failure then a success, (2, 2) two logins. Identical
//! sessions labelled (0, 0) and (1, 1) both occur in the file, so no definition reproduces
//! every row; this one reproduces the common pattern and the invariant.
//!
//! ## Data connections
//!
//! `PORT h1,h2,h3,h4,p1,p2` and `EPRT |1|addr|port|` (or `|2|` for IPv6) from the client,
//! `227 … (h1,h2,h3,h4,p1,p2)` and `229 … (|||port|)` from the server, parsed strictly
//! (numbers 0-255, ports 1-65535). Each gives the address and port the data connection will
//! be opened to; for 229, and for a 227 giving 0.0.0.0, the address is `None`: the control
//! connection's server. At most [`MAX_ENDPOINTS`] wait to be taken.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Side;
use super::stream::Chunk;

/// Longest command or reply line accepted.
pub(super) const MAX_LINE: usize = 1024;
/// Most announced data endpoints kept until taken.
pub(super) const MAX_ENDPOINTS: usize = 16;

/// An announced data endpoint: the address (`None`: the control connection's server) and
/// port a data connection will be opened to.
pub(super) type Endpoint = (Option<IpAddr>, u16);

/// Splits a direction into lines, with a partial line carried over between chunks.
#[derive(Debug, Default)]
struct Lines {
    partial: Vec<u8>,
    /// Skipping to the next newline (after an overlong line or a gap).
    skipping: bool,
}

impl Lines {
    fn feed(&mut self, mut data: &[u8], on_line: &mut impl FnMut(&[u8])) {
        while let Some(newline) = data.iter().position(|&b| b == b'\n') {
            let part = &data[..newline];
            data = &data[newline + 1..];
            if std::mem::take(&mut self.skipping) {
                self.partial.clear();
            } else if self.partial.is_empty() {
                if part.len() <= MAX_LINE {
                    on_line(strip_cr(part));
                }
            } else if self.partial.len() + part.len() <= MAX_LINE {
                super::extend_within(&mut self.partial, part, MAX_LINE);
                on_line(strip_cr(&self.partial));
                self.partial = Vec::new();
            } else {
                self.partial = Vec::new();
            }
        }
        if !self.skipping {
            if self.partial.len() + data.len() <= MAX_LINE {
                super::extend_within(&mut self.partial, data, MAX_LINE);
            } else {
                self.partial = Vec::new();
                self.skipping = true;
            }
        }
    }

    fn lost(&mut self) {
        self.partial = Vec::new();
        self.skipping = true;
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Where the login is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Login {
    #[default]
    Idle,
    /// An attempt awaits its answer.
    Attempting,
    LoggedIn,
}

/// What the lines tell.
#[derive(Debug, Default)]
struct Session {
    login: Login,
    attempts: u32,
    logins: u32,
    /// Inside a multi-line reply with this code.
    multiline: Option<[u8; 3]>,
    endpoints: Vec<Endpoint>,
}

impl Session {
    fn command(&mut self, line: &[u8]) {
        let line = line.trim_ascii_start();
        let (verb, argument) = match line.iter().position(|&b| b == b' ') {
            Some(space) => (&line[..space], line[space + 1..].trim_ascii()),
            None => (line, &[][..]),
        };
        let is = |name: &[u8]| verb.eq_ignore_ascii_case(name);
        if is(b"USER") || (is(b"PASS") && self.login == Login::Idle) {
            self.attempts = self.attempts.saturating_add(1);
            self.login = Login::Attempting;
        }
        let announced = if is(b"PORT") {
            host_port(argument).map(|(address, port)| (IpAddr::V4(address), port))
        } else if is(b"EPRT") {
            eprt(argument)
        } else {
            None
        };
        if let Some((address, port)) = announced {
            self.announce(Some(address), port);
        }
    }

    fn reply(&mut self, line: &[u8]) {
        let code = match *line {
            [a, b, c, ref rest @ ..] if [a, b, c].iter().all(u8::is_ascii_digit) => {
                if let Some(open) = self.multiline {
                    if open == [a, b, c] && matches!(rest.first(), None | Some(b' ')) {
                        self.multiline = None;
                    }
                    return;
                }
                if rest.first() == Some(&b'-') {
                    self.multiline = Some([a, b, c]);
                } else if !matches!(rest.first(), None | Some(b' ')) {
                    return;
                }
                [a, b, c]
            }
            _ => return, // text inside a multi-line reply, or not a reply
        };
        let text = &line[3..];
        match &code {
            b"230" if self.login == Login::Attempting => {
                self.logins = self.logins.saturating_add(1);
                self.login = Login::LoggedIn;
            }
            [b'4' | b'5', ..] if self.login == Login::Attempting => self.login = Login::Idle,
            b"227" => {
                if let Some((address, port)) = passive(text) {
                    let address = (!address.is_unspecified()).then_some(IpAddr::V4(address));
                    self.announce(address, port);
                }
            }
            b"229" => {
                if let Some(port) = extended_passive(text) {
                    self.announce(None, port);
                }
            }
            _ => {}
        }
    }

    fn announce(&mut self, address: Option<IpAddr>, port: u16) {
        if self.endpoints.len() < MAX_ENDPOINTS {
            self.endpoints.push((address, port));
        }
    }
}

/// An FTP control connection's parser.
#[derive(Debug)]
pub(super) struct Ftp {
    client: Side,
    lines: [Lines; 2],
    session: Session,
}

impl Ftp {
    /// A parser for a connection whose client is `client`.
    pub(super) fn new(client: Side) -> Ftp {
        Ftp {
            client,
            lines: Default::default(),
            session: Session::default(),
        }
    }

    /// Takes the next chunk of `side`'s stream.
    pub(super) fn feed(&mut self, side: Side, chunk: Chunk<'_>) {
        let lines = &mut self.lines[side.index()];
        let session = &mut self.session;
        match chunk {
            Chunk::Data(data) if side == self.client => {
                lines.feed(data, &mut |l| session.command(l))
            }
            Chunk::Data(data) => lines.feed(data, &mut |l| session.reply(l)),
            Chunk::Gap(_) | Chunk::Lost => lines.lost(),
        }
    }

    /// `is_ftp_login`: login attempts the server accepted.
    pub(super) fn logins(&self) -> u32 {
        self.session.logins
    }

    /// `ct_ftp_cmd`: login attempts.
    pub(super) fn attempts(&self) -> u32 {
        self.session.attempts
    }

    /// The data endpoints announced since the last call.
    pub(super) fn take_endpoints(&mut self) -> Vec<Endpoint> {
        std::mem::take(&mut self.session.endpoints)
    }

    /// Bytes buffered (for the tests' memory bound).
    #[cfg(test)]
    pub(super) fn buffered_bytes(&self) -> usize {
        self.lines
            .iter()
            .map(|l| l.partial.capacity())
            .sum::<usize>()
            + self.session.endpoints.capacity() * std::mem::size_of::<Endpoint>()
    }
}

/// A decimal number of 1-5 digits, at most `max`: no sign, no spaces.
fn number(text: &[u8], max: u32) -> Option<u32> {
    if text.is_empty() || text.len() > 5 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = text.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    (value <= max).then_some(value)
}

/// `h1,h2,h3,h4,p1,p2` (RFC 959's host-port), exactly; port 0 is refused.
fn host_port(text: &[u8]) -> Option<(Ipv4Addr, u16)> {
    let mut parts = text.split(|&b| b == b',');
    let mut bytes = [0u8; 6];
    for byte in &mut bytes {
        let part = parts.next()?;
        if part.len() > 3 {
            return None;
        }
        *byte = u8::try_from(number(part, 255)?).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    let port = u16::from_be_bytes([bytes[4], bytes[5]]);
    (port != 0).then(|| (Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]), port))
}

/// `|1|132.235.1.2|6275|` or `|2|1080::8:800:200C:417A|5282|` (RFC 2428; any delimiter
/// from `!` to `~`).
fn eprt(text: &[u8]) -> Option<(IpAddr, u16)> {
    let delimiter = *text.first().filter(|d| (33..=126).contains(*d))?;
    let fields: Vec<&[u8]> = text.split(|&b| b == delimiter).collect();
    let [b"", family, address, port, b""] = fields.as_slice() else {
        return None;
    };
    let address = std::str::from_utf8(address).ok()?;
    let address = match *family {
        b"1" => IpAddr::V4(address.parse::<Ipv4Addr>().ok()?),
        b"2" => IpAddr::V6(address.parse::<Ipv6Addr>().ok()?),
        _ => return None,
    };
    let port = u16::try_from(number(port, 65535)?)
        .ok()
        .filter(|&p| p != 0)?;
    Some((address, port))
}

/// A 227 reply's host-port: the six numbers after the first digit of the text (RFC 1123
/// §4.1.2.6: the text around them varies), ending at `)` or the end of the line.
fn passive(text: &[u8]) -> Option<(Ipv4Addr, u16)> {
    let start = text.iter().position(u8::is_ascii_digit)?;
    let rest = &text[start..];
    let end = rest
        .iter()
        .position(|&b| !(b.is_ascii_digit() || b == b','))
        .unwrap_or(rest.len());
    host_port(&rest[..end])
}

/// A 229 reply's port: `(<d><d><d>port<d>)`.
fn extended_passive(text: &[u8]) -> Option<u16> {
    let open = text.iter().position(|&b| b == b'(')?;
    let inner = &text[open + 1..];
    let close = inner.iter().position(|&b| b == b')')?;
    let inner = &inner[..close];
    let [d1, d2, d3, port @ .., d4] = inner else {
        return None;
    };
    if !(d1 == d2 && d2 == d3 && d3 == d4 && (33..=126).contains(d1)) {
        return None;
    }
    u16::try_from(number(port, 65535)?).ok().filter(|&p| p != 0)
}

#[cfg(test)]
mod tests;
