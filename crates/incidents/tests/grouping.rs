//! The incident tracker on real extracted rows (nmap's SYN scan in packet-flows' scan.pcap)
//! with verdicts the test chooses, so each grouping rule is checked on its own.

use std::net::IpAddr;
use std::time::Duration;

use flow_features::Verdict;
use incidents::{GroupingConfig, IncidentEvent, IncidentStatus, IncidentTracker, ScoredFlow};
use packet_flows::unsw::{Extractor, UnswRow};
use packet_flows::{CaptureReader, FlowTableConfig, Timestamp};

const SCAN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../packet-flows/tests/fixtures/flows/scan.pcap"
);

fn rows() -> Vec<UnswRow> {
    let mut reader = CaptureReader::open(SCAN).unwrap();
    let mut extractor = Extractor::new(FlowTableConfig::default());
    let mut rows = Vec::new();
    while let Some(packet) = reader.next_packet() {
        extractor.packet(&packet.unwrap());
        rows.extend(extractor.ready().into_iter().map(|f| f.row));
    }
    rows.extend(extractor.finish().into_iter().map(|f| f.row));
    rows
}

/// The scan's TCP rows from the scanning client, in `ltime` order.
fn scan_rows() -> Vec<UnswRow> {
    let scanner: IpAddr = "10.78.0.1".parse().unwrap();
    let rows: Vec<UnswRow> = rows()
        .into_iter()
        .filter(|r| r.srcip == scanner && r.proto == "tcp")
        .collect();
    assert!(rows.len() > 150, "{} scan rows", rows.len());
    rows
}

fn scored(seq: usize, row: &UnswRow, probability: f32) -> ScoredFlow {
    ScoredFlow {
        seq: seq as u64,
        row: row.clone(),
        verdict: Verdict::from_probability(probability, 0.5),
    }
}

fn feed(tracker: &mut IncidentTracker, flows: &[ScoredFlow]) -> Vec<IncidentEvent> {
    flows
        .iter()
        .flat_map(|f| tracker.observe(f, f.row.ltime, || None))
        .collect()
}

#[test]
fn attack_flows_from_one_source_are_one_incident_with_their_counts() {
    let rows = scan_rows();
    let flows: Vec<ScoredFlow> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| scored(i, r, if i % 2 == 0 { 0.9 } else { 0.7 }))
        .collect();
    let mut tracker = IncidentTracker::new(GroupingConfig::default());
    let raised = feed(&mut tracker, &flows);
    assert_eq!(raised.len(), 1, "{raised:?}");
    let IncidentEvent::Raised(first) = &raised[0] else {
        panic!("{raised:?}")
    };
    assert_eq!(first.flows, 5);
    assert_eq!(first.raised_at, rows[4].ltime);
    assert_eq!(first.status, IncidentStatus::Open);

    let end = rows.last().unwrap().ltime;
    let closed = tracker.finish(end);
    let [IncidentEvent::Closed(incident)] = closed.as_slice() else {
        panic!("{closed:?}")
    };
    assert_eq!(incident.id, first.id);
    assert_eq!(incident.closed_at, Some(end));
    assert_eq!(incident.source.to_string(), "10.78.0.1");
    assert_eq!(incident.target().unwrap().to_string(), "10.78.0.2");
    assert_eq!(incident.target_count, 1);
    assert_eq!(incident.flows, rows.len() as u64);
    let packets: u64 = rows.iter().map(|r| r.spkts + r.dpkts).sum();
    assert_eq!(incident.packets, packets);
    let mut ports: Vec<u16> = rows.iter().map(|r| r.dsport).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(incident.port_count, ports.len() as u64);
    assert_eq!(incident.ports.len(), 16, "listed ports are bounded");
    assert_eq!(
        incident.first_seen,
        rows.iter().map(|r| r.stime).min().unwrap()
    );
    assert_eq!(
        incident.last_seen,
        rows.iter().map(|r| r.ltime).max().unwrap()
    );
    assert_eq!(incident.probability.peak, 0.9);
    let mean =
        (0.9 * rows.len().div_ceil(2) as f64 + 0.7 * (rows.len() / 2) as f64) / rows.len() as f64;
    assert!((f64::from(incident.probability.mean) - mean).abs() < 1e-5);
    assert!(
        incident.summary.starts_with("10.78.0.1 -> 10.78.0.2: "),
        "{}",
        incident.summary
    );
    assert!(
        incident
            .summary
            .contains(&format!("{} attack flows", rows.len()))
    );
    assert_eq!(tracker.raised(), 1);
    assert_eq!(tracker.open(), 0);
}

#[test]
fn normal_verdicts_and_too_few_attacks_raise_nothing() {
    let rows = scan_rows();
    let mut tracker = IncidentTracker::new(GroupingConfig::default());
    let normal: Vec<ScoredFlow> = rows.iter().map(|r| scored(0, r, 0.2)).collect();
    assert!(feed(&mut tracker, &normal).is_empty());
    assert_eq!(tracker.open(), 0);

    let four: Vec<ScoredFlow> = rows[..4].iter().map(|r| scored(0, r, 0.99)).collect();
    assert!(feed(&mut tracker, &four).is_empty());
    assert!(
        tracker.finish(rows[3].ltime).is_empty(),
        "an unraised group closes silently"
    );
    assert_eq!(tracker.unraised_flows(), 4);
    assert_eq!(tracker.raised(), 0);
}

#[test]
fn a_quiet_gap_closes_the_incident_and_later_attacks_open_another() {
    let rows = scan_rows();
    let gap = Duration::from_secs(60);
    let mut tracker = IncidentTracker::new(GroupingConfig {
        gap,
        ..GroupingConfig::default()
    });
    let first: Vec<ScoredFlow> = rows[..10].iter().map(|r| scored(0, r, 0.9)).collect();
    assert_eq!(feed(&mut tracker, &first).len(), 1);
    let last = rows[..10].iter().map(|r| r.ltime).max().unwrap();
    let just_before = Timestamp::from_nanos(last.as_nanos() + 59_999_999_999);
    assert!(tracker.expire(just_before, just_before).is_empty());
    let at_gap = Timestamp::from_nanos(last.as_nanos() + 60_000_000_000);
    let closed = tracker.expire(at_gap, at_gap);
    let [IncidentEvent::Closed(old)] = closed.as_slice() else {
        panic!("{closed:?}")
    };
    assert_eq!(old.flows, 10);

    // The same rows two minutes later: a new incident, its own id.
    let later: Vec<ScoredFlow> = rows[10..20]
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.stime = Timestamp::from_nanos(r.stime.as_nanos() + 120_000_000_000);
            r.ltime = Timestamp::from_nanos(r.ltime.as_nanos() + 120_000_000_000);
            scored(0, &r, 0.9)
        })
        .collect();
    let raised = feed(&mut tracker, &later);
    assert_eq!(raised.len(), 1);
    assert_ne!(raised[0].incident().id, old.id);
}

#[test]
fn sources_are_grouped_apart_and_open_groups_are_bounded() {
    let rows = scan_rows();
    let mut tracker = IncidentTracker::new(GroupingConfig {
        max_open: 3,
        min_flows: 2,
        ..GroupingConfig::default()
    });
    // Four sources, two flows each: the fourth closes the quietest (the first).
    let mut events = Vec::new();
    for (s, pair) in rows.chunks(2).take(4).enumerate() {
        for row in pair {
            let mut row = row.clone();
            row.srcip = format!("10.99.0.{}", s + 1).parse().unwrap();
            events.extend(tracker.observe(&scored(0, &row, 0.8), row.ltime, || None));
        }
    }
    let raised: Vec<String> = events
        .iter()
        .filter(|e| matches!(e, IncidentEvent::Raised(_)))
        .map(|e| e.incident().source.to_string())
        .collect();
    assert_eq!(raised, ["10.99.0.1", "10.99.0.2", "10.99.0.3", "10.99.0.4"]);
    let closed: Vec<String> = events
        .iter()
        .filter(|e| matches!(e, IncidentEvent::Closed(_)))
        .map(|e| e.incident().source.to_string())
        .collect();
    assert_eq!(closed, ["10.99.0.1"]);
    assert_eq!(tracker.open(), 3);
}
