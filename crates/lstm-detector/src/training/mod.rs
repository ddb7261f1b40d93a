//! Training a detector with Burn's autodiff on the CPU: AdamW, cosine learning-rate decay,
//! binary cross-entropy on logits, early stopping on a validation part.
//!
//! - [`config`] – [`TrainingConfig`] and the [`NetworkConfig`] nested in it;
//! - [`rows`] – [`LabeledRows`], the encoded rows windows are cut from;
//! - [`loss`] – the losses and the learning-rate schedule.

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

pub use config::{NetworkConfig, TrainingConfig};
pub use rows::LabeledRows;

use crate::denormals::FlushDenormals;
use crate::error::{Error, Result};
use crate::evaluation::Evaluation;
use crate::model::{LstmDetector, LstmDetectorConfig};
use loss::{cosine, logistic_loss, mean_log_loss, scalar};

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
    let mut model = architecture.init(&device);
    let mut optimizer = AdamWConfig::new()
        .with_weight_decay(config.weight_decay as f32)
        .init();
    let (rows, columns) = (train.sequence_length, train.rows.columns());
    let labels = train.window_labels();
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
            let loss = logistic_loss(
                model.logits(Tensor::from_data(input, &device)),
                Tensor::from_data(targets, &device),
            );
            let value = scalar(loss.clone())?;
            let gradients = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(learning_rate, model, gradients);
            loss_sum += value;
            step += 1;
            observer.batch(epoch, done + 1, steps_per_epoch, value);
        }
        let snapshot = model.valid();
        let probabilities = probabilities(&snapshot, validation, &plain)?;
        let validation_labels = validation.window_labels();
        let validation_loss = mean_log_loss(&probabilities, validation_labels);
        let evaluation = Evaluation::new(&probabilities, validation_labels, 0.5);
        let report = EpochReport {
            epoch,
            train_loss: loss_sum / steps_per_epoch as f64,
            validation_loss,
            validation_accuracy: evaluation.accuracy,
            validation_roc_auc: evaluation.roc_auc,
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
    let (_, best_epoch, model) = best.expect("at least one epoch ran");
    Ok(TrainedModel {
        model,
        architecture,
        history,
        best_epoch,
    })
}

/// Attack probabilities of every window of `rows`, in batches.
fn probabilities(model: &LstmDetector, rows: &LabeledRows, device: &Device) -> Result<Vec<f32>> {
    let indices: Vec<usize> = (0..rows.windows()).collect();
    let mut out = Vec::with_capacity(indices.len());
    for chunk in indices.chunks(2048) {
        let shape = [chunk.len(), rows.sequence_length, rows.rows.columns()];
        let input = Tensor::from_data(TensorData::new(rows.batch(chunk), shape), device);
        let output = model.forward(input).into_data();
        out.extend(output.try_to_vec::<f32>()?);
    }
    Ok(out)
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
