//! Two meta-learners to compare CML with, as [`Method`]s of the same driver: Reptile and MAML.
//!
//! Run through [`super::train_with`], they meta-train on the same task stream, meta-batches,
//! budget, validation tasks and best-θ keeping as CML, so a comparison differs only in the
//! meta-gradient. Both learn ω alone and have no consolidation term: give them a θ whose λ is
//! negligible (e.g. 1e-7) and a rule whose free phase is the plain gradient descent they
//! adapt with, and they put zero in the λ part of their estimate.

use super::{Method, Worker};
use crate::cml::Cml;
use crate::loss::Loss;
use crate::nn::Model;
use crate::num::{Precision, Scalar};
use crate::reference::{hessian_vector_product, loss_gradient, Dual, ReferenceLoss};
use crate::synapse::ComplexSynapse;
use crate::task::{Target, Task};

/// Reptile: `ĝ_ω = ω − φ` after `steps` steps of the rule's free phase on the support shots
/// (with λ ≈ 0, plain gradient descent), so that the outer step moves ω towards φ.
#[derive(Clone, Copy, Debug)]
pub struct Reptile<'a, N: Precision, M, L, const P: usize> {
    /// The rule whose free phase adapts (its rate; λ comes from θ).
    pub rule: &'a Cml<N, M, P, L>,
    /// Inner steps per task.
    pub steps: u32,
}

impl<N, M, L, T, const D: usize, const S: usize, const Q: usize, const P: usize>
    Method<N, T, D, S, Q, P> for Reptile<'_, N, M, L, P>
where
    N: Precision,
    M: Model<N> + Sync,
    L: Loss<N, T> + Sync,
    T: Sync,
{
    fn task(
        &self,
        theta: &ComplexSynapse<N, P>,
        task: &Task<N::Act, D, S, Q, T>,
        w: &mut Worker<N, P>,
    ) -> bool {
        if self
            .rule
            .adapt(theta, task, Some(self.steps), &mut w.phi, &mut w.grad)
            .is_err()
        {
            return false;
        }
        let phi = w.phi.clone();
        let omega = theta.omega();
        w.add(|i| (omega[i].sub(phi[i]), N::Param::ZERO));
        true
    }
}

/// MAML, second order: the gradient of the query loss after `steps` plain gradient steps of
/// rate `lr` on the support shots, with respect to ω, back-propagated through the unrolled
/// steps with exact Hessian-vector products of the float reference (`f64`, the trajectory
/// kept: MAML's O(steps · P) memory).
#[derive(Clone, Copy, Debug)]
pub struct Maml<M, L> {
    /// The network, in the reference's number types.
    pub model: M,
    /// The loss.
    pub loss: L,
    /// Unrolled inner steps.
    pub steps: u32,
    /// Inner learning rate.
    pub lr: f64,
}

impl<M, L> Maml<M, L> {
    /// `d L_query(φ_T) / dω` with `φ_{t+1} = φ_t − lr ∇ℓ(φ_t; S)`, `φ_0 = ω`: forward through
    /// the steps keeping each state, then `v ← (I − lr H(φ_t)) v` backwards from
    /// `v = ∇L_query(φ_T)`. `None` if a value is not finite.
    pub fn gradient<T, const D: usize, const S: usize, const Q: usize>(
        &self,
        omega: &[f64],
        task: &Task<f64, D, S, Q, T>,
    ) -> Option<Vec<f64>>
    where
        M: Model<f64> + Model<Dual>,
        L: ReferenceLoss<T>,
        T: Target<f64>,
    {
        let mut trajectory = vec![omega.to_vec()];
        for _ in 0..self.steps {
            let phi = trajectory.last()?;
            let g = loss_gradient(&self.model, &self.loss, phi, task.support());
            trajectory.push(phi.iter().zip(&g).map(|(p, g)| p - self.lr * g).collect());
        }
        let end = trajectory.pop()?;
        let mut v = loss_gradient(&self.model, &self.loss, &end, task.query());
        let no_lambda = vec![0.0; omega.len()];
        for phi in trajectory.iter().rev() {
            let hv = hessian_vector_product(
                &self.model,
                &self.loss,
                phi,
                &no_lambda,
                task.support(),
                &v,
            )
            .ok()?;
            for (v, hv) in v.iter_mut().zip(&hv) {
                *v -= self.lr * hv;
            }
        }
        v.iter().all(|x| x.is_finite()).then_some(v)
    }
}

impl<N, M, L, T, const D: usize, const S: usize, const Q: usize, const P: usize>
    Method<N, T, D, S, Q, P> for Maml<M, L>
where
    N: Precision,
    M: Model<f64> + Model<Dual> + Sync,
    L: ReferenceLoss<T::Map<f64>> + Sync,
    T: Target<N::Act> + Sync,
    T::Map<f64>: Target<f64>,
{
    fn task(
        &self,
        theta: &ComplexSynapse<N, P>,
        task: &Task<N::Act, D, S, Q, T>,
        w: &mut Worker<N, P>,
    ) -> bool {
        let Ok(task) = task.convert::<f64>() else {
            return false;
        };
        let omega: Vec<f64> = theta.omega().iter().map(|v| v.to_f64()).collect();
        let Some(g) = self.gradient(&omega, &task) else {
            return false;
        };
        let Some(g) = g
            .iter()
            .map(|&v| N::Param::from_f64(v))
            .collect::<Option<Vec<_>>>()
        else {
            return false;
        };
        w.add(|i| (g[i], N::Param::ZERO));
        true
    }
}
