//! Training a detector with Burn's autodiff on the CPU: AdamW, cosine learning-rate decay,
//! binary cross-entropy on logits, early stopping on a validation part.

use std::sync::Mutex;
use std::time::Instant;

use burn::config::Config;
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use flow_features::FeatureMatrix;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::denormals::FlushDenormals;
use crate::error::{Error, Result};
use crate::evaluation::Evaluation;
use crate::model::{EmbeddingLayout, LstmDetector, LstmDetectorConfig};

/// Hyper-parameters of [`train`]. The defaults are the shipped model's.
#[derive(Config, Debug, PartialEq)]
pub struct TrainingConfig {
    /// Hidden size of each stacked LSTM layer.
    #[config(default = "vec![64]")]
    pub hidden_sizes: Vec<usize>,
    /// Widths of the ReLU head layers over `[last hidden state, newest flow]`; empty for none.
    #[config(default = "vec![256, 128]")]
    pub head_sizes: Vec<usize>,
    /// Embedding width of every code column.
    #[config(default = 4)]
    pub embedding_dim: usize,
    /// Dropout before the head and the output.
    #[config(default = 0.4)]
    pub dropout: f64,
    /// Most passes over the training windows.
    #[config(default = 20)]
    pub epochs: usize,
    /// Windows per gradient step.
    #[config(default = 512)]
    pub batch_size: usize,
    /// Peak learning rate, decayed to 0 along a cosine over all steps.
    #[config(default = 3e-3)]
    pub learning_rate: f64,
    /// AdamW's decoupled weight decay.
    #[config(default = 1e-2)]
    pub weight_decay: f64,
    /// Seed of the weights, dropout masks and batch order.
    #[config(default = 42)]
    pub seed: u64,
    /// Stop after this many epochs without a lower validation loss; the best epoch's weights
    /// are kept.
    #[config(default = 5)]
    pub patience: usize,
}

/// Rows in window order with one label each; window `i` is rows `i..i + sequence_length`,
/// labelled by its last row.
#[derive(Debug, Clone)]
pub struct LabeledRows {
    /// Encoded rows (a [`flow_features::Preprocessor`]'s output).
    pub rows: FeatureMatrix,
    /// One label per row: 0 normal, 1 attack.
    pub labels: Vec<u8>,
    /// Rows per window.
    pub sequence_length: usize,
}

impl LabeledRows {
    /// Number of windows.
    pub fn windows(&self) -> usize {
        (self.rows.rows() + 1).saturating_sub(self.sequence_length)
    }

    /// Labels of the windows (their last rows'); none when `sequence_length` is 0.
    pub fn window_labels(&self) -> &[u8] {
        match self.sequence_length.checked_sub(1) {
            Some(first) => self.labels.get(first..).unwrap_or_default(),
            None => &[],
        }
    }

    /// Windows `indices`, concatenated row-major.
    fn batch(&self, indices: &[usize]) -> Vec<f32> {
        let width = self.sequence_length * self.rows.columns();
        let values = self.rows.values();
        let mut batch = Vec::with_capacity(indices.len() * width);
        for &i in indices {
            let start = i * self.rows.columns();
            batch.extend_from_slice(&values[start..start + width]);
        }
        batch
    }
}

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

/// The architecture [`train`] builds for `columns` input columns, embedding the columns with
/// a `cardinality` (see [`flow_features::Preprocessor::cardinality`]).
pub fn architecture(
    config: &TrainingConfig,
    cardinalities: &[Option<usize>],
) -> LstmDetectorConfig {
    let (columns, sizes): (Vec<usize>, Vec<usize>) = cardinalities
        .iter()
        .enumerate()
        .filter_map(|(column, size)| size.map(|size| (column, size)))
        .unzip();
    let embedding = (!columns.is_empty())
        .then(|| EmbeddingLayout::new(columns, sizes).with_dim(config.embedding_dim));
    LstmDetectorConfig::new()
        .with_input_size(cardinalities.len())
        .with_hidden_sizes(config.hidden_sizes.clone())
        .with_dropout(config.dropout)
        .with_embedding(embedding)
        .with_head_sizes((!config.head_sizes.is_empty()).then(|| config.head_sizes.clone()))
}

impl TrainingConfig {
    /// Checks every hyper-parameter is in a range training can run with (a configuration file
    /// is user input: a dropout of 1.5 or a width of 0 must be an error, not a panic in Burn).
    ///
    /// ```
    /// let config = lstm_detector::TrainingConfig::new().with_dropout(1.5);
    /// assert_eq!(
    ///     config.check().unwrap_err().to_string(),
    ///     "training: dropout must be in [0, 1), got 1.5"
    /// );
    /// ```
    pub fn check(&self) -> Result<()> {
        let fail = |message: String| Err(Error::Training(message));
        let width = 1..=MAX_WIDTH;
        if self.hidden_sizes.is_empty() || !self.hidden_sizes.iter().all(|w| width.contains(w)) {
            return fail(format!(
                "hidden_sizes must list 1 or more widths of 1 to {MAX_WIDTH}, got {:?}",
                self.hidden_sizes
            ));
        }
        if !self.head_sizes.iter().all(|w| width.contains(w)) {
            return fail(format!(
                "head_sizes must be widths of 1 to {MAX_WIDTH}, got {:?}",
                self.head_sizes
            ));
        }
        if !(1..=MAX_EMBEDDING_DIM).contains(&self.embedding_dim) {
            return fail(format!(
                "embedding_dim must be 1 to {MAX_EMBEDDING_DIM}, got {}",
                self.embedding_dim
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return fail(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        if self.epochs == 0 || self.batch_size == 0 {
            return fail("batch_size and epochs must be positive".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return fail(format!(
                "learning_rate must be a finite number above 0, got {}",
                self.learning_rate
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return fail(format!(
                "weight_decay must be a finite number of 0 or more, got {}",
                self.weight_decay
            ));
        }
        Ok(())
    }
}

/// Widest LSTM or head layer [`TrainingConfig::check`] accepts.
const MAX_WIDTH: usize = 4096;
/// Widest embedding [`TrainingConfig::check`] accepts.
const MAX_EMBEDDING_DIM: usize = 256;

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
pub(crate) fn probabilities(
    model: &LstmDetector,
    rows: &LabeledRows,
    device: &Device,
) -> Result<Vec<f32>> {
    let indices: Vec<usize> = (0..rows.windows()).collect();
    let mut out = Vec::with_capacity(indices.len());
    for chunk in indices.chunks(2048) {
        let shape = [chunk.len(), rows.sequence_length, rows.rows.columns()];
        let input = Tensor::from_data(TensorData::new(rows.batch(chunk), shape), device);
        let output = model.forward(input).into_data();
        out.extend(
            output
                .try_to_vec::<f32>()
                .map_err(|e| Error::Backend(format!("{e:?}")))?,
        );
    }
    Ok(out)
}

/// Mean binary cross-entropy on logits, in the stable form
/// `max(z, 0) - z·y + ln(1 + e^-|z|)`.
fn logistic_loss(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let softplus = logits.clone().abs().neg().exp().log1p();
    (relu(logits.clone()) - logits * targets + softplus).mean()
}

/// Mean binary cross-entropy of probabilities (clipped as Keras does, at 1e-7).
fn mean_log_loss(probabilities: &[f32], labels: &[u8]) -> f64 {
    let sum: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(&p, &y)| {
            let p = f64::from(p).clamp(1e-7, 1.0 - 1e-7);
            if y == 1 { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum();
    sum / probabilities.len().max(1) as f64
}

/// Cosine decay from `peak` at `progress` 0 to 0 at 1.
fn cosine(peak: f64, progress: f64) -> f64 {
    peak * 0.5 * (1.0 + (std::f64::consts::PI * progress.clamp(0.0, 1.0)).cos())
}

fn scalar(tensor: Tensor<1>) -> Result<f64> {
    let values = tensor
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Backend(format!("{e:?}")))?;
    Ok(f64::from(values[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_of_no_flows_and_bad_settings_are_errors_not_panics() {
        let rows = |sequence_length| LabeledRows {
            rows: FeatureMatrix::new(vec![0.0; 3 * 34], 34),
            labels: vec![0, 1, 0],
            sequence_length,
        };
        assert!(rows(0).window_labels().is_empty());
        assert_eq!(rows(2).window_labels(), [1, 0]);
        let config = TrainingConfig::new();
        let net = LstmDetectorConfig::new();
        let error = train(&config, net.clone(), &rows(0), &rows(0), &mut ()).unwrap_err();
        assert!(error.to_string().contains("at least one flow"), "{error}");
        for bad in [
            config.clone().with_hidden_sizes(vec![]),
            config.clone().with_head_sizes(vec![0]),
            config.clone().with_embedding_dim(0),
            config.clone().with_learning_rate(f64::NAN),
            config.clone().with_weight_decay(-1.0),
            config.clone().with_batch_size(0),
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
            assert!(train(&bad, net.clone(), &rows(2), &rows(2), &mut ()).is_err());
        }
        assert!(config.check().is_ok());
    }

    #[test]
    fn cosine_decays_from_peak_to_zero() {
        assert_eq!(cosine(2.0, 0.0), 2.0);
        assert!((cosine(2.0, 0.5) - 1.0).abs() < 1e-12);
        assert!(cosine(2.0, 1.0).abs() < 1e-12);
    }

    #[test]
    fn logistic_loss_matches_the_textbook_formula() {
        let device = Device::flex();
        let logits = Tensor::<2>::from_data(TensorData::new(vec![2.0f32, -1.0], [2, 1]), &device);
        let targets = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 0.0], [2, 1]), &device);
        let loss = scalar(logistic_loss(logits, targets)).unwrap();
        let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
        let expected = (-(sigmoid(2.0).ln()) - (1.0 - sigmoid(-1.0)).ln()) / 2.0;
        assert!((loss - expected).abs() < 1e-6);
        assert!((mean_log_loss(&[0.5, 0.5], &[1, 0]) - std::f64::consts::LN_2).abs() < 1e-9);
    }
}
