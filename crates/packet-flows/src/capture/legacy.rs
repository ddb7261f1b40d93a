//! Classic pcap: a 24-byte file header, then records of a 16-byte header and the packet.
//!
//! Records carry no marker, so a corrupt length loses every record boundary after it: the
//! framing below checks each declared length against the reader's limit before any byte of
//! the record is awaited, and reports what cannot be framed as an error.

use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapHeader};

use super::{PacketInfo, Step};
use crate::{Error, LinkType, Skip, Timestamp};

/// Length of the file header.
pub const FILE_HEADER_LEN: usize = 24;
const RECORD_HEADER_LEN: usize = 16;
/// The "modified" format (Alexey Kuznetsov's patches) adds 8 bytes to each record header.
const MODIFIED_RECORD_HEADER_LEN: usize = 24;

/// What the file header says about every record.
#[derive(Debug)]
pub struct PcapState {
    big_endian: bool,
    nanosecond: bool,
    record_header_len: usize,
    snaplen: u32,
    link_type: LinkType,
}

impl PcapState {
    pub fn new(header: &PcapHeader) -> PcapState {
        PcapState {
            big_endian: header.is_bigendian(),
            nanosecond: header.is_nanosecond_precision(),
            record_header_len: if header.is_modified_format() {
                MODIFIED_RECORD_HEADER_LEN
            } else {
                RECORD_HEADER_LEN
            },
            snaplen: header.snaplen,
            // The upper bits hold FCS information (pcap 2.4 spec); the type is the low 16.
            link_type: LinkType((header.network.0 & 0xffff) as u16),
        }
    }

    pub fn big_endian(&self) -> bool {
        self.big_endian
    }

    pub fn nanosecond(&self) -> bool {
        self.nanosecond
    }

    /// The length of the record starting `data`, once its header is there; `Ok(None)` while
    /// more bytes are needed.
    pub fn frame(&self, data: &[u8], offset: u64, limit: usize) -> Result<Option<usize>, Error> {
        let Some(caplen) = data.get(8..12) else {
            return Ok(None);
        };
        let caplen = [caplen[0], caplen[1], caplen[2], caplen[3]];
        let caplen = if self.big_endian {
            u32::from_be_bytes(caplen)
        } else {
            u32::from_le_bytes(caplen)
        };
        let declared = self.record_header_len as u64 + u64::from(caplen);
        if declared > limit as u64 {
            return Err(Error::RecordTooLarge {
                offset,
                declared,
                limit,
            });
        }
        if data.len() < self.record_header_len {
            return Ok(None);
        }
        Ok((data.len() as u64 >= declared).then_some(declared as usize))
    }

    /// Parses the whole record at the front of `reader`'s buffer.
    pub fn step(&self, reader: &mut dyn PcapReaderIterator) -> Step {
        let base = reader.data().as_ptr() as usize;
        let record = match reader.next() {
            Ok((_, PcapBlockOwned::Legacy(record))) => record,
            // The framing handed pcap-parser a whole record, so neither can happen.
            Ok(_) => return Step::Control,
            Err(_) => return Step::Skip(Skip::MalformedBlock),
        };
        let units = if self.nanosecond {
            1_000_000_000
        } else {
            1_000_000
        };
        let Some(timestamp) =
            Timestamp::from_parts(i128::from(record.ts_sec), u128::from(record.ts_usec), units)
        else {
            return Step::Skip(Skip::BadTimestamp);
        };
        if let Some(skip) = check_lengths(record.caplen, record.origlen, self.snaplen) {
            return Step::Skip(skip);
        }
        Step::Packet(PacketInfo {
            timestamp,
            link_type: self.link_type,
            interface: 0,
            start: (record.data.as_ptr() as usize).saturating_sub(base),
            len: record.data.len(),
            original_len: record.origlen,
        })
    }
}

/// The checks every packet record gets, pcap or pcapng (a zero `snaplen` means no limit).
///
/// libpcap instead keeps a record longer than the snapshot length, cut to it; skipping it
/// is the stricter choice, and the count says when it happened.
pub fn check_lengths(caplen: u32, original_len: u32, snaplen: u32) -> Option<Skip> {
    if caplen == 0 {
        Some(Skip::ZeroLength)
    } else if caplen > original_len || (snaplen != 0 && caplen > snaplen) {
        Some(Skip::SnaplenExceeded)
    } else {
        None
    }
}
