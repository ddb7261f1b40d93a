//! Linux cooked capture header, version 2 (LINKTYPE_LINUX_SLL2, 276).
//!
//! ```text
//!  0          2          4            8        10     11         12                   20
//!  | protocol | reserved | if index   | ARPHRD | type | addr len | link address (8)  |
//! ```
//! All fields are big-endian. Unlike SLL v1 the protocol comes first and the header names the
//! interface by index; etherparse 0.21 has no SLL2 parser, hence this view.

use super::be_u16;

mod field {
    use std::ops::Range;
    pub const PROTOCOL: Range<usize> = 0..2;
    pub const IF_INDEX: Range<usize> = 4..8;
    pub const ARPHRD: Range<usize> = 8..10;
    pub const PACKET_TYPE: usize = 10;
}

/// Length of the SLL2 header.
pub const HEADER_LEN: usize = 20;

/// A read-only view of an SLL2 header and what follows it.
#[derive(Debug)]
pub struct Sll2Frame<'a> {
    buffer: &'a [u8],
}

impl<'a> Sll2Frame<'a> {
    /// Wraps `buffer` after checking it holds a whole header; `None` if it is shorter.
    pub fn new_checked(buffer: &'a [u8]) -> Option<Sll2Frame<'a>> {
        (buffer.len() >= HEADER_LEN).then_some(Sll2Frame { buffer })
    }

    /// The protocol of the payload: an EtherType for IP and ARP.
    pub fn protocol(&self) -> u16 {
        be_u16(&self.buffer[field::PROTOCOL])
    }

    /// The capturing host's interface index (meaningful only on that host).
    pub fn interface_index(&self) -> u32 {
        let b = &self.buffer[field::IF_INDEX];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// The Linux ARPHRD_* hardware type of the interface.
    pub fn arphrd(&self) -> u16 {
        be_u16(&self.buffer[field::ARPHRD])
    }

    /// Whether the packet was sent to us (0), broadcast (1), ..., or sent by us (4).
    pub fn packet_type(&self) -> u8 {
        self.buffer[field::PACKET_TYPE]
    }

    /// The bytes after the header.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer[HEADER_LEN..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_an_incoming_ipv4_header() {
        // From tests/fixtures/sll2.pcap: an ICMP echo reply received on ifindex 2.
        let bytes = [
            0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x06, 0x3e, 0x2f,
            0xab, 0x0a, 0x4a, 0xbf, 0x00, 0x00, 0x45,
        ];
        let sll2 = Sll2Frame::new_checked(&bytes[..]).unwrap();
        assert_eq!(sll2.protocol(), 0x0800);
        assert_eq!(sll2.interface_index(), 2);
        assert_eq!((sll2.arphrd(), sll2.packet_type()), (1, 0));
        assert_eq!(sll2.payload(), &[0x45]);
        assert!(Sll2Frame::new_checked(&bytes[..19]).is_none());
    }
}
