//! The OpenAI-compatible client against a local server speaking the protocol.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use llm_explainer::{
    ChatMessage, Error, Explainer, FinishReason, GenerationSettings, OpenAiExplainer,
};
use serde_json::{Value, json};

/// Serves one connection with `response` and hands back the request (head, JSON body).
fn serve_once(response: String) -> (String, mpsc::Receiver<(String, Value)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        tx.send((head, serde_json::from_slice(&body).unwrap()))
            .unwrap();
        let mut stream = stream;
        stream.write_all(response.as_bytes()).unwrap();
    });
    (base, rx)
}

fn sse(events: &[Value]) -> String {
    let mut body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    body.push_str("data: [DONE]\n\n");
    format!("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n{body}")
}

fn delta(text: &str) -> Value {
    json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
}

fn messages() -> Vec<ChatMessage> {
    vec![ChatMessage {
        role: "user".into(),
        content: "Explain.".into(),
    }]
}

#[test]
fn streams_chunks_and_reports_usage_and_cut() {
    let (base, requests) = serve_once(sse(&[
        json!({"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": null}]}),
        delta("Port "),
        delta("scan"),
        delta(" detected."),
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}),
        json!({"choices": [], "usage": {"prompt_tokens": 42, "completion_tokens": 3}}),
    ]));
    let explainer = OpenAiExplainer::new(base, "served-model").with_api_key(Some("secret".into()));
    let settings = GenerationSettings::default()
        .with_max_tokens(3)
        .with_stop(vec!["\n\n".into()]);
    let mut generation = explainer.generate(messages(), &settings).unwrap();
    let mut pieces = Vec::new();
    let done = loop {
        match generation.blocking_next_event().unwrap() {
            llm_explainer::Event::Text(t) => pieces.push(t),
            llm_explainer::Event::Finished(done) => break done,
            llm_explainer::Event::Failed(e) => panic!("{e}"),
        }
    };
    assert_eq!(pieces.concat(), "Port scan detected.");
    assert_eq!(done.text, "Port scan detected.");
    assert_eq!(
        (
            done.finish_reason,
            done.prompt_tokens,
            done.generated_tokens
        ),
        (FinishReason::MaxTokens, 42, 3)
    );
    assert_eq!(done.model, "served-model");

    let (head, body) = requests.recv().unwrap();
    assert!(
        head.starts_with("POST /v1/chat/completions HTTP/1.1"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("authorization: bearer secret"),
        "{head}"
    );
    assert_eq!(body["model"], "served-model");
    assert_eq!(body["stream"], true);
    assert_eq!(body["max_tokens"], 3);
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": "Explain."}])
    );
    assert_eq!(body["stop"], json!(["\n\n"]));
}

#[test]
fn error_statuses_and_bad_streams_are_errors() {
    let (base, _requests) = serve_once(
        "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"error\": \"slow down\"}".into(),
    );
    let err = OpenAiExplainer::new(base, "m")
        .generate(messages(), &GenerationSettings::default())
        .unwrap()
        .wait();
    assert!(
        matches!(&err, Err(Error::RemoteStatus { status: 429, body }) if body.contains("slow down")),
        "{err:?}"
    );

    let (base, _requests) =
        serve_once("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\ndata: {not json\n\n".into());
    let err = OpenAiExplainer::new(base, "m")
        .generate(messages(), &GenerationSettings::default())
        .unwrap()
        .wait();
    assert!(matches!(err, Err(Error::Remote(_))), "{err:?}");

    let unreachable = OpenAiExplainer::new("http://127.0.0.1:9/v1", "m");
    assert!(matches!(
        unreachable
            .generate(messages(), &GenerationSettings::default())
            .unwrap()
            .wait(),
        Err(Error::Remote(_))
    ));
}

#[test]
fn more_concurrent_requests_than_allowed_are_refused_at_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap(); // accepts, never answers
    let explainer =
        OpenAiExplainer::new(format!("http://{}/v1", listener.local_addr().unwrap()), "m")
            .with_max_concurrent(1);
    let _first = explainer
        .generate(messages(), &GenerationSettings::default())
        .unwrap();
    assert!(matches!(
        explainer.generate(messages(), &GenerationSettings::default()),
        Err(Error::Busy { .. })
    ));
}
