//! One fully connected layer, the building block of every model: `z = W·x + b`.
//!
//! `W` is stored column-major: column `j`, the weights leaving input `j`, sits at
//! `j·outputs .. (j+1)·outputs` (so `W[i][j]` is at `j·outputs + i`), followed by `b`. A layer
//! with a single input or a single output is one contiguous run either way.
//!
//! Why columns: after a ReLU about half of a hidden layer's outputs are exactly zero, and a zero
//! input adds nothing to the next layer. Stored by column, the forward pass adds `x_j · W[:, j]`
//! for the non-zero inputs only, the weight gradient `δ · x_j` likewise, and the error at an
//! input is one contiguous dot product `W[:, j] · δ`, skipped where the activation blocks it.
//! Every loop runs over contiguous memory, and the layer widths are compile-time constants, so
//! the compiler keeps a layer's sums or errors in vector registers.
//!
//! Forward products are weight × activation sums in the precision's wide accumulator; backward
//! passes keep the errors `δ` in the parameter format, whose finer step carries small nudges
//! intact. Each result is rounded once. In fixed point the sums are exact integer sums, so
//! neither the skipped zeros nor the summation order change a single bit.

use super::Activation;
use crate::num::{Precision, Saturations, Scalar};

/// Partial sums per dot product: product `j` goes to lane `j mod LANES`. Four `f32` lanes fill
/// one SSE or NEON register.
pub const LANES: usize = 4;

/// Parameter count of a layer with `inputs` inputs and `outputs` outputs (weights + biases).
pub const fn dense_params(inputs: usize, outputs: usize) -> usize {
    outputs * (inputs + 1)
}

/// One layer's view of a flat vector: its weight columns, its biases, and what follows it.
pub type LayerView<'a, T, const INPUTS: usize, const OUTPUTS: usize> =
    (&'a [[T; OUTPUTS]; INPUTS], &'a [T; OUTPUTS], &'a [T]);

/// [`LayerView`] of a vector being written.
pub type LayerViewMut<'a, T, const INPUTS: usize, const OUTPUTS: usize> = (
    &'a mut [[T; OUTPUTS]; INPUTS],
    &'a mut [T; OUTPUTS],
    &'a mut [T],
);

/// Splits the front of a flat parameter (or gradient) vector into one layer's `INPUTS` weight
/// columns and its biases, and returns the rest. `None` when `params` is too short, which the
/// callers' types rule out: every public entry point holds exactly `P = PARAMS` values.
#[inline(always)]
pub fn split_layer<T, const INPUTS: usize, const OUTPUTS: usize>(
    params: &[T],
) -> Option<LayerView<'_, T, INPUTS, OUTPUTS>> {
    let (layer, rest) = params.split_at_checked(dense_params(INPUTS, OUTPUTS))?;
    let (columns, _) = layer.as_chunks::<OUTPUTS>();
    let (columns, biases) = columns.split_first_chunk::<INPUTS>()?;
    Some((columns, biases.first()?, rest))
}

/// [`split_layer`] for a gradient being written.
#[inline(always)]
pub fn split_layer_mut<T, const INPUTS: usize, const OUTPUTS: usize>(
    params: &mut [T],
) -> Option<LayerViewMut<'_, T, INPUTS, OUTPUTS>> {
    let (layer, rest) = params.split_at_mut_checked(dense_params(INPUTS, OUTPUTS))?;
    let (columns, _) = layer.as_chunks_mut::<OUTPUTS>();
    let (columns, biases) = columns.split_first_chunk_mut::<INPUTS>()?;
    Some((columns, biases.first_mut()?, rest))
}

/// `z_i = b_i + Σ_j W_ij x_j` for one layer: `columns[j]` is `W[:, j]`.
#[inline]
pub fn forward<N: Precision, const INPUTS: usize, const OUTPUTS: usize>(
    columns: &[[N::Param; OUTPUTS]; INPUTS],
    biases: &[N::Param; OUTPUTS],
    x: &[N::Act; INPUTS],
    z: &mut [N::Act; OUTPUTS],
    sat: &mut Saturations,
) {
    N::dense_forward::<INPUTS, OUTPUTS>(columns, biases, x, z, sat);
}

/// [`forward`] written once for every precision: the meaning of [`Precision::dense_forward`]
/// and the fallback of the fixed-point kernel.
#[inline(always)]
pub(crate) fn forward_generic<N: Precision, const INPUTS: usize, const OUTPUTS: usize>(
    columns: &[[N::Param; OUTPUTS]; INPUTS],
    biases: &[N::Param; OUTPUTS],
    x: &[N::Act; INPUTS],
    z: &mut [N::Act; OUTPUTS],
    sat: &mut Saturations,
) {
    if OUTPUTS == 1 {
        // A single output's weights are one contiguous row: one dot product.
        let mut lanes = [N::acc_from(N::Param::ZERO); LANES];
        accumulate_lanes(&mut lanes, columns.as_flattened(), x, N::mac);
        for (z_i, &b) in z.iter_mut().zip(biases) {
            *z_i = N::acc_to_act(
                N::acc_add(N::acc_from(b), lane_total(lanes, N::acc_add)),
                sat,
            );
        }
        return;
    }
    let mut sums = biases.map(N::acc_from);
    for (column, &x_j) in columns
        .iter()
        .zip(x)
        .filter(|(_, &x_j)| x_j != N::Act::ZERO)
    {
        for (sum, &w) in sums.iter_mut().zip(column) {
            *sum = N::mac(*sum, w, x_j);
        }
    }
    for (z_i, sum) in z.iter_mut().zip(sums) {
        *z_i = N::acc_to_act(sum, sat);
    }
}

/// Where [`backward`] writes the errors at a layer's inputs, and the activation that produced
/// those inputs (the errors come out already multiplied by its derivative).
pub struct InputErrors<'a, N: Precision, const INPUTS: usize> {
    /// `δ_in`, one per input.
    pub errors: &'a mut [N::Param; INPUTS],
    /// The activation whose outputs are this layer's inputs.
    pub activation: Activation,
}

/// Adds `δ_i x_j` to the weight gradient and `δ_i` to the bias gradient, and, when asked,
/// writes the error at each input, `δ_in_j = σ'(z_j) · Σ_i W_ij δ_i`.
#[inline]
pub fn backward<N: Precision, const INPUTS: usize, const OUTPUTS: usize>(
    columns: &[[N::Param; OUTPUTS]; INPUTS],
    x: &[N::Act; INPUTS],
    delta: &[N::Param; OUTPUTS],
    grad_columns: &mut [[N::Param; OUTPUTS]; INPUTS],
    grad_biases: &mut [N::Param; OUTPUTS],
    input_errors: Option<InputErrors<'_, N, INPUTS>>,
    sat: &mut Saturations,
) {
    for (g_b, &d_i) in grad_biases.iter_mut().zip(delta) {
        *g_b = g_b.add(d_i);
    }
    N::dense_backward_products::<INPUTS, OUTPUTS>(
        columns,
        x,
        delta,
        grad_columns,
        input_errors,
        sat,
    );
}

/// `grad_columns[j][i] += δ_i · x_j` for the inputs `x_j ≠ 0`, each product rounded once to
/// the parameter format: the meaning of [`Precision::dense_weight_gradient`].
#[inline(always)]
pub(crate) fn weight_gradient_generic<N: Precision, const INPUTS: usize, const OUTPUTS: usize>(
    x: &[N::Act; INPUTS],
    delta: &[N::Param; OUTPUTS],
    grad_columns: &mut [[N::Param; OUTPUTS]; INPUTS],
    sat: &mut Saturations,
) {
    if OUTPUTS == 1 {
        // A single output's gradient is one contiguous row.
        let d = delta.first().copied().unwrap_or(N::Param::ZERO);
        for (g, &x_j) in grad_columns.as_flattened_mut().iter_mut().zip(x) {
            *g = g.add(N::mul_param_act(d, x_j, sat));
        }
        return;
    }
    for (column, &x_j) in grad_columns
        .iter_mut()
        .zip(x)
        .filter(|(_, &x_j)| x_j != N::Act::ZERO)
    {
        for (g, &d_i) in column.iter_mut().zip(delta) {
            *g = g.add(N::mul_param_act(d_i, x_j, sat));
        }
    }
}

/// Writes the error at each input alone, `δ_in_j = σ'(z_j) · Σ_i W_ij δ_i`, without a weight
/// gradient (for a layer whose weights are not being learned, such as the dual system's body
/// during adaptation).
#[inline]
pub fn input_errors<N: Precision, const INPUTS: usize, const OUTPUTS: usize>(
    columns: &[[N::Param; OUTPUTS]; INPUTS],
    x: &[N::Act; INPUTS],
    delta: &[N::Param; OUTPUTS],
    input_errors: InputErrors<'_, N, INPUTS>,
    sat: &mut Saturations,
) {
    N::dense_input_errors::<INPUTS, OUTPUTS>(columns, x, delta, input_errors, sat);
}

/// Inputs whose errors [`input_errors_generic`] forms together.
const ERROR_BLOCK: usize = 8;

/// `δ_in_j = σ'(z_j) · Σ_i W_ij δ_i` for every input `j` the activation lets an error through.
///
/// For a block of inputs at a time, the columns' partial sums are formed first and only then
/// added up: with the two apart, the compiler keeps the first loop in whole vector registers,
/// where adding up inside the same loop makes it split them.
/// This is the meaning of [`Precision::dense_input_errors`].
#[inline(always)]
pub(crate) fn input_errors_generic<N: Precision, const INPUTS: usize, const OUTPUTS: usize>(
    columns: &[[N::Param; OUTPUTS]; INPUTS],
    x: &[N::Act; INPUTS],
    delta: &[N::Param; OUTPUTS],
    InputErrors { errors, activation }: InputErrors<'_, N, INPUTS>,
    sat: &mut Saturations,
) {
    if OUTPUTS == 1 {
        // A single output's weights are one contiguous row: one product per input.
        let d = delta.first().copied().unwrap_or(N::Param::ZERO);
        for ((d_in, &w), &x_j) in errors.iter_mut().zip(columns.as_flattened()).zip(x) {
            let product = N::Param::wide_mac(N::Param::wide_zero(), w, d);
            *d_in = activation.backprop::<N>(N::Param::from_wide(product, sat), x_j, sat);
        }
        return;
    }
    let blocks = errors
        .chunks_mut(ERROR_BLOCK)
        .zip(columns.chunks(ERROR_BLOCK))
        .zip(x.chunks(ERROR_BLOCK));
    for ((errors, columns), x) in blocks {
        let mut lane_sums = [[N::Param::wide_zero(); LANES]; ERROR_BLOCK];
        for ((sums, column), &x_j) in lane_sums.iter_mut().zip(columns).zip(x) {
            if !activation.blocks(x_j) {
                accumulate_lanes(sums, column, delta, N::Param::wide_mac);
            }
        }
        for ((d_in, &sums), &x_j) in errors.iter_mut().zip(&lane_sums).zip(x) {
            *d_in = if activation.blocks(x_j) {
                N::Param::ZERO
            } else {
                let sum = lane_total(sums, N::Param::wide_add);
                activation.backprop::<N>(N::Param::from_wide(sum, sat), x_j, sat)
            };
        }
    }
}

/// Adds the products `mac(·, a_j, b_j)` into `lanes`, product `j` into lane `j mod LANES`.
#[inline(always)]
fn accumulate_lanes<S: Copy, A: Copy, B: Copy>(
    lanes: &mut [S; LANES],
    a: &[A],
    b: &[B],
    mac: impl Fn(S, A, B) -> S,
) {
    let (a_chunks, a_rest) = a.as_chunks::<LANES>();
    let (b_chunks, b_rest) = b.as_chunks::<LANES>();
    for (a_lanes, b_lanes) in a_chunks.iter().zip(b_chunks) {
        *lanes = core::array::from_fn(|lane| mac(lanes[lane], a_lanes[lane], b_lanes[lane]));
    }
    for ((lane, &a_j), &b_j) in lanes.iter_mut().zip(a_rest).zip(b_rest) {
        *lane = mac(*lane, a_j, b_j);
    }
}

/// `Σ lanes`, adding halves onto each other: a chain of log₂ [`LANES`] additions.
#[inline(always)]
fn lane_total<S: Copy>(mut lanes: [S; LANES], add: impl Fn(S, S) -> S) -> S {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for lane in 0..width {
            lanes[lane] = add(lanes[lane], lanes[lane + width]);
        }
    }
    lanes[0]
}
