//! `anomaly extract` on a real capture: the columns it writes in each format, and that the
//! dataset readers, `anomaly score` and the detector take them as they are.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flow_features::read_flows;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn capture() -> PathBuf {
    repo("crates/packet-flows/tests/fixtures/ethernet.pcap")
}

fn anomaly(args: &[&OsStr]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_anomaly"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "anomaly {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn extract(out: &Path, extra: &[&str]) -> String {
    let capture = capture();
    let mut args: Vec<&OsStr> = vec!["extract".as_ref(), capture.as_os_str(), "--out".as_ref()];
    args.push(out.as_os_str());
    args.extend(extra.iter().map(OsStr::new));
    String::from_utf8(anomaly(&args).stderr).unwrap()
}

#[test]
fn writes_the_release_layout_that_score_and_the_readers_take() {
    let dir = tempfile::tempdir().unwrap();
    let csv_out = dir.path().join("flows.csv");
    let summary = extract(&csv_out, &[]);
    // 43 packets in the fixture (`tcpdump -r` lists 43), 19 records: 18 IP flows and one
    // ARP exchange.
    assert!(
        summary.contains("43 packets (0 skipped), 19 flows, 19 records"),
        "{summary}"
    );
    assert!(
        summary.contains("packets/s") && summary.contains("flows/s"),
        "{summary}"
    );

    let mut reader = csv::Reader::from_path(&csv_out).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let release = "id,dur,proto,service,state,spkts,dpkts,sbytes,dbytes,rate,sttl,dttl,sload,dload,\
        sloss,dloss,sinpkt,dinpkt,sjit,djit,swin,stcpb,dtcpb,dwin,tcprtt,synack,ackdat,smean,dmean,\
        trans_depth,response_body_len,ct_srv_src,ct_state_ttl,ct_dst_ltm,ct_src_dport_ltm,\
        ct_dst_sport_ltm,ct_dst_src_ltm,is_ftp_login,ct_ftp_cmd,ct_flw_http_mthd,ct_src_ltm,\
        ct_srv_dst,is_sm_ips_ports";
    let expected: Vec<&str> = release
        .split(',')
        .chain(["srcip", "sport", "dstip", "dsport", "stime", "ltime"])
        .collect();
    assert_eq!(header, expected);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 19);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let http = rows
        .iter()
        .find(|r| &r[column("proto")] == "tcp")
        .expect("the HTTP connection");
    assert_eq!(&http[column("state")], "FIN");
    assert_eq!(&http[column("sbytes")], "491");
    assert_eq!(&http[column("srcip")], "10.77.0.1");
    assert_eq!(&http[column("dsport")], "8000");
    assert_eq!(&http[column("stime")], "1796304043.147243");

    // The dataset reader takes the file as it is, and so does `anomaly score`.
    let flows = read_flows(&csv_out).unwrap();
    assert_eq!(flows.len(), 19);
    assert_eq!(flows.iter().filter(|f| f.flow.proto == "tcp").count(), 1);
    let scores = dir.path().join("scores.csv");
    anomaly(&[
        "score".as_ref(),
        csv_out.as_os_str(),
        "--out".as_ref(),
        scores.as_os_str(),
    ]);
    let scored = csv::Reader::from_path(&scores).unwrap().records().count();
    assert_eq!(scored, 19 - 9, "one score per window of 10");
}

#[test]
fn parquet_and_json_lines_hold_the_same_rows_and_labels_are_added() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("flows.parquet");
    extract(
        &parquet,
        &["--label", "1", "--attack-cat", "Reconnaissance"],
    );
    let rows = read_flows(&parquet).unwrap();
    assert_eq!(rows.len(), 19);
    assert!(rows.iter().all(|r| r.label == Some(1)));
    assert!(
        rows.iter()
            .all(|r| r.attack_cat.as_deref() == Some("Reconnaissance"))
    );

    let jsonl = dir.path().join("flows.jsonl");
    extract(&jsonl, &[]);
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 19);
    for (json, row) in lines.iter().zip(&rows) {
        assert_eq!(json["proto"], row.flow.proto.as_str());
        assert_eq!(json["sbytes"].as_f64().unwrap(), row.flow.sbytes);
        assert_eq!(json["sinpkt"].as_f64().unwrap(), row.flow.sinpkt);
    }
    assert_eq!(lines[0]["id"], 1);
    // The columns keep the release's order.
    let first = text.lines().next().unwrap();
    assert!(first.starts_with(r#"{"id":1,"dur":"#), "{first}");
    assert!(
        first.ends_with(r#""stime":1796304042.904163,"ltime":1796304042.904163}"#),
        "{first}"
    );
}

#[test]
fn counting_from_the_ip_header_leaves_the_link_layer_out() {
    let dir = tempfile::tempdir().unwrap();
    let (wire, ip) = (dir.path().join("wire.csv"), dir.path().join("ip.csv"));
    extract(&wire, &[]);
    extract(&ip, &["--bytes", "ip"]);
    let (wire, ip) = (read_flows(&wire).unwrap(), read_flows(&ip).unwrap());
    let tcp = |rows: &[flow_features::LabeledFlow]| {
        rows.iter()
            .find(|r| r.flow.proto == "tcp")
            .unwrap()
            .flow
            .clone()
    };
    // Six frames each way, 14 bytes of Ethernet header each.
    assert_eq!(tcp(&wire).sbytes - tcp(&ip).sbytes, 6.0 * 14.0);
    assert_eq!(tcp(&wire).dbytes - tcp(&ip).dbytes, 6.0 * 14.0);
}

#[test]
fn bad_captures_and_interfaces_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("flows.csv");
    std::fs::write(&text, "id,dur\n1,0\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_anomaly"))
        .args(["extract".as_ref(), text.as_os_str()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a pcap or pcapng capture"), "{stderr}");
    assert!(stderr.contains("(text)"), "{stderr}");

    let output = Command::new(env!("CARGO_BIN_EXE_anomaly"))
        .args([
            "extract",
            "--interface",
            "flowguard-no-such-if0",
            "--duration",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("live capture on flowguard-no-such-if0"),
        "{stderr}"
    );
}
