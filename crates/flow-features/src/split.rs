//! The evaluation protocol's split: stratified, random, reproducible for a seed.
//!
//! As the original (scikit-learn's `train_test_split(stratify=labels, random_state=42)`), each
//! part comes back in random order, and windows are then cut from consecutive rows of a part:
//! a window's nine earlier flows are other rows of the same part, not real traffic over time
//! (the partition files carry no timestamps).

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Row indices of the two parts of a split, each in random order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Rows to fit preprocessing and train on.
    pub train: Vec<usize>,
    /// Rows held out for evaluation.
    pub test: Vec<usize>,
}

impl Split {
    /// Splits rows by their `labels` so that each label keeps its share in both parts:
    /// `round(test_fraction × rows of that label)` go to `test`.
    ///
    /// ```
    /// let labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
    /// let split = flow_features::Split::stratified(&labels, 0.5, 42);
    /// assert_eq!((split.train.len(), split.test.len()), (5, 5));
    /// assert_eq!(split.test.iter().filter(|&&row| labels[row] == 1).count(), 2);
    /// ```
    pub fn stratified(labels: &[u8], test_fraction: f64, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut classes: Vec<u8> = labels.to_vec();
        classes.sort_unstable();
        classes.dedup();
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for class in classes {
            let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
            rows.shuffle(&mut rng);
            let held_out = (rows.len() as f64 * test_fraction.clamp(0.0, 1.0)).round() as usize;
            test.extend_from_slice(&rows[..held_out]);
            train.extend_from_slice(&rows[held_out..]);
        }
        train.shuffle(&mut rng);
        test.shuffle(&mut rng);
        Self { train, test }
    }
}

/// The label of each window of `sequence_length` consecutive rows: its last row's label.
///
/// ```
/// assert_eq!(flow_features::window_labels(&[0, 1, 1, 0], 3), vec![1, 0]);
/// ```
pub fn window_labels(row_labels: &[u8], sequence_length: usize) -> Vec<u8> {
    let first = sequence_length.max(1) - 1;
    row_labels.get(first..).unwrap_or_default().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(normal: usize, attack: usize) -> Vec<u8> {
        let mut labels = vec![0; normal];
        labels.extend(vec![1; attack]);
        labels
    }

    #[test]
    fn split_is_stratified_disjoint_complete_and_seeded() {
        let labels = labels(700, 300);
        let split = Split::stratified(&labels, 0.3, 42);
        assert_eq!((split.train.len(), split.test.len()), (700, 300));
        let attacks = |rows: &[usize]| rows.iter().filter(|&&r| labels[r] == 1).count();
        assert_eq!((attacks(&split.train), attacks(&split.test)), (210, 90));
        let mut all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        assert_eq!(split, Split::stratified(&labels, 0.3, 42));
        assert_ne!(split, Split::stratified(&labels, 0.3, 43));
        // Random order, not grouped by label: the parts are shuffled after stratifying.
        assert!(split.test[..90].iter().any(|&r| labels[r] == 0));
    }

    #[test]
    fn window_labels_are_last_row_labels() {
        assert_eq!(window_labels(&[0, 0, 1, 1, 0], 2), vec![0, 1, 1, 0]);
        assert_eq!(window_labels(&[0, 1], 3), Vec::<u8>::new());
    }
}
