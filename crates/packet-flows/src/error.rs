//! The crate's error type: what stops a capture from being read at all.
//!
//! Problems confined to one record or packet are not errors but counted
//! [`Skip`](crate::Skip)s; an `Error` ends the reader, because past it the record boundaries
//! are lost.

use std::io;
use std::path::PathBuf;

/// An error that stops reading a capture.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The capture file could not be opened.
    #[error("cannot open capture {}", path.display())]
    Open {
        /// The path given to [`CaptureReader::open`](crate::CaptureReader::open).
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },

    /// Reading the capture failed.
    #[error("cannot read the capture at byte {offset}")]
    Read {
        /// The file offset of the record being read.
        offset: u64,
        /// The underlying reader's error.
        #[source]
        source: io::Error,
    },

    /// The input does not start with a pcap or pcapng magic number.
    #[error(
        "not a pcap or pcapng capture: it starts with {}",
        describe_magic(found)
    )]
    UnknownFormat {
        /// The first bytes of the input (fewer than 4 if it is that short).
        found: Vec<u8>,
    },

    /// The input ends inside the pcap file header or the first pcapng section header.
    #[error("capture ends after {have} bytes, inside its {what} ({need} bytes needed)")]
    TruncatedHeader {
        /// Which header: "pcap file header" or "pcapng section header".
        what: &'static str,
        /// Bytes available.
        have: usize,
        /// Bytes the header needs.
        need: u64,
    },

    /// A record or block declares more bytes than the reader's limit allows.
    #[error("record at byte {offset} declares {declared} bytes, above the limit of {limit}")]
    RecordTooLarge {
        /// The file offset of the record.
        offset: u64,
        /// The record's declared length, headers included.
        declared: u64,
        /// The configured [`max_record_len`](crate::CaptureReaderBuilder::max_record_len).
        limit: usize,
    },

    /// A live capture could not be opened, filtered or read.
    #[cfg(feature = "live")]
    #[error("live capture on {interface}: {hint}")]
    Live {
        /// The interface name given.
        interface: String,
        /// What the user can do about it.
        hint: String,
        /// libpcap's error.
        #[source]
        source: pcap::Error,
    },

    /// The file or block framing is broken, so the next record cannot be found.
    #[error("malformed capture at byte {offset}: {reason}")]
    Malformed {
        /// The file offset of the broken header.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
}

/// Hex bytes, plus a guess for formats people mistake for pcap.
fn describe_magic(found: &[u8]) -> String {
    let hex: Vec<String> = found.iter().map(|b| format!("{b:02x}")).collect();
    let hex = if hex.is_empty() {
        "nothing (empty input)".to_string()
    } else {
        hex.join(" ")
    };
    let guess = match found {
        [0x1f, 0x8b, ..] => " (gzip-compressed; decompress it first)",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => " (zstd-compressed; decompress it first)",
        [b'B', b'Z', b'h', ..] => " (bzip2-compressed; decompress it first)",
        [0xfd, b'7', b'z', b'X', ..] => " (xz-compressed; decompress it first)",
        _ if !found.is_empty() && found.iter().all(|b| b.is_ascii_graphic() || *b == b' ') => {
            " (text)"
        }
        _ => "",
    };
    format!("{hex}{guess}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_format_names_what_was_found() {
        let e = Error::UnknownFormat {
            found: vec![0x1f, 0x8b, 0x08, 0x00],
        };
        assert_eq!(
            e.to_string(),
            "not a pcap or pcapng capture: it starts with 1f 8b 08 00 (gzip-compressed; decompress it first)"
        );
        let e = Error::UnknownFormat {
            found: b"id,d".to_vec(),
        };
        assert!(e.to_string().ends_with("69 64 2c 64 (text)"), "{e}");
        let e = Error::UnknownFormat { found: vec![] };
        assert!(e.to_string().ends_with("nothing (empty input)"), "{e}");
    }
}
