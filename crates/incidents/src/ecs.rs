//! Elastic Common Schema documents: what SIEMs (Elastic, OpenSearch, Splunk's ECS mapping,
//! Wazuh) ingest as JSON lines.
//!
//! Field names and allowed values follow ECS 8.11: `event.kind` is `alert` for incidents and
//! `event` for flows; `event.category` `network` + `intrusion_detection`; `event.type` `start`
//! when an incident is raised, `end` when it closes, `info` for a narration. What ECS has no
//! field for sits under `flowguard.*`.

use serde_json::{Value, json};

use crate::incident::to_rfc3339;
use crate::{IncidentEvent, ScoredFlow};

/// The ECS version the documents follow.
pub const ECS_VERSION: &str = "8.11.0";

/// The ECS alert for a raised or closed incident; `model` is the detector's id.
///
/// ```
/// # use incidents::*;
/// # let detector = embedded_models::load(embedded_models::DEFAULT).unwrap();
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../packet-flows/tests/fixtures/flows/scan.pcap");
/// # let mut watch = Watch::new(&detector, Default::default(), Default::default(),
/// #     GroupingConfig { min_flows: 1, ..Default::default() });
/// # let mut reader = packet_flows::CaptureReader::open(path).unwrap();
/// # let mut events = Vec::new();
/// # while let Some(p) = reader.next_packet() { events.extend(watch.packet(&p.unwrap()).unwrap()); }
/// # events.extend(watch.finish().unwrap());
/// # let Some(WatchEvent::Incident(event)) = events.into_iter().find(|e| matches!(e, WatchEvent::Incident(_))) else { panic!() };
/// let alert = ecs::alert(&event, "unsw-nb15-lstm");
/// assert_eq!(alert["event"]["kind"], "alert");
/// assert_eq!(alert["source"]["ip"], event.incident().source.to_string());
/// ```
pub fn alert(event: &IncidentEvent, model: &str) -> Value {
    let incident = event.incident();
    let (kind, action, timestamp) = match event {
        IncidentEvent::Raised(_) => ("start", "incident-raised", incident.raised_at),
        IncidentEvent::Closed(_) => (
            "end",
            "incident-closed",
            incident.closed_at.unwrap_or(incident.last_seen),
        ),
    };
    let category = incident.category().unwrap_or("attack");
    let mut related: Vec<String> = vec![incident.source.to_string()];
    related.extend(incident.targets.iter().map(|t| t.value.to_string()));
    json!({
        "@timestamp": to_rfc3339(timestamp),
        "ecs": { "version": ECS_VERSION },
        "message": incident.summary,
        "event": {
            "kind": "alert",
            "category": ["network", "intrusion_detection"],
            "type": [kind],
            "action": action,
            "id": incident.id,
            "module": "flowguard",
            "dataset": "flowguard.incident",
            "start": to_rfc3339(incident.first_seen),
            "end": to_rfc3339(incident.last_seen),
            "created": to_rfc3339(incident.raised_at),
            "duration": incident.last_seen.as_nanos() - incident.first_seen.as_nanos(),
            // ECS: 0-100; the detector's peak probability of attack.
            "risk_score": f64::from(incident.probability.peak) * 100.0,
            "severity": severity(incident.probability.peak),
            "reason": incident.summary,
        },
        "source": { "ip": incident.source },
        "destination": {
            "ip": incident.target(),
            "port": incident.ports.first().map(|p| p.value),
        },
        "network": {
            "transport": incident.protocols.first().map(|p| p.value),
            "type": if incident.source.is_ipv4() { "ipv4" } else { "ipv6" },
        },
        "rule": {
            "name": format!("flowguard {category} from one source"),
            "category": category,
            "ruleset": "flowguard",
            "description": "Attack verdicts of the flowguard LSTM detector on flows from one \
                            source address, grouped while they keep coming",
            "version": model,
        },
        "observer": observer(),
        "related": { "ip": related },
        "flowguard": { "model": model, "incident": incident },
    })
}

/// The ECS event for one scored flow.
pub fn flow(flow: &ScoredFlow, model: &str) -> Value {
    let row = &flow.row;
    json!({
        "@timestamp": to_rfc3339(row.ltime),
        "ecs": { "version": ECS_VERSION },
        "event": {
            "kind": "event",
            "category": ["network"],
            "type": ["connection"],
            "module": "flowguard",
            "dataset": "flowguard.flow",
            "start": to_rfc3339(row.stime),
            "end": to_rfc3339(row.ltime),
            "duration": row.ltime.as_nanos() - row.stime.as_nanos(),
            "risk_score": f64::from(flow.verdict.probability) * 100.0,
        },
        "source": { "ip": row.srcip, "port": row.sport, "packets": row.spkts, "bytes": row.sbytes },
        "destination": { "ip": row.dstip, "port": row.dsport, "packets": row.dpkts, "bytes": row.dbytes },
        "network": {
            "transport": row.proto,
            "protocol": (row.service != "-").then_some(row.service),
            "packets": row.spkts + row.dpkts,
            "bytes": row.sbytes + row.dbytes,
        },
        "observer": observer(),
        "flowguard": {
            "model": model,
            "flow": flow.seq,
            "state": row.state,
            "verdict": flow.verdict,
        },
    })
}

/// An ECS event carrying a narration of an incident (same `event.id`).
pub fn narration(
    event: &IncidentEvent,
    text: &str,
    source: &str,
    failed_checks: &[String],
) -> Value {
    let incident = event.incident();
    json!({
        "@timestamp": to_rfc3339(incident.last_seen),
        "ecs": { "version": ECS_VERSION },
        "message": text,
        "event": {
            "kind": "alert",
            "category": ["network", "intrusion_detection"],
            "type": ["info"],
            "action": "incident-narrated",
            "id": incident.id,
            "module": "flowguard",
            "dataset": "flowguard.narration",
        },
        "source": { "ip": incident.source },
        "destination": { "ip": incident.target() },
        "observer": observer(),
        "flowguard": {
            "narration": { "text": text, "source": source, "failed_checks": failed_checks },
        },
    })
}

/// ECS `event.severity` (a number, higher is worse) from the peak probability: 1 low (under
/// 0.7), 2 medium, 3 high (0.9 and up).
fn severity(peak: f32) -> u8 {
    match peak {
        p if p >= 0.9 => 3,
        p if p >= 0.7 => 2,
        _ => 1,
    }
}

fn observer() -> Value {
    json!({
        "product": "flowguard",
        "vendor": "flowguard",
        "type": "ids",
        "version": env!("CARGO_PKG_VERSION"),
    })
}
