//! The whole way: packets to scored flows to explained incidents.

use flow_features::FeatureInfluence;
use llm_explainer::{Evidence, Language, MIN_CITED_DELTA, Report};
use lstm_detector::Detector;
use packet_flows::{FlowTableConfig, Packet, Timestamp};

use crate::incident::IncidentExplanation;
use crate::{
    GroupingConfig, IncidentEvent, IncidentTracker, Result, ScoredFlow, ScoringConfig,
    TrafficScorer,
};

/// Features an incident's explanation lists, at most.
pub const TOP_FEATURES: usize = 5;

/// What [`Watch`] reports, in capture order.
// Flows are the common case and incidents rare: neither is boxed, so a flow costs no
// allocation and an incident is moved once.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum WatchEvent {
    /// A flow and its verdict.
    Flow(ScoredFlow),
    /// An incident raised or closed, explained.
    Incident(IncidentEvent),
}

/// Scores traffic and raises incidents: a [`TrafficScorer`] feeding an [`IncidentTracker`],
/// each incident explained by its peak window's attribution and grounded [`Report`].
///
/// ```
/// use incidents::{GroupingConfig, ScoringConfig, Watch, WatchEvent};
/// use packet_flows::{CaptureReader, FlowTableConfig};
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../packet-flows/tests/fixtures/flows/scan.pcap");
/// let detector = embedded_models::load(embedded_models::DEFAULT)?;
/// let mut watch = Watch::new(&detector, FlowTableConfig::default(), ScoringConfig::default(),
///     GroupingConfig::default());
/// let mut reader = CaptureReader::open(path)?;
/// let mut flows = 0;
/// while let Some(packet) = reader.next_packet() {
///     for event in watch.packet(&packet?)? {
///         match event {
///             WatchEvent::Flow(_) => flows += 1,
///             WatchEvent::Incident(incident) => println!("{}", incident.incident().summary),
///         }
///     }
/// }
/// flows += watch.finish()?.iter().filter(|e| matches!(e, WatchEvent::Flow(_))).count();
/// assert_eq!(flows as u64, watch.scorer().records() - 9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Watch<'d> {
    detector: &'d Detector,
    scorer: TrafficScorer<'d>,
    tracker: IncidentTracker,
    language: Language,
}

impl<'d> Watch<'d> {
    /// A watch of `detector` over records cut as `flows` says, grouped as `grouping` says.
    pub fn new(
        detector: &'d Detector,
        flows: FlowTableConfig,
        scoring: ScoringConfig,
        grouping: GroupingConfig,
    ) -> Self {
        Self {
            detector,
            scorer: TrafficScorer::new(detector, flows, scoring),
            tracker: IncidentTracker::new(grouping),
            language: Language::English,
        }
    }

    /// Reports in `language` (English by default).
    pub fn with_language(self, language: Language) -> Self {
        Self { language, ..self }
    }

    /// Adds one captured packet.
    pub fn packet(&mut self, packet: &Packet<'_>) -> Result<Vec<WatchEvent>> {
        let scored = self.scorer.packet(packet)?;
        self.events(scored, false)
    }

    /// Lets capture time reach `now` with no packet.
    pub fn tick(&mut self, now: Timestamp) -> Result<Vec<WatchEvent>> {
        let scored = self.scorer.tick(now)?;
        self.events(scored, false)
    }

    /// Ends the stream: the last flows are scored and every incident is closed.
    pub fn finish(&mut self) -> Result<Vec<WatchEvent>> {
        let scored = self.scorer.finish()?;
        self.events(scored, true)
    }

    /// The scorer: extraction counts and records.
    pub fn scorer(&self) -> &TrafficScorer<'d> {
        &self.scorer
    }

    /// The tracker: incidents raised and open.
    pub fn tracker(&self) -> &IncidentTracker {
        &self.tracker
    }

    fn events(&mut self, scored: Vec<ScoredFlow>, finish: bool) -> Result<Vec<WatchEvent>> {
        let mut events = Vec::with_capacity(scored.len());
        for flow in scored {
            let now = self.scorer.clock().unwrap_or(flow.row.ltime);
            let raised = self
                .tracker
                .observe(&flow, now, || self.scorer.window(flow.seq));
            events.push(WatchEvent::Flow(flow));
            for incident in raised {
                events.push(WatchEvent::Incident(self.explained(incident)?));
            }
        }
        let clock = self.scorer.clock();
        let ended = match (finish, self.scorer.settled(), clock) {
            (true, _, Some(now)) => self.tracker.finish(now),
            (false, Some(settled), Some(now)) => self.tracker.expire(settled, now),
            _ => Vec::new(),
        };
        for incident in ended {
            events.push(WatchEvent::Incident(self.explained(incident)?));
        }
        Ok(events)
    }

    /// Attaches the peak window's attribution and report.
    fn explained(&self, mut event: IncidentEvent) -> Result<IncidentEvent> {
        let incident = event.incident_mut();
        if let Some((verdict, window)) = incident.peak.take() {
            let attribution = self.detector.attribute(&window)?;
            let evidence =
                Evidence::new(&window, verdict, attribution).masked(self.detector.preprocessor());
            let top_features: Vec<FeatureInfluence> = evidence
                .attribution
                .iter()
                .flat_map(|a| &a.features)
                .filter(|f| f.delta >= MIN_CITED_DELTA)
                .take(TOP_FEATURES)
                .cloned()
                .collect();
            if evidence.attribution.is_some() {
                incident.explanation = Some(IncidentExplanation {
                    top_features,
                    report: Report::new(&evidence, self.language),
                });
            }
            incident.evidence = Some(evidence);
        }
        Ok(event)
    }
}
