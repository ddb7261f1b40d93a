//! The losses and the learning-rate schedule a training run uses.

use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::{Int, Tensor, TensorData};

use crate::error::Result;

/// Mean binary cross-entropy on logits, in the stable form
/// `max(z, 0) - z·y + ln(1 + e^-|z|)`.
pub(super) fn logistic_loss(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let softplus = logits.clone().abs().neg().exp().log1p();
    (relu(logits.clone()) - logits * targets + softplus).mean()
}

/// Weighted mean cross-entropy of category logits `[batch, categories]` against `targets`
/// `[batch, 1]` with per-window `weights` `[batch, 1]`: `-Σ w·log p(target) / Σ w`.
pub(super) fn weighted_cross_entropy(
    logits: Tensor<2>,
    targets: Tensor<2, Int>,
    weights: Tensor<2>,
) -> Tensor<1> {
    let picked = log_softmax(logits, 1).gather(1, targets);
    (picked * weights.clone()).sum().neg() / weights.sum()
}

/// [`weighted_cross_entropy`] of a batch's category logits against its windows' categories
/// `truth`, each window weighted by its category's entry in `weights`.
pub(super) fn category_batch_loss(logits: Tensor<2>, truth: &[u8], weights: &[f32]) -> Tensor<1> {
    let device = logits.device();
    let targets: Vec<i64> = truth.iter().map(|&c| i64::from(c)).collect();
    let window_weights: Vec<f32> = truth.iter().map(|&c| weights[usize::from(c)]).collect();
    let shape = [truth.len(), 1];
    weighted_cross_entropy(
        logits,
        Tensor::<2, Int>::from_data(TensorData::new(targets, shape), &device),
        Tensor::from_data(TensorData::new(window_weights, shape), &device),
    )
}

/// Per-category weights `(windows / (categories · count))^power` of `categories` windows
/// (a category with no window gets weight 0: it never appears in a target).
pub(super) fn category_weights(categories: &[u8], count: usize, power: f64) -> Vec<f32> {
    let mut counts = vec![0usize; count];
    for &c in categories {
        counts[usize::from(c)] += 1;
    }
    let total = categories.len() as f64;
    counts
        .iter()
        .map(|&n| match n {
            0 => 0.0,
            n => (total / (count as f64 * n as f64)).powf(power) as f32,
        })
        .collect()
}

/// The weighted cross-entropy of category probabilities (rows of `count`), clipped at 1e-7.
pub(super) fn mean_category_loss(probabilities: &[f32], categories: &[u8], weights: &[f32]) -> f64 {
    let count = weights.len();
    let (mut sum, mut weight) = (0.0, 0.0);
    for (row, &c) in probabilities.chunks_exact(count).zip(categories) {
        let w = f64::from(weights[usize::from(c)]);
        sum -= w * f64::from(row[usize::from(c)]).clamp(1e-7, 1.0).ln();
        weight += w;
    }
    if weight > 0.0 { sum / weight } else { 0.0 }
}

/// Mean binary cross-entropy of probabilities (clipped as Keras does, at 1e-7).
pub(super) fn mean_log_loss(probabilities: &[f32], labels: &[u8]) -> f64 {
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
pub(super) fn cosine(peak: f64, progress: f64) -> f64 {
    peak * 0.5 * (1.0 + (std::f64::consts::PI * progress.clamp(0.0, 1.0)).cos())
}

pub(super) fn scalar(tensor: Tensor<1>) -> Result<f64> {
    let values = tensor.into_data().try_to_vec::<f32>()?;
    Ok(f64::from(values[0]))
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, TensorData};

    use super::*;

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

    #[test]
    fn weighted_cross_entropy_matches_the_formula_and_weights_balance_counts() {
        let device = Device::flex();
        let logits = [0.0f32, 1.0, 2.0, 1.0, 0.0, 0.0];
        let logits_t = Tensor::<2>::from_data(TensorData::new(logits.to_vec(), [2, 3]), &device);
        let targets = Tensor::<2, Int>::from_data(TensorData::new(vec![2i64, 0], [2, 1]), &device);
        let weights = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 3.0], [2, 1]), &device);
        let loss = scalar(weighted_cross_entropy(logits_t, targets, weights)).unwrap();
        let log_p = |row: &[f32], c: usize| {
            let sum: f64 = row.iter().map(|&z| f64::from(z).exp()).sum();
            f64::from(row[c]) - sum.ln()
        };
        let expected = -(log_p(&logits[..3], 2) + 3.0 * log_p(&logits[3..], 0)) / 4.0;
        assert!((loss - expected).abs() < 1e-5, "{loss} vs {expected}");
        // Three windows of category 0, one of 1, none of 2: inverse frequency at power 1.
        let weights = category_weights(&[0, 0, 0, 1], 3, 1.0);
        assert_eq!(weights, [4.0 / 9.0, 4.0 / 3.0, 0.0]);
        assert_eq!(category_weights(&[0, 0, 0, 1], 3, 0.0), [1.0, 1.0, 0.0]);
        let probabilities = [0.5, 0.25, 0.25, 0.1, 0.8, 0.1];
        let mean = mean_category_loss(&probabilities, &[0, 1], &[1.0, 1.0, 1.0]);
        assert!((mean - (-(0.5f64.ln()) - 0.8f64.ln()) / 2.0).abs() < 1e-6);
    }
}
