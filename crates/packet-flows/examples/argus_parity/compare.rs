//! Compares the flow table's records with Argus's on the same capture.
//!
//! Argus's side is `ra`'s CSV (the command line in `scripts/argus-parity.sh`): records are
//! matched by protocol, addresses, ports (for TCP and UDP) and start time within 1 µs, then
//! every field Argus computes is compared: counts and strings exactly, times within 1 µs
//! (the inter-packet times and jitters, in milliseconds, too), rates, loads and means within
//! 1e-6 relative (Argus prints them from `f32`, which rounds at about 6e-8).
#![allow(dead_code)] // the example and the test use different parts

use std::collections::HashMap;
use std::fmt::Write as _;

use packet_flows::{CaptureReader, FlowRecord, FlowTable, FlowTableConfig};

/// The `ra -s` fields, in the order the script asks for them.
pub const RA_FIELDS: &str = "stime ltime saddr sport daddr dport proto state dur spkts dpkts \
    sbytes dbytes rate sload dload sloss dloss sintpkt dintpkt sjit djit swin dwin stcpb dtcpb \
    tcprtt synack ackdat smeansz dmeansz sttl dttl";

/// One compared field: its `ra` name and how it compares.
struct Field {
    name: &'static str,
    tolerance: Tolerance,
}

#[derive(Clone, Copy)]
enum Tolerance {
    Exact,
    /// Seconds, within 1 µs or 1e-6 relative (Argus's `dur` is single precision).
    Micros,
    /// Milliseconds, within 1 µs or 1e-6 relative.
    Millis,
    /// Within 1e-6 relative (or `ra`'s printed precision).
    Relative,
}

const COMPARED: [Field; 29] = {
    use Tolerance::*;
    macro_rules! f {
        ($n:literal, $t:ident) => {
            Field {
                name: $n,
                tolerance: $t,
            }
        };
    }
    [
        f!("ltime", Micros),
        f!("state", Exact),
        f!("dur", Micros),
        f!("spkts", Exact),
        f!("dpkts", Exact),
        f!("sbytes", Exact),
        f!("dbytes", Exact),
        f!("rate", Relative),
        f!("sload", Relative),
        f!("dload", Relative),
        f!("sloss", Exact),
        f!("dloss", Exact),
        f!("sintpkt", Millis),
        f!("dintpkt", Millis),
        f!("sjit", Millis),
        f!("djit", Millis),
        f!("swin", Exact),
        f!("dwin", Exact),
        f!("stcpb", Exact),
        f!("dtcpb", Exact),
        f!("tcprtt", Micros),
        f!("synack", Micros),
        f!("ackdat", Micros),
        f!("smeansz", Relative),
        f!("dmeansz", Relative),
        f!("sttl", Exact),
        f!("dttl", Exact),
        f!("proto", Exact),
        f!("sport", Exact),
    ]
};

/// One record as text fields by `ra` name.
pub type Row = HashMap<&'static str, String>;

/// Parses `ra`'s CSV (with its header line) into rows keyed by the script's field names.
pub fn parse_ra(csv: &str) -> Vec<Row> {
    let names: Vec<&'static str> = RA_FIELDS.split_whitespace().collect();
    csv.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            names
                .iter()
                .zip(line.split(','))
                .map(|(name, value)| (*name, value.trim().to_owned()))
                .collect()
        })
        .collect()
}

/// The flow table's records for the capture at `path`, as `ra` would print them.
pub fn our_rows(path: &str, config: FlowTableConfig) -> Vec<Row> {
    let mut reader = CaptureReader::open(path).expect("capture opens");
    let mut table = FlowTable::new(config);
    let mut records = Vec::new();
    while let Some(packet) = reader.next_packet() {
        let packet = packet.expect("capture reads");
        if let Ok(meta) = packet.decode() {
            table.push(packet.timestamp, &meta);
        }
        records.extend(std::iter::from_fn(|| table.pop_record()));
    }
    table.flush();
    records.extend(std::iter::from_fn(|| table.pop_record()));
    records.iter().map(as_ra).collect()
}

/// A record's fields printed as `ra -n -u -p 6` prints them.
fn as_ra(r: &FlowRecord) -> Row {
    let time = |t: packet_flows::Timestamp| format!("{}.{:06}", t.secs(), t.subsec_nanos() / 1000);
    // `ra` prints a NaN (negative sign bit, from sqrt of a negative) as glibc does.
    let f6 = |x: f64| {
        if x.is_nan() {
            "-nan".to_owned()
        } else {
            format!("{x:.6}")
        }
    };
    let (s, d) = (&r.source, &r.destination);
    let mean = |bytes: u64, packets: u64| {
        f6(if packets == 0 {
            0.0
        } else {
            bytes as f64 / packets as f64
        })
    };
    let is_tcp = r.key.protocol == 6;
    let tcp = |value: u64| {
        if is_tcp {
            value.to_string()
        } else {
            String::new()
        }
    };
    let ttl = |ttl: Option<u8>| ttl.map(|t| t.to_string()).unwrap_or_default();
    let dur = r.dur();
    let mut row = Row::new();
    let fields: [(&'static str, String); 33] = [
        ("stime", time(r.stime)),
        ("ltime", time(r.ltime)),
        ("saddr", r.key.source.to_string()),
        ("sport", port(r, r.key.source_port, true)),
        ("daddr", r.key.destination.to_string()),
        ("dport", port(r, r.key.destination_port, false)),
        ("proto", r.proto.to_owned()),
        ("state", r.state.to_owned()),
        ("dur", f6(dur)),
        ("spkts", s.packets.to_string()),
        ("dpkts", d.packets.to_string()),
        ("sbytes", s.bytes.to_string()),
        ("dbytes", d.bytes.to_string()),
        ("rate", f6(r.rate())),
        ("sload", f6(s.load(dur))),
        ("dload", f6(d.load(dur))),
        ("sloss", s.loss.to_string()),
        ("dloss", d.loss.to_string()),
        ("sintpkt", f6(s.inter_packet_ms)),
        ("dintpkt", f6(d.inter_packet_ms)),
        ("sjit", f6(s.jitter_ms)),
        ("djit", f6(d.jitter_ms)),
        ("swin", tcp(u64::from(s.window))),
        ("dwin", tcp(u64::from(d.window))),
        ("stcpb", tcp(u64::from(s.base_sequence))),
        ("dtcpb", tcp(u64::from(d.base_sequence))),
        ("tcprtt", f6(r.tcprtt())),
        ("synack", f6(r.synack)),
        ("ackdat", f6(r.ackdat)),
        ("smeansz", mean(s.bytes, s.packets)),
        ("dmeansz", mean(d.bytes, d.packets)),
        ("sttl", ttl(s.ttl)),
        ("dttl", ttl(d.ttl)),
    ];
    row.extend(fields);
    row
}

/// Ports as `ra -n` prints them: numbers for TCP, UDP and ICMPv6, hex for ICMP (the key's
/// values; for an echo the source "port" Argus prints is the type and code).
fn port(r: &FlowRecord, value: u16, source: bool) -> String {
    match (r.key.protocol, r.icmp) {
        (1, Some(m)) if source && [0, 8, 13, 14, 15, 16, 17, 18].contains(&m.kind) => {
            format!("0x{:04x}", u16::from(m.kind) | u16::from(m.code) << 8)
        }
        (1, Some(m)) if [0, 8, 13, 14, 15, 16, 17, 18].contains(&m.kind) => {
            format!("0x{:04x}", m.identifier)
        }
        (1, _) => format!("0x{value:04x}"),
        (packet_flows::ARP, _) => String::new(),
        (58, Some(m)) if [128, 129].contains(&m.kind) && source => "128".to_owned(),
        (58, Some(m)) if [128, 129].contains(&m.kind) => m.code.to_string(),
        // Neighbour discovery: the solicitation's type, then the first message's code.
        (58, Some(m)) if r.key.source_port == r.key.destination_port && !source => {
            m.code.to_string()
        }
        _ => value.to_string(),
    }
}

/// How two sets of records compare.
#[derive(Debug, Default)]
pub struct Report {
    /// Argus's records.
    pub theirs: usize,
    /// Ours.
    pub ours: usize,
    /// Argus records with a match.
    pub matched: usize,
    /// Matched records on which every field agrees.
    pub agreeing: usize,
    /// Per field: matched records on which it disagrees.
    pub disagreements: Vec<(&'static str, usize)>,
    /// A few examples of disagreements and unmatched records.
    pub examples: String,
}

impl Report {
    /// Share of Argus's records matched.
    pub fn matched_share(&self) -> f64 {
        self.matched as f64 / self.theirs.max(1) as f64
    }

    /// Share of matched records on which every field agrees.
    pub fn agreeing_share(&self) -> f64 {
        self.agreeing as f64 / self.matched.max(1) as f64
    }
}

/// Matches `ours` to `theirs` and compares them.
pub fn compare(theirs: &[Row], ours: &[Row]) -> Report {
    let mut report = Report {
        theirs: theirs.len(),
        ours: ours.len(),
        ..Report::default()
    };
    let mut used = vec![false; ours.len()];
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    for t in theirs {
        let found = ours
            .iter()
            .enumerate()
            .find(|(i, o)| !used[*i] && same_flow(t, o));
        let Some((i, o)) = found else {
            if report.examples.len() < 4000 {
                let _ = writeln!(report.examples, "unmatched argus: {}", line(t));
            }
            continue;
        };
        used[i] = true;
        report.matched += 1;
        let mut all = true;
        for field in &COMPARED {
            if !agree(field.tolerance, &t[field.name], &o[field.name]) {
                all = false;
                *counts.entry(field.name).or_default() += 1;
                if report.examples.len() < 4000 {
                    let _ = writeln!(
                        report.examples,
                        "{}: argus {:?}, ours {:?} in {}",
                        field.name,
                        t[field.name],
                        o[field.name],
                        line(t)
                    );
                }
            }
        }
        report.agreeing += usize::from(all);
    }
    for (o, used) in ours.iter().zip(&used) {
        if !used && report.examples.len() < 6000 {
            let _ = writeln!(report.examples, "unmatched ours: {}", line(o));
        }
    }
    report.disagreements = counts.into_iter().collect();
    report.disagreements.sort();
    report
}

fn same_flow(t: &Row, o: &Row) -> bool {
    let ports = matches!(t["proto"].as_str(), "tcp" | "udp");
    t["proto"] == o["proto"]
        && t["saddr"] == o["saddr"]
        && t["daddr"] == o["daddr"]
        && (!ports || (t["sport"] == o["sport"] && t["dport"] == o["dport"]))
        && agree(Tolerance::Micros, &t["stime"], &o["stime"])
}

fn agree(tolerance: Tolerance, theirs: &str, ours: &str) -> bool {
    if theirs == ours {
        return true;
    }
    // An empty `ra` field means 0.
    let number = |s: &str| {
        if s.is_empty() {
            Some(0.0)
        } else {
            s.parse::<f64>().ok()
        }
    };
    let (Some(a), Some(b)) = (number(theirs), number(ours)) else {
        return false;
    };
    match tolerance {
        Tolerance::Exact => a == b,
        Tolerance::Micros => (a - b).abs() <= (1e-6 * a.abs().max(b.abs())).max(1.000_001e-6),
        Tolerance::Millis => (a - b).abs() <= (1e-6 * a.abs().max(b.abs())).max(1.000_001e-3),
        // Or within the printed precision: `ra -p 6` rounds to 1e-6.
        Tolerance::Relative => (a - b).abs() <= (1e-6 * a.abs().max(b.abs())).max(1.000_001e-6),
    }
}

fn line(row: &Row) -> String {
    let names: Vec<&str> = RA_FIELDS.split_whitespace().collect();
    names
        .iter()
        .map(|n| row.get(n).map_or("?", String::as_str))
        .collect::<Vec<_>>()
        .join(",")
}
