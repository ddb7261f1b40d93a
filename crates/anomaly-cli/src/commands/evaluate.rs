//! `anomaly evaluate`: score models on the protocol's test windows of a labelled flow file and
//! report accuracy, per-class precision/recall/F1, macro F1, ROC AUC and the confusion matrix
//! (a table on standard output, `evaluation.json`), with the ROC and training-loss curves as
//! PNG; for a model with a category head, per-category metrics and the category confusion
//! matrix (table and `categories-<id>.png` heatmap).

use std::path::PathBuf;

use anyhow::Context;
use flow_features::window_labels;
use lstm_detector::{Detector, Evaluation, RocPoint, roc_curve};
use serde::Serialize;

use crate::card::{ModelCard, PROTOCOL_NOTE, metrics_table};
use crate::categories::{self, CategoryReport};
use crate::plots;
use crate::protocol::{DataFile, LabeledFile, SplitArgs};

/// Which rows of the file are evaluated.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rows {
    /// The test part of the protocol's split (what `anomaly train` held out).
    Test,
    /// Every row, in the protocol's random order: for files no model was trained on.
    All,
}

/// Arguments of `anomaly evaluate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Parquet or CSV flow file with a `label` column.
    #[arg(long)]
    data: PathBuf,
    /// Model directories to evaluate (repeat to compare them on the same windows).
    #[arg(long = "model", required = true)]
    models: Vec<PathBuf>,
    /// Directory receiving `evaluation.json`, `roc.png` and `loss.png`.
    #[arg(long, default_value = "evaluation")]
    out: PathBuf,
    #[arg(long, value_enum, default_value_t = Rows::Test)]
    rows: Rows,
    #[command(flatten)]
    split: SplitArgs,
    /// Decision threshold (default: each model's own).
    #[arg(long, value_parser = crate::ranges::probability)]
    threshold: Option<f32>,
}

/// `evaluation.json`.
#[derive(Serialize)]
struct Report {
    data: DataFile,
    rows: Rows,
    split: SplitArgs,
    protocol: &'static str,
    models: Vec<ModelReport>,
}

#[derive(Serialize)]
struct ModelReport {
    id: String,
    directory: String,
    /// Whether these rows may have been seen in training.
    note: String,
    evaluation: Evaluation,
    /// The category head's metrics; `null` for a model without one.
    attack_category: Option<CategoryReport>,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let file = LabeledFile::read(&args.data)?;
    let data = DataFile::describe(&file)?;
    let part = match args.rows {
        Rows::Test => file.split(&args.split).1,
        Rows::All => file.all(args.split.split_seed),
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut reports = Vec::new();
    let mut curves: Vec<(String, Vec<RocPoint>)> = Vec::new();
    let mut loss_plotted = false;
    for dir in &args.models {
        let detector =
            Detector::from_dir(dir).with_context(|| format!("loading {}", dir.display()))?;
        let id = detector.manifest().id.clone();
        let matrix = detector
            .preprocessor()
            .encode(&part.flows)
            .with_context(|| format!("{id} cannot encode the rows"))?;
        let verdicts = detector.predict_sliding(&matrix, 1024)?;
        let probabilities: Vec<f32> = verdicts.iter().map(|p| p.probability).collect();
        let labels = window_labels(&part.labels, detector.sequence_length());
        let threshold = args.threshold.unwrap_or(detector.manifest().threshold);
        let evaluation = Evaluation::new(&probabilities, &labels, threshold);
        let card = ModelCard::read(dir)?;
        let note = match &card {
            Some(card) if card.data.sha256 == data.sha256 => match args.rows {
                Rows::Test if card.protocol.split == args.split => {
                    "trained on this file's training part; these test rows were held out".into()
                }
                _ => "trained on this file: these rows overlap its training rows".into(),
            },
            Some(card) => format!("trained on {}, not on this file", card.data.name),
            None => "no model card: these rows may overlap its training data (the original \
                     model was trained on both UNSW-NB15 partitions, these rows included)"
                .into(),
        };
        println!("## {id} ({})\n\n{note}\n", dir.display());
        println!("{}", metrics_table(&evaluation));
        let attack_category = categories::evaluate(&detector, &verdicts, &part);
        match &attack_category {
            Some(report) => {
                println!("{}", categories::table(report));
                let png = args.out.join(format!("categories-{}.png", file_safe(&id)));
                plots::confusion_png(
                    &png,
                    &format!("{id}: categories, test windows"),
                    &report.evaluation,
                )?;
            }
            None if detector.categories().is_none() => {
                println!("{id} has no category head (attack_category: null).\n");
            }
            None => println!("these rows have no attack_cat: categories not evaluated.\n"),
        }
        if let Some(card) = card.filter(|_| !loss_plotted) {
            plots::loss_png(&args.out.join("loss.png"), &card.history, card.best_epoch)?;
            loss_plotted = true;
        }
        curves.push((
            format!("{id} (AUC {:.3})", evaluation.roc_auc),
            roc_curve(&probabilities, &labels),
        ));
        reports.push(ModelReport {
            id,
            directory: dir.display().to_string(),
            note,
            evaluation,
            attack_category,
        });
    }
    let curves: Vec<(String, &[RocPoint])> = curves
        .iter()
        .map(|(label, curve)| (label.clone(), curve.as_slice()))
        .collect();
    plots::roc_png(&args.out.join("roc.png"), &curves)?;
    let report = Report {
        data,
        rows: args.rows,
        split: args.split.clone(),
        protocol: PROTOCOL_NOTE,
        models: reports,
    };
    std::fs::write(
        args.out.join("evaluation.json"),
        serde_json::to_string_pretty(&report)? + "\n",
    )?;
    println!("{PROTOCOL_NOTE}");
    eprintln!(
        "wrote evaluation.json, roc.png, loss.png and the category heatmaps to {}",
        args.out.display()
    );
    Ok(())
}

/// A model id as a file name: characters other than letters, digits, `-`, `_` and `.`
/// become `_`.
fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
