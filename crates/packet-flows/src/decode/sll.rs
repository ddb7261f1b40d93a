//! Linux cooked capture header, version 1 (LINKTYPE_LINUX_SLL, 113).
//!
//! ```text
//!  0      2          4           6                     14        16
//!  | type | ARPHRD   | addr len  | link address (8)    | protocol |
//! ```
//! All fields are big-endian. `protocol` is an EtherType for most hardware types.

use super::be_u16;

mod field {
    use std::ops::Range;
    pub const PACKET_TYPE: Range<usize> = 0..2;
    pub const ARPHRD: Range<usize> = 2..4;
    pub const PROTOCOL: Range<usize> = 14..16;
}

/// Length of the SLL header.
pub const HEADER_LEN: usize = 16;

/// A read-only view of an SLL header and what follows it.
#[derive(Debug)]
pub struct SllFrame<'a> {
    buffer: &'a [u8],
}

impl<'a> SllFrame<'a> {
    /// Wraps `buffer` after checking it holds a whole header; `None` if it is shorter.
    pub fn new_checked(buffer: &'a [u8]) -> Option<SllFrame<'a>> {
        (buffer.len() >= HEADER_LEN).then_some(SllFrame { buffer })
    }

    /// Whether the packet was sent to us (0), broadcast (1), ..., or sent by us (4).
    pub fn packet_type(&self) -> u16 {
        be_u16(&self.buffer[field::PACKET_TYPE])
    }

    /// The Linux ARPHRD_* hardware type of the interface.
    pub fn arphrd(&self) -> u16 {
        be_u16(&self.buffer[field::ARPHRD])
    }

    /// The protocol of the payload: an EtherType for IP and ARP.
    pub fn protocol(&self) -> u16 {
        be_u16(&self.buffer[field::PROTOCOL])
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
    fn fields_of_an_outgoing_ipv4_header() {
        // From tests/fixtures/sll.pcap: an ICMP echo request sent by pfA (packet type 4).
        let bytes = [
            0x00, 0x04, 0x00, 0x01, 0x00, 0x06, 0xe2, 0xd2, 0xf4, 0x5b, 0xdc, 0x7a, 0x00, 0x00,
            0x08, 0x00, 0x45,
        ];
        let sll = SllFrame::new_checked(&bytes[..]).unwrap();
        assert_eq!(
            (sll.packet_type(), sll.arphrd(), sll.protocol()),
            (4, 1, 0x0800)
        );
        assert_eq!(sll.payload(), &[0x45]);
        assert!(SllFrame::new_checked(&bytes[..15]).is_none());
    }
}
