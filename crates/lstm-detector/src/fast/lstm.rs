//! One LSTM layer's recurrence over a batch: blocks of windows advance through the steps
//! together, one register-blocked product with the recurrent weights per step.

use super::kernels::{Isa, madd, rows_times_matrix_plus, sigmoid_in_place, tanh};
use super::weights::FastLstm;

/// Windows advanced together through each step: their recurrent products share every weight
/// load and give the CPU independent multiply-add chains to overlap.
pub(super) const WINDOWS_PER_BLOCK: usize = 4;

/// Runs one LSTM layer's recurrence over `batch` windows of `steps` steps. `projected` holds
/// the input projections (bias included), one row of `4 · d_hidden` per flow, laid out so that
/// window `b`'s step `t` is row `t · step_stride + b`: `step_stride = batch` for windows stored
/// step by step, 1 for the sliding windows of one run of flows (which share their rows).
/// Returns the last hidden state `[batch, d_hidden]` and, when `keep_sequence`, every step's
/// hidden state, step by step (row `t · batch + b`).
#[inline(always)]
pub(super) fn run_layer<I: Isa>(
    layer: &FastLstm,
    projected: &[f32],
    step_stride: usize,
    batch: usize,
    steps: usize,
    keep_sequence: bool,
) -> (Vec<f32>, Vec<f32>) {
    let hidden_size = layer.d_hidden;
    let width = 4 * hidden_size;
    let mut hidden = vec![0.0; batch * hidden_size];
    let mut cell = vec![0.0; WINDOWS_PER_BLOCK * hidden_size];
    let mut gates = vec![0.0; WINDOWS_PER_BLOCK * width];
    let mut sequence = if keep_sequence {
        vec![0.0; batch * steps * hidden_size]
    } else {
        Vec::new()
    };
    // A block of windows goes through all steps while its state is in cache.
    for (block, h) in hidden
        .chunks_mut(WINDOWS_PER_BLOCK * hidden_size)
        .enumerate()
    {
        let first = block * WINDOWS_PER_BLOCK;
        let windows = h.len() / hidden_size;
        let cell = &mut cell[..windows * hidden_size];
        let gates = &mut gates[..windows * width];
        cell.fill(0.0);
        for t in 0..steps {
            // The block's rows at step t are consecutive in either layout.
            let inputs = &projected[(t * step_stride + first) * width..][..windows * width];
            // h₀ = 0: the first step has no recurrent term.
            if t == 0 {
                gates.copy_from_slice(inputs);
            } else {
                rows_times_matrix_plus::<I>(h, hidden_size, &layer.hidden_weights, inputs, gates);
            }
            // One pass for all four gates: the cell gate's weights were doubled, so its
            // sigmoid s gives tanh as 2s − 1.
            sigmoid_in_place(gates);
            for ((g, c), h) in gates
                .chunks_exact(width)
                .zip(cell.chunks_exact_mut(hidden_size))
                .zip(h.chunks_exact_mut(hidden_size))
            {
                let (input_gate, rest) = g.split_at(hidden_size);
                let (forget_gate, rest) = rest.split_at(hidden_size);
                let (candidate, output_gate) = rest.split_at(hidden_size);
                // Zipped iterators, not indices: no bounds checks, so the loop vectorizes.
                for ((((c, h), &i), &f), (&g, &o)) in c
                    .iter_mut()
                    .zip(h.iter_mut())
                    .zip(input_gate)
                    .zip(forget_gate)
                    .zip(candidate.iter().zip(output_gate))
                {
                    *c = madd::<I>(f, *c, i * (2.0 * g - 1.0));
                    *h = o * tanh(*c);
                }
            }
            if keep_sequence {
                sequence[(t * batch + first) * hidden_size..][..h.len()].copy_from_slice(h);
            }
        }
    }
    (hidden, sequence)
}
