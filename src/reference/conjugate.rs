//! The implicit gradient without forming the Hessian: conjugate gradients on Hessian-vector
//! products (the iMAML way).
//!
//! [`super::implicit_gradient`] forms the `P × P` Hessian (`P` gradient passes) and solves it
//! densely: exact, and the oracle the tests compare against, but seconds per task at
//! `P = 1,761`. Here `H u = ∇φ L_out` is solved by conjugate gradients, each iteration one
//! [`super::hessian_vector_product`] (a gradient pass in dual numbers), stopped after a fixed
//! number of iterations or once the residual is small. That is what makes an exact-gradient
//! baseline affordable in a meta-training loop.

use super::{
    check_implicit_inputs, hessian_vector_product, loss_gradient, meta_gradient_from, norm, Dual,
    Gradient, ReferenceError, ReferenceLoss,
};
use crate::nn::Model;
use crate::task::{Shot, Target};

/// How a conjugate-gradient solve ended.
#[derive(Clone, Debug, PartialEq)]
pub struct CgSolution {
    /// The approximate solution.
    pub x: Vec<f64>,
    /// `‖b − A x‖ / ‖b‖` at the end.
    pub relative_residual: f64,
    /// Iterations taken.
    pub iterations: u32,
}

/// Solves `A x = b` for a symmetric `A` given as `apply(v, out)` (`out = A v`), from `x = 0`,
/// for at most `max_iterations` or until `‖b − A x‖ ≤ tolerance · ‖b‖`.
///
/// Stops early, keeping the last iterate, if a search direction has non-positive curvature
/// (`A` is not positive definite along it; at a strict minimum of `L_in` it always is).
/// [`ReferenceError::NotFinite`] if a product is not finite.
pub fn conjugate_gradient(
    mut apply: impl FnMut(&[f64], &mut [f64]) -> Result<(), ReferenceError>,
    b: &[f64],
    max_iterations: u32,
    tolerance: f64,
) -> Result<CgSolution, ReferenceError> {
    let n = b.len();
    let b_norm = norm(b);
    let mut x = vec![0.0; n];
    if b_norm == 0.0 {
        return Ok(CgSolution {
            x,
            relative_residual: 0.0,
            iterations: 0,
        });
    }
    let mut r = b.to_vec();
    let mut p = r.clone();
    let mut ap = vec![0.0; n];
    let mut rr: f64 = r.iter().map(|v| v * v).sum();
    let mut iterations = 0;
    while iterations < max_iterations && rr.sqrt() > tolerance * b_norm {
        apply(&p, &mut ap)?;
        let curvature: f64 = p.iter().zip(&ap).map(|(a, b)| a * b).sum();
        if !curvature.is_finite() {
            return Err(ReferenceError::NotFinite("a Hessian-vector product"));
        }
        if curvature <= 0.0 {
            break;
        }
        let alpha = rr / curvature;
        for ((xi, ri), (pi, api)) in x.iter_mut().zip(r.iter_mut()).zip(p.iter().zip(&ap)) {
            *xi += alpha * pi;
            *ri -= alpha * api;
        }
        let rr_next: f64 = r.iter().map(|v| v * v).sum();
        let beta = rr_next / rr;
        for (pi, ri) in p.iter_mut().zip(&r) {
            *pi = ri + beta * *pi;
        }
        rr = rr_next;
        iterations += 1;
    }
    Ok(CgSolution {
        x,
        relative_residual: rr.sqrt() / b_norm,
        iterations,
    })
}

/// [`super::implicit_gradient`] with `u = H⁻¹ ∇φ L_out(φ*)` from at most `max_iterations`
/// conjugate-gradient iterations on Hessian-vector products (never forming `H`); also
/// returns the solve's relative residual.
#[allow(clippy::too_many_arguments)]
pub fn implicit_gradient_cg<M, L, T, const D: usize>(
    model: &M,
    loss: &L,
    phi_star: &[f64],
    omega: &[f64],
    lambda: &[f64],
    support: &[Shot<f64, D, T>],
    query: &[Shot<f64, D, T>],
    max_iterations: u32,
) -> Result<(Gradient, f64), ReferenceError>
where
    M: Model<f64> + Model<Dual>,
    L: ReferenceLoss<T>,
    T: Target<f64>,
{
    check_implicit_inputs::<M, T, D>(phi_star, omega, lambda, query)?;
    let b = loss_gradient(model, loss, phi_star, query);
    let solution = conjugate_gradient(
        |v, out| {
            let hv = hessian_vector_product(model, loss, phi_star, lambda, support, v)?;
            out.copy_from_slice(&hv);
            Ok(())
        },
        &b,
        max_iterations,
        1e-10,
    )?;
    Ok((
        meta_gradient_from(&solution.x, phi_star, omega, lambda),
        solution.relative_residual,
    ))
}
