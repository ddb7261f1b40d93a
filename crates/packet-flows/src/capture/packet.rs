//! One captured packet, lent or owned.

use crate::decode::decode_with_wire_len;
use crate::{LinkType, PacketMeta, Skip, Timestamp};

/// A captured packet whose bytes are lent from the reader's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// When it was captured.
    pub timestamp: Timestamp,
    /// The link-layer header type of its interface.
    pub link_type: LinkType,
    /// The pcapng interface it was captured on (numbered per section from 0); 0 for pcap.
    pub interface: u32,
    /// The bytes the capture holds, link-layer header first.
    pub captured: &'a [u8],
    /// The packet's length on the wire; more than `captured.len()` when the capture was cut
    /// at a snapshot length.
    pub original_len: u32,
}

impl<'a> Packet<'a> {
    /// Decodes the packet; the result's [`wire_len`](PacketMeta::wire_len) is the original
    /// length.
    pub fn decode(&self) -> Result<PacketMeta<'a>, Skip> {
        decode_with_wire_len(self.link_type, self.captured, self.original_len)
    }

    /// Copies the packet out of the reader's buffer.
    pub fn to_owned(&self) -> OwnedPacket {
        OwnedPacket {
            timestamp: self.timestamp,
            link_type: self.link_type,
            interface: self.interface,
            captured: self.captured.to_vec(),
            original_len: self.original_len,
        }
    }
}

/// A captured packet that owns its bytes: what the reader's [`Iterator`] yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedPacket {
    /// When it was captured.
    pub timestamp: Timestamp,
    /// The link-layer header type of its interface.
    pub link_type: LinkType,
    /// The pcapng interface it was captured on; 0 for pcap.
    pub interface: u32,
    /// The bytes the capture holds, link-layer header first.
    pub captured: Vec<u8>,
    /// The packet's length on the wire.
    pub original_len: u32,
}

impl OwnedPacket {
    /// A [`Packet`] view of these bytes.
    pub fn as_packet(&self) -> Packet<'_> {
        Packet {
            timestamp: self.timestamp,
            link_type: self.link_type,
            interface: self.interface,
            captured: &self.captured,
            original_len: self.original_len,
        }
    }
}
