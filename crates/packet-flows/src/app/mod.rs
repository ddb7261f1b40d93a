//! What a flow's payloads show: UNSW-NB15's Zeek-derived columns `service`, `trans_depth`,
//! `response_body_len`, `ct_flw_http_mthd`, `is_ftp_login` and `ct_ftp_cmd`, and the FTP data
//! connections a control connection announces (so the flow table can call them `ftp-data`).
//!
//! One [`AppTracker`] per flow takes the flow's TCP segments or UDP datagrams and answers
//! with an [`AppSummary`]. Payloads are written by whoever sent them: no input panics, and
//! every buffer has a fixed cap, so a tracker holds at most a few KiB (see [`AppTracker`]).
//!
//! # Rules
//!
//! - **`service` from the payload, not the port**, as Zeek's dynamic protocol detection
//!   (the dataset's `service` is Zeek's `conn.log` service): HTTP (a request line's method
//!   and a space, or a status line `HTTP/1.` / `HTTP/0.9`), SSH (`SSH-1.`/`SSH-2.`), SSL (a
//!   TLS ClientHello or ServerHello record, or an SSLv2 ClientHello), FTP and SMTP (a `220`
//!   greeting, then an FTP command such as `USER`, or `HELO`/`EHLO`/`MAIL`), POP3 (`+OK`,
//!   then a POP3 command), IRC (`NICK` first, or `PASS`/`USER u m * :name` answered by a
//!   server line), and DNS over TCP on port 53. A client opening with `USER` with no
//!   greeting seen (the capture began late) is FTP while the server says nothing or answers
//!   with a reply code, POP3 if it answers `+OK`/`-ERR`. Either side may be the client: a
//!   capture that began mid-connection has the server as the flow's source. The UDP
//!   services are found as Zeek's analyzers attach to them, by port, with a sanity check of
//!   the payload so that random bytes on the port stay `-`: DNS (53), DHCP (67, 68), SNMP
//!   (161, 162), RADIUS (1812, 1813, 1645, 1646). `ftp-data` is set by
//!   [`AppTracker::mark_ftp_data`]. Once decided, a service does not change.
//! - **HTTP** is parsed for every transaction (keep-alive, pipelining, `Content-Length`,
//!   chunked bodies, close-delimited bodies, bodiless responses), but the dataset keeps one
//!   Zeek `http.log` row per flow, its first: of the 6,633 http rows of
//!   `UNSW_NB15_testing-set.dev.csv`, `trans_depth` is 1 in 5,915 (0 in 692, 2 or more in
//!   26) whatever the flow's number of requests. So `trans_depth` and `response_body_len`
//!   are the first transaction's: `trans_depth` the number of requests sent when the first
//!   response began (1 in ordinary traffic, 2 when two requests were pipelined before it;
//!   0 with no request; 1 when requests went unanswered), `response_body_len` the first
//!   final response's body as sent, chunk framing removed. Gzip and deflate bodies are not
//!   inflated (Zeek inflates them: that would need a 32 KiB window per flow), so a
//!   compressed first response counts its compressed length.
//! - **`ct_flw_http_mthd`** is requests × responses: in the same rows it is 1, 4, 9 or 16 in
//!   5,913, 2, 6 or 12 in 26, and 0 in 694, which is what joining a flow's n requests with
//!   its m responses (n·m rows) gives, and what a count of requests does not.
//! - **FTP**: `ct_ftp_cmd` counts login attempts (`USER`), `is_ftp_login` those the server
//!   accepted (`230`); the dataset's evidence for this reading is in the `ftp` module.
//! - Values belong to the service that was decided: a flow that is not `http` reports no
//!   HTTP counts, one that is not `ftp` no FTP counts.

mod body;
mod ftp;
mod http;
mod service;
mod signature;
mod stream;
#[cfg(test)]
mod tests;

use std::net::IpAddr;

use ftp::Ftp;
use http::Http;
pub use service::Service;
use signature::{Detector, Verdict};
use stream::{Chunk, Stream};

const TCP: u8 = 6;
const UDP: u8 = 17;

/// Appends `bytes` to a buffer whose length the caller keeps within `cap`, growing its
/// capacity by doubling but never past `cap`, so that the cap bounds the memory too.
fn extend_within(buffer: &mut Vec<u8>, bytes: &[u8], cap: usize) {
    let needed = buffer.len() + bytes.len();
    if needed > buffer.capacity() {
        let target = (buffer.capacity() * 2).min(cap).max(needed);
        buffer.reserve_exact(target - buffer.len());
    }
    buffer.extend_from_slice(bytes);
}

/// Which side sent a payload: the flow's source (its first packet's sender, usually the
/// client) or its destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The flow's source.
    Source,
    /// The flow's destination.
    Destination,
}

impl Side {
    fn index(self) -> usize {
        match self {
            Side::Source => 0,
            Side::Destination => 1,
        }
    }

    fn other(self) -> Side {
        match self {
            Side::Source => Side::Destination,
            Side::Destination => Side::Source,
        }
    }
}

/// A flow's application-layer values so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppSummary {
    /// The service (`-` when none was recognised).
    pub service: Service,
    /// HTTP: requests sent when the first response began (0: no request).
    pub trans_depth: u32,
    /// HTTP: the first response's body length in bytes, as sent (chunk framing removed,
    /// content coding not undone).
    pub response_body_len: u64,
    /// HTTP: requests × responses.
    pub ct_flw_http_mthd: u32,
    /// FTP: logins the server accepted (`230` after `USER`/`PASS`).
    pub is_ftp_login: u32,
    /// FTP: login attempts (`USER` commands).
    pub ct_ftp_cmd: u32,
}

/// Service detection's progress.
#[derive(Debug)]
enum Detection {
    /// No data yet.
    NotStarted,
    Running(Box<Detector>),
    /// Decided, or given up.
    Over,
}

/// The parser of the decided (or tentative) service.
#[derive(Debug)]
enum Parser {
    None,
    Http(Box<Http>),
    Ftp(Box<Ftp>),
}

impl Parser {
    /// The parser `service` wants, fed what the detector has seen.
    fn start(service: Service, client: Side, detector: &Detector, current: Chunk<'_>) -> Parser {
        let mut parser = match service {
            Service::Http => Parser::Http(Box::new(Http::new(client))),
            Service::Ftp => Parser::Ftp(Box::new(Ftp::new(client))),
            _ => return Parser::None,
        };
        detector.replay(current, &mut |side, chunk| parser.feed(side, chunk));
        parser
    }

    fn serves(&self, service: Service) -> bool {
        match self {
            Parser::Http(_) => service == Service::Http,
            Parser::Ftp(_) => service == Service::Ftp,
            Parser::None => !matches!(service, Service::Http | Service::Ftp),
        }
    }

    fn feed(&mut self, side: Side, chunk: Chunk<'_>) {
        match self {
            Parser::None => {}
            Parser::Http(http) => http.feed(side, chunk),
            Parser::Ftp(ftp) => ftp.feed(side, chunk),
        }
    }
}

/// Everything but the streams (so a stream can feed it).
#[derive(Debug)]
struct State {
    protocol: u8,
    /// Source and destination ports.
    ports: (u16, u16),
    /// The decided service (`None` while undecided).
    service: Service,
    /// What the detector guesses while undecided.
    tentative: Service,
    detection: Detection,
    parser: Parser,
}

impl State {
    /// Whether TCP payloads still matter.
    fn wants_payload(&self) -> bool {
        !matches!(self.detection, Detection::Over) || !matches!(self.parser, Parser::None)
    }

    fn chunk(&mut self, side: Side, chunk: Chunk<'_>) {
        if matches!(self.detection, Detection::NotStarted) {
            self.detection = Detection::Running(Box::default());
        }
        let Detection::Running(detector) = &mut self.detection else {
            return self.parser.feed(side, chunk);
        };
        detector.push(side, chunk);
        let mut replayed = false;
        match detector.verdict(self.ports) {
            Verdict::Pending => {
                // A tentative guess the other side's first bytes refuted.
                self.tentative = Service::None;
                self.parser = Parser::None;
            }
            Verdict::GiveUp => {
                self.tentative = Service::None;
                self.parser = Parser::None;
                self.detection = Detection::Over;
            }
            Verdict::Tentative(service, client) => {
                self.tentative = service;
                if !self.parser.serves(service) {
                    self.parser = Parser::start(service, client, detector, chunk);
                    replayed = true;
                }
            }
            Verdict::Decided(service, client) => {
                self.service = service;
                self.tentative = Service::None;
                if !self.parser.serves(service) {
                    self.parser = Parser::start(service, client, detector, chunk);
                    replayed = true;
                }
                self.detection = Detection::Over;
            }
        }
        if !replayed {
            self.parser.feed(side, chunk);
        }
    }
}

/// One flow's application-layer watcher.
///
/// Small when idle (72 bytes on 64-bit targets), plus, only while there is a reason, boxed state:
/// the service detector (the first 256 bytes of each direction, dropped once the service is
/// decided or detection gives up), one run of out-of-order TCP bytes per direction (4 KiB
/// at most), and the HTTP parser (an 8 KiB head buffer per direction at most) or the FTP
/// parser (a 1 KiB line per direction). Segments of a flow whose service is decided and
/// needs no parser (SSH, SSL, `ftp-data`, …) are not looked at.
#[derive(Debug)]
pub struct AppTracker {
    streams: [Stream; 2],
    state: State,
}

impl AppTracker {
    /// A tracker for a flow of IP protocol `protocol` (6 TCP, 17 UDP; other protocols have
    /// no service) between `source_port` and `destination_port`.
    pub fn new(protocol: u8, source_port: u16, destination_port: u16) -> Self {
        AppTracker {
            streams: Default::default(),
            state: State {
                protocol,
                ports: (source_port, destination_port),
                service: Service::None,
                tentative: Service::None,
                detection: Detection::NotStarted,
                parser: Parser::None,
            },
        }
    }

    /// Marks the flow as an FTP data connection an FTP control connection announced: the
    /// service becomes `ftp-data` whatever the payloads hold (Zeek expects the connection
    /// and attaches its FTP-data analyzer before the first byte).
    pub fn mark_ftp_data(&mut self) {
        let state = &mut self.state;
        state.service = Service::FtpData;
        state.tentative = Service::None;
        state.detection = Detection::Over;
        state.parser = Parser::None;
        self.streams = Default::default();
    }

    /// Takes a TCP segment's payload from `side`, with its sequence number and whether it
    /// had SYN (which takes one sequence number). Retransmitted bytes are used once, an
    /// overlap only for its new part, and a segment ahead of the stream is held (one run of
    /// 4 KiB) until the hole fills or is given up as a gap; sequence numbers wrap.
    pub fn tcp_segment(&mut self, side: Side, sequence: u32, syn: bool, payload: &[u8]) {
        if self.state.protocol != TCP || !self.state.wants_payload() {
            return;
        }
        let state = &mut self.state;
        self.streams[side.index()].segment(sequence, syn, payload, &mut |chunk| {
            state.chunk(side, chunk);
        });
        if !self.state.wants_payload() {
            self.streams = Default::default(); // let go of held bytes
        }
    }

    /// Takes a UDP datagram's payload from `side`. The first datagram that passes a UDP
    /// service's check (by port) decides the service.
    pub fn udp_datagram(&mut self, side: Side, payload: &[u8]) {
        let _ = side; // the UDP checks hold either way
        let state = &mut self.state;
        if state.protocol == UDP
            && state.service == Service::None
            && let Some(service) = service::udp_service(state.ports, payload)
        {
            state.service = service;
        }
    }

    /// FTP data endpoints announced since the last call (at most 16 wait): the address and
    /// port the data connection will be opened to, from the client's `PORT`/`EPRT` and the
    /// server's `227`/`229` replies. The address is `None` for `229` (and a `227` giving
    /// 0.0.0.0): it is the control connection's server, the side that sent the reply, which
    /// is the flow's destination when the capture saw the connection open.
    pub fn take_ftp_data_endpoints(
        &mut self,
    ) -> impl Iterator<Item = (Option<IpAddr>, u16)> + use<> {
        match &mut self.state.parser {
            Parser::Ftp(ftp) => ftp.take_endpoints(),
            _ => Vec::new(),
        }
        .into_iter()
    }

    /// The flow's values so far.
    pub fn summary(&self) -> AppSummary {
        let state = &self.state;
        let service = match state.service {
            Service::None => state.tentative,
            decided => decided,
        };
        let mut summary = AppSummary {
            service,
            ..AppSummary::default()
        };
        match &state.parser {
            Parser::Http(http) if service == Service::Http => {
                summary.trans_depth = http.trans_depth();
                summary.response_body_len = http.response_body_len();
                summary.ct_flw_http_mthd = http.ct_flw_http_mthd();
            }
            Parser::Ftp(ftp) if service == Service::Ftp => {
                summary.is_ftp_login = ftp.logins();
                summary.ct_ftp_cmd = ftp.attempts();
            }
            _ => {}
        }
        summary
    }

    /// Bytes held on the heap (for the tests' memory bound).
    #[cfg(test)]
    fn buffered_bytes(&self) -> usize {
        let state = &self.state;
        let streams: usize = self.streams.iter().map(Stream::held_bytes).sum();
        let detector = match &state.detection {
            Detection::Running(detector) => detector.buffered_bytes(),
            _ => 0,
        };
        let parser = match &state.parser {
            Parser::None => 0,
            Parser::Http(http) => http.buffered_bytes(),
            Parser::Ftp(ftp) => ftp.buffered_bytes(),
        };
        streams + detector + parser
    }
}
