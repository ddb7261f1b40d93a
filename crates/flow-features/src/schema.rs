//! The flow record: the 34 UNSW-NB15 features the detectors read, in model column order.

use serde::{Deserialize, Serialize};

/// Whether a feature holds a number or a category name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureKind {
    /// A finite, non-negative number (counts, bytes, durations, rates, TCP fields).
    Numeric,
    /// A category name such as a protocol (`tcp`), service (`http`) or state (`FIN`).
    Categorical,
}

/// One model feature: its JSON key / column name and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    /// Column name, as in the dataset files and the JSON API.
    pub name: &'static str,
    /// Number or category.
    pub kind: FeatureKind,
}

/// The value of one feature of a [`FlowRecord`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FeatureValue<'a> {
    /// Value of a numeric feature.
    Number(f64),
    /// Value of a categorical feature.
    Category(&'a str),
}

/// An owned feature value, used while a record is assembled column by column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OwnedValue {
    Number(f64),
    Category(String),
}

macro_rules! flow_record {
    ($( $(#[$doc:meta])* $field:ident : $ty:ident ),* $(,)?) => {
        /// One network flow with the 34 UNSW-NB15 features the detectors use.
        ///
        /// Deserializing ignores extra keys (`id`, `label`, `sttl`, …). Deserializing does not
        /// validate: use [`parse_window`](crate::parse_window) for untrusted JSON, or
        /// [`FlowRecord::validate`] for records built in code.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct FlowRecord {
            $( $(#[$doc])* pub $field: $ty, )*
        }

        /// The 34 model features in model column order.
        pub const FEATURES: [Feature; 34] = [
            $( Feature { name: stringify!($field), kind: flow_record!(@kind $ty) }, )*
        ];

        impl FlowRecord {
            /// The feature values in [`FEATURES`] order.
            pub fn values(&self) -> [FeatureValue<'_>; 34] {
                [ $( flow_record!(@value self.$field, $ty), )* ]
            }

            /// Copies feature number `feature` (in [`FEATURES`] order) from `other`.
            ///
            /// # Panics
            /// When `feature >= 34`.
            pub fn copy_feature_from(&mut self, feature: usize, other: &FlowRecord) {
                match FEATURES[feature].name {
                    $( stringify!($field) => self.$field = other.$field.clone(), )*
                    _ => unreachable!("FEATURES lists every field"),
                }
            }

            /// The string of categorical feature number `feature` (in [`FEATURES`] order), to
            /// change it; `None` for a numeric feature or an index past the last feature.
            pub fn category_mut(&mut self, feature: usize) -> Option<&mut String> {
                match FEATURES.get(feature)?.name {
                    $( stringify!($field) => flow_record!(@mut self.$field, $ty), )*
                    _ => None,
                }
            }

            /// Builds a record from values in [`FEATURES`] order whose kinds were checked.
            pub(crate) fn from_checked_values(values: Vec<OwnedValue>) -> Self {
                debug_assert_eq!(values.len(), FEATURES.len());
                let mut values = values.into_iter();
                Self { $( $field: flow_record!(@take values, $ty), )* }
            }
        }
    };
    (@kind f64) => { FeatureKind::Numeric };
    (@kind String) => { FeatureKind::Categorical };
    (@value $e:expr, f64) => { FeatureValue::Number($e) };
    (@value $e:expr, String) => { FeatureValue::Category(&$e) };
    (@mut $e:expr, f64) => { None };
    (@mut $e:expr, String) => { Some(&mut $e) };
    (@take $it:ident, f64) => {
        match $it.next() { Some(OwnedValue::Number(x)) => x, _ => unreachable!("kind checked by caller") }
    };
    (@take $it:ident, String) => {
        match $it.next() { Some(OwnedValue::Category(s)) => s, _ => unreachable!("kind checked by caller") }
    };
}

flow_record! {
    /// Total duration of the flow, seconds.
    dur: f64,
    /// Transaction protocol (`tcp`, `udp`, `arp`, …).
    proto: String,
    /// Application service (`http`, `dns`, …; `-` when none).
    service: String,
    /// Connection state (`FIN`, `INT`, `CON`, …).
    state: String,
    /// Packets from source to destination.
    spkts: f64,
    /// Packets from destination to source.
    dpkts: f64,
    /// Bytes from source to destination.
    sbytes: f64,
    /// Bytes from destination to source.
    dbytes: f64,
    /// Packets per second.
    rate: f64,
    /// Source bits per second.
    sload: f64,
    /// Destination bits per second.
    dload: f64,
    /// Source packets retransmitted or dropped.
    sloss: f64,
    /// Destination packets retransmitted or dropped.
    dloss: f64,
    /// Source inter-packet arrival time, milliseconds.
    sinpkt: f64,
    /// Destination inter-packet arrival time, milliseconds.
    dinpkt: f64,
    /// Source jitter, milliseconds.
    sjit: f64,
    /// Destination jitter, milliseconds.
    djit: f64,
    /// Source TCP window advertisement.
    swin: f64,
    /// Source TCP base sequence number.
    stcpb: f64,
    /// Destination TCP base sequence number.
    dtcpb: f64,
    /// Destination TCP window advertisement.
    dwin: f64,
    /// TCP round-trip time (`synack` + `ackdat`).
    tcprtt: f64,
    /// Time between SYN and SYN-ACK.
    synack: f64,
    /// Time between SYN-ACK and ACK.
    ackdat: f64,
    /// Mean packet size sent by the source.
    smean: f64,
    /// Mean packet size sent by the destination.
    dmean: f64,
    /// Depth of the HTTP request/response transaction.
    trans_depth: f64,
    /// Size of the content returned by the server.
    response_body_len: f64,
    /// Flows with the same source address and destination port among the last 100.
    ct_src_dport_ltm: f64,
    /// Flows with the same destination address and source port among the last 100.
    ct_dst_sport_ltm: f64,
    /// 1 when an FTP session was logged in with a user and password.
    is_ftp_login: f64,
    /// Number of FTP commands in the session.
    ct_ftp_cmd: f64,
    /// Number of HTTP GET/POST methods in the session.
    ct_flw_http_mthd: f64,
    /// 1 when source and destination addresses and ports are equal.
    is_sm_ips_ports: f64,
}

/// The model column index of the feature called `name`.
pub fn feature_index(name: &str) -> Option<usize> {
    FEATURES.iter().position(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_has_34_unique_features_with_three_categories() {
        let mut names: Vec<_> = FEATURES.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 34);
        let categorical: Vec<_> = FEATURES
            .iter()
            .filter(|f| f.kind == FeatureKind::Categorical)
            .map(|f| f.name)
            .collect();
        assert_eq!(categorical, ["proto", "service", "state"]);
        assert_eq!(feature_index("dur"), Some(0));
        assert_eq!(feature_index("is_sm_ips_ports"), Some(33));
        assert_eq!(feature_index("sttl"), None);
    }
}
