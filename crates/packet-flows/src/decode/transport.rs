//! The layer above IP: TCP, UDP, ICMP, ICMPv6, or just a protocol number.

use super::be_u16;
use super::tcp::{self, TcpSegment};
use crate::Skip;

const ICMP: u8 = 1;
const TCP: u8 = 6;
const UDP: u8 = 17;
const ICMPV6: u8 = 58;

const UDP_HEADER_LEN: usize = 8;
/// Type, code and checksum: what every ICMP message starts with.
const ICMP_HEADER_LEN: usize = 4;

/// What the IP payload holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport<'a> {
    /// A TCP segment.
    Tcp(TcpSegment<'a>),
    /// A UDP datagram.
    Udp(UdpDatagram<'a>),
    /// An ICMP (IPv4) message.
    Icmp(IcmpMessage),
    /// An ICMPv6 message.
    Icmpv6(IcmpMessage),
    /// A non-first fragment: the transport header is in another packet.
    LaterFragment,
    /// Another protocol, known only by [`IpPacket::protocol`](crate::IpPacket::protocol).
    Other,
}

impl Transport<'_> {
    /// `(source, destination)` ports for TCP and UDP.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match self {
            Transport::Tcp(t) => Some((t.source_port, t.destination_port)),
            Transport::Udp(u) => Some((u.source_port, u.destination_port)),
            _ => None,
        }
    }
}

/// What a flow table needs from a UDP datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    /// Source port.
    pub source_port: u16,
    /// Destination port.
    pub destination_port: u16,
    /// The UDP length field (header included), as sent; it may disagree with the IP header.
    pub length: u16,
    /// The payload bytes the capture holds.
    pub payload: &'a [u8],
    /// The payload length the IP header implies (for a first fragment: this fragment's part).
    pub payload_len: u32,
}

/// An ICMP or ICMPv6 message's type and code (Argus derives its ICMP states from them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpMessage {
    /// The message type (8 echo request, 0 echo reply, 3 unreachable, ...).
    pub kind: u8,
    /// The code within the type.
    pub code: u8,
}

/// Decodes the transport header of an unfragmented packet or a first fragment from `captured`
/// (the captured IP payload) given `declared_len`, the payload length the IP header gives.
pub fn decode(protocol: u8, captured: &[u8], declared_len: u32) -> Result<Transport<'_>, Skip> {
    Ok(match protocol {
        TCP => Transport::Tcp(tcp::decode(captured, declared_len)?),
        UDP => {
            if captured.len() < UDP_HEADER_LEN || declared_len < UDP_HEADER_LEN as u32 {
                return Err(Skip::TruncatedTransportHeader);
            }
            Transport::Udp(UdpDatagram {
                source_port: be_u16(&captured[0..2]),
                destination_port: be_u16(&captured[2..4]),
                length: be_u16(&captured[4..6]),
                payload: &captured[UDP_HEADER_LEN..],
                payload_len: declared_len - UDP_HEADER_LEN as u32,
            })
        }
        ICMP | ICMPV6 => {
            if captured.len() < ICMP_HEADER_LEN {
                return Err(Skip::TruncatedTransportHeader);
            }
            let message = IcmpMessage {
                kind: captured[0],
                code: captured[1],
            };
            if protocol == ICMP {
                Transport::Icmp(message)
            } else {
                Transport::Icmpv6(message)
            }
        }
        _ => Transport::Other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_ports_and_lengths() {
        // 10.77.0.1.40053 > 10.77.0.2.53, UDP length 37, from tests/fixtures/ethernet.pcap.
        let udp = [0x9c, 0x75, 0x00, 0x35, 0x00, 0x25, 0x00, 0x00, 0x10, 0x00];
        let Transport::Udp(d) = decode(UDP, &udp, 37).unwrap() else {
            panic!("not UDP")
        };
        assert_eq!(
            (d.source_port, d.destination_port, d.length),
            (40053, 53, 37)
        );
        assert_eq!((d.payload, d.payload_len), (&[0x10, 0x00][..], 29));
        assert_eq!(decode(UDP, &udp, 37).unwrap().ports(), Some((40053, 53)));
        assert_eq!(
            decode(UDP, &udp[..7], 37),
            Err(Skip::TruncatedTransportHeader)
        );
        assert_eq!(decode(UDP, &udp, 7), Err(Skip::TruncatedTransportHeader));
    }

    #[test]
    fn icmp_type_and_code() {
        let unreachable = [3, 3, 0x12, 0x34];
        assert_eq!(
            decode(ICMP, &unreachable, 4),
            Ok(Transport::Icmp(IcmpMessage { kind: 3, code: 3 }))
        );
        assert_eq!(
            decode(ICMPV6, &[129, 0, 0, 0], 4),
            Ok(Transport::Icmpv6(IcmpMessage { kind: 129, code: 0 }))
        );
        assert_eq!(
            decode(ICMP, &unreachable[..3], 4),
            Err(Skip::TruncatedTransportHeader)
        );
        assert_eq!(decode(47, &[], 0), Ok(Transport::Other));
        assert_eq!(Transport::Other.ports(), None);
    }
}
