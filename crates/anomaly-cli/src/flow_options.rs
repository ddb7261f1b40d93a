//! How packets are cut into flow records: the flags `extract`, `score` and `watch` share.

use std::time::Duration;

use packet_flows::{ByteCount, FlowTableConfig};

/// UNSW-NB15's status interval (`argus -S 60`), seconds.
pub const DATASET_STATUS_INTERVAL: u64 = 60;

/// A sensor's status interval (Debian's argus.conf), seconds: records, and so alerts, are at
/// most this late.
pub const LIVE_STATUS_INTERVAL: u64 = 5;

/// Which bytes the byte counts count.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bytes {
    /// Whole frames, link-layer header included (Argus's count).
    Wire,
    /// From the IP header on.
    Ip,
}

/// The flow table's flags.
#[derive(clap::Args, Debug, Clone)]
pub struct FlowOptions {
    /// Seconds after which a flow's record is cut and the flow goes on in a new one
    /// (Argus's status interval, `-S`). Records come out in end-time order one interval
    /// late, so it bounds how soon a flow is scored. Default: 60 for `extract` and `score`
    /// (UNSW-NB15's `-S 60`), 5 for `watch` (Debian's argus.conf; alerts within seconds).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    status_interval: Option<u64>,
    /// Seconds without packets after which a TCP flow is over.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    tcp_timeout: u64,
    /// Seconds without packets after which any other flow is over.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    ip_timeout: u64,
    /// Which bytes `sbytes`/`dbytes` (and so the loads and mean sizes) count.
    #[arg(long, value_enum, default_value_t = Bytes::Wire)]
    bytes: Bytes,
    /// The most flows followed at once (memory bound); past it the flow due soonest is
    /// written out early.
    #[arg(long, default_value_t = 262_144, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    max_flows: u64,
}

impl FlowOptions {
    /// The flow table these flags describe; `status_interval` unless the user gave one.
    pub fn config(&self, status_interval: u64) -> FlowTableConfig {
        FlowTableConfig {
            status_interval: Duration::from_secs(self.status_interval.unwrap_or(status_interval)),
            tcp_idle_timeout: Duration::from_secs(self.tcp_timeout),
            ip_idle_timeout: Duration::from_secs(self.ip_timeout),
            bytes: match self.bytes {
                Bytes::Wire => ByteCount::Wire,
                Bytes::Ip => ByteCount::Ip,
            },
            max_flows: usize::try_from(self.max_flows).unwrap_or(usize::MAX),
        }
    }
}
