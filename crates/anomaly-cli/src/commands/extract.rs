//! `anomaly extract`: turn a packet capture (pcap or pcapng) or a network interface's live
//! traffic into UNSW-NB15 flow rows.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use packet_flows::live::LiveCapture;
use packet_flows::unsw::Extractor;
use packet_flows::{ByteCount, CaptureReader, FlowTableConfig, Skips, Timestamp};

use crate::commands::score::{Format, format_of};
use crate::flow_sink::{FlowSink, Labels};

/// Which bytes the byte counts count.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bytes {
    /// Whole frames, link-layer header included (Argus's count).
    Wire,
    /// From the IP header on.
    Ip,
}

/// Arguments of `anomaly extract`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A pcap or pcapng capture (recognised by its magic number, any link type this tool
    /// decodes: Ethernet with VLAN tags, Linux cooked SLL/SLL2, raw IP, loopback).
    #[arg(required_unless_present = "interface", conflicts_with = "interface")]
    capture: Option<PathBuf>,
    /// Capture live on this interface instead (`any` for all); needs root or CAP_NET_RAW.
    /// Rows are written as records are cut; Ctrl-C ends the capture and writes the rest.
    #[arg(long, short)]
    interface: Option<String>,
    /// BPF filter for the live capture, in tcpdump's syntax.
    #[arg(long, requires = "interface")]
    bpf: Option<String>,
    /// Stop the live capture after this many seconds.
    #[arg(long, requires = "interface")]
    duration: Option<f64>,
    /// Output file (default: standard output, CSV or JSON lines only).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Output format (default: from the output's extension, else CSV).
    #[arg(long)]
    format: Option<Format>,
    /// Seconds after which a flow's record is cut and the flow goes on in a new one
    /// (Argus's status interval, `-S`).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    status_interval: u64,
    /// Seconds without packets after which a TCP flow is over.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    tcp_timeout: u64,
    /// Seconds without packets after which any other flow is over.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    ip_timeout: u64,
    /// Which bytes `sbytes`/`dbytes` (and so the loads and mean sizes) count.
    #[arg(long, value_enum, default_value_t = Bytes::Wire)]
    bytes: Bytes,
    /// The most flows followed at once (memory bound); past it the flow due soonest is
    /// written out early.
    #[arg(long, default_value_t = 262_144, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    max_flows: u64,
    /// Label every row: 0 normal, 1 attack (adds the `label` column, for `anomaly train`).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=1))]
    label: Option<u8>,
    /// Attack category of every row (adds the `attack_cat` column).
    #[arg(long)]
    attack_cat: Option<String>,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let format = args
        .format
        .or_else(|| args.out.as_deref().and_then(format_of))
        .unwrap_or(Format::Csv);
    let config = FlowTableConfig {
        status_interval: Duration::from_secs(args.status_interval),
        tcp_idle_timeout: Duration::from_secs(args.tcp_timeout),
        ip_idle_timeout: Duration::from_secs(args.ip_timeout),
        bytes: match args.bytes {
            Bytes::Wire => ByteCount::Wire,
            Bytes::Ip => ByteCount::Ip,
        },
        max_flows: usize::try_from(args.max_flows).unwrap_or(usize::MAX),
    };
    let labels = Labels {
        label: args.label,
        attack_cat: args.attack_cat.clone(),
    };
    let mut sink = FlowSink::create(args.out.as_deref(), format, labels)?;
    let mut extractor = Extractor::new(config);
    let started = Instant::now();
    let skips = match (&args.capture, &args.interface) {
        (Some(path), _) => from_file(path, &mut extractor, &mut sink)?,
        (None, Some(interface)) => live(args, interface, &mut extractor, &mut sink)?,
        (None, None) => anyhow::bail!("give a capture file or --interface"),
    };
    for flow in extractor.finish() {
        sink.write(flow.row)?;
    }
    let rows = sink.finish()?;

    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let packets = extractor.packets() + skips.total();
    let mut all_skips = skips;
    all_skips.merge(extractor.skips());
    let flows = extractor.table().flows_seen();
    eprintln!(
        "{packets} packets ({all_skips}), {flows} flows, {rows} records in {seconds:.2} s: \
         {pps:.0} packets/s, {fps:.0} flows/s",
        pps = packets as f64 / seconds,
        fps = flows as f64 / seconds,
    );
    Ok(())
}

/// Reads a capture file through; returns the reader's skips.
fn from_file(
    path: &PathBuf,
    extractor: &mut Extractor,
    sink: &mut FlowSink,
) -> anyhow::Result<Skips> {
    let mut reader = CaptureReader::open(path)?;
    let progress = ProgressBar::new_spinner().with_style(ProgressStyle::with_template(
        "{spinner} {human_pos} packets, {per_sec}, {msg} {elapsed}",
    )?);
    while let Some(packet) = reader.next_packet() {
        extractor.packet(&packet.with_context(|| format!("reading {}", path.display()))?);
        for flow in extractor.ready() {
            sink.write(flow.row)?;
        }
        if extractor.packets().is_multiple_of(65_536) {
            progress.set_position(extractor.packets());
            progress.set_message(format!("{} flows", extractor.table().flows_seen()));
        }
    }
    progress.finish_and_clear();
    let mut skips = Skips::default();
    skips.merge(reader.skips());
    Ok(skips)
}

/// Captures on `interface` until Ctrl-C or `--duration`; returns libpcap's skips.
fn live(
    args: &Args,
    interface: &str,
    extractor: &mut Extractor,
    sink: &mut FlowSink,
) -> anyhow::Result<Skips> {
    let deadline = match args.duration {
        Some(seconds) => {
            let duration = Duration::try_from_secs_f64(seconds)
                .ok()
                .and_then(|d| Instant::now().checked_add(d));
            Some(duration.with_context(|| {
                format!("--duration {seconds}: expected a finite, non-negative number of seconds")
            })?)
        }
        None => None,
    };
    let mut capture = LiveCapture::open(interface, args.bpf.as_deref())?;
    let stop = Arc::new(AtomicBool::new(false));
    let handler = stop.clone();
    ctrlc::set_handler(move || handler.store(true, Ordering::SeqCst))
        .context("installing the Ctrl-C handler")?;
    eprintln!(
        "capturing on {interface} (link type {}){}",
        capture.link_type().0,
        args.bpf
            .as_deref()
            .map(|f| format!(", filter {f:?}"))
            .unwrap_or_default()
    );
    while !stop.load(Ordering::SeqCst) && deadline.is_none_or(|d| Instant::now() < d) {
        match capture.next_packet()? {
            Some(packet) => extractor.packet(&packet),
            None => extractor.tick(wall_clock()),
        }
        let ready = extractor.ready();
        if !ready.is_empty() {
            for flow in ready {
                sink.write(flow.row)?;
            }
            sink.flush()?;
        }
    }
    let stats = capture.stats()?;
    eprintln!(
        "libpcap: {} packets received, {} dropped by the buffer, {} by the interface",
        stats.received, stats.dropped, stats.interface_dropped
    );
    let mut skips = Skips::default();
    skips.merge(capture.skips());
    Ok(skips)
}

fn wall_clock() -> Timestamp {
    let since_epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_nanos(i64::try_from(since_epoch.as_nanos()).unwrap_or(i64::MAX))
}
