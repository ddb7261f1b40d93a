//! BSD loopback headers: LINKTYPE_NULL (0) and LINKTYPE_LOOP (108).
//!
//! Both are a 4-byte address family before the IP packet. NULL stores it in the byte order of
//! the host that wrote the capture, so a little-endian and a big-endian writer differ; LOOP
//! always stores it big-endian. The family numbers also differ between systems: IPv4 is 2
//! everywhere, IPv6 is 10 on Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD and 30 on macOS.

/// Length of the loopback header.
pub const HEADER_LEN: usize = 4;

/// The network protocol a loopback header announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// AF_INET.
    Ipv4,
    /// One of the systems' AF_INET6 values.
    Ipv6,
    /// Any other family.
    Other(u32),
}

/// A read-only view of a loopback header and what follows it.
#[derive(Debug)]
pub struct LoopbackFrame<'a> {
    buffer: &'a [u8],
}

impl<'a> LoopbackFrame<'a> {
    /// Wraps `buffer` after checking it holds a whole header; `None` if it is shorter.
    pub fn new_checked(buffer: &'a [u8]) -> Option<LoopbackFrame<'a>> {
        (buffer.len() >= HEADER_LEN).then_some(LoopbackFrame { buffer })
    }

    /// The family as written in host order (NULL): families are small numbers, so a value
    /// with its low 16 bits empty was written by a host of the other byte order.
    pub fn host_order_family(&self) -> Family {
        let b = &self.buffer[..HEADER_LEN];
        let little = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let value = if little & 0xffff == 0 {
            little.swap_bytes()
        } else {
            little
        };
        classify(value)
    }

    /// The family as written in network order (LOOP).
    pub fn network_order_family(&self) -> Family {
        let b = &self.buffer[..HEADER_LEN];
        classify(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The bytes after the header.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer[HEADER_LEN..]
    }
}

fn classify(value: u32) -> Family {
    match value {
        2 => Family::Ipv4,
        10 | 24 | 28 | 30 => Family::Ipv6,
        other => Family::Other(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_byte_orders_and_all_ipv6_values() {
        let le = LoopbackFrame::new_checked(&[2u8, 0, 0, 0]).unwrap();
        let be = LoopbackFrame::new_checked(&[0u8, 0, 0, 2]).unwrap();
        assert_eq!(le.host_order_family(), Family::Ipv4);
        assert_eq!(be.host_order_family(), Family::Ipv4);
        assert_eq!(be.network_order_family(), Family::Ipv4);
        assert_eq!(le.network_order_family(), Family::Other(0x0200_0000));
        for v6 in [10u8, 24, 28, 30] {
            let bytes = [v6, 0, 0, 0];
            let frame = LoopbackFrame::new_checked(&bytes).unwrap();
            assert_eq!(frame.host_order_family(), Family::Ipv6);
        }
        let odd = LoopbackFrame::new_checked(&[7u8, 0, 0, 0]).unwrap();
        assert_eq!(odd.host_order_family(), Family::Other(7));
        assert!(LoopbackFrame::new_checked(&[2u8, 0, 0]).is_none());
    }
}
