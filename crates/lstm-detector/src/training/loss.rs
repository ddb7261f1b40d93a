//! The losses and the learning-rate schedule a training run uses.

use burn::tensor::Tensor;
use burn::tensor::activation::relu;

use crate::error::Result;

/// Mean binary cross-entropy on logits, in the stable form
/// `max(z, 0) - z·y + ln(1 + e^-|z|)`.
pub(super) fn logistic_loss(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let softplus = logits.clone().abs().neg().exp().log1p();
    (relu(logits.clone()) - logits * targets + softplus).mean()
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
}
