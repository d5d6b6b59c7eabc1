//! [`Precision`]: the pair of number types one network runs in.
//!
//! Data and activations live in `Act`; weights, gradients, learning rates and all meta-state
//! live in `Param`. For floats the two are the same type. For fixed point they differ
//! ([`Q16_16`]: Q16.16 activations, Q8.24 weights), and the mixed products a layer needs —
//! weight × activation — are formed here, once, in a wide accumulator.

use super::fixed_point::{round_shift_counted, wide_mul};
use super::kernels;
use super::{Saturations, Scalar};
use core::marker::PhantomData;
use fixed::types::extra::LeEqU32;
use fixed::types::{I16F16, I8F24};
use fixed::FixedI32;

/// The number types of one network and the mixed weight × activation kernels between them.
pub trait Precision: Copy + Default + PartialEq + core::fmt::Debug + Send + Sync + 'static {
    /// Data, activations.
    type Act: Scalar;
    /// Weights, gradients, back-propagated errors, learning rates, meta-state.
    type Param: Scalar;
    /// Wide accumulator for sums of `Param × Act` products.
    type Acc: Copy + core::fmt::Debug;

    /// Name of this configuration in reports and in `verify` (`"f64"`, `"q16.16"`, …).
    fn name() -> &'static str;
    /// Starts an accumulator at `bias`.
    fn acc_from(bias: Self::Param) -> Self::Acc;
    /// `acc + w · x`, saturating.
    fn mac(acc: Self::Acc, w: Self::Param, x: Self::Act) -> Self::Acc;
    /// `a + b`, saturating (combines partial sums).
    fn acc_add(a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// Rounds an accumulator to an activation, counting a clamp.
    fn acc_to_act(acc: Self::Acc, sat: &mut Saturations) -> Self::Act;
    /// Rounds an accumulator to a parameter-format value, counting a clamp.
    fn acc_to_param(acc: Self::Acc, sat: &mut Saturations) -> Self::Param;

    /// An activation in parameter format (exact when in range), counting a clamp.
    #[inline]
    fn act_to_param(x: Self::Act, sat: &mut Saturations) -> Self::Param {
        Self::acc_to_param(
            Self::mac(Self::acc_from(Self::Param::ZERO), Self::Param::ONE, x),
            sat,
        )
    }
    /// A parameter-format value as an activation (rounded), counting a clamp.
    #[inline]
    fn param_to_act(w: Self::Param, sat: &mut Saturations) -> Self::Act {
        Self::acc_to_act(Self::acc_from(w), sat)
    }
    /// `w · x` in parameter format.
    #[inline]
    fn mul_param_act(w: Self::Param, x: Self::Act, sat: &mut Saturations) -> Self::Param {
        Self::acc_to_param(Self::mac(Self::acc_from(Self::Param::ZERO), w, x), sat)
    }

    // The layer and update kernels. Each has one meaning, spelled out by the generic
    // version it defaults to (in `nn::dense` and `inner`); a precision may replace it with a
    // faster kernel that gives the same bits and the same saturation count (fixed point does:
    // see `num::kernels`).

    /// [`crate::nn::dense::forward`]: `z = W·x + b`, `columns[j]` the weights leaving input `j`.
    #[inline(always)]
    fn dense_forward<const INPUTS: usize, const OUTPUTS: usize>(
        columns: &[[Self::Param; OUTPUTS]; INPUTS],
        biases: &[Self::Param; OUTPUTS],
        x: &[Self::Act; INPUTS],
        z: &mut [Self::Act; OUTPUTS],
        sat: &mut Saturations,
    ) {
        crate::nn::dense::forward_generic::<Self, INPUTS, OUTPUTS>(columns, biases, x, z, sat)
    }
    /// Adds `δ_i · x_j` (rounded to the parameter format) to `grad_columns[j][i]`, for the
    /// inputs `x_j ≠ 0`.
    #[inline(always)]
    fn dense_weight_gradient<const INPUTS: usize, const OUTPUTS: usize>(
        x: &[Self::Act; INPUTS],
        delta: &[Self::Param; OUTPUTS],
        grad_columns: &mut [[Self::Param; OUTPUTS]; INPUTS],
        sat: &mut Saturations,
    ) {
        crate::nn::dense::weight_gradient_generic::<Self, INPUTS, OUTPUTS>(
            x,
            delta,
            grad_columns,
            sat,
        )
    }
    /// `δ_in_j = σ'(z_j) · Σ_i W_ij δ_i` for every input `j`.
    #[inline(always)]
    fn dense_input_errors<const INPUTS: usize, const OUTPUTS: usize>(
        columns: &[[Self::Param; OUTPUTS]; INPUTS],
        x: &[Self::Act; INPUTS],
        delta: &[Self::Param; OUTPUTS],
        input_errors: crate::nn::dense::InputErrors<'_, Self, INPUTS>,
        sat: &mut Saturations,
    ) {
        crate::nn::dense::input_errors_generic::<Self, INPUTS, OUTPUTS>(
            columns,
            x,
            delta,
            input_errors,
            sat,
        )
    }
    /// The products of [`crate::nn::dense::backward`]: [`Precision::dense_weight_gradient`],
    /// then, when asked, [`Precision::dense_input_errors`] with the same `δ` (a precision may
    /// share work between the two).
    #[inline(always)]
    fn dense_backward_products<const INPUTS: usize, const OUTPUTS: usize>(
        columns: &[[Self::Param; OUTPUTS]; INPUTS],
        x: &[Self::Act; INPUTS],
        delta: &[Self::Param; OUTPUTS],
        grad_columns: &mut [[Self::Param; OUTPUTS]; INPUTS],
        input_errors: Option<crate::nn::dense::InputErrors<'_, Self, INPUTS>>,
        sat: &mut Saturations,
    ) {
        Self::dense_weight_gradient::<INPUTS, OUTPUTS>(x, delta, grad_columns, sat);
        if let Some(input_errors) = input_errors {
            Self::dense_input_errors::<INPUTS, OUTPUTS>(columns, x, delta, input_errors, sat);
        }
    }
    /// One gradient-descent update, `φ ← φ − lr · (g + λ ⊙ (φ − ω))`; false when a weight or
    /// a total gradient is not [`Scalar::is_usable`] (see [`crate::inner::descend`]).
    #[inline(always)]
    fn descent_update<const P: usize>(
        phi: &mut [Self::Param; P],
        grad: &[Self::Param; P],
        anchor: &crate::inner::Anchor<'_, Self, P>,
        lr: Self::Param,
    ) -> bool {
        crate::inner::update_generic::<Self, P>(phi, grad, anchor, lr)
    }
}

macro_rules! float_precision {
    ($t:ty, $name:literal) => {
        impl Precision for $t {
            type Act = $t;
            type Param = $t;
            type Acc = $t;
            fn name() -> &'static str {
                $name
            }
            #[inline(always)]
            fn acc_from(bias: $t) -> $t {
                bias
            }
            #[inline(always)]
            fn mac(acc: $t, w: $t, x: $t) -> $t {
                acc + w * x
            }
            #[inline(always)]
            fn acc_add(a: $t, b: $t) -> $t {
                a + b
            }
            #[inline(always)]
            fn acc_to_act(acc: $t, _: &mut Saturations) -> $t {
                acc
            }
            #[inline(always)]
            fn acc_to_param(acc: $t, _: &mut Saturations) -> $t {
                acc
            }
            // The plain product: the default's `0 + w·x` costs the hot loops an addition.
            #[inline(always)]
            fn mul_param_act(w: $t, x: $t, _: &mut Saturations) -> $t {
                w * x
            }
        }
    };
}

float_precision!(f32, "f32");
float_precision!(f64, "f64");

/// Fixed point with activations in `A` and weights in `P`, both `i32`-backed `fixed` types.
///
/// Products `P × A` are exact in `i64` (`FRAC(P) + FRAC(A)` fraction bits), sums saturate,
/// and each result is rounded once to nearest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FixedPair<A, P>(PhantomData<(A, P)>);

/// The device default: Q16.16 data and activations (range ±32768, step 1.5e-5), Q8.24
/// weights and meta-state (range ±128, step 6e-8).
pub type Q16_16 = FixedPair<I16F16, I8F24>;
/// Q16.16 everywhere, weights included: shows what the finer weight format buys.
pub type Q16_16Uniform = FixedPair<I16F16, I16F16>;
/// Q8.24 everywhere: fine steps, but activations limited to ±128.
pub type Q8_24 = FixedPair<I8F24, I8F24>;

/// The precision `N` with every layer and update kernel at its generic default: the meaning a
/// fast kernel must keep, bit for bit and clamp for clamp.
///
/// For checking kernels, not for running: `tests/kernels.rs` runs each fixed-point kernel
/// against `GenericKernels<Q16_16>` on the host, and the `kernels` board firmware does the
/// same on the device, where the `asm` feature's assembly runs. A precision of your own can
/// be checked the same way.
///
/// ```
/// use tinycml::nn::dense;
/// use tinycml::{GenericKernels, Saturations, Q16_16};
/// use fixed::types::{I16F16, I8F24};
///
/// let columns = [[I8F24::from_num(0.5), I8F24::from_num(-0.25)]; 3];
/// let biases = [I8F24::from_num(0.125); 2];
/// let x = [I16F16::from_num(1.0), I16F16::ZERO, I16F16::from_num(-2.0)];
/// let (mut fast, mut generic) = ([I16F16::ZERO; 2], [I16F16::ZERO; 2]);
/// let mut sat = Saturations::default();
/// dense::forward::<Q16_16, 3, 2>(&columns, &biases, &x, &mut fast, &mut sat);
/// dense::forward::<GenericKernels<Q16_16>, 3, 2>(&columns, &biases, &x, &mut generic, &mut sat);
/// assert_eq!(fast, generic);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenericKernels<N>(PhantomData<N>);

impl<N: Precision> Precision for GenericKernels<N> {
    type Act = N::Act;
    type Param = N::Param;
    type Acc = N::Acc;

    fn name() -> &'static str {
        "generic kernels"
    }
    #[inline(always)]
    fn acc_from(bias: Self::Param) -> Self::Acc {
        N::acc_from(bias)
    }
    #[inline(always)]
    fn mac(acc: Self::Acc, w: Self::Param, x: Self::Act) -> Self::Acc {
        N::mac(acc, w, x)
    }
    #[inline(always)]
    fn acc_add(a: Self::Acc, b: Self::Acc) -> Self::Acc {
        N::acc_add(a, b)
    }
    #[inline(always)]
    fn acc_to_act(acc: Self::Acc, sat: &mut Saturations) -> Self::Act {
        N::acc_to_act(acc, sat)
    }
    #[inline(always)]
    fn acc_to_param(acc: Self::Acc, sat: &mut Saturations) -> Self::Param {
        N::acc_to_param(acc, sat)
    }
}

/// `v >> shift` rounded to nearest and clamped to `i32`, counting a clamp.
#[inline(always)]
fn round_to_i32(v: i64, shift: u32, sat: &mut Saturations) -> i32 {
    round_shift_counted(v, shift, sat)
}

impl<FA, FP> Precision for FixedPair<FixedI32<FA>, FixedI32<FP>>
where
    FA: LeEqU32 + Send + Sync,
    FP: LeEqU32 + Send + Sync,
{
    type Act = FixedI32<FA>;
    type Param = FixedI32<FP>;
    type Acc = i64;

    fn name() -> &'static str {
        match (FixedI32::<FA>::FRAC_NBITS, FixedI32::<FP>::FRAC_NBITS) {
            (16, 24) => "q16.16",
            (16, 16) => "q16.16-uniform",
            (24, 24) => "q8.24",
            _ => "fixed",
        }
    }
    #[inline(always)]
    fn acc_from(bias: Self::Param) -> i64 {
        (bias.to_bits() as i64) << FixedI32::<FA>::FRAC_NBITS
    }
    #[inline(always)]
    fn mac(acc: i64, w: Self::Param, x: Self::Act) -> i64 {
        acc.saturating_add(wide_mul(w.to_bits(), x.to_bits()))
    }
    #[inline(always)]
    fn acc_add(a: i64, b: i64) -> i64 {
        a.saturating_add(b)
    }
    #[inline(always)]
    fn acc_to_act(acc: i64, sat: &mut Saturations) -> Self::Act {
        FixedI32::from_bits(round_to_i32(acc, FixedI32::<FP>::FRAC_NBITS, sat))
    }
    #[inline(always)]
    fn acc_to_param(acc: i64, sat: &mut Saturations) -> Self::Param {
        FixedI32::from_bits(round_to_i32(acc, FixedI32::<FA>::FRAC_NBITS, sat))
    }
    #[inline(always)]
    fn dense_forward<const INPUTS: usize, const OUTPUTS: usize>(
        columns: &[[Self::Param; OUTPUTS]; INPUTS],
        biases: &[Self::Param; OUTPUTS],
        x: &[Self::Act; INPUTS],
        z: &mut [Self::Act; OUTPUTS],
        sat: &mut Saturations,
    ) {
        kernels::forward::<FA, FP, INPUTS, OUTPUTS>(columns, biases, x, z, sat)
    }
    #[inline(always)]
    fn dense_input_errors<const INPUTS: usize, const OUTPUTS: usize>(
        columns: &[[Self::Param; OUTPUTS]; INPUTS],
        x: &[Self::Act; INPUTS],
        delta: &[Self::Param; OUTPUTS],
        input_errors: crate::nn::dense::InputErrors<'_, Self, INPUTS>,
        sat: &mut Saturations,
    ) {
        let bound = kernels::delta_bound(delta);
        kernels::input_errors::<FA, FP, INPUTS, OUTPUTS>(
            columns,
            x,
            delta,
            bound,
            input_errors,
            sat,
        )
    }
    #[inline(always)]
    fn dense_backward_products<const INPUTS: usize, const OUTPUTS: usize>(
        columns: &[[Self::Param; OUTPUTS]; INPUTS],
        x: &[Self::Act; INPUTS],
        delta: &[Self::Param; OUTPUTS],
        grad_columns: &mut [[Self::Param; OUTPUTS]; INPUTS],
        input_errors: Option<crate::nn::dense::InputErrors<'_, Self, INPUTS>>,
        sat: &mut Saturations,
    ) {
        let bound = kernels::delta_bound(delta);
        kernels::weight_gradient::<FA, FP, INPUTS, OUTPUTS>(x, delta, bound, grad_columns, sat);
        if let Some(input_errors) = input_errors {
            kernels::input_errors::<FA, FP, INPUTS, OUTPUTS>(
                columns,
                x,
                delta,
                bound,
                input_errors,
                sat,
            );
        }
    }
    #[inline(always)]
    fn descent_update<const P: usize>(
        phi: &mut [Self::Param; P],
        grad: &[Self::Param; P],
        anchor: &crate::inner::Anchor<'_, Self, P>,
        lr: Self::Param,
    ) -> bool {
        kernels::descent_update::<FA, FP, P>(phi, grad, anchor, lr)
    }
}
