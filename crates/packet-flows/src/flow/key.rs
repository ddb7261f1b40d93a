//! Which flow a packet belongs to, and in which direction it travels.
//!
//! Flows are bidirectional: a packet and its answer share one [`FlowKey`] whose
//! [`canonical`](FlowKey::canonical) form orders the two endpoints, so one table lookup
//! finds the flow from either side. The flow's own orientation (its source is the first
//! packet's sender) is kept by the flow, not the key.

use std::net::{IpAddr, Ipv4Addr};

use crate::{IcmpMessage, Network, PacketMeta, Transport};

/// ICMP and ICMPv6 requests and replies that carry an identifier and sequence number.
const ICMP_REQUESTS: [u8; 4] = [8, 13, 15, 17];
const ICMP_REPLIES: [u8; 4] = [0, 14, 16, 18];
const ICMPV6_REQUESTS: [u8; 1] = [128];
const ICMPV6_REPLIES: [u8; 1] = [129];

/// What a flow is keyed by: the protocol, both endpoints and, for TCP and UDP, their ports.
///
/// ICMP has no ports; its "ports" are what Argus keys ICMP flows by. An ICMPv4 echo (and the
/// other request/reply pairs) has its identifier and sequence number, so a request and its
/// reply share a flow and each ping is a flow of its own; an ICMPv6 echo has its identifier
/// twice (Argus keeps a whole `ping -6` in one flow). An ICMPv4 error has its type and code
/// (`type | code << 8`) and the quoted packet's destination port byte-swapped, as Argus
/// prints them; any other ICMPv4 message its type and code and 0; an ICMPv6 router or
/// neighbour solicitation or advertisement the solicitation's type twice (so both hosts'
/// solicitations and advertisements are one flow, as in Argus); any other ICMPv6 message its
/// type and its code. ARP keys on the sender and target protocol addresses, with 1 for the
/// requester's side and 2 for the responder's; its protocol is [`ARP`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// IP protocol number, or [`ARP`].
    pub protocol: u16,
    /// The sender of the packet the key was made from.
    pub source: IpAddr,
    /// Its port (see the type's documentation for non-port protocols).
    pub source_port: u16,
    /// The packet's receiver.
    pub destination: IpAddr,
    /// Its port.
    pub destination_port: u16,
    /// For UDP to or from port 53, the DNS transaction id (the payload's first two bytes):
    /// Argus keys DNS on it, so each query and its answer are a flow of their own. 0
    /// otherwise.
    pub transaction: u16,
}

/// The DNS port, whose UDP flows Argus tells apart by transaction id.
const DNS_PORT: u16 = 53;

/// The transaction id of a UDP datagram from `source_port` to `destination_port` whose
/// payload begins with `prefix`.
fn transaction(source_port: u16, destination_port: u16, prefix: Option<u16>) -> u16 {
    if source_port == DNS_PORT || destination_port == DNS_PORT {
        prefix.unwrap_or(0)
    } else {
        0
    }
}

/// The pseudo protocol number flow keys use for ARP, above every IP protocol number.
pub const ARP: u16 = 0x0806;

const ARP_REPLY: u16 = 2;

impl FlowKey {
    /// The key of a decoded packet, oriented from its sender to its receiver.
    pub fn of(meta: &PacketMeta<'_>) -> FlowKey {
        match &meta.network {
            // The requester's side is "port" 1 and the responder's 2, so that a reply joins its
            // request's flow but a request the other way round is a flow of its own (Argus).
            Network::Arp(arp) => {
                let (source_port, destination_port) = match arp.operation {
                    ARP_REPLY => (2, 1),
                    _ => (1, 2),
                };
                FlowKey {
                    protocol: ARP,
                    source: IpAddr::V4(arp.sender),
                    source_port,
                    destination: IpAddr::V4(arp.target),
                    destination_port,
                    transaction: 0,
                }
            }
            Network::Ip(ip) => {
                let (source_port, destination_port) = match &ip.transport {
                    Transport::Tcp(t) => (t.source_port, t.destination_port),
                    Transport::Udp(u) => (u.source_port, u.destination_port),
                    Transport::Icmp(m) => icmp_ports(m),
                    Transport::Icmpv6(m) => icmpv6_ports(m),
                    Transport::LaterFragment | Transport::Other => (0, 0),
                };
                let transaction = match &ip.transport {
                    Transport::Udp(u) => {
                        let prefix = u.payload.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]));
                        transaction(source_port, destination_port, prefix)
                    }
                    _ => 0,
                };
                FlowKey {
                    protocol: u16::from(ip.protocol),
                    source: ip.source,
                    source_port,
                    destination: ip.destination,
                    destination_port,
                    transaction,
                }
            }
        }
    }

    /// The same flow seen from the other side.
    pub fn reversed(self) -> FlowKey {
        FlowKey {
            protocol: self.protocol,
            source: self.destination,
            source_port: self.destination_port,
            destination: self.source,
            destination_port: self.source_port,
            transaction: self.transaction,
        }
    }

    /// The orientation shared by both directions (the lower endpoint first), and whether
    /// `self` is that orientation's reverse.
    pub fn canonical(self) -> (FlowKey, bool) {
        if (self.source, self.source_port) <= (self.destination, self.destination_port) {
            (self, false)
        } else {
            (self.reversed(), true)
        }
    }

    /// Whether source and destination are the same address and port (UNSW-NB15's
    /// `is_sm_ips_ports`).
    pub fn is_same_endpoints(&self) -> bool {
        self.source == self.destination && self.source_port == self.destination_port
    }
}

impl Default for FlowKey {
    fn default() -> Self {
        let zero = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        FlowKey {
            protocol: 0,
            source: zero,
            source_port: 0,
            destination: zero,
            destination_port: 0,
            transaction: 0,
        }
    }
}

/// A request's (identifier, sequence); its reply's the other way round, so that the reply's
/// key is the request's reversed.
fn echo_ports(m: &IcmpMessage, requests: &[u8], replies: &[u8]) -> Option<(u16, u16)> {
    if requests.contains(&m.kind) {
        Some((m.identifier, m.sequence))
    } else if replies.contains(&m.kind) {
        Some((m.sequence, m.identifier))
    } else {
        None
    }
}

fn icmp_ports(m: &IcmpMessage) -> (u16, u16) {
    if let Some(ports) = echo_ports(m, &ICMP_REQUESTS, &ICMP_REPLIES) {
        return ports;
    }
    let kind_code = u16::from(m.kind) | u16::from(m.code) << 8;
    let quoted_port = m
        .quoted
        .and_then(|q| q.ports)
        .map_or(0, |(_, destination)| destination.swap_bytes());
    (kind_code, quoted_port)
}

fn icmpv6_ports(m: &IcmpMessage) -> (u16, u16) {
    if ICMPV6_REQUESTS.contains(&m.kind) || ICMPV6_REPLIES.contains(&m.kind) {
        // ICMPv6 echo is keyed on the identifier alone: one `ping -6` is one flow.
        return (m.identifier, m.identifier);
    }
    let request = icmpv6_request_type(m.kind);
    if ICMPV6_DISCOVERY.contains(&request) {
        // Solicitations and advertisements either way between two hosts are one flow.
        (u16::from(request), u16::from(request))
    } else {
        (u16::from(m.kind), u16::from(m.code))
    }
}

/// Router and neighbour solicitations, whose advertisements Argus counts in their flow.
const ICMPV6_DISCOVERY: [u8; 2] = [133, 135];

/// The request an ICMPv6 reply answers (echo, router and neighbour discovery): Argus keys and
/// names a reply's flow by its request's type.
pub(crate) fn icmpv6_request_type(kind: u8) -> u8 {
    match kind {
        129 => 128,
        134 => 133,
        136 => 135,
        other => other,
    }
}

/// The key of the flow an ICMP error's quoted packet belongs to, oriented as that packet
/// travelled.
pub(crate) fn quoted_key(m: &IcmpMessage) -> Option<FlowKey> {
    let quoted = m.quoted?;
    let (source_port, destination_port) = quoted.ports?;
    let transaction = match quoted.protocol {
        17 => transaction(source_port, destination_port, quoted.udp_prefix),
        _ => 0,
    };
    Some(FlowKey {
        protocol: u16::from(quoted.protocol),
        source: quoted.source,
        source_port,
        destination: quoted.destination,
        destination_port,
        transaction,
    })
}
