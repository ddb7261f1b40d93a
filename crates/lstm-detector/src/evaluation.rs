//! Classification metrics of a detector on labelled windows.

use serde::{Deserialize, Serialize};

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// Share of the windows predicted as this class that are of it (0 when none is predicted).
    pub precision: f64,
    /// Share of the windows of this class predicted as it.
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// Windows of this class.
    pub support: usize,
}

/// How a detector does on labelled windows at one threshold, plus its threshold-free ROC AUC.
///
/// ```
/// use lstm_detector::Evaluation;
/// let e = Evaluation::new(&[0.9, 0.2, 0.7, 0.4], &[1, 0, 0, 1], 0.5);
/// assert_eq!(e.accuracy, 0.5);
/// assert_eq!(e.confusion, [[1, 1], [1, 1]]);
/// assert_eq!(e.roc_auc, 0.75);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// A window is predicted an attack when its probability is strictly above this.
    pub threshold: f32,
    /// Windows scored.
    pub windows: usize,
    /// Share of windows classified correctly.
    pub accuracy: f64,
    /// Class 0, normal traffic.
    pub normal: ClassMetrics,
    /// Class 1, attacks.
    pub attack: ClassMetrics,
    /// Mean of the two classes' F1.
    pub macro_f1: f64,
    /// Area under the ROC curve (ties count one half).
    pub roc_auc: f64,
    /// `confusion[actual][predicted]`, class 0 normal, 1 attack.
    pub confusion: [[usize; 2]; 2],
}

impl Evaluation {
    /// Scores `probabilities` against `labels` (0 normal, 1 attack), one per window.
    ///
    /// # Panics
    /// When the two slices differ in length.
    pub fn new(probabilities: &[f32], labels: &[u8], threshold: f32) -> Self {
        assert_eq!(
            probabilities.len(),
            labels.len(),
            "one label per probability"
        );
        let mut confusion = [[0usize; 2]; 2];
        for (&p, &label) in probabilities.iter().zip(labels) {
            confusion[usize::from(label.min(1))][usize::from(p > threshold)] += 1;
        }
        let class = |c: usize| {
            let true_positive = confusion[c][c] as f64;
            let predicted = (confusion[0][c] + confusion[1][c]) as f64;
            let support = confusion[c][0] + confusion[c][1];
            let precision = ratio(true_positive, predicted);
            let recall = ratio(true_positive, support as f64);
            ClassMetrics {
                precision,
                recall,
                f1: ratio(2.0 * precision * recall, precision + recall),
                support,
            }
        };
        let (normal, attack) = (class(0), class(1));
        let windows = probabilities.len();
        Self {
            threshold,
            windows,
            accuracy: ratio((confusion[0][0] + confusion[1][1]) as f64, windows as f64),
            macro_f1: (normal.f1 + attack.f1) / 2.0,
            roc_auc: roc_auc(probabilities, labels),
            normal,
            attack,
            confusion,
        }
    }
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 {
        numerator / denominator
    } else {
        0.0
    }
}

/// One point of a ROC curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// Windows predicted attacks at this threshold: probability `>= threshold`.
    pub threshold: f32,
    /// False positive rate (normal windows flagged).
    pub false_positive_rate: f64,
    /// True positive rate (attack windows flagged).
    pub true_positive_rate: f64,
}

/// The ROC curve: one point per distinct probability, from (0, 0) to (1, 1).
///
/// ```
/// let curve = lstm_detector::roc_curve(&[0.9, 0.2, 0.7, 0.4], &[1, 0, 0, 1]);
/// let rates: Vec<_> = curve.iter().map(|p| (p.false_positive_rate, p.true_positive_rate)).collect();
/// assert_eq!(rates, [(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]);
/// ```
pub fn roc_curve(probabilities: &[f32], labels: &[u8]) -> Vec<RocPoint> {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
    let positives = labels.iter().filter(|&&l| l == 1).count() as f64;
    let negatives = labels.len() as f64 - positives;
    let mut curve = vec![RocPoint {
        threshold: f32::INFINITY,
        false_positive_rate: 0.0,
        true_positive_rate: 0.0,
    }];
    let (mut tp, mut fp) = (0.0, 0.0);
    for (k, &i) in order.iter().enumerate() {
        if labels[i] == 1 {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last_of_tie = order
            .get(k + 1)
            .is_none_or(|&next| probabilities[next] != probabilities[i]);
        if last_of_tie {
            curve.push(RocPoint {
                threshold: probabilities[i],
                false_positive_rate: ratio(fp, negatives),
                true_positive_rate: ratio(tp, positives),
            });
        }
    }
    curve
}

/// ROC AUC as the probability that a random attack window outscores a random normal one
/// (Mann–Whitney U with average ranks for ties); 0.5 when a class is missing.
fn roc_auc(probabilities: &[f32], labels: &[u8]) -> f64 {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]));
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && probabilities[order[end]] == probabilities[order[start]] {
            end += 1;
        }
        // Ranks start..end (1-based start+1..=end) share their mean.
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        let attacks = order[start..end]
            .iter()
            .filter(|&&i| labels[i] == 1)
            .count();
        rank_sum += mean_rank * attacks as f64;
        start = end;
    }
    let positives = labels.iter().filter(|&&l| l == 1).count() as f64;
    let negatives = labels.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return 0.5;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_hand_computed_values() {
        // 6 attacks, 4 normal. At 0.5: TP 4 (0.9 0.8 0.7 0.6), FN 2 (0.4 0.1),
        // FP 1 (0.55), TN 3 (0.3 0.2 0.05).
        let p = [0.9, 0.8, 0.7, 0.6, 0.4, 0.1, 0.55, 0.3, 0.2, 0.05];
        let y = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0];
        let e = Evaluation::new(&p, &y, 0.5);
        assert_eq!(e.confusion, [[3, 1], [2, 4]]);
        assert_eq!(e.accuracy, 0.7);
        assert_eq!((e.attack.precision, e.attack.recall), (0.8, 4.0 / 6.0));
        assert!((e.attack.f1 - 8.0 / 11.0).abs() < 1e-12);
        assert_eq!((e.normal.precision, e.normal.recall), (0.6, 0.75));
        assert!((e.normal.f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((e.macro_f1 - (8.0 / 11.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        assert_eq!((e.attack.support, e.normal.support), (6, 4));
        // Pairs (attack, normal) won by the attack: 0.9 0.8 0.7 0.6 beat all 4 (16),
        // 0.4 beats 3, 0.1 beats 1 → 20 of 24.
        assert!((e.roc_auc - 20.0 / 24.0).abs() < 1e-12);
    }

    #[test]
    fn ties_count_half_and_degenerate_cases_do_not_divide_by_zero() {
        assert_eq!(roc_auc(&[0.5, 0.5], &[1, 0]), 0.5);
        assert_eq!(roc_auc(&[0.2, 0.9], &[1, 1]), 0.5);
        let e = Evaluation::new(&[0.1, 0.2], &[0, 0], 0.5);
        assert_eq!(
            (e.attack.precision, e.attack.f1, e.accuracy),
            (0.0, 0.0, 1.0)
        );
    }

    #[test]
    fn roc_curve_area_equals_the_rank_auc() {
        let p = [0.9, 0.8, 0.8, 0.6, 0.4, 0.1, 0.8, 0.3, 0.2, 0.05];
        let y = [1, 1, 0, 1, 1, 1, 0, 0, 1, 0];
        let curve = roc_curve(&p, &y);
        let area: f64 = curve
            .windows(2)
            .map(|w| {
                (w[1].false_positive_rate - w[0].false_positive_rate)
                    * (w[1].true_positive_rate + w[0].true_positive_rate)
                    / 2.0
            })
            .sum();
        assert!((area - roc_auc(&p, &y)).abs() < 1e-12);
        assert_eq!(curve.len(), 1 + 8); // 8 distinct probabilities
    }
}
