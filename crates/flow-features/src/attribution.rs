//! Occlusion attribution: which flows and which features moved a detector's score on a window,
//! measured by replacing them with a baseline of normal traffic and scoring again.
//!
//! The procedure is model-agnostic: [`occlusion_windows`] builds the windows to score (the
//! window itself, each flow replaced by the baseline flow, each feature replaced by the
//! baseline's value across the window), any detector scores them in one batch, and
//! [`Attribution::from_probabilities`] turns the scores into ranked influences.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::schema::{FEATURES, FeatureValue, FlowRecord, OwnedValue};

/// A typical normal flow that stands in for occluded flows and features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// How the flow was obtained (data file, rows, statistic).
    pub description: String,
    /// The flow.
    pub flow: FlowRecord,
}

impl Baseline {
    /// The per-feature median of the numeric features and the most frequent value of each
    /// categorical feature (ties: the first in alphabetical order) over `flows`.
    ///
    /// Fails when `flows` is empty.
    pub fn median_of<'a>(
        flows: impl IntoIterator<Item = &'a FlowRecord>,
        description: impl Into<String>,
    ) -> Result<Self> {
        let mut numbers: Vec<Vec<f64>> = vec![Vec::new(); FEATURES.len()];
        let mut categories: Vec<BTreeMap<&str, usize>> = vec![BTreeMap::new(); FEATURES.len()];
        for flow in flows {
            for (i, value) in flow.values().into_iter().enumerate() {
                match value {
                    FeatureValue::Number(x) => numbers[i].push(x),
                    FeatureValue::Category(c) => *categories[i].entry(c).or_default() += 1,
                }
            }
        }
        if numbers[0].is_empty() {
            return Err(Error::Dataset {
                path: description.into(),
                message: "a baseline needs at least one flow".into(),
                source: None,
            });
        }
        let values = numbers
            .iter_mut()
            .zip(&categories)
            .map(|(numbers, counts)| {
                if numbers.is_empty() {
                    // max_by_key keeps the last maximum; reversing keeps the alphabetically first.
                    let (mode, _) = counts
                        .iter()
                        .rev()
                        .max_by_key(|(_, n)| **n)
                        .expect("every flow has each categorical feature");
                    OwnedValue::Category((*mode).to_owned())
                } else {
                    OwnedValue::Number(median(numbers))
                }
            })
            .collect();
        Ok(Self {
            description: description.into(),
            flow: FlowRecord::from_checked_values(values),
        })
    }

    /// Reads a baseline from its JSON form (`baseline.json` in a model directory), checking
    /// its flow against the validation rules.
    pub fn from_json(json: &str) -> Result<Self> {
        let baseline: Self = serde_json::from_str(json)?;
        baseline.flow.validate(0)?;
        Ok(baseline)
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

/// The windows an occlusion attribution scores, in this order: the window itself; the window
/// with flow `i` replaced by `baseline`, for each flow; the window with feature `j` set to the
/// baseline's value in every flow, for each of the 34 features.
///
/// ```
/// use flow_features::{occlusion_windows, FlowRecord};
/// # let body: serde_json::Value = serde_json::from_str(include_str!("../tests/fixtures/sample_request.json")).unwrap();
/// # let flows = flow_features::parse_window(&body["sequence"], 10).unwrap();
/// # let baseline = flows[0].clone();
/// let windows = occlusion_windows(&flows, &baseline);
/// assert_eq!(windows.len(), 1 + 10 + 34);
/// assert_eq!(windows[3][2], baseline); // flow 2 occluded
/// ```
pub fn occlusion_windows(flows: &[FlowRecord], baseline: &FlowRecord) -> Vec<Vec<FlowRecord>> {
    let mut windows = Vec::with_capacity(1 + flows.len() + FEATURES.len());
    windows.push(flows.to_vec());
    for i in 0..flows.len() {
        let mut window = flows.to_vec();
        window[i] = baseline.clone();
        windows.push(window);
    }
    for feature in 0..FEATURES.len() {
        let mut window = flows.to_vec();
        for flow in &mut window {
            flow.copy_feature_from(feature, baseline);
        }
        windows.push(window);
    }
    windows
}

/// How much each flow and each feature moved a window's probability of attack.
///
/// `delta` is the window's probability minus the probability with that flow (or feature)
/// replaced by the baseline: positive when it pushed the verdict towards attack.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attribution {
    /// The window's probability of attack.
    pub probability: f32,
    /// Every flow, largest |delta| first.
    pub flows: Vec<FlowInfluence>,
    /// Every feature, largest |delta| first.
    pub features: Vec<FeatureInfluence>,
}

/// The influence of one flow of the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlowInfluence {
    /// Index of the flow in the window (0 = oldest).
    pub flow: usize,
    /// Probability with this flow replaced by the baseline flow.
    pub occluded_probability: f32,
    /// Window probability − occluded probability.
    pub delta: f32,
}

/// The influence of one feature across the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeatureInfluence {
    /// Feature name, e.g. `sbytes`.
    pub feature: &'static str,
    /// The feature's value in the window's last flow (the flow the verdict is about).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub last_value: Value,
    /// The baseline's value that replaced it.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub baseline_value: Value,
    /// Probability with this feature set to the baseline's value in every flow.
    pub occluded_probability: f32,
    /// Window probability − occluded probability.
    pub delta: f32,
}

impl Attribution {
    /// Ranks the influences from the probabilities of [`occlusion_windows`]`(flows, baseline)`,
    /// in the same order.
    ///
    /// # Panics
    /// When `probabilities` does not have one value per occlusion window.
    pub fn from_probabilities(
        flows: &[FlowRecord],
        baseline: &FlowRecord,
        probabilities: &[f32],
    ) -> Self {
        assert_eq!(
            probabilities.len(),
            1 + flows.len() + FEATURES.len(),
            "one probability per occlusion window"
        );
        let probability = probabilities[0];
        let (by_flow, by_feature) = probabilities[1..].split_at(flows.len());
        let mut flow_influences: Vec<FlowInfluence> = by_flow
            .iter()
            .enumerate()
            .map(|(flow, &p)| FlowInfluence {
                flow,
                occluded_probability: p,
                delta: probability - p,
            })
            .collect();
        let last = flows.last().map(FlowRecord::values);
        let base = baseline.values();
        let mut feature_influences: Vec<FeatureInfluence> = by_feature
            .iter()
            .enumerate()
            .map(|(j, &p)| FeatureInfluence {
                feature: FEATURES[j].name,
                last_value: last.map_or(Value::Null, |values| json_value(values[j])),
                baseline_value: json_value(base[j]),
                occluded_probability: p,
                delta: probability - p,
            })
            .collect();
        // Stable sorts: equal influences keep window / column order.
        flow_influences.sort_by(|a, b| b.delta.abs().total_cmp(&a.delta.abs()));
        feature_influences.sort_by(|a, b| b.delta.abs().total_cmp(&a.delta.abs()));
        Self {
            probability,
            flows: flow_influences,
            features: feature_influences,
        }
    }

    /// The most influential feature, if any moved the probability at all.
    pub fn top_feature(&self) -> Option<&FeatureInfluence> {
        self.features.first().filter(|f| f.delta != 0.0)
    }
}

fn json_value(value: FeatureValue<'_>) -> Value {
    match value {
        FeatureValue::Number(x) => {
            serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
        }
        FeatureValue::Category(c) => Value::String(c.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_window;

    fn sample_flows() -> Vec<FlowRecord> {
        let body: Value =
            serde_json::from_str(include_str!("../tests/fixtures/sample_request.json")).unwrap();
        parse_window(&body["sequence"], 10).unwrap()
    }

    #[test]
    fn median_and_mode_per_feature() {
        let mut flows = sample_flows();
        flows.truncate(3);
        flows[0].sbytes = 10.0;
        flows[1].sbytes = 30.0;
        flows[2].sbytes = 20.0;
        flows[0].proto = "udp".into();
        flows[1].proto = "tcp".into();
        flows[2].proto = "udp".into();
        let baseline = Baseline::median_of(&flows, "three flows").unwrap();
        assert_eq!(baseline.flow.sbytes, 20.0);
        assert_eq!(baseline.flow.proto, "udp");
        flows.truncate(2);
        let baseline = Baseline::median_of(&flows, "two flows").unwrap();
        assert_eq!(baseline.flow.sbytes, 20.0);
        // Tie between tcp and udp: alphabetical order decides.
        assert_eq!(baseline.flow.proto, "tcp");
        assert!(Baseline::median_of(&[], "none").is_err());
    }

    #[test]
    fn baseline_json_is_validated() {
        let flows = sample_flows();
        let baseline = Baseline::median_of(&flows, "sample").unwrap();
        let json = serde_json::to_string(&baseline).unwrap();
        assert_eq!(Baseline::from_json(&json).unwrap(), baseline);
        let broken = json.replace("\"dur\":", "\"dur\":-");
        assert!(matches!(
            Baseline::from_json(&broken),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn windows_occlude_one_flow_or_one_feature() {
        let flows = sample_flows();
        let mut baseline = flows[0].clone();
        baseline.sbytes = 1.0;
        baseline.proto = "arp".into();
        let windows = occlusion_windows(&flows, &baseline);
        assert_eq!(windows[0], flows);
        for i in 0..10 {
            for (k, flow) in windows[1 + i].iter().enumerate() {
                assert_eq!(flow, if k == i { &baseline } else { &flows[k] });
            }
        }
        let sbytes = crate::feature_index("sbytes").unwrap();
        let proto = crate::feature_index("proto").unwrap();
        for (k, flow) in windows[11 + sbytes].iter().enumerate() {
            assert_eq!(flow.sbytes, 1.0);
            assert_eq!(flow.dbytes, flows[k].dbytes);
        }
        assert!(windows[11 + proto].iter().all(|f| f.proto == "arp"));
    }

    #[test]
    fn influences_are_ranked_by_absolute_change() {
        let flows = sample_flows();
        let baseline = flows[0].clone();
        let mut probabilities = vec![0.8_f32; 45];
        probabilities[1 + 9] = 0.2; // the last flow matters most
        probabilities[1 + 4] = 0.9; // flow 4 pulled towards normal a little
        let sbytes = crate::feature_index("sbytes").unwrap();
        probabilities[11 + sbytes] = 0.5;
        let attribution = Attribution::from_probabilities(&flows, &baseline, &probabilities);
        assert_eq!(attribution.probability, 0.8);
        assert_eq!(attribution.flows[0].flow, 9);
        assert!((attribution.flows[0].delta - 0.6).abs() < 1e-6);
        assert_eq!(attribution.flows[1].flow, 4);
        assert!(attribution.flows[1].delta < 0.0);
        assert_eq!(attribution.flows[2].flow, 0);
        let top = attribution.top_feature().unwrap();
        assert_eq!(top.feature, "sbytes");
        assert_eq!(top.last_value, serde_json::json!(flows[9].sbytes));
        assert!(
            Attribution::from_probabilities(&flows, &baseline, &[0.5; 45])
                .top_feature()
                .is_none()
        );
    }
}
