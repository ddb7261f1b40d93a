//! The preprocessing description stored with each model, and the encoder/scaler built from it.
//!
//! A model directory carries `preprocessing.json`: the model's column order, its window length,
//! how each column is encoded (number, or category code from a training vocabulary) and how it
//! is scaled. Serving applies exactly what training recorded.
//!
//! - [`description`] – the serialized description (`preprocessing.json`);
//! - [`plan`] – each column's checked lookup and affine map, built from it.

mod description;
mod plan;

use std::collections::HashMap;
use std::path::Path;

pub use description::{ColumnSpec, Encoding, PreprocessingDescription, Scaling};
use plan::{ColumnPlan, Lookup, bad, value_key};

use crate::error::{Error, Result, Rule, Violation};
use crate::matrix::FeatureMatrix;
use crate::schema::{FeatureValue, FlowRecord};

/// Largest magnitude of a scaled value: beyond it, sums inside a network can overflow f32 and
/// turn its output into NaN. Real flows stay far below (the largest seen scale to ~1e7).
pub const MAX_SCALED: f64 = 1e30;

/// What [`Preprocessor::mask_unknown`] shows instead of a category value the model was not
/// trained on.
pub const UNKNOWN_CATEGORY: &str = "unknown";

/// How category values become codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CategoryCoding {
    /// Codes from the model's training vocabularies; unknown values are errors.
    Training,
    /// The original Python service's defect, reachable through [`crate::compat`] only.
    PerRequest,
}

/// Encodes and scales flows as one model expects, built from a [`PreprocessingDescription`].
///
/// ```
/// use flow_features::{parse_window, Preprocessor};
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed/preprocessing.json");
/// let pre = Preprocessor::from_file(path)?; // e.g. "models/unsw-nb15-seed/preprocessing.json"
/// let body: serde_json::Value =
///     serde_json::from_str(include_str!("../../tests/fixtures/sample_request.json"))?;
/// let flows = parse_window(&body["sequence"], pre.sequence_length())?;
/// let window = pre.window(&flows)?;
/// assert_eq!((window.rows(), window.columns()), (10, 34));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Preprocessor {
    description: PreprocessingDescription,
    columns: Vec<ColumnPlan>,
}

impl Preprocessor {
    /// Checks a description and prepares the lookups.
    pub fn new(description: PreprocessingDescription) -> Result<Self> {
        if description.sequence_length == 0 {
            return bad("sequence_length must be at least 1".into());
        }
        if description.columns.is_empty() {
            return bad("no columns".into());
        }
        let columns = description
            .columns
            .iter()
            .map(ColumnPlan::new)
            .collect::<Result<_>>()?;
        Ok(Self {
            description,
            columns,
        })
    }

    /// Parses and checks a `preprocessing.json` document.
    pub fn from_json(json: &str) -> Result<Self> {
        let description: PreprocessingDescription =
            serde_json::from_str(json).map_err(Error::DescriptionJson)?;
        Self::new(description)
    }

    /// Reads and checks a `preprocessing.json` file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&json)
    }

    /// The description this preprocessor applies.
    pub fn description(&self) -> &PreprocessingDescription {
        &self.description
    }

    /// Flows per window.
    pub fn sequence_length(&self) -> usize {
        self.description.sequence_length
    }

    /// Model input columns per flow.
    pub fn columns(&self) -> usize {
        self.columns.len()
    }

    /// Encodes and scales any number of flows into a matrix, one row per flow.
    ///
    /// Every unknown category value is reported, with the flow index and accepted values.
    pub fn encode(&self, flows: &[FlowRecord]) -> Result<FeatureMatrix> {
        self.encode_with(flows, CategoryCoding::Training)
    }

    /// Encodes exactly one window (`sequence_length` flows).
    pub fn window(&self, flows: &[FlowRecord]) -> Result<FeatureMatrix> {
        self.window_with(flows, CategoryCoding::Training)
    }

    /// Encodes exactly one window with the given category coding.
    pub(crate) fn window_with(
        &self,
        flows: &[FlowRecord],
        coding: CategoryCoding,
    ) -> Result<FeatureMatrix> {
        let expected = self.sequence_length();
        if flows.len() != expected {
            return Err(Error::Invalid(vec![Violation {
                flow: None,
                field: Some("sequence".into()),
                rule: Rule::Length {
                    expected,
                    actual: flows.len(),
                },
            }]));
        }
        self.encode_with(flows, coding)
    }

    fn encode_with(&self, flows: &[FlowRecord], coding: CategoryCoding) -> Result<FeatureMatrix> {
        let per_request = match coding {
            CategoryCoding::Training => None,
            CategoryCoding::PerRequest => Some(self.per_request_codes(flows)),
        };
        let mut values = Vec::with_capacity(flows.len() * self.columns.len());
        let mut problems = Vec::new();
        for (i, flow) in flows.iter().enumerate() {
            let raw = flow.values();
            for (c, plan) in self.columns.iter().enumerate() {
                let encoded = match (raw[plan.feature], &plan.lookup) {
                    (FeatureValue::Number(x), Lookup::Bins(edges)) => {
                        edges.partition_point(|&e| e <= x) as f64
                    }
                    (FeatureValue::Number(x), Lookup::Values { codes, unknown }) => {
                        *codes.get(&value_key(x)).unwrap_or(unknown) as f64
                    }
                    (FeatureValue::Number(x), _) => x,
                    (FeatureValue::Category(value), lookup) => match &per_request {
                        Some(codes) => codes[c][value] as f64,
                        None => match lookup {
                            Lookup::Codes { codes, unknown } => {
                                match codes.get(value).or(unknown.as_ref()) {
                                    Some(&code) => code as f64,
                                    None => {
                                        problems.push(self.unknown_category(c, i, value));
                                        0.0
                                    }
                                }
                            }
                            // `new` pairs categorical features with category codes only.
                            Lookup::Number | Lookup::Bins(_) | Lookup::Values { .. } => 0.0,
                        },
                    },
                };
                let encoded_or_log = if plan.log { encoded.ln_1p() } else { encoded };
                // f64 arithmetic as scikit-learn, then f32 as the model reads it.
                let scaled = encoded_or_log * plan.scale + plan.offset;
                if scaled.abs() > MAX_SCALED {
                    let name = &self.description.columns[c].name;
                    problems.push(Violation::at(i, name, Rule::Range { value: encoded }));
                }
                values.push(scaled as f32);
            }
        }
        if problems.is_empty() {
            Ok(FeatureMatrix::new(values, self.columns.len()))
        } else {
            Err(Error::Invalid(problems))
        }
    }

    #[cfg(test)]
    fn training_code(&self, column: usize, value: &str) -> Option<usize> {
        match &self.columns[column].lookup {
            Lookup::Codes { codes, .. } => codes.get(value).copied(),
            Lookup::Number | Lookup::Bins(_) | Lookup::Values { .. } => None,
        }
    }

    /// How many distinct codes column `column` can take when it is a code (a category or a
    /// bin index), `None` when it is a number. A network embedding the column needs a table
    /// of at least this size.
    /// `None` too for a column index past the last column.
    pub fn cardinality(&self, column: usize) -> Option<usize> {
        match &self.columns.get(column)?.lookup {
            Lookup::Number => None,
            Lookup::Bins(edges) => Some(edges.len() + 1),
            Lookup::Values { codes, unknown } => {
                Some(codes.values().max().map_or(0, |&c| c + 1).max(unknown + 1))
            }
            Lookup::Codes { codes, unknown } => {
                let largest = codes.values().chain(unknown).max().copied().unwrap_or(0);
                Some(largest + 1)
            }
        }
    }

    /// Replaces, in place, every category value of `flows` outside this model's vocabularies
    /// (the values an `unknown_code` stands for) by [`UNKNOWN_CATEGORY`]: what a language model
    /// or a report may be shown of them, since the detector reads nothing more of such a value.
    /// Returns how many values were replaced.
    ///
    /// ```
    /// use flow_features::{parse_window, Preprocessor, UNKNOWN_CATEGORY};
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-lstm/preprocessing.json");
    /// let pre = Preprocessor::from_file(path)?;
    /// # let body: serde_json::Value = serde_json::from_str(include_str!("../../tests/fixtures/sample_request.json"))?;
    /// let mut flows = parse_window(&body["sequence"], 10)?;
    /// flows[0].proto = "not-a-protocol".into();
    /// assert_eq!(pre.mask_unknown(&mut flows), 1);
    /// assert_eq!((flows[0].proto.as_str(), flows[1].proto.as_str()), (UNKNOWN_CATEGORY, "tcp"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mask_unknown(&self, flows: &mut [FlowRecord]) -> usize {
        let mut masked = 0;
        for plan in &self.columns {
            let Lookup::Codes { codes, .. } = &plan.lookup else {
                continue;
            };
            for flow in flows.iter_mut() {
                if let Some(value) = flow.category_mut(plan.feature)
                    && !codes.contains_key(value.as_str())
                {
                    *value = UNKNOWN_CATEGORY.to_owned();
                    masked += 1;
                }
            }
        }
        masked
    }

    /// Whether `value` of feature number `feature` (in [`FEATURES`](crate::FEATURES) order) is in this model's
    /// vocabulary; `true` for features the model does not read through a vocabulary.
    pub fn knows(&self, feature: usize, value: &str) -> bool {
        self.columns
            .iter()
            .filter(|plan| plan.feature == feature)
            .all(|plan| match &plan.lookup {
                Lookup::Codes { codes, .. } => codes.contains_key(value),
                Lookup::Number | Lookup::Bins(_) | Lookup::Values { .. } => true,
            })
    }

    fn unknown_category(&self, column: usize, flow: usize, value: &str) -> Violation {
        let accepted = match &self.description.columns[column].encoding {
            Encoding::Categorical {
                vocabulary,
                aliases,
                ..
            } => {
                let mut accepted = vocabulary.clone();
                accepted.extend(aliases.keys().cloned());
                accepted
            }
            Encoding::Numeric | Encoding::Bins { .. } | Encoding::Values { .. } => Vec::new(),
        };
        let rule = Rule::KnownCategory {
            value: value.to_owned(),
            accepted,
        };
        Violation::at(flow, &self.description.columns[column].name, rule)
    }

    /// Per column, the sorted distinct values of this request mapped to their rank.
    fn per_request_codes<'a>(&self, flows: &'a [FlowRecord]) -> Vec<HashMap<&'a str, usize>> {
        self.columns
            .iter()
            .map(|plan| {
                let mut distinct: Vec<&str> = flows
                    .iter()
                    .filter_map(|f| match f.values()[plan.feature] {
                        FeatureValue::Category(s) => Some(s),
                        FeatureValue::Number(_) => None,
                    })
                    .collect();
                distinct.sort_unstable();
                distinct.dedup();
                distinct
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (v, i))
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
