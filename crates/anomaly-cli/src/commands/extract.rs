//! `anomaly extract`: turn a packet capture (pcap or pcapng) or a network interface's live
//! traffic into UNSW-NB15 flow rows.

use std::path::PathBuf;
use std::time::Instant;

use packet_flows::unsw::Extractor;

use crate::flow_options::{self, FlowOptions};
use crate::flow_sink::{FlowSink, Labels};
use crate::output::{Format, format_of};
use crate::packet_source::{self, Input};
use crate::phases;

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
    #[command(flatten)]
    flows: FlowOptions,
    /// Label every row: 0 normal, 1 attack (adds the `label` column, for `anomaly train`).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=1))]
    label: Option<u8>,
    /// Attack category of every row (adds the `attack_cat` column).
    #[arg(long)]
    attack_cat: Option<String>,
    /// Label each row from a labelled capture's phases (`attack.phases.json` of
    /// `scripts/make-attack-capture.sh`): attack, with the phase's category, when it started
    /// during an attack phase and involves the attacker; normal otherwise.
    #[arg(long, conflicts_with_all = ["label", "attack_cat", "interface"])]
    phases: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let format = args
        .format
        .or_else(|| args.out.as_deref().and_then(format_of))
        .unwrap_or(Format::Csv);
    // A bad --duration is an error before anything is opened or created.
    let deadline = packet_source::deadline(args.duration)?;
    let config = args.flows.config(flow_options::DATASET_STATUS_INTERVAL);
    let phases = match &args.phases {
        Some(path) => Some(phases::read(path)?),
        None => None,
    };
    let labels = match phases {
        // Both label columns, each row's values from its phase.
        Some(_) => Labels {
            label: Some(0),
            attack_cat: Some("Normal".into()),
        },
        None => Labels {
            label: args.label,
            attack_cat: args.attack_cat.clone(),
        },
    };
    let write = |sink: &mut FlowSink, row: packet_flows::unsw::UnswRow| match &phases {
        Some(phases) => {
            let (label, category) = phases::label_of(phases, &row);
            let labels = Labels {
                label: Some(label),
                attack_cat: Some(category),
            };
            sink.write_labelled(row, labels)
        }
        None => sink.write(row),
    };
    let mut sink = FlowSink::create(args.out.as_deref(), format, labels)?;
    let mut extractor = Extractor::new(config);
    let started = Instant::now();
    let mut each = |input: Input<'_, '_>| -> anyhow::Result<()> {
        match input {
            Input::Packet(packet) => extractor.packet(packet),
            Input::Idle(now) => extractor.tick(now),
        }
        let ready = extractor.ready();
        let any = !ready.is_empty();
        for flow in ready {
            write(&mut sink, flow.row)?;
        }
        // A live capture's reader sees rows as records are cut.
        if any && args.interface.is_some() {
            sink.flush()?;
        }
        Ok(())
    };
    let mut counts = match (&args.capture, &args.interface) {
        (Some(path), _) => packet_source::read_file(path, &mut each)?,
        (None, Some(interface)) => packet_source::capture_live(
            interface,
            args.bpf.as_deref(),
            deadline,
            &mut each,
            |_| {},
        )?,
        (None, None) => anyhow::bail!("give a capture file or --interface"),
    };
    for flow in extractor.finish() {
        write(&mut sink, flow.row)?;
    }
    let rows = sink.finish()?;

    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    let packets = extractor.packets() + counts.skips.total();
    let mut all_skips = counts.skips.clone();
    all_skips.merge(extractor.skips());
    let flows = extractor.table().flows_seen();
    eprintln!(
        "{packets} packets ({all_skips}), {flows} flows, {rows} records in {seconds:.2} s: \
         {pps:.0} packets/s, {fps:.0} flows/s",
        pps = packets as f64 / seconds,
        fps = flows as f64 / seconds,
    );
    counts.result()
}
