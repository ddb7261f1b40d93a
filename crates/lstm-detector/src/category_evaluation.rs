//! How well a category head names the kind of traffic, on windows with known categories.

use serde::{Deserialize, Serialize};

/// Precision, recall and F1 of one category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryMetrics {
    /// The category's name.
    pub name: String,
    /// Share of the windows predicted as this category that are of it (0 when none is).
    pub precision: f64,
    /// Share of the windows of this category predicted as it.
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// Windows of this category.
    pub support: usize,
}

/// A category head's metrics: each window is predicted its most likely category.
///
/// ```
/// use lstm_detector::CategoryEvaluation;
/// let names = ["Normal", "DoS", "Worms"].map(String::from);
/// // Three windows: Normal predicted Normal, DoS predicted Worms, Worms predicted Worms.
/// let e = CategoryEvaluation::new(&names, &[0, 2, 2], &[0, 1, 2], &[true, true, false]);
/// assert_eq!(e.confusion, [[1, 0, 0], [0, 0, 1], [0, 0, 1]]);
/// assert!((e.accuracy - 2.0 / 3.0).abs() < 1e-12);
/// assert_eq!(e.right_when_verdict_right, 0.5); // of the two windows the binary verdict got right
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryEvaluation {
    /// Windows scored.
    pub windows: usize,
    /// Share of windows whose most likely category is theirs.
    pub accuracy: f64,
    /// Each category's metrics, in the head's order.
    pub categories: Vec<CategoryMetrics>,
    /// Mean F1 over the categories with windows.
    pub macro_f1: f64,
    /// F1 averaged with each category's share of the windows.
    pub weighted_f1: f64,
    /// `confusion[actual][predicted]`, in the head's order.
    pub confusion: Vec<Vec<usize>>,
    /// Among the windows whose binary verdict is right, the share whose category is right too.
    pub right_when_verdict_right: f64,
    /// Windows whose binary verdict is right.
    pub verdict_right: usize,
}

impl CategoryEvaluation {
    /// Scores the `predicted` categories against `truth` (both indices into `names`, one per
    /// window); `verdict_right[i]` says whether window `i`'s binary verdict is right.
    ///
    /// # Panics
    /// When the lengths disagree or an index is not below `names.len()`.
    pub fn new(
        names: &[String],
        predicted: &[usize],
        truth: &[u8],
        verdict_right: &[bool],
    ) -> Self {
        let count = names.len();
        assert_eq!(predicted.len(), truth.len(), "one prediction per window");
        assert_eq!(truth.len(), verdict_right.len(), "one verdict per window");
        let mut confusion = vec![vec![0usize; count]; count];
        let (mut right_and_verdict, mut verdicts) = (0, 0);
        for ((&predicted, &actual), &verdict) in predicted.iter().zip(truth).zip(verdict_right) {
            confusion[usize::from(actual)][predicted] += 1;
            if verdict {
                verdicts += 1;
                right_and_verdict += usize::from(predicted == usize::from(actual));
            }
        }
        let windows = truth.len();
        let categories: Vec<CategoryMetrics> = (0..count)
            .map(|c| {
                let support: usize = confusion[c].iter().sum();
                let predicted: usize = confusion.iter().map(|row| row[c]).sum();
                let hits = confusion[c][c] as f64;
                let precision = ratio(hits, predicted as f64);
                let recall = ratio(hits, support as f64);
                CategoryMetrics {
                    name: names[c].clone(),
                    precision,
                    recall,
                    f1: ratio(2.0 * precision * recall, precision + recall),
                    support,
                }
            })
            .collect();
        let present: Vec<&CategoryMetrics> = categories.iter().filter(|m| m.support > 0).collect();
        let macro_f1 = ratio(present.iter().map(|m| m.f1).sum(), present.len() as f64);
        let weighted_f1 = ratio(
            categories.iter().map(|m| m.f1 * m.support as f64).sum(),
            windows as f64,
        );
        let hits: usize = (0..count).map(|c| confusion[c][c]).sum();
        Self {
            windows,
            accuracy: ratio(hits as f64, windows as f64),
            categories,
            macro_f1,
            weighted_f1,
            confusion,
            right_when_verdict_right: ratio(right_and_verdict as f64, verdicts as f64),
            verdict_right: verdicts,
        }
    }
}

/// Index of the largest value (the first of equals); training picks its predictions with it.
#[cfg(any(test, feature = "train"))]
pub(crate) fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &p) in row.iter().enumerate() {
        if p > row[best] {
            best = i;
        }
    }
    best
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 {
        numerator / denominator
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_f1_skips_categories_without_windows_and_weighted_f1_weighs_by_support() {
        let names = ["A", "B", "C"].map(String::from);
        // Four A (three right, one called B), one B (right), no C.
        let e = CategoryEvaluation::new(&names, &[0, 0, 0, 1, 1], &[0, 0, 0, 0, 1], &[true; 5]);
        let f1_a = 2.0 * 1.0 * 0.75 / 1.75;
        let f1_b = 2.0 * 0.5 * 1.0 / 1.5;
        assert!((e.macro_f1 - (f1_a + f1_b) / 2.0).abs() < 1e-12);
        assert!((e.weighted_f1 - (4.0 * f1_a + f1_b) / 5.0).abs() < 1e-12);
        assert_eq!(e.categories[2].support, 0);
        assert_eq!(argmax(&[0.2, 0.5, 0.5]), 1);
    }
}
