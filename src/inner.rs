//! The inner learner: full-batch gradient descent on `F = L_in + β·L_out`, for any model and
//! loss.
//!
//! One function runs every phase. The free phase is `β = 0` (and is all that `adapt` runs on a
//! deployed device); the nudged phases use `±β` and warm-start from the free end state. Plain
//! gradient descent has no optimiser state, so each phase starts "fresh" by construction.
//!
//! `L_in(φ) = ℓ(φ; S) + ½ Σ λ_i (φ_i − ω_i)²`, with ℓ the mean [`Loss`] over the shots, is the
//! inner loss of both models; each step is
//! `φ ← φ − lr · (∇ℓ(φ; S) + β ∇ℓ(φ; Q) + λ ⊙ (φ − ω))`, checked for divergence as it goes.
//! The [`Anchor`] says where each weight is pulled back to and how strongly: per synapse for
//! the complex synapse ([`ComplexSynapse::anchor`]), one strength μ (possibly 0) for the fast
//! state of the dual system ([`crate::dual`]).

use crate::error::Phase;
use crate::loss::{add_loss_gradient, Loss};
use crate::nn::Model;
use crate::num::{Precision, Saturations, Scalar};
use crate::task::Shot;
use crate::Error;

#[cfg(doc)]
use crate::synapse::ComplexSynapse;

/// How strongly each weight is pulled back to its starting value.
#[derive(Clone, Copy, Debug)]
pub enum Strength<'a, N: Precision, const P: usize> {
    /// One strength per weight (the complex synapse's λ).
    PerWeight(&'a [N::Param; P]),
    /// The same strength for every weight (the dual system's μ; 0 for no pull).
    Uniform(N::Param),
}

/// The regulariser `½ Σ λ_i (φ_i − ω_i)²` of the inner loss: where each weight starts (and is
/// pulled back to), and how strongly.
#[derive(Clone, Copy, Debug)]
pub struct Anchor<'a, N: Precision, const P: usize> {
    /// Where each weight starts: ω for the complex synapse, the initial fast state for the
    /// dual system.
    pub start: &'a [N::Param; P],
    /// The pull back towards `start`.
    pub strength: Strength<'a, N, P>,
}

impl<N: Precision, const P: usize> Anchor<'_, N, P> {
    /// The pull on weight `i` (`P` is the length of every array here, so `i < P` holds).
    #[inline(always)]
    fn strength_of(&self, i: usize) -> N::Param {
        match self.strength {
            Strength::PerWeight(lambda) => lambda[i],
            Strength::Uniform(mu) => mu,
        }
    }
}

/// One phase of the inner loop: how many steps, how large, and the signed nudge.
#[derive(Clone, Copy, Debug)]
pub struct PhaseSpec<N: Precision> {
    /// Which phase this is (for error reports).
    pub phase: Phase,
    /// Gradient steps to take.
    pub steps: u32,
    /// Learning rate.
    pub lr: N::Param,
    /// Weight of the query loss: 0, +β or −β.
    pub nudge: N::Param,
}

/// Runs one phase from the current `phi`, using `grad` as scratch.
///
/// Returns [`Error::Diverged`] as soon as a weight or gradient leaves the usable range of the
/// format (NaN, infinity, or saturation in fixed point). `phi` is then undefined; the
/// meta-state behind `anchor` is only read.
#[allow(clippy::too_many_arguments)]
pub fn descend<N, M, L, T, const D: usize, const P: usize>(
    model: &M,
    loss: &L,
    anchor: Anchor<'_, N, P>,
    support: &[Shot<N::Act, D, T>],
    query: &[Shot<N::Act, D, T>],
    spec: &PhaseSpec<N>,
    phi: &mut [N::Param; P],
    grad: &mut [N::Param; P],
    sat: &mut Saturations,
) -> Result<(), Error>
where
    N: Precision,
    M: Model<N>,
    L: Loss<N, T>,
{
    let nudged = spec.nudge != N::Param::ZERO;
    for step in 0..spec.steps {
        grad.fill(N::Param::ZERO);
        add_loss_gradient(model, loss, phi, support, N::Param::ONE, grad, sat);
        if nudged {
            add_loss_gradient(model, loss, phi, query, spec.nudge, grad, sat);
        }
        if !N::descent_update(phi, grad, &anchor, spec.lr) {
            return Err(Error::Diverged {
                phase: spec.phase,
                step,
            });
        }
    }
    Ok(())
}

/// `φ ← φ − lr · (g + λ ⊙ (φ − ω))`, element by element; whether every total gradient and
/// every new weight is [`Scalar::is_usable`]. The meaning of [`Precision::descent_update`].
#[inline(always)]
pub(crate) fn update_generic<N: Precision, const P: usize>(
    phi: &mut [N::Param; P],
    grad: &[N::Param; P],
    anchor: &Anchor<'_, N, P>,
    lr: N::Param,
) -> bool {
    let mut usable = true;
    for (i, ((p, &g), &w)) in phi
        .iter_mut()
        .zip(grad.iter())
        .zip(anchor.start)
        .enumerate()
    {
        let l = anchor.strength_of(i);
        let total = g.add(l.mul(p.sub(w)));
        *p = p.sub(lr.mul(total));
        usable &= total.is_usable() & p.is_usable();
    }
    usable
}
