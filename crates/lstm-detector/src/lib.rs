//! A Burn LSTM that scores windows of network flows (UNSW-NB15 features) as normal or attack.
//!
//! - [`LstmDetectorConfig`] / [`LstmDetector`] – the network (Burn `Config` + `Module`), with
//!   an optional [`CategoryHead`] (a softmax over attack categories beside the attack output);
//! - [`Detector`] – a loaded model directory: preprocessing, network and threshold, `Send +
//!   Sync`, scoring single windows or a [`WindowBatch`];
//! - [`SlidingScorer`] – a stream of flows scored window by window, in bounded memory;
//! - [`ModelFiles`], [`ModelManifest`], [`write_model_dir`] – the model directory format
//!   (`model.json`, `preprocessing.json`, `weights.bpk`, optional `baseline.json`);
//! - [`load_burn_onnx_weights`] – weights from Burn's ONNX import, e.g. the original Keras model;
//! - [`train`] (feature `train`) – training with Burn's autodiff on the CPU;
//! - [`Evaluation`] / [`roc_curve`] – accuracy, per-class precision/recall/F1, ROC AUC;
//! - [`CategoryEvaluation`] – how well a category head names the kind of attack;
//! - [`compat`] – Burn's reference forward pass and the original service's category coding,
//!   for parity checks only.
//!
//! ```
//! use lstm_detector::Detector;
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed");
//! let detector = Detector::from_dir(dir)?; // e.g. "models/unsw-nb15-seed"
//! // Two encoded, scaled windows of 10 flows of 34 values.
//! let windows = lstm_detector::WindowBatch::from_values(vec![0.5_f32; 2 * 10 * 34], 10, 34)?;
//! let probabilities = detector.probabilities(&windows)?;
//! assert_eq!(probabilities.len(), 2);
//! # Ok::<(), lstm_detector::Error>(())
//! ```
#![deny(missing_docs)]

mod backend;
mod batch;
mod category_evaluation;
mod category_head;
pub mod compat;
mod denormals;
mod detector;
mod error;
mod evaluation;
mod fast;
mod model;
mod model_dir;
mod onnx_import;
mod stream;
#[cfg(feature = "train")]
mod training;

pub use backend::Backend;
pub use batch::WindowBatch;
pub use category_evaluation::{CategoryEvaluation, CategoryMetrics};
pub use category_head::{CategoryHead, CategoryMember};
pub use detector::Detector;
pub use error::{BoxError, Error, Result};
pub use evaluation::{ClassMetrics, Evaluation, RocPoint, roc_curve};
/// The verdict type the detector returns (defined by `flow-features`, shared by every layer).
pub use flow_features::Verdict;
pub use model::{EmbeddingLayout, LstmDetector, LstmDetectorConfig};
pub use model_dir::{
    BASELINE_FILE, MANIFEST_FILE, ModelFiles, ModelManifest, PREPROCESSING_FILE, WEIGHTS_FILE,
    write_baseline, write_model_dir,
};
pub use onnx_import::load_burn_onnx_weights;
pub use stream::SlidingScorer;
#[cfg(feature = "train")]
pub use training::{
    Calibration, CategoryEpochReport, CategoryTraining, EpochReport, LabeledRows, NetworkConfig,
    TrainedModel, TrainingConfig, TrainingObserver, train,
};
