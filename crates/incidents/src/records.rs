//! Finished records in, scored flows out: the sliding detector over extracted records, with
//! the windows of the verdicts it returns kept at hand.

use std::collections::VecDeque;

use flow_features::FlowRecord;
use lstm_detector::{Detector, SlidingScorer};
use packet_flows::Timestamp;
use packet_flows::unsw::UnswRow;

use crate::{Result, ScoredFlow, flow_record};

/// Scores extracted records in the order given (`ltime` order, as the extractor returns them),
/// each with the window of the `sequence_length` records ending with it, `batch_size` windows
/// per detector call. The first `sequence_length - 1` records are context only.
///
/// The scoring half of [`TrafficScorer`](crate::TrafficScorer), which feeds it from packets;
/// [`score_capture`](crate::score_capture) feeds it from an extraction thread.
///
/// ```
/// use incidents::RecordScorer;
/// use packet_flows::{CaptureReader, FlowTableConfig, unsw::Extractor};
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../packet-flows/tests/fixtures/flows/scan.pcap");
/// let detector = embedded_models::load(embedded_models::DEFAULT)?;
/// let mut extractor = Extractor::new(FlowTableConfig::default());
/// let mut reader = CaptureReader::open(path)?;
/// while let Some(packet) = reader.next_packet() {
///     extractor.packet(&packet?);
/// }
/// let mut scorer = RecordScorer::new(&detector, 256);
/// let mut scored = scorer.push(extractor.finish().into_iter().map(|flow| flow.row))?;
/// scored.extend(scorer.flush()?);
/// assert_eq!(scored.len() as u64, scorer.records() - 9);
/// assert_eq!(scorer.window(scored[0].seq).unwrap().len(), 10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RecordScorer<'d> {
    scorer: SlidingScorer<'d, (u64, UnswRow)>,
    batch_size: usize,
    window_len: usize,
    /// The newest records, enough to rebuild the window of any verdict just returned.
    recent: VecDeque<FlowRecord>,
    records: u64,
    /// The number and end of the oldest record waiting for its verdict, while one waits.
    oldest: Option<(u64, Timestamp)>,
}

impl<'d> RecordScorer<'d> {
    /// A scorer of `detector`, scoring `batch_size` windows per call (at least 1).
    pub fn new(detector: &'d Detector, batch_size: usize) -> Self {
        let batch_size = batch_size.max(1);
        let window_len = detector.sequence_length();
        Self {
            scorer: SlidingScorer::new(detector, batch_size),
            batch_size,
            window_len,
            recent: VecDeque::with_capacity(window_len + batch_size),
            records: 0,
            oldest: None,
        }
    }

    /// Adds the rows of finished records, in order; returns the flows scored now (whole
    /// batches).
    pub fn push(&mut self, ready: impl IntoIterator<Item = UnswRow>) -> Result<Vec<ScoredFlow>> {
        // Windows still waiting span at most `batch_size + window_len - 1` records; the ones
        // this call adds stay until the next call, so every verdict it returns has its window.
        let keep = self.window_len + self.batch_size;
        while self.recent.len() > keep {
            self.recent.pop_front();
        }
        let mut scored = Vec::new();
        for row in ready {
            let record = flow_record(&row);
            let (seq, ltime) = (self.records, row.ltime);
            self.scorer.add(&record, (seq, row))?;
            // Counted as soon as it is added: a failed batch below leaves it waiting, and
            // the numbers and windows of the records after it stay right.
            self.records += 1;
            self.recent.push_back(record);
            if self.scorer.waiting() == 1 {
                self.oldest = Some((seq, ltime));
            }
            if self.scorer.is_full() {
                scored.extend(collect(self.scorer.flush()?));
            }
        }
        if self.scorer.waiting() == 0 {
            self.oldest = None;
        }
        Ok(scored)
    }

    /// Scores the windows waiting now, however few.
    pub fn flush(&mut self) -> Result<Vec<ScoredFlow>> {
        let scored = collect(self.scorer.flush()?);
        self.oldest = None;
        Ok(scored)
    }

    /// The window whose verdict [`ScoredFlow`] number `seq` carries, while it is among the
    /// newest records (always for the flows the last call returned).
    pub fn window(&self, seq: u64) -> Option<Vec<FlowRecord>> {
        let newest = self.records.checked_sub(1)?;
        let back = usize::try_from(newest.checked_sub(seq)?).ok()?;
        let end = self.recent.len().checked_sub(back)?;
        let start = end.checked_sub(self.window_len)?;
        Some(self.recent.range(start..end).cloned().collect())
    }

    /// Records given so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The number and `ltime` of the oldest record still waiting for its verdict.
    pub fn oldest_waiting(&self) -> Option<(u64, Timestamp)> {
        self.oldest
    }
}

fn collect(verdicts: Vec<((u64, UnswRow), flow_features::Verdict)>) -> Vec<ScoredFlow> {
    verdicts
        .into_iter()
        .map(|((seq, row), verdict)| ScoredFlow { seq, row, verdict })
        .collect()
}
