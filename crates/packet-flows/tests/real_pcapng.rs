//! Facts about the real pcapng captures in tests/fixtures (read independently with tshark
//! and capinfos), and the protocol-name table Argus printed.

mod common;

use std::net::IpAddr;

use common::{clean, fixture};
use packet_flows::{CaptureFormat, CaptureReader, LinkType, proto_name};

#[test]
fn dumpcap_pcapng_with_two_interfaces_and_statistics_blocks() {
    let reader = CaptureReader::open("tests/fixtures/multi.pcapng").unwrap();
    assert_eq!(reader.format(), CaptureFormat::PcapNg);
    let all = clean("multi.pcapng");
    // tshark: frame.interface_id, frame.time_epoch, frame.len.
    let expected = [
        (0, "1796304051.958432954", 98, LinkType::ETHERNET),
        (0, "1796304051.958458302", 98, LinkType::ETHERNET),
        (0, "1796304052.160182698", 98, LinkType::ETHERNET),
        (0, "1796304052.160212623", 98, LinkType::ETHERNET),
        (1, "1796304052.165023522", 84, LinkType::RAW),
        (1, "1796304053.272112326", 48, LinkType::RAW),
    ];
    let got: Vec<_> = all
        .packets
        .iter()
        .map(|p| {
            (
                p.interface,
                p.timestamp.to_string(),
                p.original_len,
                p.link_type,
            )
        })
        .collect();
    let expected: Vec<_> = expected
        .iter()
        .map(|(i, t, l, k)| (*i, t.to_string(), *l, *k))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        all.packets[4]
            .as_packet()
            .decode()
            .unwrap()
            .ip()
            .unwrap()
            .destination,
        "10.79.0.2".parse::<IpAddr>().unwrap()
    );
}

#[test]
fn editcap_pcapng_matches_its_pcap() {
    for (pcap, pcapng) in [
        ("ethernet.pcap", "ethernet.pcapng"),
        ("nanosecond.pcap", "nanosecond.pcapng"),
    ] {
        let a = clean(pcap).packets;
        let b = clean(pcapng).packets;
        assert_eq!(a.len(), b.len());
        assert_eq!(a, b, "{pcap} vs {pcapng}");
    }
}

#[test]
fn proto_names_match_what_argus_printed() {
    let table = String::from_utf8(fixture("argus-proto-names.txt")).unwrap();
    let mut rows = 0;
    for line in table.lines() {
        let (number, name) = line.split_once(' ').unwrap();
        let number: u8 = number.parse().unwrap();
        rows += 1;
        if number == 51 {
            // Argus looked through the (empty) authentication header and printed the
            // protocol after it, 0 = "ip"; the table entry itself is "ah".
            assert_eq!((name, proto_name(51), proto_name(0)), ("ip", "ah", "ip"));
            continue;
        }
        assert_eq!(proto_name(number), name, "protocol {number}");
    }
    assert_eq!(rows, 256);
}
