//! `preprocessing.json`: a model's window length, column order, and each column's encoding
//! and scaling.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The serialized form of `preprocessing.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreprocessingDescription {
    /// Flows per window the model reads.
    pub sequence_length: usize,
    /// Model input columns, in order.
    pub columns: Vec<ColumnSpec>,
}

/// How one model input column is computed from a flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// The flow feature the column reads (one of [`FEATURES`](crate::FEATURES)).
    pub name: String,
    /// How the raw value becomes a number.
    pub encoding: Encoding,
    /// How that number is scaled.
    pub scaling: Scaling,
}

/// How a raw feature value becomes a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Encoding {
    /// The value is already a number.
    Numeric,
    /// The value's index in a training vocabulary (scikit-learn `LabelEncoder` order).
    Categorical {
        /// Training values in code order.
        vocabulary: Vec<String>,
        /// Raw values renamed before lookup (the original mapped service `-` to `None`).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        aliases: BTreeMap<String, String>,
        /// Code of every value outside the vocabulary. When absent, such values are rejected
        /// (the original's models); trained models set it so that a protocol never seen in
        /// training is still scored, through a code learned from rare training values.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unknown_code: Option<usize>,
    },
    /// The number's index in a list of exact values (e.g. the byte counts that recur in
    /// training); every other number gets `unknown_code`.
    Values {
        /// Distinct finite values in code order.
        values: Vec<f64>,
        /// Code of every other number (at least `values.len()`).
        unknown_code: usize,
    },
    /// The index of the bin the number falls in: the count of `edges` at or below it
    /// (`0..=edges.len()`), e.g. quantile bins fitted on training rows.
    Bins {
        /// Increasing bin edges.
        edges: Vec<f64>,
    },
}

/// How an encoded number is scaled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Scaling {
    /// No scaling.
    Identity,
    /// scikit-learn `MinMaxScaler` to `[0, 1]` (not clipped): `x * scale + offset` with
    /// `scale = 1 / (data_max - data_min)` (1 when the range is 0), `offset = -data_min * scale`.
    MinMax {
        /// Smallest value seen when fitting.
        data_min: f64,
        /// Largest value seen when fitting.
        data_max: f64,
    },
    /// `(ln(1 + x) - mean) / std`: tames heavy-tailed counters (bytes, packets, rates) before
    /// standardizing; `mean` and `std` are those of `ln(1 + x)` over the training rows.
    LogStandard {
        /// Mean of `ln(1 + x)` when fitting.
        mean: f64,
        /// Standard deviation of `ln(1 + x)` when fitting (1 when it was 0).
        std: f64,
    },
}
