//! Streaming reader for pcap and pcapng captures.
//!
//! pcap-parser's streaming readers own the buffer and parse the records; this module frames
//! each record itself first, so that a declared length is checked against a limit before the
//! reader waits for (or buffers) any of it. Memory is one buffer of
//! [`max_record_len`](CaptureReaderBuilder::max_record_len) bytes, allocated when the reader
//! is made, plus at most [`MAX_INTERFACES`] pcapng interface entries and pcap-parser's
//! short-lived option list for the block being parsed, whatever the file size.
//!
//! **Truncation.** A capture that ends inside a record (tcpdump killed mid-write, a full disk,
//! a file still being written) delivers every complete packet before the cut, then counts
//! [`Skip::TruncatedRecord`] and ends normally: the packets read are all valid, and callers
//! that need a complete file check [`CaptureReader::skips`]. A capture that ends inside its
//! file header is [`Error::TruncatedHeader`].

mod builder;
mod legacy;
mod packet;
mod pcapng;
mod source;

pub use builder::{CaptureReaderBuilder, DEFAULT_MAX_RECORD_LEN, MIN_MAX_RECORD_LEN};
pub use packet::{OwnedPacket, Packet};
pub use pcapng::MAX_INTERFACES;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use circular::Buffer;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError, PcapNGReader};

use crate::{Error, LinkType, Skip, Skips, Timestamp};
use legacy::PcapState;
use pcapng::PcapNgState;
use source::{ErrorSlot, Source};

/// Which container format a capture uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic pcap.
    Pcap {
        /// Written by a big-endian host.
        big_endian: bool,
        /// Timestamps in nanoseconds (magic `a1b23c4d`) rather than microseconds.
        nanosecond: bool,
    },
    /// pcapng (each section has its own byte order and each interface its own resolution).
    PcapNg,
}

impl CaptureFormat {
    /// The format of a file that starts with `prefix`, told by its magic number (the first
    /// four bytes); `None` when they are not a capture's. Lets a caller that takes several
    /// kinds of file route captures here.
    ///
    /// ```
    /// use packet_flows::CaptureFormat;
    ///
    /// let pcap = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0];
    /// assert_eq!(CaptureFormat::from_magic(&pcap),
    ///     Some(CaptureFormat::Pcap { big_endian: false, nanosecond: false }));
    /// assert_eq!(CaptureFormat::from_magic(&[0x0a, 0x0d, 0x0d, 0x0a]), Some(CaptureFormat::PcapNg));
    /// assert_eq!(CaptureFormat::from_magic(b"id,dur,proto"), None);
    /// ```
    pub fn from_magic(prefix: &[u8]) -> Option<CaptureFormat> {
        let pcap = |big_endian, nanosecond| CaptureFormat::Pcap {
            big_endian,
            nanosecond,
        };
        match prefix.get(..4)? {
            [0xd4, 0xc3, 0xb2, 0xa1] | [0x34, 0xcd, 0xb2, 0xa1] => Some(pcap(false, false)),
            [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0xcd, 0x34] => Some(pcap(true, false)),
            [0x4d, 0x3c, 0xb2, 0xa1] => Some(pcap(false, true)),
            [0xa1, 0xb2, 0x3c, 0x4d] => Some(pcap(true, true)),
            m if m == pcapng::SECTION_HEADER_MAGIC => Some(CaptureFormat::PcapNg),
            _ => None,
        }
    }
}

/// A streaming reader of pcap or pcapng packets from any [`Read`].
///
/// [`next_packet`](CaptureReader::next_packet) lends each packet's bytes from the reader's
/// buffer; the [`Iterator`] implementation copies them into [`OwnedPacket`]s. After an error
/// both return `None`.
///
/// ```
/// use packet_flows::CaptureReader;
///
/// let mut reader = CaptureReader::open("tests/fixtures/nanosecond.pcap")?;
/// let mut count = 0;
/// while let Some(packet) = reader.next_packet() {
///     let packet = packet?;
///     if count == 0 {
///         assert_eq!(packet.timestamp.to_string(), "1796304044.533419341");
///         assert_eq!(packet.original_len, 98);
///     }
///     count += 1;
/// }
/// assert_eq!(count, 6);
/// assert_eq!(reader.skips().total(), 0);
/// # Ok::<(), packet_flows::Error>(())
/// ```
pub struct CaptureReader<R: Read> {
    reader: Inner<R>,
    errors: ErrorSlot,
    skips: Skips,
    limit: usize,
    /// File offset of the first byte in the buffer.
    offset: u64,
    /// Length of the record lent out last, consumed at the next call.
    pending: usize,
    done: bool,
}

enum Inner<R: Read> {
    Pcap(LegacyPcapReader<Source<R>>, PcapState),
    PcapNg(PcapNGReader<Source<R>>, PcapNgState),
}

/// A packet record's metadata and where its bytes sit in the buffer.
#[derive(Debug)]
struct PacketInfo {
    timestamp: Timestamp,
    link_type: LinkType,
    interface: u32,
    start: usize,
    len: usize,
    original_len: u32,
}

impl PacketInfo {
    fn with_data(self, start: usize, len: usize) -> Step {
        Step::Packet(PacketInfo { start, len, ..self })
    }
}

/// What one record turned out to be.
#[derive(Debug)]
enum Step {
    Packet(PacketInfo),
    Skip(Skip),
    /// A header, an interface description, statistics, ...: nothing to deliver.
    Control,
}

impl CaptureReader<File> {
    /// Opens the capture file at `path` with the default options.
    pub fn open(path: impl AsRef<Path>) -> Result<CaptureReader<File>, Error> {
        CaptureReaderBuilder::new().open(path)
    }

    /// Options other than the defaults, for files or any reader:
    /// `CaptureReader::builder().max_record_len(n).build(reader)`.
    pub fn builder() -> CaptureReaderBuilder {
        CaptureReaderBuilder::new()
    }
}

impl<R: Read> CaptureReader<R> {
    /// Reads a capture from `reader` with the default options.
    pub fn new(reader: R) -> Result<CaptureReader<R>, Error> {
        CaptureReaderBuilder::new().build(reader)
    }

    pub(crate) fn with_limit(reader: R, limit: usize) -> Result<CaptureReader<R>, Error> {
        let errors = ErrorSlot::default();
        let mut source = Source::new(reader, errors.clone());
        let mut buffer = Buffer::with_capacity(limit);
        // Fill the buffer first: pcap-parser parses the file header from a single read.
        loop {
            let space = buffer.space();
            if space.is_empty() {
                break;
            }
            match source.read(space) {
                Ok(0) => break,
                Ok(n) => {
                    buffer.fill(n);
                }
                Err(_) => {
                    return Err(Error::Read {
                        offset: 0,
                        source: errors.take(),
                    });
                }
            }
        }
        let data = buffer.data();
        let magic = data.get(..4).unwrap_or(data);
        let reader = match CaptureFormat::from_magic(magic) {
            Some(CaptureFormat::Pcap { .. }) => {
                if data.len() < legacy::FILE_HEADER_LEN {
                    return Err(truncated("pcap file header", data.len(), 24));
                }
                let mut reader = LegacyPcapReader::from_buffer(buffer, source)
                    .map_err(|e| header_error(e, "pcap file header", &errors))?;
                let state = match reader.next() {
                    Ok((_, PcapBlockOwned::LegacyHeader(header))) => PcapState::new(&header),
                    _ => return Err(malformed(0, "pcap file header does not parse".into())),
                };
                reader.consume(legacy::FILE_HEADER_LEN);
                Inner::Pcap(reader, state)
            }
            Some(CaptureFormat::PcapNg) => {
                let big_endian = match data.get(8..12).map(pcapng::section_byte_order) {
                    None => return Err(truncated("pcapng section header", data.len(), 12)),
                    Some(Ok(big_endian)) => big_endian,
                    Some(Err(found)) => {
                        return Err(malformed(0, format!("byte-order magic is {found:02x?}")));
                    }
                };
                let state = PcapNgState::new(big_endian);
                if state.frame(data, 0, limit)?.is_none() {
                    let need = pcapng::declared_len(data, big_endian).map_or(12, u64::from);
                    return Err(truncated("pcapng section header", data.len(), need));
                }
                let reader = PcapNGReader::from_buffer(buffer, source)
                    .map_err(|e| header_error(e, "pcapng section header", &errors))?;
                Inner::PcapNg(reader, state)
            }
            None => {
                return Err(Error::UnknownFormat {
                    found: magic.to_vec(),
                });
            }
        };
        let offset = match reader {
            Inner::Pcap(..) => legacy::FILE_HEADER_LEN as u64,
            Inner::PcapNg(..) => 0,
        };
        Ok(CaptureReader {
            reader,
            errors,
            skips: Skips::default(),
            limit,
            offset,
            pending: 0,
            done: false,
        })
    }

    /// The container format detected from the magic number.
    pub fn format(&self) -> CaptureFormat {
        match &self.reader {
            Inner::Pcap(_, state) => CaptureFormat::Pcap {
                big_endian: state.big_endian(),
                nanosecond: state.nanosecond(),
            },
            Inner::PcapNg(..) => CaptureFormat::PcapNg,
        }
    }

    /// Records skipped so far, by reason.
    pub fn skips(&self) -> &Skips {
        &self.skips
    }

    /// The size of the reader's one buffer, fixed for its lifetime: the
    /// [`max_record_len`](CaptureReaderBuilder::max_record_len).
    pub fn buffer_capacity(&self) -> usize {
        self.limit
    }

    /// The next packet, its bytes lent from the reader's buffer until the next call.
    ///
    /// Records that are not packets are read past; packet records that fail a check are
    /// counted in [`skips`](CaptureReader::skips) and read past. `None` at the end of the
    /// capture and after an error.
    pub fn next_packet(&mut self) -> Option<Result<Packet<'_>, Error>> {
        if self.done {
            return None;
        }
        let pending = std::mem::take(&mut self.pending);
        self.consume(pending);
        let info = loop {
            let len = match self.next_record() {
                Ok(Some(len)) => len,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            let step = match &mut self.reader {
                Inner::Pcap(reader, state) => state.step(reader),
                Inner::PcapNg(reader, state) => state.step(reader),
            };
            match step {
                Step::Packet(info) => {
                    self.pending = len;
                    break info;
                }
                Step::Skip(reason) => self.skips.add(reason),
                Step::Control => {}
            }
            self.consume(len);
        };
        let end = info.start.saturating_add(info.len);
        if info.start > end || end > self.buffer().len() {
            self.done = true;
            return Some(Err(malformed(
                self.offset,
                "packet data outside its record".into(),
            )));
        }
        let captured = self.buffer().get(info.start..end).unwrap_or_default();
        Some(Ok(Packet {
            timestamp: info.timestamp,
            link_type: info.link_type,
            interface: info.interface,
            captured,
            original_len: info.original_len,
        }))
    }

    /// Buffers the next whole record and returns its length; `None` at the end of input.
    fn next_record(&mut self) -> Result<Option<usize>, Error> {
        loop {
            let data = self.buffer();
            let framed = match &self.reader {
                Inner::Pcap(_, state) => state.frame(data, self.offset, self.limit)?,
                Inner::PcapNg(_, state) => state.frame(data, self.offset, self.limit)?,
            };
            if let Some(len) = framed {
                return Ok(Some(len));
            }
            let before = data.len();
            if self.iter().refill().is_err() {
                return Err(Error::Read {
                    offset: self.offset,
                    source: self.errors.take(),
                });
            }
            // A record never exceeds the buffer, so after the shift a refill that adds nothing
            // means the end of input.
            let after = self.buffer().len();
            if after == before {
                if after > 0 {
                    self.skips.add(Skip::TruncatedRecord);
                }
                return Ok(None);
            }
        }
    }

    fn consume(&mut self, len: usize) {
        if len > 0 {
            self.iter().consume(len);
            self.offset += len as u64;
        }
    }

    fn iter(&mut self) -> &mut dyn PcapReaderIterator {
        match &mut self.reader {
            Inner::Pcap(reader, _) => reader,
            Inner::PcapNg(reader, _) => reader,
        }
    }

    fn buffer(&self) -> &[u8] {
        match &self.reader {
            Inner::Pcap(reader, _) => reader.data(),
            Inner::PcapNg(reader, _) => reader.data(),
        }
    }
}

impl<R: Read> Iterator for CaptureReader<R> {
    type Item = Result<OwnedPacket, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_packet()
            .map(|packet| packet.map(|p| p.to_owned()))
    }
}

fn truncated(what: &'static str, have: usize, need: u64) -> Error {
    Error::TruncatedHeader { what, have, need }
}

/// pcap-parser's error for a file header that the framing above already found whole.
fn header_error(error: PcapError<&[u8]>, what: &str, errors: &ErrorSlot) -> Error {
    match error {
        PcapError::ReadError => Error::Read {
            offset: 0,
            source: errors.take(),
        },
        other => malformed(0, format!("{what}: {other}")),
    }
}

fn malformed(offset: u64, reason: String) -> Error {
    Error::Malformed { offset, reason }
}
