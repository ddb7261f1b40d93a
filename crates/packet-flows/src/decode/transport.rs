//! The layer above IP: TCP, UDP, ICMP, ICMPv6, or just a protocol number.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IcmpMessage {
    /// The message type (8 echo request, 0 echo reply, 3 unreachable, ...).
    pub kind: u8,
    /// The code within the type.
    pub code: u8,
    /// Bytes 4-5 of the header: the identifier that pairs an echo request with its reply
    /// (unused, normally 0, in most other messages); 0 when not captured.
    pub identifier: u16,
    /// Bytes 6-7: the echo sequence number; 0 when not captured.
    pub sequence: u16,
    /// For an error message (unreachable, time exceeded, parameter problem, redirect, source
    /// quench, packet too big), the flow of the packet it quotes, when enough was captured.
    pub quoted: Option<QuotedFlow>,
}

/// The addresses, protocol and ports of the packet an ICMP error message quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotedFlow {
    /// The quoted packet's IP protocol number.
    pub protocol: u8,
    /// Its source address (normally the host receiving the error).
    pub source: IpAddr,
    /// Its destination address.
    pub destination: IpAddr,
    /// Its source and destination ports, for TCP and UDP when captured.
    pub ports: Option<(u16, u16)>,
    /// For UDP, the first two payload bytes when captured (a DNS message's transaction id).
    pub udp_prefix: Option<u16>,
}

/// ICMP types that quote the offending packet: unreachable, source quench, redirect, time
/// exceeded, parameter problem.
const ICMP_ERRORS: [u8; 5] = [3, 4, 5, 11, 12];
/// ICMPv6 types that do: unreachable, packet too big, time exceeded, parameter problem.
const ICMPV6_ERRORS: [u8; 4] = [1, 2, 3, 4];
/// Type, code, checksum and the 4-byte field before a quoted packet.
const ICMP_ERROR_HEADER_LEN: usize = 8;

/// The flow of the packet quoted after an ICMP error header, if it is all there.
fn quoted_flow(quoted: &[u8]) -> Option<QuotedFlow> {
    let first = *quoted.first()?;
    let (protocol, source, destination, header_len) = match first >> 4 {
        4 => {
            let header_len = usize::from(first & 0x0f) * 4;
            let addr = |at: usize| -> Option<IpAddr> {
                let b: [u8; 4] = quoted.get(at..at + 4)?.try_into().ok()?;
                Some(IpAddr::V4(Ipv4Addr::from(b)))
            };
            if header_len < 20 {
                return None;
            }
            (*quoted.get(9)?, addr(12)?, addr(16)?, header_len)
        }
        6 => {
            let addr = |at: usize| -> Option<IpAddr> {
                let b: [u8; 16] = quoted.get(at..at + 16)?.try_into().ok()?;
                Some(IpAddr::V6(Ipv6Addr::from(b)))
            };
            (*quoted.get(6)?, addr(8)?, addr(24)?, 40)
        }
        _ => return None,
    };
    let ports = match protocol {
        TCP | UDP => quoted
            .get(header_len..header_len + 4)
            .map(|p| (be_u16(&p[0..2]), be_u16(&p[2..4]))),
        _ => None,
    };
    let udp_prefix = match protocol {
        UDP => quoted
            .get(header_len + UDP_HEADER_LEN..header_len + UDP_HEADER_LEN + 2)
            .map(be_u16),
        _ => None,
    };
    Some(QuotedFlow {
        protocol,
        source,
        destination,
        ports,
        udp_prefix,
    })
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
            let errors: &[u8] = if protocol == ICMP {
                &ICMP_ERRORS
            } else {
                &ICMPV6_ERRORS
            };
            let message = IcmpMessage {
                kind: captured[0],
                code: captured[1],
                identifier: captured.get(4..6).map_or(0, be_u16),
                sequence: captured.get(6..8).map_or(0, be_u16),
                quoted: match captured.get(ICMP_ERROR_HEADER_LEN..) {
                    Some(quoted) if errors.contains(&captured[0]) => quoted_flow(quoted),
                    _ => None,
                },
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
        let echo = [8, 0, 0x12, 0x34, 0x0b, 0xb8, 0, 1];
        let message = |kind, code, identifier, sequence| IcmpMessage {
            kind,
            code,
            identifier,
            sequence,
            quoted: None,
        };
        assert_eq!(
            decode(ICMP, &echo, 8),
            Ok(Transport::Icmp(message(8, 0, 3000, 1)))
        );
        // Port unreachable quoting 10.77.0.1.40053 > 10.77.0.2.53 (UDP).
        let mut error = vec![3, 3, 0, 0, 0, 0, 0, 0];
        error.extend([
            0x45, 0, 0, 29, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 77, 0, 1, 10, 77, 0, 2,
        ]);
        error.extend([0x9c, 0x75, 0, 53, 0, 9, 0, 0]);
        let Ok(Transport::Icmp(m)) = decode(ICMP, &error, error.len() as u32) else {
            panic!("not ICMP")
        };
        let quoted = m.quoted.unwrap();
        assert_eq!((quoted.protocol, quoted.ports), (17, Some((40053, 53))));
        assert_eq!(quoted.destination.to_string(), "10.77.0.2");
        // Cut inside the quoted ports: the addresses are kept, the ports are not.
        let cut = decode(ICMP, &error[..30], 30).unwrap();
        let Transport::Icmp(m) = cut else { panic!() };
        assert_eq!(m.quoted.unwrap().ports, None);
        // Cut inside the quoted header: nothing is quoted.
        let Transport::Icmp(m) = decode(ICMP, &error[..20], 20).unwrap() else {
            panic!()
        };
        assert_eq!(m.quoted, None);
        assert_eq!(
            decode(ICMP, &unreachable, 4),
            Ok(Transport::Icmp(message(3, 3, 0, 0)))
        );
        assert_eq!(
            decode(ICMPV6, &[129, 0, 0, 0], 4),
            Ok(Transport::Icmpv6(message(129, 0, 0, 0)))
        );
        assert_eq!(
            decode(ICMP, &unreachable[..3], 4),
            Err(Skip::TruncatedTransportHeader)
        );
        assert_eq!(decode(47, &[], 0), Ok(Transport::Other));
        assert_eq!(Transport::Other.ports(), None);
    }
}
