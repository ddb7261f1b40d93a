//! Facts about the real captures in tests/fixtures, each read independently from
//! `tcpdump -r <file> -nn -tt -e` (the `<file>.txt` beside it) or tshark for pcapng.

mod common;

use std::collections::BTreeMap;
use std::net::IpAddr;

use common::clean;
use packet_flows::{
    CaptureFormat, CaptureReader, Fragment, IcmpMessage, LinkType, Network, OwnedPacket,
    PacketMeta, Transport,
};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn decoded(packets: &[OwnedPacket]) -> Vec<PacketMeta<'_>> {
    packets
        .iter()
        .map(|p| {
            p.as_packet()
                .decode()
                .expect("every fixture packet decodes")
        })
        .collect()
}

#[test]
fn ethernet_pcap_counts_protocols_like_tcpdump() {
    let reader = CaptureReader::open("tests/fixtures/ethernet.pcap").unwrap();
    assert_eq!(
        reader.format(),
        CaptureFormat::Pcap {
            big_endian: false,
            nanosecond: false
        }
    );
    let all = clean("ethernet.pcap");
    assert_eq!(all.packets.len(), 43);
    let mut by_proto = BTreeMap::new();
    for meta in decoded(&all.packets) {
        *by_proto.entry(meta.proto_name()).or_insert(0) += 1;
    }
    let expected = [
        ("arp", 2),
        ("icmp", 13),
        ("ipv6-icmp", 10),
        ("tcp", 12),
        ("udp", 6),
    ];
    assert_eq!(by_proto, BTreeMap::from(expected));
}

#[test]
fn ethernet_pcap_first_packets() {
    let all = clean("ethernet.pcap");
    let metas = decoded(&all.packets);
    // 1796304042.904163 ... fe80::e0d2:f4ff:fe5b:dc7a > ff02::16: HBH ICMP6, multicast
    // listener report v2 (the hop-by-hop header is looked through).
    assert_eq!(
        all.packets[0].timestamp.as_nanos(),
        1_796_304_042_904_163_000
    );
    let mld = metas[0].ip().unwrap();
    assert_eq!(
        (mld.source, mld.destination),
        (ip("fe80::e0d2:f4ff:fe5b:dc7a"), ip("ff02::16"))
    );
    assert_eq!(
        (mld.protocol, mld.ttl, mld.ip_len, metas[0].wire_len),
        (58, 1, 96, 110)
    );
    assert!(matches!(
        mld.transport,
        Transport::Icmpv6(IcmpMessage {
            kind: 143,
            code: 0,
            quoted: None,
            ..
        })
    ));
    // Request who-has 10.77.0.2 tell 10.77.0.1, then the reply.
    let Network::Arp(request) = &metas[1].network else {
        panic!("not ARP")
    };
    assert_eq!(
        (request.operation, request.sender, request.target),
        (
            1,
            "10.77.0.1".parse().unwrap(),
            "10.77.0.2".parse().unwrap()
        )
    );
    let Network::Arp(reply) = &metas[2].network else {
        panic!("not ARP")
    };
    assert_eq!(
        (reply.operation, reply.sender.to_string()),
        (2, "10.77.0.2".to_string())
    );
    assert_eq!(all.packets[2].timestamp.to_string(), "1796304042.938280000");
}

#[test]
fn ethernet_pcap_tcp_handshake() {
    let all = clean("ethernet.pcap");
    let metas = decoded(&all.packets);
    let tcp: Vec<_> = metas
        .iter()
        .filter_map(|m| match &m.ip()?.transport {
            Transport::Tcp(t) => Some((m, t)),
            _ => None,
        })
        .collect();
    // tcpdump's flags column for the 12 segments of the HTTP exchange.
    let flags: Vec<String> = tcp.iter().map(|(_, t)| format!("{:?}", t.flags)).collect();
    assert_eq!(
        flags,
        [
            "S", "S.", ".", "P.", ".", "P.", ".", "P.", ".", "F.", "F.", "."
        ]
    );
    // 10.77.0.1.47290 > 10.77.0.2.8000: Flags [S], seq 3299946688, win 64240,
    // options [mss 1460,sackOK,TS val 4257837755 ecr 0,nop,wscale 10], length 0
    let (syn_meta, syn) = tcp[0];
    let syn_ip = syn_meta.ip().unwrap();
    assert_eq!(
        (syn_ip.source, syn_ip.destination),
        (ip("10.77.0.1"), ip("10.77.0.2"))
    );
    assert_eq!(
        (syn.source_port, syn.destination_port, syn.sequence),
        (47290, 8000, 3_299_946_688)
    );
    assert_eq!(
        (syn.window, syn.window_scale, syn.header_len),
        (64240, Some(10), 40)
    );
    assert_eq!((syn_meta.wire_len, syn_ip.ip_len, syn_ip.ttl), (74, 60, 64));
    // 10.77.0.2.8000 > 10.77.0.1.47290: Flags [S.], seq 1721863158, ack 3299946689
    let synack = tcp[1].1;
    assert_eq!(
        (synack.sequence, synack.acknowledgment),
        (1_721_863_158, 3_299_946_689)
    );
    // The 1240-byte response segment: length 1306 on the wire.
    let (data_meta, data) = tcp[7];
    assert_eq!(
        (data_meta.wire_len, data.payload_len, data.payload.len()),
        (1306, 1240, 1240)
    );
}

#[test]
fn ethernet_pcap_fragments_and_ipv6_extension_headers() {
    let all = clean("ethernet.pcap");
    let metas = decoded(&all.packets);
    let ips: Vec<_> = metas.iter().filter_map(|m| m.ip()).collect();
    let fragments: Vec<_> = ips
        .iter()
        .filter(|i| i.fragment != Fragment::Unfragmented)
        .collect();
    // ping -s 3000 (3 fragments each way) and one 3000-byte UDP datagram (3 fragments).
    assert_eq!(fragments.len(), 9);
    let first_udp = fragments.iter().find(|f| f.protocol == 17).unwrap();
    assert_eq!(first_udp.fragment, Fragment::First);
    assert_eq!(first_udp.transport.ports(), Some((40054, 9999)));
    let later: Vec<_> = fragments
        .iter()
        .filter(|f| f.fragment == Fragment::Later)
        .collect();
    assert_eq!(later.len(), 6);
    assert!(
        later
            .iter()
            .all(|f| f.transport == Transport::LaterFragment)
    );
    assert_eq!(
        later.iter().map(|f| f.ip_len).collect::<Vec<_>>(),
        [1500, 68, 1500, 68, 1500, 68]
    );
    // fd77::1 > fd77::2: HBH DSTOPT 40055 > 5555: UDP, length 38 (116 bytes on the wire).
    let udp6 = ips
        .iter()
        .find(|i| i.transport.ports() == Some((40055, 5555)))
        .unwrap();
    assert_eq!((udp6.protocol, udp6.ip_len), (17, 102));
    let Transport::Udp(d) = &udp6.transport else {
        panic!()
    };
    assert_eq!(
        (d.payload, d.length),
        (&b"hello over ipv6 with extension headers"[..], 46)
    );
}

#[test]
fn nanosecond_pcap_keeps_every_nanosecond() {
    let reader = CaptureReader::open("tests/fixtures/nanosecond.pcap").unwrap();
    assert_eq!(
        reader.format(),
        CaptureFormat::Pcap {
            big_endian: false,
            nanosecond: true
        }
    );
    let all = clean("nanosecond.pcap");
    let times: Vec<String> = all
        .packets
        .iter()
        .map(|p| p.timestamp.to_string())
        .collect();
    assert_eq!(
        times,
        [
            "1796304044.533419341",
            "1796304044.533445310",
            "1796304044.736205284",
            "1796304044.736234567",
            "1796304044.874755058",
            "1796304044.874790741",
        ]
    );
}

#[test]
fn sll_any_capture_has_cooked_headers() {
    let all = clean("sll.pcap");
    assert_eq!(all.packets.len(), 5);
    assert!(
        all.packets
            .iter()
            .all(|p| p.link_type == LinkType::LINUX_SLL)
    );
    let metas = decoded(&all.packets);
    // "Out ethertype IPv6 ... router solicitation" from the tun (ARPHRD_NONE, no address).
    let rs = metas[0].cooked.unwrap();
    assert_eq!(
        (rs.packet_type, rs.arphrd, rs.interface_index),
        (4, 0xfffe, None)
    );
    assert!(matches!(
        metas[0].ip().unwrap().transport,
        Transport::Icmpv6(IcmpMessage {
            kind: 133,
            code: 0,
            quoted: None,
            ..
        })
    ));
    // "Out ... 10.77.0.1 > 10.77.0.2: ICMP echo request", then " In ... echo reply".
    assert_eq!(metas[1].cooked.unwrap().packet_type, 4);
    assert_eq!(metas[2].cooked.unwrap().packet_type, 0);
    assert_eq!(metas[1].ip().unwrap().source, ip("10.77.0.1"));
    assert_eq!(metas[3].ip().unwrap().transport.ports(), Some((40053, 53)));
    assert_eq!(
        (
            metas[3].wire_len,
            all.packets[3].timestamp.to_string().as_str()
        ),
        (73, "1796304045.835851000")
    );
}

#[test]
fn sll2_any_capture_names_the_interface_index() {
    let all = clean("sll2.pcap");
    assert_eq!(all.packets.len(), 4);
    let metas = decoded(&all.packets);
    let cooked: Vec<_> = metas.iter().map(|m| m.cooked.unwrap()).collect();
    assert!(
        cooked
            .iter()
            .all(|c| c.interface_index == Some(2) && c.arphrd == 1)
    );
    assert_eq!(
        cooked.iter().map(|c| c.packet_type).collect::<Vec<_>>(),
        [4, 0, 4, 0]
    );
    // ifindex 2 ... length 77: 10.77.0.1.40053 > 10.77.0.2.53
    assert_eq!(metas[2].wire_len, 77);
    assert_eq!(metas[2].ip().unwrap().transport.ports(), Some((40053, 53)));
    // ICMP 10.77.0.2 udp port 53 unreachable
    let Transport::Icmp(unreachable) = metas[3].ip().unwrap().transport else {
        panic!("not ICMP")
    };
    assert_eq!((unreachable.kind, unreachable.code), (3, 3));
    let quoted = unreachable.quoted.expect("the UDP datagram is quoted");
    assert_eq!((quoted.protocol, quoted.ports), (17, Some((40053, 53))));
}

#[test]
fn loopback_capture_is_ethernet_with_zero_addresses() {
    let all = clean("loopback.pcap");
    assert_eq!(all.packets.len(), 12);
    assert!(
        all.packets
            .iter()
            .all(|p| p.link_type == LinkType::ETHERNET && p.captured[..12] == [0; 12])
    );
    let metas = decoded(&all.packets);
    let syn = metas[0].ip().unwrap();
    assert_eq!(
        (syn.source, syn.destination),
        (ip("127.0.0.1"), ip("127.0.0.1"))
    );
    assert_eq!(syn.transport.ports(), Some((47938, 8001)));
    let Transport::Tcp(synack) = &metas[1].ip().unwrap().transport else {
        panic!()
    };
    assert_eq!(
        (synack.sequence, synack.acknowledgment, synack.window),
        (1_728_869_455, 531_698_897, 65483)
    );
}

#[test]
fn raw_ip_capture_from_a_tun_device() {
    let all = clean("raw.pcap");
    assert!(all.packets.iter().all(|p| p.link_type == LinkType::RAW));
    let metas = decoded(&all.packets);
    let summary: Vec<_> = metas
        .iter()
        .map(|m| (m.proto_name(), m.ip().unwrap().destination))
        .collect();
    assert_eq!(
        summary,
        [
            ("icmp", ip("10.79.0.2")),
            ("icmp", ip("10.79.0.2")),
            ("udp", ip("10.79.0.2")),
            ("udp", ip("fd79::2"))
        ]
    );
    // ip: fd79::1 > fd79::2: HBH DSTOPT 40055 > 5555: UDP, length 38
    let udp6 = metas[3].ip().unwrap();
    assert_eq!(
        (udp6.ip_len, metas[3].wire_len, udp6.transport.ports()),
        (102, 102, Some((40055, 5555)))
    );
}

#[test]
fn offload_capture_holds_segments_larger_than_the_mtu() {
    let all = clean("offload.pcap");
    assert_eq!(all.packets.len(), 18);
    assert!(
        all.packets.iter().all(|p| p.captured.len() <= 128),
        "captured with -s 128"
    );
    let metas = decoded(&all.packets);
    let big: Vec<(u32, u32)> = metas
        .iter()
        .filter(|m| m.wire_len > 1514)
        .map(|m| match &m.ip().unwrap().transport {
            Transport::Tcp(t) => (m.wire_len, t.payload_len),
            other => panic!("{other:?}"),
        })
        .collect();
    // tcpdump: "length 7306: ... length 7240" and so on: TSO segments of up to 14.5 kB.
    assert_eq!(
        big,
        [(7306, 7240), (7306, 7240), (14546, 14480), (11106, 11040)]
    );
    let Transport::Tcp(cut) = &metas[7].ip().unwrap().transport else {
        panic!()
    };
    assert_eq!(
        cut.payload.len(),
        128 - 66,
        "only the captured part of the payload is lent"
    );
}
