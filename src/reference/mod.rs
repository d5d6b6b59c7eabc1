//! The float reference (feature `std`, host only): what the CML estimate is supposed to equal.
//!
//! The library's `f64` instantiation is the same generic code as the fixed-point one, so
//! agreeing with it proves little about the rule itself. This module computes the quantity CML
//! estimates, `dL_out/dθ` at the inner minimiser, by routes that share nothing with the rule:
//!
//! - [`ridge`]: closed forms for the linear model (ALGORITHM.md §5). Every quantity, including
//!   the CML estimate at a given β with converged phases, is a linear solve, so the bias of the
//!   standard (O(β)) and symmetric (O(β²)) estimators can be measured exactly.
//! - [`implicit_gradient`]: the implicit-function-theorem gradient for any [`Model`],
//!   `dL_out/dω = Λ H⁻¹ ∇φL_out(φ*)` and `dL_out/dλ_i = −(φ*_i − ω_i) [H⁻¹ ∇φL_out(φ*)]_i`,
//!   with `H = ∇²ℓ(φ*; S) + Λ` formed exactly ([`hessian`]) and solved densely (Cholesky, LU as
//!   a fallback). Second derivatives come from forward-mode [`Dual`] numbers pushed through
//!   the library's own back-propagation: exact, with no finite-difference step to tune.
//! - [`hessian_vector_product`]: `H·v` at the cost of one gradient, for methods that need
//!   curvature along a direction only (unrolled MAML, conjugate gradients).
//! - [`conjugate`]: the implicit gradient by conjugate gradients on those products (iMAML),
//!   without forming the Hessian.
//! - [`dual_system`]: the same implicit gradient for the dual system's body and initial
//!   fast state, mixed second derivatives included.
//! - [`solve_inner`]: an `f64` inner solve to a stated gradient norm (gradient descent, then
//!   optional Newton polishing), since the implicit gradient is only defined at a minimiser.
//!
//! Dense linear algebra comes from `nalgebra`; nothing here is needed on a device.

pub mod conjugate;
mod dual;
pub mod dual_system;
pub mod ridge;

pub use conjugate::{conjugate_gradient, implicit_gradient_cg, CgSolution};
pub use dual::Dual;
pub use dual_system::{dual_implicit_gradient, DualGradient, FixedBody};

use crate::loss::{add_loss_gradient, mean_loss, Loss};
use crate::nn::Model;
use crate::num::{Saturations, Scalar};
use crate::task::{Shot, Target};
use core::convert::Infallible;
use nalgebra::{DMatrix, DVector};
use std::fmt;

/// What can go wrong in a reference computation.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ReferenceError {
    /// A vector has the wrong length.
    Length {
        /// Which vector.
        what: &'static str,
        /// The length the model needs.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// An input or a result is NaN or infinite; the text says which.
    NotFinite(&'static str),
    /// A set of shots that must not be empty is empty.
    NoShots(&'static str),
    /// The Hessian (or the ridge system) could not be solved.
    Singular,
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReferenceError::Length {
                what,
                expected,
                got,
            } => write!(f, "{what} has {got} values, the model needs {expected}"),
            ReferenceError::NotFinite(what) => write!(f, "{what} is not finite"),
            ReferenceError::NoShots(what) => write!(f, "the {what} set is empty"),
            ReferenceError::Singular => write!(f, "the Hessian is singular"),
        }
    }
}

impl std::error::Error for ReferenceError {}

/// A meta-gradient `(dL_out/dω, dL_out/dλ)` in `f64`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gradient {
    /// `dL_out/dω`.
    pub omega: Vec<f64>,
    /// `dL_out/dλ`.
    pub lambda: Vec<f64>,
}

impl Gradient {
    /// `ω` part then `λ` part, as one vector (for norms and cosines over all of θ).
    pub fn concat(&self) -> Vec<f64> {
        self.omega.iter().chain(&self.lambda).copied().collect()
    }
}

/// A loss the reference can differentiate twice: the same loss in `f64` and in [`Dual`]
/// numbers, for targets `T` (implemented for every loss of [`crate::loss`]).
pub trait ReferenceLoss<T: Target<f64>>: Loss<f64, T> + Loss<Dual, T::Map<Dual>> {}

impl<T: Target<f64>, L: Loss<f64, T> + Loss<Dual, T::Map<Dual>>> ReferenceLoss<T> for L {}

/// Cosine similarity `a·b / (‖a‖‖b‖)` (0 when either vector is zero).
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norms = norm(a) * norm(b);
    if norms > 0.0 {
        dot / norms
    } else {
        0.0
    }
}

/// Relative error `‖a − b‖ / ‖b‖` of `a` against the reference `b`.
pub fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    norm(&diff) / norm(b)
}

/// Euclidean norm.
pub fn norm(a: &[f64]) -> f64 {
    a.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn check_len(what: &'static str, v: &[f64], expected: usize) -> Result<(), ReferenceError> {
    if v.len() != expected {
        return Err(ReferenceError::Length {
            what,
            expected,
            got: v.len(),
        });
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(ReferenceError::NotFinite(what));
    }
    Ok(())
}

fn to_dual<T: Target<f64>, const D: usize>(
    shots: &[Shot<f64, D, T>],
) -> Vec<Shot<Dual, D, T::Map<Dual>>> {
    shots
        .iter()
        .map(|s| Shot {
            x: s.x.map(Dual::constant),
            y: s.y
                .try_map(|v| Ok::<_, Infallible>(Dual::constant(v)))
                .unwrap_or_else(|never| match never {}),
        })
        .collect()
}

/// The data loss `ℓ(φ; D)`, the mean of the loss over `shots` in the project's conventions
/// (`½ (f(x) − y)²` for squared error; 0 for no shots).
pub fn data_loss<M: Model<f64>, L: Loss<f64, T>, T, const D: usize>(
    model: &M,
    loss: &L,
    phi: &[f64],
    shots: &[Shot<f64, D, T>],
) -> f64 {
    let mut sat = Saturations::default();
    mean_loss(model, loss, phi, shots, &mut sat) / loss.objective_divisor() as f64
}

/// `∇F(φ)` for `F = ℓ(φ; S) + β ℓ(φ; Q) + ½ Σ λ_i (φ_i − ω_i)²` (β = 0: `∇L_in`).
#[allow(clippy::too_many_arguments)]
pub fn augmented_gradient<M: Model<f64>, L: Loss<f64, T>, T, const D: usize>(
    model: &M,
    loss: &L,
    phi: &[f64],
    omega: &[f64],
    lambda: &[f64],
    support: &[Shot<f64, D, T>],
    query: &[Shot<f64, D, T>],
    beta: f64,
) -> Vec<f64> {
    let mut sat = Saturations::default();
    let mut grad: Vec<f64> = phi
        .iter()
        .zip(omega)
        .zip(lambda)
        .map(|((p, w), l)| l * (p - w))
        .collect();
    add_loss_gradient(model, loss, phi, support, 1.0, &mut grad, &mut sat);
    if beta != 0.0 {
        add_loss_gradient(model, loss, phi, query, beta, &mut grad, &mut sat);
    }
    grad
}

/// `∇ℓ(φ; shots)` alone (e.g. `∇φ L_out` with the query shots).
pub fn loss_gradient<M: Model<f64>, L: Loss<f64, T>, T, const D: usize>(
    model: &M,
    loss: &L,
    phi: &[f64],
    shots: &[Shot<f64, D, T>],
) -> Vec<f64> {
    let mut sat = Saturations::default();
    let mut grad = vec![0.0; phi.len()];
    add_loss_gradient(model, loss, phi, shots, 1.0, &mut grad, &mut sat);
    grad
}

/// `∇²[ℓ(φ;S) + β ℓ(φ;Q)] · v` from one dual-number gradient pass at `φ + ε v`.
#[allow(clippy::too_many_arguments)]
fn curvature_times<M: Model<Dual>, L: Loss<Dual, T>, T, const D: usize>(
    model: &M,
    loss: &L,
    phi: &[f64],
    support: &[Shot<Dual, D, T>],
    query: &[Shot<Dual, D, T>],
    beta: f64,
    v: &[f64],
    scratch: &mut [Dual],
    out: &mut [f64],
) {
    let params: Vec<Dual> = phi.iter().zip(v).map(|(&p, &d)| Dual::new(p, d)).collect();
    let mut sat = Saturations::default();
    scratch.fill(Dual::ZERO);
    add_loss_gradient(model, loss, &params, support, Dual::ONE, scratch, &mut sat);
    if beta != 0.0 {
        add_loss_gradient(
            model,
            loss,
            &params,
            query,
            Dual::constant(beta),
            scratch,
            &mut sat,
        );
    }
    for (o, g) in out.iter_mut().zip(scratch.iter()) {
        *o = g.d;
    }
}

/// The Hessian of `F = ℓ(φ;S) + β ℓ(φ;Q) + ½ Σ λ_i (φ_i − ω_i)²`, column by column.
fn augmented_hessian<M: Model<Dual>, L: ReferenceLoss<T>, T: Target<f64>, const D: usize>(
    model: &M,
    loss: &L,
    phi: &[f64],
    lambda: &[f64],
    support: &[Shot<f64, D, T>],
    query: &[Shot<f64, D, T>],
    beta: f64,
) -> DMatrix<f64> {
    let p = phi.len();
    let support = to_dual(support);
    let query = to_dual(query);
    let mut h = DMatrix::<f64>::zeros(p, p);
    let mut e = vec![0.0; p];
    let mut scratch = vec![Dual::ZERO; p];
    let mut column = vec![0.0; p];
    for k in 0..p {
        e[k] = 1.0;
        curvature_times(
            model,
            loss,
            phi,
            &support,
            &query,
            beta,
            &e,
            &mut scratch,
            &mut column,
        );
        e[k] = 0.0;
        h.column_mut(k).copy_from_slice(&column);
        h[(k, k)] += lambda[k];
    }
    // Exact arithmetic gives a symmetric matrix; remove the rounding asymmetry.
    let t = h.transpose();
    (h + t) * 0.5
}

/// The exact Hessian `H = ∇²ℓ(φ; S) + diag(λ)` of `L_in` at `phi`, as a dense `P × P` matrix.
///
/// Column `k` is the derivative part of the library's own back-propagation run in [`Dual`]
/// numbers at `φ + ε e_k`: `P` gradient passes, exact up to rounding.
pub fn hessian<M: Model<Dual>, L: ReferenceLoss<T>, T: Target<f64>, const D: usize>(
    model: &M,
    loss: &L,
    phi: &[f64],
    lambda: &[f64],
    support: &[Shot<f64, D, T>],
) -> Result<DMatrix<f64>, ReferenceError> {
    check_len("phi", phi, M::PARAMS)?;
    check_len("lambda", lambda, M::PARAMS)?;
    Ok(augmented_hessian(
        model,
        loss,
        phi,
        lambda,
        support,
        &[],
        0.0,
    ))
}

/// `H·v` with `H = ∇²ℓ(φ; S) + diag(λ)` the Hessian of `L_in` at `phi`: one gradient pass in
/// [`Dual`] numbers at `φ + ε v`, exact up to rounding and without forming `H`.
pub fn hessian_vector_product<M, L, T, const D: usize>(
    model: &M,
    loss: &L,
    phi: &[f64],
    lambda: &[f64],
    support: &[Shot<f64, D, T>],
    v: &[f64],
) -> Result<Vec<f64>, ReferenceError>
where
    M: Model<Dual>,
    L: ReferenceLoss<T>,
    T: Target<f64>,
{
    check_len("phi", phi, M::PARAMS)?;
    check_len("lambda", lambda, M::PARAMS)?;
    check_len("v", v, M::PARAMS)?;
    let mut scratch = vec![Dual::ZERO; phi.len()];
    let mut out = vec![0.0; phi.len()];
    curvature_times(
        model,
        loss,
        phi,
        &to_dual(support),
        &[],
        0.0,
        v,
        &mut scratch,
        &mut out,
    );
    for ((o, l), x) in out.iter_mut().zip(lambda).zip(v) {
        *o += l * x;
    }
    Ok(out)
}

/// Solves `H x = b` for a symmetric `H`: Cholesky when `H` is positive definite (the case at a
/// strict minimum), LU otherwise.
pub fn solve_symmetric(h: DMatrix<f64>, b: &[f64]) -> Result<Vec<f64>, ReferenceError> {
    let rhs = DVector::from_column_slice(b);
    let x = match h.clone().cholesky() {
        Some(chol) => chol.solve(&rhs),
        None => h.lu().solve(&rhs).ok_or(ReferenceError::Singular)?,
    };
    if x.iter().all(|v| v.is_finite()) {
        Ok(x.as_slice().to_vec())
    } else {
        Err(ReferenceError::Singular)
    }
}

/// Turns `u = H⁻¹ ∇φL_out` into `(dL_out/dω, dL_out/dλ) = (λ ⊙ u, −(φ* − ω) ⊙ u)`.
pub(crate) fn meta_gradient_from(
    u: &[f64],
    phi: &[f64],
    omega: &[f64],
    lambda: &[f64],
) -> Gradient {
    Gradient {
        omega: u.iter().zip(lambda).map(|(u, l)| l * u).collect(),
        lambda: u
            .iter()
            .zip(phi.iter().zip(omega))
            .map(|(u, (p, w))| -(p - w) * u)
            .collect(),
    }
}

/// What both implicit-gradient routes check first: every vector the model's length and
/// finite, and a query set to differentiate.
pub(crate) fn check_implicit_inputs<M: Model<f64>, T, const D: usize>(
    phi_star: &[f64],
    omega: &[f64],
    lambda: &[f64],
    query: &[Shot<f64, D, T>],
) -> Result<(), ReferenceError> {
    check_len("phi", phi_star, M::PARAMS)?;
    check_len("omega", omega, M::PARAMS)?;
    check_len("lambda", lambda, M::PARAMS)?;
    if query.is_empty() {
        return Err(ReferenceError::NoShots("query"));
    }
    Ok(())
}

/// The exact implicit meta-gradient at an inner minimiser `phi_star` of
/// `L_in = ℓ(φ; S) + ½ Σ λ_i (φ_i − ω_i)²`:
///
/// ```text
/// u = H⁻¹ ∇φ ℓ(φ*; Q),   dL_out/dω = λ ⊙ u,   dL_out/dλ = −(φ* − ω) ⊙ u
/// ```
///
/// with `H` from [`hessian`] and a dense solve. The result is only the gradient of the outer
/// loss if `phi_star` really is a minimiser: check `‖∇L_in‖` (e.g. with [`solve_inner`]).
pub fn implicit_gradient<M, L, T, const D: usize>(
    model: &M,
    loss: &L,
    phi_star: &[f64],
    omega: &[f64],
    lambda: &[f64],
    support: &[Shot<f64, D, T>],
    query: &[Shot<f64, D, T>],
) -> Result<Gradient, ReferenceError>
where
    M: Model<f64> + Model<Dual>,
    L: ReferenceLoss<T>,
    T: Target<f64>,
{
    check_implicit_inputs::<M, T, D>(phi_star, omega, lambda, query)?;
    let h = hessian(model, loss, phi_star, lambda, support)?;
    let u = solve_symmetric(h, &loss_gradient(model, loss, phi_star, query))?;
    Ok(meta_gradient_from(&u, phi_star, omega, lambda))
}

/// How [`solve_inner`] minimises: gradient descent, then optional Newton polishing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InnerSolve {
    /// Gradient-descent learning rate.
    pub lr: f64,
    /// Most gradient-descent steps.
    pub max_steps: u32,
    /// Stop once `‖∇F‖` is at most this.
    pub tolerance: f64,
    /// Newton steps afterwards (each forms and solves the full Hessian of `F`; each is kept
    /// only if it lowers `‖∇F‖`). 0 for large models or when descent suffices.
    pub newton_steps: u32,
}

/// What [`solve_inner`] reached.
#[derive(Clone, Debug, PartialEq)]
pub struct InnerSolution {
    /// The end state.
    pub phi: Vec<f64>,
    /// `‖∇F‖` at `phi`.
    pub grad_norm: f64,
    /// Gradient-descent steps taken.
    pub steps: u32,
}

/// Minimises `F = ℓ(φ;S) + β ℓ(φ;Q) + ½ Σ λ_i (φ_i − ω_i)²` in `f64`, starting at `phi0`.
///
/// Plain full-batch gradient descent (the same dynamics as the library's inner learner, so it
/// lands in the same basin), stopped at `‖∇F‖ ≤ tolerance`, then Newton polishing if asked.
/// Check [`InnerSolution::grad_norm`]: the solve does not fail when it merely stops short.
#[allow(clippy::too_many_arguments)]
pub fn solve_inner<M, L, T, const D: usize>(
    model: &M,
    loss: &L,
    phi0: &[f64],
    omega: &[f64],
    lambda: &[f64],
    support: &[Shot<f64, D, T>],
    query: &[Shot<f64, D, T>],
    beta: f64,
    settings: &InnerSolve,
) -> Result<InnerSolution, ReferenceError>
where
    M: Model<f64> + Model<Dual>,
    L: ReferenceLoss<T>,
    T: Target<f64>,
{
    let params = <M as Model<f64>>::PARAMS;
    check_len("phi0", phi0, params)?;
    check_len("omega", omega, params)?;
    check_len("lambda", lambda, params)?;
    if !(settings.lr > 0.0 && settings.lr.is_finite() && beta.is_finite()) {
        return Err(ReferenceError::NotFinite("learning rate or beta"));
    }
    let gradient =
        |phi: &[f64]| augmented_gradient(model, loss, phi, omega, lambda, support, query, beta);
    let mut phi = phi0.to_vec();
    let mut grad = gradient(&phi);
    let mut grad_norm = norm(&grad);
    let mut steps = 0;
    while steps < settings.max_steps && grad_norm > settings.tolerance {
        for (p, g) in phi.iter_mut().zip(&grad) {
            *p -= settings.lr * g;
        }
        grad = gradient(&phi);
        grad_norm = norm(&grad);
        steps += 1;
        if !grad_norm.is_finite() {
            return Err(ReferenceError::NotFinite("the inner solve (it diverged)"));
        }
    }
    for _ in 0..settings.newton_steps {
        if grad_norm == 0.0 {
            break;
        }
        let h = augmented_hessian(model, loss, &phi, lambda, support, query, beta);
        let Ok(delta) = solve_symmetric(h, &grad) else {
            break;
        };
        let candidate: Vec<f64> = phi.iter().zip(&delta).map(|(p, d)| p - d).collect();
        let candidate_grad = gradient(&candidate);
        let candidate_norm = norm(&candidate_grad);
        if candidate_norm.is_nan() || candidate_norm >= grad_norm {
            break;
        }
        phi = candidate;
        grad = candidate_grad;
        grad_norm = candidate_norm;
    }
    Ok(InnerSolution {
        phi,
        grad_norm,
        steps,
    })
}
