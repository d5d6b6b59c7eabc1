//! `verify`: one numerics problem in, one JSON object out (see `examples/verify.rs`).
//!
//! Split in three: [`problem`] parses and checks the file, [`compute`] runs the library and
//! the reference for one compile-time shape and number format, and [`run`] picks that shape
//! and format from the file (shapes are type parameters in tinycml, so `verify` is compiled
//! for a fixed menu of them).

pub mod compute;
pub mod problem;

use compute::{AnyModel, Outcome};
use problem::{FileTarget, ModelKind, Problem, MLP_WIDTHS};
use serde::Serialize;
use tinycml::reference::ReferenceLoss;
use tinycml::{
    BinaryCrossEntropy, Class, Layer, Linear, Loss, Masked, MaskedSquaredError, Mlp, Network,
    Precision, Q16_16Uniform, SoftmaxCrossEntropy, SquaredError, Target, Q16_16, Q8_24,
};

/// Names accepted in `"scalar"`.
pub const SCALARS: [&str; 5] = ["f64", "f32", "q16.16", "q16.16-uniform", "q8.24"];

/// Above this `‖∇L_in‖` the MLP reference is not a converged minimiser; `verify` says so.
pub const CONVERGED: f64 = 1e-7;

fn by_scalar<M, L, T, const D: usize, const P: usize>(
    model: M,
    loss: L,
    problem: &Problem,
) -> Result<Outcome, String>
where
    M: AnyModel,
    T: FileTarget + Target<f64>,
    L: AnyLoss<T>,
{
    match problem.scalar.as_str() {
        "f64" => compute::run::<f64, M, L, T, D, P>(model, loss, problem),
        "f32" => compute::run::<f32, M, L, T, D, P>(model, loss, problem),
        "q16.16" => compute::run::<Q16_16, M, L, T, D, P>(model, loss, problem),
        "q16.16-uniform" => compute::run::<Q16_16Uniform, M, L, T, D, P>(model, loss, problem),
        "q8.24" => compute::run::<Q8_24, M, L, T, D, P>(model, loss, problem),
        other => Err(format!(
            "unknown scalar {other:?}: expected one of {}",
            SCALARS.join(", ")
        )),
    }
}

/// A loss for targets `T` in every format `verify` runs, and in the reference.
pub trait AnyLoss<T: Target<f64>>:
    Loss<f64, T::Map<f64>>
    + Loss<f32, T::Map<f32>>
    + Loss<Q16_16, T::Map<<Q16_16 as Precision>::Act>>
    + Loss<Q16_16Uniform, T::Map<<Q16_16Uniform as Precision>::Act>>
    + Loss<Q8_24, T::Map<<Q8_24 as Precision>::Act>>
    + ReferenceLoss<T>
{
}

impl<T: Target<f64>, L> AnyLoss<T> for L where
    L: Loss<f64, T::Map<f64>>
        + Loss<f32, T::Map<f32>>
        + Loss<Q16_16, T::Map<<Q16_16 as Precision>::Act>>
        + Loss<Q16_16Uniform, T::Map<<Q16_16Uniform as Precision>::Act>>
        + Loss<Q8_24, T::Map<<Q8_24 as Precision>::Act>>
        + ReferenceLoss<T>
{
}

/// A model with one output: squared error or binary cross-entropy.
fn one_output<M: AnyModel, const D: usize, const P: usize>(
    model: M,
    problem: &Problem,
) -> Result<Outcome, String> {
    match problem.loss.as_str() {
        "squared_error" => by_scalar::<M, _, f64, D, P>(model, SquaredError, problem),
        "binary_cross_entropy" => by_scalar::<M, _, f64, D, P>(model, BinaryCrossEntropy, problem),
        other => Err(format!(
            "loss {other} needs a model with several outputs; this one has one"
        )),
    }
}

/// A model with `O ≥ 2` outputs: squared error, masked squared error or softmax.
fn outputs<M: AnyModel, const D: usize, const O: usize, const P: usize>(
    model: M,
    problem: &Problem,
) -> Result<Outcome, String> {
    match problem.loss.as_str() {
        "squared_error" => by_scalar::<M, _, [f64; O], D, P>(model, SquaredError, problem),
        "masked_squared_error" => {
            by_scalar::<M, _, Masked<f64>, D, P>(model, MaskedSquaredError, problem)
        }
        "softmax_cross_entropy" => {
            by_scalar::<M, _, Class, D, P>(model, SoftmaxCrossEntropy, problem)
        }
        other => Err(format!(
            "loss {other} needs a model with one output; this one has {O}"
        )),
    }
}

fn linear<const D: usize, const P: usize>(problem: &Problem) -> Result<Outcome, String> {
    one_output::<_, D, P>(Linear::<D>::default(), problem)
}

fn dispatch(problem: &Problem) -> Result<Outcome, String> {
    match (problem.model, problem.inputs) {
        (ModelKind::Linear, 1) => linear::<1, 2>(problem),
        (ModelKind::Linear, 2) => linear::<2, 3>(problem),
        (ModelKind::Linear, 3) => linear::<3, 4>(problem),
        (ModelKind::Linear, 4) => linear::<4, 5>(problem),
        (ModelKind::Linear, 5) => linear::<5, 6>(problem),
        (ModelKind::Linear, 6) => linear::<6, 7>(problem),
        (ModelKind::Linear, 7) => linear::<7, 8>(problem),
        (ModelKind::Linear, 8) => linear::<8, 9>(problem),
        (ModelKind::Mlp { shape, activation }, _) => match MLP_WIDTHS[shape] {
            [1, 40, 40, 1] => one_output::<_, 1, { Mlp::<1, 40, 40>::PARAMS }>(
                Mlp::<1, 40, 40>::new(activation),
                problem,
            ),
            [1, 16, 16, 1] => one_output::<_, 1, { Mlp::<1, 16, 16>::PARAMS }>(
                Mlp::<1, 16, 16>::new(activation),
                problem,
            ),
            [1, 8, 8, 1] => one_output::<_, 1, { Mlp::<1, 8, 8>::PARAMS }>(
                Mlp::<1, 8, 8>::new(activation),
                problem,
            ),
            [2, 16, 16, 1] => one_output::<_, 2, { Mlp::<2, 16, 16>::PARAMS }>(
                Mlp::<2, 16, 16>::new(activation),
                problem,
            ),
            [2, 8, 8, 8, 3] => outputs::<_, 2, 3, { Deep::PARAMS }>(Deep::new(activation), problem),
            [3, 16, 2] => {
                outputs::<_, 3, 2, { Shallow::PARAMS }>(Shallow::new(activation), problem)
            }
            widths => Err(format!("mlp {widths:?} is not compiled into verify")),
        },
        (ModelKind::Linear, inputs) => Err(format!(
            "linear model with {inputs} inputs is not compiled into verify"
        )),
    }
}

/// `2-8-8-8-3`: three hidden layers, three outputs.
type Deep = Network<2, Layer<8, Layer<8, Layer<8, Layer<3>>>>>;
/// `3-16-2`: one hidden layer, two outputs.
type Shallow = Network<3, Layer<16, Layer<2>>>;

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
