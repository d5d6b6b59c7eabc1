//! `f32` and `f64` as [`Scalar`]s: IEEE arithmetic, `libm` for the transcendental functions
//! (pure software, so results do not depend on the host's libm).

use super::{Saturations, Scalar};

macro_rules! float_scalar {
    ($t:ty, $sqrt:path, $tanh:path) => {
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

float_scalar!(f32, libm::sqrtf, libm::tanhf);
float_scalar!(f64, libm::sqrt, libm::tanh);
