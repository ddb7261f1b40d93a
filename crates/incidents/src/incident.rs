//! An incident: attack verdicts on flows from one source, grouped while they keep coming.

use std::net::IpAddr;

use flow_features::{FeatureInfluence, FlowRecord, Verdict};
use llm_explainer::{Evidence, Report};
use packet_flows::Timestamp;
use serde::{Serialize, Serializer};

/// Where an incident stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// Raised: enough attack verdicts, and more may join.
    Open,
    /// No attack verdict from its source for the grouping gap (or the capture ended).
    Closed,
}

/// One host or port and the attack flows that touched it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Touched<T> {
    /// The address or port.
    pub value: T,
    /// Attack flows to it.
    pub flows: u64,
}

/// A category the detector's head gave the incident's flows, and how often.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryCount {
    /// UNSW-NB15 `attack_cat` name.
    pub name: String,
    /// Attack flows given it.
    pub flows: u64,
}

/// Peak and mean of the attack flows' probabilities.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProbabilitySummary {
    /// The highest probability of attack among the incident's flows.
    pub peak: f32,
    /// Their mean probability of attack.
    pub mean: f32,
}

/// Why the detector flagged the incident: its strongest window, explained.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentExplanation {
    /// The features that moved the peak window's probability most towards attack
    /// (occlusion with the model's normal baseline), largest first.
    pub top_features: Vec<FeatureInfluence>,
    /// The grounded report on the peak window (every number is the detector's).
    pub report: Report,
}

/// Attack verdicts grouped into one incident.
///
/// Times are capture times. Lists are bounded ([`GroupingConfig`](crate::GroupingConfig)):
/// `targets` and `ports` hold the most-touched ones, `target_count` and `port_count` count
/// them all.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Incident {
    /// Stable within a run: source address and first flow's start time.
    pub id: String,
    /// Open (raised, still growing) or closed.
    pub status: IncidentStatus,
    /// The address every flow of the incident came from.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub source: IpAddr,
    /// Start of its first attack flow.
    #[serde(serialize_with = "rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub first_seen: Timestamp,
    /// End of its last attack flow.
    #[serde(serialize_with = "rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub last_seen: Timestamp,
    /// Capture time when the incident was raised.
    #[serde(serialize_with = "rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub raised_at: Timestamp,
    /// Capture time when it closed (absent while open).
    #[serde(serialize_with = "rfc3339_option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub closed_at: Option<Timestamp>,
    /// Flows given an attack verdict.
    pub flows: u64,
    /// Packets of those flows, both directions.
    pub packets: u64,
    /// Destination addresses, most flows first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub targets: Vec<Touched<IpAddr>>,
    /// Distinct destination addresses.
    pub target_count: u64,
    /// Destination ports, most flows first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub ports: Vec<Touched<u16>>,
    /// Distinct destination ports.
    pub port_count: u64,
    /// Transport protocols (`tcp`, `udp`, …), most flows first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub protocols: Vec<Touched<&'static str>>,
    /// Probabilities of attack of the flows.
    pub probability: ProbabilitySummary,
    /// The category head's reading of the flows, most frequent first (empty for a model
    /// without a head).
    pub categories: Vec<CategoryCount>,
    /// The incident in one sentence, from the counts above.
    pub summary: String,
    /// The peak window's explanation (absent for a model without a baseline).
    pub explanation: Option<IncidentExplanation>,
    /// The peak window, its verdict and attribution: what a narration is built from.
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub evidence: Option<Evidence>,
    /// The peak window itself.
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub(crate) peak: Option<(Verdict, Vec<FlowRecord>)>,
}

impl Incident {
    /// The most frequent category, if the model has a head.
    pub fn category(&self) -> Option<&str> {
        self.categories.first().map(|c| c.name.as_str())
    }

    /// The most-touched destination address.
    pub fn target(&self) -> Option<IpAddr> {
        self.targets.first().map(|t| t.value)
    }

    /// Seconds from the first flow's start to the last flow's end.
    pub fn duration_secs(&self) -> f64 {
        (self.last_seen.as_nanos() - self.first_seen.as_nanos()) as f64 / 1e9
    }
}

/// ISO 8601 / RFC 3339 in UTC with microseconds, as ECS and most SIEMs read times.
pub fn to_rfc3339(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .unwrap_or_else(|| t.to_string())
}

fn rfc3339<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_rfc3339(*t))
}

fn rfc3339_option<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}
