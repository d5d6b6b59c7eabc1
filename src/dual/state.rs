//! The dual system's meta-state: the slow body and the fast state every task starts from.

use super::system::DualModel;
use crate::num::{Precision, Scalar, Q16_16};
use crate::synapse::fingerprint;
use crate::Error;
use fixed::types::I8F24;

/// θ of a dual system: the body `{W_l, c_l}` (`BODY` values) and the initial fast state
/// `{g_l, s_l, W_o, b_o}` (`FAST` values) each task starts from.
///
/// Adaptation only reads it, so a device can keep it in flash ([`DualState::from_bits`]) and
/// adapt with `2·FAST` values of RAM.
#[derive(Clone, Debug, PartialEq)]
pub struct DualState<N: Precision, const BODY: usize, const FAST: usize> {
    body: [N::Param; BODY],
    init: [N::Param; FAST],
}

impl<N: Precision, const BODY: usize, const FAST: usize> DualState<N, BODY, FAST> {
    /// θ from a body and an initial fast state; [`Error::NotFinite`] if any value is not
    /// usable.
    pub fn new(body: [N::Param; BODY], init: [N::Param; FAST]) -> Result<Self, Error> {
        if !body.iter().chain(&init).all(|v| v.is_usable()) {
            return Err(Error::NotFinite);
        }
        Ok(Self { body, init })
    }

    /// θ with the given body and the authors' initial fast state of `system` (gains 1,
    /// shifts 0, zero read-out).
    pub fn with_initial_fast<S: DualModel<N>>(
        system: &S,
        body: [N::Param; BODY],
    ) -> Result<Self, Error> {
        let mut init = [N::Param::ZERO; FAST];
        system.initial_fast(&mut init);
        Self::new(body, init)
    }

    /// The body `{W_l, c_l}`.
    pub fn body(&self) -> &[N::Param; BODY] {
        &self.body
    }

    /// The fast state each task starts from.
    pub fn init(&self) -> &[N::Param; FAST] {
        &self.init
    }

    /// FNV-1a (64-bit) over the exact values of the body then the initial fast state, as
    /// [`crate::ComplexSynapse::fingerprint`].
    pub fn fingerprint(&self) -> u64 {
        fingerprint(self.body.iter().chain(&self.init).copied())
    }

    /// Both parts, for a meta-step (crate-private: the optimisers keep them usable).
    pub(crate) fn parts_mut(&mut self) -> (&mut [N::Param; BODY], &mut [N::Param; FAST]) {
        (&mut self.body, &mut self.init)
    }
}

impl<const BODY: usize, const FAST: usize> DualState<Q16_16, BODY, FAST> {
    /// θ of the device format from the raw bits of its Q8.24 values, in a `const` context:
    /// a firmware keeps a meta-learned body in flash with
    /// `static PRIOR: DualState<Q16_16, B, F> = match DualState::from_bits(&BODY, &INIT) { … }`
    /// (see [`crate::ComplexSynapse::from_bits`] for the pattern). [`Error::NotFinite`] if a
    /// value sits at the rails of the format.
    pub const fn from_bits(body: &[i32; BODY], init: &[i32; FAST]) -> Result<Self, Error> {
        let mut theta = Self {
            body: [I8F24::ZERO; BODY],
            init: [I8F24::ZERO; FAST],
        };
        let mut all_usable = true;
        let mut i = 0;
        while i < BODY {
            all_usable &= usable_bits(body[i]);
            theta.body[i] = I8F24::from_bits(body[i]);
            i += 1;
        }
        let mut i = 0;
        while i < FAST {
            all_usable &= usable_bits(init[i]);
            theta.init[i] = I8F24::from_bits(init[i]);
            i += 1;
        }
        if all_usable {
            Ok(theta)
        } else {
            Err(Error::NotFinite)
        }
    }
}

/// Whether raw Q8.24 bits are a usable value (not pinned at a rail).
const fn usable_bits(bits: i32) -> bool {
    bits != i32::MAX && bits != i32::MIN
}
