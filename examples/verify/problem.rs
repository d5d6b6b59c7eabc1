//! The problem file: its JSON shape, and the checks that turn it into a [`Problem`] that the
//! library and the reference can run without further questions.

use serde::Deserialize;
use tinycml::{Activation, Class, Estimator, Masked};

/// Most support shots a problem may have (the task buffer's capacity).
pub const MAX_SUPPORT: usize = 256;
/// Most query shots a problem may have.
pub const MAX_QUERY: usize = 1024;

/// Network widths `[inputs, hidden…, outputs]` that `verify` is compiled for.
pub const MLP_WIDTHS: [&[usize]; 6] = [
    &[1, 40, 40, 1],
    &[1, 16, 16, 1],
    &[1, 8, 8, 1],
    &[2, 16, 16, 1],
    &[2, 8, 8, 8, 3],
    &[3, 16, 2],
];
/// Names accepted in `"loss"` (default `squared_error`).
pub const LOSSES: [&str; 4] = [
    "squared_error",
    "masked_squared_error",
    "binary_cross_entropy",
    "softmax_cross_entropy",
];
/// Largest input count of the linear model.
pub const MAX_LINEAR_INPUTS: usize = 8;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    model: ModelFile,
    support: ShotsFile,
    query: ShotsFile,
    omega: Vec<f64>,
    lambda: LambdaFile,
    beta: f64,
    estimator: String,
    inner: InnerFile,
    scalar: String,
    loss: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    kind: String,
    widths: Option<Vec<usize>>,
    activation: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShotsFile {
    x: Vec<Vec<f64>>,
    y: Vec<TargetFile>,
}

/// One shot's `y`: a number (one output, a probability, or a class index), one number per
/// output, or `{"output": k, "value": v}` for the masked loss.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum TargetFile {
    Number(f64),
    Vector(Vec<f64>),
    Masked { output: u16, value: f64 },
}

/// A target type `verify` can read from a [`TargetFile`].
pub trait FileTarget: Sized {
    /// The target, or what is wrong with it.
    fn from_file(target: &TargetFile) -> Result<Self, String>;
}

impl FileTarget for f64 {
    fn from_file(target: &TargetFile) -> Result<Self, String> {
        match target {
            TargetFile::Number(v) => Ok(*v),
            TargetFile::Vector(v) if v.len() == 1 => Ok(v[0]),
            other => Err(format!("expected one number, found {other:?}")),
        }
    }
}

impl<const O: usize> FileTarget for [f64; O] {
    fn from_file(target: &TargetFile) -> Result<Self, String> {
        match target {
            TargetFile::Vector(v) if v.len() == O => Ok(core::array::from_fn(|i| v[i])),
            TargetFile::Number(v) if O == 1 => Ok([*v; O]),
            other => Err(format!(
                "expected {O} numbers (one per output), found {other:?}"
            )),
        }
    }
}

impl FileTarget for Class {
    fn from_file(target: &TargetFile) -> Result<Self, String> {
        match target {
            TargetFile::Number(v) if v.fract() == 0.0 && (0.0..65536.0).contains(v) => {
                Ok(Class(*v as u16))
            }
            other => Err(format!("expected a class index 0..65535, found {other:?}")),
        }
    }
}

impl FileTarget for Masked<f64> {
    fn from_file(target: &TargetFile) -> Result<Self, String> {
        match target {
            TargetFile::Masked { output, value } => Ok(Masked {
                output: *output,
                value: *value,
            }),
            other => Err(format!(
                "expected {{\"output\": k, \"value\": v}}, found {other:?}"
            )),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum LambdaFile {
    One(f64),
    Each(Vec<f64>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InnerFile {
    free_steps: u32,
    nudged_steps: u32,
    lr: f64,
    /// Learning rate of the nudged phases (default: `lr`).
    nudged_lr: Option<f64>,
}

/// Which network, with its compile-time shape decided at dispatch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ModelKind {
    /// `f(x) = w·x + b`.
    Linear,
    /// A dense network, `widths = [inputs, hidden…, outputs]`, linear output layer.
    Mlp {
        /// Index into [`MLP_WIDTHS`].
        shape: usize,
        /// Hidden nonlinearity.
        activation: Activation,
    },
}

/// A checked problem: consistent lengths, finite values, a supported shape.
#[derive(Clone, Debug)]
pub struct Problem {
    pub model: ModelKind,
    pub inputs: usize,
    pub loss: String,
    pub support: Vec<(Vec<f64>, TargetFile)>,
    pub query: Vec<(Vec<f64>, TargetFile)>,
    pub omega: Vec<f64>,
    pub lambda: Vec<f64>,
    pub beta: f64,
    pub estimator: Estimator,
    pub free_steps: u32,
    pub nudged_steps: u32,
    pub lr: f64,
    pub nudged_lr: f64,
    pub scalar: String,
}

/// Parameter count of a model with `inputs` inputs.
pub fn params(model: ModelKind, inputs: usize) -> usize {
    match model {
        ModelKind::Linear => inputs + 1,
        ModelKind::Mlp { shape, .. } => MLP_WIDTHS[shape]
            .windows(2)
            .map(|w| w[1] * (w[0] + 1))
            .sum(),
    }
}

fn finite(values: &[f64], what: &str) -> Result<(), String> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(format!("{what}[{i}] is not a finite number")),
        None => Ok(()),
    }
}

fn shots(
    file: ShotsFile,
    name: &str,
    capacity: usize,
) -> Result<Vec<(Vec<f64>, TargetFile)>, String> {
    if file.x.len() != file.y.len() {
        return Err(format!(
            "{name}: {} inputs but {} targets",
            file.x.len(),
            file.y.len()
        ));
    }
    if file.x.is_empty() {
        return Err(format!("{name}: no shots"));
    }
    if file.x.len() > capacity {
        return Err(format!(
            "{name}: {} shots, at most {capacity} are supported",
            file.x.len()
        ));
    }
    let inputs = file.x[0].len();
    for (i, row) in file.x.iter().enumerate() {
        if row.len() != inputs || inputs == 0 {
            return Err(format!(
                "{name}.x[{i}] has {} values, expected {} (and at least 1)",
                row.len(),
                inputs.max(1)
            ));
        }
        finite(row, &format!("{name}.x[{i}]"))?;
    }
    for (i, y) in file.y.iter().enumerate() {
        let values = match y {
            TargetFile::Number(v) => vec![*v],
            TargetFile::Vector(v) => v.clone(),
            TargetFile::Masked { value, .. } => vec![*value],
        };
        finite(&values, &format!("{name}.y[{i}]"))?;
    }
    Ok(file.x.into_iter().zip(file.y).collect())
}

/// Parses and checks a problem file.
pub fn parse(json: &str) -> Result<Problem, String> {
    let file: File =
        serde_json::from_str(json).map_err(|e| format!("invalid problem file: {e}"))?;
    let support = shots(file.support, "support", MAX_SUPPORT)?;
    let query = shots(file.query, "query", MAX_QUERY)?;
    let inputs = support[0].0.len();
    if query[0].0.len() != inputs {
        return Err(format!(
            "query inputs have {} values, support inputs {inputs}",
            query[0].0.len()
        ));
    }

    let model = match file.model.kind.as_str() {
        "linear" => {
            if file.model.widths.is_some() || file.model.activation.is_some() {
                return Err("model: a linear model takes no widths or activation".into());
            }
            if inputs > MAX_LINEAR_INPUTS {
                return Err(format!(
                    "linear model with {inputs} inputs: verify supports 1 to {MAX_LINEAR_INPUTS}"
                ));
            }
            ModelKind::Linear
        }
        "mlp" => {
            let widths = file.model.widths.ok_or("model: an mlp needs \"widths\"")?;
            let activation = match file.model.activation.as_deref() {
                Some("relu") => Activation::Relu,
                Some("tanh") => Activation::Tanh,
                Some(other) => {
                    return Err(format!(
                        "unknown activation {other:?}: expected relu or tanh"
                    ))
                }
                None => return Err("model: an mlp needs \"activation\" (relu or tanh)".into()),
            };
            let Some(shape) = MLP_WIDTHS.iter().position(|w| *w == widths.as_slice()) else {
                return Err(format!(
                    "mlp widths {widths:?} are not compiled into verify; supported: {MLP_WIDTHS:?}"
                ));
            };
            if widths[0] != inputs {
                return Err(format!(
                    "mlp widths start with {} inputs but the shots have {inputs}",
                    widths[0]
                ));
            }
            ModelKind::Mlp { shape, activation }
        }
        other => {
            return Err(format!(
                "unknown model kind {other:?}: expected linear or mlp"
            ))
        }
    };

    let loss = file.loss.unwrap_or_else(|| LOSSES[0].to_string());
    if !LOSSES.contains(&loss.as_str()) {
        return Err(format!(
            "unknown loss {loss:?}: expected one of {}",
            LOSSES.join(", ")
        ));
    }
    let p = params(model, inputs);
    if file.omega.len() != p {
        return Err(format!(
            "omega has {} values, the model has {p} parameters",
            file.omega.len()
        ));
    }
    finite(&file.omega, "omega")?;
    let lambda = match file.lambda {
        LambdaFile::One(l) => vec![l; p],
        LambdaFile::Each(l) if l.len() == p => l,
        LambdaFile::Each(l) => {
            return Err(format!(
                "lambda has {} values, the model has {p} parameters",
                l.len()
            ))
        }
    };
    finite(&lambda, "lambda")?;
    if let Some(i) = lambda.iter().position(|&l| l <= 0.0) {
        return Err(format!("lambda[{i}] must be > 0"));
    }
    if !(file.beta.is_finite() && file.beta > 0.0) {
        return Err("beta must be a finite number > 0".into());
    }
    let estimator = match file.estimator.as_str() {
        "standard" => Estimator::Standard,
        "symmetric" => Estimator::Symmetric,
        other => {
            return Err(format!(
                "unknown estimator {other:?}: expected standard or symmetric"
            ))
        }
    };
    let nudged_lr = file.inner.nudged_lr.unwrap_or(file.inner.lr);
    for (value, what) in [(file.inner.lr, "inner.lr"), (nudged_lr, "inner.nudged_lr")] {
        if !(value.is_finite() && value > 0.0) {
            return Err(format!("{what} must be a finite number > 0"));
        }
    }
    if file.inner.free_steps == 0 || file.inner.nudged_steps == 0 {
        return Err("inner step counts must be at least 1".into());
    }
    Ok(Problem {
        model,
        inputs,
        loss,
        support,
        query,
        omega: file.omega,
        lambda,
        beta: file.beta,
        estimator,
        free_steps: file.inner.free_steps,
        nudged_steps: file.inner.nudged_steps,
        lr: file.inner.lr,
        nudged_lr,
        scalar: file.scalar,
    })
}
