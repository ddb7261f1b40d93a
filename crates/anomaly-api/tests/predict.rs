//! `POST /predict` and `POST /predict/batch` over the real HTTP stack: a server bound on a
//! loopback port, driven by an HTTP client.

mod common;

use std::path::PathBuf;

use anomaly_api::Config;
use common::{TestServer, edited, sample, seed_config};
use serde_json::{Value, json};

#[actix_rt::test]
async fn predict_answers_the_original_keys_and_more() {
    let server = TestServer::start(seed_config());
    let (status, body) = server.predict(&sample()).await;
    assert_eq!(status, 200, "{body}");
    let probability = body["probability"].as_f64().unwrap();
    assert!((probability - 0.003_708_601).abs() < 1e-6, "{body}");
    assert_eq!(body["class"], 0);
    assert_eq!(body["label"], "normal");
    assert_eq!(body["threshold"], 0.5);
    assert_eq!(body["model"], "unsw-nb15-seed");
    // The original's model has no category head, and says so.
    assert!(body.as_object().unwrap().contains_key("attack_category"));
    assert_eq!(body["attack_category"], Value::Null);

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
        detector: detector_dir.to_str().unwrap().into(),
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

#[actix_rt::test]
async fn the_default_detector_is_the_model_trained_in_rust() {
    let server = TestServer::start(Config::default());
    let detector = lstm_detector::Detector::from_dir(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/unsw-nb15-lstm"),
    )
    .unwrap();
    let body = sample();
    let flows = flow_features::parse_window(&body["sequence"], 10).unwrap();
    let expected = detector.predict(&flows).unwrap();
    let (status, got) = server.predict(&body).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["model"], "unsw-nb15-lstm");
    assert_eq!(
        got["probability"].as_f64().unwrap() as f32,
        expected.probability
    );
    assert_eq!(got["class"], expected.class);
    // The category head's reading, as the library gives it: the most likely category, its
    // probability and the top three.
    let category = expected
        .category
        .expect("the default model has a category head");
    assert_eq!(got["attack_category"]["name"], category.name.as_str());
    assert_eq!(
        got["attack_category"]["probability"].as_f64().unwrap() as f32,
        category.probability
    );
    let top = got["attack_category"]["top"].as_array().unwrap();
    assert_eq!(top.len(), 3);
    assert_eq!(top[0]["name"], category.top[0].name.as_str());
    let names = detector.categories().unwrap();
    assert!(
        names.len() == 10 && names.contains(&"Exploits".to_owned()),
        "{names:?}"
    );

    // A protocol never seen in training is scored through the shared unknown code, and a huge
    // but finite counter is fine after log scaling; the strict original rejects both.
    let unusual = edited(|b| {
        b["sequence"][5]["proto"] = json!("quic");
        b["sequence"][6]["dur"] = json!(1e308);
    });
    let (status, got) = server
        .post("/predict", "application/json", unusual.clone())
        .await;
    assert_eq!(status, 200, "{got}");
    let seed = TestServer::start(seed_config());
    let (status, got) = seed.post("/predict", "application/json", unusual).await;
    assert_eq!(status, 422, "{got}");
}

#[actix_rt::test]
async fn predict_batch_scores_windows_in_order_and_names_broken_windows() {
    // The original's closed vocabularies: an unknown state is a vocabulary problem.
    let server = TestServer::start(Config {
        batch_limit: 8,
        body_limit: 16 * 1024,
        ..seed_config()
    });
    let golden: Value = serde_json::from_str(include_str!(
        "../../lstm-detector/tests/fixtures/real_rows_golden.json"
    ))
    .unwrap();
    let windows: Vec<Value> = golden["windows"].as_array().unwrap()[..5]
        .iter()
        .map(|w| w["sequence"].clone())
        .collect();
    let (status, got) = server
        .post(
            "/predict/batch",
            "application/json",
            json!({ "sequences": windows }).to_string(),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    let predictions = got["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), 5);
    for (window, batched) in windows.iter().zip(predictions) {
        let (_, single) = server.predict(&json!({ "sequence": window })).await;
        assert_eq!(batched, &single, "a batch answers as single windows do");
    }

    let mut broken = windows.clone();
    broken[1][3]["dur"] = json!("abc");
    broken[4][0]["proto"] = json!("quic");
    let (status, got) = server
        .post(
            "/predict/batch",
            "application/json",
            json!({ "sequences": broken }).to_string(),
        )
        .await;
    assert_eq!(
        (status, got["code"].as_str()),
        (422, Some("validation_failed")),
        "{got}"
    );
    let listed: Vec<(u64, u64, &str)> = got["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let e = &w["errors"][0];
            (
                w["window"].as_u64().unwrap(),
                e["flow"].as_u64().unwrap(),
                e["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed, [(1, 3, "dur"), (4, 0, "proto")]);

    // Only a vocabulary problem: found while scoring, still named by window.
    let mut unknown = windows.clone();
    unknown[2][9]["state"] = json!("NOPE");
    let (status, got) = server
        .post(
            "/predict/batch",
            "application/json",
            json!({ "sequences": unknown }).to_string(),
        )
        .await;
    assert_eq!(status, 422, "{got}");
    assert_eq!(got["windows"][0]["window"], 2, "{got}");
    assert_eq!(got["windows"][0]["errors"][0]["field"], "state", "{got}");

    for body in [
        json!({ "sequences": [] }),
        json!({ "sequences": vec![windows[0].clone(); 9] }),
        json!({ "sequence": windows[0] }),
    ] {
        let (status, got) = server
            .post("/predict/batch", "application/json", body.to_string())
            .await;
        assert_eq!(
            (status, got["code"].as_str()),
            (422, Some("validation_failed")),
            "{got}"
        );
        assert!(
            got["message"].as_str().unwrap().contains("sequences"),
            "{got}"
        );
    }
    // The batch route has its own, larger body limit.
    let eight = json!({ "sequences": vec![windows[0].clone(); 8] }).to_string();
    assert!(eight.len() > 16 * 1024);
    let (status, _) = server
        .post("/predict/batch", "application/json", eight)
        .await;
    assert_eq!(status, 200);
    let padded = json!({ "sequence": windows[0], "pad": "x".repeat(16 * 1024) }).to_string();
    let (status, _) = server.post("/predict", "application/json", padded).await;
    assert_eq!(status, 413);
}
