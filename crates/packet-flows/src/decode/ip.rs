//! The network layer: IPv4, IPv6 (through its extension headers) and ARP, from etherparse's
//! lax slicing. Lax, because a capture cut at a snapshot length holds IP headers whose total
//! length runs past the captured bytes; those packets are real and must be kept.

use std::net::{IpAddr, Ipv4Addr};

use etherparse::err::Layer;
use etherparse::err::ip::{HeaderError, LaxHeaderSliceError};
use etherparse::err::packet::SliceError;
use etherparse::{
    ArpPacketSlice, EtherType, Ipv6ExtensionSlice, LaxIpPayloadSlice, LaxIpv4Slice, LaxIpv6Slice,
    LaxNetSlice, LaxSlicedPacket,
};

use super::transport::{self, Transport};
use crate::Skip;

const IPV6_HEADER_LEN: usize = 40;

/// The network layer of a decoded packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Network<'a> {
    /// IPv4 or IPv6.
    Ip(IpPacket<'a>),
    /// ARP for IPv4 addresses.
    Arp(ArpPacket),
}

/// What a flow table needs from an IPv4 or IPv6 packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpPacket<'a> {
    /// Source address.
    pub source: IpAddr,
    /// Destination address.
    pub destination: IpAddr,
    /// The transport protocol number: for IPv6 the one after the extension headers, and for
    /// both versions the one after an authentication header.
    pub protocol: u8,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// The packet's length from the start of the IP header, as the header declares it (IPv4
    /// total length, IPv6 40 + payload length), captured or not. When the header declares less
    /// than itself (0, as segmentation offload and IPv6 jumbograms leave it), the captured
    /// length from the IP header on.
    pub ip_len: u32,
    /// Whether this packet is a fragment, and which.
    pub fragment: Fragment,
    /// The transport header; [`Transport::LaterFragment`] for non-first fragments.
    pub transport: Transport<'a>,
}

/// Where a packet sits in a fragmented datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fragment {
    /// Not a fragment.
    Unfragmented,
    /// Offset 0 with more fragments to come: holds the transport header, so the ports.
    First,
    /// A non-zero offset: no transport header, so no ports.
    Later,
}

/// What a flow table needs from an ARP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpPacket {
    /// 1 request, 2 reply (others exist: RARP, InARP).
    pub operation: u16,
    /// Sender protocol (IPv4) address.
    pub sender: Ipv4Addr,
    /// Target protocol (IPv4) address.
    pub target: Ipv4Addr,
}

/// The network layer of a lax-sliced packet, or why it has none worth keeping.
pub fn network<'a>(sliced: &LaxSlicedPacket<'a>) -> Result<Network<'a>, Skip> {
    // Errors past the IP layer are ignored: the transport is decoded again below, leniently.
    if let Some((err, layer)) = &sliced.stop_err
        && let Some(skip) = skip_for(err, *layer)
    {
        return Err(skip);
    }
    match &sliced.net {
        Some(LaxNetSlice::Ipv4(v4)) => ipv4(v4).map(Network::Ip),
        Some(LaxNetSlice::Ipv6(v6)) => ipv6(v6).map(Network::Ip),
        Some(LaxNetSlice::Arp(arp)) => self::arp(arp).map(Network::Arp),
        None => Err(Skip::NotIp),
    }
}

/// The skip reason for an error that `LaxSlicedPacket::from_ip` returns instead of a packet.
pub fn skip_for_ip_error(err: &LaxHeaderSliceError) -> Skip {
    match err {
        LaxHeaderSliceError::Len(_) => Skip::TruncatedIpHeader,
        LaxHeaderSliceError::Content(content) => skip_for_header_error(content),
    }
}

fn skip_for_header_error(err: &HeaderError) -> Skip {
    match err {
        HeaderError::UnsupportedIpVersion { .. } => Skip::BadIpVersion,
        HeaderError::Ipv4HeaderLengthSmallerThanHeader { .. } => Skip::BadIpHeaderLength,
    }
}

/// `Some` for errors at or below the IP layer (the packet is unusable), `None` above it.
fn skip_for(err: &SliceError, layer: Layer) -> Option<Skip> {
    let is_link = matches!(
        layer,
        Layer::Ethernet2Header
            | Layer::EtherPayload
            | Layer::LinuxSllHeader
            | Layer::VlanHeader
            | Layer::MacsecHeader
            | Layer::MacsecPacket
    );
    let is_ip = matches!(
        layer,
        Layer::IpHeader
            | Layer::Ipv4Header
            | Layer::Ipv4Packet
            | Layer::IpAuthHeader
            | Layer::Ipv6Header
            | Layer::Ipv6Packet
            | Layer::Ipv6ExtHeader
            | Layer::Ipv6HopByHopHeader
            | Layer::Ipv6DestOptionsHeader
            | Layer::Ipv6RouteHeader
            | Layer::Ipv6FragHeader
    );
    Some(match err {
        _ if layer == Layer::Arp => Skip::TruncatedArp,
        SliceError::Len(_) if is_link => Skip::TruncatedLinkHeader,
        SliceError::Len(_) if is_ip => Skip::TruncatedIpHeader,
        SliceError::Ip(content) => skip_for_header_error(content),
        SliceError::Ipv4Exts(_) | SliceError::Ipv6Exts(_) => Skip::BadIpExtensionHeader,
        SliceError::Ipv4(_) | SliceError::Ipv6(_) => Skip::BadIpVersion,
        SliceError::LinuxSll(_) | SliceError::Macsec(_) => Skip::NotIp,
        _ => return None,
    })
}

fn ipv4<'a>(v4: &LaxIpv4Slice<'a>) -> Result<IpPacket<'a>, Skip> {
    let header = v4.header();
    let payload = v4.payload();
    let transport_offset = offset_within(header.slice(), payload.payload);
    let declared = u32::from(header.total_len());
    let ip_len = if declared as usize >= header.slice().len() {
        declared
    } else {
        len_u32(transport_offset + payload.payload.len())
    };
    let offset = header.fragments_offset().value();
    let fragment = fragment_position(offset, header.more_fragments());
    Ok(IpPacket {
        source: IpAddr::V4(header.source_addr()),
        destination: IpAddr::V4(header.destination_addr()),
        protocol: payload.ip_number.0,
        ttl: header.ttl(),
        ip_len,
        fragment,
        transport: transport_of(payload, fragment, ip_len, transport_offset)?,
    })
}

fn ipv6<'a>(v6: &LaxIpv6Slice<'a>) -> Result<IpPacket<'a>, Skip> {
    let header = v6.header();
    let payload = v6.payload();
    let transport_offset = offset_within(header.slice(), payload.payload);
    let ip_len = match header.payload_length() {
        0 => len_u32(transport_offset + payload.payload.len()),
        n => IPV6_HEADER_LEN as u32 + u32::from(n),
    };
    let mut fragment = Fragment::Unfragmented;
    for ext in v6.extensions().clone() {
        if let Ipv6ExtensionSlice::Fragment(f) = ext {
            fragment = fragment_position(f.fragment_offset().value(), f.more_fragments());
        }
    }
    Ok(IpPacket {
        source: IpAddr::V6(header.source_addr()),
        destination: IpAddr::V6(header.destination_addr()),
        protocol: payload.ip_number.0,
        ttl: header.hop_limit(),
        ip_len,
        fragment,
        transport: transport_of(payload, fragment, ip_len, transport_offset)?,
    })
}

fn fragment_position(offset: u16, more_fragments: bool) -> Fragment {
    match (offset, more_fragments) {
        (0, false) => Fragment::Unfragmented,
        (0, true) => Fragment::First,
        _ => Fragment::Later,
    }
}

fn transport_of<'a>(
    payload: &LaxIpPayloadSlice<'a>,
    fragment: Fragment,
    ip_len: u32,
    transport_offset: usize,
) -> Result<Transport<'a>, Skip> {
    if fragment == Fragment::Later {
        return Ok(Transport::LaterFragment);
    }
    let declared = ip_len.saturating_sub(len_u32(transport_offset));
    transport::decode(payload.ip_number.0, payload.payload, declared)
}

fn arp(arp: &ArpPacketSlice<'_>) -> Result<ArpPacket, Skip> {
    let ipv4 = |bytes: &[u8]| <[u8; 4]>::try_from(bytes).map(Ipv4Addr::from);
    if arp.proto_addr_type() != EtherType::IPV4 {
        return Err(Skip::UnsupportedArp);
    }
    match (
        ipv4(arp.sender_protocol_addr()),
        ipv4(arp.target_protocol_addr()),
    ) {
        (Ok(sender), Ok(target)) => Ok(ArpPacket {
            operation: arp.operation().0,
            sender,
            target,
        }),
        _ => Err(Skip::UnsupportedArp),
    }
}

/// Bytes from the start of `outer` to the start of `inner`, a later part of the same packet.
fn offset_within(outer: &[u8], inner: &[u8]) -> usize {
    // Both slices come from one packet buffer, so the difference is in bounds; saturate anyway
    // rather than trust it.
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
