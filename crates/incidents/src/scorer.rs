//! Packets in, scored flows out: extraction and the sliding detector in one streaming pass.

use std::time::Duration;

use flow_features::FlowRecord;
use lstm_detector::Detector;
use packet_flows::unsw::Extractor;
use packet_flows::{FlowTableConfig, Packet, Timestamp};

use crate::{RecordScorer, Result, ScoredFlow};

/// How the traffic scorer batches windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScoringConfig {
    /// Windows scored per detector call, at most.
    pub batch_size: usize,
    /// The longest a finished record waits for its verdict, in capture time: past it the
    /// waiting windows are scored whatever their number (latency bound of a live capture).
    pub max_delay: Duration,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        Self {
            batch_size: 256,
            max_delay: Duration::from_secs(1),
        }
    }
}

/// Extracts flow records from packets and scores each with the window of the records before
/// it, in the order records are finished (`ltime` order, as a streaming scorer sees them).
///
/// The first `sequence_length - 1` records are context only: they get no verdict. Memory is
/// the extractor's (flat in the capture's length) plus one batch of windows.
///
/// ```
/// use packet_flows::{CaptureReader, FlowTableConfig};
/// use incidents::{ScoringConfig, TrafficScorer};
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../packet-flows/tests/fixtures/flows/scan.pcap");
/// let detector = embedded_models::load(embedded_models::DEFAULT)?;
/// let mut scorer = TrafficScorer::new(&detector, FlowTableConfig::default(), ScoringConfig::default());
/// let mut reader = CaptureReader::open(path)?;
/// let mut scored = Vec::new();
/// while let Some(packet) = reader.next_packet() {
///     scored.extend(scorer.packet(&packet?)?);
/// }
/// scored.extend(scorer.finish()?);
/// assert_eq!(scored.len() as u64, scorer.records() - 9); // every record from the 10th on
/// assert!(scored.windows(2).all(|w| w[0].row.ltime <= w[1].row.ltime));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TrafficScorer<'d> {
    extractor: Extractor,
    scoring: RecordScorer<'d>,
    config: ScoringConfig,
    /// Capture time of the newest packet or tick.
    clock: Option<Timestamp>,
    /// The oldest waiting record's number and the capture time it began to wait, while one
    /// waits.
    waiting: Option<(u64, Timestamp)>,
}

impl<'d> TrafficScorer<'d> {
    /// A scorer of `detector` over records cut as `flows` says.
    pub fn new(detector: &'d Detector, flows: FlowTableConfig, config: ScoringConfig) -> Self {
        let config = ScoringConfig {
            batch_size: config.batch_size.max(1),
            ..config
        };
        Self {
            extractor: Extractor::new(flows),
            scoring: RecordScorer::new(detector, config.batch_size),
            config,
            clock: None,
            waiting: None,
        }
    }

    /// Adds one captured packet; returns the flows scored now.
    pub fn packet(&mut self, packet: &Packet<'_>) -> Result<Vec<ScoredFlow>> {
        self.extractor.packet(packet);
        self.advance(packet.timestamp)
    }

    /// Lets capture time reach `now` with no packet (a quiet live interface): flows time out,
    /// and windows waiting past the delay are scored.
    pub fn tick(&mut self, now: Timestamp) -> Result<Vec<ScoredFlow>> {
        self.extractor.tick(now);
        self.advance(now)
    }

    /// Ends the stream: every flow still open is finished and scored.
    pub fn finish(&mut self) -> Result<Vec<ScoredFlow>> {
        let ready = self.extractor.finish();
        let mut scored = self.scoring.push(ready.into_iter().map(|flow| flow.row))?;
        scored.extend(self.scoring.flush()?);
        self.waiting = None;
        Ok(scored)
    }

    /// The window whose verdict [`ScoredFlow`] number `seq` carries, while it is among the
    /// newest records (always for the flows the last call returned).
    pub fn window(&self, seq: u64) -> Option<Vec<FlowRecord>> {
        self.scoring.window(seq)
    }

    /// Records extracted so far.
    pub fn records(&self) -> u64 {
        self.scoring.records()
    }

    /// The extractor: packets, skips and the flow table's counts.
    pub fn extractor(&self) -> &Extractor {
        &self.extractor
    }

    /// Capture time of the newest packet or tick: when the verdicts returned now are known.
    pub fn clock(&self) -> Option<Timestamp> {
        self.clock
    }

    /// The time up to which every flow has its verdict: each record ending before it has
    /// been returned scored. It trails [`clock`](Self::clock) by the extractor's ordering lag
    /// (one status interval) and, while windows wait for a batch, stops before the oldest.
    pub fn settled(&self) -> Option<Timestamp> {
        let extracted = self.extractor.settled()?;
        Some(match self.scoring.oldest_waiting() {
            Some((_, ltime)) => extracted.min(Timestamp::from_nanos(ltime.as_nanos() - 1)),
            None => extracted,
        })
    }

    fn advance(&mut self, now: Timestamp) -> Result<Vec<ScoredFlow>> {
        self.clock = Some(self.clock.map_or(now, |c| c.max(now)));
        let ready = self.extractor.ready();
        let mut scored = self.scoring.push(ready.into_iter().map(|flow| flow.row))?;
        let oldest = self.scoring.oldest_waiting().map(|(seq, _)| seq);
        if oldest != self.waiting.map(|(seq, _)| seq) {
            self.waiting = oldest.zip(self.clock);
        }
        let overdue = self.waiting.is_some_and(|(_, since)| {
            let waited = now.as_nanos().saturating_sub(since.as_nanos());
            u128::try_from(waited).unwrap_or(0) >= self.config.max_delay.as_nanos()
        });
        if overdue {
            scored.extend(self.scoring.flush()?);
            self.waiting = None;
        }
        Ok(scored)
    }
}
