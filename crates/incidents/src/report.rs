//! A whole capture at once: every flow scored, the incidents, and the counts, bounded.

use std::io::Read;

use packet_flows::{CaptureReader, FlowTableConfig, Skips};

use crate::{
    GroupingConfig, Incident, IncidentEvent, Result, ScoredFlow, ScoringConfig, Watch, WatchEvent,
};
use lstm_detector::Detector;

/// Which scored flows a [`CaptureReport`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowListing {
    /// Every scored flow, up to the limit.
    All,
    /// Only those with an attack verdict, up to the limit.
    Attacks,
    /// None (counts only).
    None,
}

/// How [`analyze_capture`] works.
#[derive(Clone, Debug)]
pub struct CaptureOptions {
    /// How packets are cut into flows.
    pub flows: FlowTableConfig,
    /// How verdicts are grouped.
    pub grouping: GroupingConfig,
    /// Which flows to list.
    pub listing: FlowListing,
    /// Flows listed at most (all are counted).
    pub flow_limit: usize,
    /// Incidents listed at most (all are counted): a capture of many sources must not make an
    /// answer of unbounded size.
    pub incident_limit: usize,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        Self {
            flows: FlowTableConfig::default(),
            grouping: GroupingConfig::default(),
            listing: FlowListing::All,
            flow_limit: 10_000,
            incident_limit: 1_000,
        }
    }
}

/// What a capture held, as the detector saw it.
#[derive(Clone, Debug)]
pub struct CaptureReport {
    /// Packets read (skipped ones included).
    pub packets: u64,
    /// Records or packets that could not be used, by reason.
    pub skips: Skips,
    /// Flow records extracted.
    pub records: u64,
    /// Records scored (all from the window length on).
    pub scored: u64,
    /// Scored records with an attack verdict.
    pub flagged: u64,
    /// Incidents found (closed), listed or not.
    pub incident_count: u64,
    /// The incidents, closed, in the order they closed, up to `incident_limit`.
    pub incidents: Vec<Incident>,
    /// The flows listed, in the order they ended.
    pub flows: Vec<ScoredFlow>,
    /// Whether more flows matched the listing than `flow_limit`.
    pub flows_truncated: bool,
}

/// Reads `reader` through and reports every flow and incident.
///
/// ```
/// use incidents::{CaptureOptions, FlowListing, analyze_capture};
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../packet-flows/tests/fixtures/flows/scan.pcap");
/// let detector = embedded_models::load(embedded_models::DEFAULT)?;
/// let reader = packet_flows::CaptureReader::new(std::fs::File::open(path)?)?;
/// let options = CaptureOptions { listing: FlowListing::Attacks, ..Default::default() };
/// let report = analyze_capture(&detector, reader, options)?;
/// assert_eq!(report.scored, report.records - 9);
/// assert!(report.flows.iter().all(|f| f.verdict.is_attack()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn analyze_capture<R: Read>(
    detector: &Detector,
    mut reader: CaptureReader<R>,
    options: CaptureOptions,
) -> Result<CaptureReport> {
    let mut watch = Watch::new(
        detector,
        options.flows.clone(),
        // Nothing waits on a whole capture: full batches.
        ScoringConfig {
            max_delay: std::time::Duration::MAX,
            ..ScoringConfig::default()
        },
        options.grouping,
    );
    let mut report = CaptureReport {
        packets: 0,
        skips: Skips::default(),
        records: 0,
        scored: 0,
        flagged: 0,
        incident_count: 0,
        incidents: Vec::new(),
        flows: Vec::new(),
        flows_truncated: false,
    };
    while let Some(packet) = reader.next_packet() {
        let events = watch.packet(&packet?)?;
        report.take(events, &options);
    }
    let events = watch.finish()?;
    report.take(events, &options);
    let extractor = watch.scorer().extractor();
    report.skips.merge(reader.skips());
    report.skips.merge(extractor.skips());
    report.packets = extractor.packets() + reader.skips().total();
    report.records = watch.scorer().records();
    Ok(report)
}

impl CaptureReport {
    fn take(&mut self, events: Vec<WatchEvent>, options: &CaptureOptions) {
        for event in events {
            match event {
                WatchEvent::Flow(flow) => {
                    self.scored += 1;
                    let attack = flow.verdict.is_attack();
                    self.flagged += u64::from(attack);
                    let listed = match options.listing {
                        FlowListing::All => true,
                        FlowListing::Attacks => attack,
                        FlowListing::None => false,
                    };
                    if listed && self.flows.len() < options.flow_limit {
                        self.flows.push(flow);
                    } else if listed {
                        self.flows_truncated = true;
                    }
                }
                WatchEvent::Incident(IncidentEvent::Closed(incident)) => {
                    self.incident_count += 1;
                    if self.incidents.len() < options.incident_limit {
                        self.incidents.push(incident);
                    }
                }
                WatchEvent::Incident(IncidentEvent::Raised(_)) => {}
            }
        }
    }
}
