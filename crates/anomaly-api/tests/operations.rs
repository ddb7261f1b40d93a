//! Health, readiness, metrics, request ids and the offline API docs over the real HTTP stack.

mod common;

use anomaly_api::Config;
use common::TestServer;
use serde_json::Value;

#[actix_rt::test]
async fn operations_endpoints_request_ids_and_offline_docs() {
    let server = TestServer::start(Config::default());
    let ready = server.ready().await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["attribution"], true);
    assert_eq!(ready["llm"], "SmolLM2-135M-Instruct.Q4_1");

    // The client's request id is echoed; without one, the server makes one.
    let response = server
        .client
        .post(format!("{}/predict", server.base))
        .insert_header(("content-type", "application/json"))
        .insert_header(("x-request-id", "trace-42"))
        .send_body(common::SAMPLE)
        .await
        .unwrap();
    assert_eq!(response.headers().get("x-request-id").unwrap(), "trace-42");
    let response = server
        .client
        .get(format!("{}/health", server.base))
        .insert_header(("x-request-id", "bad id with spaces"))
        .send()
        .await
        .unwrap();
    let generated = response
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(
        generated.len(),
        36,
        "a UUID replaces an unsafe id: {generated}"
    );

    let metrics = server.get_text("/metrics").await;
    for line in [
        r#"http_requests_total{method="POST",route="/predict",status="200"} 1"#,
        r#"http_request_duration_seconds_bucket{route="/predict",le="+Inf"} 1"#,
        "llm_requests_in_flight 0",
        "llm_queue_depth 0",
        "llm_capacity 4",
        "llm_generated_tokens_total 0",
        "process_resident_memory_bytes",
    ] {
        assert!(metrics.contains(line), "{line:?} not in\n{metrics}");
    }

    // OpenAPI generated from the types; Swagger UI and its assets come from the binary.
    let openapi: Value = serde_json::from_str(&server.get_text("/openapi.json").await).unwrap();
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/predict",
        "/predict/batch",
        "/analyze",
        "/analyze/stream",
        "/health",
        "/ready",
        "/metrics",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path} undocumented");
    }
    let example = &openapi["components"]["schemas"]["WindowRequest"]["example"];
    assert_eq!(example["sequence"].as_array().unwrap().len(), 10);
    // awc follows redirects: look at the raw answer.
    let raw = {
        use std::io::{Read, Write};
        let addr = server.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /docs HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut raw = String::new();
        stream.read_to_string(&mut raw).unwrap();
        raw
    };
    assert!(raw.starts_with("HTTP/1.1 308"), "{raw}");
    assert!(raw.to_lowercase().contains("location: /docs/\r\n"), "{raw}");
    assert!(server.get_text("/docs/").await.contains("swagger-ui"));
    let initializer = server.get_text("/docs/swagger-initializer.js").await;
    assert!(initializer.contains("/openapi.json"), "{initializer}");
    assert!(server.get_text("/docs/swagger-ui-bundle.js").await.len() > 100_000);
}
