//! Encoded rows with their labels, in window order.

use flow_features::FeatureMatrix;

/// Rows in window order with one label each; window `i` is rows `i..i + sequence_length`,
/// labelled by its last row.
#[derive(Debug, Clone)]
pub struct LabeledRows {
    /// Encoded rows (a [`flow_features::Preprocessor`]'s output).
    pub rows: FeatureMatrix,
    /// One label per row: 0 normal, 1 attack.
    pub labels: Vec<u8>,
    /// One category per row, an index into the architecture's
    /// [`categories`](crate::LstmDetectorConfig::categories); `None` to train no category
    /// head.
    pub categories: Option<Vec<u8>>,
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

    /// Categories of the windows (their last rows'), when the rows have them.
    pub fn window_categories(&self) -> Option<&[u8]> {
        let categories = self.categories.as_deref()?;
        Some(match self.sequence_length.checked_sub(1) {
            Some(first) => categories.get(first..).unwrap_or_default(),
            None => &[],
        })
    }

    /// Windows `indices`, concatenated row-major.
    pub(super) fn batch(&self, indices: &[usize]) -> Vec<f32> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_labelled_by_their_last_row() {
        let rows = |sequence_length| LabeledRows {
            rows: FeatureMatrix::new(vec![0.0; 3 * 34], 34),
            labels: vec![0, 1, 0],
            categories: Some(vec![0, 2, 1]),
            sequence_length,
        };
        assert!(rows(0).window_labels().is_empty());
        assert_eq!(rows(2).window_labels(), [1, 0]);
        assert_eq!(rows(2).window_categories(), Some(&[2, 1][..]));
        assert_eq!(rows(2).windows(), 2);
        assert_eq!(rows(2).batch(&[1]).len(), 2 * 34);
    }
}
