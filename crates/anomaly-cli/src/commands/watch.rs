//! `anomaly watch`: score an interface's traffic live (or replay a capture), group attack
//! verdicts into incidents and write them as ECS alerts, JSON lines; optionally every flow,
//! and a language model's narration of each incident, rate-limited and off the capture path.

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use incidents::{GroupingConfig, IncidentEvent, Narrator, ScoringConfig, Watch, WatchEvent, ecs};
use llm_explainer::{GenerationSettings, Language, LlamaExplainer, LlamaSettings};
use packet_flows::Timestamp;

use crate::ecs_output::EcsOutput;
use crate::flow_options::{self, FlowOptions};
use crate::packet_source::{self, Input, SourceCounts};
use crate::phases::{self, PhaseMeter};

/// Arguments of `anomaly watch`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Capture live on this interface (`any` for all); needs root or CAP_NET_RAW. Ctrl-C ends
    /// the watch: open flows are scored and open incidents closed.
    #[arg(
        long,
        short,
        required_unless_present = "capture",
        conflicts_with = "capture"
    )]
    interface: Option<String>,
    /// BPF filter for the live capture, in tcpdump's syntax.
    #[arg(long, requires = "interface")]
    bpf: Option<String>,
    /// Stop the live capture after this many seconds.
    #[arg(long, requires = "interface")]
    duration: Option<f64>,
    /// Replay a pcap or pcapng capture instead, as fast as it can be read.
    #[arg(long)]
    capture: Option<PathBuf>,
    /// Detector: an embedded one by name (`unsw-nb15-lstm`, `unsw-nb15-seed`) or a model
    /// directory.
    #[arg(long, default_value = embedded_models::DEFAULT)]
    detector: String,
    /// Write the ECS JSON lines to this file (default: standard output).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// POST each ECS document as JSON to this URL instead (from a background thread; a
    /// collector that falls behind loses documents, counted at the end).
    #[arg(long, conflicts_with = "out")]
    post: Option<String>,
    /// Also write every scored flow (ECS `event.kind: event`), not only incidents.
    #[arg(long = "flows")]
    emit_flows: bool,
    /// Seconds without an attack verdict from a source after which its incident closes.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    gap: u64,
    /// Attack flows from one source before an incident is raised.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    min_flows: u64,
    /// Longest a finished flow waits for its verdict, in seconds of capture time.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=3_600))]
    max_delay: u64,
    /// Narrate each raised incident with the local language model (llama.cpp).
    #[arg(long)]
    narrate: bool,
    /// GGUF model for `--narrate`.
    #[arg(long, default_value = "models/llm/SmolLM2-135M-Instruct.Q4_1.gguf")]
    llm: PathBuf,
    /// CPU threads for the language model.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=256))]
    threads: i32,
    /// At most one narration begun per this many seconds; incidents in between (or while
    /// one is being written) keep their grounded report and are counted as skipped.
    #[arg(long, default_value_t = 10)]
    narrate_interval: u64,
    /// Seconds between the summary lines on standard error (0: only at the end).
    #[arg(long, default_value_t = 10)]
    stats_interval: u64,
    /// A labelled capture's phases (`attack.phases.json`): print flows flagged, incidents and
    /// time to alert per phase at the end.
    #[arg(long)]
    phases: Option<PathBuf>,
    /// Write the per-phase results as JSON here.
    #[arg(long, requires = "phases")]
    phases_report: Option<PathBuf>,
    /// How packets are cut into flows.
    #[command(flatten)]
    flow_table: FlowOptions,
}

/// Running totals for the summary lines.
#[derive(Default)]
struct Totals {
    scored: u64,
    flagged: u64,
    raised: u64,
    closed: u64,
    dropped: u64,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let deadline = packet_source::deadline(args.duration)?;
    let mut meter = match &args.phases {
        Some(path) => Some(PhaseMeter::new(phases::read(path)?)),
        None => None,
    };
    let detector = embedded_models::load(&args.detector)?;
    let model = detector.manifest().id.clone();
    let narrator = match args.narrate {
        true => {
            let llm =
                LlamaExplainer::load(LlamaSettings::new(&args.llm).with_threads(args.threads))
                    .with_context(|| {
                        format!(
                            "loading {} (run scripts/setup-models.sh)",
                            args.llm.display()
                        )
                    })?;
            Some(Narrator::start(
                Arc::new(llm),
                GenerationSettings::default(),
                Language::English,
                Duration::from_secs(args.narrate_interval),
            )?)
        }
        false => None,
    };
    let mut out = EcsOutput::open(args.out.as_deref(), args.post.as_deref())?;
    let grouping = GroupingConfig {
        gap: Duration::from_secs(args.gap),
        min_flows: args.min_flows,
        ..GroupingConfig::default()
    };
    let scoring = ScoringConfig {
        max_delay: Duration::from_secs(args.max_delay),
        ..ScoringConfig::default()
    };
    let mut watch = Watch::new(
        &detector,
        args.flow_table.config(flow_options::LIVE_STATUS_INTERVAL),
        scoring,
        grouping,
    );
    let mut totals = Totals::default();
    let started = Instant::now();
    let mut last_summary = Instant::now();
    let stats_every = Duration::from_secs(args.stats_interval);

    let mut handle = |events: Vec<WatchEvent>,
                      now: Option<Timestamp>,
                      totals: &mut Totals,
                      out: &mut EcsOutput|
     -> anyhow::Result<()> {
        let mut alerted = false;
        for event in events {
            match event {
                WatchEvent::Flow(flow) => {
                    totals.scored += 1;
                    totals.flagged += u64::from(flow.verdict.is_attack());
                    if let Some(meter) = meter.as_mut() {
                        meter.flow(&flow, now.unwrap_or(flow.row.ltime));
                    }
                    if args.emit_flows {
                        out.send(&ecs::flow(&flow, &model))?;
                    }
                }
                WatchEvent::Incident(incident) => {
                    if let Some(meter) = meter.as_mut() {
                        meter.incident(&incident);
                    }
                    match &incident {
                        IncidentEvent::Raised(_) => totals.raised += 1,
                        IncidentEvent::Closed(_) => totals.closed += 1,
                    }
                    out.send(&ecs::alert(&incident, &model))?;
                    if let (Some(narrator), IncidentEvent::Raised(_)) = (&narrator, &incident) {
                        narrator.offer(&incident);
                    }
                    alerted = true;
                }
            }
        }
        if let Some(narrator) = &narrator {
            for narration in narrator.ready() {
                out.send(&narration.document)?;
                alerted = true;
            }
        }
        if alerted || args.emit_flows {
            out.flush()?;
        }
        Ok(())
    };

    // Read by the packet closure, written by the drop-count one.
    let dropped = Cell::new(0u64);
    let mut each = |input: Input<'_, '_>| -> anyhow::Result<()> {
        let events = match input {
            Input::Packet(packet) => watch.packet(packet)?,
            Input::Idle(now) => watch.tick(now)?,
        };
        totals.dropped = dropped.get();
        handle(events, watch.scorer().clock(), &mut totals, &mut out)?;
        if !stats_every.is_zero() && last_summary.elapsed() >= stats_every {
            eprintln!("{}", summary(&watch, &totals, &narrator, started));
            last_summary = Instant::now();
        }
        Ok(())
    };
    let mut counts: SourceCounts = match (&args.capture, &args.interface) {
        (Some(path), _) => packet_source::read_file(path, &mut each)?,
        (None, Some(interface)) => {
            packet_source::capture_live(interface, args.bpf.as_deref(), deadline, &mut each, |d| {
                dropped.set(d)
            })?
        }
        (None, None) => anyhow::bail!("give --interface or --capture"),
    };
    let events = watch.finish()?;
    totals.dropped = counts.dropped;
    handle(events, watch.scorer().clock(), &mut totals, &mut out)?;
    if let Some(narrator) = narrator {
        for narration in narrator.finish() {
            out.send(&narration.document)?;
        }
    }
    let written = out.finish()?;
    let mut skips = counts.skips.clone();
    skips.merge(watch.scorer().extractor().skips());
    eprintln!(
        "{} ({skips}); {} documents written{}",
        summary(&watch, &totals, &None, started),
        written.written,
        if written.lost > 0 {
            format!(", {} lost", written.lost)
        } else {
            String::new()
        }
    );
    if let Some(meter) = &meter {
        eprint!("{}", meter.table());
        if let Some(path) = &args.phases_report {
            let json = serde_json::to_string_pretty(meter.results())?;
            std::fs::write(path, json + "\n")
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    counts.result()
}

fn summary(
    watch: &Watch<'_>,
    totals: &Totals,
    narrator: &Option<Narrator>,
    started: Instant,
) -> String {
    let extractor = watch.scorer().extractor();
    let mut line = format!(
        "watch {:.1} s: {} packets, {} flows, {} scored, {} flagged, {} dropped, \
         {} incidents raised ({} open)",
        started.elapsed().as_secs_f64(),
        extractor.packets(),
        extractor.table().flows_seen(),
        totals.scored,
        totals.flagged,
        totals.dropped,
        totals.raised,
        totals.raised.saturating_sub(totals.closed),
    );
    if let Some(narrator) = narrator {
        let counts = narrator.counts();
        line.push_str(&format!(
            ", narrated {} (skipped {}, failed {})",
            counts.narrated, counts.skipped, counts.failed
        ));
    }
    line
}
