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

use burn::module::Param;
use burn::nn::{Linear, Lstm};
use burn::tensor::Tensor;

use crate::denormals::FlushDenormals;
use crate::error::{Error, Result};
use crate::model::LstmDetector;

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
    threads: usize,
}

#[derive(Debug, Clone)]
struct CodeColumn {
    column: usize,
    /// First row of this column's codes in the embedding table.
    offset: usize,
    /// First row of this column's codes in `code_projections`.
    projection_offset: usize,
    cardinality: usize,
}

/// Position of the cell (candidate) gate among input, forget, cell, output.
const CELL_GATE: usize = 2;

#[derive(Debug, Clone)]
struct FastLstm {
    d_input: usize,
    d_hidden: usize,
    /// `[d_input, 4 · d_hidden]`, gates in the order input, forget, cell, output; the cell
    /// gate's columns doubled.
    input_weights: Vec<f32>,
    /// `[d_hidden, 4 · d_hidden]`, same order.
    hidden_weights: Vec<f32>,
    /// Input and hidden biases summed, `[4 · d_hidden]`; the cell gate's doubled.
    bias: Vec<f32>,
}

#[derive(Debug, Clone)]
struct Dense {
    d_input: usize,
    d_output: usize,
    /// `[d_input, d_output]`, as Burn stores a `Linear`'s weight.
    weight: Vec<f32>,
    bias: Vec<f32>,
}

fn values<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    tensor
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Backend(format!("{e:?}")))
}

fn param<const D: usize>(param: &Param<Tensor<D>>) -> Result<Vec<f32>> {
    values(param.val())
}

impl Dense {
    fn new(linear: &Linear) -> Result<Self> {
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
    fn apply(&self, input: &[f32], rows: usize, out: &mut [f32]) {
        for row in out.chunks_exact_mut(self.d_output).take(rows) {
            row.copy_from_slice(&self.bias);
        }
        let (k, n) = (self.d_input, self.d_output);
        gemm(rows, k, n, input, k, &self.weight, out);
    }
}

impl FastLstm {
    /// Bias plus `input[rows, k]` times the first `k` rows of the input weights, `[rows, 4H]`.
    /// Rows are laid out step by step so that the gates of a block of windows at one step are
    /// contiguous and each step works on them in place.
    fn project(&self, input: &[f32], k: usize, rows: usize) -> Vec<f32> {
        let width = 4 * self.d_hidden;
        let mut projected = self.bias.repeat(rows);
        gemm(
            rows,
            k,
            width,
            input,
            k,
            &self.input_weights[..k * width],
            &mut projected,
        );
        projected
    }

    fn new(lstm: &Lstm) -> Result<Self> {
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
            threads,
        })
    }

    fn flow_features(&self) -> usize {
        self.numeric.len() + self.codes.len() * self.dim
    }

    /// Attack probabilities of `batch` windows of `steps` flows, concatenated row-major.
    pub(crate) fn probabilities(&self, windows: &[f32], steps: usize) -> Result<Vec<f32>> {
        let per_window = steps * self.input_columns;
        let batch = windows.len() / per_window;
        self.check_codes(windows)?;
        let mut out = vec![0.0; batch];
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
                    .zip(out.chunks_mut(chunk))
                {
                    scope.spawn(move || self.forward(windows, steps, out));
                }
            });
        }
        Ok(out)
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

    /// The forward pass of one chunk of windows into `out` (one probability each), compiled
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
        let batch = out.len();
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

        // Head: [last hidden state, newest flow] through ReLU layers, then the output.
        let mut features = hidden;
        let mut d_features = self.layers.last().map_or(0, |l| l.d_hidden);
        if !self.head.is_empty() {
            let width = self.flow_features();
            let joined_width = d_features + width;
            let mut joined = vec![0.0; batch * joined_width];
            for ((row, h), window) in joined
                .chunks_exact_mut(joined_width)
                .zip(features.chunks_exact(d_features))
                .zip(windows.chunks_exact(steps * self.input_columns))
            {
                let (state, flow) = row.split_at_mut(d_features);
                state.copy_from_slice(h);
                self.embed_flow(&window[(steps - 1) * self.input_columns..], flow);
            }
            features = joined;
            d_features = joined_width;
            for layer in &self.head {
                let mut next = vec![0.0; batch * layer.d_output];
                layer.apply(&features, batch, &mut next);
                next.iter_mut().for_each(|x| *x = x.max(0.0));
                features = next;
                d_features = layer.d_output;
            }
        }
        debug_assert_eq!(d_features, self.output.d_input);
        let mut logits = vec![0.0; batch];
        self.output.apply(&features, batch, &mut logits);
        for (p, z) in out.iter_mut().zip(logits) {
            *p = sigmoid(z);
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

/// `code_projections` of [`FastNetwork`]: for each code column and code, its embedding row
/// times the first layer's input-weight rows that read that column's embedding (they follow the
/// numeric rows, `dim` per code column, in column order).
fn project_codes(
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

/// Windows advanced together through each step: their recurrent products share every weight
/// load and give the CPU independent multiply-add chains to overlap.
const WINDOWS_PER_BLOCK: usize = 4;

/// Runs one LSTM layer's recurrence over `batch × steps` input projections laid out step by
/// step (row `t · batch + b`, see [`FastLstm::project`]), updating them in place. Returns the
/// last hidden state `[batch, d_hidden]` and, when `keep_sequence`, every step's hidden state,
/// step by step.
#[inline(always)]
fn run_layer<const FMA: bool>(
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

/// `a · b + c`, as one fused instruction where the caller is compiled with FMA (without it,
/// `mul_add` would be a slow library call).
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// `out += rows · matrix` for `rows` of `k` values and a `[k, n]` row-major matrix. Blocks of
/// outputs are accumulated in registers over the whole row and stored once: for the LSTM's
/// small recurrent products this beats a packed matrix multiplication, which would repack the
/// weights at every step.
#[inline(always)]
fn add_rows_times_matrix<const FMA: bool>(rows: &[f32], k: usize, matrix: &[f32], out: &mut [f32]) {
    let n = matrix.len() / k;
    if rows.len() == WINDOWS_PER_BLOCK * k {
        add_block_times_matrix::<WINDOWS_PER_BLOCK, FMA>(rows, k, matrix, n, out);
    } else {
        for (row, out) in rows.chunks_exact(k).zip(out.chunks_exact_mut(n)) {
            add_block_times_matrix::<1, FMA>(row, k, matrix, n, out);
        }
    }
}

/// [`add_rows_times_matrix`] for exactly `R` rows: 16 outputs of each row at a time (two AVX
/// registers; `R × 2` independent accumulators), then 8, then one by one.
#[inline(always)]
fn add_block_times_matrix<const R: usize, const FMA: bool>(
    rows: &[f32],
    k: usize,
    matrix: &[f32],
    n: usize,
    out: &mut [f32],
) {
    let mut start = 0;
    while start + 16 <= n {
        accumulate::<R, 16, FMA>(rows, k, matrix, n, start, out);
        start += 16;
    }
    while start + 8 <= n {
        accumulate::<R, 8, FMA>(rows, k, matrix, n, start, out);
        start += 8;
    }
    while start < n {
        accumulate::<R, 1, FMA>(rows, k, matrix, n, start, out);
        start += 1;
    }
}

/// `out[r, start..start + L] += rows[r, ..] · matrix[.., start..start + L]` for `R` rows.
#[inline(always)]
fn accumulate<const R: usize, const L: usize, const FMA: bool>(
    rows: &[f32],
    k: usize,
    matrix: &[f32],
    n: usize,
    start: usize,
    out: &mut [f32],
) {
    let mut sums = [[0.0f32; L]; R];
    for (r, sum) in sums.iter_mut().enumerate() {
        sum.copy_from_slice(&out[r * n + start..][..L]);
    }
    for j in 0..k {
        let weights: &[f32; L] = matrix[j * n + start..][..L].try_into().expect("L weights");
        for (r, sum) in sums.iter_mut().enumerate() {
            let x = rows[r * k + j];
            for l in 0..L {
                sum[l] = madd::<FMA>(x, weights[l], sum[l]);
            }
        }
    }
    for (r, sum) in sums.iter().enumerate() {
        out[r * n + start..][..L].copy_from_slice(sum);
    }
}

#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + fast_exp(-x))
}

/// Branch-free loops over slices, which the compiler vectorizes.
#[inline(always)]
fn sigmoid_in_place(xs: &mut [f32]) {
    for x in xs {
        *x = sigmoid(*x);
    }
}

/// `tanh(x) = 2·sigmoid(2x) − 1`; absolute error stays near 1e-7.
#[inline(always)]
fn tanh(x: f32) -> f32 {
    2.0 * sigmoid(2.0 * x) - 1.0
}

/// `e^x` to about 2 ulp, without branches or library calls so that loops over it vectorize:
/// `x = n·ln 2 + r` with `|r| ≤ ln 2 / 2`, a degree-6 polynomial for `e^r`, and `2^n` built in
/// the exponent bits. Inputs are clamped to ±87 (sigmoid saturates long before).
#[inline(always)]
fn fast_exp(x: f32) -> f32 {
    // Adding and subtracting 1.5 · 2²³ rounds to the nearest integer in plain f32 arithmetic
    // (`f32::round` is a library call that stops vectorization).
    const ROUNDER: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 87.0);
    let shifted = x * std::f32::consts::LOG2_E + ROUNDER;
    let n = shifted - ROUNDER;
    // ln 2 in two parts (Cephes): the first has 9 significant bits, so `n · part` is exact.
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // `shifted`'s low mantissa bits hold n (|n| ≤ 126) in two's complement: adding the bias and
    // shifting builds 2ⁿ in integer lanes. (`n as i32` would saturate element by element and
    // stop vectorization.)
    let scale = f32::from_bits(shifted.to_bits().wrapping_add(127) << 23);
    p * scale
}

/// `c[m, n] += a[m, k] · b[k, n]`, row-major; `a`'s rows start `a_row_stride` apart, `b`
/// and `c` are contiguous.
fn gemm(m: usize, k: usize, n: usize, a: &[f32], a_row_stride: usize, b: &[f32], c: &mut [f32]) {
    assert!(m == 0 || a.len() >= (m - 1) * a_row_stride + k);
    assert!(b.len() >= k * n && c.len() >= m * n);
    // SAFETY: the assertions keep every access in bounds for these dimensions and strides;
    // `c` is exclusively borrowed, so it aliases neither `a` nor `b`.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            a_row_stride as isize,
            1,
            b.as_ptr(),
            n as isize,
            1,
            1.0,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_exp_and_activations_match_the_library_functions() {
        for i in -9000..=9000 {
            let x = i as f32 / 100.0;
            if x.abs() <= 87.0 {
                let relative = (fast_exp(x) - x.exp()).abs() / x.exp();
                assert!(relative < 1e-6, "exp({x}): {relative}");
            }
            assert!((tanh(x) - x.tanh()).abs() < 2e-7, "tanh({x}): {}", tanh(x));
            let s = sigmoid(x);
            assert!((s - 1.0 / (1.0 + (-x).exp())).abs() < 2e-7, "sigmoid({x})");
        }
        assert_eq!(sigmoid(-1000.0), 1.0 / (1.0 + fast_exp(87.0)));
        assert_eq!(sigmoid(1000.0), 1.0);
    }
}
