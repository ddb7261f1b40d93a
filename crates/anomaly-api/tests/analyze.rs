//! `POST /analyze` and `/analyze/stream` over the real HTTP stack, with the real GGUF.

mod common;

use anomaly_api::Config;
use common::{TestServer, edited, sample, seed_config};
use serde_json::{Value, json};

#[actix_rt::test]
async fn analyze_answers_prediction_statistics_and_an_explanation() {
    let server = TestServer::start(seed_config());
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
    // Attribution: every flow and feature, largest change first. In the sample the columns are
    // shifted by the original's bug, and only `tcprtt` (2.2e9 there) moves the probability.
    let attribution = &got["attribution"];
    assert_eq!(attribution["flows"].as_array().unwrap().len(), 10);
    assert_eq!(attribution["features"].as_array().unwrap().len(), 34);
    assert_eq!(attribution["features"][0]["feature"], "tcprtt");
    assert_eq!(attribution["features"][0]["last_value"], 2_202_533_631.0);
    assert!(attribution["features"][0]["delta"].as_f64().unwrap() < -0.9);
    assert_eq!(attribution["flows"][0]["flow"], 9);

    // The report, built without the model, names what moved the detector.
    let report = &got["report"];
    let summary = report["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Normal: the detector finds the newest flow"),
        "{summary}"
    );
    assert!(summary.contains("tcprtt"), "{summary}");
    assert!(
        report["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "tcprtt" && e["kind"] == "feature"),
        "{report}"
    );
    assert_eq!(
        report["next_steps"][0],
        "No action is needed for this window."
    );
    assert_returned_text_is_checked(&got, &got["explanation"], summary);

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

/// The returned explanation is the model's text only when every check passed, else the
/// report's `summary`, and the answer says which.
fn assert_returned_text_is_checked(answer: &Value, explanation: &Value, summary: &str) {
    let checks = &explanation["checks"];
    let failed = checks["failed"].as_array().unwrap();
    match explanation["source"].as_str() {
        Some("model") => {
            assert_eq!(checks["passed"], true, "{explanation}");
            assert!(failed.is_empty());
            assert_ne!(answer["llm_explanation"], summary);
        }
        Some("report") => {
            assert_eq!(checks["passed"], false, "{explanation}");
            assert!(!failed.is_empty());
            assert_eq!(answer["llm_explanation"], summary);
        }
        other => panic!("source {other:?}: {explanation}"),
    }
    // A text cut by the budget never passes.
    if explanation["cut"] == true {
        assert!(failed.contains(&json!("cut")), "{explanation}");
    }
}

#[actix_rt::test]
async fn the_sample_request_gets_a_checked_explanation_from_the_default_detector() {
    let server = TestServer::start(Config::default());
    let (status, got) = server
        .post("/analyze", "application/json", sample().to_string())
        .await;
    assert_eq!(status, 200, "{got}");
    let summary = got["report"]["summary"].as_str().unwrap();
    assert_returned_text_is_checked(&got, &got["explanation"], summary);
    // A normal verdict's category is normal traffic at 1 - probability: the report adds
    // nothing about it.
    assert_eq!(got["prediction"]["class"], 0);
    assert_eq!(got["prediction"]["attack_category"]["name"], "Normal");
    assert!(!summary.contains("category head"), "{summary}");
    // An attack's: the report names its kind with its probability, and so may the text.
    let recon: serde_json::Value = serde_json::from_str(include_str!(
        "../../../examples/requests/reconnaissance_window.json"
    ))
    .unwrap();
    let (status, attack) = server
        .post("/analyze", "application/json", recon.to_string())
        .await;
    assert_eq!(status, 200, "{attack}");
    let attack_summary = attack["report"]["summary"].as_str().unwrap();
    assert_returned_text_is_checked(&attack, &attack["explanation"], attack_summary);
    let category = &attack["prediction"]["attack_category"];
    let reading = format!(
        "reads the flow as {} (probability {:.3})",
        category["name"].as_str().unwrap(),
        category["probability"].as_f64().unwrap()
    );
    assert_eq!(category["name"], "Reconnaissance");
    assert!(attack_summary.contains(&reading), "{attack_summary}");
    println!(
        "source {}, failed {}: {}",
        got["explanation"]["source"],
        got["explanation"]["checks"]["failed"],
        got["llm_explanation"]
    );
}

/// Polls `/ready` until `llm_in_flight` equals `n` (generations admitted or finished).
async fn wait_for_in_flight(server: &TestServer, n: u64) {
    for _ in 0..600 {
        if server.ready().await["llm_in_flight"] == n {
            return;
        }
        actix_rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("llm_in_flight never reached {n}");
}

#[actix_rt::test]
async fn four_generations_complete_while_predict_answers_and_a_fifth_gets_503() {
    let server = TestServer::start(Config {
        llm_pool: 1,
        llm_queue: 3,
        ..Config::default()
    });
    let mut body = sample();
    body["max_tokens"] = json!(48);
    let analyses: Vec<_> = (0..4)
        .map(|_| server.spawn_post("/analyze", &body))
        .collect();
    wait_for_in_flight(&server, 4).await;

    // Refused without waiting for a place (nothing in the explainer's admission blocks; its
    // unit test shows it): a clock here would only measure the machine's load.
    let response = server
        .client
        .post(format!("{}/analyze", server.base))
        .insert_header(("content-type", "application/json"))
        .send_body(body.to_string())
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers().get("retry-after").unwrap(), "1");

    let mut latencies = Vec::new();
    for _ in 0..20 {
        let started = std::time::Instant::now();
        let (status, got) = server.predict(&sample()).await;
        latencies.push(started.elapsed());
        assert_eq!(status, 200, "{got}");
    }
    latencies.sort();
    println!(
        "/predict while 4 generations run (debug build): median {:?}, max {:?}",
        latencies[10], latencies[19]
    );
    assert!(
        server.ready().await["llm_in_flight"].as_u64().unwrap() > 0,
        "the generations were still running while /predict answered"
    );

    let mut texts = Vec::new();
    for analysis in analyses {
        let (status, body) = analysis.await.unwrap();
        let got: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["prediction"]["class"], 0);
        assert!(got["explanation"]["generated_tokens"].as_u64().unwrap() > 0);
        texts.push(got["llm_explanation"].as_str().unwrap().to_owned());
    }
    // Greedy decoding: the same window gets the same text, whatever the interleaving.
    assert!(texts.windows(2).all(|w| w[0] == w[1]), "{texts:?}");
    wait_for_in_flight(&server, 0).await;
}

/// Splits a Server-Sent-Events body into (event, data) pairs.
fn sse_events(body: &[u8]) -> Vec<(String, Value)> {
    String::from_utf8_lossy(body)
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .unwrap_or_else(|| panic!("{name} missing in {block:?}"))
                    .to_owned()
            };
            (
                field("event: "),
                serde_json::from_str(&field("data: ")).unwrap(),
            )
        })
        .collect()
}

#[actix_rt::test]
async fn analyze_streams_the_verdict_then_tokens_then_done() {
    let server = TestServer::start(Config::default());
    let mut body = sample();
    body["max_tokens"] = json!(16);
    for (path, accept) in [
        ("/analyze/stream", "*/*"),
        ("/analyze", "text/event-stream"),
    ] {
        let mut response = server
            .client
            .post(format!("{}{path}", server.base))
            .insert_header(("content-type", "application/json"))
            .insert_header(("accept", accept))
            .send_body(body.to_string())
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            "text/event-stream"
        );
        let events = sse_events(&response.body().limit(1 << 20).await.unwrap());
        let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names.first(), Some(&"verdict"), "{path}: {names:?}");
        assert_eq!(names.last(), Some(&"done"), "{path}: {names:?}");
        assert!(names[1..names.len() - 1].iter().all(|n| *n == "token"));
        assert!(names.len() > 2, "{path}: at least one token");

        let verdict = &events[0].1;
        assert_eq!(verdict["prediction"]["class"], 0);
        assert_eq!(verdict["statistics"]["count"], 10);
        assert_eq!(
            verdict["attribution"]["features"].as_array().unwrap().len(),
            34
        );
        let streamed: String = events[1..events.len() - 1]
            .iter()
            .map(|(_, data)| data["text"].as_str().unwrap())
            .collect();
        let done = &events.last().unwrap().1;
        let summary = verdict["report"]["summary"].as_str().unwrap();
        assert_returned_text_is_checked(done, &done["explanation"], summary);
        if done["explanation"]["source"] == "model" {
            assert_eq!(done["llm_explanation"], streamed.trim());
        }
        assert!(done["explanation"]["generated_tokens"].as_u64().unwrap() <= 16);
    }
}

#[actix_rt::test]
async fn a_client_that_disconnects_stops_its_generation() {
    use futures_util::StreamExt;
    let server = TestServer::start(Config::default());
    let mut body = sample();
    body["max_tokens"] = json!(256);
    let mut response = server
        .client
        .post(format!("{}/analyze/stream", server.base))
        .insert_header(("content-type", "application/json"))
        .send_body(body.to_string())
        .await
        .unwrap();
    // Read until the first token, then hang up.
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("event: token") {
        seen.extend_from_slice(&response.next().await.unwrap().unwrap());
    }
    assert_eq!(server.ready().await["llm_in_flight"], 1);
    drop(response);
    let started = std::time::Instant::now();
    wait_for_in_flight(&server, 0).await;
    println!(
        "generation stopped {:?} after the disconnect",
        started.elapsed()
    );
}
