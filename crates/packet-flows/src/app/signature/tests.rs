use super::*;

use Side::{Destination as D, Source as S};

/// The verdict after feeding `chunks` (side, bytes) in order, on ports 40000 → `port`.
fn verdict(port: u16, chunks: &[(Side, &[u8])]) -> Verdict {
    let mut detector = Detector::default();
    for &(side, bytes) in chunks {
        detector.push(side, Chunk::Data(bytes));
    }
    detector.verdict((40000, port))
}

fn decided(service: Service, client: Side) -> Verdict {
    Verdict::Decided(service, client)
}

#[test]
fn http_from_the_request_or_the_status_line_on_any_port() {
    let get = b"GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_eq!(verdict(8000, &[(S, get)]), decided(Service::Http, S));
    assert_eq!(
        verdict(80, &[(S, b"PROPFIND /dav HTTP/1.1\r\n")]),
        decided(Service::Http, S)
    );
    // A capture that began after the request: the status line alone.
    assert_eq!(
        verdict(80, &[(D, b"HTTP/1.1 200 OK\r\n")]),
        decided(Service::Http, S)
    );
    // A capture whose first packet was the server's: the destination is the client.
    assert_eq!(
        verdict(80, &[(S, b"HTTP/1.0 404 Not Found\r\n")]),
        decided(Service::Http, D)
    );
    // A method needs its space; the status line its version.
    assert_eq!(verdict(80, &[(S, b"GET")]), Verdict::Pending);
    assert_eq!(verdict(80, &[(S, b"GETTING")]), Verdict::Pending);
    assert_eq!(verdict(80, &[(S, b"get / HTTP/1.1\r\n")]), Verdict::Pending);
    assert_eq!(verdict(80, &[(D, b"HTTP/2 200\r\n")]), Verdict::Pending);
}

#[test]
fn random_bytes_on_well_known_ports_are_no_service() {
    let random: &[u8] = &[
        0x3c, 0x9a, 0x11, 0xfe, 0x42, 0x07, 0xd5, 0x68, 0xb2, 0x1f, 0x90, 0x4e, 0xc3, 0x75, 0x2a,
        0xe9,
    ];
    for port in [21, 22, 25, 53, 80, 110, 443, 6667] {
        assert_eq!(
            verdict(port, &[(S, random), (D, random)]),
            Verdict::Pending,
            "{port}"
        );
    }
    let full = [0x5au8; PREFIX_LEN];
    assert_eq!(verdict(80, &[(S, &full), (D, &full)]), Verdict::GiveUp);
}

#[test]
fn ssh_and_ssl_from_either_side() {
    let banner = b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
    assert_eq!(verdict(2222, &[(D, banner)]), decided(Service::Ssh, S));
    assert_eq!(
        verdict(22, &[(S, b"SSH-1.99-x\r\n")]),
        decided(Service::Ssh, S)
    );
    assert_eq!(verdict(22, &[(S, b"SSH-3.0\r\n")]), Verdict::Pending);
    // TLS 1.2 ClientHello record header, handshake header, client_version 3.3.
    let hello = [
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xaa,
    ];
    assert_eq!(verdict(8443, &[(S, &hello)]), decided(Service::Ssl, S));
    let mut server_hello = hello;
    server_hello[5] = 2;
    assert_eq!(
        verdict(443, &[(D, &server_hello)]),
        decided(Service::Ssl, S)
    );
    let mut not_hello = hello;
    not_hello[5] = 11; // a Certificate first is not a handshake's start
    assert_eq!(verdict(443, &[(S, &not_hello)]), Verdict::Pending);
    let mut bad_version = hello;
    bad_version[9] = 0x07;
    assert_eq!(verdict(443, &[(S, &bad_version)]), Verdict::Pending);
    // SSLv2 CLIENT-HELLO offering SSL 3.0.
    let v2 = [
        0x80, 0x2e, 0x01, 0x03, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10,
    ];
    assert_eq!(verdict(443, &[(S, &v2)]), decided(Service::Ssl, S));
}

#[test]
fn ftp_smtp_and_pop3_greetings() {
    let ftp_banner = b"220 (vsFTPd 3.0.3)\r\n";
    let chunks = [(D, &ftp_banner[..]), (S, b"USER anonymous\r\n")];
    assert_eq!(verdict(21, &chunks), decided(Service::Ftp, S));
    let chunks = [
        (D, &b"220-Welcome\r\n220 ready\r\n"[..]),
        (S, b"AUTH TLS\r\n"),
    ];
    assert_eq!(verdict(2121, &chunks), decided(Service::Ftp, S));
    let smtp_banner = b"220 mail.example.com ESMTP Postfix\r\n";
    let chunks = [(D, &smtp_banner[..]), (S, b"EHLO client.example.com\r\n")];
    assert_eq!(verdict(25, &chunks), decided(Service::Smtp, S));
    let chunks = [(D, &smtp_banner[..]), (S, b"helo x\r\n")];
    assert_eq!(verdict(25, &chunks), decided(Service::Smtp, S));
    // The greeting alone, or a client that says nothing known: not yet.
    assert_eq!(verdict(21, &[(D, ftp_banner)]), Verdict::Pending);
    assert_eq!(
        verdict(21, &[(D, ftp_banner), (S, b"XYZZY\r\n")]),
        Verdict::Pending
    );
    let chunks = [(D, &b"+OK POP3 server ready\r\n"[..]), (S, b"USER bob\r\n")];
    assert_eq!(verdict(110, &chunks), decided(Service::Pop3, S));
    let chunks = [(D, &b"+OK ready\r\n"[..]), (S, b"CAPA\r\n")];
    assert_eq!(verdict(110, &chunks), decided(Service::Pop3, S));
}

#[test]
fn user_without_a_greeting_is_ftp_unless_the_server_speaks_pop3() {
    let user = b"USER alice\r\n";
    assert_eq!(
        verdict(21, &[(S, user)]),
        Verdict::Tentative(Service::Ftp, S)
    );
    let chunks = [(S, &user[..]), (D, b"331 Please specify the password.\r\n")];
    assert_eq!(verdict(21, &chunks), decided(Service::Ftp, S));
    let chunks = [(S, &user[..]), (D, b"+OK send PASS\r\n")];
    assert_eq!(verdict(110, &chunks), decided(Service::Pop3, S));
    let chunks = [(S, &user[..]), (D, b"-ERR no\r\n")];
    assert_eq!(verdict(110, &chunks), decided(Service::Pop3, S));
}

#[test]
fn irc_registration() {
    assert_eq!(
        verdict(6667, &[(S, b"NICK guest\r\n")]),
        decided(Service::Irc, S)
    );
    let user = b"USER guest 0 * :Ronnie Reagan\r\n";
    // The IRC form of USER is not FTP, and waits for the server.
    assert_eq!(verdict(6667, &[(S, user)]), Verdict::Pending);
    let reply = b":irc.example.net 001 guest :Welcome to the network\r\n";
    assert_eq!(
        verdict(6667, &[(S, user), (D, reply)]),
        decided(Service::Irc, S)
    );
    let notice = b":irc.example.net NOTICE * :*** Looking up your hostname\r\n";
    assert_eq!(
        verdict(6667, &[(S, b"PASS secret\r\n"), (D, notice)]),
        decided(Service::Irc, S)
    );
    assert_eq!(
        verdict(6667, &[(S, b"PASS secret\r\n"), (D, b"230 ok\r\n")]),
        Verdict::Pending
    );
}

#[test]
fn dns_over_tcp_only_on_port_53() {
    let query = [
        0x00, 0x1d, 0x10, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    assert_eq!(verdict(53, &[(S, &query)]), decided(Service::Dns, S));
    assert_eq!(verdict(54, &[(S, &query)]), Verdict::Pending);
    let mut short = query;
    short[1] = 11;
    assert_eq!(verdict(53, &[(S, &short)]), Verdict::Pending);
}

#[test]
fn a_signature_split_across_chunks_still_matches() {
    let chunks = [(S, &b"GE"[..]), (S, b"T / HTTP/1.1\r\n")];
    assert_eq!(verdict(80, &chunks), decided(Service::Http, S));
}

#[test]
fn replay_gives_each_side_from_its_start_with_the_current_chunk_whole() {
    let mut detector = Detector::default();
    detector.push(D, Chunk::Data(b"220 hi\r\n"));
    let big = vec![b'x'; PREFIX_LEN + 10];
    detector.push(S, Chunk::Data(&big));
    let mut seen = Vec::new();
    detector.replay(Chunk::Data(&big), &mut |side, chunk| {
        seen.push(match chunk {
            Chunk::Data(d) => (side, d.len()),
            Chunk::Gap(_) | Chunk::Lost => (side, 0),
        })
    });
    assert_eq!(seen, [(D, 8), (S, PREFIX_LEN + 10)]);
    // A gap closes a prefix: the replay says bytes were lost.
    detector.push(D, Chunk::Gap(5));
    detector.push(S, Chunk::Data(b"more"));
    let mut lost = 0;
    detector.replay(Chunk::Data(b"more"), &mut |_, chunk| {
        lost += usize::from(chunk == Chunk::Lost)
    });
    assert_eq!(lost, 2);
}

#[test]
fn detection_gives_up_after_its_chunk_budget() {
    let mut detector = Detector::default();
    for _ in 0..MAX_CHUNKS {
        detector.push(S, Chunk::Data(b"."));
    }
    assert_eq!(detector.verdict((1, 2)), Verdict::GiveUp);
    // A guess still standing then becomes the decision.
    let mut detector = Detector::default();
    detector.push(S, Chunk::Data(b"USER a\r\n"));
    assert_eq!(
        detector.verdict((1, 21)),
        Verdict::Tentative(Service::Ftp, S)
    );
    for _ in 1..MAX_CHUNKS {
        detector.push(S, Chunk::Data(b"NOOP\r\n"));
    }
    assert_eq!(detector.verdict((1, 21)), decided(Service::Ftp, S));
}
