//! The real HTTP stack: a server bound on a loopback port, driven by an HTTP client.

use std::path::PathBuf;

use anomaly_api::{AppState, Config, start};
use serde_json::{Value, json};

const SAMPLE: &str = include_str!("../../flow-features/tests/fixtures/sample_request.json");

struct TestServer {
    base: String,
    client: awc::Client,
}

impl TestServer {
    fn start(config: Config) -> Self {
        let config = Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            workers: Some(1),
            llm: llm_path(),
            ..config
        };
        let state = AppState::load(&config).expect("models load");
        let (server, addr) = start(&config, state).expect("server binds");
        actix_rt::spawn(server);
        Self {
            base: format!("http://{addr}"),
            // Explanations take seconds in a debug build next to other tests.
            client: awc::Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .finish(),
        }
    }

    async fn post(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> (u16, Value) {
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

    async fn predict(&self, body: &Value) -> (u16, Value) {
        self.post("/predict", "application/json", body.to_string())
            .await
    }
}

/// The default GGUF (CI installs it with scripts/setup-models.sh; so does the README's test command).
fn llm_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/llm/SmolLM2-135M-Instruct.Q4_1.gguf")
}

fn sample() -> Value {
    serde_json::from_str(SAMPLE).unwrap()
}

#[actix_rt::test]
async fn predict_answers_the_original_keys_and_more() {
    let server = TestServer::start(Config::default());
    let (status, body) = server.predict(&sample()).await;
    assert_eq!(status, 200, "{body}");
    let probability = body["probability"].as_f64().unwrap();
    assert!((probability - 0.003_708_601).abs() < 1e-6, "{body}");
    assert_eq!(body["class"], 0);
    assert_eq!(body["label"], "normal");
    assert_eq!(body["threshold"], 0.5);
    assert_eq!(body["model"], "unsw-nb15-seed");

    let mut health = server
        .client
        .get(format!("{}/health", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");
}

#[actix_rt::test]
async fn windows_of_real_rows_score_as_tensorflow() {
    let golden: Value = serde_json::from_str(include_str!(
        "../../lstm-detector/tests/fixtures/real_rows_golden.json"
    ))
    .unwrap();
    let detector_dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/unsw-nb15-seed");
    let server = TestServer::start(Config {
        detector: Some(detector_dir),
        ..Config::default()
    });
    for window in golden["windows"].as_array().unwrap() {
        let (status, body) = server
            .predict(&json!({ "sequence": window["sequence"] }))
            .await;
        assert_eq!(status, 200, "{body}");
        let expected = window["probability"].as_f64().unwrap();
        let got = body["probability"].as_f64().unwrap();
        assert!(
            (got - expected).abs() < 1e-5,
            "row {}: {got} vs {expected}",
            window["first_row"]
        );
        assert_eq!(body["class"], u8::from(expected > 0.5));
    }
}

/// Applies `edit` to a copy of the sample request.
fn edited(edit: impl FnOnce(&mut Value)) -> String {
    let mut body = sample();
    edit(&mut body);
    body.to_string()
}

#[actix_rt::test]
async fn malformed_requests_get_a_4xx_json_error_naming_the_problem() {
    let server = TestServer::start(Config::default());
    let sample_text = sample().to_string();
    let json = "application/json";
    let cases: Vec<(&str, &str, String, u16, &str, &str)> = vec![
        // (case, content type, body, status, code, text the message must contain)
        (
            "9 flows",
            json,
            edited(|b| {
                b["sequence"].as_array_mut().unwrap().pop();
            }),
            422,
            "validation_failed",
            "exactly 10 flows, got 9",
        ),
        (
            "11 flows",
            json,
            edited(|b| {
                let f = b["sequence"][0].clone();
                b["sequence"].as_array_mut().unwrap().push(f);
            }),
            422,
            "validation_failed",
            "exactly 10 flows, got 11",
        ),
        (
            "empty sequence",
            json,
            r#"{"sequence": []}"#.into(),
            422,
            "validation_failed",
            "exactly 10 flows, got 0",
        ),
        (
            "missing dur",
            json,
            edited(|b| {
                b["sequence"][3].as_object_mut().unwrap().remove("dur");
            }),
            422,
            "validation_failed",
            "sequence[3].dur: is required",
        ),
        (
            "dur is a string",
            json,
            edited(|b| b["sequence"][0]["dur"] = json!("abc")),
            422,
            "validation_failed",
            "sequence[0].dur: must be a number, got string",
        ),
        (
            "negative counter",
            json,
            edited(|b| b["sequence"][9]["spkts"] = json!(-1)),
            422,
            "validation_failed",
            "sequence[9].spkts: must be >= 0",
        ),
        (
            "number too large for the model",
            json,
            edited(|b| b["sequence"][6]["dur"] = json!(1e308)),
            422,
            "validation_failed",
            "sequence[6].dur: is too large for this model",
        ),
        (
            "unknown proto",
            json,
            edited(|b| b["sequence"][5]["proto"] = json!("quic")),
            422,
            "validation_failed",
            "sequence[5].proto: unknown value",
        ),
        (
            "proto is a number",
            json,
            edited(|b| b["sequence"][2]["proto"] = json!(6)),
            422,
            "validation_failed",
            "sequence[2].proto: must be a string",
        ),
        (
            "sequence not an array",
            json,
            r#"{"sequence": {"dur": 1}}"#.into(),
            422,
            "validation_failed",
            "sequence: must be an array",
        ),
        (
            "no sequence key",
            json,
            r#"{"flows": []}"#.into(),
            422,
            "validation_failed",
            "sequence: is required",
        ),
        (
            "body is an array",
            json,
            "[1, 2]".into(),
            422,
            "validation_failed",
            "must be an object",
        ),
        (
            "NaN literal",
            json,
            sample_text.replacen("0.121478", "NaN", 1),
            400,
            "invalid_json",
            "invalid JSON",
        ),
        (
            "Infinity literal",
            json,
            sample_text.replacen("0.121478", "Infinity", 1),
            400,
            "invalid_json",
            "invalid JSON",
        ),
        (
            "number overflowing f64",
            json,
            sample_text.replacen("0.121478", "1e999", 1),
            400,
            "invalid_json",
            "invalid JSON",
        ),
        (
            "invalid JSON",
            json,
            r#"{"sequence": [{"dur": 1,}"#.into(),
            400,
            "invalid_json",
            "invalid JSON",
        ),
        (
            "empty body",
            json,
            String::new(),
            400,
            "invalid_json",
            "invalid JSON",
        ),
        (
            "wrong content type",
            "text/plain",
            sample_text.clone(),
            415,
            "unsupported_media_type",
            "application/json",
        ),
        (
            "5 MB body",
            json,
            format!(r#"{{"sequence": [], "pad": "{}"}}"#, "x".repeat(5 << 20)),
            413,
            "payload_too_large",
            "exceeds the limit",
        ),
    ];
    for (case, content_type, body, status, code, text) in cases {
        let (got_status, got) = server.post("/predict", content_type, body).await;
        assert_eq!(got_status, status, "{case}: {got}");
        assert_eq!(got["code"], code, "{case}: {got}");
        let listed = got.to_string();
        assert!(listed.contains(text), "{case}: {text:?} not in {listed}");
    }

    // Each validation problem is listed with its flow and field; several at once.
    let body = edited(|b| {
        b["sequence"][1]["dur"] = json!("abc");
        b["sequence"][4]["state"] = json!("NOPE");
    });
    let (status, got) = server.post("/predict", json, body).await;
    assert_eq!(status, 422);
    // Types are checked before vocabularies: the first pass reports the type error.
    assert_eq!(
        got["errors"][0],
        json!({"flow": 1, "field": "dur", "rule": "type", "expected": "a number", "found": "string"})
    );

    // Unknown routes answer JSON too, and the server still serves after all of the above.
    let (status, got) = server.post("/nope", json, "{}").await;
    assert_eq!((status, got["code"].as_str()), (404, Some("not_found")));
    let (status, _) = server.predict(&sample()).await;
    assert_eq!(status, 200);
}

#[actix_rt::test]
async fn analyze_answers_prediction_statistics_and_an_explanation() {
    let server = TestServer::start(Config::default());
    let mut body = sample();
    body["max_tokens"] = json!(24);
    let (status, got) = server
        .post("/analyze", "application/json", body.to_string())
        .await;
    assert_eq!(status, 200, "{got}");
    assert!((got["prediction"]["probability"].as_f64().unwrap() - 0.003_708_601).abs() < 1e-6);
    assert_eq!(got["prediction"]["class"], 0);
    let stats = &got["statistics"];
    assert_eq!(
        (stats["count"].as_u64(), stats["http_pct"].as_f64()),
        (Some(10), Some(0.0))
    );
    for key in [
        "dur_mean",
        "dur_min",
        "dur_max",
        "rate_mean",
        "rate_min",
        "rate_max",
        "spkts_mean",
        "dpkts_mean",
    ] {
        assert!(stats[key].is_number(), "{key} missing: {stats}");
    }
    assert!(!got["llm_explanation"].as_str().unwrap().is_empty());
    assert_eq!(got["explanation"]["model"], "SmolLM2-135M-Instruct.Q4_1");
    assert!(got["explanation"]["generated_tokens"].as_u64().unwrap() <= 24);
    let cut = got["explanation"]["finish_reason"] != "stop";
    assert_eq!(got["explanation"]["cut"], cut);
    assert!(
        got["explanation"].get("text").is_none(),
        "the text appears once, as llm_explanation"
    );

    let mut french = sample();
    french["language"] = json!("german");
    let (status, got) = server
        .post("/analyze", "application/json", french.to_string())
        .await;
    assert_eq!(
        (status, got["code"].as_str()),
        (422, Some("validation_failed")),
        "{got}"
    );
    let missing = edited(|b| {
        b["sequence"][0].as_object_mut().unwrap().remove("dur");
    });
    let (status, got) = server.post("/analyze", "application/json", missing).await;
    assert_eq!(status, 422, "{got}");
    assert!(got.to_string().contains("sequence[0].dur: is required"));
}

#[actix_rt::test]
async fn a_full_explainer_answers_503_with_retry_after_while_predict_keeps_answering() {
    let server = TestServer::start(Config {
        llm_pool: 1,
        llm_queue: 0,
        ..Config::default()
    });
    let mut long = sample();
    long["max_tokens"] = json!(120);
    let first = {
        let (client, url, body) = (
            server.client.clone(),
            format!("{}/analyze", server.base),
            long.to_string(),
        );
        actix_rt::spawn(async move {
            let mut r = client
                .post(url)
                .insert_header(("content-type", "application/json"))
                .send_body(body)
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        })
    };
    actix_rt::time::sleep(std::time::Duration::from_millis(300)).await;

    let response = server
        .client
        .post(format!("{}/analyze", server.base))
        .insert_header(("content-type", "application/json"))
        .send_body(long.to_string())
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers().get("retry-after").unwrap(), "1");

    let (status, _) = server.predict(&sample()).await;
    assert_eq!(status, 200, "/predict answers while a generation runs");
    let (status, got) = first.await.unwrap();
    assert_eq!(status, 200, "{got}");
}
