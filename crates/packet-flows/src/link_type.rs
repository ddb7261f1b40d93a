//! Link-layer header types, as numbered by the tcpdump.org LINKTYPE registry.

use std::fmt;

/// The link-layer header type of a capture interface (a LINKTYPE_* number).
///
/// Only the types [`decode`](crate::decode()) understands have constants; any other number is
/// still carried through so that skipped packets can say which type they had.
///
/// ```
/// use packet_flows::LinkType;
///
/// assert_eq!(LinkType::ETHERNET, LinkType(1));
/// assert_eq!(LinkType::LINUX_SLL2.to_string(), "LINUX_SLL2 (276)");
/// assert_eq!(LinkType(147).to_string(), "LINKTYPE 147");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u16);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the writing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II, optionally with 802.1Q / 802.1ad VLAN tags.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP: the packet starts with an IPv4 or IPv6 header.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: like [`LinkType::NULL`] but always big-endian.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture, version 1 (16-byte header), used by `tcpdump -i any`.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4 only.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6 only.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux "cooked" capture, version 2 (20-byte header, with the interface index).
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The registry name of the types this crate decodes, `None` for the others.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            LinkType::NULL => "NULL",
            LinkType::ETHERNET => "ETHERNET",
            LinkType::RAW => "RAW",
            LinkType::LOOP => "LOOP",
            LinkType::LINUX_SLL => "LINUX_SLL",
            LinkType::IPV4 => "IPV4",
            LinkType::IPV6 => "IPV6",
            LinkType::LINUX_SLL2 => "LINUX_SLL2",
            _ => return None,
        })
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "LINKTYPE {}", self.0),
        }
    }
}
