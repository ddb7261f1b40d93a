//! A hand-written forward pass over the Burn network's weights, for inference.
//!
//! The LSTM is a few small matrix products per step; Burn's general tensor machinery spends
//! more time dispatching and allocating than computing them. This path copies the weights once
//! into plain row-major buffers (the four gates side by side; code embeddings pre-multiplied by
//! the first layer's weights), projects all flows of a batch through each layer's input weights
//! in one matrix product laid out step by step, then advances blocks of windows through the
//! steps together, one register-blocked product with the recurrent weights per step, in place
//! and without allocation. Batches from 64 windows are split across threads. It computes what
//! [`LstmDetector::forward`] computes, to float rounding (the tests hold it within 1e-5 of
//! Burn).

//!
//! - [`weights`] – the weights copied out of Burn, gates side by side;
//! - [`lstm`] – one layer's recurrence over a batch, blocks of windows at a time;
//! - [`kernels`] – the numeric kernels (products, activations) every step uses.

mod kernels;
mod lstm;
mod weights;

use crate::denormals::FlushDenormals;
use crate::error::{Error, Result};
use crate::model::LstmDetector;

use kernels::{sigmoid, softmax_in_place};
use lstm::run_layer;
use weights::{CodeColumn, Dense, FastLstm, param, project_codes};

/// Windows per thread below which a batch is not split.
const WINDOWS_PER_THREAD: usize = 32;

/// The network's weights as plain buffers.
#[derive(Debug, Clone)]
pub(crate) struct FastNetwork {
    input_columns: usize,
    numeric: Vec<usize>,
    codes: Vec<CodeColumn>,
    table: Vec<f32>,
    dim: usize,
    /// Each code's embedding row times its rows of the first layer's input weights,
    /// `[Σ cardinalities, 4 · d_hidden]`: the first projection adds one row per code instead of
    /// multiplying `dim` embedding values (most of a flow's features are codes).
    code_projections: Vec<f32>,
    layers: Vec<FastLstm>,
    head: Vec<Dense>,
    output: Dense,
    /// The category head's members (ReLU layers and output, their logits averaged), reading
    /// what `head` reads.
    category: Option<Vec<(Vec<Dense>, Dense)>>,
    threads: usize,
}

/// What the network says about a batch of windows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scores {
    /// Attack probability of each window.
    pub(crate) probabilities: Vec<f32>,
    /// Category probabilities, `categories` per window in the head's order; empty without a
    /// category head.
    pub(crate) categories: Vec<f32>,
}

impl FastNetwork {
    /// Copies the weights of `model`, which reads `input_columns` columns per flow.
    pub(crate) fn new(model: &LstmDetector, input_columns: usize) -> Result<Self> {
        let layout = model.layout();
        let (table, dim) = match &model.embedding {
            Some(embedding) => {
                let [_, dim] = embedding.weight.val().dims();
                (param(&embedding.weight)?, dim)
            }
            None => (Vec::new(), 0),
        };
        let mut projection_offset = 0;
        let codes: Vec<CodeColumn> = layout
            .codes
            .iter()
            .zip(&layout.offsets)
            .zip(&layout.cardinalities)
            .map(|((&column, &offset), &cardinality)| {
                let code = CodeColumn {
                    column: column as usize,
                    offset: offset as usize,
                    projection_offset,
                    cardinality,
                };
                projection_offset += cardinality;
                code
            })
            .collect();
        let numeric: Vec<usize> = if model.embedding.is_some() {
            layout.numeric.iter().map(|&c| c as usize).collect()
        } else {
            (0..input_columns).collect()
        };
        let layers: Vec<FastLstm> = model
            .layers
            .iter()
            .map(FastLstm::new)
            .collect::<Result<_>>()?;
        if layers.is_empty() {
            return Err(Error::InvalidModel("the network has no LSTM layer".into()));
        }
        let code_projections = project_codes(&codes, &table, dim, numeric.len(), &layers[0]);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            input_columns,
            numeric,
            codes,
            table,
            dim,
            code_projections,
            layers,
            head: model.head.iter().map(Dense::new).collect::<Result<_>>()?,
            output: Dense::new(&model.output)?,
            category: model
                .category
                .as_ref()
                .map(|head| {
                    (head.members.iter())
                        .map(|member| -> Result<_> {
                            let layers = member.layers.iter().map(Dense::new);
                            Ok((layers.collect::<Result<_>>()?, Dense::new(&member.output)?))
                        })
                        .collect::<Result<Vec<_>>>()
                })
                .transpose()?,
            threads,
        })
    }

    fn flow_features(&self) -> usize {
        self.numeric.len() + self.codes.len() * self.dim
    }

    /// Categories the category head scores (0 without one).
    fn categories(&self) -> usize {
        (self.category.as_ref())
            .and_then(|members| members.first())
            .map_or(0, |(_, output)| output.d_output)
    }

    /// Outputs per window: the attack probability, then the category probabilities.
    fn out_width(&self) -> usize {
        1 + self.categories()
    }

    /// Scores of `batch` windows of `steps` flows, concatenated row-major.
    pub(crate) fn scores(&self, windows: &[f32], steps: usize) -> Result<Scores> {
        let per_window = steps * self.input_columns;
        let batch = windows.len() / per_window;
        self.check_codes(windows)?;
        let width = self.out_width();
        let mut out = vec![0.0; batch * width];
        let threads = (batch / WINDOWS_PER_THREAD).clamp(1, self.threads);
        if threads == 1 {
            self.forward(windows, steps, &mut out);
        } else {
            let chunk = batch.div_ceil(threads);
            // Every share on a new thread while the caller sleeps: running one share on the
            // caller measured slower (batch 64: 223 → 239-284 µs), the new thread being woken
            // on the busy caller's core.
            std::thread::scope(|scope| {
                for (windows, out) in windows
                    .chunks(chunk * per_window)
                    .zip(out.chunks_mut(chunk * width))
                {
                    scope.spawn(move || self.forward(windows, steps, out));
                }
            });
        }
        if width == 1 {
            return Ok(Scores {
                probabilities: out,
                categories: Vec::new(),
            });
        }
        let mut probabilities = Vec::with_capacity(batch);
        let mut categories = Vec::with_capacity(batch * (width - 1));
        for row in out.chunks_exact(width) {
            probabilities.push(row[0]);
            categories.extend_from_slice(&row[1..]);
        }
        Ok(Scores {
            probabilities,
            categories,
        })
    }

    /// Every code column must hold a whole number inside its embedding table.
    fn check_codes(&self, windows: &[f32]) -> Result<()> {
        for flow in windows.chunks_exact(self.input_columns) {
            for code in &self.codes {
                let value = flow[code.column];
                if !(value >= 0.0 && value < code.cardinality as f32 && value.fract() == 0.0) {
                    return Err(Error::CodeOutOfRange {
                        column: code.column,
                        value,
                        cardinality: code.cardinality,
                    });
                }
            }
        }
        Ok(())
    }

    /// The forward pass of one chunk of windows into `out` (per window the attack probability,
    /// then the category probabilities), compiled
    /// for AVX2 + FMA when the CPU has them (8 lanes instead of SSE2's 4).
    fn forward(&self, windows: &[f32], steps: usize, out: &mut [f32]) {
        let _flush = FlushDenormals::new();
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports both features, checked just above.
            return unsafe { self.forward_avx2(windows, steps, out) };
        }
        self.forward_with::<false>(windows, steps, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn forward_avx2(&self, windows: &[f32], steps: usize, out: &mut [f32]) {
        self.forward_with::<true>(windows, steps, out);
    }

    /// Everything below is inlined into the caller, so it is compiled for its features;
    /// `FMA` says whether fused multiply-adds are single instructions there.
    #[inline(always)]
    fn forward_with<const FMA: bool>(&self, windows: &[f32], steps: usize, out: &mut [f32]) {
        let width = self.out_width();
        let batch = out.len() / width;
        let rows = batch * steps;
        let n_numeric = self.numeric.len();
        // Numeric features of every flow, step by step (row t · batch + b).
        let mut numeric = vec![0.0f32; rows * n_numeric];
        for (b, window) in windows.chunks_exact(steps * self.input_columns).enumerate() {
            for (t, flow) in window.chunks_exact(self.input_columns).enumerate() {
                let target = &mut numeric[(t * batch + b) * n_numeric..][..n_numeric];
                for (slot, &column) in target.iter_mut().zip(&self.numeric) {
                    *slot = flow[column];
                }
            }
        }

        let mut hidden = Vec::new();
        let mut sequence = Vec::new();
        for (index, layer) in self.layers.iter().enumerate() {
            let last = index + 1 == self.layers.len();
            // The first layer reads the flows (numeric product + one projected row per code);
            // each later one its predecessor's outputs.
            let projected = if index == 0 {
                let mut projected = layer.project(&numeric, n_numeric, rows);
                self.add_code_projections(windows, steps, &mut projected);
                projected
            } else {
                layer.project(&sequence, layer.d_input, rows)
            };
            let (h, outputs) = run_layer::<FMA>(layer, projected, batch, steps, !last);
            hidden = h;
            sequence = outputs;
        }

        // The trunk: [last hidden state, newest flow] (the hidden state alone without a head).
        let mut trunk = hidden;
        let d_trunk = self.layers.last().map_or(0, |l| l.d_hidden);
        if !self.head.is_empty() {
            let width = self.flow_features();
            let joined_width = d_trunk + width;
            let mut joined = vec![0.0; batch * joined_width];
            for ((row, h), window) in joined
                .chunks_exact_mut(joined_width)
                .zip(trunk.chunks_exact(d_trunk))
                .zip(windows.chunks_exact(steps * self.input_columns))
            {
                let (state, flow) = row.split_at_mut(d_trunk);
                state.copy_from_slice(h);
                self.embed_flow(&window[(steps - 1) * self.input_columns..], flow);
            }
            trunk = joined;
        }
        if let Some(members) = &self.category {
            let categories = width - 1;
            let mut logits = vec![0.0; batch * categories];
            for (layers, output) in members {
                let hidden = relu_layers(layers, &trunk, batch);
                let member = apply(output, hidden.as_deref().unwrap_or(&trunk), batch);
                logits.iter_mut().zip(member).for_each(|(sum, z)| *sum += z);
            }
            if members.len() > 1 {
                let scale = 1.0 / members.len() as f32;
                logits.iter_mut().for_each(|z| *z *= scale);
            }
            for (row, logits) in out
                .chunks_exact_mut(width)
                .zip(logits.chunks_exact_mut(categories))
            {
                softmax_in_place(logits);
                row[1..].copy_from_slice(logits);
            }
        }
        let features = relu_layers(&self.head, &trunk, batch);
        let features = features.as_deref().unwrap_or(&trunk);
        debug_assert_eq!(features.len(), batch * self.output.d_input);
        for (row, z) in out
            .chunks_exact_mut(width)
            .zip(apply(&self.output, features, batch))
        {
            row[0] = sigmoid(z);
        }
    }

    /// Adds every flow's projected code rows to its row of the first layer's projection
    /// (rows step by step, as [`FastLstm::project`] lays them out).
    #[inline(always)]
    fn add_code_projections(&self, windows: &[f32], steps: usize, projected: &mut [f32]) {
        if self.codes.is_empty() {
            return;
        }
        let width = 4 * self.layers[0].d_hidden;
        let batch = windows.len() / (steps * self.input_columns);
        // Where each code's projected row starts, for the current flow.
        let mut rows = Vec::with_capacity(self.codes.len());
        for (b, window) in windows.chunks_exact(steps * self.input_columns).enumerate() {
            for (t, flow) in window.chunks_exact(self.input_columns).enumerate() {
                rows.clear();
                rows.extend(
                    self.codes
                        .iter()
                        .map(|code| (code.projection_offset + flow[code.column] as usize) * width),
                );
                let target = &mut projected[(t * batch + b) * width..][..width];
                // 32 outputs at a time summed over all codes in registers, stored once.
                let mut chunks = target.chunks_exact_mut(32);
                let mut start = 0;
                for chunk in &mut chunks {
                    let chunk: &mut [f32; 32] = chunk.try_into().expect("32 outputs");
                    let mut sum = *chunk;
                    for &row in &rows {
                        let source: &[f32; 32] = self.code_projections[row + start..][..32]
                            .try_into()
                            .expect("32 values");
                        for (s, &p) in sum.iter_mut().zip(source) {
                            *s += p;
                        }
                    }
                    *chunk = sum;
                    start += 32;
                }
                for (offset, x) in chunks.into_remainder().iter_mut().enumerate() {
                    *x += rows
                        .iter()
                        .map(|&row| self.code_projections[row + start + offset])
                        .sum::<f32>();
                }
            }
        }
    }

    /// One flow's network features: its numeric columns, then each code's embedding row.
    fn embed_flow(&self, flow: &[f32], features: &mut [f32]) {
        let (numeric, embedded) = features.split_at_mut(self.numeric.len());
        for (slot, &column) in numeric.iter_mut().zip(&self.numeric) {
            *slot = flow[column];
        }
        for (code, target) in self.codes.iter().zip(embedded.chunks_exact_mut(self.dim)) {
            let row = code.offset + flow[code.column] as usize;
            target.copy_from_slice(&self.table[row * self.dim..][..self.dim]);
        }
    }
}

/// `input` through ReLU `layers`; `None` when there are none (the input is the output).
#[inline(always)]
fn relu_layers(layers: &[Dense], input: &[f32], batch: usize) -> Option<Vec<f32>> {
    let mut features: Option<Vec<f32>> = None;
    for layer in layers {
        let mut next = apply(layer, features.as_deref().unwrap_or(input), batch);
        next.iter_mut().for_each(|x| *x = x.max(0.0));
        features = Some(next);
    }
    features
}

/// `layer` applied to `batch` rows of `input`.
#[inline(always)]
fn apply(layer: &Dense, input: &[f32], batch: usize) -> Vec<f32> {
    let mut out = vec![0.0; batch * layer.d_output];
    layer.apply(input, batch, &mut out);
    out
}

#[cfg(test)]
mod tests;
