//! The network's weights copied out of Burn into plain row-major buffers: each LSTM layer's
//! four gates side by side (the cell gate doubled, so one sigmoid pass serves all gates), dense
//! layers as Burn stores them, and each code's embedding pre-multiplied by the first layer.

use burn::module::Param;
use burn::nn::{Linear, Lstm};
use burn::tensor::Tensor;

use super::kernels::{Isa, dense};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub(super) struct CodeColumn {
    pub(super) column: usize,
    /// First row of this column's codes in the embedding table.
    pub(super) offset: usize,
    /// First row of this column's codes in `code_projections`.
    pub(super) projection_offset: usize,
    pub(super) cardinality: usize,
}

/// Position of the cell (candidate) gate among input, forget, cell, output.
const CELL_GATE: usize = 2;

#[derive(Debug, Clone)]
pub(super) struct FastLstm {
    pub(super) d_input: usize,
    pub(super) d_hidden: usize,
    /// `[d_input, 4 · d_hidden]`, gates in the order input, forget, cell, output; the cell
    /// gate's columns doubled.
    pub(super) input_weights: Vec<f32>,
    /// `[d_hidden, 4 · d_hidden]`, same order.
    pub(super) hidden_weights: Vec<f32>,
    /// Input and hidden biases summed, `[4 · d_hidden]`; the cell gate's doubled.
    pub(super) bias: Vec<f32>,
}

#[derive(Debug, Clone)]
pub(super) struct Dense {
    pub(super) d_input: usize,
    pub(super) d_output: usize,
    /// `[d_input, d_output]`, as Burn stores a `Linear`'s weight.
    pub(super) weight: Vec<f32>,
    pub(super) bias: Vec<f32>,
}

fn values<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    tensor.into_data().try_to_vec::<f32>().map_err(Error::from)
}

pub(super) fn param<const D: usize>(param: &Param<Tensor<D>>) -> Result<Vec<f32>> {
    values(param.val())
}

impl Dense {
    pub(super) fn new(linear: &Linear) -> Result<Self> {
        let [d_input, d_output] = linear.weight.val().dims();
        let bias = match &linear.bias {
            Some(bias) => param(bias)?,
            None => vec![0.0; d_output],
        };
        Ok(Self {
            d_input,
            d_output,
            weight: param(&linear.weight)?,
            bias,
        })
    }

    /// `out[rows, d_output] = input[rows, d_input] · weight + bias`.
    #[inline(always)]
    pub(super) fn apply<I: Isa>(&self, input: &[f32], rows: usize, out: &mut [f32]) {
        let k = self.d_input;
        dense::<I>(&input[..rows * k], k, &self.weight, &self.bias, out);
    }
}

impl FastLstm {
    /// Bias plus `input[rows, k]` times the first `k` rows of the input weights, `[rows, 4H]`.
    /// Rows are laid out step by step so that the gates of a block of windows at one step are
    /// contiguous and each step works on them in place.
    #[inline(always)]
    pub(super) fn project<I: Isa>(&self, input: &[f32], k: usize, rows: usize) -> Vec<f32> {
        let width = 4 * self.d_hidden;
        let mut projected = vec![0.0; rows * width];
        let weights = &self.input_weights[..k * width];
        dense::<I>(&input[..rows * k], k, weights, &self.bias, &mut projected);
        projected
    }

    pub(super) fn new(lstm: &Lstm) -> Result<Self> {
        let forget = lstm.forget_gate.as_ref().ok_or_else(|| {
            Error::InvalidModel("the fast forward needs an LSTM with a forget gate".into())
        })?;
        let gates = [&lstm.input_gate, forget, &lstm.cell_gate, &lstm.output_gate];
        let d_hidden = lstm.d_hidden;
        let d_input = gates[0].input_transform.weight.val().dims()[0];
        let width = 4 * d_hidden;
        let mut input_weights = vec![0.0; d_input * width];
        let mut hidden_weights = vec![0.0; d_hidden * width];
        let mut bias = vec![0.0; width];
        for (g, gate) in gates.iter().enumerate() {
            // The cell gate's pre-activation is doubled (exact in floating point) so that one
            // sigmoid pass serves all gates: tanh(x) = 2·sigmoid(2x) − 1.
            let scale = if g == CELL_GATE { 2.0 } else { 1.0 };
            let input = Dense::new(&gate.input_transform)?;
            let hidden = Dense::new(&gate.hidden_transform)?;
            for (weights, source) in [
                (&mut input_weights, &input.weight),
                (&mut hidden_weights, &hidden.weight),
            ] {
                for (r, row) in source.chunks_exact(d_hidden).enumerate() {
                    let target = &mut weights[r * width + g * d_hidden..][..d_hidden];
                    for (t, &w) in target.iter_mut().zip(row) {
                        *t = scale * w;
                    }
                }
            }
            for k in 0..d_hidden {
                bias[g * d_hidden + k] = scale * (input.bias[k] + hidden.bias[k]);
            }
        }
        Ok(Self {
            d_input,
            d_hidden,
            input_weights,
            hidden_weights,
            bias,
        })
    }
}

/// `code_projections` of [`FastNetwork`]: for each code column and code, its embedding row
/// times the first layer's input-weight rows that read that column's embedding (they follow the
/// numeric rows, `dim` per code column, in column order).
pub(super) fn project_codes(
    codes: &[CodeColumn],
    table: &[f32],
    dim: usize,
    n_numeric: usize,
    first: &FastLstm,
) -> Vec<f32> {
    let width = 4 * first.d_hidden;
    let rows: usize = codes.iter().map(|c| c.cardinality).sum();
    let mut projections = vec![0.0; rows * width];
    for (index, code) in codes.iter().enumerate() {
        let weights = &first.input_weights[(n_numeric + index * dim) * width..][..dim * width];
        for value in 0..code.cardinality {
            let embedding = &table[(code.offset + value) * dim..][..dim];
            let target = &mut projections[(code.projection_offset + value) * width..][..width];
            for (&x, weights) in embedding.iter().zip(weights.chunks_exact(width)) {
                for (t, &w) in target.iter_mut().zip(weights) {
                    *t += x * w;
                }
            }
        }
    }
    projections
}
