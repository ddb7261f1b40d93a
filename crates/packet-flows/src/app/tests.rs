//! The tracker end to end: TCP segments and UDP datagrams in, a summary out.

use std::net::Ipv4Addr;

use proptest::prelude::*;

use super::*;

use Side::{Destination as Server, Source as Client};

/// A TCP connection after its handshake, sending segments of at most `mss` bytes.
struct Conn {
    tracker: AppTracker,
    next: [u32; 2],
    mss: usize,
}

impl Conn {
    fn new(port: u16) -> Conn {
        let mut tracker = AppTracker::new(TCP, 40000, port);
        // ISNs near the wrap, so the tests cross it.
        let isn = [u32::MAX - 40, 3_000_000_000];
        tracker.tcp_segment(Client, isn[0], true, b"");
        tracker.tcp_segment(Server, isn[1], true, b"");
        let next = [isn[0].wrapping_add(1), isn[1].wrapping_add(1)];
        Conn {
            tracker,
            next,
            mss: 1460,
        }
    }

    fn send(&mut self, side: Side, bytes: &[u8]) -> &mut Conn {
        for segment in bytes.chunks(self.mss) {
            let next = &mut self.next[side.index()];
            self.tracker.tcp_segment(side, *next, false, segment);
            *next = next.wrapping_add(segment.len() as u32);
        }
        self
    }

    /// Sends `bytes` as a segment at `offset` from the side's next sequence number,
    /// without moving it (for retransmissions and reordering).
    fn send_at(&mut self, side: Side, offset: i32, bytes: &[u8]) -> &mut Conn {
        let sequence = self.next[side.index()].wrapping_add_signed(offset);
        self.tracker.tcp_segment(side, sequence, false, bytes);
        self
    }

    fn skip(&mut self, side: Side, len: u32) -> &mut Conn {
        let next = &mut self.next[side.index()];
        *next = next.wrapping_add(len);
        self
    }

    fn summary(&self) -> AppSummary {
        self.tracker.summary()
    }
}

fn get(path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 10.0.0.2\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\
        Connection: keep-alive\r\n\r\n"
    )
    .into_bytes()
}

fn ok(body: &[u8]) -> Vec<u8> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nDate: Mon, 27 Jan 2015 10:00:00 GMT\r\nServer: Apache/2.2.22\r\n\
            Content-Length: {}\r\nContent-Type: text/html\r\n\r\n",
        body.len()
    );
    [head.as_bytes(), body].concat()
}

fn http(depth: u32, body: u64, methods: u32) -> AppSummary {
    AppSummary {
        service: Service::Http,
        trans_depth: depth,
        response_body_len: body,
        ct_flw_http_mthd: methods,
        ..AppSummary::default()
    }
}

#[test]
fn the_idle_tracker_is_small() {
    let size = std::mem::size_of::<AppTracker>();
    assert!(size <= 80, "{size} bytes");
    let tracker = AppTracker::new(TCP, 1, 2);
    assert_eq!(
        (tracker.summary(), tracker.buffered_bytes()),
        (AppSummary::default(), 0)
    );
}

#[test]
fn keep_alive_with_three_requests_on_a_nonstandard_port() {
    let mut conn = Conn::new(8080);
    let big = vec![b'x'; 5000]; // four segments
    conn.send(Client, &get("/")).send(Server, &ok(&big));
    conn.send(Client, &get("/a.css"))
        .send(Server, &ok(b"body{}"));
    conn.send(Client, &get("/b.js")).send(Server, &ok(b"1;"));
    assert_eq!(conn.summary(), http(1, 5000, 9));
}

#[test]
fn chunked_response_across_segments_at_awkward_boundaries() {
    let response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n\
        abcdefghijklmnopqrstuvwxyz\r\n10;note=x\r\n0123456789abcdef\r\n0\r\n\r\n";
    for mss in [1, 2, 3, 7, 13, 50] {
        let mut conn = Conn::new(80);
        conn.send(Client, &get("/"));
        conn.mss = mss;
        conn.send(Server, response);
        conn.mss = 1460;
        conn.send(Client, &get("/2")).send(Server, &ok(b"ok"));
        assert_eq!(conn.summary(), http(1, 42, 4), "mss {mss}");
    }
}

#[test]
fn retransmissions_are_not_counted_twice() {
    let mut conn = Conn::new(80);
    let request = get("/");
    conn.send(Client, &request)
        .send_at(Client, -(request.len() as i32), &request);
    let response = ok(b"0123456789");
    let (head, body) = response.split_at(response.len() - 10);
    conn.send(Server, head).send(Server, &body[..5]);
    conn.send_at(Server, -5, &body[..5]); // the same bytes again
    conn.send_at(Server, -3, &body[2..8]); // overlapping: 3 old bytes, 3 new
    conn.skip(Server, 3).send(Server, &body[8..]);
    assert_eq!(conn.summary(), http(1, 10, 1));
}

#[test]
fn reordered_segments_are_put_back_in_order() {
    let mut conn = Conn::new(80);
    let response = ok(b"abcdefghij");
    let (first, second) = response.split_at(40);
    conn.send(Client, &get("/"));
    conn.send_at(Server, 40, second)
        .send(Server, first)
        .skip(Server, second.len() as u32);
    conn.send(Client, &get("/next")).send(Server, &ok(b""));
    assert_eq!(conn.summary(), http(1, 10, 4));
}

#[test]
fn pipelined_requests_give_depth_two() {
    let mut conn = Conn::new(80);
    conn.send(Client, &[get("/1"), get("/2")].concat());
    conn.send(Server, &[ok(b"one"), ok(b"two")].concat());
    assert_eq!(conn.summary(), http(2, 3, 4));
}

#[test]
fn a_lost_segment_stops_the_direction_without_panic() {
    let mut conn = Conn::new(80);
    conn.send(Client, &get("/"));
    conn.send(Server, &ok(b"abc"));
    // The second request's first segment is never captured; two later segments arrive.
    conn.skip(Client, 100)
        .send(Client, b"Host: a\r\n\r\n")
        .send(Client, &get("/3"));
    // One more segment beyond the held ones gives up on the hole: a gap between requests.
    conn.skip(Client, 50).send(Client, &get("/4"));
    conn.send(Server, &ok(b"x"));
    let summary = conn.summary();
    assert_eq!(
        (
            summary.service,
            summary.trans_depth,
            summary.response_body_len
        ),
        (Service::Http, 1, 3)
    );
    assert_eq!(summary.ct_flw_http_mthd, 2); // 1 request × 2 responses
}

#[test]
fn random_bytes_on_port_80_are_no_http() {
    let mut conn = Conn::new(80);
    let noise: Vec<u8> = (0u32..3000)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    conn.send(Client, &noise).send(Server, &noise[..700]);
    assert_eq!(conn.summary(), AppSummary::default());
    assert_eq!(
        conn.tracker.buffered_bytes(),
        0,
        "detection gave up and let go"
    );
}

#[test]
fn ftp_session_with_logins_and_data_endpoints() {
    let mut conn = Conn::new(21);
    conn.send(Server, b"220 (vsFTPd 2.3.4)\r\n");
    conn.send(Client, b"USER admin\r\n")
        .send(Server, b"331 Please specify the password.\r\n");
    conn.send(Client, b"PASS wrong\r\n")
        .send(Server, b"530 Login incorrect.\r\n");
    conn.send(Client, b"USER admin\r\n")
        .send(Server, b"331 Please specify the password.\r\n");
    conn.send(Client, b"PASS right\r\n")
        .send(Server, b"230 Login successful.\r\n");
    conn.send(Client, b"PASV\r\n")
        .send(Server, b"227 Entering Passive Mode (10,0,0,2,156,64).\r\n");
    conn.send(Client, b"RETR a.txt\r\n");
    let endpoints: Vec<_> = conn.tracker.take_ftp_data_endpoints().collect();
    assert_eq!(
        endpoints,
        [(Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))), 40000)]
    );
    conn.send(Client, b"EPSV\r\n").send(
        Server,
        b"229 Entering Extended Passive Mode (|||40001|)\r\n",
    );
    conn.send(Client, b"PORT 10,0,0,1,156,66\r\n")
        .send(Client, b"EPRT |1|10.0.0.1|40003|\r\n");
    let endpoints: Vec<_> = conn
        .tracker
        .take_ftp_data_endpoints()
        .map(|(_, port)| port)
        .collect();
    assert_eq!(endpoints, [40001, 40002, 40003]);
    let summary = conn.summary();
    assert_eq!(
        (summary.service, summary.is_ftp_login, summary.ct_ftp_cmd),
        (Service::Ftp, 1, 2)
    );
}

#[test]
fn a_late_capture_opening_with_user_is_ftp_unless_the_server_says_pop3() {
    let mut conn = Conn::new(2121);
    conn.send(Client, b"USER bob\r\n");
    assert_eq!(
        (conn.summary().service, conn.summary().ct_ftp_cmd),
        (Service::Ftp, 1)
    );
    conn.send(Server, b"331 Password required\r\n")
        .send(Client, b"PASS x\r\n")
        .send(Server, b"230 ok\r\n");
    assert_eq!(
        (conn.summary().is_ftp_login, conn.summary().ct_ftp_cmd),
        (1, 1)
    );
    // A reply that is neither refutes the guess.
    let mut conn = Conn::new(2121);
    conn.send(Client, b"USER bob\r\n")
        .send(Server, b"hello\r\n");
    assert_eq!(conn.summary(), AppSummary::default());
    let mut conn = Conn::new(110);
    conn.send(Client, b"USER bob\r\n").send(Server, b"+OK\r\n");
    assert_eq!(
        conn.summary(),
        AppSummary {
            service: Service::Pop3,
            ..AppSummary::default()
        }
    );
}

#[test]
fn services_stick_once_decided() {
    let mut conn = Conn::new(80);
    conn.send(Client, &get("/"))
        .send(Server, b"SSH-2.0-OpenSSH_6.6\r\n");
    assert_eq!(conn.summary().service, Service::Http);
    let mut conn = Conn::new(443);
    conn.send(
        Client,
        &[
            0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03,
        ],
    );
    conn.send(Client, &get("/"));
    assert_eq!(conn.summary().service, Service::Ssl);
    assert_eq!(
        conn.tracker.buffered_bytes(),
        0,
        "a decided service without parser buffers nothing"
    );

    let query = [
        0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x01,
    ];
    let mut dns = AppTracker::new(UDP, 53000, 53);
    dns.udp_datagram(Client, &[0xff; 20]); // random first: not DNS, and not decided
    assert_eq!(dns.summary().service, Service::None);
    dns.udp_datagram(Client, &query);
    dns.udp_datagram(Server, &[0xff; 20]);
    assert_eq!(dns.summary().service, Service::Dns);
    let mut wrong_protocol = AppTracker::new(TCP, 53000, 53);
    wrong_protocol.udp_datagram(Client, &query);
    assert_eq!(wrong_protocol.summary().service, Service::None);
}

#[test]
fn ftp_data_marks_win_over_payloads() {
    let mut conn = Conn::new(40000);
    conn.tracker.mark_ftp_data();
    conn.send(Client, &get("/")).send(Server, &ok(b"file"));
    assert_eq!(
        conn.summary(),
        AppSummary {
            service: Service::FtpData,
            ..AppSummary::default()
        }
    );
}

#[test]
fn other_services_report_no_http_or_ftp_counts() {
    let mut conn = Conn::new(25);
    conn.send(Server, b"220 mx ESMTP\r\n")
        .send(Client, b"EHLO x\r\n")
        .send(Client, b"USER a\r\n");
    assert_eq!(
        conn.summary(),
        AppSummary {
            service: Service::Smtp,
            ..AppSummary::default()
        }
    );
}

/// Every TCP and UDP flow of a capture in `tests/fixtures`, through trackers keyed by the
/// unordered endpoints (the first packet's sender is the source): (source port, destination
/// port, summary), in order of first packet.
fn fixture_flows(name: &str) -> Vec<(u16, u16, AppSummary)> {
    use crate::{CaptureReader, Transport};
    type Endpoint = (IpAddr, u16);
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = CaptureReader::open(path).unwrap();
    let mut flows: Vec<(Endpoint, Endpoint, AppTracker)> = Vec::new();
    while let Some(packet) = reader.next_packet() {
        let Ok(meta) = packet.unwrap().decode() else {
            continue;
        };
        let Some(ip) = meta.ip() else { continue };
        let Some((sport, dport)) = ip.transport.ports() else {
            continue;
        };
        let (from, to) = ((ip.source, sport), (ip.destination, dport));
        let found = flows
            .iter()
            .position(|(s, d, _)| (*s, *d) == (from, to) || (*s, *d) == (to, from));
        let index = found.unwrap_or_else(|| {
            flows.push((from, to, AppTracker::new(ip.protocol, sport, dport)));
            flows.len() - 1
        });
        let (source, _, tracker) = &mut flows[index];
        let side = if *source == from { Client } else { Server };
        match &ip.transport {
            Transport::Tcp(tcp) => {
                let syn = tcp.flags.contains(crate::TcpFlags::SYN);
                tracker.tcp_segment(side, tcp.sequence, syn, tcp.payload);
            }
            Transport::Udp(udp) => tracker.udp_datagram(side, udp.payload),
            _ => {}
        }
    }
    flows
        .into_iter()
        .map(|(s, d, tracker)| (s.1, d.1, tracker.summary()))
        .collect()
}

#[test]
fn real_captures() {
    // curl fetching a 1,240-byte page from python's http.server on port 8000, then a DNS
    // query to a closed port (answered by ICMP).
    let flows = fixture_flows("ethernet.pcap");
    assert!(
        flows.contains(&(47290, 8000, http(1, 1240, 1))),
        "{flows:?}"
    );
    let dns = AppSummary {
        service: Service::Dns,
        ..AppSummary::default()
    };
    assert!(flows.contains(&(40053, 53, dns)), "{flows:?}");
    // Captured with a 128-byte snapshot length: the request line shows HTTP, but neither
    // head is whole (62 payload bytes each), so no transaction completes.
    let flows = fixture_flows("offload.pcap");
    assert!(flows.contains(&(38336, 8000, http(0, 0, 0))), "{flows:?}");
}

/// Payload pieces that steer random input into the parsers' states.
const PIECES: [&[u8]; 16] = [
    b"GET / HTTP/1.1\r\n",
    b"HTTP/1.1 200 OK\r\n",
    b"Content-Length: 7\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"\r\n",
    b"5\r\nabcde\r\n",
    b"0\r\n\r\n",
    b"220 hi\r\n",
    b"USER a\r\n",
    b"230 ok\r\n",
    b"227 (1,2,3,4,5,6)\r\n",
    b"PORT 1,2,3,4,5,6\r\n",
    b"HEAD /x HTTP/1.0\r\n",
    b"HTTP/1.1 101 Up\r\n",
    b"SSH-2.0-x\r\n",
    b"ffffffff",
];

fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..1600),
        proptest::collection::vec(proptest::sample::select(&PIECES[..]), 0..12)
            .prop_map(|p| p.concat()),
        (0usize..5000).prop_map(|n| vec![b'a'; n]),
    ]
}

fn segment() -> impl Strategy<Value = (bool, u32, bool, Vec<u8>)> {
    let sequence = prop_oneof![
        any::<u32>(),
        (0u32..20_000).prop_map(|o| o.wrapping_add(u32::MAX - 5000))
    ];
    (
        any::<bool>(),
        sequence,
        proptest::bool::weighted(0.05),
        payload(),
    )
}

proptest! {
    #[test]
    fn random_segments_never_panic_and_stay_bounded(
        port in prop_oneof![Just(80u16), Just(21), Just(53), any::<u16>()],
        segments in proptest::collection::vec(segment(), 0..40),
    ) {
        let mut tracker = AppTracker::new(TCP, 40000, port);
        let mut udp = AppTracker::new(UDP, 40000, port);
        let bound = 2 * stream::MAX_HELD + 2 * signature::PREFIX_LEN + 2 * http::MAX_HEAD;
        for (source, sequence, syn, payload) in segments {
            let side = if source { Client } else { Server };
            tracker.tcp_segment(side, sequence, syn, &payload);
            udp.udp_datagram(side, &payload);
            prop_assert!(tracker.buffered_bytes() <= bound, "{} bytes", tracker.buffered_bytes());
            prop_assert!(tracker.take_ftp_data_endpoints().count() <= ftp::MAX_ENDPOINTS);
            let summary = tracker.summary();
            prop_assert!(summary.is_ftp_login <= summary.ct_ftp_cmd);
        }
    }
}
