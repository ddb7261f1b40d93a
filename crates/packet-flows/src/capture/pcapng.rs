//! pcapng: sections of typed blocks, each framed by its length at both ends.
//!
//! A section header sets the byte order; interface description blocks number the interfaces
//! of their section from 0, each with its own link type, snapshot length and timestamp
//! resolution. Packets come in Enhanced, Simple or obsolete Packet blocks; every other block
//! type is skipped by its length. A block whose length is sound but whose contents do not
//! parse is skipped and counted; a length that is not sound ends the reader.

use pcap_parser::pcapng::{Block, InterfaceDescriptionBlock, OptionCode};
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{PcapBlockOwned, UnknownBlock};

use super::legacy::check_lengths;
use super::{PacketInfo, Step};
use crate::{Error, LinkType, Skip, Timestamp};

/// The first four bytes of a section header block (the same in either byte order).
pub const SECTION_HEADER_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
const BYTE_ORDER_MAGIC_LE: [u8; 4] = [0x4d, 0x3c, 0x2b, 0x1a];
const BYTE_ORDER_MAGIC_BE: [u8; 4] = [0x1a, 0x2b, 0x3c, 0x4d];
/// Block type, block length, trailing block length.
pub const MIN_BLOCK_LEN: usize = 12;
/// The obsolete Packet Block (type 2), still written by some old tools.
const OBSOLETE_PACKET_BLOCK: u32 = 2;
const OBSOLETE_PACKET_HEADER_LEN: usize = 20;
/// Interfaces kept per section; an attacker's file could otherwise describe millions.
pub const MAX_INTERFACES: usize = 4096;

/// One described interface.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link_type: LinkType,
    snaplen: u32,
    /// Timestamp units per second; `None` for an unusable `if_tsresol`.
    units_per_sec: Option<u64>,
    /// Seconds added to every timestamp (`if_tsoffset`).
    offset_secs: i64,
}

impl Interface {
    fn new(idb: &InterfaceDescriptionBlock<'_>, big_endian: bool) -> Interface {
        // pcap-parser 0.17 reads if_tsoffset little-endian whatever the section's byte order,
        // so it is read here again.
        let offset_secs = idb
            .options
            .iter()
            .filter(|o| o.code == OptionCode::IfTsoffset)
            .find_map(|o| <[u8; 8]>::try_from(o.value().get(..8)?).ok())
            .map_or(0, |b| {
                if big_endian {
                    i64::from_be_bytes(b)
                } else {
                    i64::from_le_bytes(b)
                }
            });
        Interface {
            link_type: LinkType(idb.linktype.0 as u16),
            snaplen: idb.snaplen,
            units_per_sec: units_per_sec(idb.if_tsresol),
            offset_secs,
        }
    }

    fn timestamp(&self, ts_high: u32, ts_low: u32) -> Option<Timestamp> {
        let units = self.units_per_sec?;
        let ts = (u64::from(ts_high) << 32) | u64::from(ts_low);
        let secs = i128::from(self.offset_secs) + i128::from(ts / units);
        Timestamp::from_parts(secs, u128::from(ts % units), u128::from(units))
    }
}

/// Timestamp units per second for an `if_tsresol` byte: `10^n`, or `2^n` when the top bit is
/// set. (pcap-parser 0.17's `ts_resolution` compares the unmasked byte with 63, so it refuses
/// every binary resolution.)
fn units_per_sec(tsresol: u8) -> Option<u64> {
    let exponent = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u64.checked_pow(exponent)
    } else {
        1u64.checked_shl(exponent)
    }
}

/// The current section's byte order and interfaces.
#[derive(Debug)]
pub struct PcapNgState {
    big_endian: bool,
    interfaces: Vec<Interface>,
    /// For Simple Packet Blocks, which carry no timestamp of their own.
    last_timestamp: Timestamp,
}

impl PcapNgState {
    /// The state before the first section header, whose byte order is `big_endian`.
    pub fn new(big_endian: bool) -> PcapNgState {
        PcapNgState {
            big_endian,
            interfaces: Vec::new(),
            last_timestamp: Timestamp::default(),
        }
    }

    /// The length of the block starting `data`, once it is all there; `Ok(None)` while more
    /// bytes are needed.
    pub fn frame(&self, data: &[u8], offset: u64, limit: usize) -> Result<Option<usize>, Error> {
        let Some(header) = data.get(..MIN_BLOCK_LEN) else {
            return Ok(None);
        };
        let big_endian = if header[..4] == SECTION_HEADER_MAGIC {
            section_byte_order(&header[8..12]).map_err(|found| Error::Malformed {
                offset,
                reason: format!("section header byte-order magic is {found:02x?}"),
            })?
        } else {
            self.big_endian
        };
        let len = declared_len(header, big_endian).unwrap_or(0);
        if (len as usize) < MIN_BLOCK_LEN || !len.is_multiple_of(4) {
            return Err(Error::Malformed {
                offset,
                reason: format!("block length {len} is not a multiple of 4 of at least 12"),
            });
        }
        if len as usize > limit {
            return Err(Error::RecordTooLarge {
                offset,
                declared: u64::from(len),
                limit,
            });
        }
        Ok((data.len() >= len as usize).then_some(len as usize))
    }

    /// Parses the whole block at the front of `reader`'s buffer.
    pub fn step(&mut self, reader: &mut dyn PcapReaderIterator) -> Step {
        let base = reader.data().as_ptr() as usize;
        let block = match reader.next() {
            Ok((_, PcapBlockOwned::NG(block))) => block,
            Ok(_) => return Step::Control,
            Err(_) => return Step::Skip(Skip::MalformedBlock),
        };
        let start_of = |data: &[u8]| (data.as_ptr() as usize).saturating_sub(base);
        match block {
            Block::SectionHeader(shb) => {
                self.big_endian = shb.big_endian();
                self.interfaces.clear();
                Step::Control
            }
            Block::InterfaceDescription(idb) => {
                if self.interfaces.len() >= MAX_INTERFACES {
                    return Step::Skip(Skip::TooManyInterfaces);
                }
                self.interfaces.push(Interface::new(&idb, self.big_endian));
                Step::Control
            }
            Block::EnhancedPacket(epb) => {
                let data = epb.packet_data();
                self.packet(
                    epb.if_id,
                    (epb.ts_high, epb.ts_low),
                    epb.caplen,
                    epb.origlen,
                )
                .map_or_else(Step::Skip, |info| {
                    info.with_data(start_of(data), data.len())
                })
            }
            Block::SimplePacket(spb) => {
                let Some(interface) = self.interfaces.first() else {
                    return Step::Skip(Skip::UnknownInterface);
                };
                // The captured length is implied: the original length, cut to the snapshot
                // length and to what the block holds.
                let mut data = spb.packet_data();
                if interface.snaplen != 0 && data.len() > interface.snaplen as usize {
                    data = &data[..interface.snaplen as usize];
                }
                if data.is_empty() {
                    return Step::Skip(Skip::ZeroLength);
                }
                let info = PacketInfo {
                    timestamp: self.last_timestamp,
                    link_type: interface.link_type,
                    interface: 0,
                    start: 0,
                    len: 0,
                    original_len: spb.origlen,
                };
                info.with_data(start_of(data), data.len())
            }
            Block::Unknown(unknown) if self.is_obsolete_packet_block(&unknown) => {
                match self.obsolete_packet(&unknown) {
                    Ok((info, data)) => info.with_data(start_of(data), data.len()),
                    Err(skip) => Step::Skip(skip),
                }
            }
            _ => Step::Control,
        }
    }

    /// The checks and metadata shared by Enhanced and obsolete Packet blocks.
    fn packet(
        &mut self,
        interface: u32,
        (ts_high, ts_low): (u32, u32),
        caplen: u32,
        original_len: u32,
    ) -> Result<PacketInfo, Skip> {
        let iface = usize::try_from(interface)
            .ok()
            .and_then(|i| self.interfaces.get(i));
        let iface = iface.ok_or(Skip::UnknownInterface)?;
        let timestamp = iface.timestamp(ts_high, ts_low).ok_or(Skip::BadTimestamp)?;
        if let Some(skip) = check_lengths(caplen, original_len, iface.snaplen) {
            return Err(skip);
        }
        self.last_timestamp = timestamp;
        Ok(PacketInfo {
            timestamp,
            link_type: iface.link_type,
            interface,
            start: 0,
            len: 0,
            original_len,
        })
    }

    fn is_obsolete_packet_block(&self, block: &UnknownBlock<'_>) -> bool {
        // pcap-parser reads unknown block types little-endian whatever the byte order.
        let block_type = if self.big_endian {
            block.block_type.swap_bytes()
        } else {
            block.block_type
        };
        block_type == OBSOLETE_PACKET_BLOCK
    }

    /// Interface id (16 bits), drops count (16), timestamp (2 x 32), captured and original
    /// lengths (32 each), then the packet.
    fn obsolete_packet<'b>(
        &mut self,
        block: &UnknownBlock<'b>,
    ) -> Result<(PacketInfo, &'b [u8]), Skip> {
        let content = block.data;
        let header = content
            .get(..OBSOLETE_PACKET_HEADER_LEN)
            .ok_or(Skip::MalformedBlock)?;
        let u16_at = |i: usize| {
            let b = [header[i], header[i + 1]];
            if self.big_endian {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            }
        };
        let u32_at = |i: usize| {
            let b = [header[i], header[i + 1], header[i + 2], header[i + 3]];
            if self.big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let (interface, caplen, original_len) = (u16_at(0), u32_at(12), u32_at(16));
        let data = content
            .get(OBSOLETE_PACKET_HEADER_LEN..)
            .and_then(|rest| rest.get(..caplen as usize))
            .ok_or(Skip::MalformedBlock)?;
        let info = self.packet(
            u32::from(interface),
            (u32_at(4), u32_at(8)),
            caplen,
            original_len,
        )?;
        Ok((info, data))
    }
}

/// The block length field of the block starting `data`, if its first 8 bytes are there.
pub fn declared_len(data: &[u8], big_endian: bool) -> Option<u32> {
    let b: [u8; 4] = data.get(4..8)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

/// `Ok(big_endian)` for a valid byte-order magic, else the bytes found.
pub fn section_byte_order(magic: &[u8]) -> Result<bool, Vec<u8>> {
    match magic {
        m if m == BYTE_ORDER_MAGIC_LE => Ok(false),
        m if m == BYTE_ORDER_MAGIC_BE => Ok(true),
        other => Err(other.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_and_binary_resolutions() {
        assert_eq!(units_per_sec(6), Some(1_000_000));
        assert_eq!(units_per_sec(9), Some(1_000_000_000));
        assert_eq!(units_per_sec(19), Some(10_000_000_000_000_000_000));
        assert_eq!(units_per_sec(20), None);
        assert_eq!(units_per_sec(0x80 | 20), Some(1 << 20));
        assert_eq!(units_per_sec(0x80 | 63), Some(1 << 63));
        assert_eq!(units_per_sec(0x80 | 64), None);
    }
}
