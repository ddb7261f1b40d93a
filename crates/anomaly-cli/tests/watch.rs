//! `anomaly watch --capture` and `anomaly score <capture>` on the labelled attack capture
//! (`tests/fixtures/attack/`, made by `scripts/make-attack-capture.sh`): incidents as ECS
//! alerts naming the attacker and the target, the per-phase table, and the scored rows with
//! their identities matching `anomaly extract`'s records.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/attack")
        .join(name)
}

fn anomaly(args: &[&std::ffi::OsStr]) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_anomaly"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    (String::from_utf8_lossy(&output.stdout).into_owned(), stderr)
}

#[test]
fn replaying_the_attack_capture_raises_the_scan_incident_and_measures_each_phase() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("phases.json");
    let capture = fixture("attack.pcap");
    let phases = fixture("attack.phases.json");
    let (stdout, stderr) = anomaly(&[
        "watch".as_ref(),
        "--capture".as_ref(),
        capture.as_os_str(),
        "--phases".as_ref(),
        phases.as_os_str(),
        "--phases-report".as_ref(),
        report.as_os_str(),
    ]);
    let documents: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(documents.iter().all(|d| d["event"]["kind"] == "alert"));
    assert!(documents.iter().all(|d| d["ecs"]["version"] == "8.11.0"));
    let raised: Vec<&Value> = documents
        .iter()
        .filter(|d| d["event"]["action"] == "incident-raised")
        .collect();
    let closed = documents
        .iter()
        .filter(|d| d["event"]["action"] == "incident-closed")
        .count();
    assert_eq!(raised.len(), closed, "each incident raised is closed");
    let scan = raised
        .iter()
        .find(|d| d["source"]["ip"] == "10.79.0.66")
        .expect("an incident from the attacker");
    assert_eq!(scan["destination"]["ip"], "10.79.0.2");
    assert_eq!(scan["event"]["type"][0], "start");
    assert!(
        scan["rule"]["name"]
            .as_str()
            .unwrap()
            .starts_with("flowguard ")
    );
    assert!(
        scan["message"]
            .as_str()
            .unwrap()
            .starts_with("10.79.0.66 -> 10.79.0.2: ")
    );
    assert!(stderr.contains("incidents raised"), "{stderr}");
    assert!(stderr.contains("syn-scan"), "{stderr}");

    let results: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(results.len(), 10);
    let phase = |name: &str| results.iter().find(|r| r["name"] == name).unwrap();
    // The SYN scan begins the attacker's incident; the sensor's 5 s records alert within
    // 5 s of the interval plus the ordering lag.
    let alerted = phase("syn-scan")["alerted_after"]
        .as_f64()
        .expect("the scan is alerted");
    assert!(alerted < 12.0, "{alerted}");
    assert!(phase("udp-scan")["alerted_after"].as_f64().unwrap() < 12.0);
    // No more than one incident during the normal phases.
    let normal: u64 = results
        .iter()
        .filter(|r| r["kind"] == "normal")
        .map(|r| r["incidents"].as_u64().unwrap())
        .sum();
    assert!(normal <= 1, "{normal} incidents in normal phases");
    let flows: u64 = results.iter().map(|r| r["flows"].as_u64().unwrap()).sum();
    assert!(flows > 4000);
}

#[test]
fn scoring_a_capture_writes_each_flow_with_its_identity_in_end_order() {
    let dir = tempfile::tempdir().unwrap();
    let capture = fixture("attack.pcap");
    let scored = dir.path().join("scored.csv");
    let extracted = dir.path().join("flows.csv");
    let (_, stderr) = anomaly(&[
        "score".as_ref(),
        capture.as_os_str(),
        "--out".as_ref(),
        scored.as_os_str(),
    ]);
    assert!(stderr.contains("packets/s"), "{stderr}");
    anomaly(&[
        "extract".as_ref(),
        capture.as_os_str(),
        "--out".as_ref(),
        extracted.as_os_str(),
    ]);
    let read = |path: &Path| -> Vec<csv::StringRecord> {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let header = reader.headers().unwrap().clone();
        let mut rows: Vec<csv::StringRecord> = vec![header];
        rows.extend(reader.records().map(Result::unwrap));
        rows
    };
    let scored = read(&scored);
    let extracted = read(&extracted);
    let column =
        |rows: &[csv::StringRecord], name: &str| rows[0].iter().position(|c| c == name).unwrap();
    assert_eq!(
        scored.len(),
        extracted.len() - 9,
        "every record from the 10th"
    );
    for name in [
        "srcip", "sport", "dstip", "dsport", "proto", "stime", "ltime",
    ] {
        let (s, e) = (column(&scored, name), column(&extracted, name));
        for (i, row) in scored.iter().enumerate().skip(1) {
            let record: usize = row[0].parse().unwrap();
            // `row` counts records from 0; `anomaly extract` numbers them from 1 (row + 1).
            assert_eq!(
                &row[s],
                &extracted[record + 1][e],
                "{name} of scored row {i}"
            );
        }
    }
    let probability = column(&scored, "probability");
    let class = column(&scored, "class");
    for row in scored.iter().skip(1) {
        let p: f32 = row[probability].parse().unwrap();
        assert_eq!(&row[class], if p > 0.5 { "1" } else { "0" });
    }
}

#[test]
fn bad_watch_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("flows.csv");
    std::fs::write(&text, "id,dur\n1,0.5\n").unwrap();
    let run = |args: &[&std::ffi::OsStr]| {
        let output = Command::new(env!("CARGO_BIN_EXE_anomaly"))
            .args(args)
            .output()
            .unwrap();
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let stderr = run(&["watch".as_ref(), "--capture".as_ref(), text.as_os_str()]);
    assert!(stderr.contains("not a pcap or pcapng capture"), "{stderr}");
    let capture = fixture("attack.pcap");
    let stderr = run(&[
        "watch".as_ref(),
        "--capture".as_ref(),
        capture.as_os_str(),
        "--post".as_ref(),
        "ftp://collector".as_ref(),
    ]);
    assert!(
        stderr.contains("expected an http:// or https:// URL"),
        "{stderr}"
    );
    let stderr = run(&[
        "watch".as_ref(),
        "--interface".as_ref(),
        "lo".as_ref(),
        "--duration=inf".as_ref(),
    ]);
    assert!(
        stderr.contains("--duration inf: expected a finite"),
        "{stderr}"
    );
}
