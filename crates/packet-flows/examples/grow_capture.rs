//! Writes a large capture out of a small real one, for throughput and memory measurements.
//!
//! ```text
//! cargo run --release -p packet-flows --example grow_capture -- in.pcap out.pcap 2000
//! ```
//!
//! The input's packets are written `copies` times, each copy shifted in time past the end of
//! the one before by 61 s (more than any idle timeout, so each copy's flows are new flows) and
//! with the IPv4 addresses' third octet set to the copy number modulo 256, so the flow
//! table holds many distinct hosts. Checksums are left as they were (neither this crate nor
//! Argus checks them). Output: a microsecond pcap with the input's link type.

use std::fs::File;
use std::io::{BufWriter, Write};

use packet_flows::{CaptureReader, LinkType, OwnedPacket};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, copies] = args.as_slice() else {
        eprintln!("usage: grow_capture <in.pcap> <out.pcap> <copies>");
        std::process::exit(2);
    };
    let copies: u32 = copies.parse()?;
    let packets: Vec<OwnedPacket> = CaptureReader::open(input)?.collect::<Result<_, _>>()?;
    let (Some(first), Some(last)) = (packets.first(), packets.last()) else {
        return Err("the input holds no packets".into());
    };
    let link_type = first.link_type;
    let span = last.timestamp.as_nanos() - first.timestamp.as_nanos() + 61_000_000_000;
    let mut out = BufWriter::new(File::create(output)?);
    // pcap header: magic (µs), version 2.4, zone, sigfigs, snaplen, link type.
    out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
    out.write_all(&2u16.to_le_bytes())?;
    out.write_all(&4u16.to_le_bytes())?;
    out.write_all(&[0; 8])?;
    out.write_all(&262_144u32.to_le_bytes())?;
    out.write_all(&u32::from(link_type.0).to_le_bytes())?;
    let mut frame = Vec::new();
    for copy in 0..copies {
        for packet in &packets {
            let nanos = packet.timestamp.as_nanos() + i64::from(copy) * span;
            frame.clear();
            frame.extend_from_slice(&packet.captured);
            renumber(link_type, &mut frame, copy as u8);
            out.write_all(&(nanos.div_euclid(1_000_000_000) as u32).to_le_bytes())?;
            out.write_all(&((nanos.rem_euclid(1_000_000_000) / 1_000) as u32).to_le_bytes())?;
            out.write_all(&(frame.len() as u32).to_le_bytes())?;
            out.write_all(&packet.original_len.to_le_bytes())?;
            out.write_all(&frame)?;
        }
    }
    out.flush()?;
    eprintln!(
        "{} packets written",
        packets.len() as u64 * u64::from(copies)
    );
    Ok(())
}

/// Sets the third octet of an untagged Ethernet frame's IPv4 source and destination.
fn renumber(link_type: LinkType, frame: &mut [u8], octet: u8) {
    const ETHERNET_HEADER: usize = 14;
    if link_type != LinkType::ETHERNET || frame.get(12..14) != Some(&[0x08, 0x00]) {
        return;
    }
    for at in [ETHERNET_HEADER + 12 + 2, ETHERNET_HEADER + 16 + 2] {
        if let Some(byte) = frame.get_mut(at) {
            *byte = octet;
        }
    }
}
