//! Network flow records in the UNSW-NB15 schema, ready for sequence models.
//!
//! This crate is the data path shared by the detector, the explainer and the service:
//!
//! - [`FlowRecord`] – the 34 model features of one flow ([`FEATURES`] gives their order);
//! - [`parse_window`] – untrusted JSON to records, with every broken rule reported by flow
//!   index and field ([`Violation`]);
//! - [`Preprocessor`] – category codes from training vocabularies and Min-Max scaling, as a
//!   model's `preprocessing.json` describes them, producing a [`FeatureMatrix`];
#![cfg_attr(
    feature = "fit",
    doc = "- [`PreprocessingDescription::fit`] (feature `fit`) – the trained models' \
           preprocessing (log-standardized numbers, category codes, quantile bins), fitted on \
           training rows;"
)]
//! - [`FeatureMatrix::sliding_windows`] – windows of consecutive flows;
#![cfg_attr(
    feature = "fit",
    doc = "- [`Split`] / [`window_labels`] (feature `fit`) – the evaluation protocol: stratified \
           random split, windows labelled by their last flow;"
)]
//! - [`Verdict`] / [`AttackCategory`] – a detector's probability, class and threshold for a
//!   window, and its category head's reading where the model has one;
//! - [`WindowStatistics`] – what a window looks like, for reports and explanations;
//! - [`occlusion_windows`] / [`Attribution`] – which flows and features moved a detector's
//!   score, by occlusion with a normal-traffic [`Baseline`];
#![cfg_attr(
    feature = "dataset",
    doc = "- [`FlowFileReader`] (feature `dataset`) – streaming readers for the Parquet and CSV \
           releases of UNSW-NB15;"
)]
//! - [`compat`] – the original service's per-request category coding, for parity checks only.
//!
//! The dataset readers (Arrow, Parquet, CSV) and the fitting code are optional, so a service
//! that only scores requests builds none of them.
//!
//! ```
//! use flow_features::{parse_window, Preprocessor};
//!
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed/preprocessing.json");
//! let preprocessor = Preprocessor::from_file(path)?;
//! let body: serde_json::Value =
//!     serde_json::from_str(include_str!("../tests/fixtures/sample_request.json"))?;
//! let flows = parse_window(&body["sequence"], preprocessor.sequence_length())?;
//! let window = preprocessor.window(&flows)?; // [10, 34], scaled, ready for a detector
//! assert_eq!(window.values().len(), 340);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod attribution;
pub mod compat;
#[cfg(feature = "dataset")]
mod dataset;
mod error;
#[cfg(feature = "fit")]
mod fitting;
mod matrix;
mod preprocessing;
mod schema;
#[cfg(feature = "fit")]
mod split;
mod statistics;
mod validate;
mod verdict;

pub use attribution::{Attribution, Baseline, FeatureInfluence, FlowInfluence, occlusion_windows};
#[cfg(feature = "dataset")]
pub use dataset::{CsvFlowReader, FlowFileReader, LabeledFlow, ParquetFlowReader, read_flows};
pub use error::{BoxError, Error, Result, Rule, Violation};
#[cfg(feature = "fit")]
pub use fitting::FitOptions;
pub use matrix::FeatureMatrix;
pub use preprocessing::{
    ColumnSpec, Encoding, MAX_SCALED, PreprocessingDescription, Preprocessor, Scaling,
    UNKNOWN_CATEGORY,
};
pub use schema::{FEATURES, Feature, FeatureKind, FeatureValue, FlowRecord, feature_index};
#[cfg(feature = "fit")]
pub use split::{Split, window_labels};
pub use statistics::{Standout, WindowStatistics};
pub use validate::{
    MAX_CATEGORY_LEN, is_category_text, parse_flow, parse_window, parse_window_request,
};
pub use verdict::{AttackCategory, CategoryScore, NORMAL_CATEGORY, TOP_CATEGORIES, Verdict};
