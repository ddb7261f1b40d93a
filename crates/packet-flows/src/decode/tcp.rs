//! TCP headers.
//!
//! A small view rather than etherparse's `TcpSlice`, because `TcpSlice` wants every option
//! byte present: a capture cut at a short snapshot length (`tcpdump -s 64`) still holds the
//! 20 fixed bytes a flow table needs, and those packets must not be lost.

use std::fmt;

use super::be_u16;
use crate::Skip;

mod field {
    use std::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const SEQ: Range<usize> = 4..8;
    pub const ACK: Range<usize> = 8..12;
    pub const OFFSET_FLAGS: Range<usize> = 12..14;
    pub const WINDOW: Range<usize> = 14..16;
    pub const OPTIONS: usize = 20;
}

/// Length of the TCP header without options.
pub const MIN_HEADER_LEN: usize = 20;

const OPTION_END: u8 = 0;
const OPTION_NOP: u8 = 1;
const OPTION_WINDOW_SCALE: u8 = 3;

/// The TCP control bits (the 9 low bits of bytes 12-13).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    /// No more data from sender.
    pub const FIN: TcpFlags = TcpFlags(0x001);
    /// Synchronize sequence numbers.
    pub const SYN: TcpFlags = TcpFlags(0x002);
    /// Reset the connection.
    pub const RST: TcpFlags = TcpFlags(0x004);
    /// Push.
    pub const PSH: TcpFlags = TcpFlags(0x008);
    /// The acknowledgment field is significant.
    pub const ACK: TcpFlags = TcpFlags(0x010);
    /// The urgent pointer is significant.
    pub const URG: TcpFlags = TcpFlags(0x020);
    /// ECN echo.
    pub const ECE: TcpFlags = TcpFlags(0x040);
    /// Congestion window reduced.
    pub const CWR: TcpFlags = TcpFlags(0x080);
    /// ECN nonce (historic).
    pub const NS: TcpFlags = TcpFlags(0x100);

    /// Whether every bit of `other` is set here.
    pub fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl fmt::Debug for TcpFlags {
    /// tcpdump's letters: `S` SYN, `F` FIN, `R` RST, `P` PSH, `.` ACK, `U` URG, `E` ECE,
    /// `W` CWR, `N` NS; `none` when no bit is set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letters = [
            (TcpFlags::SYN, 'S'),
            (TcpFlags::FIN, 'F'),
            (TcpFlags::RST, 'R'),
            (TcpFlags::PSH, 'P'),
            (TcpFlags::URG, 'U'),
            (TcpFlags::ECE, 'E'),
            (TcpFlags::CWR, 'W'),
            (TcpFlags::NS, 'N'),
            (TcpFlags::ACK, '.'),
        ];
        let text: String = letters
            .iter()
            .filter(|(b, _)| self.contains(*b))
            .map(|(_, c)| *c)
            .collect();
        f.write_str(if text.is_empty() { "none" } else { &text })
    }
}

/// What a flow table needs from a TCP segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// Source port.
    pub source_port: u16,
    /// Destination port.
    pub destination_port: u16,
    /// Sequence number.
    pub sequence: u32,
    /// Acknowledgment number (meaningful when ACK is set).
    pub acknowledgment: u32,
    /// Control bits.
    pub flags: TcpFlags,
    /// The window field as sent, not yet scaled.
    pub window: u16,
    /// The window-scale option's shift count, if the captured options carry one (normally
    /// only on SYN segments). RFC 7323 caps the shift at 14; the raw value is kept.
    pub window_scale: Option<u8>,
    /// Header length with options, from the data offset (20 to 60 bytes).
    pub header_len: u8,
    /// The payload bytes the capture holds (may be cut short by the snapshot length).
    pub payload: &'a [u8],
    /// The payload length the IP header implies, whether captured or not.
    pub payload_len: u32,
}

/// Decodes a TCP header from `captured` (the captured part of the IP payload), where
/// `declared_len` is the segment length the IP header gives.
pub fn decode(captured: &[u8], declared_len: u32) -> Result<TcpSegment<'_>, Skip> {
    if captured.len() < MIN_HEADER_LEN {
        return Err(Skip::TruncatedTransportHeader);
    }
    let offset_flags = be_u16(&captured[field::OFFSET_FLAGS]);
    let header_len = usize::from(offset_flags >> 12) * 4;
    if header_len < MIN_HEADER_LEN || header_len as u64 > u64::from(declared_len) {
        return Err(Skip::BadTcpHeaderLength);
    }
    // Options and payload may be cut by the snapshot length; the fixed header may not.
    let options = &captured[field::OPTIONS..header_len.min(captured.len())];
    let payload = captured.get(header_len..).unwrap_or(&[]);
    Ok(TcpSegment {
        source_port: be_u16(&captured[field::SRC_PORT]),
        destination_port: be_u16(&captured[field::DST_PORT]),
        sequence: be_u32(&captured[field::SEQ]),
        acknowledgment: be_u32(&captured[field::ACK]),
        flags: TcpFlags(offset_flags & 0x01ff),
        window: be_u16(&captured[field::WINDOW]),
        window_scale: window_scale(options),
        header_len: header_len as u8,
        payload,
        payload_len: declared_len - header_len as u32,
    })
}

/// The window-scale option's shift count; stops quietly at a malformed or cut-off option.
fn window_scale(mut options: &[u8]) -> Option<u8> {
    while let [kind, rest @ ..] = options {
        match *kind {
            OPTION_END => return None,
            OPTION_NOP => options = rest,
            _ => {
                let len = usize::from(*rest.first()?);
                if len < 2 || len > options.len() {
                    return None;
                }
                if *kind == OPTION_WINDOW_SCALE && len == 3 {
                    return Some(options[2]);
                }
                options = &options[len..];
            }
        }
    }
    None
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SYN of tests/fixtures/ethernet.pcap's HTTP connection (TCP header only):
    /// 10.77.0.1.47290 > 10.77.0.2.8000, seq 3299946688, win 64240,
    /// options [mss 1460,sackOK,TS val 4257837755 ecr 0,nop,wscale 10].
    pub(crate) const SYN: [u8; 40] = [
        0xb8, 0xba, 0x1f, 0x40, 0xc4, 0xb1, 0x30, 0xc0, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa,
        0xf0, 0x14, 0xcb, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xfd, 0xc9,
        0x72, 0xbb, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
    ];

    #[test]
    fn syn_fields_and_window_scale() {
        let tcp = decode(&SYN, 40).unwrap();
        assert_eq!((tcp.source_port, tcp.destination_port), (47290, 8000));
        assert_eq!(tcp.sequence, 3_299_946_688);
        assert_eq!(format!("{:?}", tcp.flags), "S");
        assert_eq!(
            (tcp.window, tcp.window_scale, tcp.header_len),
            (64240, Some(10), 40)
        );
        assert_eq!((tcp.payload.len(), tcp.payload_len), (0, 0));
    }

    #[test]
    fn options_cut_by_the_snapshot_length_still_decode() {
        let tcp = decode(&SYN[..24], 40).unwrap();
        assert_eq!((tcp.source_port, tcp.window_scale), (47290, None));
    }

    #[test]
    fn bad_lengths_are_skips() {
        assert_eq!(decode(&SYN[..19], 40), Err(Skip::TruncatedTransportHeader));
        let mut short_offset = SYN;
        short_offset[12] = 0x40; // 4 words
        assert_eq!(decode(&short_offset, 40), Err(Skip::BadTcpHeaderLength));
        // A 40-byte header cannot fit a 32-byte segment.
        assert_eq!(decode(&SYN, 32), Err(Skip::BadTcpHeaderLength));
    }

    #[test]
    fn malformed_options_stop_quietly() {
        assert_eq!(window_scale(&[1, 1, 3]), None); // length byte missing
        assert_eq!(window_scale(&[2, 0, 3, 3, 7]), None); // zero length would loop forever
        assert_eq!(window_scale(&[2, 9, 0, 0]), None); // length past the end
        assert_eq!(window_scale(&[0, 3, 3, 7]), None); // end of options first
        assert_eq!(window_scale(&[1, 3, 3, 7]), Some(7));
    }
}
