//! `anomaly grounding`: explain windows of real rows and measure how grounded the texts are.
//!
//! Windows of 10 consecutive rows are taken evenly across the file, half ending on an attack
//! row and half on a normal one. Each gets the prompt `/analyze` sends (verdict, statistics,
//! attribution); the report gives the share of numbers in the explanations found in that prompt
//! and the share of explanations naming the top-attributed feature.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use flow_features::{FlowRecord, WindowStatistics, read_flows};
use indicatif::{ProgressBar, ProgressStyle};
use llm_explainer::{
    Evidence, Explainer, GenerationSettings, Grounding, Language, LlamaExplainer, LlamaSettings,
    Verdict, explanation_messages,
};
use lstm_detector::Detector;
use serde::Serialize;

/// Arguments of `anomaly grounding`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Parquet or CSV flow file with a `label` column.
    #[arg(long)]
    data: PathBuf,
    /// Windows to explain (half attacks, half normal).
    #[arg(long, default_value_t = 100)]
    windows: usize,
    /// Detector model directory (needs a `baseline.json` for attribution).
    #[arg(long, default_value = "models/unsw-nb15-lstm")]
    detector: PathBuf,
    /// GGUF model writing the explanations.
    #[arg(long, default_value = "models/llm/SmolLM2-135M-Instruct.Q4_1.gguf")]
    llm: PathBuf,
    /// llama.cpp threads.
    #[arg(long, default_value_t = 2)]
    threads: i32,
    /// Most tokens per explanation.
    #[arg(long, default_value_t = 256)]
    max_tokens: usize,
    /// Leave the attribution out of the prompt (to measure what it adds).
    #[arg(long)]
    no_attribution: bool,
    /// Write one JSON line per window (prompt facts, text, grounding) here.
    #[arg(long)]
    details: Option<PathBuf>,
}

/// One explained window, as written to `--details`.
#[derive(Serialize)]
struct WindowReport<'a> {
    last_row: usize,
    label: Option<u8>,
    probability: f32,
    top_feature: Option<&'static str>,
    prompt: &'a str,
    explanation: &'a str,
    grounding: &'a Grounding,
}

/// Totals over all windows.
#[derive(Debug, Default, Serialize)]
struct Summary {
    windows: usize,
    numbers: usize,
    grounded_numbers: usize,
    grounded_number_share: f64,
    with_top_feature: usize,
    naming_top_feature: usize,
    naming_top_feature_share: f64,
    generated_tokens: usize,
    attribution: bool,
    llm: String,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let detector = Detector::from_dir(&args.detector)?;
    anyhow::ensure!(
        args.no_attribution || detector.baseline().is_some(),
        "{} has no baseline.json: run `anomaly baseline` first or pass --no-attribution",
        args.detector.display()
    );
    let rows = read_flows(&args.data)?;
    let len = detector.sequence_length();
    let last_rows = pick_windows(&rows, len, args.windows);
    anyhow::ensure!(
        !last_rows.is_empty(),
        "no labelled window in {}",
        args.data.display()
    );
    let explainer = LlamaExplainer::load(LlamaSettings::new(&args.llm).with_threads(args.threads))
        .with_context(|| "loading the LLM (run scripts/setup-models.sh)")?;
    let settings = GenerationSettings::default().with_max_tokens(args.max_tokens);
    let mut details = match &args.details {
        Some(path) => Some(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => None,
    };

    let progress = ProgressBar::new(last_rows.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} windows, {elapsed} ({eta} left) {msg}")?,
    );
    let mut summary = Summary {
        attribution: !args.no_attribution,
        llm: explainer.model_name().to_owned(),
        ..Summary::default()
    };
    for &last in &last_rows {
        let flows: Vec<FlowRecord> = rows[last + 1 - len..=last]
            .iter()
            .map(|r| r.flow.clone())
            .collect();
        let prediction = detector.predict(&flows)?;
        let attribution = detector.attribute(&flows)?;
        // The top feature is the detector's, whether or not the prompt shows the attribution.
        let top_feature = attribution
            .as_ref()
            .and_then(|a| a.top_feature().map(|f| f.feature));
        let statistics = WindowStatistics::from_flows(&flows);
        let evidence = Evidence {
            verdict: Verdict {
                probability: prediction.probability,
                class: prediction.class,
                threshold: prediction.threshold,
            },
            statistics: &statistics,
            attribution: attribution.as_ref().filter(|_| !args.no_attribution),
        };
        let messages = explanation_messages(&evidence, Language::English);
        let explanation = explainer.generate(messages.clone(), &settings)?.wait()?;
        let grounding = Grounding::check(&messages, &explanation.text, top_feature);

        summary.windows += 1;
        summary.numbers += grounding.numbers;
        summary.grounded_numbers += grounding.grounded_numbers;
        summary.generated_tokens += explanation.generated_tokens;
        if let Some(named) = grounding.names_top_feature {
            summary.with_top_feature += 1;
            summary.naming_top_feature += usize::from(named);
        }
        if let Some(out) = details.as_mut() {
            let report = WindowReport {
                last_row: last,
                label: rows[last].label,
                probability: prediction.probability,
                top_feature,
                prompt: &messages[1].content,
                explanation: &explanation.text,
                grounding: &grounding,
            };
            serde_json::to_writer(&mut *out, &report)?;
            out.write_all(b"\n")?;
        }
        progress.set_message(format!(
            "{:.0} % of numbers grounded",
            share(summary.grounded_numbers, summary.numbers) * 100.0
        ));
        progress.inc(1);
    }
    progress.finish();
    if let Some(mut out) = details {
        out.flush()?;
    }
    summary.grounded_number_share = share(summary.grounded_numbers, summary.numbers);
    summary.naming_top_feature_share = share(summary.naming_top_feature, summary.with_top_feature);
    println!(
        "{} windows, {}: {}/{} numbers grounded ({:.1} %), top-attributed feature named in \
         {}/{} explanations ({:.1} %)",
        summary.windows,
        if summary.attribution {
            "attribution in the prompt"
        } else {
            "no attribution in the prompt"
        },
        summary.grounded_numbers,
        summary.numbers,
        summary.grounded_number_share * 100.0,
        summary.naming_top_feature,
        summary.with_top_feature,
        summary.naming_top_feature_share * 100.0,
    );
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Last-row indices of `count` windows spread evenly over the file: half ending on an attack
/// row, half on a normal row.
fn pick_windows(rows: &[flow_features::LabeledFlow], len: usize, count: usize) -> Vec<usize> {
    let ends = |label: u8| -> Vec<usize> {
        (len.saturating_sub(1)..rows.len())
            .filter(|&i| rows[i].label == Some(label))
            .collect()
    };
    let mut picked = Vec::with_capacity(count);
    for (label, want) in [(1, count.div_ceil(2)), (0, count / 2)] {
        let candidates = ends(label);
        let want = want.min(candidates.len());
        picked.extend((0..want).map(|k| candidates[k * candidates.len() / want]));
    }
    picked.sort_unstable();
    picked
}
