//! Scoring a stream of flows: every flow gets the verdict of the window it ends.

use flow_features::{FlowRecord, Verdict};

use crate::detector::Detector;
use crate::error::Result;

/// Slides a window over flows as they arrive and scores the windows in batches.
///
/// Each pushed flow carries a tag (a row number, a flow's identity, …). Once
/// `sequence_length - 1` flows precede it, a flow ends a window; that window's verdict comes
/// back with the flow's tag, in order, when `batch_size` windows are waiting or on
/// [`flush`](Self::flush). The first `sequence_length - 1` flows are context only and get no
/// verdict. Memory is one window's rows plus one batch, whatever the stream's length.
///
/// ```
/// use lstm_detector::{Detector, SlidingScorer};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed");
/// # let body: serde_json::Value = serde_json::from_str(include_str!(concat!(
/// #     env!("CARGO_MANIFEST_DIR"), "/../flow-features/tests/fixtures/sample_request.json")))?;
/// # let flows = flow_features::parse_window(&body["sequence"], 10)?;
/// let detector = Detector::from_dir(dir)?;
/// let mut scorer = SlidingScorer::new(&detector, 256);
/// let mut scored = Vec::new();
/// for (row, flow) in flows.iter().chain(&flows).enumerate() { // 20 flows, e.g. from a file
///     scored.extend(scorer.push(flow, row)?);
/// }
/// scored.extend(scorer.flush()?);
/// let rows: Vec<usize> = scored.iter().map(|(row, _)| *row).collect();
/// assert_eq!(rows, (9..20).collect::<Vec<_>>()); // one verdict per flow from the 10th on
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SlidingScorer<'d, T> {
    detector: &'d Detector,
    batch_size: usize,
    columns: usize,
    /// The encoded rows of the waiting windows, consecutive: the `sequence_length - 1` rows
    /// before the first one's newest, then one per waiting window (fewer before the first
    /// window). Each row is stored once, however many windows hold it.
    run: Vec<f32>,
    tags: Vec<T>,
}

impl<'d, T> SlidingScorer<'d, T> {
    /// A scorer over `detector`, scoring `batch_size` windows per call (at least 1).
    pub fn new(detector: &'d Detector, batch_size: usize) -> Self {
        let batch_size = batch_size.max(1);
        let columns = detector.preprocessor().columns();
        Self {
            detector,
            batch_size,
            columns,
            run: Vec::with_capacity((batch_size + detector.sequence_length()) * columns),
            tags: Vec::with_capacity(batch_size),
        }
    }

    /// Encodes `flow` and adds it; returns the verdicts of a full batch, else nothing yet.
    /// A flow the model cannot encode is an error and is not added; if scoring the full
    /// batch fails, the flow is added and its window waits (see [`flush`](Self::flush)).
    pub fn push(&mut self, flow: &FlowRecord, tag: T) -> Result<Vec<(T, Verdict)>> {
        self.add(flow, tag)?;
        self.flush_if_full()
    }

    /// Adds a flow already encoded by the detector's preprocessor (one row of
    /// [`flow_features::Preprocessor::encode`]); see [`push`](Self::push).
    pub fn push_encoded(&mut self, row: &[f32], tag: T) -> Result<Vec<(T, Verdict)>> {
        self.add_encoded(row, tag)?;
        self.flush_if_full()
    }

    /// Encodes `flow` and adds it without scoring anything: [`push`](Self::push) for a
    /// caller that tells adding from scoring (e.g. to count the flow whatever the scoring
    /// does). A flow the model cannot encode is an error and is not added.
    pub fn add(&mut self, flow: &FlowRecord, tag: T) -> Result<()> {
        let row = self
            .detector
            .preprocessor()
            .encode(std::slice::from_ref(flow))?;
        self.add_encoded(row.values(), tag)
    }

    /// [`add`](Self::add) for a flow already encoded. A row of the wrong length, or whose
    /// codes the network cannot read, is an error and is not added (so it cannot fail every
    /// batch after it).
    pub fn add_encoded(&mut self, row: &[f32], tag: T) -> Result<()> {
        if row.len() != self.columns {
            return Err(crate::Error::BatchShape {
                len: row.len(),
                rows: 1,
                columns: self.columns,
            });
        }
        self.detector.check_encoded(row)?;
        self.run.extend_from_slice(row);
        if self.run.len() / self.columns >= self.detector.sequence_length() {
            self.tags.push(tag);
        }
        Ok(())
    }

    /// Whether a whole batch of windows waits.
    pub fn is_full(&self) -> bool {
        self.tags.len() >= self.batch_size
    }

    fn flush_if_full(&mut self) -> Result<Vec<(T, Verdict)>> {
        if self.is_full() {
            self.flush()
        } else {
            Ok(Vec::new())
        }
    }

    /// Scores the windows waiting now: at the end of the stream, or to bound latency. On an
    /// error the windows stay waiting.
    pub fn flush(&mut self) -> Result<Vec<(T, Verdict)>> {
        if self.tags.is_empty() {
            return Ok(Vec::new());
        }
        let verdicts = self.detector.predict_run(&self.run)?;
        debug_assert_eq!(verdicts.len(), self.tags.len());
        // The newest `sequence_length - 1` rows are the next windows' context.
        let context = self.detector.sequence_length().saturating_sub(1) * self.columns;
        self.run.drain(..self.run.len() - context);
        Ok(self.tags.drain(..).zip(verdicts).collect())
    }

    /// Windows waiting for a score.
    pub fn waiting(&self) -> usize {
        self.tags.len()
    }
}
