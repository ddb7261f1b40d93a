//! The detector's one batch input: encoded windows, concatenated row-major.

use flow_features::FeatureMatrix;

use crate::error::{Error, Result};

/// Encoded, scaled windows of `rows` flows of `columns` values each, concatenated row-major
/// (`[windows, rows, columns]` flattened): what [`Detector::probabilities`] and
/// [`Detector::predict_batch`] read.
///
/// Build one from flows with [`Detector::encode_windows`], from a whole encoded file with
/// [`WindowBatch::sliding`], or from values already encoded with [`WindowBatch::from_values`].
///
/// ```
/// use lstm_detector::WindowBatch;
/// let batch = WindowBatch::from_values(vec![0.5; 2 * 10 * 34], 10, 34)?;
/// assert_eq!(batch.len(), 2);
/// assert!(WindowBatch::from_values(vec![0.5; 339], 10, 34).is_err()); // not whole windows
/// # Ok::<(), lstm_detector::Error>(())
/// ```
///
/// [`Detector::probabilities`]: crate::Detector::probabilities
/// [`Detector::predict_batch`]: crate::Detector::predict_batch
/// [`Detector::encode_windows`]: crate::Detector::encode_windows
#[derive(Debug, Clone, PartialEq)]
pub struct WindowBatch {
    values: Vec<f32>,
    rows: usize,
    columns: usize,
}

impl WindowBatch {
    /// An empty batch of windows of `rows` flows with `columns` values each.
    pub fn new(rows: usize, columns: usize) -> Self {
        Self {
            values: Vec::new(),
            rows,
            columns,
        }
    }

    /// Wraps values already encoded; an error unless they are whole windows.
    pub fn from_values(values: Vec<f32>, rows: usize, columns: usize) -> Result<Self> {
        let per_window = rows * columns;
        if per_window == 0 || !values.len().is_multiple_of(per_window) {
            return Err(Error::BatchShape {
                len: values.len(),
                rows,
                columns,
            });
        }
        Ok(Self {
            values,
            rows,
            columns,
        })
    }

    /// A batch of the one window `window` (e.g. from [`flow_features::Preprocessor::window`]),
    /// taking its values over.
    pub fn from_window(window: FeatureMatrix) -> Self {
        let (rows, columns) = (window.rows(), window.columns());
        Self {
            values: window.into_values(),
            rows,
            columns,
        }
    }

    /// Every window of `rows` consecutive rows of `matrix`, in order (the `k`-th ends at row
    /// `k + rows - 1`): empty when the matrix has fewer rows.
    pub fn sliding(matrix: &FeatureMatrix, rows: usize) -> Self {
        let mut batch = Self::new(rows, matrix.columns());
        matrix
            .sliding_windows(rows)
            .for_each(|window| batch.values.extend_from_slice(window));
        batch
    }

    /// Appends one window (e.g. from [`flow_features::Preprocessor::window`]).
    pub fn push(&mut self, window: &FeatureMatrix) -> Result<()> {
        if window.rows() != self.rows || window.columns() != self.columns {
            return Err(Error::WindowShape {
                rows: window.rows(),
                columns: window.columns(),
                expected_rows: self.rows,
                expected_columns: self.columns,
            });
        }
        self.values.extend_from_slice(window.values());
        Ok(())
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        match self.rows * self.columns {
            0 => 0,
            per_window => self.values.len() / per_window,
        }
    }

    /// Whether the batch holds no window.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Flows per window.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Values per flow.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// All values, row-major.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Window `i`, row-major.
    pub fn window(&self, i: usize) -> &[f32] {
        let per_window = self.rows * self.columns;
        &self.values[i * per_window..(i + 1) * per_window]
    }

    /// Removes every window, keeping the allocation.
    pub fn clear(&mut self) {
        self.values.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_windows_are_consecutive_rows() {
        let matrix = FeatureMatrix::new((0..8).map(|v| v as f32).collect(), 2);
        let batch = WindowBatch::sliding(&matrix, 3);
        assert_eq!(batch.len(), 2);
        assert_eq!(batch.window(1), [2., 3., 4., 5., 6., 7.]);
        assert!(WindowBatch::sliding(&matrix, 5).is_empty());
        assert!(WindowBatch::sliding(&matrix, 0).is_empty());
    }

    #[test]
    fn shapes_are_checked() {
        assert!(WindowBatch::from_values(vec![], 10, 34).unwrap().is_empty());
        assert!(WindowBatch::from_values(vec![0.0; 34], 0, 34).is_err());
        let mut batch = WindowBatch::new(2, 3);
        let wrong = FeatureMatrix::new(vec![0.0; 9], 3);
        assert!(batch.push(&wrong).is_err());
        batch.push(&FeatureMatrix::new(vec![1.0; 6], 3)).unwrap();
        assert_eq!((batch.len(), batch.window(0)), (1, &[1.0; 6][..]));
    }
}
