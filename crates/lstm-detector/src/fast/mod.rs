//! A hand-written forward pass over the Burn network's weights, for inference.
//!
//! The LSTM is a few small matrix products per step; Burn's general tensor machinery spends
//! more time dispatching and allocating than computing them. This path copies the weights once
//! into plain row-major buffers (the four gates side by side; code embeddings pre-multiplied by
//! the first layer's weights), projects every flow of a call through the first layer's input
//! weights (once per flow, however many of the call's sliding windows hold it), then advances
//! blocks of windows through the steps together, one register-blocked product with the
//! recurrent weights per step, without allocation; the dense layers of the heads are
//! register-blocked products too, which stream the weights without repacking them per call.
//! Every row is summed in the same order whatever its batch, so a window's scores do not
//! depend on the batch it comes in. Batches from 64 windows are split across threads. It
//! computes what [`LstmDetector::forward`] computes, to float rounding (the tests hold it
//! within 1e-5 of Burn).
//!
//! - [`arrangement`] – how a call's flows make its windows (apart, or sliding over one run);
//! - [`weights`] – the weights copied out of Burn, gates side by side;
//! - [`forward`] – the pass itself: projections, layers, trunk and heads;
//! - [`lstm`] – one layer's recurrence over a batch, blocks of windows at a time;
//! - [`kernels`] – the numeric kernels (products, activations) every step uses, and the
//!   instruction sets they are compiled for.

mod arrangement;
mod forward;
mod kernels;
mod lstm;
mod weights;

use crate::denormals::FlushDenormals;
use crate::error::{Error, Result};
use crate::model::LstmDetector;

pub(crate) use arrangement::Arrangement;
use kernels::{Avx2, Avx512, Portable};
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

    /// Scores of the windows of `flows` (encoded flows, concatenated row-major), arranged in
    /// windows of `steps` flows as `arrangement` says.
    pub(crate) fn scores(
        &self,
        flows: &[f32],
        steps: usize,
        arrangement: Arrangement,
    ) -> Result<Scores> {
        let batch = arrangement.windows(flows.len() / self.input_columns, steps);
        if batch == 0 {
            return Ok(Scores {
                probabilities: Vec::new(),
                categories: Vec::new(),
            });
        }
        self.check_codes(flows)?;
        let width = self.out_width();
        let mut out = vec![0.0; batch * width];
        let threads = (batch / WINDOWS_PER_THREAD).clamp(1, self.threads);
        if threads == 1 {
            self.forward(flows, steps, arrangement, &mut out);
        } else {
            let chunk = batch.div_ceil(threads);
            // Every share on a new thread while the caller sleeps: running one share on the
            // caller measured slower (batch 64: 223 → 239-284 µs), the new thread being woken
            // on the busy caller's core.
            std::thread::scope(|scope| {
                for (share, out) in out.chunks_mut(chunk * width).enumerate() {
                    let windows = out.len() / width;
                    let first = arrangement.first_flow(share * chunk, steps) * self.input_columns;
                    let len = arrangement.flows(windows, steps) * self.input_columns;
                    let flows = &flows[first..][..len];
                    scope.spawn(move || self.forward(flows, steps, arrangement, out));
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
    pub(crate) fn check_codes(&self, flows: &[f32]) -> Result<()> {
        for flow in flows.chunks_exact(self.input_columns) {
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

    /// The forward pass of one share of windows into `out` (per window the attack
    /// probability, then the category probabilities), compiled for AVX-512 or AVX2 + FMA when
    /// the CPU has them (16 or 8 lanes instead of SSE2's 4).
    fn forward(&self, flows: &[f32], steps: usize, arrangement: Arrangement, out: &mut [f32]) {
        let _flush = FlushDenormals::new();
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("fma")
            {
                // SAFETY: the CPU supports the features, checked just above.
                return unsafe { self.forward_avx512(flows, steps, arrangement, out) };
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                // SAFETY: the CPU supports both features, checked just above.
                return unsafe { self.forward_avx2(flows, steps, arrangement, out) };
            }
        }
        self.forward_with::<Portable>(flows, steps, arrangement, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn forward_avx512(
        &self,
        flows: &[f32],
        steps: usize,
        arrangement: Arrangement,
        out: &mut [f32],
    ) {
        self.forward_with::<Avx512>(flows, steps, arrangement, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn forward_avx2(
        &self,
        flows: &[f32],
        steps: usize,
        arrangement: Arrangement,
        out: &mut [f32],
    ) {
        self.forward_with::<Avx2>(flows, steps, arrangement, out);
    }
}

#[cfg(test)]
mod tests;
