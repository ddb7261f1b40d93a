//! The preprocessing description stored with each model, and the encoder/scaler built from it.
//!
//! A model directory carries `preprocessing.json`: the model's column order, its window length,
//! how each column is encoded (number, or category code from a training vocabulary) and how it
//! is scaled. Serving applies exactly what training recorded.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, Rule, Violation};
use crate::matrix::FeatureMatrix;
use crate::schema::{FEATURES, FeatureKind, FeatureValue, FlowRecord, feature_index};

/// Largest magnitude of a scaled value: beyond it, sums inside a network can overflow f32 and
/// turn its output into NaN. Real flows stay far below (the largest seen scale to ~1e7).
pub const MAX_SCALED: f64 = 1e30;

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
    /// The flow feature the column reads (one of [`FEATURES`]).
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

/// What [`Preprocessor::mask_unknown`] shows instead of a category value the model was not
/// trained on.
pub const UNKNOWN_CATEGORY: &str = "unknown";

/// How category values become codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CategoryCoding {
    /// Codes from the model's training vocabularies; unknown values are errors. Always use this.
    #[default]
    Training,
    /// The original Python service's defect, kept for parity tests only: codes are recomputed
    /// from the values present in the request (pandas `astype("category").cat.codes`), so the
    /// same protocol gets different codes in different requests.
    PerRequest,
}

/// Encodes and scales flows as one model expects, built from a [`PreprocessingDescription`].
///
/// ```
/// use flow_features::{parse_window, Preprocessor};
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed/preprocessing.json");
/// let pre = Preprocessor::from_file(path)?; // e.g. "models/unsw-nb15-seed/preprocessing.json"
/// let body: serde_json::Value =
///     serde_json::from_str(include_str!("../tests/fixtures/sample_request.json"))?;
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

#[derive(Debug, Clone)]
struct ColumnPlan {
    feature: usize,
    lookup: Lookup,
    /// `ln(1 + x)` before the affine map.
    log: bool,
    scale: f64,
    offset: f64,
}

/// How a column's raw value becomes the number that is then scaled.
#[derive(Debug, Clone)]
enum Lookup {
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

fn bad<T>(message: String) -> Result<T> {
    Err(Error::Description(message))
}

impl ColumnPlan {
    /// The plan of one described column, or why the description cannot be used.
    fn new(spec: &ColumnSpec) -> Result<Self> {
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
    fn new(spec: &ColumnSpec, kind: FeatureKind) -> Result<Self> {
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
fn affine(spec: &ColumnSpec) -> Result<(bool, f64, f64)> {
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
fn value_key(x: f64) -> u64 {
    (x + 0.0).to_bits()
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
            serde_json::from_str(json).map_err(|e| Error::Description(e.to_string()))?;
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
    pub fn window_with(
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

    /// `flows` with every category value outside this model's vocabularies (the values an
    /// `unknown_code` stands for) replaced by [`UNKNOWN_CATEGORY`]: what a language model or a
    /// report may be shown of them, since the detector reads nothing more of such a value.
    ///
    /// ```
    /// use flow_features::{parse_window, Preprocessor, UNKNOWN_CATEGORY};
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-lstm/preprocessing.json");
    /// let pre = Preprocessor::from_file(path)?;
    /// # let body: serde_json::Value = serde_json::from_str(include_str!("../tests/fixtures/sample_request.json"))?;
    /// let mut flows = parse_window(&body["sequence"], 10)?;
    /// flows[0].proto = "not-a-protocol".into();
    /// let shown = pre.mask_unknown(&flows);
    /// assert_eq!((shown[0].proto.as_str(), shown[1].proto.as_str()), (UNKNOWN_CATEGORY, "tcp"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mask_unknown(&self, flows: &[FlowRecord]) -> Vec<FlowRecord> {
        let mut flows = flows.to_vec();
        for flow in &mut flows {
            for feature in 0..FEATURES.len() {
                if let Some(value) = flow.category_mut(feature)
                    && !self.knows(feature, value)
                {
                    *value = UNKNOWN_CATEGORY.to_owned();
                }
            }
        }
        flows
    }

    /// Whether `value` of feature number `feature` (in [`FEATURES`] order) is in this model's
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
mod tests {
    use super::*;

    const SEED: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/unsw-nb15-seed/preprocessing.json"
    ));

    fn sample_flows() -> Vec<FlowRecord> {
        let body: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/sample_request.json")).unwrap();
        crate::parse_window(&body["sequence"], 10).unwrap()
    }

    #[test]
    fn seed_vocabularies_follow_label_encoder_order() {
        let pre = Preprocessor::from_json(SEED).unwrap();
        assert_eq!(pre.sequence_length(), 10);
        assert_eq!(pre.columns(), 34);
        assert_eq!(pre.training_code(1, "3pc"), Some(0));
        assert_eq!(pre.training_code(1, "icmp"), Some(37));
        assert_eq!(pre.training_code(1, "rtp"), Some(91));
        assert_eq!(pre.training_code(1, "tcp"), Some(113));
        assert_eq!(pre.training_code(1, "zero"), Some(132));
        assert_eq!(pre.training_code(2, "-"), Some(0));
        assert_eq!(pre.training_code(2, "None"), Some(0));
        assert_eq!(pre.training_code(2, "http"), Some(5));
        assert_eq!(pre.training_code(3, "FIN"), Some(4));
        assert_eq!(pre.training_code(3, "no"), Some(10));
    }

    #[test]
    fn cardinality_past_the_last_column_is_none_not_a_panic() {
        let pre = Preprocessor::from_json(SEED).unwrap();
        assert_eq!(pre.cardinality(1), Some(133));
        assert_eq!(pre.cardinality(0), None);
        assert_eq!(pre.cardinality(34), None);
        assert_eq!(pre.cardinality(usize::MAX), None);
    }

    #[test]
    fn only_values_outside_the_vocabulary_are_masked() {
        let pre = Preprocessor::from_json(SEED).unwrap();
        let mut flows = sample_flows();
        flows[2].proto = "not-a-protocol".into();
        flows[3].service = "None".into(); // an alias of `-`: known
        let shown = pre.mask_unknown(&flows);
        assert_eq!(shown[2].proto, UNKNOWN_CATEGORY);
        assert_eq!(shown[3].service, "None");
        assert_eq!(shown[4], flows[4]);
        assert!(pre.knows(1, "tcp") && !pre.knows(1, "not-a-protocol") && pre.knows(0, "x"));
    }

    #[test]
    fn unknown_categories_list_the_accepted_values() {
        let pre = Preprocessor::from_json(SEED).unwrap();
        let mut flows = sample_flows();
        flows[2].proto = "quic".into();
        flows[7].state = "fin".into();
        let Err(Error::Invalid(found)) = pre.window(&flows) else {
            panic!()
        };
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[0].flow, found[0].field.as_deref()),
            (Some(2), Some("proto"))
        );
        let message = found[1].to_string();
        assert!(
            message
                .starts_with("sequence[7].state: unknown value \"fin\"; accepted values: ACC, CLO")
        );
    }

    #[test]
    fn the_original_per_request_coding_reproduces_the_golden_matrix() {
        let golden: serde_json::Value = serde_json::from_str(include_str!(
            "../tests/fixtures/seed_sample_prediction.json"
        ))
        .unwrap();
        let pre = Preprocessor::from_json(SEED).unwrap();
        let window = pre
            .window_with(&sample_flows(), CategoryCoding::PerRequest)
            .unwrap();
        let expected: Vec<f32> = golden["scaled"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| {
                row.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap() as f32)
            })
            .collect();
        assert_eq!(window.values(), expected.as_slice());
    }

    #[test]
    fn training_coding_differs_from_per_request_coding_on_categories_only() {
        let pre = Preprocessor::from_json(SEED).unwrap();
        let flows = sample_flows();
        let ours = pre.window(&flows).unwrap();
        let original = pre.window_with(&flows, CategoryCoding::PerRequest).unwrap();
        // tcp is code 113 of 132 in training, but 0 in a request where it is the only protocol.
        assert_eq!(ours.row(0)[1], (113.0f64 / 132.0) as f32);
        assert_eq!(original.row(0)[1], 0.0);
        assert_eq!(ours.row(0)[4..], original.row(0)[4..]);
    }

    #[test]
    fn inconsistent_descriptions_are_rejected() {
        let mut d: PreprocessingDescription = serde_json::from_str(SEED).unwrap();
        d.columns[0].name = "sttl".into();
        assert!(matches!(Preprocessor::new(d), Err(Error::Description(m)) if m.contains("sttl")));
        let mut d: PreprocessingDescription = serde_json::from_str(SEED).unwrap();
        d.columns[0].encoding = Encoding::Categorical {
            vocabulary: vec!["a".into()],
            aliases: Default::default(),
            unknown_code: None,
        };
        assert!(Preprocessor::new(d).is_err());
        assert!(Preprocessor::from_json("{\"sequence_length\": 10}").is_err());
    }
}
