//! The inference handle: a loaded model with its preprocessing, shared across threads.

use std::path::Path;

use burn::tensor::Device;
use flow_features::{
    AttackCategory, Attribution, Baseline, FeatureMatrix, FlowRecord, NORMAL_CATEGORY,
    Preprocessor, Verdict, occlusion_windows,
};

use crate::backend::Backend;
use crate::batch::WindowBatch;
use crate::error::{Error, Result};
use crate::fast::{Arrangement, FastNetwork, Scores};
use crate::model::LstmDetector;
use crate::model_dir::{
    ModelFiles, ModelManifest, check_fit, load_weights, write_baseline, write_model_dir,
};
use crate::stream::SlidingScorer;

/// A loaded detector: network, preprocessing and threshold. `Send + Sync`: share one behind an
/// `Arc` across server workers; concurrent calls do not block each other.
///
/// ```
/// use lstm_detector::Detector;
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed");
/// let detector = Detector::from_dir(dir)?; // e.g. "models/unsw-nb15-seed"
/// let body: serde_json::Value = serde_json::from_str(include_str!(concat!(
///     env!("CARGO_MANIFEST_DIR"), "/../flow-features/tests/fixtures/sample_request.json")))?;
/// let flows = flow_features::parse_window(&body["sequence"], detector.sequence_length())?;
/// let verdict = detector.predict(&flows)?;
/// assert!((0.0..=1.0).contains(&verdict.probability));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Detector {
    model: LstmDetector,
    fast: FastNetwork,
    preprocessor: Preprocessor,
    manifest: ModelManifest,
    baseline: Option<Baseline>,
    device: Device,
}

impl Detector {
    /// Loads a model directory on the default backend.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        Self::load(&ModelFiles::read_dir(dir)?, Backend::default())
    }

    /// Loads a model from its files on `backend`.
    pub fn load(files: &ModelFiles, backend: Backend) -> Result<Self> {
        let manifest = files.parse_manifest()?;
        let preprocessor = Preprocessor::from_json(&files.preprocessing)?;
        check_fit(&manifest, &preprocessor)?;
        let device = backend.device();
        let mut model = manifest.architecture.init_for_load(&device);
        load_weights(&mut model, &mut files.weights_store())?;
        let detector = Self {
            fast: FastNetwork::new(&model, preprocessor.columns())?,
            model,
            preprocessor,
            manifest,
            baseline: None,
            device,
        };
        match files.parse_baseline()? {
            Some(baseline) => detector.with_baseline(baseline),
            None => Ok(detector),
        }
    }

    /// Wraps a network already in memory (e.g. just trained or imported).
    pub fn from_parts(
        model: LstmDetector,
        preprocessor: Preprocessor,
        manifest: ModelManifest,
        device: Device,
    ) -> Result<Self> {
        check_fit(&manifest, &preprocessor)?;
        Ok(Self {
            fast: FastNetwork::new(&model, preprocessor.columns())?,
            model,
            preprocessor,
            manifest,
            baseline: None,
            device,
        })
    }

    /// Writes the model directory (`model.json`, `preprocessing.json`, `weights.bpk`, and
    /// `baseline.json` when the detector has a baseline).
    pub fn write_dir(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        write_model_dir(
            dir,
            &self.manifest,
            self.preprocessor.description(),
            &self.model,
        )?;
        match &self.baseline {
            Some(baseline) => write_baseline(dir, baseline),
            None => Ok(()),
        }
    }

    /// Sets the normal-traffic baseline used by [`attribute`](Self::attribute).
    pub fn with_baseline(mut self, baseline: Baseline) -> Result<Self> {
        // A baseline outside the training vocabularies could not be scored.
        self.preprocessor
            .window(&vec![baseline.flow.clone(); self.sequence_length()])
            .map_err(Error::Baseline)?;
        self.baseline = Some(baseline);
        Ok(self)
    }

    /// The normal-traffic baseline of the model directory, if it has one.
    pub fn baseline(&self) -> Option<&Baseline> {
        self.baseline.as_ref()
    }

    /// The model's manifest (id, architecture, threshold).
    pub fn manifest(&self) -> &ModelManifest {
        &self.manifest
    }

    /// The encoder and scaler the model expects.
    pub fn preprocessor(&self) -> &Preprocessor {
        &self.preprocessor
    }

    /// Flows per window.
    pub fn sequence_length(&self) -> usize {
        self.preprocessor.sequence_length()
    }

    /// Names of the categories the model's category head scores, in its output order;
    /// `None` when it has no category head (the original's model).
    pub fn categories(&self) -> Option<&[String]> {
        self.manifest.architecture.categories.as_deref()
    }

    /// Scores one window of exactly [`sequence_length`](Self::sequence_length) flows.
    pub fn predict(&self, flows: &[FlowRecord]) -> Result<Verdict> {
        let window = self.preprocessor.window(flows)?;
        Ok(first(
            self.predict_batch(&WindowBatch::from_window(window))?,
        ))
    }

    /// Verdicts of a batch of encoded windows, in order, from one batched call.
    ///
    /// ```
    /// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed");
    /// # let body: serde_json::Value = serde_json::from_str(include_str!(concat!(
    /// #     env!("CARGO_MANIFEST_DIR"), "/../flow-features/tests/fixtures/sample_request.json")))?;
    /// # let flows = flow_features::parse_window(&body["sequence"], 10)?;
    /// let detector = lstm_detector::Detector::from_dir(dir)?;
    /// let batch = detector.encode_windows(&[flows.clone(), flows.clone()])?;
    /// let verdicts = detector.predict_batch(&batch)?;
    /// assert_eq!(verdicts, vec![detector.predict(&flows)?; 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict_batch(&self, batch: &WindowBatch) -> Result<Vec<Verdict>> {
        Ok(self.verdicts(&self.scores(batch)?))
    }

    /// Encodes windows of flows into one batch, in order. Windows breaking the rules are all
    /// reported, by index, in [`Error::InvalidWindows`].
    pub fn encode_windows(&self, windows: &[Vec<FlowRecord>]) -> Result<WindowBatch> {
        let mut batch = WindowBatch::new(self.sequence_length(), self.preprocessor.columns());
        let mut invalid = Vec::new();
        for (index, window) in windows.iter().enumerate() {
            match self.preprocessor.window(window) {
                Ok(encoded) => batch.push(&encoded)?,
                Err(flow_features::Error::Invalid(violations)) => invalid.push((index, violations)),
                Err(other) => return Err(other.into()),
            }
        }
        if invalid.is_empty() {
            Ok(batch)
        } else {
            Err(Error::InvalidWindows(invalid))
        }
    }

    /// Which flows and features moved this window's probability: occlusion by the model's
    /// baseline (see [`occlusion_windows`]), scored in one batch of `1 + flows + 34` windows.
    /// `None` when the model has no baseline.
    ///
    /// ```
    /// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed");
    /// # let body: serde_json::Value = serde_json::from_str(include_str!(concat!(
    /// #     env!("CARGO_MANIFEST_DIR"), "/../flow-features/tests/fixtures/sample_request.json")))?;
    /// let detector = lstm_detector::Detector::from_dir(dir)?;
    /// # let flows = flow_features::parse_window(&body["sequence"], 10)?;
    /// let attribution = detector.attribute(&flows)?.expect("the seed model has a baseline");
    /// assert_eq!(attribution.flows.len(), 10);
    /// assert_eq!(attribution.features.len(), 34);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attribute(&self, flows: &[FlowRecord]) -> Result<Option<Attribution>> {
        match &self.baseline {
            Some(baseline) => Ok(Some(self.occlude(flows, baseline)?.1)),
            None => Ok(None),
        }
    }

    /// The verdict and, when the model has a baseline, the attribution behind it, from one
    /// batched call (the attribution scores the window itself first): what an explanation
    /// is built from.
    ///
    /// ```
    /// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed");
    /// # let body: serde_json::Value = serde_json::from_str(include_str!(concat!(
    /// #     env!("CARGO_MANIFEST_DIR"), "/../flow-features/tests/fixtures/sample_request.json")))?;
    /// let detector = lstm_detector::Detector::from_dir(dir)?;
    /// # let flows = flow_features::parse_window(&body["sequence"], 10)?;
    /// let (verdict, attribution) = detector.assess(&flows)?;
    /// assert!((verdict.probability - detector.predict(&flows)?.probability).abs() < 1e-6);
    /// assert_eq!(attribution.unwrap().probability, verdict.probability);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn assess(&self, flows: &[FlowRecord]) -> Result<(Verdict, Option<Attribution>)> {
        match &self.baseline {
            Some(baseline) => {
                let (scores, attribution) = self.occlude(flows, baseline)?;
                Ok((self.verdict(&scores, 0), Some(attribution)))
            }
            None => Ok((self.predict(flows)?, None)),
        }
    }

    /// The scores of the occlusion windows (the window itself first) and the attribution.
    fn occlude(&self, flows: &[FlowRecord], baseline: &Baseline) -> Result<(Scores, Attribution)> {
        let batch = match self.encode_windows(&occlusion_windows(flows, &baseline.flow)) {
            // Occlusion window 0 is the window itself: report its problems as `predict` does.
            Err(Error::InvalidWindows(mut invalid)) if invalid[0].0 == 0 => {
                return Err(flow_features::Error::Invalid(invalid.swap_remove(0).1).into());
            }
            batch => batch?,
        };
        let scores = self.scores(&batch)?;
        let attribution =
            Attribution::from_probabilities(flows, &baseline.flow, &scores.probabilities);
        Ok((scores, attribution))
    }

    /// Verdicts of every sliding window of `matrix` (rows from [`Preprocessor::encode`]): one
    /// per flow from the `sequence_length`-th on, scored `batch_size` windows at a time. The
    /// in-memory form of [`SlidingScorer`], which streams.
    pub fn predict_sliding(
        &self,
        matrix: &FeatureMatrix,
        batch_size: usize,
    ) -> Result<Vec<Verdict>> {
        let mut scorer = SlidingScorer::new(self, batch_size);
        let mut verdicts = Vec::with_capacity(matrix.rows());
        for i in 0..matrix.rows() {
            let scored = scorer.push_encoded(matrix.row(i), ())?;
            verdicts.extend(scored.into_iter().map(|((), verdict)| verdict));
        }
        verdicts.extend(scorer.flush()?.into_iter().map(|((), verdict)| verdict));
        Ok(verdicts)
    }

    /// Attack probabilities of a batch of encoded windows, in order (none for an empty batch).
    ///
    /// Computed by a hand-written forward pass over the network's weights (plain matrix
    /// products, large batches split across cores), which agrees with Burn's
    /// [`compat::burn_probabilities`](crate::compat::burn_probabilities) to float rounding and
    /// is several times faster.
    pub fn probabilities(&self, batch: &WindowBatch) -> Result<Vec<f32>> {
        Ok(self.scores(batch)?.probabilities)
    }

    /// Category probabilities of a batch of encoded windows: one row of
    /// [`categories`](Self::categories)`.len()` values per window, in order, from the same
    /// pass as [`probabilities`](Self::probabilities); `None` without a category head.
    pub fn category_probabilities(&self, batch: &WindowBatch) -> Result<Option<Vec<f32>>> {
        let scores = self.scores(batch)?;
        Ok(self.categories().map(|_| scores.categories))
    }

    fn scores(&self, batch: &WindowBatch) -> Result<Scores> {
        self.check_batch(batch)?;
        if batch.is_empty() {
            return Ok(Scores {
                probabilities: Vec::new(),
                categories: Vec::new(),
            });
        }
        self.fast
            .scores(batch.values(), batch.rows(), Arrangement::Separate)
    }

    /// An error unless `row` is one flow the network can read (its codes inside their
    /// embedding tables): what [`SlidingScorer`] checks before keeping a row.
    pub(crate) fn check_encoded(&self, row: &[f32]) -> Result<()> {
        self.fast.check_codes(row)
    }

    /// Verdicts of the sliding windows over `rows` consecutive encoded flows (one per flow from
    /// the `sequence_length`-th on), each flow projected once for all its windows: what
    /// [`SlidingScorer`] scores a batch with.
    pub(crate) fn predict_run(&self, rows: &[f32]) -> Result<Vec<Verdict>> {
        let columns = self.preprocessor.columns();
        if columns == 0 || !rows.len().is_multiple_of(columns) {
            return Err(Error::BatchShape {
                len: rows.len(),
                rows: 1,
                columns,
            });
        }
        let steps = self.sequence_length();
        if Arrangement::Sliding.windows(rows.len() / columns, steps) == 0 {
            return Ok(Vec::new());
        }
        Ok(self.verdicts(&self.fast.scores(rows, steps, Arrangement::Sliding)?))
    }

    /// The hand-written network, for the fast path's own tests.
    #[cfg(test)]
    pub(crate) fn fast_network(&self) -> &FastNetwork {
        &self.fast
    }

    /// The Burn module, for [`crate::compat`].
    pub(crate) fn network(&self) -> &LstmDetector {
        &self.model
    }

    /// The Burn device the module lives on, for [`crate::compat`].
    pub(crate) fn device(&self) -> &Device {
        &self.device
    }

    /// The shape error unless `batch` holds this model's windows.
    pub(crate) fn check_batch(&self, batch: &WindowBatch) -> Result<()> {
        let (rows, columns) = (self.sequence_length(), self.preprocessor.columns());
        if batch.rows() != rows || batch.columns() != columns {
            return Err(Error::WindowShape {
                rows: batch.rows(),
                columns: batch.columns(),
                expected_rows: rows,
                expected_columns: columns,
            });
        }
        Ok(())
    }

    /// The verdict on every window of `scores`, in order.
    fn verdicts(&self, scores: &Scores) -> Vec<Verdict> {
        (0..scores.probabilities.len())
            .map(|i| self.verdict(scores, i))
            .collect()
    }

    /// The verdict on window `index` of `scores`.
    fn verdict(&self, scores: &Scores, index: usize) -> Verdict {
        let verdict =
            Verdict::from_probability(scores.probabilities[index], self.manifest.threshold);
        let category = self.categories().map(|names| {
            let row = &scores.categories[index * names.len()..][..names.len()];
            match names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(NORMAL_CATEGORY))
            {
                Some(normal) => AttackCategory::given_verdict(
                    names,
                    row,
                    normal,
                    verdict.probability,
                    verdict.is_attack(),
                ),
                None => AttackCategory::from_probabilities(names, row),
            }
        });
        verdict.with_category(category)
    }
}

/// The one verdict of a one-window batch.
pub(crate) fn first(verdicts: Vec<Verdict>) -> Verdict {
    verdicts
        .into_iter()
        .next()
        .expect("a batch of one window has one verdict")
}
