//! Forward-mode dual numbers: exact directional derivatives of anything written against
//! [`Scalar`].
//!
//! A [`Dual`] is `v + d·ε` with `ε² = 0`. Running a computation on `x + ε·u` yields its value
//! at `x` in the value parts and its directional derivative along `u` in the derivative parts,
//! exact up to `f64` rounding (no step size, no truncation error). Because [`Dual`] implements
//! [`Scalar`] and [`Precision`], every generic routine of tinycml runs on it unchanged: the
//! library's own back-propagation ([`crate::nn::add_loss_gradient`]) evaluated at `φ + ε·v`
//! returns `∇ℓ(φ)` in its value parts and the Hessian-vector product `∇²ℓ(φ)·v` in its
//! derivative parts. That is how the reference gets exact second derivatives of any
//! [`crate::Model`] without a line of model-specific code.
//!
//! Ordering is lexicographic (value first, then derivative), which agrees with equality of
//! both parts. Branches therefore follow the value, as the derivative of a piecewise function
//! should; only at an exact tie of values does the derivative pick the side (ReLU at exactly
//! zero takes the slope of the side the perturbation moves towards).

use crate::num::{Precision, Saturations, Scalar};
use core::cmp::Ordering;

/// A dual number `v + d·ε` with `ε² = 0`, over `f64`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Dual {
    /// The value.
    pub v: f64,
    /// The derivative (the coefficient of `ε`).
    pub d: f64,
}

impl Dual {
    /// `v + d·ε`.
    pub const fn new(v: f64, d: f64) -> Self {
        Self { v, d }
    }

    /// A constant: `v + 0·ε`.
    pub const fn constant(v: f64) -> Self {
        Self { v, d: 0.0 }
    }

    /// What [`Scalar::ln`] gives for `v ≤ 0` (value; the derivative is 0): just below
    /// `ln(2^-1074) = −744.44`, the logarithm of the smallest positive `f64`.
    pub const LN_NONPOSITIVE: f64 = -745.0;
}

impl PartialOrd for Dual {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match self.v.partial_cmp(&other.v)? {
            Ordering::Equal => self.d.partial_cmp(&other.d),
            unequal => Some(unequal),
        }
    }
}

impl Scalar for Dual {
    type Wide = Dual;
    const ZERO: Self = Dual::constant(0.0);
    const ONE: Self = Dual::constant(1.0);
    const MIN_POSITIVE: Self = Dual::constant(f64::MIN_POSITIVE);

    fn from_f64(v: f64) -> Option<Self> {
        v.is_finite().then_some(Dual::constant(v))
    }
    fn from_f64_saturating(v: f64) -> Self {
        Dual::constant(f64::from_f64_saturating(v))
    }
    fn to_f64(self) -> f64 {
        self.v
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Dual::new(self.v + o.v, self.d + o.d)
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Dual::new(self.v - o.v, self.d - o.d)
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Dual::new(self.v * o.v, self.d * o.v + self.v * o.d)
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        let q = self.v / o.v;
        Dual::new(q, (self.d - q * o.d) / o.v)
    }
    #[inline(always)]
    fn mul_div(self, b: Self, c: Self) -> Self {
        self.mul(b).div(c)
    }
    fn div_count(self, count: u32) -> Self {
        if count == 0 {
            Dual::ZERO
        } else {
            Dual::new(self.v / count as f64, self.d / count as f64)
        }
    }
    fn mul_div_count(self, b: Self, count: u32) -> Self {
        self.mul(b).div_count(count)
    }
    fn sqrt(self) -> Self {
        if self.v > 0.0 {
            let r = libm::sqrt(self.v);
            Dual::new(r, self.d / (2.0 * r))
        } else {
            Dual::ZERO
        }
    }
    fn tanh(self) -> Self {
        let t = libm::tanh(self.v);
        Dual::new(t, self.d * (1.0 - t * t))
    }
    /// `e^(a + bε) = e^a + b e^a ε`.
    fn exp(self) -> Self {
        let e = libm::exp(self.v);
        Dual::new(e, self.d * e)
    }
    /// `ln(a + bε) = ln a + (b / a) ε` for `a > 0`. For `a ≤ 0` (no logarithm) the value is
    /// the constant [`Dual::LN_NONPOSITIVE`] with derivative 0: finite, so a loss stays a
    /// number, and below the logarithm of every positive `f64`, so `ln` stays non-decreasing.
    /// NaN stays NaN.
    fn ln(self) -> Self {
        if self.v <= 0.0 {
            Dual::constant(Dual::LN_NONPOSITIVE)
        } else {
            Dual::new(libm::log(self.v), self.d / self.v)
        }
    }
    #[inline(always)]
    fn is_usable(self) -> bool {
        self.v.is_finite() && self.d.is_finite()
    }
    #[inline(always)]
    fn wide_zero() -> Self {
        Dual::ZERO
    }
    #[inline(always)]
    fn wide_mac(acc: Self, a: Self, b: Self) -> Self {
        acc.add(a.mul(b))
    }
    #[inline(always)]
    fn wide_add(a: Self, b: Self) -> Self {
        a.add(b)
    }
    #[inline(always)]
    fn from_wide(acc: Self, _: &mut Saturations) -> Self {
        acc
    }
}

impl Precision for Dual {
    type Act = Dual;
    type Param = Dual;
    type Acc = Dual;

    fn name() -> &'static str {
        "dual"
    }
    #[inline(always)]
    fn acc_from(bias: Dual) -> Dual {
        bias
    }
    #[inline(always)]
    fn mac(acc: Dual, w: Dual, x: Dual) -> Dual {
        acc.add(w.mul(x))
    }
    #[inline(always)]
    fn acc_add(a: Dual, b: Dual) -> Dual {
        a.add(b)
    }
    #[inline(always)]
    fn acc_to_act(acc: Dual, _: &mut Saturations) -> Dual {
        acc
    }
    #[inline(always)]
    fn acc_to_param(acc: Dual, _: &mut Saturations) -> Dual {
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_of_elementary_operations() {
        let x = Dual::new(0.7, 1.0);
        let y = x.mul(x).div(x.add(Dual::ONE)); // x²/(x+1)
        let expected = (0.7f64 * 0.7 + 2.0 * 0.7) / (1.7 * 1.7);
        assert!((y.d - expected).abs() < 1e-15);
        let t = x.tanh();
        assert!((t.d - (1.0 - 0.7f64.tanh().powi(2))).abs() < 1e-15);
        let r = x.sqrt();
        assert!((r.d - 0.5 / 0.7f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn order_follows_the_value_first() {
        assert!(Dual::new(1.0, -5.0) > Dual::new(0.5, 9.0));
        assert!(Dual::new(0.0, 1.0) > Dual::ZERO);
        assert_eq!(Dual::new(0.0, 1.0).max(Dual::ZERO), Dual::new(0.0, 1.0));
    }
}
