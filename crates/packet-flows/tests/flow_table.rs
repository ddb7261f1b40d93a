//! The flow table on real packets: records, states and counts read off the fixture's tcpdump
//! reading, and the timers driven by re-timing real packets.

mod common;

use std::time::Duration;

use packet_flows::{
    FlowRecord, FlowTable, FlowTableConfig, OwnedPacket, RecordEnd, Timestamp, Transport,
};

const SECOND: i64 = 1_000_000_000;

fn packets() -> Vec<OwnedPacket> {
    common::clean("ethernet.pcap").packets
}

/// Pushes `(packet, time)` pairs, flushes, and returns every record.
fn run(config: FlowTableConfig, timed: &[(&OwnedPacket, i64)]) -> Vec<FlowRecord> {
    let mut table = FlowTable::new(config);
    let mut records = Vec::new();
    for (packet, nanos) in timed {
        let meta = packet.as_packet().decode().expect("fixture packets decode");
        table.push(Timestamp::from_nanos(*nanos), &meta);
        records.extend(std::iter::from_fn(|| table.pop_record()));
    }
    table.flush();
    records.extend(std::iter::from_fn(|| table.pop_record()));
    records
}

fn in_capture_order(packets: &[OwnedPacket]) -> Vec<FlowRecord> {
    let timed: Vec<_> = packets
        .iter()
        .map(|p| (p, p.timestamp.as_nanos()))
        .collect();
    run(FlowTableConfig::default(), &timed)
}

/// The packet at 0-based `index` of the fixture, which must be UDP or TCP.
fn ported(packets: &[OwnedPacket], index: usize) -> &OwnedPacket {
    let packet = &packets[index];
    let meta = packet.as_packet().decode().unwrap();
    assert!(
        meta.ip().unwrap().transport.ports().is_some(),
        "packet {index}"
    );
    packet
}

#[test]
fn the_http_connection_is_one_record_as_tcpdump_shows_it() {
    let records = in_capture_order(&packets());
    let tcp: Vec<_> = records.iter().filter(|r| r.proto == "tcp").collect();
    assert_eq!(tcp.len(), 1);
    let r = tcp[0];
    // 10.77.0.1.47290 > 10.77.0.2.8000: Flags [S], seq 3299946688 ... the final ACK.
    assert_eq!(r.key.source.to_string(), "10.77.0.1");
    assert_eq!((r.key.source_port, r.key.destination_port), (47290, 8000));
    assert_eq!(r.state, "FIN");
    assert_eq!((r.source.packets, r.destination.packets), (6, 6));
    // Frame lengths 74+66+153+66+66+66 and 74+66+254+1306+66+66.
    assert_eq!((r.source.bytes, r.destination.bytes), (491, 1832));
    assert_eq!(
        (r.source.base_sequence, r.destination.base_sequence),
        (3_299_946_688, 1_721_863_158)
    );
    assert_eq!(r.stime, Timestamp::from_nanos(1_796_304_043_147_243_000));
    assert_eq!(r.ltime, Timestamp::from_nanos(1_796_304_043_153_797_000));
    // SYN .147243, SYN/ACK .147297, ACK .147318.
    assert!((r.synack - 54e-6).abs() < 1e-9 && (r.ackdat - 21e-6).abs() < 1e-9);
    assert_eq!(r.end, RecordEnd::Flushed);
    assert!(!r.continued);
}

#[test]
fn arp_and_icmp_records() {
    let records = in_capture_order(&packets());
    let arp: Vec<_> = records.iter().filter(|r| r.proto == "arp").collect();
    // Request who-has 10.77.0.2 tell 10.77.0.1, then the reply: one flow, both ways.
    assert_eq!(arp.len(), 1);
    assert_eq!(arp[0].key.source.to_string(), "10.77.0.1");
    assert_eq!((arp[0].source.packets, arp[0].destination.packets), (1, 1));
    assert_eq!(arp[0].state, "CON");
    // Two pings of one id are two flows (Argus keys echo on identifier and sequence).
    let echo: Vec<_> = records
        .iter()
        .filter(|r| r.proto == "icmp" && r.state == "ECO")
        .collect();
    assert_eq!(echo.len(), 3, "{echo:#?}");
    assert!(
        echo.iter()
            .all(|r| r.destination.packets == r.source.packets)
    );
}

#[test]
fn dns_transactions_are_flows_and_icmp_errors_extend_the_flow_they_quote() {
    let records = in_capture_order(&packets());
    // 10.77.0.1.40053 > 10.77.0.2.53: 4096+ A? and 4097+ A?, each answered by a port
    // unreachable 128 and 24 µs later.
    let dns: Vec<_> = records
        .iter()
        .filter(|r| r.key.destination_port == 53)
        .collect();
    assert_eq!(dns.len(), 2);
    assert_eq!(
        (dns[0].key.transaction, dns[1].key.transaction),
        (4096, 4097)
    );
    let lasts = [128_000, 24_000];
    for (r, last) in dns.iter().zip(lasts) {
        assert_eq!(r.state, "INT");
        assert_eq!((r.source.packets, r.destination.packets), (1, 0));
        assert_eq!(
            r.ltime.as_nanos() - r.stime.as_nanos(),
            last,
            "the error's time is the last"
        );
    }
}

/// Argus's timers, as `scripts/argus-parity.sh` showed them on re-timed packets: a record is
/// written 60 s after its first packet; a flow times out 30 s (UDP) or 60 s (TCP) after its
/// last record was written, never while a record holds packets.
#[test]
fn flows_time_out_after_their_last_record_was_written() {
    let packets = packets();
    let query = ported(&packets, 20);
    let ack = ported(&packets, 9);
    let t0 = 1_800_000_000 * SECOND;
    let two = |packet, gap: i64| {
        run(
            FlowTableConfig::default(),
            &[(packet, t0), (packet, t0 + gap)],
        )
    };

    let one_record = two(query, 59 * SECOND);
    assert_eq!(one_record.len(), 1);
    assert_eq!(
        (one_record[0].source.packets, one_record[0].state),
        (2, "INT")
    );
    // Written at 60 s; the flow lives until 90 s.
    let continued = two(query, 90 * SECOND);
    assert_eq!(continued.len(), 2);
    assert_eq!(continued[0].end, RecordEnd::StatusInterval);
    assert!(continued[1].continued);
    assert_eq!(continued[1].state, "REQ", "requests still unanswered");
    assert!((continued[1].source.inter_packet_ms - 90_000.0).abs() < 1e-6);
    let new_flow = two(query, 91 * SECOND);
    assert!(!new_flow[1].continued);
    assert_eq!(
        (new_flow[1].state, new_flow[1].source.inter_packet_ms),
        ("INT", 0.0)
    );
    // TCP: until 120 s.
    assert!(two(ack, 119 * SECOND)[1].continued);
    assert!(!two(ack, 121 * SECOND)[1].continued);
}

#[test]
fn tcp_flows_wait_60_s_and_records_are_cut_every_status_interval() {
    let packets = packets();
    let ack = ported(&packets, 9);
    let t0 = 1_800_000_000 * SECOND;
    let timed: Vec<_> = (0..14).map(|i| (ack, t0 + i * 10 * SECOND)).collect();
    let records = run(FlowTableConfig::default(), &timed);
    let counts: Vec<_> = records.iter().map(|r| r.source.packets).collect();
    assert_eq!(counts, [6, 6, 2], "{records:#?}");
    assert_eq!(records[0].end, RecordEnd::StatusInterval);
    assert!(records[1].continued && records[2].continued);
    assert_eq!(records[1].stime, Timestamp::from_nanos(t0 + 60 * SECOND));

    // 59 s apart: one record; a 30 s interval cuts it.
    let slow = [(ack, t0), (ack, t0 + 59 * SECOND)];
    assert_eq!(run(FlowTableConfig::default(), &slow).len(), 1);
    let config = FlowTableConfig {
        status_interval: Duration::from_secs(30),
        ..FlowTableConfig::default()
    };
    assert_eq!(run(config, &slow).len(), 2);
}

#[test]
fn a_new_syn_on_a_closed_connection_starts_a_new_flow() {
    let packets = packets();
    let connection: Vec<_> = packets[7..19].iter().collect();
    let t0 = 1_800_000_000 * SECOND;
    let mut timed: Vec<_> = connection
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, t0 + i as i64 * 1_000))
        .collect();
    timed.push((connection[0], t0 + SECOND));
    let records = run(FlowTableConfig::default(), &timed);
    assert_eq!(records.len(), 2);
    assert_eq!(
        (records[0].end, records[0].state),
        (RecordEnd::PortReuse, "FIN")
    );
    assert_eq!((records[1].state, records[1].source.packets), ("REQ", 1));
}

/// A closed connection whose last record was written at the status interval, reopened on
/// the same ports before it timed out: the new connection is a new flow, and the old one has
/// nothing left to write (a capture grown from repeated connections found this).
#[test]
fn a_port_reused_after_a_status_cut_starts_a_new_flow() {
    let packets = packets();
    let connection: Vec<_> = packets[7..19].iter().collect();
    let t0 = 1_800_000_000 * SECOND;
    let mut timed: Vec<_> = connection
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, t0 + i as i64 * 1_000))
        .collect();
    timed.extend(
        connection
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, t0 + 61 * SECOND + i as i64 * 1_000)),
    );
    let records = run(FlowTableConfig::default(), &timed);
    assert_eq!(records.len(), 2, "{records:#?}");
    assert_eq!(records[0].end, RecordEnd::StatusInterval);
    assert!(!records[1].continued);
    assert_eq!((records[1].source.packets, records[1].state), (6, "FIN"));
}

#[test]
fn a_full_table_writes_out_the_flow_due_soonest() {
    let packets = packets();
    let udp: Vec<_> = packets
        .iter()
        .filter(|p| {
            let meta = p.as_packet().decode().unwrap();
            matches!(meta.ip().map(|ip| &ip.transport), Some(Transport::Udp(_)))
        })
        .collect();
    let config = FlowTableConfig {
        max_flows: 1,
        ..FlowTableConfig::default()
    };
    let t0 = 1_800_000_000 * SECOND;
    // 40053 > 53, then 40054 > 9999 (a first fragment), then 40055 > 5555.
    let timed: Vec<_> = udp
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, t0 + i as i64 * SECOND))
        .collect();
    let records = run(config, &timed);
    assert!(records.len() >= 3);
    assert!(records.iter().any(|r| r.end == RecordEnd::Evicted));
}

#[test]
fn nanosecond_times_are_kept_to_the_microsecond() {
    let packets = packets();
    let query = ported(&packets, 20);
    let t0 = 1_800_000_000 * SECOND;
    let records = run(
        FlowTableConfig::default(),
        &[(query, t0 + 999), (query, t0 + 1_999)],
    );
    assert_eq!(records[0].stime, Timestamp::from_nanos(t0));
    assert_eq!(records[0].ltime, Timestamp::from_nanos(t0 + 1_000));
}
