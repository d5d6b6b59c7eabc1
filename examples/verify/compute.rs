//! One problem in one number type: the library's CML estimate, and the `f64` reference.

use super::problem::{FileTarget, ModelKind, Problem, TargetFile, MAX_QUERY, MAX_SUPPORT};
use tinycml::reference::{self, ridge::Ridge, Dual, InnerSolve, ReferenceLoss};
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
    let mut out = [S::ZERO; P];
    for (i, (slot, &v)) in out.iter_mut().zip(values).enumerate() {
        *slot = S::from_f64(v)
            .ok_or_else(|| format!("{name}[{i}] = {v} does not fit the number format"))?;
    }
    Ok(out)
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
    let config = Config {
        free_steps: problem.free_steps,
        free_lr: problem.lr,
        nudged_steps: problem.nudged_steps,
        nudged_lr: problem.nudged_lr,
        beta: problem.beta,
        estimator: problem.estimator,
        learn: Learn::Both,
        ..Config::default()
    };
    let cml = Cml::<N, M, P, L>::with_loss(model, loss, config).map_err(|e| e.to_string())?;
    let mut task = Box::new(Task::<N::Act, D, MAX_SUPPORT, MAX_QUERY, T::Map<N::Act>>::new());
    for shot in convert_shots(&support, "support")? {
        task.push_support(shot).map_err(|e| e.to_string())?;
    }
    for shot in convert_shots(&query, "query")? {
        task.push_query(shot).map_err(|e| e.to_string())?;
    }
    let theta = ComplexSynapse::<N, P>::new(
        convert_params(&problem.omega, "omega")?,
        convert_params(&problem.lambda, "lambda")?,
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
                &problem.omega,
                &problem.lambda,
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
                &problem.omega,
                &problem.omega,
                &problem.lambda,
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
                &problem.omega,
                &problem.lambda,
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
