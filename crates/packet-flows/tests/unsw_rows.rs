//! UNSW-NB15 rows from a real capture: `ltime` order, the connection counts, the columns, and
//! the `ct_state_ttl` table against the dataset's own rows.

mod common;

use std::path::Path;

use packet_flows::unsw::{COLUMNS, ExtractedFlow, Extractor, IDENTITY_COLUMNS, ct_state_ttl};
use packet_flows::{CaptureReader, FlowTableConfig};

fn extract(name: &str) -> Vec<ExtractedFlow> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = CaptureReader::open(path).unwrap();
    let mut extractor = Extractor::new(FlowTableConfig::default());
    let mut flows = Vec::new();
    while let Some(packet) = reader.next_packet() {
        extractor.packet(&packet.unwrap());
        flows.extend(extractor.ready());
    }
    flows.extend(extractor.finish());
    assert_eq!(extractor.skips().total(), 0);
    flows
}

#[test]
fn rows_come_in_ltime_order_with_counts_over_the_last_100() {
    let flows = extract("ethernet.pcap");
    assert_eq!(flows.len(), 19, "18 IP records and the ARP one");
    assert!(flows.windows(2).all(|w| w[0].row.ltime <= w[1].row.ltime));
    for (i, flow) in flows.iter().enumerate() {
        let window = &flows[i.saturating_sub(99)..=i];
        let count = |same: &dyn Fn(&ExtractedFlow) -> bool| {
            window.iter().filter(|other| same(other)).count() as u32
        };
        let r = &flow.row;
        assert_eq!(r.ct_src_ltm, count(&|o| o.row.srcip == r.srcip));
        assert_eq!(r.ct_dst_ltm, count(&|o| o.row.dstip == r.dstip));
        assert_eq!(
            r.ct_dst_src_ltm,
            count(&|o| o.row.srcip == r.srcip && o.row.dstip == r.dstip)
        );
        assert_eq!(
            r.ct_src_dport_ltm,
            count(&|o| o.row.srcip == r.srcip && o.row.dsport == r.dsport)
        );
        assert_eq!(
            r.ct_dst_sport_ltm,
            count(&|o| o.row.dstip == r.dstip && o.row.sport == r.sport)
        );
        assert_eq!(
            r.ct_srv_src,
            count(&|o| o.row.srcip == r.srcip && o.row.service == r.service)
        );
        assert!(r.ct_src_ltm >= 1, "a record counts itself");
    }
}

#[test]
fn the_http_connection_row_has_the_dataset_units() {
    let flows = extract("ethernet.pcap");
    let http = flows.iter().find(|f| f.row.proto == "tcp").unwrap();
    let r = &http.row;
    assert_eq!(
        (r.state, r.spkts, r.dpkts, r.sbytes, r.dbytes),
        ("FIN", 6, 6, 491, 1832)
    );
    assert!((r.dur - 0.006554).abs() < 1e-9);
    // Milliseconds: gaps of 75, 420, 5820, 89 and 137 µs (in Argus's single precision).
    assert!((r.sinpkt - 1.3082).abs() < 1e-6, "{}", r.sinpkt);
    // Seconds.
    assert!((r.synack - 0.000054).abs() < 1e-9);
    assert!((r.tcprtt - 0.000075).abs() < 1e-9);
    // 491 / 6 = 81.8 rounds to 82; 8 · (491 − 81) / 0.006554 bits per second.
    assert_eq!(r.smean, 82);
    assert!((r.sload - 8.0 * 410.0 / 0.006554).abs() < 1e-3);
    assert_eq!(
        (r.sttl, r.dttl, r.ct_state_ttl, r.is_sm_ips_ports),
        (64, 64, 0, 0)
    );
    let cells = r.cells();
    assert_eq!(cells.len(), COLUMNS.len());
    assert_eq!(
        COLUMNS.len() - IDENTITY_COLUMNS,
        42,
        "the release's 45 minus id, attack_cat, label"
    );
    assert_eq!(&COLUMNS[..4], &["dur", "proto", "service", "state"]);
    assert_eq!(
        &COLUMNS[COLUMNS.len() - IDENTITY_COLUMNS..],
        &["srcip", "sport", "dstip", "dsport", "stime", "ltime"]
    );
}

#[test]
fn services_and_payload_counts_on_the_generated_captures() {
    let http = extract("flows/http.pcap");
    let web: Vec<_> = http.iter().filter(|f| f.row.dsport == 8000).collect();
    assert!(web.len() >= 8, "{}", web.len());
    assert!(web.iter().all(|f| f.row.service == "http"));
    // Every connection asked at least once and was answered.
    assert!(
        web.iter()
            .all(|f| f.row.trans_depth >= 1 && f.row.ct_flw_http_mthd >= 1)
    );
    // The keep-alive connection with four requests: 4 requests x 4 responses.
    assert!(
        web.iter().any(|f| f.row.ct_flw_http_mthd == 16),
        "{:?}",
        web.iter()
            .map(|f| f.row.ct_flw_http_mthd)
            .collect::<Vec<_>>()
    );
    assert!(web.iter().any(|f| f.row.response_body_len > 0));
    // The refused connection on 8080 carried no payload.
    assert!(
        http.iter()
            .filter(|f| f.row.dsport == 8080)
            .all(|f| f.row.service == "-")
    );

    let ftp = extract("flows/ftp.pcap");
    let control: Vec<_> = ftp.iter().filter(|f| f.row.dsport == 21).collect();
    assert_eq!(control.len(), 4, "ftplib's two sessions and curl's two");
    assert!(control.iter().all(|f| f.row.service == "ftp"));
    // alice logged in (230) in three sessions; the wrong password got 530.
    let logins: u32 = control.iter().map(|f| f.row.is_ftp_login).sum();
    assert_eq!(logins, 3);
    assert!(
        control
            .iter()
            .any(|f| f.row.is_ftp_login == 0 && f.row.ct_ftp_cmd >= 1)
    );
    let data = ftp.iter().filter(|f| f.row.service == "ftp-data").count();
    assert_eq!(data, 6, "LIST, RETR, STOR, LIST and curl's two RETRs");

    let dns = extract("flows/dns-udp.pcap");
    let answered: Vec<_> = dns.iter().filter(|f| f.row.dsport == 53).collect();
    assert!(answered.len() >= 8);
    assert!(
        answered.iter().all(|f| f.row.service == "dns"),
        "TCP and UDP"
    );
    assert!(
        dns.iter()
            .filter(|f| f.row.dsport == 9999)
            .all(|f| f.row.service == "-")
    );
}

#[test]
fn a_port_scan_shows_in_the_connection_counts() {
    let scan = extract("flows/scan.pcap");
    let probes: Vec<_> = scan
        .iter()
        .filter(|f| f.row.proto == "tcp" && f.row.dstip.to_string() == "10.78.0.2")
        .collect();
    assert!(probes.len() >= 200);
    // Among the last 100 records, nearly all are this scanner against this target.
    let busiest = probes.iter().map(|f| f.row.ct_dst_src_ltm).max().unwrap();
    assert!(busiest >= 95, "{busiest}");
    // A SYN scan probes each port once: no record shares its destination port with many.
    let repeats = probes.iter().map(|f| f.row.ct_src_dport_ltm).max().unwrap();
    assert!(repeats <= 3, "{repeats}");
}

/// The shared partition's CSV, when it is there (`REQUIRE_DATA=1` makes it a requirement).
fn dataset() -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/UNSW_NB15_testing-set.dev.csv");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) => {
            assert!(
                std::env::var_os("REQUIRE_DATA").is_none(),
                "REQUIRE_DATA is set but {} cannot be read: {e}",
                path.display()
            );
            eprintln!("skipped: {} not found", path.display());
            None
        }
    }
}

#[test]
fn ct_state_ttl_reproduces_the_dataset_rows() {
    let Some(text) = dataset() else { return };
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .trim_start_matches('\u{feff}')
        .split(',')
        .collect();
    let column = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let (state, sttl, dttl, class) = (
        column("state"),
        column("sttl"),
        column("dttl"),
        column("ct_state_ttl"),
    );
    let (mut rows, mut agree) = (0usize, 0usize);
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let ttl = |i: usize| cells[i].parse::<u8>().unwrap();
        rows += 1;
        let ours = ct_state_ttl(cells[state], ttl(sttl), ttl(dttl));
        agree += usize::from(ours.to_string() == cells[class]);
    }
    assert_eq!(rows, 65_865);
    // The rest are combinations the dataset itself labels both ways.
    let share = agree as f64 / rows as f64;
    assert!(share > 0.998, "{agree} of {rows}");
}
