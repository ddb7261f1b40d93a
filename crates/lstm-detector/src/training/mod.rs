//! Training a detector with Burn's autodiff on the CPU: AdamW, cosine learning-rate decay,
//! binary cross-entropy on logits, early stopping on a validation part; a category head is
//! fitted with a class-weighted cross-entropy, on the frozen detector or jointly with it
//! ([`CategoryTraining`]).
//!
//! - [`config`] – [`TrainingConfig`] and the [`NetworkConfig`] nested in it;
//! - [`rows`] – [`LabeledRows`], the encoded rows windows are cut from;
//! - [`loss`] – the losses and the learning-rate schedule;
//! - [`category`] – the category head's own stage on a frozen detector;
//! - [`calibration`] – its output layer's adjustment on the validation windows.

mod calibration;
mod category;
mod config;
mod loss;
mod rows;

use std::sync::Mutex;
use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use calibration::Calibration;
pub use category::CategoryEpochReport;
pub use config::{CategoryTraining, NetworkConfig, TrainingConfig};
pub use rows::LabeledRows;

use crate::denormals::FlushDenormals;
use crate::error::{Error, Result};
use crate::evaluation::Evaluation;
use crate::model::{LstmDetector, LstmDetectorConfig};
use loss::{
    category_batch_loss, category_weights, cosine, logistic_loss, mean_category_loss,
    mean_log_loss, scalar,
};

/// What happened in one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub train_loss: f64,
    /// Loss on the validation windows.
    pub validation_loss: f64,
    /// Accuracy on the validation windows at threshold 0.5.
    pub validation_accuracy: f64,
    /// ROC AUC on the validation windows.
    pub validation_roc_auc: f64,
    /// The category head's weighted cross-entropy on the validation windows (included in
    /// `validation_loss`, times the configured weight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_category_loss: Option<f64>,
    /// Share of validation windows whose most likely category is their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_category_accuracy: Option<f64>,
    /// Learning rate at the epoch's last step.
    pub learning_rate: f64,
    /// Wall time of the epoch, validation included.
    pub seconds: f64,
}

/// Hooks to follow a training run (e.g. a progress bar).
pub trait TrainingObserver {
    /// A batch was applied: `done` of `total` batches of the epoch, with its loss.
    fn batch(&mut self, _epoch: usize, _done: usize, _total: usize, _loss: f64) {}
    /// An epoch ended.
    fn epoch(&mut self, _report: &EpochReport) {}
    /// An epoch of the category head's own stage ended (frozen training; its batches are
    /// reported through [`batch`](Self::batch) too).
    fn category_epoch(&mut self, _report: &CategoryEpochReport) {}
}

impl TrainingObserver for () {}

/// A trained network and its history.
#[derive(Debug)]
pub struct TrainedModel {
    /// The weights of the epoch with the lowest validation loss, on the plain CPU device.
    pub model: LstmDetector,
    /// The architecture to record in the manifest.
    pub architecture: LstmDetectorConfig,
    /// One report per epoch run.
    pub history: Vec<EpochReport>,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// One report per epoch of the category head's own stage (frozen training), else empty.
    pub category_history: Vec<CategoryEpochReport>,
    /// Each category head member's kept epoch (frozen training), else empty.
    pub best_category_epochs: Vec<usize>,
    /// How the category head's output layer was adjusted on the validation windows (frozen
    /// training).
    pub category_calibration: Option<Calibration>,
}

/// Trains a network on `train` windows, stopping early on `validation`'s loss.
///
/// Deterministic for a seed: trainings in one process run one at a time, since Burn's CPU
/// backend draws every random number from one process-wide stream.
pub fn train(
    config: &TrainingConfig,
    architecture: LstmDetectorConfig,
    train: &LabeledRows,
    validation: &LabeledRows,
    observer: &mut dyn TrainingObserver,
) -> Result<TrainedModel> {
    config.check()?;
    if train.sequence_length == 0 || train.sequence_length != validation.sequence_length {
        return Err(Error::Training(format!(
            "windows must hold at least one flow, the same in both parts (got {} and {})",
            train.sequence_length, validation.sequence_length
        )));
    }
    if train.windows() == 0 || validation.windows() == 0 {
        return Err(Error::Training(
            "training and validation parts need at least one window each".into(),
        ));
    }
    let categories = check_categories(&architecture, train, validation)?;
    let frozen = categories > 0 && config.category_training == CategoryTraining::Frozen;
    // Categories the first stage trains (none when the head comes after, on the frozen net).
    let joint_categories = if frozen { 0 } else { categories };
    // Burn's CPU backend keeps one process-wide random stream (weights, dropout masks):
    // trainings running side by side would interleave their draws and lose reproducibility.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _running = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Denormals make the backward pass many times slower as gradients vanish.
    let _flush = FlushDenormals::new();
    let plain = Device::flex();
    let device = plain.clone().autodiff();
    device.seed(config.seed);
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut model = if frozen {
        architecture.without_categories().init(&device)
    } else {
        architecture.init(&device)
    };
    let mut optimizer = AdamWConfig::new()
        .with_weight_decay(config.weight_decay as f32)
        .init();
    let (rows, columns) = (train.sequence_length, train.rows.columns());
    let labels = train.window_labels();
    let train_categories = train.window_categories().unwrap_or_default();
    let weights = category_weights(train_categories, categories, config.category_weight_power);
    let mut order: Vec<usize> = (0..train.windows()).collect();
    let steps_per_epoch = order.len().div_ceil(config.batch_size);
    let total_steps = (steps_per_epoch * config.epochs) as f64;
    let mut step = 0usize;
    let mut history = Vec::new();
    let mut best: Option<(f64, usize, LstmDetector)> = None;
    for epoch in 1..=config.epochs {
        let started = Instant::now();
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0;
        let mut learning_rate = config.learning_rate;
        for (done, indices) in order.chunks(config.batch_size).enumerate() {
            learning_rate = cosine(config.learning_rate, step as f64 / total_steps);
            let input = TensorData::new(train.batch(indices), [indices.len(), rows, columns]);
            let targets: Vec<f32> = indices.iter().map(|&i| f32::from(labels[i])).collect();
            let targets = TensorData::new(targets, [indices.len(), 1]);
            let (logits, category_logits) = model.outputs(Tensor::from_data(input, &device));
            let mut loss = logistic_loss(logits, Tensor::from_data(targets, &device));
            if let Some(category_logits) = category_logits {
                let picked: Vec<u8> = indices.iter().map(|&i| train_categories[i]).collect();
                let category_loss = category_batch_loss(category_logits, &picked, &weights);
                loss = loss + category_loss * config.category_loss_weight;
            }
            let value = scalar(loss.clone())?;
            let gradients = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(learning_rate, model, gradients);
            loss_sum += value;
            step += 1;
            observer.batch(epoch, done + 1, steps_per_epoch, value);
        }
        let snapshot = model.valid();
        let (probabilities, category_probabilities) = outputs(&snapshot, validation, &plain)?;
        let validation_labels = validation.window_labels();
        let mut validation_loss = mean_log_loss(&probabilities, validation_labels);
        let evaluation = Evaluation::new(&probabilities, validation_labels, 0.5);
        let (mut validation_category_loss, mut validation_category_accuracy) = (None, None);
        if let Some(truth) = validation
            .window_categories()
            .filter(|_| joint_categories > 0)
        {
            let loss = mean_category_loss(&category_probabilities, truth, &weights);
            validation_loss += config.category_loss_weight * loss;
            validation_category_loss = Some(loss);
            validation_category_accuracy = Some(category_accuracy(
                &category_probabilities,
                truth,
                categories,
            ));
        }
        let report = EpochReport {
            epoch,
            train_loss: loss_sum / steps_per_epoch as f64,
            validation_loss,
            validation_accuracy: evaluation.accuracy,
            validation_roc_auc: evaluation.roc_auc,
            validation_category_loss,
            validation_category_accuracy,
            learning_rate,
            seconds: started.elapsed().as_secs_f64(),
        };
        observer.epoch(&report);
        history.push(report);
        if best
            .as_ref()
            .is_none_or(|(loss, _, _)| validation_loss < *loss)
        {
            best = Some((validation_loss, epoch, snapshot));
        } else if best
            .as_ref()
            .is_some_and(|(_, best_epoch, _)| epoch - best_epoch >= config.patience)
        {
            break;
        }
    }
    let (_, best_epoch, mut model) = best.expect("at least one epoch ran");
    let (mut category_history, mut best_category_epochs) = (Vec::new(), Vec::new());
    let mut category_calibration = None;
    if frozen {
        let parts = (train, validation);
        let fitted = category::fit_head(
            config,
            &architecture,
            &model,
            parts,
            &weights,
            &mut rng,
            observer,
        )?;
        if let Some(fitted) = fitted {
            model.category = Some(fitted.head);
            category_history = fitted.history;
            best_category_epochs = fitted.best_epochs;
            category_calibration = Some(fitted.calibration);
        }
    }
    let architecture = if categories > 0 {
        architecture
    } else {
        architecture.without_categories()
    };
    Ok(TrainedModel {
        model,
        architecture,
        history,
        best_epoch,
        category_history,
        best_category_epochs,
        category_calibration,
    })
}

/// Attack probabilities of every window of `rows`, and their category probabilities (empty
/// without a category head), in batches.
fn outputs(
    model: &LstmDetector,
    rows: &LabeledRows,
    device: &Device,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let indices: Vec<usize> = (0..rows.windows()).collect();
    let (mut probabilities, mut categories) = (Vec::with_capacity(indices.len()), Vec::new());
    for chunk in indices.chunks(2048) {
        let shape = [chunk.len(), rows.sequence_length, rows.rows.columns()];
        let input = Tensor::from_data(TensorData::new(rows.batch(chunk), shape), device);
        let (logits, category_logits) = model.outputs(input);
        probabilities.extend(
            burn::tensor::activation::sigmoid(logits)
                .into_data()
                .try_to_vec::<f32>()?,
        );
        if let Some(logits) = category_logits {
            let p = burn::tensor::activation::softmax(logits, 1);
            categories.extend(p.into_data().try_to_vec::<f32>()?);
        }
    }
    Ok((probabilities, categories))
}

/// Share of windows whose most likely category (rows of `count` probabilities) is `truth`.
pub(super) fn category_accuracy(probabilities: &[f32], truth: &[u8], count: usize) -> f64 {
    let right = probabilities
        .chunks_exact(count)
        .zip(truth)
        .filter(|(row, t)| crate::category_evaluation::argmax(row) == usize::from(**t))
        .count();
    right as f64 / truth.len().max(1) as f64
}

/// The number of categories the head scores (0 for none), after checking that the rows carry
/// categories exactly when the architecture has a head, each one of its names.
fn check_categories(
    architecture: &LstmDetectorConfig,
    train: &LabeledRows,
    validation: &LabeledRows,
) -> Result<usize> {
    let count = architecture.categories.as_ref().map_or(0, Vec::len);
    for (part, rows) in [("training", train), ("validation", validation)] {
        match (&rows.categories, count) {
            (None, 0) => {}
            (Some(categories), count) if count > 0 => {
                if categories.len() != rows.labels.len() {
                    return Err(Error::Training(format!(
                        "the {part} rows have {} labels but {} categories",
                        rows.labels.len(),
                        categories.len()
                    )));
                }
                if let Some(bad) = categories.iter().find(|&&c| usize::from(c) >= count) {
                    return Err(Error::Training(format!(
                        "the {part} rows have category {bad}, but the head scores {count}"
                    )));
                }
            }
            _ => {
                return Err(Error::Training(format!(
                    "the {part} rows must carry categories exactly when the architecture has \
                     a category head"
                )));
            }
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use flow_features::FeatureMatrix;

    use super::*;

    #[test]
    fn windows_of_no_flows_and_bad_settings_are_errors_not_panics() {
        let rows = |sequence_length| LabeledRows {
            rows: FeatureMatrix::new(vec![0.0; 3 * 34], 34),
            labels: vec![0, 1, 0],
            categories: None,
            sequence_length,
        };
        let config = TrainingConfig::new();
        let net = LstmDetectorConfig::new();
        let error = train(&config, net.clone(), &rows(0), &rows(0), &mut ()).unwrap_err();
        assert!(error.to_string().contains("at least one flow"), "{error}");
        let bad = config.with_batch_size(0);
        assert!(train(&bad, net, &rows(2), &rows(2), &mut ()).is_err());
    }
}
