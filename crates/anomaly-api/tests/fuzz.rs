//! Random and mutated request bodies thrown at the real request path (`/predict`,
//! `/predict/batch`, `/analyze` with the real detector and the real GGUF): every answer must be a
//! JSON body with a status below 500, and the server must keep answering.
//!
//! Bodies start from the original's valid sample window; each case applies a few random
//! mutations (a field set to random JSON — long strings, huge or negative numbers, nesting —,
//! removed keys, flows dropped or repeated, the window wrapped in other shapes, options set to
//! random values), then may cut or corrupt the serialized bytes. Requests go over a raw TCP
//! connection so that bodies need not be valid UTF-8 or JSON. `FUZZ_CASES=n` runs n cases per
//! route (default 300 for `/predict`, 100 for the others).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anomaly_api::Config;
use flow_features::FEATURES;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use serde_json::{Value, json};

/// Serves the default detector and the default GGUF from its own thread and runtime.
fn serve() -> SocketAddr {
    common::serve_in_thread(Config {
        workers: Some(2),
        llm: common::llm_path(),
        // Valid bodies do reach the model: keep each generation short.
        max_tokens: 8,
        ..Config::default()
    })
}

/// One `POST` over a fresh connection; the status and the body's bytes.
fn post(addr: SocketAddr, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413, 415) and close before reading the whole body.
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .expect("the server answers instead of dropping the connection");
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let parsed = response.parse(&answer).expect("an HTTP response");
    let httparse::Status::Complete(head_len) = parsed else {
        panic!(
            "incomplete response head: {:?}",
            String::from_utf8_lossy(&answer)
        )
    };
    (response.code.unwrap(), answer[head_len..].to_vec())
}

/// Random JSON: scalars (long strings and extreme numbers among them), arrays and objects.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|x| json!(x)),
        prop_oneof![Just(1e308), Just(-1e308), Just(5e-324), Just(-0.0)].prop_map(|x| json!(x)),
        "\\PC{0,24}".prop_map(Value::from),
        (0usize..40_000).prop_map(|n| Value::from("a".repeat(n))),
        prop_oneof![
            Just("tcp"),
            Just("-"),
            Just("FIN"),
            Just("http"),
            Just("unknown")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Set {
        flow: usize,
        field: usize,
        value: Value,
    },
    Remove {
        flow: usize,
        field: usize,
    },
    DropFlows(usize),
    RepeatFlow(usize),
    Option {
        key: &'static str,
        value: Value,
    },
    Replace(Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (0..12usize, 0..FEATURES.len(), json_value())
            .prop_map(|(flow, field, value)| Mutation::Set { flow, field, value }),
        2 => (0..12usize, 0..FEATURES.len()).prop_map(|(flow, field)| Mutation::Remove { flow, field }),
        1 => (0..11usize).prop_map(Mutation::DropFlows),
        1 => (0..200usize).prop_map(Mutation::RepeatFlow),
        2 => (prop_oneof![Just("max_tokens"), Just("language"), Just("sequences")], json_value())
            .prop_map(|(key, value)| Mutation::Option { key, value }),
        1 => json_value().prop_map(Mutation::Replace),
    ]
}

/// The window `flows` after `mutations`, as the body of `path`.
fn body(path: &str, mutations: &[Mutation]) -> Value {
    let mut flows = common::sample()["sequence"].as_array().unwrap().clone();
    let mut options = serde_json::Map::new();
    let mut replaced = None;
    for m in mutations {
        match m {
            Mutation::Set { flow, field, value } => {
                if let Some(Value::Object(f)) = flows.get_mut(*flow) {
                    f.insert(FEATURES[*field].name.into(), value.clone());
                }
            }
            Mutation::Remove { flow, field } => {
                if let Some(Value::Object(f)) = flows.get_mut(*flow) {
                    f.remove(FEATURES[*field].name);
                }
            }
            Mutation::DropFlows(n) => flows.truncate(flows.len().saturating_sub(*n)),
            Mutation::RepeatFlow(n) => {
                if let Some(first) = flows.first().cloned() {
                    flows.extend(std::iter::repeat_n(first, *n));
                }
            }
            Mutation::Option { key, value } => {
                options.insert((*key).into(), value.clone());
            }
            Mutation::Replace(value) => replaced = Some(value.clone()),
        }
    }
    if let Some(value) = replaced {
        return value;
    }
    let mut body = if path == "/predict/batch" {
        json!({ "sequences": [flows.clone(), common::sample()["sequence"], flows] })
    } else {
        json!({ "sequence": flows })
    };
    body.as_object_mut().unwrap().extend(options);
    body
}

/// How the serialized body is damaged after mutation.
#[derive(Debug, Clone)]
enum Damage {
    None,
    Cut(usize),
    Byte { at: usize, byte: u8 },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        6 => Just(Damage::None),
        1 => any::<usize>().prop_map(Damage::Cut),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Damage::Byte { at, byte }),
    ]
}

fn bytes(body: &Value, damage: &Damage) -> Vec<u8> {
    let mut bytes = body.to_string().into_bytes();
    match *damage {
        Damage::None => {}
        Damage::Cut(at) => bytes.truncate(at % (bytes.len() + 1)),
        Damage::Byte { at, byte } => {
            if !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
        }
    }
    bytes
}

fn cases(default: u32) -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .map_or(default, |n| n.max(1))
}

#[test]
fn random_and_mutated_bodies_never_get_a_5xx() {
    let addr = serve();
    // `TestRunner::run` takes an `Fn`: the tally lives in a cell.
    let statuses = std::cell::RefCell::new(std::collections::BTreeMap::<(String, u16), u32>::new());
    for (path, n) in [
        ("/predict", cases(300)),
        ("/predict/batch", cases(100)),
        ("/analyze", cases(100)),
    ] {
        let mut runner = TestRunner::new(RunnerConfig {
            cases: n,
            failure_persistence: None,
            ..RunnerConfig::default()
        });
        let strategy = (prop::collection::vec(mutation(), 0..4), damage());
        let result = runner.run(&strategy, |(mutations, damage)| {
            let sent = bytes(&body(path, &mutations), &damage);
            let (status, answer) = post(addr, path, &sent);
            *statuses
                .borrow_mut()
                .entry((path.into(), status))
                .or_default() += 1;
            prop_assert!(
                status < 500,
                "{path} answered {status}: {}",
                String::from_utf8_lossy(&answer)
            );
            let answer: Value = serde_json::from_slice(&answer)
                .map_err(|e| TestCaseError::fail(format!("{path} {status}: not JSON: {e}")))?;
            if status >= 400 {
                prop_assert!(answer["code"].is_string(), "{answer}");
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    }
    let statuses = statuses.into_inner();
    eprintln!("statuses by route: {statuses:?}");
    // Every route answered valid bodies as well as broken ones.
    for path in ["/predict", "/predict/batch", "/analyze"] {
        assert!(
            statuses.contains_key(&(path.into(), 200)),
            "{path}: {statuses:?}"
        );
        assert!(
            statuses.contains_key(&(path.into(), 422)),
            "{path}: {statuses:?}"
        );
    }
    let (status, _) = post(addr, "/predict", common::SAMPLE.as_bytes());
    assert_eq!(status, 200, "the server still serves after the run");
}
