//! Training a category head on a frozen detector: the trunk (`[last hidden state, newest
//! flow]`) of every window is computed once by the trained network, then the head alone is
//! fitted on it. The attack output, and so every verdict, stays exactly what the first stage
//! trained.

use std::time::Instant;

use burn::module::Module;
use burn::nn::DropoutConfig;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::calibration::Calibration;
use super::loss::{category_batch_loss, cosine, mean_category_loss, scalar};
use super::{LabeledRows, TrainingConfig, TrainingObserver};
use crate::category_evaluation::CategoryEvaluation;
use crate::category_head::{CategoryHead, CategoryMember};
use crate::error::Result;
use crate::model::{LstmDetector, LstmDetectorConfig};

/// What happened in one epoch of the category head's training on a frozen detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryEpochReport {
    /// 1-based member of the head this epoch trained.
    #[serde(default = "first_member")]
    pub member: usize,
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean weighted cross-entropy over the epoch's batches.
    pub train_loss: f64,
    /// Weighted cross-entropy on the validation windows.
    pub validation_loss: f64,
    /// Share of validation windows whose most likely category is their own.
    pub validation_accuracy: f64,
    /// Learning rate at the epoch's last step.
    pub learning_rate: f64,
    /// Wall time of the epoch, validation included.
    pub seconds: f64,
}

fn first_member() -> usize {
    1
}

/// A category head fitted on a frozen detector, with its history.
pub(super) struct FittedHead {
    pub(super) head: CategoryHead,
    pub(super) history: Vec<CategoryEpochReport>,
    /// Each member's kept epoch.
    pub(super) best_epochs: Vec<usize>,
    /// How its output layer was adjusted on the validation windows.
    pub(super) calibration: Calibration,
}

/// The trunk rows of a part's windows, `[windows, width]` row-major.
struct Trunks {
    values: Vec<f32>,
    width: usize,
}

impl Trunks {
    fn of(model: &LstmDetector, rows: &LabeledRows, device: &Device) -> Result<Self> {
        let indices: Vec<usize> = (0..rows.windows()).collect();
        let (mut values, mut width) = (Vec::new(), 0);
        for chunk in indices.chunks(2048) {
            let shape = [chunk.len(), rows.sequence_length, rows.rows.columns()];
            let input = Tensor::from_data(TensorData::new(rows.batch(chunk), shape), device);
            let trunk = model.trunk(input);
            width = trunk.dims()[1];
            values.extend(trunk.into_data().try_to_vec::<f32>()?);
        }
        Ok(Self { values, width })
    }

    fn tensor(&self, indices: &[usize], device: &Device) -> Tensor<2> {
        let mut batch = Vec::with_capacity(indices.len() * self.width);
        for &i in indices {
            batch.extend_from_slice(&self.values[i * self.width..][..self.width]);
        }
        Tensor::from_data(TensorData::new(batch, [indices.len(), self.width]), device)
    }
}

/// The windows one stage trains and validates on: trunks and categories.
struct Parts<'a> {
    train: Trunks,
    train_truth: &'a [u8],
    validation: Tensor<2>,
    validation_truth: &'a [u8],
}

/// Fits `architecture`'s category head on `detector` (trained, frozen) with the optimizer
/// settings of `config` (its `category_epochs` and `category_dropout`): each member in turn,
/// stopping early on the validation windows' weighted plus macro F1; then the calibration of
/// the averaged head.
pub(super) fn fit_head(
    config: &TrainingConfig,
    architecture: &LstmDetectorConfig,
    detector: &LstmDetector,
    (train, validation): (&LabeledRows, &LabeledRows),
    weights: &[f32],
    rng: &mut ChaCha8Rng,
    observer: &mut dyn TrainingObserver,
) -> Result<Option<FittedHead>> {
    let (Some(train_truth), Some(validation_truth), Some(names)) = (
        train.window_categories(),
        validation.window_categories(),
        architecture.categories.as_deref(),
    ) else {
        return Ok(None);
    };
    let plain = Device::flex();
    let all: Vec<usize> = (0..validation.windows()).collect();
    let parts = Parts {
        train: Trunks::of(detector, train, &plain)?,
        train_truth,
        validation: Trunks::of(detector, validation, &plain)?.tensor(&all, &plain),
        validation_truth,
    };
    let (mut members, mut history, mut best_epochs) = (Vec::new(), Vec::new(), Vec::new());
    for member in 1..=architecture.category_members.unwrap_or(1).max(1) {
        let (fitted, best_epoch) = fit_member(
            config,
            architecture,
            &parts,
            member,
            weights,
            rng,
            observer,
            &mut history,
        )?;
        members.push(fitted);
        best_epochs.push(best_epoch);
    }
    let head = CategoryHead { members };
    let probabilities = head
        .probabilities(parts.validation.clone(), &DropoutConfig::new(0.0).init())
        .into_data()
        .try_to_vec::<f32>()?;
    let calibration = Calibration::fit(&probabilities, validation_truth, weights, names);
    Ok(Some(FittedHead {
        head: calibration.apply(head, weights)?,
        history,
        best_epochs,
        calibration,
    }))
}

/// Trains member `member` (1-based) of the head, appending its epochs to `history`; returns
/// it on the plain device with its best epoch.
#[allow(clippy::too_many_arguments)]
fn fit_member(
    config: &TrainingConfig,
    architecture: &LstmDetectorConfig,
    parts: &Parts,
    member: usize,
    weights: &[f32],
    rng: &mut ChaCha8Rng,
    observer: &mut dyn TrainingObserver,
    history: &mut Vec<CategoryEpochReport>,
) -> Result<(CategoryMember, usize)> {
    let device = Device::flex().autodiff();
    let mut head = architecture
        .init_category_member(&device)
        .expect("the architecture has categories");
    let dropout = DropoutConfig::new(config.category_dropout).init();
    let mut optimizer = AdamWConfig::new()
        .with_weight_decay(config.weight_decay as f32)
        .init();
    let mut order: Vec<usize> = (0..parts.train_truth.len()).collect();
    let steps_per_epoch = order.len().div_ceil(config.batch_size);
    let total_steps = (steps_per_epoch * config.category_epochs) as f64;
    let mut step = 0usize;
    let mut best: Option<(f64, usize, CategoryMember)> = None;
    for epoch in 1..=config.category_epochs {
        let started = Instant::now();
        order.shuffle(rng);
        let (mut loss_sum, mut learning_rate) = (0.0, config.learning_rate);
        for (done, indices) in order.chunks(config.batch_size).enumerate() {
            learning_rate = cosine(config.learning_rate, step as f64 / total_steps);
            let truth: Vec<u8> = indices.iter().map(|&i| parts.train_truth[i]).collect();
            let logits = head.logits(parts.train.tensor(indices, &device), &dropout);
            let loss = category_batch_loss(logits, &truth, weights);
            let value = scalar(loss.clone())?;
            let gradients = GradientsParams::from_grads(loss.backward(), &head);
            head = optimizer.step(learning_rate, head, gradients);
            loss_sum += value;
            step += 1;
            observer.batch(epoch, done + 1, steps_per_epoch, value);
        }
        let snapshot = head.valid();
        // A plain tensor passes dropout untouched.
        let logits = snapshot.logits(parts.validation.clone(), &dropout);
        let probabilities = softmax(logits, 1).into_data().try_to_vec::<f32>()?;
        let validation_loss = mean_category_loss(&probabilities, parts.validation_truth, weights);
        let report = CategoryEpochReport {
            member,
            epoch,
            train_loss: loss_sum / steps_per_epoch as f64,
            validation_loss,
            validation_accuracy: super::category_accuracy(
                &probabilities,
                parts.validation_truth,
                weights.len(),
            ),
            learning_rate,
            seconds: started.elapsed().as_secs_f64(),
        };
        observer.category_epoch(&report);
        history.push(report);
        // Kept: the epoch whose most likely categories score best (weighted plus macro F1);
        // the weighted loss keeps falling after they stop improving.
        let predicted: Vec<usize> = (probabilities.chunks_exact(weights.len()))
            .map(crate::category_evaluation::argmax)
            .collect();
        let names = architecture.categories.as_deref().unwrap_or_default();
        let all_right = vec![true; predicted.len()];
        let e = CategoryEvaluation::new(names, &predicted, parts.validation_truth, &all_right);
        let criterion = -(e.weighted_f1 + e.macro_f1);
        if best.as_ref().is_none_or(|(l, _, _)| criterion < *l) {
            best = Some((criterion, epoch, snapshot));
        } else if best
            .as_ref()
            .is_some_and(|(_, best_epoch, _)| epoch - best_epoch >= config.category_patience)
        {
            break;
        }
    }
    let (_, best_epoch, member) = best.expect("at least one epoch ran");
    Ok((member, best_epoch))
}
