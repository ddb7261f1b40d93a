//! The whole way on real attack traffic: anomaly-cli's labelled capture (nmap, hydra, dirb,
//! hping3 between network namespaces; `scripts/make-attack-capture.sh`) through the default
//! detector, into incidents and ECS alerts.

use std::net::IpAddr;
use std::time::Duration;

use incidents::{
    GroupingConfig, IncidentEvent, ScoredFlow, ScoringConfig, TrafficScorer, Watch, WatchEvent, ecs,
};
use lstm_detector::Detector;
use packet_flows::{CaptureReader, FlowTableConfig};

const ATTACK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../anomaly-cli/tests/fixtures/attack/attack.pcap"
);

fn detector() -> Detector {
    embedded_models::load(embedded_models::DEFAULT).unwrap()
}

/// A sensor's flow table: records cut every 5 s, so verdicts come within seconds.
fn sensor() -> FlowTableConfig {
    FlowTableConfig {
        status_interval: Duration::from_secs(5),
        ..FlowTableConfig::default()
    }
}

fn watch_all(watch: &mut Watch<'_>) -> Vec<WatchEvent> {
    let mut reader = CaptureReader::open(ATTACK).unwrap();
    let mut events = Vec::new();
    while let Some(packet) = reader.next_packet() {
        events.extend(watch.packet(&packet.unwrap()).unwrap());
    }
    events.extend(watch.finish().unwrap());
    events
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn the_scans_become_an_incident_naming_the_attacker_and_the_target() {
    let detector = detector();
    let mut watch = Watch::new(
        &detector,
        sensor(),
        ScoringConfig::default(),
        GroupingConfig::default(),
    );
    let events = watch_all(&mut watch);
    let incidents: Vec<&IncidentEvent> = events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::Incident(i) => Some(i),
            WatchEvent::Flow(_) => None,
        })
        .collect();
    let flows: Vec<&ScoredFlow> = events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::Flow(f) => Some(f),
            WatchEvent::Incident(_) => None,
        })
        .collect();
    assert_eq!(flows.len() as u64, watch.scorer().records() - 9);

    let raised: Vec<_> = incidents
        .iter()
        .filter(|e| matches!(e, IncidentEvent::Raised(_)))
        .map(|e| e.incident())
        .collect();
    let closed: Vec<_> = incidents
        .iter()
        .filter(|e| matches!(e, IncidentEvent::Closed(_)))
        .map(|e| e.incident())
        .collect();
    assert_eq!(
        raised.len(),
        closed.len(),
        "every incident raised is closed"
    );

    let attacker = ip("10.79.0.66");
    let scan = closed
        .iter()
        .find(|i| i.source == attacker)
        .expect("an incident from the attacker");
    assert_eq!(scan.target(), Some(ip("10.79.0.2")));
    assert!(scan.port_count >= 50, "{}", scan.summary);
    // Its flows are exactly the attacker's flagged flows between its first and last: those
    // it sent, and the ICMP errors its probes drew.
    let from_attacker = |f: &&&ScoredFlow| {
        let answer = f.row.proto == "icmp" && matches!(f.row.sport & 0xff, 3 | 4 | 5 | 11 | 12);
        f.verdict.is_attack()
            && if answer {
                f.row.dstip == attacker
            } else {
                f.row.srcip == attacker
            }
    };
    let flagged = flows
        .iter()
        .filter(from_attacker)
        .filter(|f| f.row.stime >= scan.first_seen && f.row.ltime <= scan.last_seen)
        .count() as u64;
    assert_eq!(scan.flows, flagged);
    let peak = flows
        .iter()
        .filter(from_attacker)
        .filter(|f| f.row.stime >= scan.first_seen && f.row.ltime <= scan.last_seen)
        .map(|f| f.verdict.probability)
        .fold(f32::MIN, f32::max);
    assert_eq!(scan.probability.peak, peak);
    // Raised when the verdicts were known: after the flows ended, within the ordering lag
    // (5 s) and one batch delay.
    let raised_scan = raised.iter().find(|i| i.id == scan.id).unwrap();
    assert!(raised_scan.raised_at > raised_scan.last_seen);
    let lag = raised_scan.raised_at.as_nanos() - raised_scan.last_seen.as_nanos();
    assert!(lag <= 7_000_000_000, "raised {lag} ns after its flows");

    // Explained by its peak window: attribution and a grounded report.
    let explanation = scan
        .explanation
        .as_ref()
        .expect("the default model has a baseline");
    assert!(!explanation.top_features.is_empty());
    assert!(explanation.top_features.len() <= incidents::TOP_FEATURES);
    assert!(!explanation.report.summary.is_empty());

    // The normal client raises at most one incident.
    let client = closed
        .iter()
        .filter(|i| i.source == ip("10.79.0.10"))
        .count();
    assert!(client <= 1, "{client} incidents from the normal client");

    // Its ECS alert.
    let alert = ecs::alert(
        incidents
            .iter()
            .find(|e| matches!(e, IncidentEvent::Closed(_)) && e.incident().id == scan.id)
            .unwrap(),
        "unsw-nb15-lstm",
    );
    assert_eq!(alert["event"]["kind"], "alert");
    assert_eq!(alert["event"]["type"][0], "end");
    assert_eq!(alert["source"]["ip"], "10.79.0.66");
    assert_eq!(alert["destination"]["ip"], "10.79.0.2");
    assert_eq!(alert["flowguard"]["incident"]["flows"], scan.flows);
    assert_eq!(
        alert["event"]["risk_score"].as_f64().unwrap(),
        f64::from(scan.probability.peak) * 100.0
    );
}

#[test]
fn each_verdict_is_the_detector_on_the_window_it_carries() {
    let detector = detector();
    let config = ScoringConfig {
        batch_size: 64,
        max_delay: Duration::from_secs(1),
    };
    let mut scorer = TrafficScorer::new(&detector, sensor(), config);
    let mut reader = CaptureReader::open(ATTACK).unwrap();
    let mut checked = 0;
    let mut check = |scorer: &TrafficScorer<'_>, scored: Vec<ScoredFlow>| {
        // Every 97th verdict against the detector on its window, rebuilt by `window`.
        for flow in scored.iter().filter(|f| f.seq % 97 == 0) {
            let window = scorer
                .window(flow.seq)
                .expect("the window of a verdict just returned");
            assert_eq!(window.last(), Some(&incidents::flow_record(&flow.row)));
            let single = detector.predict(&window).unwrap();
            assert!((single.probability - flow.verdict.probability).abs() < 1e-5);
            checked += 1;
        }
    };
    while let Some(packet) = reader.next_packet() {
        let scored = scorer.packet(&packet.unwrap()).unwrap();
        check(&scorer, scored);
    }
    let scored = scorer.finish().unwrap();
    check(&scorer, scored);
    assert!(checked >= 40, "{checked} verdicts checked");
}

#[test]
fn a_whole_capture_report_counts_everything_and_lists_within_its_limits() {
    let detector = detector();
    let report = |options: incidents::CaptureOptions| {
        let reader = CaptureReader::new(std::fs::File::open(ATTACK).unwrap()).unwrap();
        incidents::analyze_capture(&detector, reader, options).unwrap()
    };
    let all = report(incidents::CaptureOptions {
        flows: sensor(),
        ..Default::default()
    });
    assert_eq!(all.scored, all.records - 9);
    assert_eq!(all.flows.len() as u64, all.scored);
    assert_eq!(all.incident_count, all.incidents.len() as u64);
    assert!(all.incident_count >= 2, "{}", all.incident_count);
    let flagged = all.flows.iter().filter(|f| f.verdict.is_attack()).count() as u64;
    assert_eq!(all.flagged, flagged);

    let limited = report(incidents::CaptureOptions {
        flows: sensor(),
        listing: incidents::FlowListing::Attacks,
        flow_limit: 10,
        incident_limit: 1,
        ..Default::default()
    });
    assert_eq!(limited.flows.len(), 10);
    assert!(limited.flows_truncated);
    assert!(limited.flows.iter().all(|f| f.verdict.is_attack()));
    assert_eq!(limited.incidents.len(), 1);
    assert_eq!(limited.incident_count, all.incident_count);
    assert_eq!(limited.incidents[0].id, all.incidents[0].id);
    assert_eq!(limited.flagged, all.flagged);
}
