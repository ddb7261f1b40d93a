//! An incident in one sentence, from its own counts only.

use std::fmt::Write;

use crate::incident::{Incident, to_rfc3339};

/// `10.79.0.66 -> 10.79.0.2: 998 attack flows from … to … (12.3 s), 998 ports on 1 host
/// (tcp 998); probability of attack peak 0.998, mean 0.930; category Reconnaissance (812).`
pub(crate) fn sentence(incident: &Incident) -> String {
    let mut text = String::new();
    let target = match (incident.target(), incident.target_count) {
        (Some(ip), 1) => ip.to_string(),
        (Some(ip), n) => format!("{n} hosts (most: {ip})"),
        (None, _) => "no host".into(),
    };
    // Writing to a String cannot fail.
    let _ = write!(
        text,
        "{} -> {target}: {} attack flow{} from {} to {} ({:.1} s), {} destination port{} on {} host{} (",
        incident.source,
        incident.flows,
        plural(incident.flows),
        to_rfc3339(incident.first_seen),
        to_rfc3339(incident.last_seen),
        incident.duration_secs(),
        incident.port_count,
        plural(incident.port_count),
        incident.target_count,
        plural(incident.target_count),
    );
    let protocols: Vec<String> = incident
        .protocols
        .iter()
        .map(|p| format!("{} {}", p.value, p.flows))
        .collect();
    let _ = write!(
        text,
        "{}); probability of attack peak {:.3}, mean {:.3}",
        protocols.join(", "),
        incident.probability.peak,
        incident.probability.mean
    );
    if let Some(category) = incident.categories.first() {
        let _ = write!(
            text,
            "; most flows read as {} ({} of {})",
            category.name, category.flows, incident.flows
        );
    }
    text.push('.');
    text
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
