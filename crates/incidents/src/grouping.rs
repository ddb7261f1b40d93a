//! Grouping attack verdicts into incidents: by source address, while they keep coming.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::time::Duration;

use flow_features::{FlowRecord, Verdict};
use packet_flows::Timestamp;
use packet_flows::unsw::UnswRow;

use crate::ScoredFlow;
use crate::incident::{CategoryCount, Incident, IncidentStatus, ProbabilitySummary, Touched};

/// How verdicts become incidents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupingConfig {
    /// An incident closes when its source has had no attack verdict for this long (capture
    /// time, from the last attack flow's end).
    pub gap: Duration,
    /// Attack flows an incident needs before it is raised; fewer are kept as unraised
    /// verdicts (a lone flagged flow is not an incident).
    pub min_flows: u64,
    /// Incidents followed at once (memory bound); past it the one quiet longest is closed.
    pub max_open: usize,
    /// Targets and ports listed per incident (all are counted).
    pub max_listed: usize,
}

impl Default for GroupingConfig {
    fn default() -> Self {
        Self {
            gap: Duration::from_secs(60),
            min_flows: 5,
            max_open: 4096,
            max_listed: 16,
        }
    }
}

/// What the tracker says as verdicts arrive.
#[derive(Clone, Debug, PartialEq)]
pub enum IncidentEvent {
    /// An incident reached [`GroupingConfig::min_flows`] attack flows.
    Raised(Incident),
    /// An incident ended; the final counts.
    Closed(Incident),
}

impl IncidentEvent {
    /// The incident, raised or closed.
    pub fn incident(&self) -> &Incident {
        match self {
            IncidentEvent::Raised(incident) | IncidentEvent::Closed(incident) => incident,
        }
    }

    /// Mutable access, to attach an explanation.
    pub fn incident_mut(&mut self) -> &mut Incident {
        match self {
            IncidentEvent::Raised(incident) | IncidentEvent::Closed(incident) => incident,
        }
    }
}

/// One source's attack flows so far.
#[derive(Debug)]
struct Group {
    first_seen: Timestamp,
    last_seen: Timestamp,
    raised_at: Option<Timestamp>,
    flows: u64,
    packets: u64,
    sum_probability: f64,
    peak: Option<(Verdict, Vec<FlowRecord>)>,
    peak_probability: f32,
    targets: HashMap<IpAddr, u64>,
    ports: HashMap<u16, u64>,
    protocols: BTreeMap<&'static str, u64>,
    categories: BTreeMap<String, u64>,
}

/// Groups scored flows' attack verdicts into incidents, one per source address at a time
/// (an ICMP error counts for the host it answers).
///
/// Memory is bounded by [`GroupingConfig::max_open`] groups; a group's host and port tables
/// hold at most the addresses and ports (65,536) its flows touched.
#[derive(Debug)]
pub struct IncidentTracker {
    config: GroupingConfig,
    open: HashMap<IpAddr, Group>,
    raised: u64,
    unraised_flows: u64,
}

impl IncidentTracker {
    /// A tracker grouping as `config` says.
    pub fn new(config: GroupingConfig) -> Self {
        Self {
            config,
            open: HashMap::new(),
            raised: 0,
            unraised_flows: 0,
        }
    }

    /// Adds a scored flow whose verdict became known at capture time `now` (the scorer's
    /// clock: a record is scored after it ends, so `now` is when an alert can go out);
    /// `window` gives its window when the flow becomes its incident's peak. Returns the
    /// incidents it raises, or closes to make room.
    pub fn observe(
        &mut self,
        flow: &ScoredFlow,
        now: Timestamp,
        window: impl FnOnce() -> Option<Vec<FlowRecord>>,
    ) -> Vec<IncidentEvent> {
        if !flow.verdict.is_attack() {
            return Vec::new();
        }
        let row = &flow.row;
        let (source, target, port) = roles(row);
        let mut events = Vec::new();
        if !self.open.contains_key(&source) && self.open.len() >= self.config.max_open {
            let quietest = self
                .open
                .iter()
                .min_by_key(|(_, g)| g.last_seen)
                .map(|(ip, _)| *ip);
            events.extend(quietest.and_then(|ip| self.close(ip, now)));
        }
        let group = self.open.entry(source).or_insert_with(|| Group {
            first_seen: row.stime,
            last_seen: row.ltime,
            raised_at: None,
            flows: 0,
            packets: 0,
            sum_probability: 0.0,
            peak: None,
            peak_probability: f32::NEG_INFINITY,
            targets: HashMap::new(),
            ports: HashMap::new(),
            protocols: BTreeMap::new(),
            categories: BTreeMap::new(),
        });
        group.first_seen = group.first_seen.min(row.stime);
        group.last_seen = group.last_seen.max(row.ltime);
        group.flows += 1;
        group.packets += row.spkts + row.dpkts;
        group.sum_probability += f64::from(flow.verdict.probability);
        *group.targets.entry(target).or_default() += 1;
        if let Some(port) = port {
            *group.ports.entry(port).or_default() += 1;
        }
        *group.protocols.entry(row.proto).or_default() += 1;
        if let Some(category) = &flow.verdict.category {
            *group.categories.entry(category.name.clone()).or_default() += 1;
        }
        if flow.verdict.probability > group.peak_probability {
            group.peak_probability = flow.verdict.probability;
            if let Some(window) = window() {
                group.peak = Some((flow.verdict.clone(), window));
            }
        }
        if group.raised_at.is_none() && group.flows >= self.config.min_flows {
            group.raised_at = Some(now.max(row.ltime));
            self.raised += 1;
            let incident = snapshot(source, group, IncidentStatus::Open, &self.config);
            events.push(IncidentEvent::Raised(incident));
        }
        events
    }

    /// Closes the incidents whose sources have had no attack flow for the gap before
    /// `settled`: a time up to which every flow has been observed
    /// ([`TrafficScorer::settled`](crate::TrafficScorer::settled)).
    /// `now` is the capture time of the closing (the scorer's clock).
    pub fn expire(&mut self, settled: Timestamp, now: Timestamp) -> Vec<IncidentEvent> {
        let gap = i64::try_from(self.config.gap.as_nanos()).unwrap_or(i64::MAX);
        let mut quiet: Vec<(Timestamp, IpAddr)> = self
            .open
            .iter()
            .filter(|(_, g)| settled.as_nanos().saturating_sub(g.last_seen.as_nanos()) >= gap)
            .map(|(ip, g)| (g.first_seen, *ip))
            .collect();
        quiet.sort_unstable();
        quiet
            .into_iter()
            .filter_map(|(_, ip)| self.close(ip, now))
            .collect()
    }

    /// Closes every incident (the stream ended at capture time `now`), oldest first.
    pub fn finish(&mut self, now: Timestamp) -> Vec<IncidentEvent> {
        let mut all: Vec<(Timestamp, IpAddr)> = self
            .open
            .iter()
            .map(|(ip, g)| (g.first_seen, *ip))
            .collect();
        all.sort_unstable();
        all.into_iter()
            .filter_map(|(_, ip)| self.close(ip, now))
            .collect()
    }

    /// Incidents raised so far.
    pub fn raised(&self) -> u64 {
        self.raised
    }

    /// Attack flows whose group never reached [`GroupingConfig::min_flows`] (closed ones).
    pub fn unraised_flows(&self) -> u64 {
        self.unraised_flows
    }

    /// Incidents and groups open now.
    pub fn open(&self) -> usize {
        self.open.len()
    }

    fn close(&mut self, source: IpAddr, now: Timestamp) -> Option<IncidentEvent> {
        let group = self.open.remove(&source)?;
        if group.raised_at.is_none() {
            self.unraised_flows += group.flows;
            return None;
        }
        let mut incident = snapshot(source, &group, IncidentStatus::Closed, &self.config);
        incident.closed_at = Some(now.max(group.last_seen));
        Some(IncidentEvent::Closed(incident))
    }
}

fn snapshot(
    source: IpAddr,
    group: &Group,
    status: IncidentStatus,
    config: &GroupingConfig,
) -> Incident {
    let targets = most_touched(group.targets.iter(), config.max_listed);
    let ports = most_touched(group.ports.iter(), config.max_listed);
    let protocols = most_touched(group.protocols.iter(), usize::MAX);
    let mut categories: Vec<CategoryCount> = group
        .categories
        .iter()
        .map(|(name, &flows)| CategoryCount {
            name: name.clone(),
            flows,
        })
        .collect();
    categories.sort_by_key(|c| std::cmp::Reverse(c.flows));
    let mean = (group.sum_probability / group.flows.max(1) as f64) as f32;
    let mut incident = Incident {
        id: format!("{source}-{}", group.first_seen.as_nanos()),
        status,
        source,
        first_seen: group.first_seen,
        last_seen: group.last_seen,
        raised_at: group.raised_at.unwrap_or(group.last_seen),
        closed_at: None,
        flows: group.flows,
        packets: group.packets,
        targets,
        target_count: group.targets.len() as u64,
        ports,
        port_count: group.ports.len() as u64,
        protocols,
        probability: ProbabilitySummary {
            peak: group.peak_probability,
            mean,
        },
        categories,
        summary: String::new(),
        explanation: None,
        evidence: None,
        peak: group.peak.clone(),
    };
    incident.summary = crate::summary::sentence(&incident);
    incident
}

/// Who an attack flow is about: the host acting, the host acted on, and the destination
/// port. An ICMP error (unreachable, time exceeded, …) answers the host it is sent to — a
/// UDP scan's closed ports come back as port unreachables — so it counts towards that
/// host's incident, against the host that sent it, at the port its quoted packet was for.
fn roles(row: &UnswRow) -> (IpAddr, IpAddr, Option<u16>) {
    // The row's ports for ICMP are Argus's: `sport` type | code << 8 and `dsport` the quoted
    // destination port, byte-swapped; for ICMPv6 `sport` the type.
    let kind = (row.sport & 0xff) as u8;
    match row.proto {
        "icmp" if matches!(kind, 3 | 4 | 5 | 11 | 12) => {
            (row.dstip, row.srcip, Some(row.dsport.swap_bytes()))
        }
        "ipv6-icmp" if matches!(row.sport, 1..=4) => (row.dstip, row.srcip, None),
        _ => (row.srcip, row.dstip, Some(row.dsport)),
    }
}

/// The entries with the most flows, ties by value, at most `limit`.
fn most_touched<'a, T: Copy + Ord + 'a>(
    counts: impl Iterator<Item = (&'a T, &'a u64)>,
    limit: usize,
) -> Vec<Touched<T>> {
    let mut all: Vec<Touched<T>> = counts
        .map(|(&value, &flows)| Touched { value, flows })
        .collect();
    all.sort_by(|a, b| b.flows.cmp(&a.flows).then(a.value.cmp(&b.value)));
    all.truncate(limit);
    all
}
