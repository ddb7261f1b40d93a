//! `anomaly train`: fit the preprocessing and train an LSTM on a labelled flow file under the
//! evaluation protocol, then write a complete model directory with its card.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use flow_features::{Baseline, FitOptions, PreprocessingDescription, Preprocessor};
use lstm_detector::{
    CategoryTraining, Detector, Evaluation, LabeledRows, ModelManifest, TrainingConfig,
};

use crate::card::{ModelCard, PROTOCOL_NOTE, PreprocessingFit, Protocol, WindowCounts};
use crate::protocol::{DataFile, LabeledFile, Part, SplitArgs};

mod config_file;
mod progress;

use config_file::parse_config;
pub(crate) use config_file::training_config;
use progress::Progress;

/// Arguments of `anomaly train`. Hyper-parameters left out keep the `--config` file's value,
/// else the shipped model's.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Parquet or CSV flow file with a `label` column.
    #[arg(long)]
    data: PathBuf,
    /// Model directory to write (created if needed; its files are overwritten).
    #[arg(long)]
    out: PathBuf,
    /// Model id reported with each prediction (default: the output directory's name).
    #[arg(long)]
    id: Option<String>,
    /// Training configuration as JSON: the `training` object of a `card.json`, or any part of
    /// it (keys left out keep the shipped model's values).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    split: SplitArgs,
    /// Tail share of the training part held out for early stopping.
    #[arg(long, default_value_t = 0.1, value_parser = crate::ranges::fraction)]
    validation_fraction: f64,
    /// Quantile bins per numeric feature (0: none).
    #[arg(long, default_value_t = FitOptions::default().bins as u32,
          value_parser = clap::value_parser!(u32).range(0..=1024))]
    bins: u32,
    /// Category values seen fewer times share the unknown code.
    #[arg(long, default_value_t = FitOptions::default().min_category_count as u32,
          value_parser = clap::value_parser!(u32).range(1..))]
    min_category_count: u32,
    /// Per numeric feature, the most frequent exact values that get a code of their own
    /// (0: none).
    #[arg(long, default_value_t = FitOptions::default().exact_values as u32,
          value_parser = clap::value_parser!(u32).range(0..=1024))]
    exact_values: u32,
    /// Training occurrences an exact value needs to get a code.
    #[arg(long, default_value_t = FitOptions::default().min_value_count as u32,
          value_parser = clap::value_parser!(u32).range(1..))]
    min_value_count: u32,
    /// Hidden sizes of the stacked LSTM layers, e.g. `64` or `64,32`.
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u16).range(1..=4096))]
    hidden_sizes: Option<Vec<u16>>,
    /// Widths of the ReLU head layers, e.g. `128` or `256,128` (`0`: none).
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u16).range(0..=4096))]
    head_sizes: Option<Vec<u16>>,
    /// Embedding width of the code columns.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    embedding_dim: Option<u16>,
    #[arg(long, value_parser = crate::ranges::dropout)]
    dropout: Option<f64>,
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    epochs: Option<u32>,
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    batch_size: Option<u32>,
    #[arg(long, value_parser = crate::ranges::learning_rate)]
    learning_rate: Option<f64>,
    #[arg(long, value_parser = crate::ranges::weight_decay)]
    weight_decay: Option<f64>,
    /// Seed of the weights, dropout and batch order.
    #[arg(long)]
    seed: Option<u64>,
    /// Epochs without a better validation loss before stopping.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    patience: Option<u32>,
    /// Train no category head, even when the rows have an `attack_cat`.
    #[arg(long)]
    no_category_head: bool,
    /// How the category head is trained: `frozen` (after the detector, on its frozen trunk:
    /// verdicts as without a head) or `joint` (one loss, shared layers move).
    #[arg(long, value_enum)]
    category_training: Option<CategoryTrainingArg>,
    /// Widths of the category head's own ReLU layers, e.g. `256,128` (`0`: none).
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u16).range(0..=4096))]
    category_head_sizes: Option<Vec<u16>>,
    /// Most epochs of the category head's own stage (frozen training).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    category_epochs: Option<u32>,
    /// The category stage's patience (frozen training).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    category_patience: Option<u32>,
    /// Members of the category head, trained apart, logits averaged (frozen training).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=32))]
    category_members: Option<u32>,
    /// Dropout of the category head's own stage (frozen training).
    #[arg(long, value_parser = crate::ranges::dropout)]
    category_dropout: Option<f64>,
    /// Weight of the category head's cross-entropy beside the attack output's (joint
    /// training).
    #[arg(long, value_parser = crate::ranges::category_loss_weight)]
    category_loss_weight: Option<f64>,
    /// Category weights are (windows / (categories · count))^power: 0 weighs every window
    /// alike, 1 every category alike.
    #[arg(long, value_parser = crate::ranges::category_weight_power)]
    category_weight_power: Option<f64>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum CategoryTrainingArg {
    Frozen,
    Joint,
}

impl Args {
    fn training_config(&self) -> anyhow::Result<TrainingConfig> {
        let mut config = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                parse_config(&text).with_context(|| format!("{}", path.display()))?
            }
            None => TrainingConfig::new(),
        };
        // Flags are parsed into small types with ranges; the configuration holds `usize`.
        macro_rules! set {
            ($to:expr; $($field:ident),* ; $($count:ident),* ; $($widths:ident),*) => {
                $(if let Some(value) = self.$field { $to.$field = value; })*
                $(if let Some(value) = self.$count { $to.$count = value as usize; })*
                $(if let Some(value) = &self.$widths {
                    $to.$widths = value.iter().map(|&w| usize::from(w)).collect();
                })*
            };
        }
        set!(config; learning_rate, weight_decay, seed, category_loss_weight,
             category_weight_power, category_dropout; epochs, batch_size, patience,
             category_epochs, category_patience;);
        if self.no_category_head {
            config.network.category_head = false;
        }
        if let Some(training) = self.category_training {
            config.category_training = match training {
                CategoryTrainingArg::Frozen => CategoryTraining::Frozen,
                CategoryTrainingArg::Joint => CategoryTraining::Joint,
            };
        }
        set!(config.network; dropout; embedding_dim, category_members;
             hidden_sizes, head_sizes, category_head_sizes);
        // `--head-sizes 0` asks for no head (and the same for the category head's layers).
        config.network.head_sizes.retain(|&width| width > 0);
        config
            .network
            .category_head_sizes
            .retain(|&width| width > 0);
        Ok(config)
    }
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let config = args.training_config()?;
    let file = LabeledFile::read(&args.data)?;
    let data = DataFile::describe(&file)?;
    let (train_part, test_part) = file.split(&args.split);
    let options = FitOptions {
        bins: args.bins as usize,
        min_category_count: args.min_category_count as usize,
        exact_values: args.exact_values as usize,
        min_value_count: args.min_value_count as usize,
        ..FitOptions::default()
    };
    // Everything is fitted on the training part only.
    let preprocessor =
        Preprocessor::new(PreprocessingDescription::fit(&train_part.flows, &options)?)?;
    let normal: Vec<_> = train_part
        .flows
        .iter()
        .zip(&train_part.labels)
        .filter(|&(_, &label)| label == 0)
        .map(|(flow, _)| flow.clone())
        .collect();
    let baseline = Baseline::median_of(
        &normal,
        format!(
            "per-feature median (numeric) and most frequent value (categorical) of the {} \
             normal flows of the training part of {}",
            normal.len(),
            data.name
        ),
    )?;
    // The head's categories are the training part's, most frequent first.
    let categories = match train_part.category_names() {
        Some(names) if config.network.category_head => Some(check_category_names(names)?),
        None if config.network.category_head => {
            eprintln!(
                "{}: not every row has an attack_cat; training without a category head",
                data.name
            );
            None
        }
        _ => None,
    };
    let (fit_part, validation_part) = train_part.split_off_tail(args.validation_fraction);
    let encode = |part: &Part| -> anyhow::Result<LabeledRows> {
        let categories = match &categories {
            // Every category of the training part has a name, so none is unknown here.
            Some(names) => part
                .category_indices(names)
                .map(|indices| indices.into_iter().map(|i| i.unwrap_or(0)).collect()),
            None => None,
        };
        Ok(LabeledRows {
            rows: preprocessor.encode(&part.flows)?,
            labels: part.labels.clone(),
            categories,
            sequence_length: preprocessor.sequence_length(),
        })
    };
    let (train_rows, validation_rows, test_rows) = (
        encode(&fit_part)?,
        encode(&validation_part)?,
        encode(&test_part)?,
    );
    if test_rows.windows() == 0 {
        bail!("the test part has fewer rows than one window");
    }
    let cardinalities: Vec<_> = (0..preprocessor.columns())
        .map(|c| preprocessor.cardinality(c))
        .collect();
    let mut architecture = config.network.architecture(&cardinalities);
    architecture.categories = categories;
    eprintln!(
        "{}: {} rows; windows: {} train, {} validation, {} test",
        data.name,
        data.rows,
        train_rows.windows(),
        validation_rows.windows(),
        test_rows.windows()
    );

    let started = Instant::now();
    let mut progress = Progress::new()?;
    let trained = lstm_detector::train(
        &config,
        architecture,
        &train_rows,
        &validation_rows,
        &mut progress,
    )?;
    let training_seconds = started.elapsed().as_secs_f64();
    progress.finish();

    let id = match &args.id {
        Some(id) => id.clone(),
        None => args
            .out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .context("--out has no directory name; pass --id")?,
    };
    let manifest = ModelManifest {
        id: id.clone(),
        description: format!(
            "LSTM trained in Rust on {} (anomaly train; see README.md)",
            data.name
        ),
        architecture: trained.architecture.clone(),
        threshold: 0.5,
    };
    Detector::from_parts(
        trained.model,
        preprocessor,
        manifest.clone(),
        lstm_detector::Backend::default().device(),
    )?
    .with_baseline(baseline)?
    .write_dir(&args.out)?;
    // The card reports what the written files score: reloading also proves the directory is
    // complete and consistent.
    let detector = Detector::from_dir(&args.out)
        .with_context(|| format!("reloading {}", args.out.display()))?;
    let verdicts = detector.predict_sliding(&test_rows.rows, 1024)?;
    let probabilities: Vec<f32> = verdicts.iter().map(|p| p.probability).collect();
    let test = Evaluation::new(
        &probabilities,
        test_rows.window_labels(),
        manifest.threshold,
    );
    let test_categories = crate::categories::evaluate(&detector, &verdicts, &test_part);
    let card = ModelCard {
        id,
        data,
        protocol: Protocol {
            split: args.split.clone(),
            validation_fraction: args.validation_fraction,
            sequence_length: detector.sequence_length(),
            description: PROTOCOL_NOTE.into(),
        },
        preprocessing: PreprocessingFit {
            bins: args.bins as usize,
            min_category_count: args.min_category_count as usize,
            exact_values: args.exact_values as usize,
            min_value_count: args.min_value_count as usize,
        },
        training: config,
        history: trained.history,
        best_epoch: trained.best_epoch,
        category_history: trained.category_history,
        best_category_epochs: trained.best_category_epochs,
        category_calibration: trained.category_calibration,
        training_seconds,
        windows: WindowCounts {
            train: train_rows.windows(),
            validation: validation_rows.windows(),
            test: test_rows.windows(),
        },
        test,
        test_categories,
    };
    card.write(&args.out)?;
    println!(
        "{}: trained in {:.0} s (best epoch {} of {}); test windows: accuracy {:.4}, macro F1 \
         {:.4}, ROC AUC {:.4}",
        args.out.display(),
        card.training_seconds,
        card.best_epoch,
        card.history.len(),
        card.test.accuracy,
        card.test.macro_f1,
        card.test.roc_auc
    );
    if let Some(categories) = &card.test_categories {
        println!(
            "categories: accuracy {:.4}, weighted F1 {:.4}, macro F1 {:.4}",
            categories.evaluation.accuracy,
            categories.evaluation.weighted_f1,
            categories.evaluation.macro_f1
        );
    }
    Ok(())
}

/// Most categories a head may score (indices are bytes; UNSW-NB15 has ten).
const MAX_CATEGORIES: usize = 64;

/// The names a category head can be written with.
fn check_category_names(names: Vec<String>) -> anyhow::Result<Vec<String>> {
    if names.len() < 2 || names.len() > MAX_CATEGORIES {
        bail!(
            "a category head needs 2 to {MAX_CATEGORIES} categories; the training part has {} \
             (pass --no-category-head to train without one)",
            names.len()
        );
    }
    Ok(names)
}
