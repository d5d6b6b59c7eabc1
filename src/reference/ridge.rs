//! Closed forms for the linear model with the complex synapse (ALGORITHM.md §5).
//!
//! With `f(x) = w·x + b` ([`crate::Linear`], parameters `[w_1, …, w_D, b]`) the inner problem
//! is ridge regression towards ω. Writing `X` for the support inputs with a column of ones
//! appended (the bias), `n = |S|`, and `X'`, `m = |Q|` for the query set:
//!
//! ```text
//! H    = XᵀX/n + Λ
//! φ*_β = (H + (β/m) X'ᵀX')⁻¹ (Xᵀy/n + Λω + (β/m) X'ᵀy')
//! u    = H⁻¹ X'ᵀ(X'φ*_0 − y')/m
//! dL_out/dω = Λ u,      dL_out/dλ_i = −(φ*_0,i − ω_i) u_i
//! ```
//!
//! Why this is the strongest check of the rule: every term, including the minimiser of the
//! nudged problem for any β, is one linear solve, so the CML estimate that converged phases
//! must produce at a given β ([`Ridge::estimate`]) is known exactly, and so is its bias
//! against the true gradient ([`Ridge::gradient`]). φ*_β is not linear in β, so the standard
//! estimate keeps an O(β) bias and the symmetric one an O(β²) bias even here.

use super::{check_len, meta_gradient_from, Gradient, ReferenceError};
use crate::cml::Estimator;
use crate::task::Shot;
use nalgebra::{DMatrix, DVector};

/// A ridge meta-learning problem: support and query sets, ω and λ, as dense matrices.
#[derive(Clone, Debug)]
pub struct Ridge {
    x: DMatrix<f64>,
    y: DVector<f64>,
    xq: DMatrix<f64>,
    yq: DVector<f64>,
    omega: DVector<f64>,
    lambda: DVector<f64>,
}

/// Stacks shots into a design matrix with a trailing column of ones, and a target vector.
fn design<const D: usize>(shots: &[Shot<f64, D>]) -> (DMatrix<f64>, DVector<f64>) {
    let x = DMatrix::from_fn(
        shots.len(),
        D + 1,
        |r, c| {
            if c < D {
                shots[r].x[c]
            } else {
                1.0
            }
        },
    );
    let y = DVector::from_iterator(shots.len(), shots.iter().map(|s| s.y));
    (x, y)
}

impl Ridge {
    /// The problem for [`crate::Linear`]`<D>`: `omega` and `lambda` have `D + 1` values.
    ///
    /// Errors on wrong lengths, non-finite values, or an empty support or query set.
    pub fn new<const D: usize>(
        support: &[Shot<f64, D>],
        query: &[Shot<f64, D>],
        omega: &[f64],
        lambda: &[f64],
    ) -> Result<Self, ReferenceError> {
        check_len("omega", omega, D + 1)?;
        check_len("lambda", lambda, D + 1)?;
        if support.is_empty() {
            return Err(ReferenceError::NoShots("support"));
        }
        if query.is_empty() {
            return Err(ReferenceError::NoShots("query"));
        }
        let finite = |s: &Shot<f64, D>| s.y.is_finite() && s.x.iter().all(|v| v.is_finite());
        if !support.iter().chain(query).all(finite) {
            return Err(ReferenceError::NotFinite("a shot"));
        }
        let (x, y) = design(support);
        let (xq, yq) = design(query);
        Ok(Self {
            x,
            y,
            xq,
            yq,
            omega: DVector::from_column_slice(omega),
            lambda: DVector::from_column_slice(lambda),
        })
    }

    /// Number of parameters, `D + 1`.
    pub fn params(&self) -> usize {
        self.omega.len()
    }

    /// `H = XᵀX/n + Λ`, the Hessian of `L_in` (constant for a linear model).
    pub fn hessian(&self) -> DMatrix<f64> {
        let n = self.x.nrows() as f64;
        self.x.transpose() * &self.x / n + DMatrix::from_diagonal(&self.lambda)
    }

    /// The minimiser `φ*_β` of `F = L_in + β·L_out` (β may be negative while `F` stays
    /// strictly convex; β = 0 gives the free-phase minimiser φ*).
    pub fn phi_star(&self, beta: f64) -> Result<Vec<f64>, ReferenceError> {
        if !beta.is_finite() {
            return Err(ReferenceError::NotFinite("beta"));
        }
        let n = self.x.nrows() as f64;
        let m = self.xq.nrows() as f64;
        let a = self.hessian() + self.xq.transpose() * &self.xq * (beta / m);
        let b = self.x.transpose() * &self.y / n
            + self.lambda.component_mul(&self.omega)
            + self.xq.transpose() * &self.yq * (beta / m);
        super::solve_symmetric(a, b.as_slice())
    }

    /// `L_out(φ) = (1/m) Σ ½ (φ·x' − y')²` on the query set.
    pub fn outer_loss(&self, phi: &[f64]) -> f64 {
        let r = &self.xq * DVector::from_column_slice(phi) - &self.yq;
        0.5 * r.norm_squared() / self.xq.nrows() as f64
    }

    /// The exact meta-gradient `(dL_out/dω, dL_out/dλ)` at φ* (§5's closed form).
    pub fn gradient(&self) -> Result<Gradient, ReferenceError> {
        let phi = self.phi_star(0.0)?;
        let m = self.xq.nrows() as f64;
        let residual = &self.xq * DVector::from_column_slice(&phi) - &self.yq;
        let outer = self.xq.transpose() * residual / m;
        let u = super::solve_symmetric(self.hessian(), outer.as_slice())?;
        Ok(meta_gradient_from(
            &u,
            &phi,
            self.omega.as_slice(),
            self.lambda.as_slice(),
        ))
    }

    /// The CML estimate that exactly converged phases give at this β: the rule of
    /// ALGORITHM.md §3 applied to the closed-form end states φ*_0, φ*_{+β} and φ*_{−β}.
    /// Its difference from [`Ridge::gradient`] is the estimator's bias, with no solver error.
    pub fn estimate(&self, beta: f64, estimator: Estimator) -> Result<Gradient, ReferenceError> {
        let upper = self.phi_star(beta)?;
        let (lower, spread) = match estimator {
            Estimator::Standard => (self.phi_star(0.0)?, beta),
            Estimator::Symmetric => (self.phi_star(-beta)?, 2.0 * beta),
        };
        Ok(contrast(
            &upper,
            &lower,
            self.omega.as_slice(),
            self.lambda.as_slice(),
            spread,
        ))
    }
}

/// ALGORITHM.md §3 in `f64`: `ĝ_ω = λ (lower − upper)/spread`,
/// `ĝ_λ = [(upper − ω)² − (lower − ω)²] / (2·spread)`.
pub fn contrast(
    upper: &[f64],
    lower: &[f64],
    omega: &[f64],
    lambda: &[f64],
    spread: f64,
) -> Gradient {
    let mut g = Gradient::default();
    for i in 0..omega.len() {
        g.omega.push(lambda[i] * (lower[i] - upper[i]) / spread);
        let (a, b) = (upper[i] - omega[i], lower[i] - omega[i]);
        g.lambda.push((a * a - b * b) / (2.0 * spread));
    }
    g
}
