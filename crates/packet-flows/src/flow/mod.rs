//! Flows from packets: a bidirectional flow table that cuts Argus-style flow records.
//!
//! A flow is keyed by its protocol, endpoints and ports in either direction ([`FlowKey`]);
//! its source is the first packet's sender. A flow's record is written when the flow has
//! been idle for its protocol's timeout (30 s for IP, 60 s for TCP, as Argus), when the
//! status interval has passed since the record began (60 s, as UNSW-NB15's records; the
//! flow goes on in a new record), when a closed TCP connection's ports open a new one, or at
//! the end of the capture.

mod active;
mod key;
mod record;
mod state;
mod table;
mod tcp;
mod timing;

use std::time::Duration;

pub use key::{ARP, FlowKey};
pub use record::{DirectionStats, FlowRecord, RecordEnd};
pub use table::FlowTable;

/// Which bytes a record's byte counts (and so its loads and mean sizes) count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ByteCount {
    /// Every byte of the packet on the wire, link-layer header included, as Argus counts
    /// (a Linux cooked header, which is not on the wire, is left out, as Argus does).
    #[default]
    Wire,
    /// From the IP header on, as the IP header declares the length (28 for an ARP message).
    Ip,
}

/// How a [`FlowTable`] cuts records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowTableConfig {
    /// A record is written this long after its first packet, and the flow goes on in a new
    /// record (Argus `-S`; 60 s).
    pub status_interval: Duration,
    /// A TCP flow without packets for this long is over (60 s).
    pub tcp_idle_timeout: Duration,
    /// Any other flow without packets for this long is over (30 s).
    pub ip_idle_timeout: Duration,
    /// Which bytes are counted.
    pub bytes: ByteCount,
    /// The most flows followed at once; when a new flow would exceed it, the flow due
    /// soonest is written out early ([`RecordEnd::Evicted`]).
    pub max_flows: usize,
}

impl Default for FlowTableConfig {
    fn default() -> Self {
        FlowTableConfig {
            status_interval: Duration::from_secs(60),
            tcp_idle_timeout: Duration::from_secs(60),
            ip_idle_timeout: Duration::from_secs(30),
            bytes: ByteCount::Wire,
            max_flows: 262_144,
        }
    }
}
