//! `anomaly`: offline jobs around the detector and the explainer.

mod card;
mod categories;
mod commands;
mod ecs_output;
mod flow_options;
mod flow_sink;
mod output;
mod packet_source;
mod phases;
mod plots;
mod protocol;
mod ranges;
mod score_sink;

use clap::{Parser, Subcommand};

/// Offline jobs for the explainable flow anomaly detector.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compute a model's normal-traffic baseline (used for attribution) from a flow file.
    Baseline(commands::baseline::Args),
    /// Score models on the protocol's test windows: metrics table, JSON, ROC and loss PNGs.
    Evaluate(commands::evaluate::Args),
    /// Explain windows of real rows; count the texts that contradict the verdict, loop, cite
    /// numbers they were not given or miss the top feature, for the model and for /analyze.
    #[command(alias = "grounding")]
    ExplainEval(commands::explain_eval::Args),
    /// Turn a packet capture (pcap, pcapng) into UNSW-NB15 flow rows: CSV, JSON lines or
    /// Parquet that `score` and `train` read.
    Extract(commands::extract::Args),
    /// Score every flow of a flow file (in file order) or a capture (in the order flows end)
    /// into CSV, JSON lines or Parquet.
    Score(commands::score::Args),
    /// Train a detector on a labelled flow file under the evaluation protocol.
    Train(Box<commands::train::Args>),
    /// Watch an interface (or replay a capture): score its flows, raise incidents, write them
    /// as ECS alerts in JSON lines.
    Watch(Box<commands::watch::Args>),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match Cli::parse().command {
        Command::Baseline(args) => commands::baseline::run(&args),
        Command::Evaluate(args) => commands::evaluate::run(&args),
        Command::ExplainEval(args) => commands::explain_eval::run(&args),
        Command::Extract(args) => commands::extract::run(&args),
        Command::Score(args) => commands::score::run(&args),
        Command::Train(args) => commands::train::run(&args),
        Command::Watch(args) => commands::watch::run(&args),
    };
    match result {
        // `anomaly extract capture.pcap | head` closing the pipe is the reader's choice.
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|csv| matches!(csv.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
    })
}
