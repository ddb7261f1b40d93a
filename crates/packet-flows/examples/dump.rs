//! Prints one line per packet of a capture, then the skip report.
//!
//! `cargo run --example dump -- tests/fixtures/ethernet.pcap`

use packet_flows::{CaptureReader, Network, Skips, Transport};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: dump CAPTURE")?;
    let mut reader = CaptureReader::open(&path)?;
    let mut skips = Skips::default();
    while let Some(packet) = reader.next_packet() {
        let packet = packet?;
        let meta = match packet.decode() {
            Ok(meta) => meta,
            Err(reason) => {
                println!("{} skipped: {reason}", packet.timestamp);
                skips.add(reason);
                continue;
            }
        };
        let what = match &meta.network {
            Network::Arp(arp) => format!("op {} {} -> {}", arp.operation, arp.sender, arp.target),
            Network::Ip(ip) => {
                let detail = match &ip.transport {
                    Transport::Tcp(t) => format!(
                        "{} > {} {:?} seq {} ack {} win {} ws {:?} len {}",
                        t.source_port,
                        t.destination_port,
                        t.flags,
                        t.sequence,
                        t.acknowledgment,
                        t.window,
                        t.window_scale,
                        t.payload_len
                    ),
                    Transport::Udp(u) => {
                        format!(
                            "{} > {} len {}",
                            u.source_port, u.destination_port, u.payload_len
                        )
                    }
                    Transport::Icmp(m) | Transport::Icmpv6(m) => {
                        format!("type {} code {}", m.kind, m.code)
                    }
                    other => format!("{other:?}"),
                };
                format!(
                    "{} > {} ttl {} ip_len {} {:?} {detail}",
                    ip.source, ip.destination, ip.ttl, ip.ip_len, ip.fragment
                )
            }
        };
        println!(
            "{} if{} {} wire {} {} {what}",
            packet.timestamp,
            packet.interface,
            packet.link_type,
            meta.wire_len,
            meta.proto_name()
        );
    }
    skips.merge(reader.skips());
    println!("{skips}");
    Ok(())
}
