use super::*;

use Side::{Destination as Server, Source as Client};

/// Runs a control connection's (side, bytes) chunks; returns (logins, attempts) and the
/// endpoints announced.
fn run(chunks: &[(Side, &[u8])]) -> ((u32, u32), Vec<Endpoint>) {
    let mut ftp = Ftp::new(Client);
    for &(side, bytes) in chunks {
        ftp.feed(side, Chunk::Data(bytes));
    }
    ((ftp.logins(), ftp.attempts()), ftp.take_endpoints())
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> Option<IpAddr> {
    Some(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
}

#[test]
fn a_successful_login() {
    let session: [(Side, &[u8]); 6] = [
        (Server, b"220 (vsFTPd 3.0.3)\r\n"),
        (Client, b"USER ftpuser\r\n"),
        (Server, b"331 Please specify the password.\r\n"),
        (Client, b"PASS s3cret\r\n"),
        (Server, b"230 Login successful.\r\n"),
        (Client, b"QUIT\r\n"),
    ];
    assert_eq!(run(&session).0, (1, 1));
}

#[test]
fn a_failed_login_then_a_successful_one() {
    let session: [(Side, &[u8]); 9] = [
        (Server, b"220 ProFTPD Server ready.\r\n"),
        (Client, b"user root\r\n"),
        (Server, b"331 Password required for root\r\n"),
        (Client, b"pass guess\r\n"),
        (Server, b"530 Login incorrect.\r\n"),
        (Client, b"USER anonymous\r\n"),
        (
            Server,
            b"331 Anonymous login ok, send your complete email address as your password\r\n",
        ),
        (Client, b"PASS guest@example.com\r\n"),
        (
            Server,
            b"230-Welcome!\r\n230-Be nice.\r\n230 Anonymous access granted.\r\n",
        ),
    ];
    assert_eq!(run(&session).0, (1, 2));
    assert_eq!(run(&session[..5]).0, (0, 1));
}

#[test]
fn a_multi_line_greeting_is_one_reply_and_stray_230s_do_not_count() {
    let session: [(Side, &[u8]); 4] = [
        (
            Server,
            b"220-Hello\r\n230 not a reply: inside the greeting\r\n220 ready\r\n",
        ),
        (Server, b"230 unsolicited\r\n"),
        (Client, b"USER a\r\n"),
        (Server, b"230 ok\r\n230 again\r\n"),
    ];
    assert_eq!(run(&session).0, (1, 1));
}

#[test]
fn a_capture_that_began_at_pass() {
    let session: [(Side, &[u8]); 3] = [
        (Client, b"PASS x\r\n"),
        (Server, b"230 ok\r\n"),
        (Client, b"PASS again\r\n"),
    ];
    assert_eq!(run(&session).0, (1, 1));
}

#[test]
fn passive_and_active_endpoints() {
    let session: [(Side, &[u8]); 8] = [
        (Client, b"PASV\r\n"),
        (
            Server,
            b"227 Entering Passive Mode (192,168,1,20,195,149).\r\n",
        ),
        (Client, b"EPSV\r\n"),
        (
            Server,
            b"229 Entering Extended Passive Mode (|||50123|)\r\n",
        ),
        (Client, b"PORT 10,0,0,5,4,1\r\n"),
        (Client, b"EPRT |1|10.0.0.5|6275|\r\n"),
        (Client, b"eprt |2|fe80::1|5282|\r\n"),
        (Server, b"227 Entering Passive Mode 0,0,0,0,4,2\r\n"),
    ];
    let (_, endpoints) = run(&session);
    let fe80 = Some(IpAddr::V6("fe80::1".parse().unwrap()));
    assert_eq!(
        endpoints,
        [
            (v4(192, 168, 1, 20), 50069),
            (None, 50123),
            (v4(10, 0, 0, 5), 1025),
            (v4(10, 0, 0, 5), 6275),
            (fe80, 5282),
            (None, 1026),
        ]
    );
}

#[test]
fn malformed_endpoints_are_ignored() {
    for bad in [
        &b"PORT 10,0,0,256,4,1\r\n"[..],
        b"PORT 10,0,0,5,4\r\n",
        b"PORT 10,0,0,5,4,1,9\r\n",
        b"PORT 10,0,0,5,0,0\r\n",
        b"PORT 10,0,0,+5,4,1\r\n",
        b"EPRT |3|10.0.0.5|6275|\r\n",
        b"EPRT |1|10.0.0.300|6275|\r\n",
        b"EPRT |1|10.0.0.5|65536|\r\n",
        b"EPRT |1|10.0.0.5|6275\r\n",
    ] {
        assert_eq!(run(&[(Client, bad)]).1, [], "{bad:?}");
    }
    for bad in [
        &b"229 Entering Extended Passive Mode (||50123|)\r\n"[..],
        b"229 Entering Extended Passive Mode (|||0|)\r\n",
        b"229 Entering Extended Passive Mode (|||50123!)\r\n",
        b"227 Entering Passive Mode (192,168,1,20,195)\r\n",
        b"227-Entering Passive Mode (1,2,3,4,5,6,7)\r\n227 end\r\n",
    ] {
        assert_eq!(run(&[(Server, bad)]).1, [], "{bad:?}");
    }
}

#[test]
fn endpoints_are_capped_and_drained() {
    let many = b"PORT 10,0,0,5,4,1\r\n".repeat(MAX_ENDPOINTS + 5);
    let mut ftp = Ftp::new(Client);
    ftp.feed(Client, Chunk::Data(&many));
    assert_eq!(ftp.take_endpoints().len(), MAX_ENDPOINTS);
    assert!(ftp.take_endpoints().is_empty());
}

#[test]
fn lines_split_across_chunks_overlong_lines_and_gaps() {
    let mut ftp = Ftp::new(Client);
    ftp.feed(Client, Chunk::Data(b"US"));
    ftp.feed(Client, Chunk::Data(b"ER a\r"));
    ftp.feed(Client, Chunk::Data(b"\n"));
    assert_eq!(ftp.attempts(), 1);
    // An overlong line is skipped whole, even when its tail looks like a command.
    let long = [&b"X"[..], &[b'a'; MAX_LINE], b" USER b\r\nUSER c\r\n"].concat();
    ftp.feed(Client, Chunk::Data(&long));
    assert_eq!(ftp.attempts(), 2);
    assert!(ftp.buffered_bytes() <= 2 * MAX_LINE);
    // A gap loses the line it cuts; the next line counts.
    ftp.feed(Client, Chunk::Data(b"USER d"));
    ftp.feed(Client, Chunk::Gap(100));
    ftp.feed(Client, Chunk::Data(b"ignored\r\nUSER e\r\n"));
    assert_eq!(ftp.attempts(), 3);
}
