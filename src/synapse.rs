//! The complex synapse: each weight carries a consolidated value ω and a strength λ.
//!
//! A task starts at φ = ω and learns under `L_in = ℓ(φ; S) + ½ Σ λ_i (φ_i − ω_i)²`, so ω is
//! where learning starts and λ how strongly each weight is pulled back there. Both are the
//! meta-parameters θ that CML learns. The rule is local: each synapse's meta-gradient uses only
//! its own end states (see [`contrast`]).

use crate::inner::{Anchor, Strength};
use crate::num::{Precision, Scalar, Q16_16};
use crate::Error;
use fixed::types::I8F24;

/// Meta-parameters θ = (ω, λ) of a network with `P` parameters.
///
/// λ is kept strictly positive: constructors refuse λ ≤ 0 and the meta-optimisers project λ
/// into `[λ_min, λ_max]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ComplexSynapse<N: Precision, const P: usize> {
    omega: [N::Param; P],
    lambda: [N::Param; P],
}

impl<N: Precision, const P: usize> ComplexSynapse<N, P> {
    /// θ from consolidated values and strengths; [`Error::LambdaNotPositive`] unless every
    /// λ > 0, [`Error::NotFinite`] if any value is not usable.
    pub fn new(omega: [N::Param; P], lambda: [N::Param; P]) -> Result<Self, Error> {
        if !omega.iter().chain(&lambda).all(|v| v.is_usable()) {
            return Err(Error::NotFinite);
        }
        if lambda.iter().any(|&l| l <= N::Param::ZERO) {
            return Err(Error::LambdaNotPositive);
        }
        Ok(Self { omega, lambda })
    }

    /// θ with the given ω and the same strength λ on every synapse: the errors of
    /// [`ComplexSynapse::new`], and [`Error::OutOfRange`] for a finite λ the format cannot
    /// hold.
    pub fn with_uniform_lambda(omega: [N::Param; P], lambda: f64) -> Result<Self, Error> {
        if !lambda.is_finite() {
            return Err(Error::NotFinite);
        }
        let l = N::Param::from_f64(lambda).ok_or(Error::OutOfRange)?;
        Self::new(omega, [l; P])
    }

    /// Consolidated values ω (where each task starts).
    pub fn omega(&self) -> &[N::Param; P] {
        &self.omega
    }

    /// Consolidation strengths λ.
    pub fn lambda(&self) -> &[N::Param; P] {
        &self.lambda
    }

    /// FNV-1a (64-bit) over the exact values of ω then λ (each as the bits of its `f64`
    /// value, which every supported format converts to exactly). Equal fingerprints on two
    /// targets mean bit-identical meta-states.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(self.omega.iter().chain(&self.lambda).copied())
    }

    /// The inner loss's pull: towards ω, with strength λ per synapse.
    pub fn anchor(&self) -> Anchor<'_, N, P> {
        Anchor {
            start: &self.omega,
            strength: Strength::PerWeight(&self.lambda),
        }
    }

    /// Both halves, for the meta-optimisers (crate-private: λ must stay positive).
    pub(crate) fn parts_mut(&mut self) -> (&mut [N::Param; P], &mut [N::Param; P]) {
        (&mut self.omega, &mut self.lambda)
    }
}

impl<const P: usize> ComplexSynapse<Q16_16, P> {
    /// θ of the device format from the raw bits of its Q8.24 values, usable in a `const`
    /// context, with the checks of [`ComplexSynapse::new`].
    ///
    /// Why: adaptation only reads θ, so a deployed device can keep a meta-learned prior in
    /// flash instead of `2P` values of RAM. A build script decodes an export (see
    /// [`crate::store`]) into bit arrays and the firmware declares
    ///
    /// ```
    /// # use tinycml::{ComplexSynapse, Q16_16};
    /// # const OMEGA: [i32; 2] = [1 << 23, -(1 << 22)];
    /// # const LAMBDA: [i32; 2] = [1 << 24, 1 << 24];
    /// static PRIOR: ComplexSynapse<Q16_16, 2> = match ComplexSynapse::from_bits(&OMEGA, &LAMBDA) {
    ///     Ok(theta) => theta,
    ///     Err(_) => panic!("the prior is not a valid θ"), // a compile-time error
    /// };
    /// assert_eq!(PRIOR.omega()[0].to_num::<f64>(), 0.5);
    /// ```
    pub const fn from_bits(omega: &[i32; P], lambda: &[i32; P]) -> Result<Self, Error> {
        let mut theta = Self {
            omega: [I8F24::ZERO; P],
            lambda: [I8F24::ZERO; P],
        };
        let mut usable = true;
        let mut positive = true;
        let mut i = 0;
        while i < P {
            let (w, l) = (omega[i], lambda[i]);
            usable &= w != i32::MAX && w != i32::MIN && l != i32::MAX && l != i32::MIN;
            positive &= l > 0;
            theta.omega[i] = I8F24::from_bits(w);
            theta.lambda[i] = I8F24::from_bits(l);
            i += 1;
        }
        if !usable {
            Err(Error::NotFinite)
        } else if !positive {
            Err(Error::LambdaNotPositive)
        } else {
            Ok(theta)
        }
    }
}

/// FNV-1a (64-bit) over the exact `f64` values of a sequence of numbers.
pub fn fingerprint<S: Scalar>(values: impl Iterator<Item = S>) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    values.fold(OFFSET, |hash, value| {
        value
            .to_f64()
            .to_bits()
            .to_le_bytes()
            .iter()
            .fold(hash, |h, &byte| (h ^ byte as u64).wrapping_mul(PRIME))
    })
}

/// Per-synapse CML estimate from the end states of two phases.
///
/// `upper` is φ⁺ (the +β phase); `lower` is φ⁰ for the standard estimator or φ⁻ for the
/// symmetric one; `spread` is β (standard) or 2β (symmetric). Returns `(ĝ_ω, ĝ_λ)`:
///
/// ```text
/// ĝ_ω = λ (lower − upper) / spread
/// ĝ_λ = (upper − lower)(upper + lower − 2ω) / (2·spread)   = [(upper−ω)² − (lower−ω)²] / (2·spread)
/// ```
///
/// Written as products of differences, each with one rounding, so the difference of two
/// nearly equal states is never rounded before it is divided by β.
#[inline]
pub fn contrast<S: Scalar>(upper: S, lower: S, omega: S, lambda: S, spread: S) -> (S, S) {
    let g_omega = lambda.mul_div(lower.sub(upper), spread);
    let centred = upper.add(lower).sub(omega).sub(omega);
    let g_lambda = upper.sub(lower).mul_div(centred, spread.add(spread));
    (g_omega, g_lambda)
}
