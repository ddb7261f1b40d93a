//! Weights produced by Burn's ONNX import (`burn-onnx`, the successor of `burn-import`).
//!
//! `burn_onnx::ModelGen` turns an ONNX file into Burn code plus a burnpack of its weights, with
//! each ONNX LSTM node mapped to a `burn::nn::Lstm` named `lstm1`, `lstm2`, … and the final
//! MatMul + Add fused into a `Linear` named `linear1`. This module loads that burnpack into the
//! crate's own [`LstmDetector`], so imported and Rust-trained models share one code path.

use std::path::Path;

use burn::tensor::Device;
use burn_store::BurnpackStore;

use crate::error::Result;
use crate::model::{LstmDetector, LstmDetectorConfig};
use crate::model_dir::load_weights;

/// Loads the burnpack that `burn_onnx::ModelGen` wrote for an ONNX graph of the shape
/// `LSTM → … → LSTM → MatMul → Add → Sigmoid` into an [`LstmDetector`] of `config`.
pub fn load_burn_onnx_weights(
    config: &LstmDetectorConfig,
    burnpack: impl AsRef<Path>,
    device: &Device,
) -> Result<LstmDetector> {
    let mut store =
        BurnpackStore::from_file(burnpack.as_ref()).with_remap_pattern(r"^linear1\.", "output.");
    for i in 0..config.hidden_sizes.len() {
        store = store.with_remap_pattern(format!(r"^lstm{}\.", i + 1), format!("layers.{i}."));
    }
    let mut model = config.init_for_load(device);
    load_weights(&mut model, &mut store)?;
    Ok(model)
}
