//! One problem in one number type: the library's CML estimate, and the `f64` reference.

use super::problem::{FileTarget, Meta, ModelKind, Problem, TargetFile, MAX_QUERY, MAX_SUPPORT};
use tinycml::dual::{DualCml, DualMetaGradient, DualModel, DualState, DualWorkspace};
use tinycml::reference::{
    self, ridge::Ridge, Dual, DualGradient, FixedBody, InnerSolve, ReferenceLoss,
};
use tinycml::{
    Cml, ComplexSynapse, Config, Learn, Loss, LossName, Model, Precision, Scalar, Shot, Target,
    Task, Workspace,
};

/// What `verify` prints, as plain `f64` values.
pub struct Outcome {
    pub cml: reference::Gradient,
    pub exact: reference::Gradient,
    pub phi_free: Vec<f64>,
    pub outer_loss: f64,
    pub saturations: u32,
    /// `‖∇L_in‖` at the reference minimiser (MLP only; the ridge minimiser is exact).
    pub reference_grad_norm: Option<f64>,
}

/// Every model `verify` runs: the library's in any format, and the reference's in `f64`
/// and dual numbers.
pub trait AnyModel:
    Model<f64>
    + Model<f32>
    + Model<tinycml::Q16_16>
    + Model<tinycml::Q16_16Uniform>
    + Model<tinycml::Q8_24>
    + Model<Dual>
    + Copy
{
}

impl<M> AnyModel for M where
    M: Model<f64>
        + Model<f32>
        + Model<tinycml::Q16_16>
        + Model<tinycml::Q16_16Uniform>
        + Model<tinycml::Q8_24>
        + Model<Dual>
        + Copy
{
}

fn exact_shots<T: FileTarget, const D: usize>(
    shots: &[(Vec<f64>, TargetFile)],
    name: &str,
) -> Result<Vec<Shot<f64, D, T>>, String> {
    shots
        .iter()
        .enumerate()
        .map(|(i, (x, y))| {
            Ok(Shot {
                x: core::array::from_fn(|j| x[j]),
                y: T::from_file(y).map_err(|e| format!("{name}.y[{i}]: {e}"))?,
            })
        })
        .collect()
}

/// The shots in format `A`, targets converted alongside.
type Converted<A, T, const D: usize> = Vec<Shot<A, D, <T as Target<f64>>::Map<A>>>;

fn convert_shots<A: Scalar, T: Target<f64>, const D: usize>(
    shots: &[Shot<f64, D, T>],
    name: &str,
) -> Result<Converted<A, T, D>, String> {
    shots
        .iter()
        .enumerate()
        .map(|(i, s)| Shot::new(&s.x, s.y).map_err(|e| format!("{name} shot {i}: {e}")))
        .collect()
}

fn convert_params<S: Scalar, const P: usize>(values: &[f64], name: &str) -> Result<[S; P], String> {
    if values.len() != P {
        return Err(format!(
            "{name} has {} values, the model needs {P}",
            values.len()
        ));
    }
    let mut out = [S::ZERO; P];
    for (i, (slot, &v)) in out.iter_mut().zip(values).enumerate() {
        *slot = S::from_f64(v)
            .ok_or_else(|| format!("{name}[{i}] = {v} does not fit the number format"))?;
    }
    Ok(out)
}

/// The phase settings of `problem` (β, estimator, steps, learning rates). `verify` takes no
/// meta-step, so λ's bounds play no part; they are set within what the library accepts for
/// these learning rates (`λ_max · lr < 2`).
fn config(problem: &Problem) -> Config {
    let lambda_max = 1.0 / problem.lr.max(problem.nudged_lr);
    Config::default()
        .with_lambda_max(lambda_max)
        .with_lambda_min(lambda_max.min(Config::default().lambda_min))
        .with_free_steps(problem.free_steps)
        .with_free_lr(problem.lr)
        .with_nudged_steps(problem.nudged_steps)
        .with_nudged_lr(problem.nudged_lr)
        .with_beta(problem.beta)
        .with_estimator(problem.estimator)
}

/// The library's task in format `N` for targets `T`, at `verify`'s capacity.
type LibraryTask<N, T, const D: usize> = Task<
    <N as Precision>::Act,
    D,
    MAX_SUPPORT,
    MAX_QUERY,
    <T as Target<f64>>::Map<<N as Precision>::Act>,
>;

/// The library's task in format `N`: the shots converted, targets alongside.
fn library_task<N: Precision, T: Target<f64>, const D: usize>(
    support: &[Shot<f64, D, T>],
    query: &[Shot<f64, D, T>],
) -> Result<Box<LibraryTask<N, T, D>>, String> {
    let mut task = Box::new(LibraryTask::<N, T, D>::new());
    for shot in convert_shots(support, "support")? {
        task.push_support(shot).map_err(|e| e.to_string())?;
    }
    for shot in convert_shots(query, "query")? {
        task.push_query(shot).map_err(|e| e.to_string())?;
    }
    Ok(task)
}

/// Runs `problem` with model `model` (`D` inputs, `P` parameters) and `loss` on targets `T`
/// in the number format `N`.
pub fn run<N, M, L, T, const D: usize, const P: usize>(
    model: M,
    loss: L,
    problem: &Problem,
) -> Result<Outcome, String>
where
    N: Precision,
    M: AnyModel + Model<N>,
    T: FileTarget + Target<f64>,
    L: Loss<N, T::Map<N::Act>> + ReferenceLoss<T> + LossName,
{
    let support = exact_shots::<T, D>(&problem.support, "support")?;
    let query = exact_shots::<T, D>(&problem.query, "query")?;

    // The library, in the requested format.
    let config = config(problem).with_learn(Learn::Both);
    let cml = Cml::<N, M, P, L>::with_loss(model, loss, config).map_err(|e| e.to_string())?;
    let task = library_task::<N, T, D>(&support, &query)?;
    let Meta::Synapse { omega, lambda } = &problem.meta else {
        return Err("a complex-synapse model needs omega and lambda".into());
    };
    let theta = ComplexSynapse::<N, P>::new(
        convert_params(omega, "omega")?,
        convert_params(lambda, "lambda")?,
    )
    .map_err(|e| format!("omega/lambda: {e}"))?;
    let mut ws = Box::new(Workspace::<N, P>::new());
    let report = cml
        .estimate(&theta, &task, &mut ws)
        .map_err(|e| format!("the {} CML estimate failed: {e}", N::name()))?;
    let to_f64 = |v: &[N::Param]| v.iter().map(|x| x.to_f64()).collect::<Vec<f64>>();
    let (g_omega, g_lambda) = ws.meta_gradient();
    let estimate = reference::Gradient {
        omega: to_f64(g_omega),
        lambda: to_f64(g_lambda),
    };
    let phi_free = to_f64(ws.phi_free());

    // The reference, in f64 on the problem's exact values.
    let (exact, reference_grad_norm) = match problem.model {
        ModelKind::Linear if loss.name() == "squared_error" => {
            let plain = |shots: &[(Vec<f64>, TargetFile)], name| exact_shots::<f64, D>(shots, name);
            let ridge = Ridge::new(
                &plain(&problem.support, "support")?,
                &plain(&problem.query, "query")?,
                omega,
                lambda,
            )
            .map_err(|e| format!("reference: {e}"))?;
            (
                ridge.gradient().map_err(|e| format!("reference: {e}"))?,
                None,
            )
        }
        _ => {
            let settings = InnerSolve {
                lr: problem.lr,
                max_steps: problem.free_steps.saturating_mul(10).max(20_000),
                tolerance: 1e-10,
                newton_steps: 0,
            };
            let solved = reference::solve_inner(
                &model,
                &loss,
                omega,
                omega,
                lambda,
                &support,
                &[],
                0.0,
                &settings,
            )
            .map_err(|e| format!("reference: {e}"))?;
            let gradient = reference::implicit_gradient(
                &model,
                &loss,
                &solved.phi,
                omega,
                lambda,
                &support,
                &query,
            )
            .map_err(|e| format!("reference: {e}"))?;
            (gradient, Some(solved.grad_norm))
        }
    };
    Ok(Outcome {
        cml: estimate,
        exact,
        outer_loss: reference::data_loss(&model, &loss, &phi_free, &query),
        phi_free,
        saturations: report.saturations.0,
        reference_grad_norm,
    })
}

/// What `verify` prints for a dual system, as plain `f64` values.
pub struct DualOutcome {
    /// The library's `(ĝ_body, ĝ_init)` (`ĝ_init` is zero without μ).
    pub cml: DualGradient,
    /// The exact implicit gradient; `None` without μ (no unique minimiser to take it at).
    pub exact: Option<DualGradient>,
    /// The library's free-phase end state φ⁰, in the fast layout.
    pub phi_free: Vec<f64>,
    pub outer_loss: f64,
    pub saturations: u32,
    /// `‖∇L_in‖` at the reference minimiser (only with μ).
    pub reference_grad_norm: Option<f64>,
    /// The fast state's length, for the warning printed without μ.
    pub fast_values: usize,
}

/// Every dual system `verify` runs: the library's in any format, and the reference's in
/// `f64` and dual numbers.
pub trait AnyDual:
    DualModel<f64>
    + DualModel<f32>
    + DualModel<tinycml::Q16_16>
    + DualModel<tinycml::Q16_16Uniform>
    + DualModel<tinycml::Q8_24>
    + DualModel<Dual>
    + Copy
{
}

impl<S> AnyDual for S where
    S: DualModel<f64>
        + DualModel<f32>
        + DualModel<tinycml::Q16_16>
        + DualModel<tinycml::Q16_16Uniform>
        + DualModel<tinycml::Q8_24>
        + DualModel<Dual>
        + Copy
{
}

/// How tightly the dual system's reference solves the inner problem: gradient descent from
/// the initial fast state (the library's free-phase dynamics, so the same basin), then Newton
/// steps on the exact Hessian.
fn dual_inner_solve(problem: &Problem) -> InnerSolve {
    InnerSolve {
        lr: problem.lr,
        max_steps: problem.free_steps.saturating_mul(10).max(20_000),
        tolerance: 1e-10,
        newton_steps: 8,
    }
}

/// Runs a dual-system `problem` with `system` (`D` inputs, `BODY` body and `FAST` fast
/// values) and `loss` on targets `T` in the number format `N`.
pub fn run_dual<N, S, L, T, const D: usize, const BODY: usize, const FAST: usize>(
    system: S,
    loss: L,
    problem: &Problem,
) -> Result<DualOutcome, String>
where
    N: Precision,
    S: AnyDual + DualModel<N>,
    T: FileTarget + Target<f64>,
    L: Loss<N, T::Map<N::Act>> + ReferenceLoss<T> + LossName,
{
    let Meta::Dual { body, init, mu } = &problem.meta else {
        return Err("a dual model needs a body".into());
    };
    let support = exact_shots::<T, D>(&problem.support, "support")?;
    let query = exact_shots::<T, D>(&problem.query, "query")?;
    let init = match init {
        Some(init) => init.clone(),
        None => {
            let mut authors = vec![0.0; FAST];
            DualModel::<f64>::initial_fast(&system, &mut authors);
            authors
        }
    };

    // The library, in the requested format.
    let cml = DualCml::<N, S, BODY, FAST, L>::with_loss(system, loss, config(problem), *mu)
        .map_err(|e| e.to_string())?;
    let task = library_task::<N, T, D>(&support, &query)?;
    let theta = DualState::<N, BODY, FAST>::new(
        convert_params(body, "body")?,
        convert_params(&init, "init")?,
    )
    .map_err(|e| format!("body/init: {e}"))?;
    let mut ws = Box::new(DualWorkspace::<N, FAST>::new());
    let mut sum = Box::new(DualMetaGradient::<N, BODY, FAST>::new());
    let report = cml
        .estimate(&theta, &task, &mut ws, &mut sum)
        .map_err(|e| format!("the {} CML estimate failed: {e}", N::name()))?;
    let to_f64 = |v: &[N::Param]| v.iter().map(|x| x.to_f64()).collect::<Vec<f64>>();
    let (g_body, g_init) = sum.sums();
    let estimate = DualGradient {
        body: to_f64(g_body),
        init: to_f64(g_init),
    };
    let phi_free = to_f64(ws.phi_free());

    // The reference, in f64 on the problem's exact values; only with μ, where the minimiser
    // (and so the implicit gradient) is unique.
    let model = FixedBody::new(system, body).map_err(|e| format!("reference: {e}"))?;
    let (exact, reference_grad_norm) = match *mu {
        Some(mu) => {
            let solved = reference::solve_inner(
                &model,
                &loss,
                &init,
                &init,
                &vec![mu; FAST],
                &support,
                &[],
                0.0,
                &dual_inner_solve(problem),
            )
            .map_err(|e| format!("reference: {e}"))?;
            let gradient = reference::dual_implicit_gradient(
                system,
                &loss,
                body,
                &solved.phi,
                mu,
                &support,
                &query,
            )
            .map_err(|e| format!("reference: {e}"))?;
            (Some(gradient), Some(solved.grad_norm))
        }
        None => (None, None),
    };
    Ok(DualOutcome {
        cml: estimate,
        exact,
        outer_loss: reference::data_loss(&model, &loss, &phi_free, &query),
        phi_free,
        saturations: report.saturations.0,
        reference_grad_norm,
        fast_values: FAST,
    })
}
