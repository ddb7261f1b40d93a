//! Fitting a preprocessing on training rows: what the trained models read instead of the
//! original's Min-Max scaled codes.
//!
//! Per flow, in this column order:
//! 1. each numeric feature as `(ln(1 + x) - mean) / std` ([`Scaling::LogStandard`]): byte and
//!    packet counters span ten orders of magnitude, which Min-Max scaling squashes to zero;
//! 2. each categorical feature (`proto`, `service`, `state`) as a code into a vocabulary of the
//!    values seen at least `min_category_count` times; rarer and unseen values share one more
//!    code, so a new protocol is scored rather than rejected;
//! 3. each numeric feature again, as its quantile bin (`bins` bins fitted on the training rows,
//!    [`Encoding::Bins`]) — a network embeds codes and bins instead of reading them as numbers;
//! 4. optionally, for each numeric feature with recurring values, the code of its exact value
//!    among the `exact_values` most frequent in training ([`Encoding::Values`]): attack tools
//!    repeat exact byte counts and packet sizes, which quantile bins blur.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::preprocessing::{ColumnSpec, Encoding, PreprocessingDescription, Scaling};
use crate::schema::{FEATURES, FeatureKind, FeatureValue, FlowRecord};

/// Settings of [`PreprocessingDescription::fit`]. The defaults are the shipped model's.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// Flows per window.
    pub sequence_length: usize,
    /// Quantile bins per numeric feature; `0` leaves the bin columns out.
    pub bins: usize,
    /// Category values seen fewer times than this share the unknown code.
    pub min_category_count: usize,
    /// Per numeric feature, at most this many exact values that recur in training get a
    /// code of their own (attack tools repeat exact byte counts); `0` leaves them out.
    pub exact_values: usize,
    /// How often an exact value must occur in training to get a code.
    pub min_value_count: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            sequence_length: 10,
            bins: 64,
            min_category_count: 3,
            exact_values: 64,
            min_value_count: 30,
        }
    }
}

impl PreprocessingDescription {
    /// Fits the trained models' preprocessing on `flows` (the training rows only).
    ///
    /// ```
    /// use flow_features::{FitOptions, PreprocessingDescription, Preprocessor, read_flows};
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/flows_small.csv");
    /// let flows: Vec<_> = read_flows(path)?.into_iter().map(|row| row.flow).collect();
    /// let description = PreprocessingDescription::fit(&flows, &FitOptions::default())?;
    /// let preprocessor = Preprocessor::new(description)?;
    /// // 31 numbers, 3 category codes, 31 bin indices, then exact-value codes for features
    /// // whose values recur (none in these 32 rows at the default 30 occurrences).
    /// assert_eq!(preprocessor.columns(), 31 + 3 + 31);
    /// # Ok::<(), flow_features::Error>(())
    /// ```
    pub fn fit(flows: &[FlowRecord], options: &FitOptions) -> Result<Self> {
        if flows.is_empty() {
            return Err(Error::Description("cannot fit on zero flows".into()));
        }
        let numeric = feature_indices(FeatureKind::Numeric);
        let categorical = feature_indices(FeatureKind::Categorical);
        let numbers = |feature: usize| -> Vec<f64> {
            flows
                .iter()
                .map(|flow| match flow.values()[feature] {
                    FeatureValue::Number(x) => x,
                    FeatureValue::Category(_) => unreachable!("numeric feature"),
                })
                .collect()
        };
        let mut columns = Vec::new();
        for &feature in &numeric {
            let logs: Vec<f64> = numbers(feature).into_iter().map(f64::ln_1p).collect();
            let (mean, std) = mean_and_std(&logs);
            columns.push(ColumnSpec {
                name: FEATURES[feature].name.to_owned(),
                encoding: Encoding::Numeric,
                scaling: Scaling::LogStandard { mean, std },
            });
        }
        for &feature in &categorical {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for flow in flows {
                if let FeatureValue::Category(value) = flow.values()[feature] {
                    *counts.entry(value).or_default() += 1;
                }
            }
            // Sorted order, as a scikit-learn LabelEncoder would code them.
            let vocabulary: Vec<String> = counts
                .iter()
                .filter(|&(_, &count)| count >= options.min_category_count.max(1))
                .map(|(value, _)| (*value).to_owned())
                .collect();
            if vocabulary.is_empty() {
                return Err(Error::Description(format!(
                    "{}: no value is seen {} times",
                    FEATURES[feature].name, options.min_category_count
                )));
            }
            columns.push(ColumnSpec {
                name: FEATURES[feature].name.to_owned(),
                encoding: Encoding::Categorical {
                    unknown_code: Some(vocabulary.len()),
                    vocabulary,
                    aliases: BTreeMap::new(),
                },
                scaling: Scaling::Identity,
            });
        }
        if options.bins > 0 {
            for &feature in &numeric {
                columns.push(ColumnSpec {
                    name: FEATURES[feature].name.to_owned(),
                    encoding: Encoding::Bins {
                        edges: quantile_edges(numbers(feature), options.bins),
                    },
                    scaling: Scaling::Identity,
                });
            }
        }
        if options.exact_values > 0 {
            for &feature in &numeric {
                let values = frequent_values(
                    &numbers(feature),
                    options.exact_values,
                    options.min_value_count,
                );
                // A feature without recurring values (rates, jitter) would only add noise.
                if values.len() >= 2 {
                    columns.push(ColumnSpec {
                        name: FEATURES[feature].name.to_owned(),
                        encoding: Encoding::Values {
                            unknown_code: values.len(),
                            values,
                        },
                        scaling: Scaling::Identity,
                    });
                }
            }
        }
        Ok(Self {
            sequence_length: options.sequence_length,
            columns,
        })
    }
}

fn feature_indices(kind: FeatureKind) -> Vec<usize> {
    (0..FEATURES.len())
        .filter(|&i| FEATURES[i].kind == kind)
        .collect()
}

/// Mean and population standard deviation; a constant column gets std 1.
fn mean_and_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let std = variance.sqrt();
    (mean, if std > 0.0 { std } else { 1.0 })
}

/// The `limit` most frequent values seen at least `min_count` times, in increasing order.
fn frequent_values(values: &[f64], limit: usize, min_count: usize) -> Vec<f64> {
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for &x in values {
        *counts.entry((x + 0.0).to_bits()).or_default() += 1;
    }
    let mut frequent: Vec<(usize, f64)> = counts
        .into_iter()
        .filter(|&(_, count)| count >= min_count.max(1))
        .map(|(bits, count)| (count, f64::from_bits(bits)))
        .collect();
    // Most frequent first; ties by value, so the choice is deterministic.
    frequent.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.total_cmp(&b.1)));
    frequent.truncate(limit);
    let mut kept: Vec<f64> = frequent.into_iter().map(|(_, x)| x).collect();
    kept.sort_by(f64::total_cmp);
    kept
}

/// The distinct `k / bins` quantiles (`k = 1..bins`) above the minimum: with edges counted at
/// or below a value, the minimum falls in bin 0 and ties never split across bins.
fn quantile_edges(mut values: Vec<f64>, bins: usize) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let mut edges: Vec<f64> = (1..bins)
        .map(|k| values[(k * n / bins).min(n - 1)])
        .filter(|&edge| edge > values[0])
        .collect();
    edges.dedup();
    edges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Preprocessor;

    #[test]
    fn quantile_edges_split_evenly_and_keep_ties_together() {
        let values: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(quantile_edges(values, 4), vec![25.0, 50.0, 75.0]);
        // 70 % zeros: no edge at the minimum, so every zero lands in bin 0.
        let mut values = vec![0.0; 70];
        values.extend((1..=30).map(f64::from));
        assert_eq!(quantile_edges(values, 4), vec![6.0]);
        assert!(quantile_edges(vec![3.0; 10], 8).is_empty());
    }

    #[test]
    fn frequent_values_keep_the_most_common_above_the_count() {
        let values = [5.0, 5.0, 5.0, 1.0, 1.0, 9.0, 9.0, 9.0, 9.0, 2.0];
        assert_eq!(frequent_values(&values, 2, 2), vec![5.0, 9.0]);
        assert_eq!(frequent_values(&values, 10, 2), vec![1.0, 5.0, 9.0]);
        assert_eq!(frequent_values(&values, 10, 4), vec![9.0]);
    }

    #[test]
    fn mean_and_std_are_population_moments() {
        assert_eq!(mean_and_std(&[1.0, 3.0]), (2.0, 1.0));
        assert_eq!(mean_and_std(&[5.0, 5.0]), (5.0, 1.0));
    }

    #[test]
    fn fitted_columns_encode_logs_codes_and_bins() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/flows_small.csv"
        );
        let flows: Vec<FlowRecord> = crate::read_flows(path)
            .unwrap()
            .into_iter()
            .map(|row| row.flow)
            .collect();
        let options = FitOptions {
            min_category_count: 2,
            bins: 32,
            exact_values: 0,
            ..FitOptions::default()
        };
        let description = PreprocessingDescription::fit(&flows, &options).unwrap();
        let pre = Preprocessor::new(description.clone()).unwrap();
        let matrix = pre.encode(&flows).unwrap();
        // Standardized logs: mean 0 over the fitting rows for every non-constant column.
        for column in 0..31 {
            let mean: f64 = (0..matrix.rows())
                .map(|r| f64::from(matrix.row(r)[column]))
                .sum::<f64>()
                / matrix.rows() as f64;
            assert!(mean.abs() < 1e-5, "column {column}: mean {mean}");
        }
        // Codes and bins stay within their cardinalities, and a new protocol gets the
        // unknown code instead of an error.
        for column in 31..65 {
            let cardinality = pre.cardinality(column).unwrap() as f32;
            assert!((0..matrix.rows()).all(|r| matrix.row(r)[column] < cardinality));
        }
        let mut unseen = flows[0].clone();
        unseen.proto = "never-seen".into();
        let row = pre.encode(&[unseen]).unwrap();
        let Encoding::Categorical { unknown_code, .. } = &description.columns[31].encoding else {
            panic!("column 31 is proto's code")
        };
        assert_eq!(row.row(0)[31], unknown_code.unwrap() as f32);
        assert_eq!(pre.cardinality(0), None);

        // Exact values: a column for each feature with ≥ 2 recurring values, codes in range,
        // and a value never seen gets the unknown code.
        let options = FitOptions {
            exact_values: 4,
            min_value_count: 2,
            ..options
        };
        let description = PreprocessingDescription::fit(&flows, &options).unwrap();
        let pre = Preprocessor::new(description.clone()).unwrap();
        assert!(pre.columns() > 65);
        // preprocessing.json must give back the exact numbers (serde_json's float_roundtrip):
        // a bin edge off by one ULP moves flows to another bin.
        let json = serde_json::to_string(&description).unwrap();
        let back: PreprocessingDescription = serde_json::from_str(&json).unwrap();
        assert_eq!(back, description);
        let matrix = pre.encode(&flows).unwrap();
        for column in 65..pre.columns() {
            let Encoding::Values {
                values,
                unknown_code,
            } = &description.columns[column].encoding
            else {
                panic!("column {column} holds exact values")
            };
            assert!((2..=4).contains(&values.len()));
            let cardinality = pre.cardinality(column).unwrap() as f32;
            assert!((0..matrix.rows()).all(|r| matrix.row(r)[column] < cardinality));
            let feature = description.columns[column].name.clone();
            let mut odd = flows[0].clone();
            set_number(&mut odd, &feature, 123_456.789);
            let encoded = pre.encode(&[odd]).unwrap();
            assert_eq!(encoded.row(0)[column], *unknown_code as f32, "{feature}");
        }
    }

    /// Sets numeric feature `name` of `flow` through a JSON round trip.
    fn set_number(flow: &mut FlowRecord, name: &str, value: f64) {
        let mut json = serde_json::to_value(&*flow).unwrap();
        json[name] = serde_json::json!(value);
        *flow = serde_json::from_value(json).unwrap();
    }
}
