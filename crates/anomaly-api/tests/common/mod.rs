//! The test server every HTTP test drives: the real service on a loopback port, an HTTP client.
#![allow(dead_code)] // each test file uses part of it

use std::path::PathBuf;

use anomaly_api::{AppState, Config, start};
use serde_json::Value;

pub const SAMPLE: &str = include_str!("../../../flow-features/tests/fixtures/sample_request.json");

pub struct TestServer {
    pub base: String,
    pub client: awc::Client,
}

impl TestServer {
    pub fn start(config: Config) -> Self {
        Self::start_with_state(config).0
    }

    /// Starts a server and returns the state it serves with (its slots and limits are shared).
    pub fn start_with_state(config: Config) -> (Self, AppState) {
        let config = Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            workers: Some(1),
            llm: llm_path(),
            ..config
        };
        let state = AppState::load(&config).expect("models load");
        let (server, addr) = start(&config, state.clone()).expect("server binds");
        actix_rt::spawn(server);
        let server = Self {
            base: format!("http://{addr}"),
            // Explanations take seconds in a debug build next to other tests.
            client: awc::Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .finish(),
        };
        (server, state)
    }

    pub async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> (u16, Value) {
        let mut response = self
            .client
            .post(format!("{}{path}", self.base))
            .insert_header(("content-type", content_type))
            .send_body(body.into())
            .await
            .expect("request completes");
        let status = response.status().as_u16();
        let body = response.body().limit(1 << 20).await.expect("body");
        (
            status,
            serde_json::from_slice(&body).expect("every response is JSON"),
        )
    }

    pub async fn get_text(&self, path: &str) -> String {
        let mut response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request completes");
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        let body = response.body().limit(8 << 20).await.expect("body");
        String::from_utf8(body.to_vec()).expect("UTF-8")
    }

    pub async fn ready(&self) -> Value {
        serde_json::from_str(&self.get_text("/ready").await).unwrap()
    }

    /// Starts `POST path` with `body` on its own task; resolves to (status, raw body).
    pub fn spawn_post(
        &self,
        path: &str,
        body: &Value,
    ) -> actix_rt::task::JoinHandle<(u16, Vec<u8>)> {
        let (client, url, body) = (
            self.client.clone(),
            format!("{}{path}", self.base),
            body.to_string(),
        );
        actix_rt::spawn(async move {
            let mut r = client
                .post(url)
                .insert_header(("content-type", "application/json"))
                .send_body(body)
                .await
                .unwrap();
            let body = r.body().limit(1 << 20).await.unwrap();
            (r.status().as_u16(), body.to_vec())
        })
    }

    pub async fn predict(&self, body: &Value) -> (u16, Value) {
        self.post("/predict", "application/json", body.to_string())
            .await
    }
}

/// Serves `config` on a loopback port from its own thread and runtime, for tests that drive
/// the server with blocking clients (a browser, raw sockets); returns the bound address.
pub fn serve_in_thread(config: Config) -> std::net::SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_rt::System::new().block_on(async move {
            let config = Config {
                bind: "127.0.0.1:0".parse().unwrap(),
                ..config
            };
            let state = AppState::load(&config).expect("models load");
            let (server, addr) = start(&config, state).expect("server binds");
            tx.send(addr).unwrap();
            server.await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// The default GGUF (CI installs it with scripts/setup-models.sh; so does the README's test command).
pub fn llm_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/llm/SmolLM2-135M-Instruct.Q4_1.gguf")
}

/// The original Keras model, one of the two detectors embedded in the binary.
pub fn seed_config() -> Config {
    Config {
        detector: "unsw-nb15-seed".into(),
        ..Config::default()
    }
}

pub fn sample() -> Value {
    serde_json::from_str(SAMPLE).unwrap()
}

/// The sample request after `edit`, as a body.
pub fn edited(edit: impl FnOnce(&mut Value)) -> String {
    let mut body = sample();
    edit(&mut body);
    body.to_string()
}
