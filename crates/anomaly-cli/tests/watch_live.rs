//! `anomaly watch --interface` live on a namespace's veth while nmap scans it from the other
//! namespace (UDP scan of 100 ports, bounded by nmap's own limits and `timeout`): the incident
//! naming the scanner and the target is written while the capture still runs. Needs root,
//! iproute2 and nmap; `REQUIRE_NETNS=1` (CI) makes them a requirement instead of a reason to
//! skip.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::Namespaces;

fn documents(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_live_udp_scan_raises_an_incident_while_the_capture_runs() {
    let Some(ns) = Namespaces::create('w') else {
        return;
    };
    if Command::new("nmap").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("REQUIRE_NETNS").is_none(),
            "REQUIRE_NETNS is set but nmap is missing"
        );
        eprintln!("skipped: nmap is missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("alerts.jsonl");
    let mut watch = ns
        .exec(&ns.b)
        .arg(env!("CARGO_BIN_EXE_anomaly"))
        .args(["watch", "--interface", "fgxwb0", "--bpf", "not ip6"])
        .args(["--duration", "40", "--status-interval", "2", "--gap", "10"])
        .args(["--stats-interval", "2", "--out"])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let scan = ns
        .exec(&ns.a)
        .args([
            "timeout",
            "30",
            "nmap",
            "-sU",
            "--top-ports",
            "100",
            "-T4",
            "-Pn",
            "-n",
        ])
        .args(["--max-retries", "1", "10.81.0.2"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(scan.success(), "nmap: {scan}");

    // The alert must come while the capture runs, not at its end.
    let deadline = Instant::now() + Duration::from_secs(15);
    let raised = loop {
        let raised = documents(&out)
            .into_iter()
            .find(|d| d["event"]["action"] == "incident-raised");
        if raised.is_some() || Instant::now() > deadline {
            break raised;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(
        watch.try_wait().unwrap().is_none(),
        "the watch ended before the check"
    );
    let raised = raised.expect("an incident raised within 15 s of the scan");
    assert_eq!(raised["source"]["ip"], "10.81.0.1");
    assert_eq!(raised["destination"]["ip"], "10.81.0.2");
    assert_eq!(raised["network"]["transport"], "udp");
    assert_eq!(raised["event"]["kind"], "alert");

    let _ = Command::new("kill")
        .args(["-INT", &watch.id().to_string()])
        .status();
    let output = watch.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("capturing on fgxwb0"), "{stderr}");
    assert!(stderr.contains("incidents raised"), "{stderr}");
    assert!(stderr.contains("libpcap:"), "{stderr}");
    // Ctrl-C closes what is open: the incident ends in the output too.
    let closed = documents(&out).into_iter().find(|d| {
        d["event"]["action"] == "incident-closed" && d["event"]["id"] == raised["event"]["id"]
    });
    let closed = closed.expect("the incident closed at the end");
    assert!(closed["flowguard"]["incident"]["flows"].as_u64().unwrap() >= 5);
}
