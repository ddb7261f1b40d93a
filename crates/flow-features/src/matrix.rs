//! Encoded, scaled flows as a row-major `f32` matrix, and the windows the detectors read.

/// Encoded and scaled flows: one row per flow, one column per model feature, row-major.
///
/// A window is `sequence_length` consecutive rows; since rows are stored contiguously, every
/// sliding window is a plain slice of [`FeatureMatrix::values`].
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    values: Vec<f32>,
    columns: usize,
}

impl FeatureMatrix {
    /// Wraps row-major values; `values.len()` must be a multiple of `columns`.
    ///
    /// # Panics
    /// When `columns` is zero or does not divide `values.len()`.
    pub fn new(values: Vec<f32>, columns: usize) -> Self {
        assert!(
            columns > 0 && values.len().is_multiple_of(columns),
            "ragged matrix"
        );
        Self { values, columns }
    }

    /// Number of rows (flows).
    pub fn rows(&self) -> usize {
        self.values.len() / self.columns
    }

    /// Number of columns (model features).
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// All values, row-major.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Consumes the matrix, returning its row-major values.
    pub fn into_values(self) -> Vec<f32> {
        self.values
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.columns..(i + 1) * self.columns]
    }

    /// Every window of `len` consecutive rows, in order: row-major `[len, columns]` slices, the
    /// `k`-th ending at row `k + len - 1`. Empty when there are fewer than `len` rows.
    ///
    /// ```
    /// use flow_features::FeatureMatrix;
    /// let m = FeatureMatrix::new((0..8).map(|v| v as f32).collect(), 2); // 4 rows
    /// let windows: Vec<&[f32]> = m.sliding_windows(3).collect();
    /// assert_eq!(windows, [&[0., 1., 2., 3., 4., 5.][..], &[2., 3., 4., 5., 6., 7.][..]]);
    /// ```
    pub fn sliding_windows(&self, len: usize) -> impl ExactSizeIterator<Item = &[f32]> + '_ {
        let size = (len * self.columns).max(1);
        let count = (self.rows() + 1).saturating_sub(len.max(1));
        (0..count).map(move |k| &self.values[k * self.columns..k * self.columns + size])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_few_rows_give_no_window() {
        let m = FeatureMatrix::new(vec![0.0; 6], 2);
        assert_eq!(m.sliding_windows(4).count(), 0);
        assert_eq!(m.sliding_windows(3).count(), 1);
        assert_eq!(m.sliding_windows(1).count(), 3);
        assert_eq!(m.row(2), &[0.0, 0.0]);
    }
}
