//! The original Python service's behaviour, kept to measure parity with it, never to serve.
//!
//! The original recomputed category codes from the values present in each request (pandas
//! `astype("category").cat.codes`), so the same protocol got different codes in different
//! requests. Its TensorFlow golden outputs were produced that way; reproducing them needs the
//! same defect.

use crate::error::Result;
use crate::matrix::FeatureMatrix;
use crate::preprocessing::{CategoryCoding, Preprocessor};
use crate::schema::FlowRecord;

/// Encodes one window as the original service did: each category column's codes are the
/// sorted distinct values of this window, not the training vocabulary.
///
/// ```
/// use flow_features::{compat, parse_window, Preprocessor};
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/unsw-nb15-seed/preprocessing.json");
/// let pre = Preprocessor::from_file(path)?;
/// let body: serde_json::Value =
///     serde_json::from_str(include_str!("../tests/fixtures/sample_request.json"))?;
/// let flows = parse_window(&body["sequence"], pre.sequence_length())?;
/// let original = compat::window_per_request(&pre, &flows)?;
/// assert_ne!(original, pre.window(&flows)?); // the codes differ from the training ones
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn window_per_request(
    preprocessor: &Preprocessor,
    flows: &[FlowRecord],
) -> Result<FeatureMatrix> {
    preprocessor.window_with(flows, CategoryCoding::PerRequest)
}
