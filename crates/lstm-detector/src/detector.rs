//! The inference handle: a loaded model with its preprocessing, shared across threads.

use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};
use flow_features::{
    Attribution, Baseline, CategoryCoding, FeatureMatrix, FlowRecord, Preprocessor, Verdict,
    occlusion_windows,
};

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::fast::FastNetwork;
use crate::model::LstmDetector;
use crate::model_dir::{
    ModelFiles, ModelManifest, check_fit, load_weights, write_baseline, write_model_dir,
};

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
            .map_err(|e| Error::InvalidModel(format!("baseline: {e}")))?;
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

    /// Scores one window of exactly [`sequence_length`](Self::sequence_length) flows.
    pub fn predict(&self, flows: &[FlowRecord]) -> Result<Verdict> {
        self.predict_with(flows, CategoryCoding::Training)
    }

    /// Scores one window with an explicit category coding (see [`CategoryCoding`]).
    pub fn predict_with(&self, flows: &[FlowRecord], coding: CategoryCoding) -> Result<Verdict> {
        let window = self.preprocessor.window_with(flows, coding)?;
        Ok(self.verdict(self.probabilities(window.values())?[0]))
    }

    /// Scores several windows in one batched call, in order. Windows breaking the rules are
    /// all reported, by index, in [`Error::InvalidWindows`].
    pub fn predict_many(&self, windows: &[Vec<FlowRecord>]) -> Result<Vec<Verdict>> {
        if windows.is_empty() {
            return Ok(Vec::new());
        }
        let batch = self.encode_batch(windows)?;
        Ok(self
            .probabilities(&batch)?
            .into_iter()
            .map(|p| self.verdict(p))
            .collect())
    }

    /// Encodes windows into one row-major batch, collecting every invalid window.
    fn encode_batch(&self, windows: &[Vec<FlowRecord>]) -> Result<Vec<f32>> {
        let per_window = self.sequence_length() * self.preprocessor.columns();
        let mut batch = Vec::with_capacity(windows.len() * per_window);
        let mut invalid = Vec::new();
        for (index, window) in windows.iter().enumerate() {
            match self.preprocessor.window(window) {
                Ok(encoded) => batch.extend_from_slice(encoded.values()),
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
            Some(baseline) => self.occlude(flows, baseline).map(Some),
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
                let attribution = self.occlude(flows, baseline)?;
                Ok((self.verdict(attribution.probability), Some(attribution)))
            }
            None => Ok((self.predict(flows)?, None)),
        }
    }

    fn occlude(&self, flows: &[FlowRecord], baseline: &Baseline) -> Result<Attribution> {
        let batch = match self.encode_batch(&occlusion_windows(flows, &baseline.flow)) {
            // Occlusion window 0 is the window itself: report its problems as `predict` does.
            Err(Error::InvalidWindows(mut invalid)) if invalid[0].0 == 0 => {
                return Err(flow_features::Error::Invalid(invalid.swap_remove(0).1).into());
            }
            batch => batch?,
        };
        let probabilities = self.probabilities(&batch)?;
        Ok(Attribution::from_probabilities(
            flows,
            &baseline.flow,
            &probabilities,
        ))
    }

    /// Scores every sliding window of `matrix` (rows from [`Preprocessor::encode`]): one
    /// prediction per flow from the `sequence_length`-th on, in `batch_size` chunks.
    pub fn predict_sliding(
        &self,
        matrix: &FeatureMatrix,
        batch_size: usize,
    ) -> Result<Vec<Verdict>> {
        let rows = self.sequence_length();
        let mut out = Vec::with_capacity(matrix.rows().saturating_sub(rows - 1));
        let windows: Vec<&[f32]> = matrix.sliding_windows(rows).collect();
        let mut batch = Vec::new();
        for chunk in windows.chunks(batch_size.max(1)) {
            batch.clear();
            chunk.iter().for_each(|w| batch.extend_from_slice(w));
            out.extend(
                self.probabilities(&batch)?
                    .into_iter()
                    .map(|p| self.verdict(p)),
            );
        }
        Ok(out)
    }

    /// Attack probabilities of a batch of encoded windows, concatenated row-major
    /// (`[batch, sequence_length, columns]` flattened).
    ///
    /// Computed by a hand-written forward pass over the network's weights (plain matrix
    /// products, large batches split across cores), which agrees with Burn's
    /// [`burn_probabilities`](Self::burn_probabilities) to float rounding and is several times
    /// faster.
    pub fn probabilities(&self, windows: &[f32]) -> Result<Vec<f32>> {
        self.check_batch(windows)?;
        self.fast.probabilities(windows, self.sequence_length())
    }

    /// The hand-written network, for the fast path's own tests.
    #[cfg(test)]
    pub(crate) fn fast_network(&self) -> &FastNetwork {
        &self.fast
    }

    /// The same probabilities computed by the Burn module ([`LstmDetector::forward`] on the
    /// detector's backend): the reference the fast path is tested against.
    pub fn burn_probabilities(&self, windows: &[f32]) -> Result<Vec<f32>> {
        let batch = self.check_batch(windows)?;
        let (rows, columns) = (self.sequence_length(), self.preprocessor.columns());
        let data = TensorData::new(windows.to_vec(), [batch, rows, columns]);
        let input = Tensor::<3>::from_data(data, &self.device);
        let output = self.model.forward(input).into_data();
        output
            .try_to_vec::<f32>()
            .map_err(|e| Error::Backend(format!("{e:?}")))
    }

    /// Number of windows in `windows`, or the shape error.
    fn check_batch(&self, windows: &[f32]) -> Result<usize> {
        let (rows, columns) = (self.sequence_length(), self.preprocessor.columns());
        let per_window = rows * columns;
        if windows.is_empty() || !windows.len().is_multiple_of(per_window) {
            return Err(Error::BatchShape {
                len: windows.len(),
                rows,
                columns,
            });
        }
        Ok(windows.len() / per_window)
    }

    fn verdict(&self, probability: f32) -> Verdict {
        Verdict::from_probability(probability, self.manifest.threshold)
    }
}
