//! Checked decoding of one captured frame into what a flow table needs.
//!
//! The link layer is read by small views where etherparse has no lax parser (SLL, SLL2,
//! loopback), everything from the EtherType down to IP by etherparse's `LaxSlicedPacket`, and
//! the transport header by small views again (so that snaplen-truncated TCP options do not
//! cost the packet). Every length is checked before use: bad bytes give a [`Skip`], never a
//! panic, and nothing is allocated.

mod ip;
mod null;
mod sll;
mod sll2;
mod tcp;
mod transport;

pub use ip::{ArpPacket, Fragment, IpPacket, Network};
pub use tcp::{TcpFlags, TcpSegment};
pub use transport::{IcmpMessage, QuotedFlow, Transport, UdpDatagram};

use etherparse::{EtherType, LaxSlicedPacket};

use crate::{LinkType, Skip, proto_name};
use null::{Family, LoopbackFrame};
use sll::SllFrame;
use sll2::Sll2Frame;

/// The most VLAN tags etherparse unpacks; a frame with more is [`Skip::NotIp`].
const MAX_VLAN_TAGS: usize = LaxSlicedPacket::LINK_EXTS_CAP;

/// A decoded packet: its network and transport headers plus the two lengths byte counters
/// choose between.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketMeta<'a> {
    /// The packet's length on the wire, link-layer header included (the capture's original
    /// length; [`decode`] alone only knows the frame's captured length).
    pub wire_len: u32,
    /// The network layer and what it carries.
    pub network: Network<'a>,
    /// The Linux cooked header's fields, for SLL and SLL2 frames.
    pub cooked: Option<CookedHeader>,
    vlan_ids: [u16; MAX_VLAN_TAGS],
    vlan_count: u8,
}

/// What a Linux cooked (SLL, SLL2) header says beyond the protocol.
///
/// On `tcpdump -i any` captures a packet between two local interfaces is seen twice, once sent
/// (`packet_type` 4) and once received (0); these fields tell the copies apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CookedHeader {
    /// 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us.
    pub packet_type: u16,
    /// The interface's Linux ARPHRD_* hardware type (1 Ethernet, 772 loopback, ...).
    pub arphrd: u16,
    /// The capturing host's interface index (SLL2 only).
    pub interface_index: Option<u32>,
}

impl<'a> PacketMeta<'a> {
    /// The 802.1Q / 802.1ad VLAN identifiers, outermost first; empty when untagged.
    pub fn vlan_ids(&self) -> &[u16] {
        &self.vlan_ids[..usize::from(self.vlan_count)]
    }

    /// The IP layer, `None` for ARP.
    pub fn ip(&self) -> Option<&IpPacket<'a>> {
        match &self.network {
            Network::Ip(ip) => Some(ip),
            Network::Arp(_) => None,
        }
    }

    /// The protocol as UNSW-NB15's `proto` column names it: `"arp"` for ARP, else
    /// [`proto_name`] of the IP protocol.
    pub fn proto_name(&self) -> &'static str {
        match &self.network {
            Network::Ip(ip) => proto_name(ip.protocol),
            Network::Arp(_) => "arp",
        }
    }
}

/// Decodes `frame`, a packet's captured bytes with link-layer header `link_type`.
///
/// The result's [`wire_len`](PacketMeta::wire_len) is `frame.len()`; decode through
/// [`Packet::decode`](crate::Packet::decode) to get the capture's original length instead.
///
/// ```
/// use packet_flows::{decode, LinkType, Transport};
///
/// // An IPv4/UDP datagram from 10.79.0.1:40053 to 10.79.0.2:53, as a tun device captures it.
/// let mut frame = vec![
///     0x45, 0, 0, 29, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 79, 0, 1, 10, 79, 0, 2,
///     0x9c, 0x75, 0, 53, 0, 9, 0, 0, b'?',
/// ];
/// let meta = decode(LinkType::RAW, &frame).unwrap();
/// let ip = meta.ip().unwrap();
/// assert_eq!(ip.source.to_string(), "10.79.0.1");
/// assert_eq!((ip.ttl, ip.ip_len, meta.proto_name()), (64, 29, "udp"));
/// assert_eq!(ip.transport.ports(), Some((40053, 53)));
///
/// frame[0] = 0x44; // an IHL of 4 words
/// assert_eq!(decode(LinkType::RAW, &frame), Err(packet_flows::Skip::BadIpHeaderLength));
/// ```
pub fn decode(link_type: LinkType, frame: &[u8]) -> Result<PacketMeta<'_>, Skip> {
    decode_with_wire_len(
        link_type,
        frame,
        u32::try_from(frame.len()).unwrap_or(u32::MAX),
    )
}

pub(crate) fn decode_with_wire_len(
    link_type: LinkType,
    frame: &[u8],
    wire_len: u32,
) -> Result<PacketMeta<'_>, Skip> {
    let (sliced, cooked) = slice(link_type, frame)?;
    let network = ip::network(&sliced)?;
    let mut vlan_ids = [0; MAX_VLAN_TAGS];
    let ids = sliced.vlan_ids();
    for (slot, id) in vlan_ids.iter_mut().zip(&ids) {
        *slot = id.value();
    }
    Ok(PacketMeta {
        wire_len,
        network,
        cooked,
        vlan_ids,
        vlan_count: ids.len() as u8,
    })
}

/// Strips the link layer and lets etherparse slice the rest.
fn slice(
    link_type: LinkType,
    frame: &[u8],
) -> Result<(LaxSlicedPacket<'_>, Option<CookedHeader>), Skip> {
    let from_ether_type = |ether_type: u16, payload, cooked: CookedHeader| {
        Ok((
            LaxSlicedPacket::from_ether_type(EtherType(ether_type), payload),
            Some(cooked),
        ))
    };
    let sliced = match link_type {
        LinkType::ETHERNET => {
            LaxSlicedPacket::from_ethernet(frame).map_err(|_| Skip::TruncatedLinkHeader)
        }
        LinkType::LINUX_SLL => {
            let sll = SllFrame::new_checked(frame).ok_or(Skip::TruncatedLinkHeader)?;
            let cooked = CookedHeader {
                packet_type: sll.packet_type(),
                arphrd: sll.arphrd(),
                interface_index: None,
            };
            return from_ether_type(sll.protocol(), sll.payload(), cooked);
        }
        LinkType::LINUX_SLL2 => {
            let sll2 = Sll2Frame::new_checked(frame).ok_or(Skip::TruncatedLinkHeader)?;
            let cooked = CookedHeader {
                packet_type: u16::from(sll2.packet_type()),
                arphrd: sll2.arphrd(),
                interface_index: Some(sll2.interface_index()),
            };
            return from_ether_type(sll2.protocol(), sll2.payload(), cooked);
        }
        LinkType::NULL | LinkType::LOOP => {
            let lo = LoopbackFrame::new_checked(frame).ok_or(Skip::TruncatedLinkHeader)?;
            let family = match link_type {
                LinkType::NULL => lo.host_order_family(),
                _ => lo.network_order_family(),
            };
            match family {
                Family::Ipv4 => from_ip(lo.payload(), Some(4)),
                Family::Ipv6 => from_ip(lo.payload(), Some(6)),
                Family::Other(_) => Err(Skip::NotIp),
            }
        }
        LinkType::RAW => from_ip(frame, None),
        LinkType::IPV4 => from_ip(frame, Some(4)),
        LinkType::IPV6 => from_ip(frame, Some(6)),
        _ => Err(Skip::UnknownLinkType),
    };
    sliced.map(|s| (s, None))
}

/// Slices a bare IP packet, which must be of `version` when the link layer says so.
fn from_ip(packet: &[u8], version: Option<u8>) -> Result<LaxSlicedPacket<'_>, Skip> {
    let first = *packet.first().ok_or(Skip::TruncatedIpHeader)?;
    if version.is_some_and(|v| v != first >> 4) {
        return Err(Skip::BadIpVersion);
    }
    LaxSlicedPacket::from_ip(packet).map_err(|e| ip::skip_for_ip_error(&e))
}

fn be_u16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}
