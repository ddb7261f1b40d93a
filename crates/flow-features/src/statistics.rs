//! Summary statistics of a window of flows, for reports and explanations.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::schema::FlowRecord;

/// What a window of flows looks like, in numbers an analyst reads.
///
/// Holds the statistics the original service reported (`count`, `dur_*`, `rate_*`,
/// `spkts_mean`, `dpkts_mean`, `http_pct`) plus traffic volume, the categories present and the
/// flows that stand out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowStatistics {
    /// Number of flows.
    pub count: usize,
    /// Mean flow duration, seconds.
    pub dur_mean: f64,
    /// Shortest flow duration, seconds.
    pub dur_min: f64,
    /// Longest flow duration, seconds.
    pub dur_max: f64,
    /// Mean packet rate, packets/s.
    pub rate_mean: f64,
    /// Lowest packet rate.
    pub rate_min: f64,
    /// Highest packet rate.
    pub rate_max: f64,
    /// Mean packets source → destination.
    pub spkts_mean: f64,
    /// Mean packets destination → source.
    pub dpkts_mean: f64,
    /// Share of flows whose service is HTTP, in percent (0-100).
    pub http_pct: f64,
    /// Total bytes source → destination.
    pub sbytes_total: f64,
    /// Total bytes destination → source.
    pub dbytes_total: f64,
    /// Flows per protocol.
    pub protocols: BTreeMap<String, usize>,
    /// Flows per service (`-` is none).
    pub services: BTreeMap<String, usize>,
    /// Flows per connection state.
    pub states: BTreeMap<String, usize>,
    /// Flows whose volume or rate is far above the window's median.
    pub standouts: Vec<Standout>,
}

/// A flow whose value of one feature is far above the window's median.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Standout {
    /// Index of the flow in the window.
    pub flow: usize,
    /// The feature (`sbytes`, `dbytes`, `rate`, `dur`, `spkts` or `dpkts`).
    pub feature: &'static str,
    /// The flow's value.
    pub value: f64,
    /// The window's median of that feature.
    pub median: f64,
}

type Getter = fn(&FlowRecord) -> f64;

/// A value counts as standing out when it exceeds this multiple of the window's median.
const STANDOUT_FACTOR: f64 = 10.0;

impl WindowStatistics {
    /// Computes the statistics of `flows` (all zero for an empty slice).
    ///
    /// ```
    /// # let body: serde_json::Value = serde_json::from_str(include_str!("../tests/fixtures/sample_request.json")).unwrap();
    /// let flows = flow_features::parse_window(&body["sequence"], 10)?;
    /// let stats = flow_features::WindowStatistics::from_flows(&flows);
    /// assert_eq!((stats.count, stats.http_pct), (10, 0.0));
    /// # Ok::<(), flow_features::Error>(())
    /// ```
    pub fn from_flows(flows: &[FlowRecord]) -> Self {
        let n = flows.len().max(1) as f64;
        let column = |get: fn(&FlowRecord) -> f64| flows.iter().map(get).collect::<Vec<_>>();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
        let min = |v: &[f64]| v.iter().copied().reduce(f64::min).unwrap_or(0.0);
        let max = |v: &[f64]| v.iter().copied().reduce(f64::max).unwrap_or(0.0);
        let counts = |get: fn(&FlowRecord) -> &str| {
            let mut map = BTreeMap::new();
            flows
                .iter()
                .for_each(|f| *map.entry(get(f).to_owned()).or_insert(0) += 1);
            map
        };
        let (dur, rate) = (column(|f| f.dur), column(|f| f.rate));
        let http = flows.iter().filter(|f| f.service == "http").count();

        let mut standouts = Vec::new();
        let watched: [(&'static str, Getter); 6] = [
            ("sbytes", |f| f.sbytes),
            ("dbytes", |f| f.dbytes),
            ("rate", |f| f.rate),
            ("dur", |f| f.dur),
            ("spkts", |f| f.spkts),
            ("dpkts", |f| f.dpkts),
        ];
        for (feature, get) in watched {
            let values = column(get);
            let median = median(&values);
            for (flow, &value) in values.iter().enumerate() {
                if value > 0.0 && value > STANDOUT_FACTOR * median {
                    standouts.push(Standout {
                        flow,
                        feature,
                        value,
                        median,
                    });
                }
            }
        }

        Self {
            count: flows.len(),
            dur_mean: mean(&dur),
            dur_min: min(&dur),
            dur_max: max(&dur),
            rate_mean: mean(&rate),
            rate_min: min(&rate),
            rate_max: max(&rate),
            spkts_mean: mean(&column(|f| f.spkts)),
            dpkts_mean: mean(&column(|f| f.dpkts)),
            http_pct: 100.0 * http as f64 / n,
            sbytes_total: column(|f| f.sbytes).iter().sum(),
            dbytes_total: column(|f| f.dbytes).iter().sum(),
            protocols: counts(|f| &f.proto),
            services: counts(|f| &f.service),
            states: counts(|f| &f.state),
            standouts,
        }
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flows() -> Vec<FlowRecord> {
        let body: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/sample_request.json")).unwrap();
        crate::parse_window(&body["sequence"], 10).unwrap()
    }

    #[test]
    fn statistics_of_a_window() {
        let mut flows = flows();
        flows[3].service = "http".into();
        flows[3].dur = 2.0;
        flows[3].sbytes = 1_000_000.0;
        let s = WindowStatistics::from_flows(&flows);
        assert_eq!(s.count, 10);
        assert_eq!(s.http_pct, 10.0);
        assert_eq!((s.dur_min, s.dur_max), (0.121478, 2.0));
        assert!((s.dur_mean - (9.0 * 0.121478 + 2.0) / 10.0).abs() < 1e-12);
        assert_eq!(s.services.get("http"), Some(&1));
        assert_eq!(s.services.get("-"), Some(&9));
        assert_eq!(s.sbytes_total, 9.0 * 258.0 + 1_000_000.0);
        let standouts: Vec<_> = s.standouts.iter().map(|o| (o.flow, o.feature)).collect();
        assert_eq!(standouts, [(3, "sbytes"), (3, "dur")]);
        assert_eq!(WindowStatistics::from_flows(&[]).count, 0);
    }
}
