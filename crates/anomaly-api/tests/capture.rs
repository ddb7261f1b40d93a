//! `POST /score/capture` on real captures: the labelled attack capture (nmap, hydra, dirb,
//! hping3 between network namespaces) and packet-flows' nmap scan; and on what an attacker
//! sends instead: text, cut and mutated captures, wrong types, oversized bodies.

mod common;

use anomaly_api::Config;
use common::TestServer;
use serde_json::Value;

const ATTACK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../anomaly-cli/tests/fixtures/attack/attack.pcap"
);
const SCAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../packet-flows/tests/fixtures/flows/scan.pcap"
);
const PCAP: &str = "application/vnd.tcpdump.pcap";

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[actix_rt::test]
async fn the_attack_capture_answers_its_incidents_and_counts_them() {
    let server = TestServer::start(Config::default());
    let body = std::fs::read(ATTACK).unwrap();
    let (status, answer) = server
        .post("/score/capture?flows=attacks", PCAP, body)
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["model"], "unsw-nb15-lstm");
    let records = answer["records"].as_u64().unwrap();
    assert!(records > 4000, "{records}");
    assert_eq!(answer["scored"].as_u64().unwrap(), records - 9);
    let flows = answer["flows"].as_array().unwrap();
    assert_eq!(flows.len() as u64, answer["flagged"].as_u64().unwrap());
    assert!(flows.iter().all(|f| f["class"] == 1));
    assert_eq!(answer["flows_truncated"], false);
    assert_eq!(answer["skipped"], serde_json::json!({}));

    let incidents = answer["incidents"].as_array().unwrap();
    assert_eq!(
        answer["incident_count"].as_u64().unwrap(),
        incidents.len() as u64
    );
    let scan = incidents
        .iter()
        .find(|i| i["source"] == "10.79.0.66")
        .expect("an incident from the attacker");
    assert_eq!(scan["targets"][0]["value"], "10.79.0.2");
    assert_eq!(scan["status"], "closed");
    assert!(scan["port_count"].as_u64().unwrap() >= 50, "{scan}");
    assert!(
        scan["summary"]
            .as_str()
            .unwrap()
            .starts_with("10.79.0.66 -> 10.79.0.2: ")
    );
    assert!(
        !scan["explanation"]["top_features"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The incident's flows are the attacker's listed attack flows in its span.
    let from_attacker = flows
        .iter()
        .filter(|f| {
            f["srcip"] == "10.79.0.66" || (f["proto"] == "icmp" && f["dstip"] == "10.79.0.66")
        })
        .count() as u64;
    assert!(scan["flows"].as_u64().unwrap() <= from_attacker);

    let metrics = server.get_text("/metrics").await;
    assert_eq!(
        metric(&metrics, "capture_packets_total"),
        answer["packets"].as_f64().unwrap()
    );
    assert_eq!(
        metric(&metrics, "capture_incidents_total"),
        incidents.len() as f64
    );
    assert_eq!(
        metric(&metrics, "capture_flows_scored_total{verdict=\"attack\"}"),
        answer["flagged"].as_f64().unwrap()
    );
}

#[actix_rt::test]
async fn every_flow_is_listed_with_its_identity_up_to_the_limit() {
    let server = TestServer::start(Config::default());
    let body = std::fs::read(SCAN).unwrap();
    let (status, answer) = server.post("/score/capture", PCAP, body.clone()).await;
    assert_eq!(status, 200, "{answer}");
    let flows = answer["flows"].as_array().unwrap();
    assert_eq!(flows.len() as u64, answer["scored"].as_u64().unwrap());
    for (i, flow) in flows.iter().enumerate() {
        assert_eq!(flow["record"].as_u64().unwrap(), i as u64 + 9);
        let p = flow["probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert_eq!(flow["class"].as_u64().unwrap(), u64::from(p > 0.5));
        assert!(
            flow["srcip"]
                .as_str()
                .unwrap()
                .parse::<std::net::IpAddr>()
                .is_ok()
        );
        assert!(flow["stime"].as_f64().unwrap() <= flow["ltime"].as_f64().unwrap());
    }
    let ltimes: Vec<f64> = flows.iter().map(|f| f["ltime"].as_f64().unwrap()).collect();
    assert!(
        ltimes.windows(2).all(|w| w[0] <= w[1]),
        "in the order flows end"
    );

    let (status, limited) = server
        .post(
            "/score/capture?flow_limit=5",
            "application/octet-stream",
            body,
        )
        .await;
    assert_eq!(status, 200, "{limited}");
    assert_eq!(limited["flows"].as_array().unwrap().len(), 5);
    assert_eq!(limited["flows_truncated"], true);
    assert_eq!(limited["scored"], answer["scored"]);
}

#[actix_rt::test]
async fn what_is_not_a_capture_is_refused_with_its_reason() {
    let server = TestServer::start(Config {
        capture_body_limit: 64 * 1024,
        ..Config::default()
    });
    let expect = |(status, body): (u16, Value), want: u16, code: &str| {
        assert_eq!(
            (status, body["code"].as_str()),
            (want, Some(code)),
            "{body}"
        );
        body
    };
    let text = "id,dur,proto\n1,0.1,tcp\n";
    let body = expect(
        server.post("/score/capture", PCAP, text).await,
        422,
        "invalid_capture",
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("not a pcap or pcapng"),
        "{body}"
    );
    expect(
        server
            .post("/score/capture", "application/json", "{}")
            .await,
        415,
        "unsupported_media_type",
    );
    let scan = std::fs::read(SCAN).unwrap();
    expect(
        server
            .post("/score/capture", PCAP, scan[..20].to_vec())
            .await,
        422,
        "invalid_capture",
    );
    let attack = std::fs::read(ATTACK).unwrap();
    expect(
        server.post("/score/capture", PCAP, attack).await,
        413,
        "payload_too_large",
    );
    let body = expect(
        server
            .post("/score/capture?speed=fast", PCAP, scan.clone())
            .await,
        422,
        "validation_failed",
    );
    assert!(
        body["message"].as_str().unwrap().contains("`speed`"),
        "{body}"
    );

    // A capture cut mid-packet: what was whole is scored, the cut record counted.
    let (status, cut) = server
        .post("/score/capture", PCAP, scan[..scan.len() - 7].to_vec())
        .await;
    assert_eq!(status, 200, "{cut}");
    assert_eq!(
        cut["skipped"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>(),
        1,
        "{cut}"
    );

    // Mutated captures: an answer for each, never a 500.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for round in 0..40 {
        let mut bytes = scan.clone();
        for _ in 0..1 + round % 8 {
            // xorshift: a fixed, reproducible sequence of positions and values.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % bytes.len() as u64) as usize;
            bytes[at] = (state >> 32) as u8;
        }
        let (status, body) = server.post("/score/capture", PCAP, bytes).await;
        assert!(
            status == 200 || (status == 422 && body["code"] == "invalid_capture"),
            "round {round}: {status} {body}"
        );
    }
}
