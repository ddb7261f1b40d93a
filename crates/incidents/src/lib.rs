//! flowguard on traffic: packets to scored flows, attack verdicts grouped into incidents, and
//! incidents written as Elastic Common Schema alerts.
//!
//! - [`TrafficScorer`] – a capture's packets through the extractor of `packet-flows` and the
//!   sliding detector of `lstm-detector`: every flow, in the order flows end, with the verdict
//!   on the window of 10 records it closes ([`ScoredFlow`]); bounded memory and latency
//!   ([`ScoringConfig`]); [`RecordScorer`] is its scoring half, over records already
//!   extracted;
//! - [`score_capture`] – a capture file scored with extraction on its own thread, overlapping
//!   the detector's work ([`ExtractionCounts`]);
//! - [`IncidentTracker`] – attack verdicts grouped by source address while they keep coming
//!   ([`GroupingConfig`]) into an [`Incident`]: first and last time, flows, packets, hosts and
//!   ports touched, peak and mean probability, the category head's reading;
//! - [`Watch`] – both, each incident explained by its peak window's attribution and grounded
//!   report ([`WatchEvent`]);
//! - [`Narrator`] – a language model narrating incidents on its own thread, rate-limited,
//!   never blocking the capture, its text checked against the evidence;
//! - [`analyze_capture`] – a whole capture at once: its flows, incidents and counts
//!   ([`CaptureReport`]), as the service's `POST /score/capture` answers;
//! - [`ecs`] – the JSON documents (ECS 8.11) SIEMs ingest: alerts, flows, narrations.
//!
//! ```
//! use incidents::{GroupingConfig, ScoringConfig, Watch, WatchEvent, ecs};
//! use packet_flows::{CaptureReader, FlowTableConfig};
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../packet-flows/tests/fixtures/flows/scan.pcap");
//! let detector = embedded_models::load(embedded_models::DEFAULT)?;
//! let mut watch = Watch::new(&detector, FlowTableConfig::default(), ScoringConfig::default(),
//!     GroupingConfig::default());
//! let mut reader = CaptureReader::open(path)?;
//! let mut events = Vec::new();
//! while let Some(packet) = reader.next_packet() {
//!     events.extend(watch.packet(&packet?)?);
//! }
//! events.extend(watch.finish()?);
//! for event in &events {
//!     if let WatchEvent::Incident(incident) = event {
//!         println!("{}", ecs::alert(incident, "unsw-nb15-lstm"));
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod ecs;
mod error;
mod flow;
mod grouping;
mod incident;
mod narration;
mod pipeline;
mod records;
mod report;
mod scorer;
mod summary;
mod watch;

pub use error::{Error, Result};
pub use flow::{ScoredFlow, flow_record};
pub use grouping::{GroupingConfig, IncidentEvent, IncidentTracker};
pub use incident::{
    CategoryCount, Incident, IncidentExplanation, IncidentStatus, ProbabilitySummary, Touched,
    to_rfc3339,
};
pub use narration::{Narration, NarrationCounts, Narrator};
pub use pipeline::{ExtractionCounts, score_capture};
pub use records::RecordScorer;
pub use report::{CaptureOptions, CaptureReport, FlowListing, analyze_capture};
pub use scorer::{ScoringConfig, TrafficScorer};
pub use watch::Watch;
pub use watch::{TOP_FEATURES, WatchEvent};
