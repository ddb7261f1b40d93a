//! Hand-built and hand-broken pcapng files around real packets: block kinds no tool here
//! writes, both byte orders, timestamp options, and broken framing.

mod common;

use common::{PcapNg, Record, fixture, read_all, split_pcap};
use packet_flows::{CaptureReader, Error, LinkType, Skip};

fn real_records() -> Vec<Record> {
    split_pcap(&fixture("ethernet.pcap")).1
}

#[test]
fn big_endian_pcapng_with_binary_resolution_and_offset() {
    let records = real_records();
    for big_endian in [false, true] {
        let mut ng = PcapNg::new(big_endian);
        ng.interface(1, 0, Some(9), None) // nanoseconds
            .interface(1, 0, Some(0x80 | 20), Some(1000)) // 2^-20 s units, +1000 s
            .enhanced(0, 1_796_304_044_533_419_341, 98, 98, &records[3].data)
            .enhanced(1, (5u64 << 20) | (1 << 19), 98, 98, &records[4].data);
        let all = read_all(&ng.bytes);
        assert!(
            all.error.is_none() && all.skips.total() == 0,
            "{:?} {}",
            all.error,
            all.skips
        );
        assert_eq!(all.packets[0].timestamp.to_string(), "1796304044.533419341");
        // 5.5 s of 2^-20 units after an if_tsoffset of 1000 s (read in the section's order).
        assert_eq!(
            all.packets[1].timestamp.to_string(),
            "1005.500000000",
            "big endian {big_endian}"
        );
        assert_eq!(
            (all.packets[1].interface, all.packets[1].captured.as_slice()),
            (1, records[4].data.as_slice())
        );
    }
}

#[test]
fn simple_and_obsolete_packet_blocks() {
    let records = real_records();
    for big_endian in [false, true] {
        let mut ng = PcapNg::new(big_endian);
        ng.interface(1, 64, Some(6), None)
            .interface(101, 0, Some(9), None)
            .obsolete(0, 1_796_304_042_938_284, 98, &records[3].data[..64])
            .simple(98, &records[4].data) // cut to the snaplen of 64
            .obsolete(1, 5, 84, &records[3].data[14..]);
        let all = read_all(&ng.bytes);
        assert_eq!(all.skips.total(), 0, "{}", all.skips);
        let [obsolete, simple, on_raw] = &all.packets[..] else {
            panic!("{} packets", all.packets.len())
        };
        assert_eq!(obsolete.timestamp.to_string(), "1796304042.938284000");
        assert_eq!((obsolete.original_len, obsolete.captured.len()), (98, 64));
        // A simple packet has no timestamp of its own: it takes the previous packet's.
        assert_eq!(
            (simple.timestamp, simple.captured.as_slice()),
            (obsolete.timestamp, &records[4].data[..64])
        );
        assert_eq!(simple.as_packet().decode().unwrap().ip().unwrap().ttl, 64);
        // The interface id is read in the section's byte order.
        assert_eq!(
            (
                on_raw.interface,
                on_raw.link_type,
                on_raw.timestamp.as_nanos()
            ),
            (1, LinkType::RAW, 5)
        );
    }
}

#[test]
fn pcapng_interfaces_belong_to_their_section() {
    let data = &real_records()[3].data;
    let mut ng = PcapNg::new(false);
    ng.interface(1, 0, None, None)
        .interface(101, 0, None, None)
        .enhanced(1, 7, 98, 98, data);
    ng.section(true)
        .interface(1, 0, None, None)
        .enhanced(1, 8, 98, 98, data)
        .enhanced(0, 9, 98, 98, data);
    ng.block(0x0bad_cafe, &[1, 2, 3, 4]); // an unknown block type is read past
    let all = read_all(&ng.bytes);
    assert_eq!(
        all.packets.iter().map(|p| p.link_type).collect::<Vec<_>>(),
        [LinkType::RAW, LinkType::ETHERNET]
    );
    assert_eq!(
        all.packets[1].timestamp.as_nanos(),
        9_000,
        "default resolution: microseconds"
    );
    assert_eq!(all.skips.get(Skip::UnknownInterface), 1);
}

#[test]
fn pcapng_block_problems() {
    let data = &real_records()[3].data;
    // A block whose length is sound but whose packet claims more than the block holds is
    // skipped; the next block is read.
    let mut ng = PcapNg::new(false);
    ng.interface(1, 0, Some(30), None)
        .interface(1, 0, None, None);
    ng.enhanced(1, 1, 200, 200, data)
        .enhanced(0, 2, 98, 98, data)
        .enhanced(1, 3, 98, 98, data);
    let all = read_all(&ng.bytes);
    assert_eq!(all.packets.len(), 1);
    assert_eq!(
        (
            all.skips.get(Skip::MalformedBlock),
            all.skips.get(Skip::BadTimestamp)
        ),
        (1, 1)
    );
    // A block length that is not a multiple of 4 loses the framing: an error.
    let mut broken = ng.bytes.clone();
    let second_block = 28;
    broken[second_block + 4] += 1;
    let all = read_all(&broken);
    assert!(
        matches!(&all.error, Some(Error::Malformed { offset: 28, reason }) if reason.contains("multiple of 4")),
        "{:?}",
        all.error
    );
    // As is a block longer than the limit.
    broken[second_block + 4..second_block + 8].copy_from_slice(&0x00ff_fff0u32.to_le_bytes());
    assert!(matches!(
        read_all(&broken).error,
        Some(Error::RecordTooLarge {
            offset: 28,
            declared: 0x00ff_fff0,
            ..
        })
    ));
    // And a section header whose byte-order magic is wrong.
    let mut bad_bom = ng.bytes.clone();
    bad_bom[8..12].copy_from_slice(&[1, 2, 3, 4]);
    let Err(e) = CaptureReader::new(&bad_bom[..]) else {
        panic!()
    };
    assert_eq!(
        e.to_string(),
        "malformed capture at byte 0: byte-order magic is [01, 02, 03, 04]"
    );
}

#[test]
fn too_many_interfaces_are_counted_not_stored() {
    let data = &real_records()[3].data;
    let mut ng = PcapNg::new(false);
    for _ in 0..=packet_flows::MAX_INTERFACES {
        ng.interface(1, 0, None, None);
    }
    ng.enhanced(packet_flows::MAX_INTERFACES as u32, 1, 98, 98, data)
        .enhanced(4095, 1, 98, 98, data);
    let all = read_all(&ng.bytes);
    assert_eq!(all.packets.len(), 1);
    assert_eq!(
        (
            all.skips.get(Skip::TooManyInterfaces),
            all.skips.get(Skip::UnknownInterface)
        ),
        (1, 1)
    );
}
