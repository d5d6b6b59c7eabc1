//! Fast fixed-point kernels for the layers and the update, bit for bit the generic ones.
//!
//! The generic kernels (`nn::dense`, `inner`) saturate every `i64` addition and clamp every
//! rounded product, because in general a sum of products can leave `i64` and a product can
//! leave `i32`. Both are rare in practice, and both can be ruled out in advance: one cheap
//! guard per vector — the OR of the magnitudes of one operand (at least their maximum) times
//! the number of terms — bounds every partial sum and every product. When the guard holds,
//!
//! - a sum of products can be accumulated with plain wrapping additions (one `SMLAL` on a
//!   Cortex-M4): a wrapping sum equals the true sum whenever every partial sum fits, and the
//!   saturating sum equals it then too; the single rounding and clamp at the end are the
//!   generic ones, so the bits and the saturation count are the same;
//! - a rounded product can be formed without its clamp, which would not have clamped.
//!
//! When the guard fails, the kernel calls the generic one: the same bits by construction.
//! `tests/kernels.rs` compares the two on random inputs, values at the rails included.
//!
//! With the `asm` feature on Armv7E-M, the two loops the compiler leaves furthest from the
//! instruction floor — adding prescaled products into a gradient column, and the input
//! errors' dot products — run in assembly (`src/num/asm.rs`); the guards stay here.

use super::fixed_point::{round_shift_clamp, wide_mul};
use super::{FixedPair, Precision, Saturations, Scalar};
use crate::inner::{Anchor, Strength};
use crate::nn::dense::{self, InputErrors};
use crate::nn::Activation;
use fixed::types::extra::LeEqU32;
use fixed::FixedI32;

type Pair<FA, FP> = FixedPair<FixedI32<FA>, FixedI32<FP>>;

/// Outputs a forward pass forms together, their sums held in registers.
const OUTPUT_BLOCK: usize = 2;

/// `v ^ (v >> 31)`: `v` for `v ≥ 0`, `|v| − 1` below. One instruction on a Cortex-M4; the
/// OR of these over a vector, plus one, bounds every magnitude in it (see [`bound`]).
#[inline(always)]
fn ones(v: i32) -> u32 {
    (v ^ (v >> 31)) as u32
}

/// A bound on `|v|` for every `v` whose [`ones`] were ORed into `ors`.
#[inline(always)]
fn bound(ors: u32) -> u64 {
    ors as u64 + 1
}

/// [`bound`] of a whole vector.
#[inline(always)]
fn bound_of<T: Copy>(values: &[T], bits: impl Fn(T) -> i32) -> u64 {
    bound(values.iter().fold(0, |m, &v| m | ones(bits(v))))
}

/// A bound on every `|δ_i|`, which the backward kernels share.
#[inline(always)]
pub(crate) fn delta_bound<FP>(delta: &[FixedI32<FP>]) -> u64 {
    bound_of(delta, FixedI32::to_bits)
}

/// Whether every partial sum of a start `s` with `|s| ≤ start` and `count` products `a·b`,
/// `|a| ≤ 2^31` (any `i32`) and `|b| ≤ bound`, fits in `i64`:
/// `start + count · 2^31 · bound ≤ i64::MAX`.
#[inline(always)]
fn sums_fit(start: u64, count: usize, bound: u64) -> bool {
    let Some(room) = (i64::MAX as u64).checked_sub(start) else {
        return false;
    };
    (count as u64).saturating_mul(bound) <= room >> 31
}

/// Whether `(a·b + 2^(shift−1)) >> shift` fits in `i32` for every `|a·b| ≤ product`
/// (`1 ≤ shift ≤ 32`): `product + 2^(shift−1) < 2^(31+shift)`.
#[inline(always)]
fn rounded_product_fits(product: u64, shift: u32) -> bool {
    if !(1..=32).contains(&shift) {
        return false;
    }
    product < (1u64 << (31 + shift)) - (1u64 << (shift - 1))
}

/// `(a·b + 2^(shift−1)) >> shift` without a clamp: callers have checked
/// [`rounded_product_fits`].
#[inline(always)]
fn rounded_product(a: i32, b: i32, shift: u32) -> i32 {
    ((wide_mul(a, b) + (1i64 << (shift - 1))) >> shift) as i32
}

/// Magnitude bound of a bias as a forward sum's start, `|b| · 2^FA ≤ 2^(31+FA)`.
#[inline(always)]
fn bias_bound(frac_act: u32) -> u64 {
    1u64.checked_shl(31 + frac_act).unwrap_or(u64::MAX)
}

/// [`dense::forward_generic`], with wrapping sums when they cannot overflow.
#[inline(always)]
pub(crate) fn forward<FA, FP, const INPUTS: usize, const OUTPUTS: usize>(
    columns: &[[FixedI32<FP>; OUTPUTS]; INPUTS],
    biases: &[FixedI32<FP>; OUTPUTS],
    x: &[FixedI32<FA>; INPUTS],
    z: &mut [FixedI32<FA>; OUTPUTS],
    sat: &mut Saturations,
) where
    FA: LeEqU32 + Send + Sync,
    FP: LeEqU32 + Send + Sync,
{
    let frac_act = FixedI32::<FA>::FRAC_NBITS;
    let start = bias_bound(frac_act);
    if OUTPUTS == 1 {
        // One output: one dot product over a contiguous row.
        if !sums_fit(start, INPUTS, bound_of(x, FixedI32::to_bits)) {
            return dense::forward_generic::<Pair<FA, FP>, INPUTS, OUTPUTS>(
                columns, biases, x, z, sat,
            );
        }
        let mut sum = 0i64;
        for (&w, &x_j) in columns.as_flattened().iter().zip(x) {
            sum = sum.wrapping_add(wide_mul(w.to_bits(), x_j.to_bits()));
        }
        for (z_i, &b) in z.iter_mut().zip(biases) {
            let acc = Pair::<FA, FP>::acc_from(b).wrapping_add(sum);
            *z_i = Pair::<FA, FP>::acc_to_act(acc, sat);
        }
        return;
    }
    if INPUTS == 1 {
        // One input: every output is its bias plus one product.
        let x_0 = x.first().map_or(0, |x| x.to_bits());
        if !sums_fit(start, 1, bound(ones(x_0))) {
            return dense::forward_generic::<Pair<FA, FP>, INPUTS, OUTPUTS>(
                columns, biases, x, z, sat,
            );
        }
        let row = columns.as_flattened();
        if conversion_fits::<FA, FP>(1, bound(ones(x_0))) {
            forward_one_input(row, biases, x_0, z, sat, |sum, _| {
                unclamped_act::<FA, FP>(sum)
            });
        } else {
            forward_one_input(row, biases, x_0, z, sat, Pair::<FA, FP>::acc_to_act);
        }
        return;
    }
    // The inputs that are not zero (about half of them after a ReLU), gathered once.
    let Some(first) = columns.first() else {
        return dense::forward_generic::<Pair<FA, FP>, INPUTS, OUTPUTS>(columns, biases, x, z, sat);
    };
    let mut live_inputs = [(first, 0i32); INPUTS];
    let mut live = 0;
    let mut ors = 0;
    for (column, &x_j) in columns.iter().zip(x) {
        let bits = x_j.to_bits();
        if bits != 0 {
            if let Some(slot) = live_inputs.get_mut(live) {
                *slot = (column, bits);
            }
            live += 1;
            ors |= ones(bits);
        }
    }
    if !sums_fit(start, live, bound(ors)) {
        return dense::forward_generic::<Pair<FA, FP>, INPUTS, OUTPUTS>(columns, biases, x, z, sat);
    }
    let live_inputs = live_inputs.get(..live).unwrap_or(&[]);
    if conversion_fits::<FA, FP>(live, bound(ors)) {
        forward_blocks(live_inputs, biases, z, sat, |sum, _| {
            unclamped_act::<FA, FP>(sum)
        });
    } else {
        forward_blocks(live_inputs, biases, z, sat, Pair::<FA, FP>::acc_to_act);
    }
}

/// [`forward`] of a one-input layer: each output's bias plus `w_i·x_0`, turned into an
/// activation by `to_act`.
#[inline(always)]
fn forward_one_input<FA, FP>(
    row: &[FixedI32<FP>],
    biases: &[FixedI32<FP>],
    x_0: i32,
    z: &mut [FixedI32<FA>],
    sat: &mut Saturations,
    to_act: impl Fn(i64, &mut Saturations) -> FixedI32<FA>,
) where
    FA: LeEqU32 + Send + Sync,
    FP: LeEqU32 + Send + Sync,
{
    for (z_i, (&w, &b)) in z.iter_mut().zip(row.iter().zip(biases)) {
        let sum = Pair::<FA, FP>::acc_from(b).wrapping_add(wide_mul(w.to_bits(), x_0));
        *z_i = to_act(sum, sat);
    }
}

/// The sums of [`forward`] over the live inputs `(column, x_j)`, a block of outputs at a
/// time, each turned into an activation by `to_act`.
#[inline(always)]
fn forward_blocks<FA, FP, const OUTPUTS: usize>(
    live_inputs: &[(&[FixedI32<FP>; OUTPUTS], i32)],
    biases: &[FixedI32<FP>; OUTPUTS],
    z: &mut [FixedI32<FA>; OUTPUTS],
    sat: &mut Saturations,
    to_act: impl Fn(i64, &mut Saturations) -> FixedI32<FA>,
) where
    FA: LeEqU32 + Send + Sync,
    FP: LeEqU32 + Send + Sync,
{
    let (z_blocks, z_rest) = z.as_chunks_mut::<OUTPUT_BLOCK>();
    let (b_blocks, b_rest) = biases.as_chunks::<OUTPUT_BLOCK>();
    for (block, (z_block, b_block)) in z_blocks.iter_mut().zip(b_blocks).enumerate() {
        let mut sums = b_block.map(Pair::<FA, FP>::acc_from);
        for &(column, x_j) in live_inputs {
            let (w_blocks, _) = column.as_chunks::<OUTPUT_BLOCK>();
            if let Some(w_block) = w_blocks.get(block) {
                for (sum, &w) in sums.iter_mut().zip(w_block) {
                    *sum = sum.wrapping_add(wide_mul(w.to_bits(), x_j));
                }
            }
        }
        for (z_i, sum) in z_block.iter_mut().zip(sums) {
            *z_i = to_act(sum, sat);
        }
    }
    let rest_start = OUTPUTS - z_rest.len();
    for (i, (z_i, &b)) in z_rest.iter_mut().zip(b_rest).enumerate() {
        let mut sum = Pair::<FA, FP>::acc_from(b);
        for &(column, x_j) in live_inputs {
            if let Some(w) = column.get(rest_start + i) {
                sum = sum.wrapping_add(wide_mul(w.to_bits(), x_j));
            }
        }
        *z_i = to_act(sum, sat);
    }
}

/// Whether every forward sum of a bias and `count` products `w·x_j` (any weight, `|x_j| ≤
/// bound`) rounds into the activations' format without a clamp. With `F_a` and `F_p` fraction
/// bits, `|sum| ≤ 2^(31+F_a) + count·bound·2^31`, and `(sum + 2^(F_p−1)) >> F_p` fits in `i32`
/// when `|sum| + 2^(F_p−1) < 2^(31+F_p)`; `count·bound + 2^F_a + 1 ≤ 2^F_p` is enough
/// (divide by `2^31`; `2^(F_p−1) < 2^31`).
#[inline(always)]
fn conversion_fits<FA, FP>(count: usize, bound: u64) -> bool
where
    FA: LeEqU32 + Send + Sync,
    FP: LeEqU32 + Send + Sync,
{
    let (frac_act, frac_param) = (FixedI32::<FA>::FRAC_NBITS, FixedI32::<FP>::FRAC_NBITS);
    if !(1..=31).contains(&frac_param) {
        return false;
    }
    let largest = (count as u64)
        .saturating_mul(bound)
        .saturating_add(1 << frac_act)
        .saturating_add(1);
    largest <= 1 << frac_param
}

/// A forward sum rounded into the activations' format, where [`conversion_fits`] has shown
/// that it needs no clamp (so the wrapping rounding addition cannot wrap either).
#[inline(always)]
fn unclamped_act<FA, FP>(sum: i64) -> FixedI32<FA>
where
    FA: LeEqU32 + Send + Sync,
    FP: LeEqU32 + Send + Sync,
{
    let shift = FixedI32::<FP>::FRAC_NBITS;
    FixedI32::from_bits((sum.wrapping_add(1 << (shift - 1)) >> shift) as i32)
}

/// [`dense::weight_gradient_generic`], without the clamps of products that cannot clamp
/// (`delta_bound` is [`delta_bound`] of `delta`).
///
/// Each product `δ_i·x_j` is rounded by the activations' fraction bits `s`. With `δ` scaled by
/// `2^k` and `x_j` by `2^(32−s−k)`, both still fitting in `i32`, the rounded product is the
/// rounded high word of one 32 × 32 product ([`Prescaled`]): `k` is chosen once per call from
/// the largest `|δ_i|`, and a column whose `x_j` would not fit uses the two-multiply
/// [`RoundedProduct`] instead.
#[inline(always)]
pub(crate) fn weight_gradient<FA, FP, const INPUTS: usize, const OUTPUTS: usize>(
    x: &[FixedI32<FA>; INPUTS],
    delta: &[FixedI32<FP>; OUTPUTS],
    delta_bound: u64,
    grad_columns: &mut [[FixedI32<FP>; OUTPUTS]; INPUTS],
    sat: &mut Saturations,
) where
    FA: LeEqU32 + Send + Sync,
    FP: LeEqU32 + Send + Sync,
{
    let frac_act = FixedI32::<FA>::FRAC_NBITS;
    if OUTPUTS == 1 || !HAS_ROUNDED_HIGH_MULTIPLY {
        // One guard over the whole of `x`: the row below, and ARMv6-M, where nothing is
        // prescaled and a 64-bit guard per column would cost a library call.
        let product = delta_bound.saturating_mul(bound_of(x, FixedI32::to_bits));
        if !rounded_product_fits(product, frac_act) {
            return dense::weight_gradient_generic::<Pair<FA, FP>, INPUTS, OUTPUTS>(
                x,
                delta,
                grad_columns,
                sat,
            );
        }
    }
    if OUTPUTS == 1 {
        // One output: one contiguous row, every product by the same `δ`.
        let d = delta.first().map_or(0, |d| d.to_bits());
        let row = grad_columns.as_flattened_mut();
        match Prescaled::new(d, frac_act) {
            Some(by_delta) => add_products(row, x, |x_j| by_delta.times(x_j.to_bits())),
            None => {
                let by_delta = RoundedProduct::new(d, frac_act);
                add_products(row, x, |x_j| by_delta.times(x_j.to_bits()))
            }
        }
        return;
    }
    if !HAS_ROUNDED_HIGH_MULTIPLY {
        for (column, &x_j) in grad_columns.iter_mut().zip(x) {
            let x_j = x_j.to_bits();
            if x_j != 0 {
                let by_x = RoundedProduct::new(x_j, frac_act);
                add_products(column, delta, |d| by_x.times(d.to_bits()));
            }
        }
        return;
    }
    // `2^(32−s)` split between the two factors: as much as `δ` takes, the rest on `x_j`. A
    // prescaled product cannot clamp, so no guard over `x` is needed for it.
    let total_scale = 32 - frac_act;
    let delta_scale = headroom(delta_bound).min(total_scale);
    let x_scale = total_scale - delta_scale;
    let mut scaled_delta = [0i32; OUTPUTS];
    for (scaled, d) in scaled_delta.iter_mut().zip(delta) {
        *scaled = d.to_bits() << delta_scale;
    }
    for (column, &x_j) in grad_columns.iter_mut().zip(x) {
        let x_j = x_j.to_bits();
        if x_j == 0 {
            continue;
        }
        match Prescaled::scaled(x_j, x_scale) {
            Some(by_x) => add_prescaled_products(column, &scaled_delta, by_x),
            None => column_gradient::<FA, FP>(column, delta, x_j, delta_bound, sat),
        }
    }
}

/// One column of [`weight_gradient`] whose `x_j` could not be prescaled: two-multiply
/// products when `δ`'s bound times `|x_j|` proves none clamps, else the generic products.
#[cold]
#[inline(never)]
fn column_gradient<FA, FP>(
    column: &mut [FixedI32<FP>],
    delta: &[FixedI32<FP>],
    x_j: i32,
    delta_bound: u64,
    sat: &mut Saturations,
) where
    FA: LeEqU32 + Send + Sync,
    FP: LeEqU32 + Send + Sync,
{
    let frac_act = FixedI32::<FA>::FRAC_NBITS;
    if rounded_product_fits(delta_bound.saturating_mul(bound(ones(x_j))), frac_act) {
        let by_x = RoundedProduct::new(x_j, frac_act);
        add_products(column, delta, |d| by_x.times(d.to_bits()));
    } else {
        let x_j = FixedI32::<FA>::from_bits(x_j);
        for (g, &d) in column.iter_mut().zip(delta) {
            *g = g.add(Pair::<FA, FP>::mul_param_act(d, x_j, sat));
        }
    }
}

/// `g_i += product(v_i)`, saturating, for the gradient entries `g` and values `v` in step.
#[inline(always)]
fn add_products<T: Copy, FP>(
    gradient: &mut [FixedI32<FP>],
    values: &[T],
    product: impl Fn(T) -> i32,
) {
    for (g, &v) in gradient.iter_mut().zip(values) {
        *g = FixedI32::from_bits(g.to_bits().saturating_add(product(v)));
    }
}

/// [`add_products`] by a prescaled factor: `g_i += by.times(v_i)`, saturating. In assembly
/// with the `asm` feature on Armv7E-M (`src/num/asm.rs`).
#[inline(always)]
fn add_prescaled_products<FP>(gradient: &mut [FixedI32<FP>], values: &[i32], by: Prescaled) {
    #[cfg(tinycml_asm)]
    super::asm::add_rounded_products(gradient, values, by.0);
    #[cfg(not(tinycml_asm))]
    add_products(gradient, values, |v| by.times(v));
}

/// `Σ w_i·d_i` over `N` terms, wrapping in `i64`: exact wherever the caller's guard has shown
/// the sum fits. In assembly with the `asm` feature on Armv7E-M (`src/num/asm.rs`) from
/// [`ASM_DOT_MIN`] terms on; shorter ones the compiler unrolls into fewer instructions.
#[inline(always)]
fn dot<FW, FD, const N: usize>(w: &[FixedI32<FW>; N], d: &[FixedI32<FD>; N]) -> i64 {
    #[cfg(tinycml_asm)]
    if N >= ASM_DOT_MIN {
        return super::asm::dot(w, d);
    }
    w.iter().zip(d).fold(0i64, |sum, (&w_i, &d_i)| {
        sum.wrapping_add(wide_mul(w_i.to_bits(), d_i.to_bits()))
    })
}

/// The shortest dot product [`dot`] hands to the assembly loop: measured on the Cortex-M4F,
/// 16 terms ran faster unrolled by the compiler (dual 1-16-16-1 step 74,061 against 75,321).
#[cfg(tinycml_asm)]
const ASM_DOT_MIN: usize = 32;

/// The largest `k ≤ 31` with `bound·2^k ≤ 2^31`: every `|v| ≤ bound` (as [`bound`] gives
/// them, `v ≤ bound − 1` when positive) then has `v·2^k` in `i32`.
#[inline(always)]
fn headroom(bound: u64) -> u32 {
    // With `c = ⌈log₂ bound⌉`, `2^(c−1) < bound ≤ 2^c`: `k = 31 − c` fits and `k + 1` does not.
    let ceil_log2 = 64 - bound.saturating_sub(1).leading_zeros();
    31u32.saturating_sub(ceil_log2)
}

/// [`rounded_product`] by one fixed factor `x`, for many `d`: `(d·x + 2^(s−1)) >> s`, where
/// the caller has checked that it fits ([`rounded_product_fits`]).
///
/// Split `x = x_h·2^s + x_l` with `x_l ∈ [−2^(s−1), 2^(s−1))`; then exactly
/// `(d·x + 2^(s−1)) >> s = d·x_h + ((d·x_l + 2^(s−1)) >> s)`, and the second term is
/// `(d·(x_l·2^(32−s)) + 2^31) >> 32`, the rounded high word of a 32 × 32 product (`SMMLAR`
/// on a Cortex-M4, with the `MUL` of `d·x_h` as its addend): two instructions per product
/// where the 64-bit product, its rounding and its shift took five. Both sides are computed
/// modulo 2^32, and the result fits in `i32`, so they agree. On ARMv6-M, which has neither
/// instruction, the plain [`rounded_product`].
#[derive(Clone, Copy)]
struct RoundedProduct {
    x: i32,
    shift: u32,
    high: i32,
    low: i32,
}

impl RoundedProduct {
    #[inline(always)]
    fn new(x: i32, shift: u32) -> Self {
        let split = (1..=31).contains(&shift);
        let high = if split {
            ((x as i64 + (1i64 << (shift - 1))) >> shift) as i32
        } else {
            0
        };
        let low = if split { x << (32 - shift) } else { 0 };
        Self {
            x,
            shift,
            high,
            low,
        }
    }
}

/// Multiplication by a factor fixed for a whole loop, rounded to nearest (ties up):
/// `times(d) = (c·d + 2^(s−1)) >> s` for the factor `c` and shift `s` it was made with, where
/// the result fits in `i32`.
trait Factor: Copy {
    /// `(c·d + 2^(s−1)) >> s`.
    fn times(self, d: i32) -> i32;
}

impl Factor for RoundedProduct {
    #[inline(always)]
    fn times(self, d: i32) -> i32 {
        if HAS_ROUNDED_HIGH_MULTIPLY && (1..=31).contains(&self.shift) {
            let rounded_high = ((d as i64 * self.low as i64 + (1i64 << 31)) >> 32) as i32;
            return d.wrapping_mul(self.high).wrapping_add(rounded_high);
        }
        rounded_product(d, self.x, self.shift)
    }
}

/// Whether the target multiplies two `i32` into a rounded high word in one instruction
/// (`SMMULR`): every ARM profile but ARMv6-M (told apart by its missing 32-bit
/// compare-and-swap) and every other target, where the 64-bit product is cheap.
const HAS_ROUNDED_HIGH_MULTIPLY: bool =
    !cfg!(all(target_arch = "arm", not(target_has_atomic = "32")));

/// A factor `c` stored as `c·2^(32−s)`, which fits in `i32` when `|c| < 2^(s−1)`: then
/// `(c·d + 2^(s−1)) >> s` is exactly the rounded high word `(d·c·2^(32−s) + 2^31) >> 32` of
/// one 32 × 32 product (`SMMULR` on a Cortex-M4) for every `d`, and it is below `2^30` in
/// magnitude, so it never clamps. One instruction where [`RoundedProduct`] takes two.
#[derive(Clone, Copy)]
struct Prescaled(i32);

impl Prescaled {
    /// `c` prescaled for the shift `s`, or `None` when `c·2^(32−s)` does not fit.
    #[inline(always)]
    fn new(c: i32, shift: u32) -> Option<Self> {
        Self::scaled(c, 32u32.checked_sub(shift)?)
    }

    /// `v·2^by` when it fits in `i32` (`by ≤ 31`); always `None` on ARMv6-M, which has no
    /// rounded high multiply: its [`RoundedProduct`] costs the same.
    #[inline(always)]
    fn scaled(v: i32, by: u32) -> Option<Self> {
        if !HAS_ROUNDED_HIGH_MULTIPLY {
            return None;
        }
        let scaled = v.checked_shl(by)?;
        (scaled >> by == v).then_some(Self(scaled))
    }
}

impl Factor for Prescaled {
    #[inline(always)]
    fn times(self, d: i32) -> i32 {
        ((wide_mul(d, self.0) + (1i64 << 31)) >> 32) as i32
    }
}

/// [`dense::input_errors_generic`], with wrapping sums when they cannot overflow
/// (`delta_bound` is [`delta_bound`] of `delta`).
#[inline(always)]
pub(crate) fn input_errors<FA, FP, const INPUTS: usize, const OUTPUTS: usize>(
    columns: &[[FixedI32<FP>; OUTPUTS]; INPUTS],
    x: &[FixedI32<FA>; INPUTS],
    delta: &[FixedI32<FP>; OUTPUTS],
    delta_bound: u64,
    input_errors: InputErrors<'_, Pair<FA, FP>, INPUTS>,
    sat: &mut Saturations,
) where
    FA: LeEqU32 + Send + Sync,
    FP: LeEqU32 + Send + Sync,
{
    if !sums_fit(0, OUTPUTS, delta_bound) {
        return dense::input_errors_generic::<Pair<FA, FP>, INPUTS, OUTPUTS>(
            columns,
            x,
            delta,
            input_errors,
            sat,
        );
    }
    let InputErrors { errors, activation } = input_errors;
    if OUTPUTS == 1 {
        // One output: one product `w_j · δ` per input, rounded to the weights' format. It
        // fits when `2^31 · |δ|` does; then `from_wide` would neither clamp nor count.
        let frac = FixedI32::<FP>::FRAC_NBITS;
        let d = delta.first().map_or(0, |d| d.to_bits());
        if !rounded_product_fits(bound(ones(d)) << 31, frac) {
            return dense::input_errors_generic::<Pair<FA, FP>, INPUTS, OUTPUTS>(
                columns,
                x,
                delta,
                InputErrors { errors, activation },
                sat,
            );
        }
        let by_delta = RoundedProduct::new(d, frac);
        let row = columns.as_flattened().iter().zip(x);
        match activation {
            Activation::Tanh => {
                for (d_in, (&w, &x_j)) in errors.iter_mut().zip(row) {
                    let error = FixedI32::from_bits(by_delta.times(w.to_bits()));
                    *d_in = activation.backprop::<Pair<FA, FP>>(error, x_j, sat);
                }
            }
            Activation::Relu | Activation::Identity => {
                for (d_in, (&w, &x_j)) in errors.iter_mut().zip(row) {
                    *d_in = if activation.blocks(x_j) {
                        FixedI32::ZERO
                    } else {
                        FixedI32::from_bits(by_delta.times(w.to_bits()))
                    };
                }
            }
        }
        return;
    }
    for ((d_in, column), &x_j) in errors.iter_mut().zip(columns).zip(x) {
        *d_in = if activation.blocks(x_j) {
            FixedI32::ZERO
        } else {
            let error = FixedI32::<FP>::from_wide(dot(column, delta), sat);
            activation.backprop::<Pair<FA, FP>>(error, x_j, sat)
        };
    }
}

/// `λ·s` rounded to the weights' format and clamped, as [`Scalar::mul`] forms it.
///
/// When `|s| < 2^(F−1)` (a weight within half a unit of where it is pulled back to, the
/// usual case), `s·2^(32−F)` fits in `i32` and the product is the rounded high word of
/// `λ·(s·2^(32−F))`, `(λ·s + 2^(F−1)) >> F` exactly, at most `2^30` in magnitude so it
/// cannot clamp: one `SMMULR` on a Cortex-M4. Otherwise (and on ARMv6-M) the wide product
/// with its clamp ([`round_shift_clamp`]).
#[inline(always)]
fn pull(lambda: i32, s: i32, frac: u32) -> i32 {
    if HAS_ROUNDED_HIGH_MULTIPLY
        && (1..=31).contains(&frac)
        && (s as u32).wrapping_add(1 << (frac - 1)) < (1u32 << frac)
    {
        let shifted = s << (32 - frac);
        return ((lambda as i64 * shifted as i64 + (1i64 << 31)) >> 32) as i32;
    }
    round_shift_clamp(wide_mul(lambda, s), frac).0
}

/// [`crate::inner::update_generic`], with cheaper clamps: `lr · total` needs none when `|lr| <
/// 1` (a vector guard), `λ · (φ − ω)` is tested element by element
/// ([`round_shift_clamp`]), and the usability test is folded into one OR.
#[inline(always)]
pub(crate) fn descent_update<FA, FP, const P: usize>(
    phi: &mut [FixedI32<FP>; P],
    grad: &[FixedI32<FP>; P],
    anchor: &Anchor<'_, Pair<FA, FP>, P>,
    lr: FixedI32<FP>,
) -> bool
where
    FA: LeEqU32 + Send + Sync,
    FP: LeEqU32 + Send + Sync,
{
    let frac = FixedI32::<FP>::FRAC_NBITS;
    // `lr·total` multiplies a saturated sum, at most 2^31 in magnitude.
    if !(1..=32).contains(&frac) || !rounded_product_fits(bound(ones(lr.to_bits())) << 31, frac) {
        return crate::inner::update_generic::<Pair<FA, FP>, P>(phi, grad, anchor, lr);
    }
    match Prescaled::new(lr.to_bits(), frac) {
        Some(by_lr) => update_by::<FA, FP, P>(phi, grad, anchor, by_lr),
        None => update_by::<FA, FP, P>(phi, grad, anchor, RoundedProduct::new(lr.to_bits(), frac)),
    }
}

/// The loop of [`descent_update`], for one way of multiplying by the rate.
#[inline(always)]
fn update_by<FA, FP, const P: usize>(
    phi: &mut [FixedI32<FP>; P],
    grad: &[FixedI32<FP>; P],
    anchor: &Anchor<'_, Pair<FA, FP>, P>,
    by_lr: impl Factor,
) -> bool
where
    FA: LeEqU32 + Send + Sync,
    FP: LeEqU32 + Send + Sync,
{
    let frac = FixedI32::<FP>::FRAC_NBITS;
    // `v ^ (v >> 31)` is `i32::MAX` exactly for the two rails: adding 1 then sets bit 31.
    let rails = |v: i32| (v ^ (v >> 31)).wrapping_add(1);
    let mut at_rail = 0i32;
    let mut step = |p: &mut FixedI32<FP>, g: FixedI32<FP>, w: FixedI32<FP>, l: i32| {
        let pulled = pull(l, p.to_bits().saturating_sub(w.to_bits()), frac);
        let total = g.to_bits().saturating_add(pulled);
        let next = p.to_bits().saturating_sub(by_lr.times(total));
        *p = FixedI32::from_bits(next);
        at_rail |= rails(total) | rails(next);
    };
    let pairs = phi.iter_mut().zip(grad).zip(anchor.start);
    match anchor.strength {
        Strength::PerWeight(lambda) => {
            for (((p, &g), &w), &l) in pairs.zip(lambda) {
                step(p, g, w, l.to_bits());
            }
        }
        Strength::Uniform(mu) => {
            for ((p, &g), &w) in pairs {
                step(p, g, w, mu.to_bits());
            }
        }
    }
    at_rail >= 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::fixed_point::round_shift;

    #[test]
    fn wide_mul_halves_is_the_product() {
        use crate::num::fixed_point::wide_mul_halves;
        let edges = [
            0,
            1,
            -1,
            0xffff,
            0x10000,
            -0x10000,
            0x7fff,
            -0x8000,
            i32::MAX,
            i32::MIN,
        ];
        for &a in &edges {
            for &b in &edges {
                assert_eq!(wide_mul_halves(a, b), a as i64 * b as i64, "{a} · {b}");
            }
        }
        let mut rng = crate::SplitMix64::new(5);
        for _ in 0..100_000 {
            let r = rng.next_u64();
            let (a, b) = (
                (r as i32) >> (r >> 59),
                ((r >> 32) as i32) >> ((r >> 54) & 31),
            );
            assert_eq!(wide_mul_halves(a, b), a as i64 * b as i64, "{a} · {b}");
        }
    }

    #[test]
    fn round_shift_clamp_is_round_shift_then_clamp() {
        let edges = [
            i64::MIN,
            i64::MIN + 1,
            i64::MAX,
            i64::MAX - 1,
            0,
            1,
            -1,
            i32::MAX as i64,
            i32::MIN as i64,
        ];
        let mut rng = crate::SplitMix64::new(3);
        for shift in 0u32..=32 {
            let near = |k: i64| {
                let edge = 1i64 << (31 + shift).min(62);
                [
                    edge - k,
                    edge + k,
                    -edge - k,
                    -edge + k,
                    (edge >> 1) - k,
                    -(edge >> 1) + k,
                ]
            };
            let random: Vec<i64> = (0..400)
                .map(|_| (rng.next_u64() as i64) >> (rng.next_u64() % 64))
                .collect();
            let cases = edges
                .iter()
                .copied()
                .chain((0..4).flat_map(near))
                .chain((0..4).flat_map(|k| near((1i64 << shift.saturating_sub(1)) + k - 2)))
                .chain(random.iter().copied())
                .chain((0..64).map(|k| i64::MAX - k))
                .chain((0..64).map(|k| i64::MIN + k));
            for v in cases {
                let r = round_shift(v, shift);
                let want = (
                    r.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
                    r as i32 as i64 != r,
                );
                assert_eq!(round_shift_clamp(v, shift), want, "v {v} shift {shift}");
            }
        }
    }

    #[test]
    fn guards_at_their_edges() {
        // Q8.24 × Q16.16 products shifted by 16: |p| < 2^47 − 2^15 fits.
        assert!(rounded_product_fits((1 << 47) - (1 << 15) - 1, 16));
        assert!(!rounded_product_fits((1 << 47) - (1 << 15), 16));
        // The largest product that fits, both signs, rounds into i32 as the clamp would.
        let p = (1i64 << 47) - (1 << 15) - 1;
        assert_eq!((p + (1 << 15)) >> 16, i32::MAX as i64);
        assert_eq!(((-p) + (1 << 15)) >> 16, -(1i64 << 31) + 1);
        assert_eq!(round_shift(p, 16), i32::MAX as i64);
        // 2^31 · 2^16 start + n · 2^31 · bound ≤ i64::MAX.
        let start = bias_bound(16);
        let room = (i64::MAX as u64 - start) >> 31;
        assert!(sums_fit(start, 1, room));
        assert!(!sums_fit(start, 1, room + 1));
        assert!(!sums_fit(start, 2, 1 << 32));
        // The bound from `ones` covers both rails.
        assert!(bound(ones(i32::MIN)) >= 1 << 31 && bound(ones(i32::MAX)) >= (1 << 31) - 1);
        assert!(bound(ones(-5) | ones(3)) >= 5);
        assert!(!rounded_product_fits(1, 0));
    }
}
