//! Decoding real frames from the fixtures, and the same frames mutated by hand: every bad
//! header is a specific [`Skip`], and every link type decodes the same IP packet.

mod common;

use common::{fixture, split_pcap};
use packet_flows::{Fragment, LinkType, Skip, Transport, decode};

/// Real frames of ethernet.pcap and raw.pcap, by what they are.
struct Frames {
    arp_request: Vec<u8>,
    echo_request: Vec<u8>,
    syn: Vec<u8>,
    dns_query: Vec<u8>,
    udp6_ext_headers: Vec<u8>,
    raw_udp6_ext_headers: Vec<u8>,
}

fn frames() -> Frames {
    let eth = split_pcap(&fixture("ethernet.pcap")).1;
    let raw = split_pcap(&fixture("raw.pcap")).1;
    let frames = Frames {
        arp_request: eth[1].data.clone(),
        echo_request: eth[3].data.clone(),
        syn: eth[7].data.clone(),
        dns_query: eth[20].data.clone(),
        udp6_ext_headers: eth[40].data.clone(),
        raw_udp6_ext_headers: raw[3].data.clone(),
    };
    // Guard the indexes against a regenerated fixture.
    assert_eq!(frames.syn[47], 0x02, "SYN flag byte");
    assert_eq!(&frames.arp_request[12..14], &[0x08, 0x06]);
    assert_eq!(frames.udp6_ext_headers[20], 0, "hop-by-hop first");
    frames
}

const ETH: usize = 14;

/// `frame` with a VLAN tag (TPID, id) inserted after the MAC addresses.
fn tagged(frame: &[u8], tags: &[(u16, u16)]) -> Vec<u8> {
    let mut out = frame[..12].to_vec();
    for (tpid, id) in tags {
        out.extend_from_slice(&tpid.to_be_bytes());
        out.extend_from_slice(&id.to_be_bytes());
    }
    out.extend_from_slice(&frame[12..]);
    out
}

fn skip(link: LinkType, frame: &[u8]) -> Skip {
    decode(link, frame).expect_err("should be skipped")
}

#[test]
fn vlan_and_qinq_tags_are_unpacked() {
    let f = frames();
    let plain = decode(LinkType::ETHERNET, &f.syn).unwrap();
    let one = tagged(&f.syn, &[(0x8100, 42)]);
    let meta = decode(LinkType::ETHERNET, &one).unwrap();
    assert_eq!(
        (meta.vlan_ids(), &meta.network),
        (&[42][..], &plain.network)
    );
    let qinq = tagged(&f.syn, &[(0x88a8, 100), (0x8100, 42)]);
    assert_eq!(
        decode(LinkType::ETHERNET, &qinq).unwrap().vlan_ids(),
        [100, 42]
    );
    assert!(plain.vlan_ids().is_empty());
    // More tags than etherparse unpacks (3): the payload is still a tag, not IP.
    let four = tagged(
        &f.syn,
        &[(0x88a8, 1), (0x8100, 2), (0x8100, 3), (0x8100, 4)],
    );
    assert_eq!(skip(LinkType::ETHERNET, &four), Skip::NotIp);
    // A tag cut short.
    assert_eq!(
        skip(LinkType::ETHERNET, &one[..16]),
        Skip::TruncatedLinkHeader
    );
}

#[test]
fn every_link_type_yields_the_same_ip_packet() {
    let f = frames();
    let ip = &f.syn[ETH..];
    let expected = decode(LinkType::ETHERNET, &f.syn).unwrap().network;
    let mut sll = vec![0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(ip);
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0,
    ];
    sll2.extend_from_slice(ip);
    let with = |prefix: [u8; 4]| [&prefix[..], ip].concat();
    let cases = [
        (LinkType::RAW, ip.to_vec()),
        (LinkType::IPV4, ip.to_vec()),
        (LinkType::LINUX_SLL, sll),
        (LinkType::LINUX_SLL2, sll2),
        (LinkType::NULL, with([2, 0, 0, 0])), // written by a little-endian host
        (LinkType::NULL, with([0, 0, 0, 2])), // written by a big-endian host
        (LinkType::LOOP, with([0, 0, 0, 2])),
    ];
    for (link, frame) in cases {
        let meta = decode(link, &frame).unwrap_or_else(|s| panic!("{link}: {s}"));
        assert_eq!(meta.network, expected, "{link}");
        assert_eq!(meta.wire_len as usize, frame.len());
    }
    // IPv6 behind the loopback families of macOS (30) and OpenBSD's LOOP (24), and link 229.
    let ip6 = &f.raw_udp6_ext_headers;
    for (link, prefix) in [
        (LinkType::NULL, [30, 0, 0, 0]),
        (LinkType::LOOP, [0, 0, 0, 24]),
    ] {
        let frame = [&prefix[..], ip6].concat();
        let meta = decode(link, &frame).unwrap();
        assert_eq!(meta.ip().unwrap().transport.ports(), Some((40055, 5555)));
    }
    assert_eq!(decode(LinkType::IPV6, ip6).unwrap().proto_name(), "udp");
}

#[test]
fn link_layer_problems() {
    let f = frames();
    assert_eq!(skip(LinkType(147), &f.syn), Skip::UnknownLinkType);
    assert_eq!(
        skip(LinkType::ETHERNET, &f.syn[..13]),
        Skip::TruncatedLinkHeader
    );
    assert_eq!(
        skip(LinkType::LINUX_SLL, &f.syn[..15]),
        Skip::TruncatedLinkHeader
    );
    assert_eq!(
        skip(LinkType::LINUX_SLL2, &f.syn[..19]),
        Skip::TruncatedLinkHeader
    );
    assert_eq!(skip(LinkType::NULL, &[2, 0, 0]), Skip::TruncatedLinkHeader);
    let mut lldp = f.syn.clone();
    lldp[12..14].copy_from_slice(&[0x88, 0xcc]);
    assert_eq!(skip(LinkType::ETHERNET, &lldp), Skip::NotIp);
    let null_family_7 = [&[7u8, 0, 0, 0][..], &f.syn[ETH..]].concat();
    assert_eq!(skip(LinkType::NULL, &null_family_7), Skip::NotIp);
}

#[test]
fn arp_problems() {
    let f = frames();
    assert_eq!(
        skip(LinkType::ETHERNET, &f.arp_request[..ETH + 20]),
        Skip::TruncatedArp
    );
    let mut not_ipv4 = f.arp_request.clone();
    not_ipv4[ETH + 2..ETH + 4].copy_from_slice(&[0x08, 0x01]);
    assert_eq!(skip(LinkType::ETHERNET, &not_ipv4), Skip::UnsupportedArp);
}

#[test]
fn ip_header_problems() {
    let f = frames();
    let mut bad = f.syn.clone();
    bad[ETH] = 0x44; // IHL 4 words
    assert_eq!(skip(LinkType::ETHERNET, &bad), Skip::BadIpHeaderLength);
    bad[ETH] = 0x55; // version 5
    assert_eq!(skip(LinkType::ETHERNET, &bad), Skip::BadIpVersion);
    assert_eq!(skip(LinkType::RAW, &bad[ETH..]), Skip::BadIpVersion);
    assert_eq!(
        skip(LinkType::IPV6, &f.syn[ETH..]),
        Skip::BadIpVersion,
        "IPv4 on link 229"
    );
    assert_eq!(
        skip(LinkType::IPV4, &f.raw_udp6_ext_headers),
        Skip::BadIpVersion
    );
    assert_eq!(
        skip(LinkType::ETHERNET, &f.syn[..ETH + 19]),
        Skip::TruncatedIpHeader
    );
    assert_eq!(skip(LinkType::RAW, &[]), Skip::TruncatedIpHeader);
    assert_eq!(
        skip(LinkType::RAW, &f.raw_udp6_ext_headers[..39]),
        Skip::TruncatedIpHeader
    );
    // Cut inside the hop-by-hop header.
    assert_eq!(
        skip(LinkType::RAW, &f.raw_udp6_ext_headers[..44]),
        Skip::TruncatedIpHeader
    );
}

#[test]
fn hop_by_hop_after_another_extension_header_is_malformed() {
    let f = frames();
    // The real chain is IPv6 -> hop-by-hop -> destination options -> UDP. Relabel it
    // IPv6 -> destination options -> hop-by-hop -> UDP (the two share a format).
    let mut v6 = f.raw_udp6_ext_headers.clone();
    assert_eq!((v6[6], v6[40], v6[48]), (0, 60, 17));
    v6[6] = 60;
    v6[40] = 0;
    assert_eq!(skip(LinkType::RAW, &v6), Skip::BadIpExtensionHeader);
}

#[test]
fn transport_header_problems() {
    let f = frames();
    let tcp = ETH + 20;
    assert_eq!(
        skip(LinkType::ETHERNET, &f.syn[..tcp + 10]),
        Skip::TruncatedTransportHeader
    );
    let mut short_offset = f.syn.clone();
    short_offset[tcp + 12] = 0x40;
    assert_eq!(
        skip(LinkType::ETHERNET, &short_offset),
        Skip::BadTcpHeaderLength
    );
    let udp = ETH + 20;
    assert_eq!(
        skip(LinkType::ETHERNET, &f.dns_query[..udp + 4]),
        Skip::TruncatedTransportHeader
    );
    assert_eq!(
        skip(LinkType::ETHERNET, &f.echo_request[..ETH + 22]),
        Skip::TruncatedTransportHeader
    );
}

#[test]
fn snaplen_cut_frames_keep_their_declared_lengths() {
    let f = frames();
    // Cut the SYN inside its options, as `tcpdump -s 58` would.
    let meta = decode(LinkType::ETHERNET, &f.syn[..58]).unwrap();
    let ip = meta.ip().unwrap();
    let Transport::Tcp(syn) = &ip.transport else {
        panic!()
    };
    assert_eq!(
        (ip.ip_len, syn.header_len, syn.window_scale, syn.source_port),
        (60, 40, None, 47290)
    );
    // A segmentation-offload frame whose IPv4 total length is 0: the captured length counts.
    let mut tso = f.syn.clone();
    tso[ETH + 2..ETH + 4].copy_from_slice(&[0, 0]);
    let meta = decode(LinkType::ETHERNET, &tso).unwrap();
    assert_eq!(meta.ip().unwrap().ip_len, 60);
    assert_eq!(meta.ip().unwrap().transport.ports(), Some((47290, 8000)));
}

#[test]
fn ipv6_fragments() {
    let f = frames();
    // Insert a fragment header between the hop-by-hop and destination-options headers of the raw
    // IPv6 datagram: offset 0 with more fragments is a first fragment with ports.
    let v6 = &f.raw_udp6_ext_headers;
    let frag = |offset_words: u16, more: bool| {
        let mut out = v6[..48].to_vec();
        out[40] = 44; // hop-by-hop now points at the fragment header
        let field = (offset_words << 3) | u16::from(more);
        out.extend_from_slice(&[60, 0]); // then the destination options, then UDP
        out.extend_from_slice(&field.to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(&v6[48..]);
        let payload_len = (out.len() - 40) as u16;
        out[4..6].copy_from_slice(&payload_len.to_be_bytes());
        out
    };
    let (first_frame, later_frame) = (frag(0, true), frag(100, false));
    let first = decode(LinkType::RAW, &first_frame).unwrap();
    let first = first.ip().unwrap();
    assert_eq!(
        (first.fragment, first.protocol, first.transport.ports()),
        (Fragment::First, 17, Some((40055, 5555)))
    );
    let later = decode(LinkType::RAW, &later_frame).unwrap();
    let later = later.ip().unwrap();
    assert_eq!(
        (later.fragment, &later.transport),
        (Fragment::Later, &Transport::LaterFragment)
    );
}
