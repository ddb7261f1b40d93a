//! Test helpers: the real fixtures, an independent little pcap record splitter, and tiny
//! pcap/pcapng writers that re-wrap real packets (big-endian files, pcapng block kinds no
//! tool here writes, deliberately broken framing).
#![allow(dead_code)] // each test binary uses a different part

use packet_flows::{CaptureReader, Error, OwnedPacket, Skips};

/// The bytes of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Everything a reader yields: the packets, its skip counts, and the error that ended it.
pub struct ReadAll {
    pub packets: Vec<OwnedPacket>,
    pub skips: Skips,
    pub error: Option<Error>,
}

pub fn read_all(bytes: &[u8]) -> ReadAll {
    let reader = CaptureReader::new(bytes).expect("capture opens");
    drain(reader)
}

/// Every packet of the fixture `name`, which must read to its end without an error or a skip.
pub fn clean(name: &str) -> ReadAll {
    let all = read_all(&fixture(name));
    assert!(all.error.is_none(), "{name}: {:?}", all.error);
    assert_eq!(all.skips.total(), 0, "{name}: {}", all.skips);
    all
}

pub fn drain<R: std::io::Read>(mut reader: CaptureReader<R>) -> ReadAll {
    let mut packets = Vec::new();
    let mut error = None;
    for item in reader.by_ref() {
        match item {
            Ok(p) => packets.push(p),
            Err(e) => error = Some(e),
        }
    }
    assert!(reader.next().is_none(), "a finished reader stays finished");
    ReadAll {
        packets,
        skips: reader.skips().clone(),
        error,
    }
}

/// One record of a little-endian microsecond or nanosecond pcap file.
#[derive(Clone, Debug)]
pub struct Record {
    pub ts_sec: u32,
    pub ts_frac: u32,
    pub orig_len: u32,
    pub data: Vec<u8>,
}

/// Splits a little-endian pcap file into its 24-byte header and records, without the crate.
pub fn split_pcap(bytes: &[u8]) -> ([u8; 24], Vec<Record>) {
    assert_eq!(
        &bytes[..2],
        &[0xd4, 0xc3][..],
        "little-endian fixture expected"
    );
    let header: [u8; 24] = bytes[..24].try_into().unwrap();
    let mut records = Vec::new();
    let mut at = 24;
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    while at < bytes.len() {
        let caplen = u32_at(at + 8) as usize;
        records.push(Record {
            ts_sec: u32_at(at),
            ts_frac: u32_at(at + 4),
            orig_len: u32_at(at + 12),
            data: bytes[at + 16..at + 16 + caplen].to_vec(),
        });
        at += 16 + caplen;
    }
    (header, records)
}

/// The file offset of each record of a little-endian pcap file.
pub fn pcap_record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        offsets.push(at);
        at += 16 + u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
    }
    offsets
}

/// Writes a pcap file in either byte order.
pub fn write_pcap(
    big_endian: bool,
    nanosecond: bool,
    snaplen: u32,
    link: u32,
    records: &[Record],
) -> Vec<u8> {
    let mut out = Vec::new();
    let magic: u32 = if nanosecond { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let mut w = Writer {
        out: &mut out,
        big_endian,
    };
    w.u32(magic);
    w.u16(2);
    w.u16(4);
    w.u32(0);
    w.u32(0);
    w.u32(snaplen);
    w.u32(link);
    for r in records {
        w.u32(r.ts_sec);
        w.u32(r.ts_frac);
        w.u32(r.data.len() as u32);
        w.u32(r.orig_len);
        w.out.extend_from_slice(&r.data);
    }
    out
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
    big_endian: bool,
}

impl Writer<'_> {
    fn u16(&mut self, v: u16) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.out.extend_from_slice(&b);
    }
    fn u32(&mut self, v: u32) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.out.extend_from_slice(&b);
    }
}

/// A pcapng file built block by block.
pub struct PcapNg {
    pub bytes: Vec<u8>,
    big_endian: bool,
}

impl PcapNg {
    /// A file starting with a section header of the given byte order.
    pub fn new(big_endian: bool) -> PcapNg {
        let mut ng = PcapNg {
            bytes: Vec::new(),
            big_endian,
        };
        ng.section(big_endian);
        ng
    }

    /// A new section header (byte order may change between sections).
    pub fn section(&mut self, big_endian: bool) -> &mut PcapNg {
        self.big_endian = big_endian;
        let mut body = Vec::new();
        let mut w = Writer {
            out: &mut body,
            big_endian,
        };
        w.u32(0x1a2b_3c4d);
        w.u16(1);
        w.u16(0);
        w.u32(0xffff_ffff); // section length unknown
        w.u32(0xffff_ffff);
        self.block(0x0a0d_0d0a, &body)
    }

    /// An interface description with optional if_tsresol and if_tsoffset options.
    pub fn interface(
        &mut self,
        link: u16,
        snaplen: u32,
        tsresol: Option<u8>,
        tsoffset: Option<i64>,
    ) -> &mut PcapNg {
        let big_endian = self.big_endian;
        let mut body = Vec::new();
        let mut w = Writer {
            out: &mut body,
            big_endian,
        };
        w.u16(link);
        w.u16(0);
        w.u32(snaplen);
        if let Some(r) = tsresol {
            w.u16(9);
            w.u16(1);
            w.out.extend_from_slice(&[r, 0, 0, 0]);
        }
        if let Some(off) = tsoffset {
            w.u16(14);
            w.u16(8);
            let b = if big_endian {
                off.to_be_bytes()
            } else {
                off.to_le_bytes()
            };
            w.out.extend_from_slice(&b);
        }
        w.u16(0); // opt_endofopt
        w.u16(0);
        self.block(1, &body)
    }

    /// An Enhanced Packet Block; `caplen` is normally `data.len()`.
    pub fn enhanced(
        &mut self,
        interface: u32,
        ts: u64,
        caplen: u32,
        orig_len: u32,
        data: &[u8],
    ) -> &mut PcapNg {
        let mut body = Vec::new();
        let mut w = Writer {
            out: &mut body,
            big_endian: self.big_endian,
        };
        w.u32(interface);
        w.u32((ts >> 32) as u32);
        w.u32(ts as u32);
        w.u32(caplen);
        w.u32(orig_len);
        body.extend_from_slice(data);
        pad(&mut body);
        self.block(6, &body)
    }

    /// A Simple Packet Block.
    pub fn simple(&mut self, orig_len: u32, data: &[u8]) -> &mut PcapNg {
        let mut body = Vec::new();
        Writer {
            out: &mut body,
            big_endian: self.big_endian,
        }
        .u32(orig_len);
        body.extend_from_slice(data);
        pad(&mut body);
        self.block(3, &body)
    }

    /// An obsolete Packet Block (type 2).
    pub fn obsolete(&mut self, interface: u16, ts: u64, orig_len: u32, data: &[u8]) -> &mut PcapNg {
        let mut body = Vec::new();
        let mut w = Writer {
            out: &mut body,
            big_endian: self.big_endian,
        };
        w.u16(interface);
        w.u16(0);
        w.u32((ts >> 32) as u32);
        w.u32(ts as u32);
        w.u32(data.len() as u32);
        w.u32(orig_len);
        body.extend_from_slice(data);
        pad(&mut body);
        self.block(2, &body)
    }

    /// Any block: type, length, body (padded by the caller), length.
    pub fn block(&mut self, block_type: u32, body: &[u8]) -> &mut PcapNg {
        let len = 12 + body.len() as u32;
        let big_endian = self.big_endian;
        let mut w = Writer {
            out: &mut self.bytes,
            big_endian,
        };
        w.u32(block_type);
        w.u32(len);
        w.out.extend_from_slice(body);
        Writer {
            out: &mut self.bytes,
            big_endian,
        }
        .u32(len);
        self
    }
}

fn pad(body: &mut Vec<u8>) {
    while !body.len().is_multiple_of(4) {
        body.push(0);
    }
}
