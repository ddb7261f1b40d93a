//! Two adjustments of a category head's output layer, fitted on the validation windows once
//! the head is trained.
//!
//! - The class weights tilt the head towards rare categories: trained on weighted windows it
//!   estimates `p(c) · w_c`, not `p(c)`. Subtracting `τ · ln w_c` from each logit takes part of
//!   the tilt back out; τ (0 to 1) is the one whose most likely categories score best on the
//!   validation windows (weighted F1 plus macro F1: all of the tilt back favours the common
//!   categories, none of it the rare ones).
//! - A temperature `T` divides the logits so that the probabilities are calibrated (lowest
//!   unweighted log-loss on the validation windows); it never changes which category is most
//!   likely.
//!
//! Both fold into the output layer (`W / T`, `(b − τ · ln w) / T`): the network is unchanged.

use burn::module::Param;
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::category_evaluation::{CategoryEvaluation, argmax};
use crate::category_head::CategoryHead;
use crate::error::Result;

/// How a category head's output layer was adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Share of the class weights' tilt taken back out of the logits.
    pub tilt_removed: f64,
    /// Temperature dividing the logits.
    pub temperature: f64,
}

/// τ values tried: 0 to 1 in steps of 0.05.
const TILTS: usize = 21;
/// Temperatures tried: 0.5 to 4, geometric.
const TEMPERATURES: usize = 43;

impl Calibration {
    /// Fits both adjustments to the head's `probabilities` (rows of `weights.len()`) on
    /// windows of categories `truth`.
    pub(super) fn fit(
        probabilities: &[f32],
        truth: &[u8],
        weights: &[f32],
        names: &[String],
    ) -> Self {
        let log_p = LogProbabilities::new(probabilities, weights);
        let score = |tau: f64| {
            let predicted: Vec<usize> = log_p.rows(tau, 1.0).map(|row| argmax(&row)).collect();
            let e = CategoryEvaluation::new(names, &predicted, truth, &vec![true; truth.len()]);
            e.weighted_f1 + e.macro_f1
        };
        let tilt_removed = (0..TILTS)
            .map(|i| i as f64 / (TILTS - 1) as f64)
            .map(|tau| (score(tau), tau))
            // The first best: the least correction among equals.
            .fold((f64::NEG_INFINITY, 0.0), |best, next| {
                if next.0 > best.0 { next } else { best }
            })
            .1;
        let loss = |temperature: f64| -> f64 {
            log_p
                .rows(tilt_removed, temperature)
                .zip(truth)
                .map(|(row, &t)| -f64::from(row[usize::from(t)]).max(-16.0))
                .sum()
        };
        let temperature = (0..TEMPERATURES)
            .map(|i| 0.5 * 8f64.powf(i as f64 / (TEMPERATURES - 1) as f64))
            .map(|t| (loss(t), t))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map_or(1.0, |(_, t)| t);
        Self {
            tilt_removed,
            temperature,
        }
    }

    /// `head` with the adjustments folded into each member's output layer (the members'
    /// logits are averaged, so each takes the whole shift).
    pub(super) fn apply(&self, mut head: CategoryHead, weights: &[f32]) -> Result<CategoryHead> {
        let scale = 1.0 / self.temperature;
        for member in &mut head.members {
            let output = &mut member.output;
            output.weight = Param::from_tensor(output.weight.val() * scale);
            if let Some(bias) = output.bias.take() {
                let tensor = bias.val();
                let device = tensor.device();
                let values: Vec<f32> = (tensor.into_data().try_to_vec::<f32>()?.iter())
                    .zip(weights)
                    .map(|(&b, &w)| ((f64::from(b) - self.tilt_removed * ln(w)) * scale) as f32)
                    .collect();
                let shape = [values.len()];
                let tensor = Tensor::from_data(TensorData::new(values, shape), &device);
                output.bias = Some(Param::from_tensor(tensor));
            }
        }
        Ok(head)
    }
}

fn ln(weight: f32) -> f64 {
    f64::from(weight.max(1e-12)).ln()
}

/// Log-probabilities of a head's rows, re-tilted and re-tempered on demand.
struct LogProbabilities {
    values: Vec<f64>,
    ln_weights: Vec<f64>,
}

impl LogProbabilities {
    fn new(probabilities: &[f32], weights: &[f32]) -> Self {
        Self {
            values: probabilities
                .iter()
                .map(|&p| f64::from(p).max(1e-30).ln())
                .collect(),
            ln_weights: weights.iter().map(|&w| ln(w)).collect(),
        }
    }

    /// Each row's log-softmax of `(ln p − τ · ln w) / T`, as `f32` for [`argmax`].
    fn rows(&self, tau: f64, temperature: f64) -> impl Iterator<Item = Vec<f32>> + '_ {
        self.values
            .chunks_exact(self.ln_weights.len())
            .map(move |row| {
                let z: Vec<f64> = (row.iter().zip(&self.ln_weights))
                    .map(|(lp, lw)| (lp - tau * lw) / temperature)
                    .collect();
                let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let lse = top + z.iter().map(|v| (v - top).exp()).sum::<f64>().ln();
                z.iter().map(|v| (v - lse) as f32).collect()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tilt_is_taken_back_where_it_helps_and_the_temperature_keeps_the_ranking() {
        let names = ["Normal", "Rare"].map(String::from);
        // The head, trained with weight 4 on "Rare", calls every window Rare at 0.6; in truth
        // three in four are Normal.
        let probabilities = [0.4f32, 0.6].repeat(4);
        let truth = [0, 0, 0, 1];
        let weights = [1.0f32, 4.0];
        let c = Calibration::fit(&probabilities, &truth, &weights, &names);
        // ln(0.4) − ln(0.6) + τ ln 4 > 0 from τ ≈ 0.3: Normal becomes the most likely.
        assert!(c.tilt_removed > 0.25 && c.tilt_removed < 0.35, "{c:?}");
        let log_p = LogProbabilities::new(&probabilities, &weights);
        let before: Vec<usize> = log_p
            .rows(c.tilt_removed, 1.0)
            .map(|r| argmax(&r))
            .collect();
        let after: Vec<usize> = (log_p.rows(c.tilt_removed, c.temperature))
            .map(|r| argmax(&r))
            .collect();
        assert_eq!(before, after);
        assert_eq!(before, [0; 4]);
    }
}
