//! Measuring detection per phase of a labelled capture (the `attack.phases.json` that
//! `scripts/make-attack-capture.sh` writes): flows and the share flagged, incidents raised, and
//! how long after the phase began its source was first alerted on.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::Path;

use anyhow::Context;
use incidents::{IncidentEvent, ScoredFlow};
use packet_flows::Timestamp;
use packet_flows::unsw::UnswRow;
use serde::{Deserialize, Serialize};

/// One phase as the generator wrote it.
#[derive(Clone, Debug, Deserialize)]
pub struct Phase {
    pub name: String,
    /// `normal` or `attack`.
    pub kind: String,
    pub category: Option<String>,
    pub source: IpAddr,
    /// Seconds since the epoch.
    pub start: f64,
    pub end: f64,
}

/// What was seen during one phase: from its start to the next phase's start.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PhaseResult {
    pub name: String,
    pub kind: String,
    pub category: Option<String>,
    /// Scored flows that started in the phase.
    pub flows: u64,
    /// Those with an attack verdict.
    pub flagged: u64,
    /// Incidents, any source, whose flagged flows mostly started in the phase (during a
    /// normal phase each is a false alarm).
    pub incidents: u64,
    /// Of those, from the phase's own source.
    pub incidents_from_source: u64,
    /// Seconds from the phase's start to the first alert on a flow of the phase from its
    /// source: an incident raised, or the flow joining one already open for that source.
    /// Alert times are capture times at which the verdicts were known.
    pub alerted_after: Option<f64>,
}

/// Reads a phases file; phases must be in time order.
pub fn read(path: &Path) -> anyhow::Result<Vec<Phase>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let phases: Vec<Phase> =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    anyhow::ensure!(
        phases.windows(2).all(|w| w[0].start <= w[1].start),
        "{}: phases are not in time order",
        path.display()
    );
    Ok(phases)
}

/// The phase in force at `t`: the last one started by then, unless every phase is over.
fn phase_at(phases: &[Phase], t: Timestamp) -> Option<usize> {
    let t = t.as_secs_f64();
    let index = phases.iter().rposition(|p| p.start <= t)?;
    let last = index + 1 == phases.len();
    (!last || t <= phases[index].end).then_some(index)
}

/// A row's ground truth in a labelled capture: `(1, category)` when it started during an
/// attack phase and the phase's source sent or received it, `(0, "Normal")` otherwise (the
/// normal phases, and the quiet gaps, ARP and late answers outside the attack's flows).
pub fn label_of(phases: &[Phase], row: &UnswRow) -> (u8, String) {
    let attack = phase_at(phases, row.stime)
        .map(|i| &phases[i])
        .filter(|p| p.kind == "attack" && (row.srcip == p.source || row.dstip == p.source));
    match attack {
        Some(phase) => (
            1,
            phase.category.clone().unwrap_or_else(|| "Generic".into()),
        ),
        None => (0, "Normal".into()),
    }
}

/// Tallies flows and incidents into the phases they happened in.
pub struct PhaseMeter {
    phases: Vec<Phase>,
    results: Vec<PhaseResult>,
    /// Sources with a raised incident not yet closed.
    open: HashSet<IpAddr>,
    /// Flagged flows by source and phase.
    flagged: HashMap<(IpAddr, usize), u64>,
}

impl PhaseMeter {
    pub fn new(phases: Vec<Phase>) -> Self {
        let results = phases
            .iter()
            .map(|p| PhaseResult {
                name: p.name.clone(),
                kind: p.kind.clone(),
                category: p.category.clone(),
                ..PhaseResult::default()
            })
            .collect();
        Self {
            phases,
            results,
            open: HashSet::new(),
            flagged: HashMap::new(),
        }
    }

    fn phase_at(&self, t: Timestamp) -> Option<usize> {
        phase_at(&self.phases, t)
    }

    /// A scored flow, its verdict known at capture time `now`.
    pub fn flow(&mut self, flow: &ScoredFlow, now: Timestamp) {
        let Some(index) = self.phase_at(flow.row.stime) else {
            return;
        };
        let result = &mut self.results[index];
        result.flows += 1;
        if flow.verdict.is_attack() {
            result.flagged += 1;
            *self.flagged.entry((flow.row.srcip, index)).or_default() += 1;
            let phase = &self.phases[index];
            if flow.row.srcip == phase.source && self.open.contains(&phase.source) {
                alert(result, now.as_secs_f64() - phase.start);
            }
        }
    }

    pub fn incident(&mut self, event: &IncidentEvent) {
        let incident = event.incident();
        let phase = self.main_phase(incident);
        match event {
            IncidentEvent::Raised(_) => {
                self.open.insert(incident.source);
                if let Some(index) = phase.filter(|&i| self.phases[i].source == incident.source) {
                    let after = incident.raised_at.as_secs_f64() - self.phases[index].start;
                    alert(&mut self.results[index], after);
                }
            }
            IncidentEvent::Closed(_) => {
                self.open.remove(&incident.source);
                if let Some(index) = phase {
                    let result = &mut self.results[index];
                    result.incidents += 1;
                    if self.phases[index].source == incident.source {
                        result.incidents_from_source += 1;
                    }
                }
            }
        }
    }

    /// The phase holding most of an incident's flagged flows (its first flow's phase on a
    /// tie): an ARP exchange just before a scan does not make the scan's incident a normal
    /// phase's.
    fn main_phase(&self, incident: &incidents::Incident) -> Option<usize> {
        let first = self.phase_at(incident.first_seen).unwrap_or(0);
        let last = self
            .phase_at(incident.last_seen)
            .unwrap_or(self.phases.len().checked_sub(1)?);
        (first..=last.max(first)).rev().max_by_key(|&i| {
            let flagged = self
                .flagged
                .get(&(incident.source, i))
                .copied()
                .unwrap_or(0);
            (flagged, std::cmp::Reverse(i))
        })
    }

    pub fn results(&self) -> &[PhaseResult] {
        &self.results
    }

    /// The results as a fixed-width table.
    pub fn table(&self) -> String {
        let mut text = format!(
            "{:<18} {:<7} {:>6} {:>8} {:>7} {:>9} {:>10}\n",
            "phase", "kind", "flows", "flagged", "share", "incidents", "alerted"
        );
        for r in &self.results {
            let share = if r.flows == 0 {
                "-".to_owned()
            } else {
                format!("{:.1} %", 100.0 * r.flagged as f64 / r.flows as f64)
            };
            let alerted = r
                .alerted_after
                .map_or("-".to_owned(), |s| format!("{s:.2} s"));
            text.push_str(&format!(
                "{:<18} {:<7} {:>6} {:>8} {:>7} {:>9} {:>10}\n",
                r.name, r.kind, r.flows, r.flagged, share, r.incidents, alerted
            ));
        }
        text
    }
}

fn alert(result: &mut PhaseResult, after: f64) {
    let after = after.max(0.0);
    if result.alerted_after.is_none_or(|a| after < a) {
        result.alerted_after = Some(after);
    }
}
