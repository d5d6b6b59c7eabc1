//! One fully connected layer, the building block of every model: `z = W·x + b`.
//!
//! `W` is stored row-major (`W[i][j]` at `i·inputs + j`), followed by `b`. Forward products
//! are weight × activation sums in the precision's wide accumulator; backward passes keep the
//! errors `δ` in the parameter format, whose finer step carries small nudges intact.
//!
//! Sums run over [`LANES`] independent partial accumulators: the compiler can then keep
//! several multiply-adds in flight (and vectorise the float paths) without reordering a
//! single sum. Each result is still rounded once.

use crate::num::{Precision, Saturations, Scalar};

/// Partial sums per dot product.
pub const LANES: usize = 4;

/// Parameter count of a layer with `inputs` inputs and `outputs` outputs (weights + biases).
pub const fn dense_params(inputs: usize, outputs: usize) -> usize {
    outputs * (inputs + 1)
}

/// `bias + Σ_j w_j x_j` in the wide accumulator.
#[inline(always)]
fn dot<N: Precision>(bias: N::Param, w: &[N::Param], x: &[N::Act]) -> N::Acc {
    let zero = N::acc_from(N::Param::ZERO);
    let mut lanes = [zero; LANES];
    let w_chunks = w.chunks_exact(LANES);
    let x_chunks = x.chunks_exact(LANES);
    let mut tail = N::acc_from(bias);
    for (&w_j, &x_j) in w_chunks.remainder().iter().zip(x_chunks.remainder()) {
        tail = N::mac(tail, w_j, x_j);
    }
    for (w4, x4) in w_chunks.zip(x_chunks) {
        for lane in 0..LANES {
            lanes[lane] = N::mac(lanes[lane], w4[lane], x4[lane]);
        }
    }
    lanes.into_iter().fold(tail, N::acc_add)
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
        *z_i = N::acc_to_act(dot::<N>(b_i, row, x), sat);
    }
}

/// Where [`backward`] writes the errors at a layer's inputs: the errors, and wide scratch of
/// the same length to sum them in.
pub type InputErrors<'a, N> = Option<(
    &'a mut [<N as Precision>::Param],
    &'a mut [<<N as Precision>::Param as Scalar>::Wide],
)>;

/// Adds `δ_i x_j` to the weight gradient and `δ_i` to the bias gradient, and, when asked,
/// writes the error at the inputs `δ_in_j = Σ_i W_ij δ_i` (before any activation derivative),
/// summed in `wide`, scratch of the same length as `δ_in`.
#[inline]
pub fn backward<N: Precision>(
    params: &[N::Param],
    x: &[N::Act],
    delta: &[N::Param],
    grad: &mut [N::Param],
    delta_in: InputErrors<'_, N>,
    sat: &mut Saturations,
) {
    let inputs = x.len();
    let (grad_w, grad_b) = grad.split_at_mut(delta.len() * inputs);
    // A zero error (an inactive ReLU) adds nothing: skip its row.
    let active = |d_i: &N::Param| *d_i != N::Param::ZERO;
    for ((row, g_b), &d_i) in grad_w
        .chunks_exact_mut(inputs)
        .zip(grad_b)
        .zip(delta)
        .filter(|(_, d_i)| active(d_i))
    {
        *g_b = g_b.add(d_i);
        for (g, &x_j) in row.iter_mut().zip(x) {
            *g = g.add(N::mul_param_act(d_i, x_j, sat));
        }
    }
    if let Some((delta_in, wide)) = delta_in {
        wide.fill(N::Param::wide_zero());
        let weights = &params[..delta.len() * inputs];
        for (row, &d_i) in weights
            .chunks_exact(inputs)
            .zip(delta)
            .filter(|(_, d_i)| active(d_i))
        {
            for (acc, &w) in wide.iter_mut().zip(row) {
                *acc = N::Param::wide_mac(*acc, w, d_i);
            }
        }
        for (d_in, &acc) in delta_in.iter_mut().zip(wide.iter()) {
            *d_in = N::Param::from_wide(acc, sat);
        }
    }
}
