//! Reference and parity paths, kept to test the detector and to measure parity with the
//! original service, never to serve.

use burn::tensor::{Tensor, TensorData};
use flow_features::{FlowRecord, Verdict};

use crate::batch::WindowBatch;
use crate::detector::Detector;
use crate::error::Result;

/// The probabilities of [`Detector::probabilities`] computed by the Burn module
/// ([`LstmDetector::forward`](crate::LstmDetector::forward) on the detector's backend): the
/// reference the hand-written forward pass is tested against, several times slower.
///
/// ```
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed");
/// let detector = lstm_detector::Detector::from_dir(dir)?;
/// let batch = lstm_detector::WindowBatch::from_values(vec![0.5; 10 * 34], 10, 34)?;
/// let burn = lstm_detector::compat::burn_probabilities(&detector, &batch)?;
/// assert!((burn[0] - detector.probabilities(&batch)?[0]).abs() < 1e-5);
/// # Ok::<(), lstm_detector::Error>(())
/// ```
pub fn burn_probabilities(detector: &Detector, batch: &WindowBatch) -> Result<Vec<f32>> {
    detector.check_batch(batch)?;
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let shape = [batch.len(), batch.rows(), batch.columns()];
    let data = TensorData::new(batch.values().to_vec(), shape);
    let input = Tensor::<3>::from_data(data, detector.device());
    Ok(detector
        .network()
        .forward(input)
        .into_data()
        .try_to_vec::<f32>()?)
}

/// The category probabilities of [`Detector::category_probabilities`] computed by the Burn
/// module ([`LstmDetector::category_probabilities`](crate::LstmDetector::category_probabilities));
/// `None` without a category head.
pub fn burn_category_probabilities(
    detector: &Detector,
    batch: &WindowBatch,
) -> Result<Option<Vec<f32>>> {
    detector.check_batch(batch)?;
    if batch.is_empty() || detector.categories().is_none() {
        return Ok(detector.categories().map(|_| Vec::new()));
    }
    let shape = [batch.len(), batch.rows(), batch.columns()];
    let data = TensorData::new(batch.values().to_vec(), shape);
    let input = Tensor::<3>::from_data(data, detector.device());
    detector
        .network()
        .category_probabilities(input)
        .map(|p| p.into_data().try_to_vec::<f32>().map_err(Into::into))
        .transpose()
}

/// Scores one window as the original service did, with category codes recomputed from the
/// window's own values (see [`flow_features::compat::window_per_request`]): what its
/// TensorFlow golden outputs were made with.
pub fn predict_per_request(detector: &Detector, flows: &[FlowRecord]) -> Result<Verdict> {
    let window = flow_features::compat::window_per_request(detector.preprocessor(), flows)?;
    Ok(crate::detector::first(
        detector.predict_batch(&WindowBatch::from_window(window))?,
    ))
}
