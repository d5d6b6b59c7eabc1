//! The exact implicit meta-gradient of the dual system ([`crate::dual`]).
//!
//! With the body θ fixed, the fast state φ minimises
//! `L_in(φ, θ) = ℓ(φ, θ; S) + ½ μ Σ (φ − φ_init)²`. At a minimiser φ*, with
//! `H = ∇²φ ℓ(φ*; S) + μ I` and `u = H⁻¹ ∇φ ℓ(φ*; Q)`, the implicit function theorem gives
//!
//! ```text
//! dL_out/dθ      = ∂θ ℓ(φ*, θ; Q) − (∂²ℓ(φ*, θ; S)/∂θ∂φ) · u
//! dL_out/dφ_init = μ u
//! ```
//!
//! The first term is there because the body also computes the query outputs. The mixed
//! second derivatives come, like the Hessian, from the library's own back-propagation run in
//! [`Dual`] numbers: the body gradient at `φ* + ε u` has `(∂²ℓ/∂θ∂φ) · u` in its derivative
//! parts. Nothing here shares code with the contrastive estimate beyond the forward and
//! backward passes.

use super::{check_len, hessian, loss_gradient, solve_symmetric, to_dual, Dual};
use super::{ReferenceError, ReferenceLoss};
use crate::dual::rule::add_body_gradient;
use crate::dual::DualModel;
use crate::nn::{Model, Shape};
use crate::num::{Saturations, Scalar};
use crate::task::{Shot, Target};

/// A dual system with its body fixed, as a [`Model`] over the fast state in both `f64` and
/// [`Dual`] numbers: what [`super::hessian`] and [`super::solve_inner`] need.
#[derive(Clone, Debug)]
pub struct FixedBody<S> {
    system: S,
    body: Vec<f64>,
    body_dual: Vec<Dual>,
}

impl<S: DualModel<f64>> FixedBody<S> {
    /// The system with `body` fixed; [`ReferenceError::Length`] for a body of the wrong length
    /// and [`ReferenceError::NotFinite`] for a NaN or infinite value.
    pub fn new(system: S, body: &[f64]) -> Result<Self, ReferenceError> {
        check_len("body", body, S::BODY)?;
        Ok(Self {
            system,
            body: body.to_vec(),
            body_dual: body.iter().map(|&v| Dual::constant(v)).collect(),
        })
    }
}

impl<S: DualModel<f64>> Model<f64> for FixedBody<S> {
    const INPUTS: usize = S::INPUTS;
    const OUTPUTS: usize = S::OUTPUTS;
    const PARAMS: usize = S::FAST;
    type Output = S::Output;
    type Buffers = S::Buffers;

    fn shape(&self) -> Shape {
        self.system.shape()
    }

    fn forward<const D: usize>(
        &self,
        params: &[f64],
        x: &[f64; D],
        buffers: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> Self::Output {
        self.system
            .with_body(&self.body)
            .forward(params, x, buffers, sat)
    }

    fn output_errors(buffers: &mut Self::Buffers) -> &mut [f64] {
        S::output_errors(buffers)
    }

    fn backward<const D: usize>(
        &self,
        params: &[f64],
        x: &[f64; D],
        buffers: &mut Self::Buffers,
        grad: &mut [f64],
        sat: &mut Saturations,
    ) {
        self.system
            .with_body(&self.body)
            .backward(params, x, buffers, grad, sat)
    }
}

impl<S: DualModel<f64> + DualModel<Dual>> Model<Dual> for FixedBody<S> {
    const INPUTS: usize = <S as DualModel<Dual>>::INPUTS;
    const OUTPUTS: usize = <S as DualModel<Dual>>::OUTPUTS;
    const PARAMS: usize = <S as DualModel<Dual>>::FAST;
    type Output = <S as DualModel<Dual>>::Output;
    type Buffers = <S as DualModel<Dual>>::Buffers;

    fn shape(&self) -> Shape {
        DualModel::<Dual>::shape(&self.system)
    }

    fn forward<const D: usize>(
        &self,
        params: &[Dual],
        x: &[Dual; D],
        buffers: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> Self::Output {
        DualModel::<Dual>::with_body(self.system, &self.body_dual).forward(params, x, buffers, sat)
    }

    fn output_errors(buffers: &mut Self::Buffers) -> &mut [Dual] {
        <S as DualModel<Dual>>::output_errors(buffers)
    }

    fn backward<const D: usize>(
        &self,
        params: &[Dual],
        x: &[Dual; D],
        buffers: &mut Self::Buffers,
        grad: &mut [Dual],
        sat: &mut Saturations,
    ) {
        DualModel::<Dual>::with_body(self.system, &self.body_dual)
            .backward(params, x, buffers, grad, sat)
    }
}

/// A dual-system meta-gradient `(dL_out/dθ, dL_out/dφ_init)` in `f64`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DualGradient {
    /// `dL_out/dθ`, in the body layout.
    pub body: Vec<f64>,
    /// `dL_out/dφ_init`, in the fast layout (zero without μ).
    pub init: Vec<f64>,
}

impl DualGradient {
    /// The body part then the initial-state part, as one vector.
    pub fn concat(&self) -> Vec<f64> {
        self.body.iter().chain(&self.init).copied().collect()
    }
}

/// `∂θ ℓ(φ, θ; shots)`, the body gradient of the mean loss at fast state `fast`, in `f64`.
pub fn body_gradient<S, L, T, const D: usize>(
    system: &S,
    loss: &L,
    body: &[f64],
    fast: &[f64],
    shots: &[Shot<f64, D, T>],
) -> Result<Vec<f64>, ReferenceError>
where
    S: DualModel<f64>,
    L: crate::loss::Loss<f64, T>,
{
    check_len("body", body, S::BODY)?;
    check_len("fast", fast, S::FAST)?;
    let mut grad = vec![0.0; S::BODY];
    let mut sat = Saturations::default();
    add_body_gradient(system, loss, body, fast, shots, 1.0, &mut grad, &mut sat);
    Ok(grad)
}

/// The exact implicit meta-gradient of the dual system at an inner minimiser `phi_star` of
/// `L_in = ℓ(φ; S) + ½ μ Σ (φ − φ_init)²` (see the [module docs](self)); μ > 0.
///
/// As for [`super::implicit_gradient`], the result is the gradient of the outer loss only if
/// `phi_star` really is a minimiser: check `‖∇L_in‖` (e.g. with [`super::solve_inner`] on a
/// [`FixedBody`]).
#[allow(clippy::too_many_arguments)]
pub fn dual_implicit_gradient<S, L, T, const D: usize>(
    system: S,
    loss: &L,
    body: &[f64],
    phi_star: &[f64],
    mu: f64,
    support: &[Shot<f64, D, T>],
    query: &[Shot<f64, D, T>],
) -> Result<DualGradient, ReferenceError>
where
    S: DualModel<f64> + DualModel<Dual>,
    L: ReferenceLoss<T>,
    T: Target<f64>,
{
    let fast = <S as DualModel<f64>>::FAST;
    check_len("phi_star", phi_star, fast)?;
    if !(mu.is_finite() && mu > 0.0) {
        return Err(ReferenceError::NotFinite("mu (it must be > 0)"));
    }
    if query.is_empty() {
        return Err(ReferenceError::NoShots("query"));
    }
    let model = FixedBody::new(system, body)?;
    let h = hessian(&model, loss, phi_star, &vec![mu; fast], support)?;
    let u = solve_symmetric(h, &loss_gradient(&model, loss, phi_star, query))?;

    let direct = body_gradient(&system, loss, body, phi_star, query)?;
    let fast_dual: Vec<Dual> = phi_star
        .iter()
        .zip(&u)
        .map(|(&p, &d)| Dual::new(p, d))
        .collect();
    let mut mixed = vec![Dual::ZERO; body.len()];
    let mut sat = Saturations::default();
    add_body_gradient(
        &system,
        loss,
        &model.body_dual,
        &fast_dual,
        &to_dual(support),
        Dual::ONE,
        &mut mixed,
        &mut sat,
    );
    Ok(DualGradient {
        body: direct.iter().zip(&mixed).map(|(g, m)| g - m.d).collect(),
        init: u.iter().map(|u| mu * u).collect(),
    })
}
