//! The inner learner: full-batch gradient descent on `F = L_in + β·L_out`, for any model and
//! loss.
//!
//! One function runs every phase. The free phase is `β = 0` (and is all that `adapt` runs on a
//! deployed device); the nudged phases use `±β` and warm-start from the free end state. Plain
//! gradient descent has no optimiser state, so each phase starts "fresh" by construction.
//!
//! `L_in(φ) = ℓ(φ; S) + ½ Σ λ_i (φ_i − ω_i)²`, with ℓ the mean [`Loss`] over the shots, is the complex synapse's inner loss; each step is
//! `φ ← φ − lr · (∇ℓ(φ; S) + β ∇ℓ(φ; Q) + λ ⊙ (φ − ω))`, checked for divergence as it goes.

use crate::error::Phase;
use crate::loss::{add_loss_gradient, Loss};
use crate::nn::Model;
use crate::num::{Precision, Saturations, Scalar};
use crate::synapse::ComplexSynapse;
use crate::task::Shot;
use crate::Error;

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
/// meta-state `theta` is only read.
#[allow(clippy::too_many_arguments)]
pub fn descend<N, M, L, T, const D: usize, const P: usize>(
    model: &M,
    loss: &L,
    theta: &ComplexSynapse<N, P>,
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
        let mut usable = true;
        for (((p, &g), &w), &l) in phi
            .iter_mut()
            .zip(grad.iter())
            .zip(theta.omega())
            .zip(theta.lambda())
        {
            let total = g.add(l.mul(p.sub(w)));
            *p = p.sub(spec.lr.mul(total));
            usable &= total.is_usable() & p.is_usable();
        }
        if !usable {
            return Err(Error::Diverged {
                phase: spec.phase,
                step,
            });
        }
    }
    Ok(())
}
