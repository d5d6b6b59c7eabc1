//! The baselines of ALGORITHM.md §5, as [`Method`]s of the same training driver.
//!
//! - first order (T1–T2): CML's meta-model and free phase, with `H⁻¹` replaced by the
//!   identity: `ĝ_ω = λ ⊙ ∇L_out(φ⁰)`, `ĝ_λ = −(φ⁰ − ω) ⊙ ∇L_out(φ⁰)`;
//! - implicit (iMAML): the same meta-model, with the implicit gradient at the free-phase end
//!   state, `H⁻¹ ∇L_out` solved by conjugate gradients on exact Hessian-vector products (`f64`
//!   dual numbers, [`CG_ITERATIONS`] at most; the reference's dense solve stays the tests'
//!   oracle);
//! - MAML: ω alone, plain gradient descent from ω, and the outer gradient back-propagated
//!   through the unrolled steps with exact Hessian-vector products (`f64`, the trajectory kept;
//!   the library's [`tinycml::train::Maml`]);
//! - Reptile: `ω ← ω + ε (φ − ω)` after a few steps on the support shots (the library's
//!   [`tinycml::train::Reptile`]);
//! - no meta-learning: the initialisation itself, never trained.
//!
//! MAML, Reptile and no meta-learning have no consolidation term: they run with a fixed,
//! negligible λ (1e-7), so the library's adaptation is plain gradient descent for them.
//!
//! Each is a [`Method`] of the library's driver (`tinycml::train::train_with`), which runs
//! them exactly as it runs CML: same task stream, meta-batches, optimiser and validation.

use crate::evaluation::SinusoidTask;
use crate::P;
use tinycml::reference::implicit_gradient_cg;
use tinycml::train::{Method, Worker};
use tinycml::*;

/// A training task as the driver hands it to an `f32` method.
type TrainTask = SinusoidTask<f32>;

/// θ as `f64` values.
fn theta_values(theta: &ComplexSynapse<f32, P>) -> (Box<[f64; P]>, Box<[f64; P]>) {
    let mut w = Box::new([0.0; P]);
    let mut l = Box::new([0.0; P]);
    for i in 0..P {
        w[i] = theta.omega()[i] as f64;
        l[i] = theta.lambda()[i] as f64;
    }
    (w, l)
}

/// λ standing in for "no consolidation" (the synapse type keeps λ strictly positive).
pub const NO_LAMBDA: f64 = 1e-7;

/// First-order (T1–T2) meta-gradient in `f32`.
pub struct FirstOrder<'a> {
    /// Free phase settings (the same as CML's).
    pub cml: &'a Cml<f32, SinusoidMlp, P>,
}

impl Method<f32, f32, 1, 10, 100, P> for FirstOrder<'_> {
    fn task(
        &self,
        theta: &ComplexSynapse<f32, P>,
        task: &TrainTask,
        w: &mut Worker<f32, P>,
    ) -> bool {
        if self
            .cml
            .adapt(theta, task, None, &mut w.phi, &mut w.grad)
            .is_err()
        {
            return false;
        }
        w.grad.fill(0.0);
        let mut sat = Saturations::default();
        loss::add_loss_gradient::<f32, _, _, _, 1>(
            self.cml.model(),
            self.cml.loss(),
            &w.phi[..],
            task.query(),
            1.0,
            &mut w.grad[..],
            &mut sat,
        );
        let (phi, grad) = (w.phi.clone(), w.grad.clone());
        let (omega, lambda) = (theta.omega(), theta.lambda());
        w.add(|i| (lambda[i] * grad[i], -(phi[i] - omega[i]) * grad[i]));
        true
    }
}

/// Conjugate-gradient iterations per task of the implicit baseline (iMAML used 5 to 20).
pub const CG_ITERATIONS: u32 = 20;

/// Implicit meta-gradient at the free-phase end state, in `f64`, by conjugate gradients.
pub struct Implicit<'a> {
    /// Free phase settings, in `f64`.
    pub cml: &'a Cml<f64, SinusoidMlp, P>,
}

impl Method<f32, f32, 1, 10, 100, P> for Implicit<'_> {
    fn task(
        &self,
        theta: &ComplexSynapse<f32, P>,
        task: &TrainTask,
        w: &mut Worker<f32, P>,
    ) -> bool {
        let Ok(task) = task.convert::<f64>() else {
            return false;
        };
        let (omega, lambda) = theta_values(theta);
        let Ok(theta64) = ComplexSynapse::<f64, P>::new(*omega, *lambda) else {
            return false;
        };
        let mut phi = Box::new([0.0f64; P]);
        let mut grad = Box::new([0.0f64; P]);
        if self
            .cml
            .adapt(&theta64, &task, None, &mut phi, &mut grad)
            .is_err()
        {
            return false;
        }
        let model = *self.cml.model();
        match implicit_gradient_cg(
            &model,
            self.cml.loss(),
            &phi[..],
            &omega[..],
            &lambda[..],
            task.support(),
            task.query(),
            CG_ITERATIONS,
        ) {
            Ok((g, _)) => {
                w.add(|i| (g.omega[i] as f32, g.lambda[i] as f32));
                true
            }
            Err(_) => false,
        }
    }
}

/// Bytes of per-task state each method needs while meta-training (P-sized buffers; the
/// outer optimiser's moments are the same for all and not counted).
pub fn memory_per_task(method: &str) -> usize {
    let f32s = |n: usize| n * P * 4;
    let f64s = |n: usize| n * P * 8;
    match method {
        // ω, λ, φ, φ⁰, φ⁺, gradient.
        "cml" => f32s(6),
        // ω, λ, φ, gradient, ∇L_out.
        "first_order" => f32s(5),
        // ω, λ, φ, gradient, ∇L_out, CG's x, r, p and Ap, and the dual-number parameters and
        // gradient of a Hessian-vector product (2P each).
        "implicit" => f64s(9 + 4),
        // ω, 5 stored states, the end state, v and H·v (plus dual-number scratch of 2P).
        "maml" => f64s(5 + 1 + 1 + 2 + 2 + 1),
        // ω, φ, gradient.
        "reptile" => f32s(3),
        // φ, gradient (adaptation only).
        _ => f32s(2),
    }
}
