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
    // Milliseconds: gaps of 75, 420, 5820, 89 and 137 µs.
    assert!((r.sinpkt - 1.3082).abs() < 1e-9, "{}", r.sinpkt);
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
