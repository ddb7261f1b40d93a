//! The forward pass over one share of a call's windows: the first layer's projection of every
//! flow, the LSTM layers, the trunk and the heads.

use super::FastNetwork;
use super::arrangement::Arrangement;
use super::kernels::{Isa, sigmoid, softmax_in_place};
use super::lstm::run_layer;
use super::weights::Dense;

impl FastNetwork {
    /// The pass for the instruction set `I`. It and every kernel it calls are inlined into
    /// the caller, so they are compiled for the caller's target features.
    #[inline(always)]
    pub(super) fn forward_with<I: Isa>(
        &self,
        flows: &[f32],
        steps: usize,
        arrangement: Arrangement,
        out: &mut [f32],
    ) {
        let width = self.out_width();
        let batch = out.len() / width;
        let rows = flows.len() / self.input_columns;
        debug_assert_eq!(arrangement.windows(rows, steps), batch);
        let step_stride = arrangement.step_stride(batch);
        let flow = |index: usize| &flows[index * self.input_columns..][..self.input_columns];
        let projected_flow = |row: usize| flow(arrangement.projected_flow(row, batch, steps));
        // Numeric features of every flow, in the projection's row order.
        let n_numeric = self.numeric.len();
        let mut numeric = vec![0.0f32; rows * n_numeric];
        for (row, target) in numeric.chunks_exact_mut(n_numeric.max(1)).enumerate() {
            let flow = projected_flow(row);
            for (slot, &column) in target.iter_mut().zip(&self.numeric) {
                *slot = flow[column];
            }
        }

        let mut hidden = Vec::new();
        let mut sequence = Vec::new();
        for (index, layer) in self.layers.iter().enumerate() {
            let last = index + 1 == self.layers.len();
            // The first layer reads the flows (numeric product + one projected row per code);
            // each later one its predecessor's outputs, per window and step by step.
            let (h, outputs) = if index == 0 {
                let mut projected = layer.project::<I>(&numeric, n_numeric, rows);
                self.add_code_projections(rows, &projected_flow, &mut projected);
                run_layer::<I>(layer, &projected, step_stride, batch, steps, !last)
            } else {
                let projected = layer.project::<I>(&sequence, layer.d_input, batch * steps);
                run_layer::<I>(layer, &projected, batch, batch, steps, !last)
            };
            hidden = h;
            sequence = outputs;
        }

        // The trunk: [last hidden state, newest flow] (the hidden state alone without a head).
        let mut trunk = hidden;
        let d_trunk = self.layers.last().map_or(0, |l| l.d_hidden);
        if !self.head.is_empty() {
            let features = self.flow_features();
            let joined_width = d_trunk + features;
            let mut joined = vec![0.0; batch * joined_width];
            for (b, (row, h)) in joined
                .chunks_exact_mut(joined_width)
                .zip(trunk.chunks_exact(d_trunk))
                .enumerate()
            {
                let (state, newest) = row.split_at_mut(d_trunk);
                state.copy_from_slice(h);
                self.embed_flow(flow(arrangement.first_flow(b, steps) + steps - 1), newest);
            }
            trunk = joined;
        }
        if let Some(members) = &self.category {
            let categories = width - 1;
            let mut logits = vec![0.0; batch * categories];
            for (layers, output) in members {
                let hidden = relu_layers::<I>(layers, &trunk, batch);
                let member = apply::<I>(output, hidden.as_deref().unwrap_or(&trunk), batch);
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
        let features = relu_layers::<I>(&self.head, &trunk, batch);
        let features = features.as_deref().unwrap_or(&trunk);
        debug_assert_eq!(features.len(), batch * self.output.d_input);
        for (row, z) in out
            .chunks_exact_mut(width)
            .zip(apply::<I>(&self.output, features, batch))
        {
            row[0] = sigmoid(z);
        }
    }

    /// Adds each of the `rows` projected flows' code rows to its row of the first layer's
    /// projection; `flow(row)` is the flow projected into `row`.
    #[inline(always)]
    fn add_code_projections<'f>(
        &self,
        rows: usize,
        flow: &impl Fn(usize) -> &'f [f32],
        projected: &mut [f32],
    ) {
        if self.codes.is_empty() {
            return;
        }
        let width = 4 * self.layers[0].d_hidden;
        // Where each code's projected row starts, for the current flow.
        let mut starts = Vec::with_capacity(self.codes.len());
        for (row, target) in projected.chunks_exact_mut(width).take(rows).enumerate() {
            let flow = flow(row);
            starts.clear();
            starts.extend(
                self.codes
                    .iter()
                    .map(|code| (code.projection_offset + flow[code.column] as usize) * width),
            );
            // 32 outputs at a time summed over all codes in registers, stored once.
            let mut chunks = target.chunks_exact_mut(32);
            let mut start = 0;
            for chunk in &mut chunks {
                let chunk: &mut [f32; 32] = chunk.try_into().expect("32 outputs");
                let mut sum = *chunk;
                for &code_row in &starts {
                    let source: &[f32; 32] = self.code_projections[code_row + start..][..32]
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
                *x += starts
                    .iter()
                    .map(|&code_row| self.code_projections[code_row + start + offset])
                    .sum::<f32>();
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
fn relu_layers<I: Isa>(layers: &[Dense], input: &[f32], batch: usize) -> Option<Vec<f32>> {
    let mut features: Option<Vec<f32>> = None;
    for layer in layers {
        let mut next = apply::<I>(layer, features.as_deref().unwrap_or(input), batch);
        next.iter_mut().for_each(|x| *x = x.max(0.0));
        features = Some(next);
    }
    features
}

/// `layer` applied to `batch` rows of `input`.
#[inline(always)]
fn apply<I: Isa>(layer: &Dense, input: &[f32], batch: usize) -> Vec<f32> {
    let mut out = vec![0.0; batch * layer.d_output];
    layer.apply::<I>(input, batch, &mut out);
    out
}
