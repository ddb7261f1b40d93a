//! From packet captures and interfaces to UNSW-NB15 flow records, as Argus 3.0.8 (the tool
//! the dataset's records were made with) and Zeek (its payload columns) would give them.
//!
//! - [`CaptureReader`] streams packets out of a pcap or pcapng file (or any [`std::io::Read`])
//!   in constant memory; [`live::LiveCapture`] (feature `live`) reads an interface through
//!   libpcap;
//! - [`decode`] (or [`Packet::decode`]) turns a packet's bytes into a [`PacketMeta`]: addresses,
//!   protocol, TTL, ports, TCP flags and sequence numbers, ICMP type and code, ARP addresses,
//!   and both lengths byte counters may want (from the IP header, and on the wire);
//! - [`FlowTable`] follows bidirectional flows and cuts [`FlowRecord`]s with Argus's status
//!   interval, timeouts, states and per-direction statistics;
//! - [`app`] watches each flow's payloads for its service and its HTTP and FTP counts;
//! - [`unsw`] puts records in `ltime` order, adds the `ct_*` counts and writes rows in the
//!   release's layout; its [`Extractor`](unsw::Extractor) runs the whole way;
//! - [`Skips`] counts the records and packets that could not be used, by [`Skip`] reason.
//!
//! Captures are untrusted input: no byte sequence makes this crate panic or allocate beyond
//! its fixed buffer. What spoils one record is a counted skip; what loses the record framing
//! is an [`Error`].
//!
//! ```
//! use packet_flows::{CaptureReader, Skips, Transport};
//!
//! let mut reader = CaptureReader::open("tests/fixtures/ethernet.pcap")?;
//! let mut skips = Skips::default();
//! let mut syns = 0;
//! while let Some(packet) = reader.next_packet() {
//!     match packet?.decode() {
//!         Ok(meta) => {
//!             if let Some(Transport::Tcp(tcp)) = meta.ip().map(|ip| &ip.transport) {
//!                 syns += usize::from(tcp.flags == packet_flows::TcpFlags::SYN);
//!             }
//!         }
//!         Err(reason) => skips.add(reason),
//!     }
//! }
//! skips.merge(reader.skips());
//! assert_eq!(syns, 1);
//! assert_eq!(skips.to_string(), "0 skipped");
//! # Ok::<(), packet_flows::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod app;
mod capture;
mod decode;
mod error;
mod flow;
mod link_type;
#[cfg(feature = "live")]
pub mod live;
mod proto;
mod skips;
mod timestamp;
pub mod unsw;

pub use capture::{
    CaptureFormat, CaptureReader, CaptureReaderBuilder, DEFAULT_MAX_RECORD_LEN, MAX_INTERFACES,
    MIN_MAX_RECORD_LEN, OwnedPacket, Packet,
};
pub use decode::{
    ArpPacket, CookedHeader, Fragment, IcmpMessage, IpPacket, Network, PacketMeta, QuotedFlow,
    TcpFlags, TcpSegment, Transport, UdpDatagram, decode,
};
pub use error::Error;
pub use flow::{
    ARP, ByteCount, DirectionStats, FlowKey, FlowRecord, FlowTable, FlowTableConfig, RecordEnd,
};
pub use link_type::LinkType;
pub use proto::proto_name;
pub use skips::{Skip, Skips};
pub use timestamp::Timestamp;
