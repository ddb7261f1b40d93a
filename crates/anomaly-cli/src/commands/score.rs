//! `anomaly score`: score every flow of a flow file or a packet capture with the window of
//! the flows before it, into CSV, JSON lines or Parquet: the attack probability and class,
//! and for a model with a category head the most likely category, its probability and the top
//! three. A flow file is scored in file order; a capture (pcap or pcapng, told by its magic
//! number) is extracted and scored in the order its flows end, as a streaming scorer sees
//! them, each row with the flow's identity; extraction runs on a thread of its own beside the
//! detector.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use flow_features::{FlowFileReader, LabeledFlow};
use indicatif::{ProgressBar, ProgressStyle};
use lstm_detector::{Detector, SlidingScorer};
use packet_flows::CaptureReader;

use crate::flow_options::{self, FlowOptions};
use crate::output::{Format, format_of};
use crate::packet_source;
use crate::score_sink::{ScoreSink, Scored};

/// Arguments of `anomaly score`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Parquet or CSV flow file (UNSW-NB15 columns), scored in file order; or a pcap or
    /// pcapng capture, scored in the order its flows end.
    input: PathBuf,
    /// Detector: an embedded one by name (`unsw-nb15-lstm`, `unsw-nb15-seed`) or a model
    /// directory.
    #[arg(long, default_value = embedded_models::DEFAULT)]
    detector: String,
    /// Output file (default: standard output, CSV or JSON lines only).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Output format (default: from the output's extension, else CSV).
    #[arg(long)]
    format: Option<Format>,
    /// Windows scored per detector call.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    batch: u32,
    /// How a capture's packets are cut into flows (ignored for flow files).
    #[command(flatten)]
    flows: FlowOptions,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let format = args
        .format
        .or_else(|| args.out.as_deref().and_then(format_of))
        .unwrap_or(Format::Csv);
    let detector = embedded_models::load(&args.detector)?;
    if packet_source::is_capture(&args.input)? {
        from_capture(args, &detector, format)
    } else {
        from_flow_file(args, &detector, format)
    }
}

/// What a flow file's row carries through the scorer to its output row.
struct Tag {
    row: u64,
    label: Option<u8>,
    attack_cat: Option<String>,
}

fn scored((tag, verdict): (Tag, lstm_detector::Verdict)) -> Scored {
    Scored {
        row: tag.row,
        verdict,
        label: tag.label,
        attack_cat: tag.attack_cat,
        flow: None,
    }
}

/// A capture's scored flow, with its identity and no labels.
fn scored_flow(flow: incidents::ScoredFlow) -> Scored {
    Scored {
        row: flow.seq,
        verdict: flow.verdict,
        label: None,
        attack_cat: None,
        flow: Some(flow.row),
    }
}

/// The spinner both inputs show on stderr while they score.
fn spinner() -> anyhow::Result<ProgressBar> {
    Ok(
        ProgressBar::new_spinner().with_style(ProgressStyle::with_template(
            "{spinner} {human_pos} flows scored, {per_sec}, {elapsed}",
        )?),
    )
}

fn from_flow_file(args: &Args, detector: &Detector, format: Format) -> anyhow::Result<()> {
    let mut sink = ScoreSink::create(args.out.as_deref(), format, false)?;
    let progress = spinner()?;
    let started = Instant::now();
    let mut scorer = SlidingScorer::new(detector, args.batch as usize);
    let mut rows = 0u64;
    for row in FlowFileReader::open(&args.input)? {
        let LabeledFlow {
            flow,
            label,
            attack_cat,
        } = row?;
        let tag = Tag {
            row: rows,
            label,
            attack_cat,
        };
        let verdicts = scorer
            .push(&flow, tag)
            .with_context(|| format!("row {rows} of {}", args.input.display()))?;
        rows += 1;
        if !verdicts.is_empty() {
            sink.write(verdicts.into_iter().map(scored).collect())?;
            progress.set_position(rows);
        }
    }
    sink.write(scorer.flush()?.into_iter().map(scored).collect())?;
    let written = sink.finish()?;
    progress.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{rows} flows read, {written} scored (from row {}) in {seconds:.2} s: {:.0} flows/s",
        detector.sequence_length() - 1,
        rows as f64 / seconds
    );
    Ok(())
}

fn from_capture(args: &Args, detector: &Detector, format: Format) -> anyhow::Result<()> {
    let mut sink = ScoreSink::create(args.out.as_deref(), format, true)?;
    let progress = spinner()?;
    let started = Instant::now();
    let reader = CaptureReader::open(&args.input)
        .with_context(|| format!("opening {}", args.input.display()))?;
    // Extraction on its own thread, the detector on this one: offline, full batches only.
    let flows = args.flows.config(flow_options::DATASET_STATUS_INTERVAL);
    let counts = incidents::score_capture(
        detector,
        reader,
        flows,
        args.batch as usize,
        |flows: Vec<incidents::ScoredFlow>| -> anyhow::Result<()> {
            progress.inc(flows.len() as u64);
            sink.write(flows.into_iter().map(scored_flow).collect())
        },
    )
    .with_context(|| format!("scoring {}", args.input.display()))?;
    let written = sink.finish()?;
    progress.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    eprintln!(
        "{} packets ({}), {} flows, {} records, {written} scored (from record {}) \
         in {seconds:.2} s: {:.0} packets/s, {:.0} flows/s",
        counts.packets,
        counts.skips,
        counts.flows,
        counts.records,
        detector.sequence_length() - 1,
        counts.packets as f64 / seconds,
        counts.flows as f64 / seconds,
    );
    Ok(())
}
