//! A flow record: what one flow did in one status interval, with the quantities Argus
//! derives from it.

use crate::app::AppSummary;
use crate::{IcmpMessage, Timestamp};

use super::FlowKey;

/// One direction of a [`FlowRecord`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DirectionStats {
    /// Packets sent this way.
    pub packets: u64,
    /// Bytes sent this way, counted as the table's [`ByteCount`](super::ByteCount) says.
    pub bytes: u64,
    /// Transport payload bytes (TCP and UDP data), as the IP headers declare them.
    pub payload_bytes: u64,
    /// The TTL (hop limit) of this direction's last packet, in this record or an earlier one
    /// of the flow; `None` before its first.
    pub ttl: Option<u8>,
    /// TCP segments retransmitted (Argus's `sloss`/`dloss`); 0 for other protocols.
    pub loss: u64,
    /// Mean gap between this direction's packets, milliseconds (`sintpkt`).
    pub inter_packet_ms: f64,
    /// Jitter of those gaps, milliseconds, as `ra` prints it (`sjit`); NaN where Argus's
    /// single-precision arithmetic gives NaN (near-equal gaps of many seconds).
    pub jitter_ms: f64,
    /// The last TCP window advertised (`swin`), scaled when both sides agreed to scaling.
    pub window: u32,
    /// The TCP initial sequence number (`stcpb`), 0 when unknown.
    pub base_sequence: u32,
}

impl DirectionStats {
    /// Mean packet size in bytes, rounded to the nearest integer (`smean`); 0 without
    /// packets.
    pub fn mean_size(&self) -> u64 {
        if self.packets == 0 {
            0
        } else {
            (self.bytes as f64 / self.packets as f64).round() as u64
        }
    }

    /// Bits per second this way over `dur` seconds (`sload`): Argus leaves the first packet
    /// out, as `8 · (bytes − ⌊bytes / packets⌋) / dur`; 0 with one packet or none, or when
    /// `dur` is 0.
    pub fn load(&self, dur: f64) -> f64 {
        if self.packets <= 1 || dur <= 0.0 {
            return 0.0;
        }
        let bytes = self.bytes - self.bytes / self.packets;
        8.0 * bytes as f64 / dur
    }
}

/// Why a record was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordEnd {
    /// The status interval passed since the record's first packet. The flow goes on: its
    /// next packet, if one comes before the idle timeout, begins its next record.
    StatusInterval,
    /// A new connection reused the closed connection's ports.
    PortReuse,
    /// The capture ended, or the table was flushed.
    Flushed,
    /// The table was full and this was its least recently active flow.
    Evicted,
}

/// One flow's packets over one status interval, as an Argus record holds them.
///
/// The flow's source is its first packet's sender (for a TCP connection whose SYN was seen,
/// the SYN's sender).
#[derive(Clone, Debug, PartialEq)]
pub struct FlowRecord {
    /// The flow's protocol, endpoints and ports, oriented from its source.
    pub key: FlowKey,
    /// The protocol as UNSW-NB15's `proto` column spells it.
    pub proto: &'static str,
    /// The record's first packet.
    pub stime: Timestamp,
    /// The record's last packet.
    pub ltime: Timestamp,
    /// Argus's state string (`FIN`, `CON`, `INT`, `REQ`, `RST`, `ECO`, …).
    pub state: &'static str,
    /// Source to destination.
    pub source: DirectionStats,
    /// Destination to source.
    pub destination: DirectionStats,
    /// TCP SYN to SYN/ACK, seconds; 0 unless both were seen.
    pub synack: f64,
    /// TCP SYN/ACK to the source's ACK, seconds; 0 unless both were seen.
    pub ackdat: f64,
    /// What the payloads showed: service, HTTP and FTP counts.
    pub app: AppSummary,
    /// For ICMP and ICMPv6 flows, the first message.
    pub icmp: Option<IcmpMessage>,
    /// Why the record was written.
    pub end: RecordEnd,
    /// Whether this record continues a flow an earlier record began.
    pub continued: bool,
}

impl FlowRecord {
    /// `ltime − stime`, seconds (`dur`).
    pub fn dur(&self) -> f64 {
        (self.ltime.as_nanos() - self.stime.as_nanos()) as f64 / 1e9
    }

    /// Packets per second, `(spkts + dpkts − 1) / dur`; 0 when `dur` is 0 (`rate`).
    pub fn rate(&self) -> f64 {
        let dur = self.dur();
        let packets = self.source.packets + self.destination.packets;
        if dur <= 0.0 || packets == 0 {
            0.0
        } else {
            (packets - 1) as f64 / dur
        }
    }

    /// The source and destination ports as UNSW-NB15's `sport` and `dsport` hold them: the
    /// key's, except 0 for ARP (whose key tells requester from responder with 1 and 2).
    pub fn ports(&self) -> (u16, u16) {
        match self.key.protocol {
            super::ARP => (0, 0),
            _ => (self.key.source_port, self.key.destination_port),
        }
    }

    /// `synack + ackdat` (`tcprtt`).
    pub fn tcprtt(&self) -> f64 {
        self.synack + self.ackdat
    }
}
