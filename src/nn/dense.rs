//! One fully connected layer, the building block of every model: `z = W·x + b`.
//!
//! `W` is stored row-major (`W[i][j]` at `i·inputs + j`), followed by `b`. Forward products
//! are weight × activation sums in the precision's wide accumulator; backward passes keep the
//! errors `δ` in the parameter format, whose finer step carries small nudges intact.

use crate::num::{Precision, Saturations, Scalar};

/// Parameter count of a layer with `inputs` inputs and `outputs` outputs (weights + biases).
pub const fn dense_params(inputs: usize, outputs: usize) -> usize {
    outputs * (inputs + 1)
}

/// `z_i = b_i + Σ_j W_ij x_j`; `params` holds `W` then `b`.
#[inline]
pub fn forward<N: Precision>(
    params: &[N::Param],
    x: &[N::Act],
    z: &mut [N::Act],
    sat: &mut Saturations,
) {
    let (weights, biases) = params.split_at(z.len() * x.len());
    for ((z_i, row), &b_i) in z.iter_mut().zip(weights.chunks_exact(x.len())).zip(biases) {
        let mut acc = N::acc_from(b_i);
        for (&w, &x_j) in row.iter().zip(x) {
            acc = N::mac(acc, w, x_j);
        }
        *z_i = N::acc_to_act(acc, sat);
    }
}

/// Adds `δ_i x_j` to the weight gradient and `δ_i` to the bias gradient, and, when asked,
/// writes the error at the inputs `δ_in_j = Σ_i W_ij δ_i` (before any activation derivative).
#[inline]
pub fn backward<N: Precision>(
    params: &[N::Param],
    x: &[N::Act],
    delta: &[N::Param],
    grad: &mut [N::Param],
    delta_in: Option<&mut [N::Param]>,
    sat: &mut Saturations,
) {
    let inputs = x.len();
    let (grad_w, grad_b) = grad.split_at_mut(delta.len() * inputs);
    for ((row, g_b), &d_i) in grad_w.chunks_exact_mut(inputs).zip(grad_b).zip(delta) {
        *g_b = g_b.add(d_i);
        for (g, &x_j) in row.iter_mut().zip(x) {
            *g = g.add(N::mul_param_act(d_i, x_j, sat));
        }
    }
    if let Some(delta_in) = delta_in {
        let weights = &params[..delta.len() * inputs];
        for (j, d_in) in delta_in.iter_mut().enumerate() {
            let mut acc = N::Param::wide_zero();
            for (row, &d_i) in weights.chunks_exact(inputs).zip(delta) {
                acc = N::Param::wide_mac(acc, row[j], d_i);
            }
            *d_in = N::Param::from_wide(acc, sat);
        }
    }
}
