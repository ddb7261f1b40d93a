//! Broken captures, made from the real fixtures by hand: each bad case ends in a counted
//! skip or a clear error, never a panic, and the good packets around it still come through.

mod common;

use std::io::{self, Read};

use common::{Record, drain, fixture, pcap_record_offsets, read_all, split_pcap, write_pcap};
use packet_flows::{CaptureFormat, CaptureReader, Error, Skip};

/// The first few real frames of ethernet.pcap, with their records.
fn real_records() -> Vec<Record> {
    split_pcap(&fixture("ethernet.pcap")).1
}

#[test]
fn wrong_magic_names_what_was_found() {
    let csv = b"id,dur,proto,service\n1,0.1,tcp,-\n";
    let Err(e) = CaptureReader::new(&csv[..]) else {
        panic!("a CSV opened as a capture")
    };
    assert!(
        matches!(&e, Error::UnknownFormat { found } if found == b"id,d"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "not a pcap or pcapng capture: it starts with 69 64 2c 64 (text)"
    );
    let Err(e) = CaptureReader::new(&[][..]) else {
        panic!()
    };
    assert!(e.to_string().contains("nothing (empty input)"), "{e}");
}

#[test]
fn truncated_file_header_is_an_error() {
    let pcap = fixture("ethernet.pcap");
    let Err(e) = CaptureReader::new(&pcap[..10]) else {
        panic!()
    };
    assert!(
        matches!(
            e,
            Error::TruncatedHeader {
                what: "pcap file header",
                have: 10,
                need: 24
            }
        ),
        "{e:?}"
    );
    let ng = fixture("multi.pcapng");
    let Err(e) = CaptureReader::new(&ng[..20]) else {
        panic!()
    };
    assert!(
        matches!(
            e,
            Error::TruncatedHeader {
                what: "pcapng section header",
                have: 20,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn capture_cut_inside_a_record_delivers_the_packets_before_it() {
    let pcap = fixture("ethernet.pcap");
    let offsets = pcap_record_offsets(&pcap);
    // Cut 10 bytes into the 5th record: 4 packets, then a counted truncation, no error.
    let all = read_all(&pcap[..offsets[4] + 10]);
    assert_eq!(all.packets.len(), 4);
    assert!(all.error.is_none());
    assert_eq!(all.skips.get(Skip::TruncatedRecord), 1);
    // Cut in the record header: the same.
    assert_eq!(
        read_all(&pcap[..offsets[4] + 3])
            .skips
            .get(Skip::TruncatedRecord),
        1
    );
    // Cut exactly between records: nothing is truncated.
    let exact = read_all(&pcap[..offsets[4]]);
    assert_eq!((exact.packets.len(), exact.skips.total()), (4, 0));
    // pcapng, cut inside the last block.
    let ng = fixture("multi.pcapng");
    let all = read_all(&ng[..ng.len() - 6]);
    assert_eq!(
        (all.packets.len(), all.skips.get(Skip::TruncatedRecord)),
        (6, 1)
    );
}

#[test]
fn a_huge_declared_length_is_an_error_not_an_allocation() {
    let mut pcap = fixture("ethernet.pcap");
    let third = pcap_record_offsets(&pcap)[2];
    pcap[third + 8..third + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let all = read_all(&pcap);
    assert_eq!(all.packets.len(), 2);
    let Some(Error::RecordTooLarge {
        offset,
        declared,
        limit,
    }) = all.error
    else {
        panic!("{:?}", all.error)
    };
    assert_eq!(
        (offset, declared, limit),
        (
            third as u64,
            16 + 0x7fff_ffff,
            packet_flows::DEFAULT_MAX_RECORD_LEN
        )
    );
}

#[test]
fn the_record_limit_is_configurable() {
    let pcap = fixture("ethernet.pcap");
    let reader = CaptureReader::builder()
        .max_record_len(1400)
        .build(&pcap[..])
        .unwrap();
    assert_eq!(reader.buffer_capacity(), 1400);
    let all = drain(reader);
    // The first 1514-byte frame (the fragmented ping) stops the reader; 24 packets precede it.
    assert_eq!(all.packets.len(), 24);
    assert!(matches!(
        all.error,
        Some(Error::RecordTooLarge {
            declared: 1530,
            limit: 1400,
            ..
        })
    ));
    let small = CaptureReader::builder()
        .max_record_len(1)
        .build(&pcap[..])
        .unwrap();
    assert_eq!(small.buffer_capacity(), packet_flows::MIN_MAX_RECORD_LEN);
}

#[test]
fn zero_length_and_over_long_records_are_skipped() {
    let real = real_records();
    let mut records = real[3..6].to_vec();
    records[0].data.clear(); // caplen 0
    records[1].orig_len = 20; // caplen 98 > original length 20
    let all = read_all(&write_pcap(false, false, 262_144, 1, &records));
    assert_eq!(all.packets.len(), 1);
    assert_eq!(
        (
            all.skips.get(Skip::ZeroLength),
            all.skips.get(Skip::SnaplenExceeded)
        ),
        (1, 1)
    );
    // A 98-byte record in a file whose snapshot length is 64.
    let all = read_all(&write_pcap(false, false, 64, 1, &real[3..4]));
    assert_eq!(
        (all.packets.len(), all.skips.get(Skip::SnaplenExceeded)),
        (0, 1)
    );
}

#[test]
fn big_endian_pcap_reads_like_little_endian() {
    let records = real_records();
    for nanosecond in [false, true] {
        let be = write_pcap(true, nanosecond, 262_144, 1, &records);
        let reader = CaptureReader::new(&be[..]).unwrap();
        assert_eq!(
            reader.format(),
            CaptureFormat::Pcap {
                big_endian: true,
                nanosecond
            }
        );
        let all = drain(reader);
        assert_eq!(all.packets.len(), records.len());
        let unit = if nanosecond { 1 } else { 1000 };
        for (p, r) in all.packets.iter().zip(&records) {
            assert_eq!(p.captured, r.data);
            assert_eq!(
                p.timestamp.as_nanos(),
                i64::from(r.ts_sec) * 1_000_000_000 + i64::from(r.ts_frac) * unit
            );
        }
    }
}

/// Reads at most `chunk` bytes at a time and fails after `fail_after` bytes.
struct Stingy<'a> {
    bytes: &'a [u8],
    chunk: usize,
    fail_after: usize,
}

impl Read for Stingy<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.fail_after == 0 {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "peer went away",
            ));
        }
        let n = buf
            .len()
            .min(self.chunk)
            .min(self.bytes.len())
            .min(self.fail_after);
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        self.fail_after -= n;
        Ok(n)
    }
}

#[test]
fn short_reads_and_read_errors() {
    let pcap = fixture("ethernet.pcap");
    let whole = read_all(&pcap).packets;
    for chunk in [1, 7, 1000] {
        let reader = CaptureReader::new(Stingy {
            bytes: &pcap,
            chunk,
            fail_after: usize::MAX,
        })
        .unwrap();
        assert_eq!(drain(reader).packets, whole, "chunk {chunk}");
    }
    // A reader that fails once the buffer has been filled: the error keeps its source.
    let failing = Stingy {
        bytes: &pcap,
        chunk: 4096,
        fail_after: 4096,
    };
    let all = drain(
        CaptureReader::builder()
            .max_record_len(4096)
            .build(failing)
            .unwrap(),
    );
    let Some(Error::Read { source, .. }) = &all.error else {
        panic!("{:?}", all.error)
    };
    assert_eq!(
        (source.kind(), source.to_string()),
        (io::ErrorKind::ConnectionReset, "peer went away".into())
    );
    assert!(!all.packets.is_empty() && all.packets.len() < whole.len());
}
