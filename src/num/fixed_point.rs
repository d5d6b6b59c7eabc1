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

/// `a · b`, exact in `i64`.
///
/// On ARMv6-M (Cortex-M0/M0+; recognised as 32-bit ARM without a 32-bit compare-and-swap,
/// the only ARM profile lacking one) there is no 32 × 32 → 64 multiply, and the compiler
/// calls `__aeabi_lmul`, a full 64 × 64 product of about 37 instructions. The product of two
/// `i32` needs only the four 16 × 16 products of their halves ([`wide_mul_halves`]), inline.
/// Everywhere else the plain product (one `SMULL`/`SMLAL`, or `MUL` + `MULH`).
#[inline(always)]
pub(crate) fn wide_mul(a: i32, b: i32) -> i64 {
    #[cfg(all(target_arch = "arm", not(target_has_atomic = "32")))]
    {
        wide_mul_halves(a, b)
    }
    #[cfg(not(all(target_arch = "arm", not(target_has_atomic = "32"))))]
    {
        a as i64 * b as i64
    }
}

/// `a · b` from 16-bit halves, `a = a_h·2^16 + a_l` with `a_l ∈ [0, 2^16)`: every partial
/// product fits its 32-bit register (`|a_h·b_l| < 2^31`), and they add up exactly in `i64`.
#[inline(always)]
#[cfg_attr(
    not(any(test, all(target_arch = "arm", not(target_has_atomic = "32")))),
    allow(dead_code)
)]
pub(crate) fn wide_mul_halves(a: i32, b: i32) -> i64 {
    let (a_l, a_h) = (a & 0xffff, a >> 16);
    let (b_l, b_h) = (b & 0xffff, b >> 16);
    let low = (a_l as u32).wrapping_mul(b_l as u32);
    let middle = (a_h * b_l) as i64 + (a_l * b_h) as i64;
    (((a_h * b_h) as i64) << 32) + (middle << 16) + low as i64
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
    match round_shift_fitting(v, shift) {
        Some(bits) => (bits, false),
        None => round_shift_clamp_slow(v, shift),
    }
}

/// The common case of [`round_shift_clamp`]: the rounded value when it certainly fits in
/// `i32`, `None` when the slow path must decide.
#[inline(always)]
pub(crate) fn round_shift_fitting(v: i64, shift: u32) -> Option<i32> {
    if (1..=31).contains(&shift) {
        let r = v.wrapping_add(1 << (shift - 1)) >> shift;
        if r as i32 as i64 == r {
            return Some(r as i32);
        }
    }
    None
}

/// [`round_shift_clamp`] where the result may not fit.
#[cold]
#[inline(never)]
pub(crate) fn round_shift_clamp_slow(v: i64, shift: u32) -> (i32, bool) {
    clamp_i32(round_shift(v, shift))
}

/// [`round_shift_clamp`], counting a clamp in `sat`; the common case does not touch `sat`.
#[inline(always)]
pub(crate) fn round_shift_counted(v: i64, shift: u32, sat: &mut Saturations) -> i32 {
    match round_shift_fitting(v, shift) {
        Some(bits) => bits,
        None => round_shift_counted_slow(v, shift, sat),
    }
}

/// [`round_shift_counted`] where the result may not fit.
#[cold]
#[inline(never)]
fn round_shift_counted_slow(v: i64, shift: u32, sat: &mut Saturations) -> i32 {
    let (bits, clamped) = clamp_i32(round_shift(v, shift));
    sat.record(clamped);
    bits
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
        let wide = wide_mul(self.to_bits(), other.to_bits());
        Self::from_bits(round_shift_clamp(wide, Self::FRAC_NBITS).0)
    }
    #[inline]
    fn div(self, other: Self) -> Self {
        let n = (self.to_bits() as i64) << Self::FRAC_NBITS;
        Self::from_bits(saturating_quotient(n, other.to_bits()))
    }
    #[inline]
    fn mul_div(self, b: Self, c: Self) -> Self {
        let n = wide_mul(self.to_bits(), b.to_bits());
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
        let n = wide_mul(self.to_bits(), b.to_bits());
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
        acc.saturating_add(wide_mul(a.to_bits(), b.to_bits()))
    }
    #[inline(always)]
    fn wide_add(a: i64, b: i64) -> i64 {
        a.saturating_add(b)
    }
    #[inline(always)]
    fn from_wide(acc: i64, sat: &mut Saturations) -> Self {
        Self::from_bits(round_shift_counted(acc, Self::FRAC_NBITS, sat))
    }
}
