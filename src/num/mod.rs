//! Numbers: one trait for every number type the learner runs in.
//!
//! The whole library is written once, against [`Scalar`] (one number type) and
//! [`Precision`] (the pair of types a network uses). The same code then runs as
//!
//! - `f64`: the host reference every other result is checked against,
//! - `f32`: the fast host and FPU path,
//! - fixed point ([`Q16_16`], the device default): `fixed`'s `I16F16` for data and
//!   activations, `I8F24` for weights, gradients and meta-state.
//!
//! Why two fixed formats: most inner-loop updates `lr · ∇` are smaller than one Q16.16 step
//! (1.5e-5), and the CML contrast `φ⁻ − φ⁺` is only a few Q16.16 steps wide. Weights kept in
//! Q8.24 (step 6e-8, range ±128) see those updates; activations stay in the wider-range
//! Q16.16. Products are formed in `i64` and rounded once; overflow saturates instead of
//! wrapping, and the kernels that can saturate count it in a [`Saturations`] counter.

#[cfg(tinycml_asm)]
mod asm;
pub mod exp;
mod fixed_point;
mod float;
mod kernels;
pub mod ln;
mod precision;
pub mod tanh;

pub use precision::{FixedPair, GenericKernels, Precision, Q16_16Uniform, Q16_16, Q8_24};

use core::fmt::Debug;

/// Counts how often a kernel had to clamp a result to the range of its format.
///
/// Floats never saturate; in fixed point a non-zero count means some value hit the rails
/// and the result is less accurate than the format allows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Saturations(pub u32);

impl Saturations {
    /// Records one clamp when `clamped` is true.
    #[inline(always)]
    pub fn record(&mut self, clamped: bool) {
        self.0 = self.0.saturating_add(clamped as u32);
    }
}

/// One number type: `f32`, `f64`, or an `i32`-backed fixed-point format.
///
/// All arithmetic saturates (fixed point) or follows IEEE 754 (floats); nothing panics.
/// Values that cannot be represented are refused at the door by [`Scalar::from_f64`].
pub trait Scalar: Copy + Default + PartialEq + PartialOrd + Debug + Send + Sync + 'static {
    /// Wide accumulator for sums of products of two values of this type
    /// (`i64` with twice the fraction bits for fixed point, the type itself for floats).
    type Wide: Copy + Default + Debug;

    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Smallest positive value (one step in fixed point, the smallest normal in floats).
    const MIN_POSITIVE: Self;

    /// Converts exactly representable-or-rounded `v`; `None` when `v` is NaN, infinite or out
    /// of range (the caller turns that into a typed error).
    fn from_f64(v: f64) -> Option<Self>;
    /// Converts `v`, clamping to the range (NaN becomes zero). For constants known to fit.
    fn from_f64_saturating(v: f64) -> Self;
    /// The value as `f64` (exact for every supported type).
    fn to_f64(self) -> f64;

    /// Saturating addition.
    fn add(self, other: Self) -> Self;
    /// Saturating subtraction.
    fn sub(self, other: Self) -> Self;
    /// Saturating product, rounded to nearest.
    fn mul(self, other: Self) -> Self;
    /// Saturating quotient, rounded; division by zero saturates.
    fn div(self, other: Self) -> Self;
    /// `self · b / c` with one rounding: the product is kept wide, so tiny differences
    /// multiplied and then divided by a small β keep their precision.
    fn mul_div(self, b: Self, c: Self) -> Self;
    /// `self / count`, rounded once. Unlike [`Scalar::div`] the divisor is an integer, so it
    /// works for any count, also one the format itself cannot hold (Q8.24 stops at 128):
    /// the mean over 200 shots or 500 tasks. A count of 0 gives zero.
    fn div_count(self, count: u32) -> Self;
    /// `self · b / count` with one rounding, for any count (see [`Scalar::div_count`]); equal
    /// to [`Scalar::mul_div`] by `count` wherever the format holds `count`.
    fn mul_div_count(self, b: Self, count: u32) -> Self;
    /// Square root of a non-negative value (negative inputs give zero).
    fn sqrt(self) -> Self;
    /// Hyperbolic tangent (fixed point: see [`tanh`] for the method and its error).
    fn tanh(self) -> Self;
    /// Natural exponential `e^x`, for softmax and cross-entropy.
    ///
    /// Floats: `libm` (IEEE: overflow gives `+∞`, underflow 0). Fixed point: see [`exp`] for
    /// the method and its error; results beyond the largest value saturate to it (not counted
    /// in [`Saturations`]: check [`Scalar::is_usable`]) and results below half a step are 0.
    fn exp(self) -> Self;
    /// Natural logarithm `ln x`, for cross-entropy losses.
    ///
    /// Floats: `libm` (IEEE: `ln 0 = −∞`, a negative input gives NaN). Fixed point: see [`ln`]
    /// for the method and its error; `x ≤ 0` gives the most negative value of the format
    /// (`ln 0 = −∞`, saturated). The dual numbers of `reference` (feature `std`): a fixed, very
    /// negative value with zero derivative for `x ≤ 0`.
    fn ln(self) -> Self;

    /// True when the value is finite and not pinned at the edge of its range: the test a
    /// learner state must pass before it may become meta-state.
    fn is_usable(self) -> bool;

    /// Empty wide accumulator.
    fn wide_zero() -> Self::Wide;
    /// `acc + a·b` in the wide accumulator (saturating).
    fn wide_mac(acc: Self::Wide, a: Self, b: Self) -> Self::Wide;
    /// `a + b` of two wide accumulators (saturating).
    fn wide_add(a: Self::Wide, b: Self::Wide) -> Self::Wide;
    /// Rounds a wide accumulator back to this type, counting a clamp.
    fn from_wide(acc: Self::Wide, sat: &mut Saturations) -> Self;

    /// Larger of two values.
    #[inline]
    fn max(self, other: Self) -> Self {
        if other > self {
            other
        } else {
            self
        }
    }
    /// Smaller of two values.
    #[inline]
    fn min(self, other: Self) -> Self {
        if other < self {
            other
        } else {
            self
        }
    }
    /// Negation (saturating).
    #[inline]
    fn neg(self) -> Self {
        Self::ZERO.sub(self)
    }
    /// Absolute value (saturating).
    #[inline]
    fn abs(self) -> Self {
        if self < Self::ZERO {
            self.neg()
        } else {
            self
        }
    }
}
