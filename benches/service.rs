//! `/predict` end to end over loopback HTTP (one client, one persistent connection), idle and
//! while four `/analyze` generations run without pause (the explainer's pool of 1 plus its
//! queue of 3, on the default thread counts).
//!
//! ```sh
//! scripts/setup-models.sh
//! cargo bench -p anomaly-api --bench service
//! BENCH_DETECTOR=unsw-nb15-seed cargo bench -p anomaly-api --bench service  # the original model
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anomaly_api::{AppState, Config, start};
use criterion::{Criterion, criterion_group, criterion_main};

const SAMPLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../flow-features/tests/fixtures/sample_request.json"
));

/// A minimal HTTP/1.1 keep-alive client, so the figure is the server's, not a client library's.
struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        Self {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    /// Sends one POST and returns (status, body).
    fn post(&mut self, path: &str, body: &str) -> (u16, Vec<u8>) {
        write!(
            self.writer,
            "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status = line[9..12].parse().unwrap();
        let mut length = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        (status, body)
    }
}

fn serve() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_rt::System::new().block_on(async move {
            let config = Config {
                bind: "127.0.0.1:0".parse().unwrap(),
                llm: concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../models/llm/SmolLM2-135M-Instruct.Q4_1.gguf"
                )
                .into(),
                // Which detector serves (default: the default one), e.g. `unsw-nb15-seed`.
                detector: std::env::var("BENCH_DETECTOR")
                    .unwrap_or_else(|_| Config::default().detector),
                ..Config::default()
            };
            let state = AppState::load(&config).expect("models load (run scripts/setup-models.sh)");
            let (server, addr) = start(&config, state).unwrap();
            tx.send(addr).unwrap();
            server.await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn benches(c: &mut Criterion) {
    let addr = serve();
    let mut group = c.benchmark_group("predict_over_loopback");
    group.measurement_time(Duration::from_secs(10));
    let mut connection = Connection::open(addr);
    assert_eq!(connection.post("/predict", SAMPLE).0, 200);
    group.bench_function("idle", |b| b.iter(|| connection.post("/predict", SAMPLE)));

    // Four clients keep the explainer full for the whole measurement.
    let running = Arc::new(AtomicBool::new(true));
    let tokens = Arc::new(AtomicUsize::new(0));
    let mut analyze: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    analyze["max_tokens"] = serde_json::json!(64);
    let analyze = analyze.to_string();
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (running, tokens, body) = (running.clone(), tokens.clone(), analyze.clone());
            std::thread::spawn(move || {
                let mut connection = Connection::open(addr);
                while running.load(Ordering::Relaxed) {
                    let (status, answer) = connection.post("/analyze", &body);
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
                    let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
                    let generated = answer["explanation"]["generated_tokens"].as_u64().unwrap();
                    tokens.fetch_add(generated as usize, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let started = std::time::Instant::now();
    let before = tokens.load(Ordering::Relaxed);
    group.bench_function("during_4_generations", |b| {
        b.iter(|| connection.post("/predict", SAMPLE))
    });
    let rate = (tokens.load(Ordering::Relaxed) - before) as f64 / started.elapsed().as_secs_f64();
    group.finish();
    running.store(false, Ordering::Relaxed);
    for handle in load {
        handle.join().unwrap();
    }
    println!("explainer throughput meanwhile: {rate:.1} generated tokens/s (completed answers)");
}

criterion_group!(service, benches);
criterion_main!(service);
