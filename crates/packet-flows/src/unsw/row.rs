//! One UNSW-NB15 row: the release layout's columns for one flow record.

use std::net::IpAddr;

use super::counts::ConnectionCounts;
use super::state_ttl::ct_state_ttl;
use crate::{FlowRecord, Timestamp};

/// The last columns of [`COLUMNS`] are the flow's identity: `srcip`, `sport`, `dstip`,
/// `dsport`, `stime`, `ltime`; the ones before are the release layout's features.
pub const IDENTITY_COLUMNS: usize = 6;

/// The kind of a column's cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// [`Cell::Int`].
    Int,
    /// [`Cell::Float`].
    Float,
    /// [`Cell::Text`].
    Text,
    /// [`Cell::Address`].
    Address,
    /// [`Cell::Time`].
    Time,
}

/// One cell of a row, typed so writers can choose their formats.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    /// A count or identifier.
    Int(u64),
    /// A measured quantity.
    Float(f64),
    /// A name (`proto`, `service`, `state`).
    Text(&'static str),
    /// An address.
    Address(IpAddr),
    /// A time.
    Time(Timestamp),
}

macro_rules! unsw_row {
    ($( $(#[$doc:meta])* $field:ident : $ty:ty => $cell:ident ),* $(,)?) => {
        /// A flow record's UNSW-NB15 columns: the release's 45-column layout without `id`,
        /// `attack_cat` and `label` (which a capture does not know), then the flow's identity.
        ///
        /// Units are the dataset's: seconds for `dur`, `tcprtt`, `synack` and `ackdat`;
        /// milliseconds for `sinpkt`, `dinpkt`, `sjit` and `djit`; bits per second for the
        /// loads; bytes for the sizes.
        #[derive(Clone, Debug, PartialEq)]
        pub struct UnswRow {
            $( $(#[$doc])* pub $field: $ty, )*
        }

        /// The column names of [`UnswRow::cells`], in order.
        pub const COLUMNS: [&str; unsw_row!(@count $($field)*)] = [$( stringify!($field), )*];

        /// The kind of each column's cells, in [`COLUMNS`] order.
        pub const COLUMN_KINDS: [CellKind; COLUMNS.len()] = [$( CellKind::$cell, )*];

        impl UnswRow {
            /// The row's cells in [`COLUMNS`] order.
            pub fn cells(&self) -> [Cell; COLUMNS.len()] {
                [$( Cell::$cell(self.$field.into()), )*]
            }
        }
    };
    (@count) => { 0 };
    (@count $head:ident $($tail:ident)*) => { 1 + unsw_row!(@count $($tail)*) };
}

unsw_row! {
    /// Record duration, seconds.
    dur: f64 => Float,
    /// Protocol name.
    proto: &'static str => Text,
    /// Service seen in the payload, `-` for none.
    service: &'static str => Text,
    /// Argus state.
    state: &'static str => Text,
    /// Source to destination packets.
    spkts: u64 => Int,
    /// Destination to source packets.
    dpkts: u64 => Int,
    /// Source to destination bytes.
    sbytes: u64 => Int,
    /// Destination to source bytes.
    dbytes: u64 => Int,
    /// Packets per second.
    rate: f64 => Float,
    /// Source TTL.
    sttl: u8 => Int,
    /// Destination TTL.
    dttl: u8 => Int,
    /// Source bits per second.
    sload: f64 => Float,
    /// Destination bits per second.
    dload: f64 => Float,
    /// Source packets retransmitted.
    sloss: u64 => Int,
    /// Destination packets retransmitted.
    dloss: u64 => Int,
    /// Source mean inter-packet time, ms.
    sinpkt: f64 => Float,
    /// Destination mean inter-packet time, ms.
    dinpkt: f64 => Float,
    /// Source jitter, ms.
    sjit: f64 => Float,
    /// Destination jitter, ms.
    djit: f64 => Float,
    /// Source TCP window.
    swin: u32 => Int,
    /// Source TCP base sequence number.
    stcpb: u32 => Int,
    /// Destination TCP base sequence number.
    dtcpb: u32 => Int,
    /// Destination TCP window.
    dwin: u32 => Int,
    /// `synack + ackdat`, seconds.
    tcprtt: f64 => Float,
    /// SYN to SYN/ACK, seconds.
    synack: f64 => Float,
    /// SYN/ACK to ACK, seconds.
    ackdat: f64 => Float,
    /// Source mean packet size, bytes.
    smean: u64 => Int,
    /// Destination mean packet size, bytes.
    dmean: u64 => Int,
    /// HTTP pipelined depth.
    trans_depth: u32 => Int,
    /// HTTP response body bytes.
    response_body_len: u64 => Int,
    /// Same service and source address among the last 100 records.
    ct_srv_src: u32 => Int,
    /// UNSW's state-and-TTL class.
    ct_state_ttl: u8 => Int,
    /// Same destination address among the last 100 records.
    ct_dst_ltm: u32 => Int,
    /// Same source address and destination port among the last 100 records.
    ct_src_dport_ltm: u32 => Int,
    /// Same destination address and source port among the last 100 records.
    ct_dst_sport_ltm: u32 => Int,
    /// Same source and destination addresses among the last 100 records.
    ct_dst_src_ltm: u32 => Int,
    /// FTP logins accepted.
    is_ftp_login: u32 => Int,
    /// FTP commands counted.
    ct_ftp_cmd: u32 => Int,
    /// HTTP requests with a method, times responses.
    ct_flw_http_mthd: u32 => Int,
    /// Same source address among the last 100 records.
    ct_src_ltm: u32 => Int,
    /// Same service and destination address among the last 100 records.
    ct_srv_dst: u32 => Int,
    /// 1 when source and destination address and port are equal.
    is_sm_ips_ports: u8 => Int,
    /// Source address.
    srcip: IpAddr => Address,
    /// Source port (TCP, UDP; the identifier for ICMP echo; else 0).
    sport: u16 => Int,
    /// Destination address.
    dstip: IpAddr => Address,
    /// Destination port.
    dsport: u16 => Int,
    /// The record's first packet.
    stime: Timestamp => Time,
    /// The record's last packet.
    ltime: Timestamp => Time,
}

impl UnswRow {
    /// The row of `record`, given its connection counts.
    pub fn new(record: &FlowRecord, counts: &ConnectionCounts) -> UnswRow {
        let (s, d) = (&record.source, &record.destination);
        let dur = record.dur();
        let ports = record.ports();
        UnswRow {
            dur,
            proto: record.proto,
            service: record.app.service.as_str(),
            state: record.state,
            spkts: s.packets,
            dpkts: d.packets,
            sbytes: s.bytes,
            dbytes: d.bytes,
            rate: record.rate(),
            sttl: s.ttl.unwrap_or(0),
            dttl: d.ttl.unwrap_or(0),
            sload: s.load(dur),
            dload: d.load(dur),
            sloss: s.loss,
            dloss: d.loss,
            sinpkt: s.inter_packet_ms,
            dinpkt: d.inter_packet_ms,
            // Where Argus's arithmetic gives NaN, 0 (as later `ra` versions print it).
            sjit: finite_or_zero(s.jitter_ms),
            djit: finite_or_zero(d.jitter_ms),
            swin: s.window,
            stcpb: s.base_sequence,
            dtcpb: d.base_sequence,
            dwin: d.window,
            tcprtt: record.tcprtt(),
            synack: record.synack,
            ackdat: record.ackdat,
            smean: s.mean_size(),
            dmean: d.mean_size(),
            trans_depth: record.app.trans_depth,
            response_body_len: record.app.response_body_len,
            ct_srv_src: counts.srv_src,
            ct_state_ttl: ct_state_ttl(record.state, s.ttl.unwrap_or(0), d.ttl.unwrap_or(0)),
            ct_dst_ltm: counts.dst,
            ct_src_dport_ltm: counts.src_dport,
            ct_dst_sport_ltm: counts.dst_sport,
            ct_dst_src_ltm: counts.dst_src,
            is_ftp_login: record.app.is_ftp_login,
            ct_ftp_cmd: record.app.ct_ftp_cmd,
            ct_flw_http_mthd: record.app.ct_flw_http_mthd,
            ct_src_ltm: counts.src,
            ct_srv_dst: counts.srv_dst,
            is_sm_ips_ports: u8::from(record.key.is_same_endpoints()),
            srcip: record.key.source,
            sport: ports.0,
            dstip: record.key.destination,
            dsport: ports.1,
            stime: record.stime,
            ltime: record.ltime,
        }
    }
}

fn finite_or_zero(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}
