//! Model cards: what a trained model was trained on, how, and how it scored — `card.json` for
//! programs, `README.md` for people.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use lstm_detector::{
    Calibration, CategoryEpochReport, CategoryTraining, EpochReport, Evaluation, TrainingConfig,
};
use serde::{Deserialize, Serialize};

use crate::categories::CategoryReport;
use crate::protocol::{DataFile, SplitArgs};

/// File name of the JSON card inside a model directory.
pub const CARD_FILE: &str = "card.json";

/// The JSON model card written by `anomaly train`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelCard {
    pub id: String,
    pub data: DataFile,
    pub protocol: Protocol,
    pub preprocessing: PreprocessingFit,
    pub training: TrainingConfig,
    pub history: Vec<EpochReport>,
    pub best_epoch: usize,
    /// The category head's own stage (frozen training), one report per epoch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category_history: Vec<CategoryEpochReport>,
    /// Each category head member's kept epoch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub best_category_epochs: Vec<usize>,
    /// How the head's output layer was adjusted on the validation windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_calibration: Option<Calibration>,
    pub training_seconds: f64,
    pub windows: WindowCounts,
    /// Metrics on the test part's windows.
    pub test: Evaluation,
    /// The category head's metrics on the same windows (models with a head).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_categories: Option<CategoryReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Protocol {
    pub split: SplitArgs,
    /// Tail share of the training part used for early stopping.
    pub validation_fraction: f64,
    pub sequence_length: usize,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PreprocessingFit {
    pub bins: usize,
    pub min_category_count: usize,
    pub exact_values: usize,
    pub min_value_count: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WindowCounts {
    pub train: usize,
    pub validation: usize,
    pub test: usize,
}

/// What the protocol is and is not, said wherever results are reported.
pub const PROTOCOL_NOTE: &str = "Stratified random split of the file's rows; preprocessing \
    fitted on the training part only; windows of 10 consecutive rows within each part (in the \
    split's random order), each labelled with its last row. The partition files carry no \
    timestamps, so a window's earlier rows are other rows of the same part, not real traffic \
    over time.";

impl ModelCard {
    /// Reads `card.json` from a model directory, if it has one.
    pub fn read(dir: &Path) -> anyhow::Result<Option<Self>> {
        let path = dir.join(CARD_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)?;
        let read = || -> anyhow::Result<Self> {
            let mut card: serde_json::Value = serde_json::from_str(&text)?;
            // The training settings are read as `--config` reads them, older layouts included.
            if let Some(training) = card.get_mut("training") {
                let config = crate::commands::train::training_config(training.take())?;
                *training = serde_json::to_value(config)?;
            }
            Ok(serde_json::from_value(card)?)
        };
        Ok(Some(read().with_context(|| format!("{}", path.display()))?))
    }

    /// Writes `card.json` and `README.md` into `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::write(
            dir.join(CARD_FILE),
            serde_json::to_string_pretty(self)? + "\n",
        )?;
        std::fs::write(dir.join("README.md"), self.markdown())?;
        Ok(())
    }

    fn markdown(&self) -> String {
        let t = &self.training;
        let mut md = String::new();
        let _ = writeln!(md, "# Model `{}`\n", self.id);
        let _ = writeln!(
            md,
            "LSTM flow-window detector trained in Rust (Burn autodiff, CPU) by `anomaly train`.\n"
        );
        let _ = writeln!(md, "## Data and protocol\n");
        let _ = writeln!(
            md,
            "- File: `{}` ({} rows), SHA-256 `{}`",
            self.data.name, self.data.rows, self.data.sha256
        );
        let _ = writeln!(
            md,
            "- Split: {:.0} % of each label held out for testing, seed {}; the last {:.0} % of \
             the training part validates (early stopping)",
            self.protocol.split.test_fraction * 100.0,
            self.protocol.split.split_seed,
            self.protocol.validation_fraction * 100.0
        );
        let _ = writeln!(
            md,
            "- Windows: {} train, {} validation, {} test",
            self.windows.train, self.windows.validation, self.windows.test
        );
        let _ = writeln!(md, "- {}\n", self.protocol.description);
        let _ = writeln!(md, "## Model\n");
        let p = &self.preprocessing;
        let exact = if p.exact_values > 0 {
            format!(
                ", and codes for up to {} exact values per numeric feature seen at least {} times",
                p.exact_values, p.min_value_count
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            md,
            "- Per flow: numeric features as standardized `ln(1 + x)`; embedded ({} dimensions) \
             codes: `proto`/`service`/`state` (values seen < {} times share one code), {}-quantile \
             bins of every numeric feature{exact}",
            t.network.embedding_dim, p.min_category_count, p.bins
        );
        let categories = match &self.test_categories {
            Some(report) => {
                let names: Vec<&str> = (report.evaluation.categories.iter())
                    .map(|c| c.name.as_str())
                    .collect();
                let how = match t.category_training {
                    CategoryTraining::Frozen => format!(
                        "{} trained after the detector on its frozen trunk (best epochs {:?}){}",
                        match self.best_category_epochs.len() {
                            1 => "one member".to_string(),
                            n => format!("{n} members, logits averaged,"),
                        },
                        self.best_category_epochs,
                        self.category_calibration.map_or(String::new(), |c| format!(
                            "; on the validation windows, {:.2} of the class weights' tilt \
                             taken back out of the logits and a temperature of {:.2}",
                            c.tilt_removed, c.temperature
                        ))
                    ),
                    CategoryTraining::Joint => format!(
                        "trained jointly, cross-entropy weight {}",
                        t.category_loss_weight
                    ),
                };
                format!(
                    "; beside it a category head: ReLU {:?} over the same input → softmax over {} \
                     categories ({}), {how}, category weights (windows / (categories · \
                     count))^{}",
                    t.network.category_head_sizes,
                    names.len(),
                    names.join(", "),
                    t.category_weight_power
                )
            }
            None => String::new(),
        };
        let _ = writeln!(
            md,
            "- LSTM {:?} → ReLU head {:?} over [last hidden state, newest flow] → sigmoid{}; \
             dropout {}",
            t.network.hidden_sizes, t.network.head_sizes, categories, t.network.dropout
        );
        let _ = writeln!(
            md,
            "- AdamW lr {} (cosine decay), weight decay {}, batch {}, up to {} epochs, patience \
             {}, seed {}; best epoch {} of {}, {:.0} s of training",
            t.learning_rate,
            t.weight_decay,
            t.batch_size,
            t.epochs,
            t.patience,
            t.seed,
            self.best_epoch,
            self.history.len(),
            self.training_seconds
        );
        let _ = writeln!(md, "\n## Test windows\n");
        md.push_str(&metrics_table(&self.test));
        if let Some(report) = &self.test_categories {
            let _ = writeln!(md, "\n## Categories on the test windows\n");
            md.push_str(&crate::categories::table(report));
        }
        md
    }
}

/// A Markdown table of an evaluation.
pub fn metrics_table(e: &Evaluation) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "| | precision | recall | F1 | windows |");
    let _ = writeln!(md, "|---|---:|---:|---:|---:|");
    for (name, c) in [("normal", &e.normal), ("attack", &e.attack)] {
        let _ = writeln!(
            md,
            "| {name} | {:.4} | {:.4} | {:.4} | {} |",
            c.precision, c.recall, c.f1, c.support
        );
    }
    let _ = writeln!(
        md,
        "\naccuracy **{:.4}**, macro F1 **{:.4}**, ROC AUC **{:.4}** at threshold {} on {} \
         windows\n",
        e.accuracy, e.macro_f1, e.roc_auc, e.threshold, e.windows
    );
    let _ = writeln!(md, "| actual \\ predicted | normal | attack |");
    let _ = writeln!(md, "|---|---:|---:|");
    let _ = writeln!(
        md,
        "| normal | {} | {} |",
        e.confusion[0][0], e.confusion[0][1]
    );
    let _ = writeln!(
        md,
        "| attack | {} | {} |",
        e.confusion[1][0], e.confusion[1][1]
    );
    md
}
