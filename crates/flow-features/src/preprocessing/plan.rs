//! One column's plan: the checked lookup from a raw value to a number, and the affine map
//! that scales it.

use std::collections::HashMap;

use super::description::{ColumnSpec, Encoding, Scaling};
use crate::error::{Error, Result};
use crate::schema::{FEATURES, FeatureKind, feature_index};

#[derive(Debug, Clone)]
pub(super) struct ColumnPlan {
    pub(super) feature: usize,
    pub(super) lookup: Lookup,
    /// `ln(1 + x)` before the affine map.
    pub(super) log: bool,
    pub(super) scale: f64,
    pub(super) offset: f64,
}

/// How a column's raw value becomes the number that is then scaled.
#[derive(Debug, Clone)]
pub(super) enum Lookup {
    Number,
    Codes {
        codes: HashMap<String, usize>,
        unknown: Option<usize>,
    },
    Bins(Vec<f64>),
    Values {
        codes: HashMap<u64, usize>,
        unknown: usize,
    },
}

pub(super) fn bad<T>(message: String) -> Result<T> {
    Err(Error::Description(message))
}

impl ColumnPlan {
    /// The plan of one described column, or why the description cannot be used.
    pub(super) fn new(spec: &ColumnSpec) -> Result<Self> {
        let Some(feature) = feature_index(&spec.name) else {
            return bad(format!("unknown feature {:?}", spec.name));
        };
        let lookup = Lookup::new(spec, FEATURES[feature].kind)?;
        let (log, scale, offset) = affine(spec)?;
        Ok(Self {
            feature,
            lookup,
            log,
            scale,
            offset,
        })
    }
}

impl Lookup {
    /// How `spec`'s encoding turns a value of a `kind` feature into a number.
    pub(super) fn new(spec: &ColumnSpec, kind: FeatureKind) -> Result<Self> {
        Ok(match (&spec.encoding, kind) {
            (Encoding::Numeric, FeatureKind::Numeric) => Lookup::Number,
            (Encoding::Bins { edges }, FeatureKind::Numeric) => {
                if !edges.iter().all(|e| e.is_finite()) || !edges.is_sorted_by(|a, b| a < b) {
                    return bad(format!(
                        "{}: bin edges must be finite and increasing",
                        spec.name
                    ));
                }
                Lookup::Bins(edges.clone())
            }
            (
                Encoding::Values {
                    values,
                    unknown_code,
                },
                FeatureKind::Numeric,
            ) => {
                let codes: HashMap<u64, usize> = values
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| (value_key(v), i))
                    .collect();
                if !values.iter().all(|v| v.is_finite())
                    || codes.len() != values.len()
                    || *unknown_code < values.len()
                {
                    return bad(format!(
                        "{}: values must be distinct and finite, unknown_code at least \
                     their count",
                        spec.name
                    ));
                }
                Lookup::Values {
                    codes,
                    unknown: *unknown_code,
                }
            }
            (
                Encoding::Categorical {
                    vocabulary,
                    aliases,
                    unknown_code,
                },
                FeatureKind::Categorical,
            ) => {
                let mut codes: HashMap<_, _> = vocabulary
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v.clone(), i))
                    .collect();
                if codes.len() != vocabulary.len() || vocabulary.is_empty() {
                    return bad(format!(
                        "{}: vocabulary empty or with duplicates",
                        spec.name
                    ));
                }
                if let Some((from, to)) = aliases.iter().find(|(_, to)| !codes.contains_key(*to)) {
                    return bad(format!(
                        "{}: alias {from:?} -> {to:?} not in vocabulary",
                        spec.name
                    ));
                }
                // Aliases resolve in the same lookup as vocabulary values.
                for (from, to) in aliases {
                    codes.insert(from.clone(), codes[to]);
                }
                Lookup::Codes {
                    codes,
                    unknown: *unknown_code,
                }
            }
            (_, kind) => {
                return bad(format!(
                    "{}: encoding does not fit a {kind:?} feature",
                    spec.name
                ));
            }
        })
    }
}

/// `(log first, scale, offset)` of `spec`'s scaling: `x ↦ f(x) · scale + offset`.
pub(super) fn affine(spec: &ColumnSpec) -> Result<(bool, f64, f64)> {
    Ok(match spec.scaling {
        Scaling::Identity => (false, 1.0, 0.0),
        Scaling::MinMax { data_min, data_max } => {
            if !(data_min.is_finite() && data_max.is_finite() && data_max >= data_min) {
                return bad(format!(
                    "{}: min_max needs finite data_min <= data_max",
                    spec.name
                ));
            }
            let range = data_max - data_min;
            let scale = if range == 0.0 { 1.0 } else { 1.0 / range };
            (false, scale, -data_min * scale)
        }
        Scaling::LogStandard { mean, std } => {
            if !(mean.is_finite() && std.is_finite() && std > 0.0) {
                return bad(format!(
                    "{}: log_standard needs a finite mean and a positive std",
                    spec.name
                ));
            }
            (true, 1.0 / std, -mean / std)
        }
    })
}

/// Hash key of an exact number (`-0.0` and `0.0` are the same value).
pub(super) fn value_key(x: f64) -> u64 {
    (x + 0.0).to_bits()
}
