//! `verify`: one numerics problem in, one JSON object out (see `examples/verify.rs`).
//!
//! Split in three: [`problem`] parses and checks the file, [`compute`] runs the library and
//! the reference for one compile-time shape and number format, and [`run`] picks that shape
//! and format from the file (shapes are type parameters in tinycml, so `verify` is compiled
//! for a fixed menu of them).

pub mod compute;
pub mod problem;

use compute::{AnyDual, AnyModel, DualOutcome, Outcome};
use problem::{FileTarget, ModelKind, Problem, DUAL_WIDTHS, MLP_WIDTHS};
use serde::Serialize;
use std::io::Write;
use tinycml::dual::DualSystem;
use tinycml::reference::{DualGradient, ReferenceLoss};
use tinycml::{
    BinaryCrossEntropy, Class, Layer, Linear, Loss, LossName, Masked, MaskedSquaredError, Mlp,
    Network, Precision, Q16_16Uniform, SoftmaxCrossEntropy, SquaredError, Target, Q16_16, Q8_24,
};

/// Names accepted in `"scalar"`.
pub const SCALARS: [&str; 5] = ["f64", "f32", "q16.16", "q16.16-uniform", "q8.24"];

/// Above this `‖∇L_in‖` the MLP reference is not a converged minimiser; `verify` says so.
pub const CONVERGED: f64 = 1e-7;

/// What one run produced, by model family.
pub enum Finished {
    /// A complex synapse (linear or mlp).
    Synapse(Outcome),
    /// A dual system.
    Dual(DualOutcome),
}

/// One compiled model, runnable in the number format `N` with any loss that suits it.
pub trait Job<N: Precision>: Copy {
    /// The library's estimate and the reference for `problem`, targets `T`.
    fn run<L, T>(self, loss: L, problem: &Problem) -> Result<Finished, String>
    where
        T: FileTarget + Target<f64>,
        L: Loss<N, T::Map<N::Act>> + ReferenceLoss<T> + LossName;
}

/// A [`Job`] in every format `verify` runs.
pub trait AnyJob: Job<f64> + Job<f32> + Job<Q16_16> + Job<Q16_16Uniform> + Job<Q8_24> {}

impl<J> AnyJob for J where J: Job<f64> + Job<f32> + Job<Q16_16> + Job<Q16_16Uniform> + Job<Q8_24> {}

/// A complex synapse on model `M` (`D` inputs, `P` parameters).
#[derive(Clone, Copy)]
struct Synapse<M, const D: usize, const P: usize>(M);

impl<N, M, const D: usize, const P: usize> Job<N> for Synapse<M, D, P>
where
    N: Precision,
    M: AnyModel + tinycml::Model<N>,
{
    fn run<L, T>(self, loss: L, problem: &Problem) -> Result<Finished, String>
    where
        T: FileTarget + Target<f64>,
        L: Loss<N, T::Map<N::Act>> + ReferenceLoss<T> + LossName,
    {
        compute::run::<N, M, L, T, D, P>(self.0, loss, problem).map(Finished::Synapse)
    }
}

/// A dual system `S` (`D` inputs, `B` body and `F` fast values).
#[derive(Clone, Copy)]
struct DualJob<S, const D: usize, const B: usize, const F: usize>(S);

impl<N, S, const D: usize, const B: usize, const F: usize> Job<N> for DualJob<S, D, B, F>
where
    N: Precision,
    S: AnyDual + tinycml::dual::DualModel<N>,
{
    fn run<L, T>(self, loss: L, problem: &Problem) -> Result<Finished, String>
    where
        T: FileTarget + Target<f64>,
        L: Loss<N, T::Map<N::Act>> + ReferenceLoss<T> + LossName,
    {
        compute::run_dual::<N, S, L, T, D, B, F>(self.0, loss, problem).map(Finished::Dual)
    }
}

fn by_scalar<J, L, T>(job: J, loss: L, problem: &Problem) -> Result<Finished, String>
where
    J: AnyJob,
    T: FileTarget + Target<f64>,
    L: AnyLoss<T>,
{
    match problem.scalar.as_str() {
        "f64" => Job::<f64>::run::<L, T>(job, loss, problem),
        "f32" => Job::<f32>::run::<L, T>(job, loss, problem),
        "q16.16" => Job::<Q16_16>::run::<L, T>(job, loss, problem),
        "q16.16-uniform" => Job::<Q16_16Uniform>::run::<L, T>(job, loss, problem),
        "q8.24" => Job::<Q8_24>::run::<L, T>(job, loss, problem),
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
fn one_output<J: AnyJob>(job: J, problem: &Problem) -> Result<Finished, String> {
    match problem.loss.as_str() {
        "squared_error" => by_scalar::<J, _, f64>(job, SquaredError, problem),
        "binary_cross_entropy" => by_scalar::<J, _, f64>(job, BinaryCrossEntropy, problem),
        other => Err(format!(
            "loss {other} needs a model with several outputs; this one has one"
        )),
    }
}

/// A model with `O ≥ 2` outputs: squared error, masked squared error or softmax.
fn outputs<J: AnyJob, const O: usize>(job: J, problem: &Problem) -> Result<Finished, String> {
    match problem.loss.as_str() {
        "squared_error" => by_scalar::<J, _, [f64; O]>(job, SquaredError, problem),
        "masked_squared_error" => by_scalar::<J, _, Masked<f64>>(job, MaskedSquaredError, problem),
        "softmax_cross_entropy" => by_scalar::<J, _, Class>(job, SoftmaxCrossEntropy, problem),
        other => Err(format!(
            "loss {other} needs a model with one output; this one has {O}"
        )),
    }
}

fn linear<const D: usize, const P: usize>(problem: &Problem) -> Result<Finished, String> {
    one_output(Synapse::<_, D, P>(Linear::<D>::default()), problem)
}

/// A complex synapse on the network `M` with `D` inputs.
fn mlp<M: AnyModel, const D: usize, const P: usize>(model: M) -> Synapse<M, D, P> {
    Synapse(model)
}

/// CML on the dual system `S` with `D` inputs.
fn dual<S: AnyDual, const D: usize, const B: usize, const F: usize>(
    system: S,
) -> DualJob<S, D, B, F> {
    DualJob(system)
}

fn dispatch(problem: &Problem) -> Result<Finished, String> {
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
            [1, 40, 40, 1] => one_output(
                mlp::<_, 1, { Mlp::<1, 40, 40>::PARAMS }>(Mlp::<1, 40, 40>::new(activation)),
                problem,
            ),
            [1, 16, 16, 1] => one_output(
                mlp::<_, 1, { Mlp::<1, 16, 16>::PARAMS }>(Mlp::<1, 16, 16>::new(activation)),
                problem,
            ),
            [1, 8, 8, 1] => one_output(
                mlp::<_, 1, { Mlp::<1, 8, 8>::PARAMS }>(Mlp::<1, 8, 8>::new(activation)),
                problem,
            ),
            [2, 16, 16, 1] => one_output(
                mlp::<_, 2, { Mlp::<2, 16, 16>::PARAMS }>(Mlp::<2, 16, 16>::new(activation)),
                problem,
            ),
            [2, 8, 8, 8, 3] => outputs::<_, 3>(
                mlp::<_, 2, { Deep::PARAMS }>(Deep::new(activation)),
                problem,
            ),
            [3, 16, 2] => outputs::<_, 2>(
                mlp::<_, 3, { Shallow::PARAMS }>(Shallow::new(activation)),
                problem,
            ),
            widths => Err(format!("mlp {widths:?} is not compiled into verify")),
        },
        (ModelKind::Dual { shape, activation }, _) => match DUAL_WIDTHS[shape] {
            [1, 8, 8, 1] => one_output(
                dual::<_, 1, { DualSmall::BODY }, { DualSmall::FAST }>(DualSmall::new(activation)),
                problem,
            ),
            [1, 40, 40, 1] => one_output(
                dual::<_, 1, { DualSinusoid::BODY }, { DualSinusoid::FAST }>(DualSinusoid::new(
                    activation,
                )),
                problem,
            ),
            [2, 8, 8, 3] => outputs::<_, 3>(
                dual::<_, 2, { DualWide::BODY }, { DualWide::FAST }>(DualWide::new(activation)),
                problem,
            ),
            widths => Err(format!("dual {widths:?} is not compiled into verify")),
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
/// The dual system `1-8-8-1`: body 88, fast state 41.
type DualSmall = DualSystem<1, Layer<8, Layer<8, Layer<1>>>>;
/// The dual system `1-40-40-1` (the sinusoid network): body 1,720, fast state 201.
type DualSinusoid = DualSystem<1, Layer<40, Layer<40, Layer<1>>>>;
/// The dual system `2-8-8-3`: body 96, fast state 59, three outputs.
type DualWide = DualSystem<2, Layer<8, Layer<8, Layer<3>>>>;

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

/// `dL_out/dθ` of a dual system: the body, then the initial fast state.
#[derive(Serialize)]
struct DualTheta<'a> {
    body: &'a [f64],
    init: &'a [f64],
}

impl<'a> From<&'a DualGradient> for DualTheta<'a> {
    fn from(g: &'a DualGradient) -> Self {
        Self {
            body: &g.body,
            init: &g.init,
        }
    }
}

/// The printed object for a dual system; `exact` is `null` without μ.
#[derive(Serialize)]
struct DualOutput<'a> {
    cml: DualTheta<'a>,
    exact: Option<DualTheta<'a>>,
    phi_free: &'a [f64],
    outer_loss: f64,
    saturations: u32,
}

fn unconverged(g: f64) -> String {
    format!(
        "warning: the reference inner solve stopped at |grad L_in| = {g:.3e} > {CONVERGED:e}; \
         \"exact\" is the implicit gradient at an unconverged state \
         (ReLU minima often sit on a kink; tanh does not)"
    )
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
    let converged = |g: &f64| !(g.is_nan() || *g > CONVERGED);
    let (json, warning) = match dispatch(&problem)? {
        Finished::Synapse(outcome) => {
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
            let warning = outcome
                .reference_grad_norm
                .filter(|g| !converged(g))
                .map(unconverged);
            (serde_json::to_string(&output), warning)
        }
        Finished::Dual(outcome) => {
            let output = DualOutput {
                cml: (&outcome.cml).into(),
                exact: outcome.exact.as_ref().map(DualTheta::from),
                phi_free: &outcome.phi_free,
                outer_loss: outcome.outer_loss,
                saturations: outcome.saturations,
            };
            let warning = match outcome.reference_grad_norm {
                None => Some(format!(
                    "warning: \"exact\" is null: without \"mu\" the inner loss has no pull to the \
                     initial fast state, so its minimiser need not be unique ({} fast values, {} \
                     support shots) and the implicit gradient is not defined; set mu > 0 to get it",
                    outcome.fast_values,
                    problem.support.len()
                )),
                Some(g) if !converged(&g) => Some(unconverged(g)),
                Some(_) => None,
            };
            (serde_json::to_string(&output), warning)
        }
    };
    let json = json.map_err(|e| format!("cannot print the result: {e}"))?;
    Ok(Report { json, warning })
}

/// The command itself: reads the problem file named in `args`, writes the JSON object to
/// `out` and any warning or error, one line each, to `err`. Returns the exit status: 0, 1 for
/// a bad problem or file, 2 for a usage error.
pub fn cli(args: &[String], out: &mut impl Write, err: &mut impl Write) -> u8 {
    let [path] = args else {
        let _ = writeln!(err, "usage: verify PROBLEM.json");
        return 2;
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            let _ = writeln!(err, "error: cannot read {path}: {e}");
            return 1;
        }
    };
    match run(&text) {
        Ok(report) => {
            if let Some(warning) = report.warning {
                let _ = writeln!(err, "{warning}");
            }
            // A reader that stops early (`verify … | head -c 100`) closes the pipe: say so
            // in one line instead of failing later, where the standard library would panic.
            match writeln!(out, "{}", report.json).and_then(|()| out.flush()) {
                Ok(()) => 0,
                Err(e) => {
                    let _ = writeln!(err, "error: cannot write the result: {e}");
                    1
                }
            }
        }
        Err(message) => {
            let _ = writeln!(err, "error: {}", message.replace('\n', " "));
            1
        }
    }
}
