//! The real binary under SIGTERM: an explanation in progress finishes and is answered, then
//! the process exits cleanly.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One HTTP/1.1 exchange on a fresh connection; returns (status, body).
fn exchange(addr: &str, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    let status = raw
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// The body of a chunked response, de-chunked crudely: JSON objects are all this test reads.
fn json_in(body: &str) -> serde_json::Value {
    let start = body.find('{').expect("a JSON object");
    let end = body.rfind('}').expect("a JSON object");
    serde_json::from_str(&body[start..=end]).unwrap()
}

/// The server process, killed if the test fails before it exits (no stray server eating the
/// cores of the tests that follow).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        // Does nothing once the child has been waited for.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sigterm_lets_the_explanation_in_progress_finish() {
    let llm = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/llm/SmolLM2-135M-Instruct.Q4_1.gguf");
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_anomaly-api"))
            .args([
                "--bind",
                "127.0.0.1:0",
                "--workers",
                "1",
                "--shutdown-timeout",
                "60",
            ])
            .arg("--llm")
            .arg(&llm)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the binary starts"),
    );
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server logs where it listens")
            .unwrap();
        if let Some(at) = line.find("addr=") {
            let rest = &line[at + 5..];
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    let log = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());

    let sample: serde_json::Value = serde_json::from_str(include_str!(
        "../../flow-features/tests/fixtures/sample_request.json"
    ))
    .unwrap();
    let mut body = sample.clone();
    body["max_tokens"] = serde_json::json!(64);
    let analyze = {
        let (addr, body) = (addr.clone(), body.to_string());
        std::thread::spawn(move || exchange(&addr, "POST", "/analyze", &body))
    };
    let started = Instant::now();
    loop {
        let (_, ready) = exchange(&addr, "GET", "/ready", "").unwrap();
        if json_in(&ready)["llm_in_flight"] == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the analysis never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let (status, answer) = analyze.join().unwrap().expect("the request is answered");
    if status != 200 {
        // What the server said about it is the only clue left once it has exited.
        let _ = server.0.wait();
        panic!(
            "{status} {answer:?}; server log: {:#?}",
            log.join().unwrap()
        );
    }
    let answer = json_in(&answer);
    assert!(
        answer["explanation"]["generated_tokens"].as_u64().unwrap() > 0,
        "{answer}"
    );
    assert_eq!(answer["prediction"]["class"], 0);

    let exit = server.0.wait().unwrap();
    assert!(exit.success(), "clean exit after SIGTERM: {exit:?}");
    let log = log.join().unwrap();
    assert!(log.iter().any(|l| l.contains("stopped")), "{log:#?}");
    assert!(
        TcpStream::connect(&addr).is_err(),
        "nothing listens after the shutdown"
    );
}
