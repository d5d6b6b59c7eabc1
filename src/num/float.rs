//! `f32` and `f64` as [`Scalar`]s: IEEE arithmetic, `libm` for the transcendental functions
//! (pure software, so results do not depend on the host's libm). micromath's faster `f32`
//! `exp` and `ln` were measured and are not accurate enough for a softmax cross-entropy; the
//! numbers are on `f32`'s [`Scalar::exp`] and [`Scalar::ln`].

use super::{Saturations, Scalar};

macro_rules! float_scalar {
    ($t:ty, $sqrt:path, $tanh:path, $exp:path, $ln:path, $exp_doc:literal, $ln_doc:literal) => {
        impl Scalar for $t {
            type Wide = $t;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const MIN_POSITIVE: Self = <$t>::MIN_POSITIVE;

            #[inline]
            fn from_f64(v: f64) -> Option<Self> {
                let x = v as $t;
                x.is_finite().then_some(x)
            }
            #[inline]
            fn from_f64_saturating(v: f64) -> Self {
                if v.is_nan() {
                    0.0
                } else {
                    (v as $t).clamp(<$t>::MIN, <$t>::MAX)
                }
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn add(self, other: Self) -> Self {
                self + other
            }
            #[inline(always)]
            fn sub(self, other: Self) -> Self {
                self - other
            }
            #[inline(always)]
            fn mul(self, other: Self) -> Self {
                self * other
            }
            #[inline(always)]
            fn div(self, other: Self) -> Self {
                self / other
            }
            #[inline(always)]
            fn mul_div(self, b: Self, c: Self) -> Self {
                self * b / c
            }
            #[inline]
            fn div_count(self, count: u32) -> Self {
                if count == 0 {
                    0.0
                } else {
                    self / count as $t
                }
            }
            #[inline]
            fn mul_div_count(self, b: Self, count: u32) -> Self {
                (self * b).div_count(count)
            }
            #[inline]
            fn sqrt(self) -> Self {
                if self > 0.0 {
                    $sqrt(self)
                } else {
                    0.0
                }
            }
            #[inline]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[doc = $exp_doc]
            #[inline]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[doc = $ln_doc]
            #[inline]
            fn ln(self) -> Self {
                $ln(self)
            }
            #[inline(always)]
            fn is_usable(self) -> bool {
                self.is_finite()
            }
            #[inline(always)]
            fn wide_zero() -> Self::Wide {
                0.0
            }
            #[inline(always)]
            fn wide_mac(acc: Self::Wide, a: Self, b: Self) -> Self::Wide {
                acc + a * b
            }
            #[inline(always)]
            fn wide_add(a: Self::Wide, b: Self::Wide) -> Self::Wide {
                a + b
            }
            #[inline(always)]
            fn from_wide(acc: Self::Wide, _sat: &mut Saturations) -> Self {
                acc
            }
        }
    };
}

float_scalar!(
    f32,
    libm::sqrtf,
    libm::tanhf,
    libm::expf,
    libm::logf,
    "`e^x` by `libm::expf`: relative error 7.4e-8 (measured over −87 … 88 against `f64`).\n\n\
     Not micromath 2.1's `F32Ext::exp`, measured in `tests/approx.rs` at a relative error of \
     2.4e-3 over the same inputs and over the −20 … 0 a softmax sees (a 4-term series): \
     softmax probabilities off by up to about 0.5 % (twice that), where libm is within an \
     `f32` rounding.",
    "`ln x` by `libm::logf` (`ln 0 = −∞`, negative inputs give NaN): absolute error 3.8e-6 \
     at `ln x = 85`, relative 7.9e-8 (measured over the positive normal `f32`).\n\n\
     Not micromath 2.1's `F32Ext::ln`, measured in `tests/approx.rs`: for `x < 1` it takes \
     the logarithm of an approximate reciprocal, and is off by up to 0.118 in absolute \
     terms (11.7 % relative), so a cross-entropy `−ln p` can be wrong by 0.12 nats; for \
     `x ≥ 1` its error is 6.9e-5."
);
float_scalar!(
    f64,
    libm::sqrt,
    libm::tanh,
    libm::exp,
    libm::log,
    "`e^x` by `libm::exp`.",
    "`ln x` by `libm::log` (`ln 0 = −∞`, negative inputs give NaN)."
);
