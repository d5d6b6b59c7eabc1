//! `verify`: one numerics problem in, one JSON object out (see `examples/verify.rs`).
//!
//! Split in three: [`problem`] parses and checks the file, [`compute`] runs the library and
//! the reference for one compile-time shape and number format, and [`run`] picks that shape
//! and format from the file (shapes are type parameters in tinycml, so `verify` is compiled
//! for a fixed menu of them).

pub mod compute;
pub mod problem;

use compute::{AnyModel, Outcome};
use problem::{ModelKind, Problem};
use serde::Serialize;
use tinycml::{Activation, Linear, Mlp, Q16_16Uniform, Q16_16, Q8_24};

/// Names accepted in `"scalar"`.
pub const SCALARS: [&str; 5] = ["f64", "f32", "q16.16", "q16.16-uniform", "q8.24"];

/// Above this `‖∇L_in‖` the MLP reference is not a converged minimiser; `verify` says so.
pub const CONVERGED: f64 = 1e-7;

fn by_scalar<M: AnyModel, const D: usize, const P: usize>(
    model: M,
    problem: &Problem,
) -> Result<Outcome, String> {
    match problem.scalar.as_str() {
        "f64" => compute::run::<f64, M, D, P>(model, problem),
        "f32" => compute::run::<f32, M, D, P>(model, problem),
        "q16.16" => compute::run::<Q16_16, M, D, P>(model, problem),
        "q16.16-uniform" => compute::run::<Q16_16Uniform, M, D, P>(model, problem),
        "q8.24" => compute::run::<Q8_24, M, D, P>(model, problem),
        other => Err(format!(
            "unknown scalar {other:?}: expected one of {}",
            SCALARS.join(", ")
        )),
    }
}

fn mlp<const IN: usize, const H: usize, const P: usize>(
    activation: Activation,
    problem: &Problem,
) -> Result<Outcome, String> {
    by_scalar::<_, IN, P>(Mlp::<IN, H, H>::new(activation), problem)
}

fn dispatch(problem: &Problem) -> Result<Outcome, String> {
    match (problem.model, problem.inputs) {
        (ModelKind::Linear, 1) => by_scalar::<_, 1, 2>(Linear::<1>::default(), problem),
        (ModelKind::Linear, 2) => by_scalar::<_, 2, 3>(Linear::<2>::default(), problem),
        (ModelKind::Linear, 3) => by_scalar::<_, 3, 4>(Linear::<3>::default(), problem),
        (ModelKind::Linear, 4) => by_scalar::<_, 4, 5>(Linear::<4>::default(), problem),
        (ModelKind::Linear, 5) => by_scalar::<_, 5, 6>(Linear::<5>::default(), problem),
        (ModelKind::Linear, 6) => by_scalar::<_, 6, 7>(Linear::<6>::default(), problem),
        (ModelKind::Linear, 7) => by_scalar::<_, 7, 8>(Linear::<7>::default(), problem),
        (ModelKind::Linear, 8) => by_scalar::<_, 8, 9>(Linear::<8>::default(), problem),
        (ModelKind::Mlp { hidden, activation }, inputs) => match (inputs, hidden) {
            (1, 40) => mlp::<1, 40, { Mlp::<1, 40, 40>::PARAMS }>(activation, problem),
            (1, 16) => mlp::<1, 16, { Mlp::<1, 16, 16>::PARAMS }>(activation, problem),
            (1, 8) => mlp::<1, 8, { Mlp::<1, 8, 8>::PARAMS }>(activation, problem),
            (2, 16) => mlp::<2, 16, { Mlp::<2, 16, 16>::PARAMS }>(activation, problem),
            _ => Err(format!(
                "mlp {inputs}-{hidden}-{hidden}-1 is not compiled into verify"
            )),
        },
        (ModelKind::Linear, inputs) => Err(format!(
            "linear model with {inputs} inputs is not compiled into verify"
        )),
    }
}

/// The printed object, fields in the documented order.
#[derive(Serialize)]
struct Output<'a> {
    cml: Theta<'a>,
    exact: Theta<'a>,
    phi_free: &'a [f64],
    outer_loss: f64,
    saturations: u32,
}

/// `dL_out/dω`, `dL_out/dλ`.
#[derive(Serialize)]
struct Theta<'a> {
    omega: &'a [f64],
    lambda: &'a [f64],
}

/// A finished run: the JSON line to print and any warning for stderr.
pub struct Report {
    /// The one JSON object (`cml`, `exact`, `phi_free`, `outer_loss`, `saturations`).
    pub json: String,
    /// Set when the reference could not be trusted fully.
    pub warning: Option<String>,
}

/// Parses, checks and runs one problem file's text.
pub fn run(text: &str) -> Result<Report, String> {
    let problem = problem::parse(text)?;
    if !SCALARS.contains(&problem.scalar.as_str()) {
        return Err(format!(
            "unknown scalar {:?}: expected one of {}",
            problem.scalar,
            SCALARS.join(", ")
        ));
    }
    let outcome = dispatch(&problem)?;
    let warning = outcome
        .reference_grad_norm
        .filter(|g| g.is_nan() || *g > CONVERGED)
        .map(|g| {
            format!(
                "warning: the reference inner solve stopped at |grad L_in| = {g:.3e} > {CONVERGED:e}; \
                 \"exact\" is the implicit gradient at an unconverged state \
                 (ReLU minima often sit on a kink; tanh does not)"
            )
        });
    let output = Output {
        cml: Theta {
            omega: &outcome.cml.omega,
            lambda: &outcome.cml.lambda,
        },
        exact: Theta {
            omega: &outcome.exact.omega,
            lambda: &outcome.exact.lambda,
        },
        phi_free: &outcome.phi_free,
        outer_loss: outcome.outer_loss,
        saturations: outcome.saturations,
    };
    let json =
        serde_json::to_string(&output).map_err(|e| format!("cannot print the result: {e}"))?;
    Ok(Report { json, warning })
}
