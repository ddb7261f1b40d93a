//! `anomaly extract --interface` live on a veth pair between two network namespaces this test
//! makes (10.81.0.1 and 10.81.0.2, addresses nowhere else), with pings and UDP datagrams sent
//! while it captures. Needs root and iproute2; `REQUIRE_NETNS=1` (CI) makes them a
//! requirement instead of a reason to skip.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;

use common::Namespaces;

#[test]
fn captures_a_namespace_interface_and_writes_its_flows() {
    let Some(ns) = Namespaces::create('l') else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("live.csv");
    let extract = ns
        .exec(&ns.a)
        .arg(env!("CARGO_BIN_EXE_anomaly"))
        .args([
            "extract",
            "--interface",
            "fgxla0",
            "--bpf",
            "not ip6",
            "--duration",
            "5",
        ])
        .args(["--status-interval", "2", "--out"])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    // Three pings (bounded by count and deadline) and two datagrams to a closed port.
    let ping = ns
        .exec(&ns.a)
        .args(["ping", "-c", "3", "-i", "0.2", "-w", "3", "10.81.0.2"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(ping.success());
    for _ in 0..2 {
        let udp = ns
            .exec(&ns.a)
            .args(["bash", "-c", "echo flowguard > /dev/udp/10.81.0.2/9999"])
            .status()
            .unwrap();
        assert!(udp.success());
    }
    let output = extract.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("capturing on fgxla0"), "{stderr}");
    assert!(stderr.contains("libpcap:"), "{stderr}");

    let rows = read(&out);
    let pings: Vec<_> = rows
        .iter()
        .filter(|r| r["proto"] == "icmp" && r["state"] == "ECO")
        .collect();
    assert_eq!(pings.len(), 3, "{rows:#?}");
    for ping in &pings {
        assert_eq!(
            (ping["srcip"].as_str(), ping["dstip"].as_str()),
            ("10.81.0.1", "10.81.0.2")
        );
        assert_eq!((ping["spkts"].as_str(), ping["dpkts"].as_str()), ("1", "1"));
    }
    // Each `/dev/udp` write comes from a port of its own: two flows.
    let udp: Vec<_> = rows
        .iter()
        .filter(|r| r["proto"] == "udp" && r["dsport"] == "9999")
        .collect();
    assert_eq!(udp.len(), 2, "{rows:#?}");
    assert!(
        rows.iter().all(|r| r["proto"] != "ipv6-icmp"),
        "the BPF filter applies"
    );
}

#[test]
fn capturing_without_privileges_says_what_is_needed() {
    // Namespaces are made only to learn that this runs as root, which setpriv needs.
    let Some(_ns) = Namespaces::create('p') else {
        return;
    };
    // The same binary as the unprivileged user `nobody`.
    let output = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(env!("CARGO_BIN_EXE_anomaly"))
        .args(["extract", "--interface", "lo", "--duration", "1"])
        .output()
        .expect("setpriv (util-linux) runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("needs root or CAP_NET_RAW"), "{stderr}");
}

fn read(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}
