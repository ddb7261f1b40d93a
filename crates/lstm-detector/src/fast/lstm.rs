//! One LSTM layer's recurrence over a batch: blocks of windows advance through the steps
//! together, one register-blocked product with the recurrent weights per step, in place.

use super::kernels::{add_rows_times_matrix, madd, sigmoid_in_place, tanh};
use super::weights::FastLstm;

/// Windows advanced together through each step: their recurrent products share every weight
/// load and give the CPU independent multiply-add chains to overlap.
pub(super) const WINDOWS_PER_BLOCK: usize = 4;

/// Runs one LSTM layer's recurrence over `batch × steps` input projections laid out step by
/// step (row `t · batch + b`, see [`FastLstm::project`]), updating them in place. Returns the
/// last hidden state `[batch, d_hidden]` and, when `keep_sequence`, every step's hidden state,
/// step by step.
#[inline(always)]
pub(super) fn run_layer<const FMA: bool>(
    layer: &FastLstm,
    mut projected: Vec<f32>,
    batch: usize,
    steps: usize,
    keep_sequence: bool,
) -> (Vec<f32>, Vec<f32>) {
    let hidden_size = layer.d_hidden;
    let width = 4 * hidden_size;
    let rows = batch * steps;
    let mut hidden = vec![0.0; batch * hidden_size];
    let mut cell = vec![0.0; WINDOWS_PER_BLOCK * hidden_size];
    let mut sequence = if keep_sequence {
        vec![0.0; rows * hidden_size]
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
        cell.fill(0.0);
        for t in 0..steps {
            let gates = &mut projected[(t * batch + first) * width..][..windows * width];
            // h₀ = 0: the first step has no recurrent term.
            if t > 0 {
                add_rows_times_matrix::<FMA>(h, hidden_size, &layer.hidden_weights, gates);
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
                    *c = madd::<FMA>(f, *c, i * (2.0 * g - 1.0));
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
