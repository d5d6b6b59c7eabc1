//! Every `i32`-backed format of the `fixed` crate (`I16F16`, `I8F24`, …) as a [`Scalar`].
//!
//! The arithmetic works on the raw bits so that rounding is spelled out and identical on every
//! target: products go through `i64`, are rounded to nearest (ties up) once, and saturate at
//! the edges of the format.

use super::{exp, ln, tanh, Saturations, Scalar};
use fixed::{types::extra::LeEqU32, FixedI32};

/// Clamps a wide value into `i32`, reporting whether it had to.
#[inline(always)]
fn clamp_i32(v: i64) -> (i32, bool) {
    if v > i32::MAX as i64 {
        (i32::MAX, true)
    } else if v < i32::MIN as i64 {
        (i32::MIN, true)
    } else {
        (v as i32, false)
    }
}

/// `v >> shift`, rounded to nearest with ties up (shift ≥ 1).
#[inline(always)]
pub(crate) fn round_shift(v: i64, shift: u32) -> i64 {
    if shift == 0 {
        v
    } else {
        (v.saturating_add(1 << (shift - 1))) >> shift
    }
}

/// `clamp_i32(round_shift(v, shift))`: `v >> shift` rounded to nearest (ties up), clamped to
/// `i32`, and whether it had to clamp.
///
/// The same result as the two spelled out, with the common case — no clamp — first: for
/// `1 ≤ shift ≤ 31` the rounding addition wraps instead of saturating, and one comparison
/// checks that the result fits. That is exact: when `v + 2^(shift−1)` does not overflow, the
/// wrapping and the saturating sums agree; when it does (`v` within `2^(shift−1)` of
/// `i64::MAX`), the wrapped sum is near `−2^63` and its shift, below `−2^32`, fails the check,
/// so the clamp is formed as before.
#[inline(always)]
pub(crate) fn round_shift_clamp(v: i64, shift: u32) -> (i32, bool) {
    if (1..=31).contains(&shift) {
        let r = v.wrapping_add(1 << (shift - 1)) >> shift;
        if r as i32 as i64 == r {
            return (r as i32, false);
        }
    }
    round_shift_clamp_slow(v, shift)
}

/// [`round_shift_clamp`] where the result may not fit.
#[cold]
#[inline(never)]
fn round_shift_clamp_slow(v: i64, shift: u32) -> (i32, bool) {
    clamp_i32(round_shift(v, shift))
}

/// `n / d` rounded to nearest (ties away from zero); `d` must not be zero.
#[inline(always)]
fn round_div(n: i64, d: i64) -> i64 {
    let q = n / d;
    let r = n % d;
    if 2 * r.unsigned_abs() >= d.unsigned_abs() {
        if (n < 0) == (d < 0) {
            q + 1
        } else {
            q - 1
        }
    } else {
        q
    }
}

/// Saturated quotient of a wide numerator by a raw divisor.
#[inline(always)]
fn saturating_quotient(n: i64, d: i32) -> i32 {
    if d == 0 {
        return match n.signum() {
            1 => i32::MAX,
            -1 => i32::MIN,
            _ => 0,
        };
    }
    clamp_i32(round_div(n, d as i64)).0
}

impl<Frac: LeEqU32 + Send + Sync> Scalar for FixedI32<Frac> {
    type Wide = i64;
    const ZERO: Self = Self::from_bits(0);
    const ONE: Self = Self::from_bits(1 << Self::FRAC_NBITS);
    const MIN_POSITIVE: Self = Self::from_bits(1);

    fn from_f64(v: f64) -> Option<Self> {
        if !v.is_finite() {
            return None;
        }
        let scaled = libm::round(v * (1u64 << Self::FRAC_NBITS) as f64);
        (scaled >= i32::MIN as f64 && scaled <= i32::MAX as f64)
            .then(|| Self::from_bits(scaled as i32))
    }
    fn from_f64_saturating(v: f64) -> Self {
        if v.is_nan() {
            return Self::ZERO;
        }
        let scaled = libm::round(v * (1u64 << Self::FRAC_NBITS) as f64);
        Self::from_bits(scaled.clamp(i32::MIN as f64, i32::MAX as f64) as i32)
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self.to_bits() as f64 / (1u64 << Self::FRAC_NBITS) as f64
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Self::from_bits(self.to_bits().saturating_add(other.to_bits()))
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Self::from_bits(self.to_bits().saturating_sub(other.to_bits()))
    }
    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        let wide = self.to_bits() as i64 * other.to_bits() as i64;
        Self::from_bits(round_shift_clamp(wide, Self::FRAC_NBITS).0)
    }
    #[inline]
    fn div(self, other: Self) -> Self {
        let n = (self.to_bits() as i64) << Self::FRAC_NBITS;
        Self::from_bits(saturating_quotient(n, other.to_bits()))
    }
    #[inline]
    fn mul_div(self, b: Self, c: Self) -> Self {
        let n = self.to_bits() as i64 * b.to_bits() as i64;
        Self::from_bits(saturating_quotient(n, c.to_bits()))
    }
    #[inline]
    fn div_count(self, count: u32) -> Self {
        if count == 0 {
            return Self::ZERO;
        }
        // |bits / count| ≤ |bits|: the quotient always fits.
        Self::from_bits(round_div(self.to_bits() as i64, count as i64) as i32)
    }
    #[inline]
    fn mul_div_count(self, b: Self, count: u32) -> Self {
        if count == 0 {
            return Self::ZERO;
        }
        // The divisor `count` in this format's bits is `count << FRAC`, below 2^56: the same
        // quotient as `mul_div` by `count`, without needing `count` to fit the format.
        let n = self.to_bits() as i64 * b.to_bits() as i64;
        Self::from_bits(clamp_i32(round_div(n, (count as i64) << Self::FRAC_NBITS)).0)
    }
    fn sqrt(self) -> Self {
        if self.to_bits() <= 0 {
            return Self::ZERO;
        }
        // sqrt(b · 2^-F) · 2^F = sqrt(b · 2^F); the result of an i32 input fits in i32.
        let square = (self.to_bits() as u64) << Self::FRAC_NBITS;
        let floor = square.isqrt();
        // Round to nearest: (r + ½)² = r² + r + ¼, so round up when square > r² + r.
        let root = floor + (square - floor * floor > floor) as u64;
        Self::from_bits(root.min(i32::MAX as u64) as i32)
    }
    #[inline]
    fn tanh(self) -> Self {
        Self::from_bits(tanh::tanh_bits(self.to_bits(), Self::FRAC_NBITS))
    }
    #[inline]
    fn exp(self) -> Self {
        Self::from_bits(exp::exp_bits(self.to_bits(), Self::FRAC_NBITS))
    }
    #[inline]
    fn ln(self) -> Self {
        Self::from_bits(ln::ln_bits(self.to_bits(), Self::FRAC_NBITS))
    }
    #[inline(always)]
    fn is_usable(self) -> bool {
        self.to_bits() != i32::MAX && self.to_bits() != i32::MIN
    }
    #[inline(always)]
    fn wide_zero() -> i64 {
        0
    }
    #[inline(always)]
    fn wide_mac(acc: i64, a: Self, b: Self) -> i64 {
        acc.saturating_add(a.to_bits() as i64 * b.to_bits() as i64)
    }
    #[inline(always)]
    fn wide_add(a: i64, b: i64) -> i64 {
        a.saturating_add(b)
    }
    #[inline(always)]
    fn from_wide(acc: i64, sat: &mut Saturations) -> Self {
        let (bits, clamped) = round_shift_clamp(acc, Self::FRAC_NBITS);
        sat.record(clamped);
        Self::from_bits(bits)
    }
}
