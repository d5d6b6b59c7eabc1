//! The complex synapse: each weight carries a consolidated value ω and a strength λ.
//!
//! A task starts at φ = ω and learns under `L_in = ℓ(φ; S) + ½ Σ λ_i (φ_i − ω_i)²`, so ω is
//! where learning starts and λ how strongly each weight is pulled back there. Both are the
//! meta-parameters θ that CML learns. The rule is local: each synapse's meta-gradient uses only
//! its own end states (see [`contrast`]).

use crate::num::{Precision, Scalar};
use crate::Error;

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
    /// θ from consolidated values and strengths; [`Error::OutOfRange`] unless every λ > 0,
    /// [`Error::NotFinite`] if any value is not usable.
    pub fn new(omega: [N::Param; P], lambda: [N::Param; P]) -> Result<Self, Error> {
        if !omega.iter().chain(&lambda).all(|v| v.is_usable()) {
            return Err(Error::NotFinite);
        }
        if lambda.iter().any(|&l| l <= N::Param::ZERO) {
            return Err(Error::OutOfRange);
        }
        Ok(Self { omega, lambda })
    }

    /// θ with the given ω and the same strength λ on every synapse.
    pub fn with_uniform_lambda(omega: [N::Param; P], lambda: f64) -> Result<Self, Error> {
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

    /// Both halves, for the meta-optimisers (crate-private: λ must stay positive).
    pub(crate) fn parts_mut(&mut self) -> (&mut [N::Param; P], &mut [N::Param; P]) {
        (&mut self.omega, &mut self.lambda)
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
