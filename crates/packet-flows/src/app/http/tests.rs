use super::head::{framing, request_body};
use super::*;

use Side::{Destination as Server, Source as Client};

/// Feeds (side, bytes) chunks; returns (trans_depth, response_body_len, ct_flw_http_mthd).
fn run(chunks: &[(Side, &[u8])]) -> (u32, u64, u32) {
    let mut http = Http::new(Client);
    for &(side, bytes) in chunks {
        http.feed(side, Chunk::Data(bytes));
    }
    values(&http)
}

fn values(http: &Http) -> (u32, u64, u32) {
    (
        http.trans_depth(),
        http.response_body_len(),
        http.ct_flw_http_mthd(),
    )
}

fn get(path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/8.5.0\r\n\
        Accept: */*\r\n\r\n"
    )
    .into_bytes()
}

fn ok(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nContent-Type: text/html\r\n\
            Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn one_transaction() {
    assert_eq!(
        run(&[(Client, &get("/")), (Server, &ok("<html>hi</html>"))]),
        (1, 15, 1)
    );
}

#[test]
fn keep_alive_with_three_transactions_keeps_the_first_body() {
    let (r1, r2, r3) = (get("/"), get("/style.css"), get("/logo.png"));
    let (a1, a2, a3) = (ok("first"), ok("second body"), ok("3"));
    let chunks = [
        (Client, &r1[..]),
        (Server, &a1[..]),
        (Client, &r2),
        (Server, &a2),
        (Client, &r3),
        (Server, &a3),
    ];
    assert_eq!(run(&chunks), (1, 5, 9));
}

#[test]
fn pipelined_requests_give_depth_two() {
    let both = [get("/a"), get("/b")].concat();
    let answers = [ok("aa"), ok("bbb")].concat();
    assert_eq!(run(&[(Client, &both), (Server, &answers)]), (2, 2, 4));
}

#[test]
fn chunked_response_split_at_awkward_places() {
    let response: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\
        Content-Type: text/plain\r\n\r\n7\r\nMozilla\r\n11;ext=1\r\nDeveloper Network\r\n0\r\n\
        X-Trailer: yes\r\n\r\n";
    let request = get("/");
    for cut in 1..response.len() {
        let (a, b) = response.split_at(cut);
        for cut2 in [cut + 1, cut + 7, response.len()] {
            let Some(b2) = b.get(..cut2.saturating_sub(cut)) else {
                continue;
            };
            let rest = &b[b2.len()..];
            let got = run(&[
                (Client, &request),
                (Server, a),
                (Server, b2),
                (Server, rest),
            ]);
            assert_eq!(got, (1, 24, 1), "cuts at {cut}, {cut2}");
        }
    }
    // And the next transaction after it is found.
    let second = [response, &ok("xyz")].concat();
    let requests = [get("/1"), get("/2")].concat();
    assert_eq!(
        run(&[(Client, &requests[..]), (Server, &second)]),
        (2, 24, 4)
    );
}

#[test]
fn head_and_bodiless_statuses() {
    let head = b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n";
    // Content-Length after HEAD describes the body a GET would get: there is none.
    let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
    let next = ok("body");
    assert_eq!(
        run(&[
            (Client, &[&head[..], &get("/")].concat()),
            (Server, &[&answer[..], &next].concat())
        ]),
        (2, 0, 4)
    );
    let not_modified = b"HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\n\r\n";
    let no_content = b"HTTP/1.1 204 No Content\r\n\r\n";
    let requests = [get("/1"), get("/2"), get("/3")].concat();
    let answers = [&not_modified[..], no_content, &ok("12345")].concat();
    assert_eq!(run(&[(Client, &requests), (Server, &answers)]), (3, 0, 9));
}

#[test]
fn interim_responses_are_not_counted() {
    let post =
        b"POST /upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n";
    let chunks = [
        (Client, &post[..]),
        (Server, b"HTTP/1.1 100 Continue\r\n\r\n"),
        (Client, b"data"),
        (Server, &ok("stored")[..]),
    ];
    assert_eq!(run(&chunks), (1, 6, 1));
}

#[test]
fn request_bodies_are_skipped_to_the_next_request() {
    let post = b"POST /login HTTP/1.1\r\nHost: a\r\n\
        Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 27\r\n\r\n\
        user=admin&password=GET /x ";
    let chunked_put =
        b"PUT /f HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nGET /\r\n0\r\n\r\n";
    let requests = [&post[..], chunked_put, &get("/after")].concat();
    let answers = [ok("1"), ok("22"), ok("333")].concat();
    assert_eq!(run(&[(Client, &requests), (Server, &answers)]), (3, 1, 9));
}

#[test]
fn close_delimited_and_gzip_bodies_count_as_sent() {
    let answer = b"HTTP/1.0 200 OK\r\nContent-Encoding: gzip\r\n\r\n\x1f\x8b\x08\x00rest";
    let mut http = Http::new(Client);
    http.feed(Client, Chunk::Data(&get("/")));
    http.feed(Server, Chunk::Data(answer));
    http.feed(Server, Chunk::Data(b"more"));
    assert_eq!(values(&http), (1, 12, 1));
}

#[test]
fn unanswered_requests_and_lone_responses() {
    assert_eq!(run(&[(Client, &get("/"))]), (1, 0, 0));
    assert_eq!(run(&[(Server, &ok("abc"))]), (0, 3, 0));
    assert_eq!(run(&[]), (0, 0, 0));
}

#[test]
fn lenient_heads_still_count() {
    // A space in the target (httparse refuses it) and an HTTP/0.9 response.
    let odd = b"GET /a b.html HTTP/1.1\r\nHost: a\r\n\r\n";
    let old = b"HTTP/0.9 200 OK\r\n\r\nhello";
    assert_eq!(run(&[(Client, odd), (Server, old)]), (1, 5, 1));
    // More than 64 headers.
    let mut many = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..70 {
        many.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    assert_eq!(run(&[(Client, &many), (Server, &ok("z"))]), (1, 1, 1));
}

#[test]
fn garbage_and_overlong_heads_stop_the_direction() {
    let mut http = Http::new(Client);
    http.feed(Client, Chunk::Data(b"\x16\x03\x01garbage\r\n\r\n"));
    http.feed(Client, Chunk::Data(&get("/")));
    assert_eq!(values(&http), (0, 0, 0));
    let mut http = Http::new(Client);
    let long = vec![b'a'; MAX_HEAD + 1];
    http.feed(Client, Chunk::Data(b"GET /"));
    http.feed(Client, Chunk::Data(&long));
    assert!(http.buffered_bytes() <= MAX_HEAD);
    assert_eq!(http.requests_dir.phase, Phase::Stopped);
}

#[test]
fn gaps_inside_bodies_are_skipped_elsewhere_they_stop() {
    let mut http = Http::new(Client);
    let answer = ok("0123456789");
    let (head_and_start, rest) = answer.split_at(answer.len() - 6);
    http.feed(Client, Chunk::Data(&get("/1")));
    http.feed(Client, Chunk::Data(&get("/2")));
    http.feed(Server, Chunk::Data(head_and_start));
    http.feed(Server, Chunk::Gap(3));
    http.feed(Server, Chunk::Data(&rest[3..]));
    http.feed(Server, Chunk::Data(&ok("next")));
    assert_eq!(values(&http), (2, 10, 4));
    // A gap between messages loses the next head.
    http.feed(Server, Chunk::Gap(10));
    http.feed(Server, Chunk::Data(&ok("lost")));
    assert_eq!(values(&http), (2, 10, 4));
}

#[test]
fn upgrades_and_tunnels_end_the_parse() {
    let upgrade = b"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    let switching = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello";
    let mut http = Http::new(Client);
    http.feed(Client, Chunk::Data(upgrade));
    http.feed(Server, Chunk::Data(switching));
    http.feed(Client, Chunk::Data(&get("/not-http")));
    assert_eq!(values(&http), (1, 0, 1));
    let connect = b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
    let established = b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01";
    assert_eq!(
        run(&[
            (Client, connect),
            (Server, established),
            (Client, &get("/"))
        ]),
        (1, 0, 1)
    );
}

#[test]
fn framing_headers() {
    let f = framing([(&b"Transfer-Encoding"[..], &b"gzip, chunked"[..])].into_iter());
    assert!(f.encoded && f.chunked);
    let f = framing([(&b"transfer-encoding"[..], &b"chunked, gzip"[..])].into_iter());
    assert!(f.encoded && !f.chunked);
    let f = framing([(&b"Content-Length"[..], &b"5, 5"[..])].into_iter());
    assert_eq!(f.length, Some(Some(5)));
    let f = framing(
        [
            (&b"Content-Length"[..], &b"5"[..]),
            (b"content-length", b"6"),
        ]
        .into_iter(),
    );
    assert_eq!(f.length, Some(None));
    assert_eq!(request_body(f), None);
    assert_eq!(response_body(Method::Other, 200, f), Some(Body::UntilClose));
    assert_eq!(head_end(b"GET / HTTP/1.1\nHost: a\n\nbody", 0), Some(24));
    assert_eq!(head_end(b"a\r\n\r", 0), None);
}
