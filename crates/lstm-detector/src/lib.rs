//! A Burn LSTM that scores windows of network flows (UNSW-NB15 features) as normal or attack.
//!
//! - [`LstmDetectorConfig`] / [`LstmDetector`] – the network (Burn `Config` + `Module`);
//! - [`Detector`] – a loaded model directory: preprocessing, network and threshold, `Send +
//!   Sync`, scoring single windows or batches;
//! - [`ModelFiles`], [`ModelManifest`], [`write_model_dir`] – the model directory format
//!   (`model.json`, `preprocessing.json`, `weights.bpk`, optional `baseline.json`);
//! - [`load_burn_onnx_weights`] – weights from Burn's ONNX import, e.g. the original Keras model;
//! - [`train`] (feature `train`) – training with Burn's autodiff on the CPU;
//! - [`Evaluation`] / [`roc_curve`] – accuracy, per-class precision/recall/F1, ROC AUC.
//!
//! ```
//! use lstm_detector::Detector;
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed");
//! let detector = Detector::from_dir(dir)?; // e.g. "models/unsw-nb15-seed"
//! let windows = vec![0.5_f32; 2 * 10 * 34]; // two encoded, scaled windows
//! let probabilities = detector.probabilities(&windows)?;
//! assert_eq!(probabilities.len(), 2);
//! # Ok::<(), lstm_detector::Error>(())
//! ```
#![deny(missing_docs)]

mod backend;
mod denormals;
mod detector;
mod error;
mod evaluation;
mod fast;
mod model;
mod model_dir;
mod onnx_import;
#[cfg(feature = "train")]
mod training;

pub use backend::Backend;
pub use detector::Detector;
pub use error::{Error, Result};
pub use evaluation::{ClassMetrics, Evaluation, RocPoint, roc_curve};
/// The verdict type the detector returns (defined by `flow-features`, shared by every layer).
pub use flow_features::Verdict;
pub use model::{EmbeddingLayout, LstmDetector, LstmDetectorConfig};
pub use model_dir::{
    BASELINE_FILE, MANIFEST_FILE, ModelFiles, ModelManifest, PREPROCESSING_FILE, WEIGHTS_FILE,
    write_baseline, write_model_dir,
};
pub use onnx_import::load_burn_onnx_weights;
#[cfg(feature = "train")]
pub use training::{
    EpochReport, LabeledRows, TrainedModel, TrainingConfig, TrainingObserver, architecture, train,
};
