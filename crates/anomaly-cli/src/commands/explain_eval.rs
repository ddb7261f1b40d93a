//! `anomaly explain-eval`: explain windows of real rows and measure what the explanations get
//! wrong, for the model's own text and for what `/analyze` returns.
//!
//! Windows of 10 consecutive rows are taken evenly across the file, half ending on an attack
//! row and half on a normal one (`--offset` shifts every pick, for windows never looked at
//! while tuning). Each goes through the pipeline `/analyze` runs: assess, evidence, report,
//! prompt, generation, checks. The checks read the text against the detector's output, so
//! restating the prompt passes only when what it restates is true and in place: a text that
//! contradicts the verdict, loops, or cites a number it was not given fails whatever else it
//! copies.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use flow_features::{FlowRecord, read_flows};
use indicatif::{ProgressBar, ProgressStyle};
use llm_explainer::{
    Check, Checks, Evidence, Explainer, GenerationSettings, Language, LlamaExplainer,
    LlamaSettings, OpenAiExplainer, Report, Source, explanation_messages,
};
use serde::Serialize;

/// Arguments of `anomaly explain-eval`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Parquet or CSV flow file with a `label` column.
    #[arg(long)]
    data: PathBuf,
    /// Windows to explain (half attacks, half normal).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    windows: u32,
    /// Shift every pick this many windows along (another set of windows of the same file).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_000_000_000))]
    offset: u32,
    /// Detector: an embedded one by name (`unsw-nb15-lstm`, `unsw-nb15-seed`) or a model
    /// directory (with a `baseline.json` for attribution).
    #[arg(long, default_value = embedded_models::DEFAULT)]
    detector: String,
    /// GGUF model writing the explanations.
    #[arg(long, default_value = "models/llm/SmolLM2-135M-Instruct.Q4_1.gguf")]
    llm: PathBuf,
    /// An OpenAI-compatible server (llama-server, vLLM, Ollama) instead of `--llm`.
    #[arg(long)]
    llm_url: Option<String>,
    /// Model name sent to `--llm-url`.
    #[arg(long, default_value = "default")]
    llm_model: String,
    /// llama.cpp threads.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(i32).range(1..=256))]
    threads: i32,
    /// Most tokens per explanation (the service's default).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=4096))]
    max_tokens: u32,
    /// Language of the prompt, the report and the expected text.
    #[arg(long, value_enum, default_value = "english")]
    language: LanguageArg,
    /// Write one JSON line per window (prompt, model text, checks, returned text) here.
    #[arg(long)]
    details: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum LanguageArg {
    English,
    French,
}

impl From<LanguageArg> for Language {
    fn from(language: LanguageArg) -> Self {
        match language {
            LanguageArg::English => Language::English,
            LanguageArg::French => Language::French,
        }
    }
}

/// One explained window, as written to `--details`.
#[derive(Serialize)]
struct WindowReport<'a> {
    last_row: usize,
    label: Option<u8>,
    probability: f32,
    top_feature: Option<&'static str>,
    prompt: &'a str,
    model_text: &'a str,
    model_checks: &'a Checks,
    returned: &'a str,
    source: Source,
    returned_checks: &'a Checks,
    seconds: f64,
}

/// How many texts failed each check, of how many.
#[derive(Debug, Default, Serialize)]
struct Tally {
    texts: usize,
    contradiction: usize,
    unstated: usize,
    repetition: usize,
    invented_number: usize,
    attack_kind: usize,
    cut: usize,
    empty: usize,
    /// Attack windows with a top-attributed feature, and of those the texts naming it.
    attack_windows_with_top_feature: usize,
    naming_top_feature: usize,
    passed: usize,
}

impl Tally {
    fn add(&mut self, checks: &Checks, attack_with_top_feature: bool) {
        self.texts += 1;
        for check in &checks.failed {
            match check {
                Check::Contradiction => self.contradiction += 1,
                Check::Unstated => self.unstated += 1,
                Check::Repetition => self.repetition += 1,
                Check::InventedNumber => self.invented_number += 1,
                Check::AttackKind => self.attack_kind += 1,
                Check::Cut => self.cut += 1,
                Check::Empty => self.empty += 1,
                // Counted below, over attack windows only.
                Check::TopFeature => {}
            }
        }
        if attack_with_top_feature {
            self.attack_windows_with_top_feature += 1;
            self.naming_top_feature += usize::from(checks.names_top_feature == Some(true));
        }
        self.passed += usize::from(checks.passed);
    }
}

/// Totals over all windows.
#[derive(Debug, Serialize)]
struct Summary {
    windows: usize,
    llm: String,
    language: &'static str,
    model_text: Tally,
    returned: Tally,
    returned_from_model: usize,
    stopped_at_repetition: usize,
    seconds_median: f64,
    seconds_p90: f64,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let detector = embedded_models::load(&args.detector)?;
    anyhow::ensure!(
        detector.baseline().is_some(),
        "{} has no baseline.json: run `anomaly baseline` first",
        args.detector
    );
    let rows = read_flows(&args.data)?;
    let len = detector.sequence_length();
    let last_rows = pick_windows(&rows, len, args.windows as usize, args.offset as usize);
    anyhow::ensure!(
        !last_rows.is_empty(),
        "no labelled window in {}",
        args.data.display()
    );
    let explainer: Box<dyn Explainer> = match &args.llm_url {
        Some(url) => Box::new(OpenAiExplainer::new(url.clone(), args.llm_model.clone())),
        None => Box::new(
            LlamaExplainer::load(LlamaSettings::new(&args.llm).with_threads(args.threads))
                .with_context(|| "loading the LLM (run scripts/setup-models.sh)")?,
        ),
    };
    let language = Language::from(args.language);
    let settings = GenerationSettings::default().with_max_tokens(args.max_tokens as usize);
    let mut details = match &args.details {
        Some(path) => Some(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => None,
    };

    let progress = ProgressBar::new(last_rows.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} windows, {elapsed} ({eta} left) {msg}")?,
    );
    let (mut model_text, mut returned) = (Tally::default(), Tally::default());
    let (mut from_model, mut repetition_stops) = (0, 0);
    let mut seconds = Vec::with_capacity(last_rows.len());
    for &last in &last_rows {
        let flows: Vec<FlowRecord> = rows[last + 1 - len..=last]
            .iter()
            .map(|r| r.flow.clone())
            .collect();
        let (verdict, attribution) = detector.assess(&flows)?;
        let evidence =
            Evidence::new(&flows, verdict.clone(), attribution).masked(detector.preprocessor());
        let report = Report::new(&evidence, language);
        let prompt = explanation_messages(&evidence, language);
        let started = Instant::now();
        let explanation = explainer.generate(prompt.clone(), &settings)?.wait()?;
        seconds.push(started.elapsed().as_secs_f64());

        let checks = Checks::run(
            &evidence,
            &prompt,
            &explanation.text,
            explanation.finish_reason,
        );
        let (text, source) = checks.choose(&explanation.text, &report);
        // What is returned is checked the same way: the report's summary must pass too.
        let finish = match source {
            Source::Model => explanation.finish_reason,
            Source::Report => llm_explainer::FinishReason::Stop,
        };
        let returned_checks = Checks::run(&evidence, &prompt, text, finish);
        let attack_with_top = verdict.is_attack() && evidence.top_feature().is_some();
        model_text.add(&checks, attack_with_top);
        returned.add(&returned_checks, attack_with_top);
        from_model += usize::from(source == Source::Model);
        repetition_stops +=
            usize::from(explanation.finish_reason == llm_explainer::FinishReason::Repetition);
        if let Some(out) = details.as_mut() {
            let report = WindowReport {
                last_row: last,
                label: rows[last].label,
                probability: verdict.probability,
                top_feature: evidence.top_feature().map(|f| f.feature),
                prompt: &prompt[1].content,
                model_text: &explanation.text,
                model_checks: &checks,
                returned: text,
                source,
                returned_checks: &returned_checks,
                seconds: *seconds.last().unwrap_or(&0.0),
            };
            serde_json::to_writer(&mut *out, &report)?;
            out.write_all(b"\n")?;
        }
        progress.set_message(format!(
            "{}/{} model texts pass",
            model_text.passed, model_text.texts
        ));
        progress.inc(1);
    }
    progress.finish();
    if let Some(mut out) = details {
        out.flush()?;
    }
    seconds.sort_by(f64::total_cmp);
    let quantile = |q: f64| seconds[((seconds.len() - 1) as f64 * q).round() as usize];
    let summary = Summary {
        windows: last_rows.len(),
        llm: explainer.model_name().to_owned(),
        language: match language {
            Language::English => "english",
            Language::French => "french",
        },
        seconds_median: quantile(0.5),
        seconds_p90: quantile(0.9),
        model_text,
        returned,
        returned_from_model: from_model,
        stopped_at_repetition: repetition_stops,
    };
    print_table(&summary);
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

fn print_table(s: &Summary) {
    println!(
        "{} windows, {} ({}); model text returned for {} of them, the report's summary for the \
         other {}; {} generations stopped where they began to repeat; {:.2} s median, {:.2} s p90 \
         per explanation",
        s.windows,
        s.llm,
        s.language,
        s.returned_from_model,
        s.windows - s.returned_from_model,
        s.stopped_at_repetition,
        s.seconds_median,
        s.seconds_p90
    );
    println!(
        "| text | contradicts the verdict | does not state it | repeats itself | cites a number \
         not in the facts | names a kind of attack | cut by a budget | names the top feature \
         (attack windows) | passes every check |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (name, t) in [
        ("model's text", &s.model_text),
        ("returned `llm_explanation`", &s.returned),
    ] {
        println!(
            "| {name} | {} / {n} | {} / {n} | {} / {n} | {} / {n} | {} / {n} | {} / {n} | {} / {} | {} / {n} |",
            t.contradiction,
            t.unstated,
            t.repetition,
            t.invented_number,
            t.attack_kind,
            t.cut,
            t.naming_top_feature,
            t.attack_windows_with_top_feature,
            t.passed,
            n = t.texts,
        );
    }
}

/// Last-row indices of `count` windows spread evenly over the file, half ending on an attack
/// row, half on a normal row, each pick shifted `offset` candidates further.
fn pick_windows(
    rows: &[flow_features::LabeledFlow],
    len: usize,
    count: usize,
    offset: usize,
) -> Vec<usize> {
    let ends = |label: u8| -> Vec<usize> {
        (len.saturating_sub(1)..rows.len())
            .filter(|&i| rows[i].label == Some(label))
            .collect()
    };
    let mut picked = Vec::with_capacity(count);
    for (label, want) in [(1, count.div_ceil(2)), (0, count / 2)] {
        let candidates = ends(label);
        let want = want.min(candidates.len());
        picked.extend(
            (0..want)
                .map(|k| candidates[(k * candidates.len() / want + offset) % candidates.len()]),
        );
    }
    picked.sort_unstable();
    picked.dedup();
    picked
}
