//! The numeric kernels of the fast forward: products blocked in registers (the recurrent
//! step and the dense layers), and branch-free activations that vectorize.

use super::lstm::WINDOWS_PER_BLOCK;

/// What the instruction set a forward pass is compiled for gives the kernels.
pub(super) trait Isa {
    /// Fused multiply-adds are single instructions (without them, `mul_add` would be a slow
    /// library call).
    const FMA: bool;
    /// 512-bit registers: the products keep 32 outputs per row in flight instead of 16.
    const WIDE: bool;
}

/// SSE2, which every x86-64 CPU has (and any other architecture).
pub(super) struct Portable;
/// AVX2 with FMA: 8 lanes.
pub(super) struct Avx2;
/// AVX-512F: 16 lanes.
pub(super) struct Avx512;

impl Isa for Portable {
    const FMA: bool = false;
    const WIDE: bool = false;
}
impl Isa for Avx2 {
    const FMA: bool = true;
    const WIDE: bool = false;
}
impl Isa for Avx512 {
    const FMA: bool = true;
    const WIDE: bool = true;
}

/// `a · b + c`, as one fused instruction where the caller is compiled with FMA.
#[inline(always)]
pub(super) fn madd<I: Isa>(a: f32, b: f32, c: f32) -> f32 {
    if I::FMA { a.mul_add(b, c) } else { a * b + c }
}

/// `out = base + rows · matrix` for `rows` of `k` values and a `[k, n]` row-major matrix.
/// Blocks of outputs are accumulated in registers over the whole row and stored once: for the
/// LSTM's small recurrent products this beats a packed matrix multiplication, which would
/// repack the weights at every step.
#[inline(always)]
pub(super) fn rows_times_matrix_plus<I: Isa>(
    rows: &[f32],
    k: usize,
    matrix: &[f32],
    base: &[f32],
    out: &mut [f32],
) {
    let n = matrix.len() / k;
    debug_assert!(base.len() == out.len() && out.len() == rows.len() / k * n);
    if rows.len() == WINDOWS_PER_BLOCK * k {
        block_times_matrix_plus::<WINDOWS_PER_BLOCK, I>(rows, k, matrix, n, base, out);
    } else {
        for ((row, base), out) in rows
            .chunks_exact(k)
            .zip(base.chunks_exact(n))
            .zip(out.chunks_exact_mut(n))
        {
            block_times_matrix_plus::<1, I>(row, k, matrix, n, base, out);
        }
    }
}

/// `out[rows, n] = input[rows, k] · matrix[k, n] + bias` for a dense layer, `matrix` as Burn
/// stores a `Linear`'s weight. Blocks of 8 rows with 512-bit registers (4 otherwise) stream the
/// weights once per block, without the packing a general product does on every call: a
/// single window costs a pass over the weights, not a repack of them. Each row's sums are
/// accumulated in the same order whatever its block, so a window's result does not depend on
/// the batch it is in.
#[inline(always)]
pub(super) fn dense<I: Isa>(
    input: &[f32],
    k: usize,
    matrix: &[f32],
    bias: &[f32],
    out: &mut [f32],
) {
    let n = bias.len();
    if n == 0 {
        return;
    }
    if k == 0 {
        // No inputs (e.g. a layer reading codes only): the bias alone.
        out.chunks_exact_mut(n.max(1))
            .for_each(|row| row.copy_from_slice(bias));
        return;
    }
    const WIDE_BLOCK: usize = 8;
    let block = if I::WIDE {
        WIDE_BLOCK
    } else {
        WINDOWS_PER_BLOCK
    };
    let base = bias.repeat(block);
    for (rows, out) in input.chunks(block * k).zip(out.chunks_mut(block * n)) {
        if I::WIDE && rows.len() == WIDE_BLOCK * k {
            block_times_matrix_plus::<WIDE_BLOCK, I>(rows, k, matrix, n, &base, out);
        } else {
            rows_times_matrix_plus::<I>(rows, k, matrix, &base[..out.len()], out);
        }
    }
}

/// [`rows_times_matrix_plus`] for exactly `R` rows: 32 outputs of each row at a time with
/// 512-bit registers (two per row) where the CPU has them, then 16, then 8, then one by one.
#[inline(always)]
fn block_times_matrix_plus<const R: usize, I: Isa>(
    rows: &[f32],
    k: usize,
    matrix: &[f32],
    n: usize,
    base: &[f32],
    out: &mut [f32],
) {
    let mut start = 0;
    #[cfg(target_arch = "x86_64")]
    // The check is a cached flag: it keeps these safe functions sound whatever `I` a caller
    // picks, at no measurable cost beside the products.
    if I::WIDE && std::arch::is_x86_feature_detected!("avx512f") {
        while start + 32 <= n {
            // SAFETY: the CPU has AVX-512F, checked just above.
            unsafe { accumulate_avx512::<R>(rows, k, matrix, n, start, base, out) };
            start += 32;
        }
    }
    while start + 16 <= n {
        accumulate::<R, 16, I>(rows, k, matrix, n, start, base, out);
        start += 16;
    }
    while start + 8 <= n {
        accumulate::<R, 8, I>(rows, k, matrix, n, start, base, out);
        start += 8;
    }
    while start < n {
        accumulate::<R, 1, I>(rows, k, matrix, n, start, base, out);
        start += 1;
    }
}

/// `out[r, start..start + L] = base[r, ..] + rows[r, ..] · matrix[.., start..start + L]` for
/// `R` rows.
#[inline(always)]
fn accumulate<const R: usize, const L: usize, I: Isa>(
    rows: &[f32],
    k: usize,
    matrix: &[f32],
    n: usize,
    start: usize,
    base: &[f32],
    out: &mut [f32],
) {
    let mut sums = [[0.0f32; L]; R];
    for (r, sum) in sums.iter_mut().enumerate() {
        sum.copy_from_slice(&base[r * n + start..][..L]);
    }
    for j in 0..k {
        let weights: &[f32; L] = matrix[j * n + start..][..L].try_into().expect("L weights");
        for (r, sum) in sums.iter_mut().enumerate() {
            let x = rows[r * k + j];
            for l in 0..L {
                sum[l] = madd::<I>(x, weights[l], sum[l]);
            }
        }
    }
    for (r, sum) in sums.iter().enumerate() {
        out[r * n + start..][..L].copy_from_slice(sum);
    }
}

/// [`accumulate`] for 32 outputs in two 512-bit registers per row, written with intrinsics:
/// the compiler spills `[[f32; 32]; R]` to the stack instead of keeping it in registers.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn accumulate_avx512<const R: usize>(
    rows: &[f32],
    k: usize,
    matrix: &[f32],
    n: usize,
    start: usize,
    base: &[f32],
    out: &mut [f32],
) {
    use std::arch::x86_64::{
        __m512, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_storeu_ps,
    };
    // Every access below stays inside these bounds.
    assert!(start + 32 <= n && rows.len() >= R * k && k > 0 && matrix.len() >= k * n);
    assert!(base.len() >= (R - 1) * n + start + 32 && out.len() >= (R - 1) * n + start + 32);
    // SAFETY: the CPU has AVX-512F (the caller's contract); loads and stores are unaligned
    // and within the slices, as asserted.
    unsafe {
        let mut low = [std::mem::zeroed::<__m512>(); R];
        let mut high = [std::mem::zeroed::<__m512>(); R];
        for r in 0..R {
            low[r] = _mm512_loadu_ps(base.as_ptr().add(r * n + start));
            high[r] = _mm512_loadu_ps(base.as_ptr().add(r * n + start + 16));
        }
        for j in 0..k {
            let weights = matrix.as_ptr().add(j * n + start);
            let (w_low, w_high) = (_mm512_loadu_ps(weights), _mm512_loadu_ps(weights.add(16)));
            for r in 0..R {
                let x = _mm512_set1_ps(*rows.get_unchecked(r * k + j));
                low[r] = _mm512_fmadd_ps(x, w_low, low[r]);
                high[r] = _mm512_fmadd_ps(x, w_high, high[r]);
            }
        }
        for r in 0..R {
            _mm512_storeu_ps(out.as_mut_ptr().add(r * n + start), low[r]);
            _mm512_storeu_ps(out.as_mut_ptr().add(r * n + start + 16), high[r]);
        }
    }
}

#[inline(always)]
pub(super) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + fast_exp(-x))
}

/// Branch-free loops over slices, which the compiler vectorizes.
#[inline(always)]
pub(super) fn sigmoid_in_place(xs: &mut [f32]) {
    for x in xs {
        *x = sigmoid(*x);
    }
}

/// Softmax over `xs`, shifted by the largest value so that no `e^x` overflows.
#[inline(always)]
pub(super) fn softmax_in_place(xs: &mut [f32]) {
    let largest = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in xs.iter_mut() {
        *x = fast_exp(*x - largest);
        sum += *x;
    }
    for x in xs.iter_mut() {
        *x /= sum;
    }
}

/// `tanh(x) = 2·sigmoid(2x) − 1`; absolute error stays near 1e-7.
#[inline(always)]
pub(super) fn tanh(x: f32) -> f32 {
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
