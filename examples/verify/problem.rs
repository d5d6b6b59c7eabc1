//! The problem file: its JSON shape, and the checks that turn it into a [`Problem`] that the
//! library and the reference can run without further questions.

use serde::Deserialize;
use tinycml::cml::MAX_STEPS;
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
/// Dual-system widths `[inputs, hidden…, outputs]` that `verify` is compiled for.
pub const DUAL_WIDTHS: [&[usize]; 3] = [&[1, 8, 8, 1], &[1, 40, 40, 1], &[2, 8, 8, 3]];
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
    /// Complex synapse (linear, mlp): required.
    omega: Option<Vec<f64>>,
    lambda: Option<LambdaFile>,
    /// Dual system: `body` required, `init` and `mu` optional.
    body: Option<Vec<f64>>,
    init: Option<Vec<f64>>,
    mu: Option<f64>,
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
    /// A dual system (`tinycml::dual`), `widths = [inputs, hidden…, outputs]`: modulated
    /// hidden layers, a fast linear read-out.
    Dual {
        /// Index into [`DUAL_WIDTHS`].
        shape: usize,
        /// Hidden nonlinearity.
        activation: Activation,
    },
}

/// The meta-parameters θ of the problem's model, checked against its sizes.
#[derive(Clone, Debug)]
pub enum Meta {
    /// The complex synapse (linear and mlp models): ω and λ, one value per parameter.
    Synapse { omega: Vec<f64>, lambda: Vec<f64> },
    /// The dual system: the body, the initial fast state (`None`: the authors' gains 1,
    /// shifts 0, zero read-out) and the pull μ (`None`: no pull).
    Dual {
        body: Vec<f64>,
        init: Option<Vec<f64>>,
        mu: Option<f64>,
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
    pub meta: Meta,
    pub beta: f64,
    pub estimator: Estimator,
    pub free_steps: u32,
    pub nudged_steps: u32,
    pub lr: f64,
    pub nudged_lr: f64,
    pub scalar: String,
}

/// Parameter count of a model with `inputs` inputs: what the inner loop adapts (for a dual
/// system, its fast state).
pub fn params(model: ModelKind, inputs: usize) -> usize {
    match model {
        ModelKind::Linear => inputs + 1,
        ModelKind::Mlp { shape, .. } => MLP_WIDTHS[shape]
            .windows(2)
            .map(|w| w[1] * (w[0] + 1))
            .sum(),
        ModelKind::Dual { shape, .. } => dual_sizes(DUAL_WIDTHS[shape]).1,
    }
}

/// `(body, fast)` lengths of the dual system with `widths`: each hidden layer has
/// `outputs · (inputs + 1)` body values and `2 · outputs` fast ones; the read-out
/// `outputs · (inputs + 1)` fast values.
pub fn dual_sizes(widths: &[usize]) -> (usize, usize) {
    let layers: Vec<(usize, usize)> = widths.windows(2).map(|w| (w[0], w[1])).collect();
    let Some((&(last_in, last_out), hidden)) = layers.split_last() else {
        return (0, 0);
    };
    let body = hidden.iter().map(|(i, o)| o * (i + 1)).sum();
    let fast = hidden.iter().map(|(_, o)| 2 * o).sum::<usize>() + last_out * (last_in + 1);
    (body, fast)
}

fn activation(name: Option<&str>, kind: &str) -> Result<Activation, String> {
    match name {
        Some("relu") => Ok(Activation::Relu),
        Some("tanh") => Ok(Activation::Tanh),
        Some(other) => Err(format!(
            "unknown activation {other:?}: expected relu or tanh"
        )),
        None => Err(format!(
            "model: kind {kind:?} needs \"activation\" (relu or tanh)"
        )),
    }
}

/// The index of `widths` in `menu`, checked against the shots' input width.
fn shape_of(
    widths: Option<Vec<usize>>,
    menu: &[&[usize]],
    kind: &str,
    inputs: usize,
) -> Result<usize, String> {
    let widths = widths.ok_or_else(|| format!("model: kind {kind:?} needs \"widths\""))?;
    let Some(shape) = menu.iter().position(|w| *w == widths.as_slice()) else {
        return Err(format!(
            "{kind} widths {widths:?} are not compiled into verify; supported: {menu:?}"
        ));
    };
    if widths[0] != inputs {
        return Err(format!(
            "{kind} widths start with {} inputs but the shots have {inputs}",
            widths[0]
        ));
    }
    Ok(shape)
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
            let shape = shape_of(file.model.widths, &MLP_WIDTHS, "mlp", inputs)?;
            let activation = activation(file.model.activation.as_deref(), "mlp")?;
            ModelKind::Mlp { shape, activation }
        }
        "dual" => {
            let shape = shape_of(file.model.widths, &DUAL_WIDTHS, "dual", inputs)?;
            let activation = activation(file.model.activation.as_deref(), "dual")?;
            ModelKind::Dual { shape, activation }
        }
        other => {
            return Err(format!(
                "unknown model kind {other:?}: expected linear, mlp or dual"
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
    let meta = match model {
        ModelKind::Dual { shape, .. } => {
            if file.omega.is_some() || file.lambda.is_some() {
                return Err(
                    "a dual model takes \"body\", \"init\" and \"mu\", not omega or lambda".into(),
                );
            }
            dual_meta(DUAL_WIDTHS[shape], file.body, file.init, file.mu)?
        }
        _ => {
            if file.body.is_some() || file.init.is_some() || file.mu.is_some() {
                return Err(
                    "body, init and mu belong to a dual model; this one takes omega and lambda"
                        .into(),
                );
            }
            synapse_meta(params(model, inputs), file.omega, file.lambda)?
        }
    };
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
    for (steps, what) in [
        (file.inner.free_steps, "inner.free_steps"),
        (file.inner.nudged_steps, "inner.nudged_steps"),
    ] {
        if steps > MAX_STEPS {
            return Err(format!(
                "{what} = {steps} is more than the library's maximum of {MAX_STEPS} steps"
            ));
        }
    }
    Ok(Problem {
        model,
        inputs,
        loss,
        support,
        query,
        meta,
        beta: file.beta,
        estimator,
        free_steps: file.inner.free_steps,
        nudged_steps: file.inner.nudged_steps,
        lr: file.inner.lr,
        nudged_lr,
        scalar: file.scalar,
    })
}

/// ω and λ of a complex synapse with `p` parameters.
fn synapse_meta(
    p: usize,
    omega: Option<Vec<f64>>,
    lambda: Option<LambdaFile>,
) -> Result<Meta, String> {
    let omega = omega.ok_or("invalid problem file: missing field `omega`")?;
    let lambda = lambda.ok_or("invalid problem file: missing field `lambda`")?;
    if omega.len() != p {
        return Err(format!(
            "omega has {} values, the model has {p} parameters",
            omega.len()
        ));
    }
    finite(&omega, "omega")?;
    let lambda = match lambda {
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
    Ok(Meta::Synapse { omega, lambda })
}

/// The body, initial fast state and μ of the dual system with `widths`.
fn dual_meta(
    widths: &[usize],
    body: Option<Vec<f64>>,
    init: Option<Vec<f64>>,
    mu: Option<f64>,
) -> Result<Meta, String> {
    let (body_len, fast_len) = dual_sizes(widths);
    let body = body.ok_or_else(|| {
        format!("a dual model needs \"body\" ({body_len} values for widths {widths:?})")
    })?;
    if body.len() != body_len {
        return Err(format!(
            "body has {} values, the dual model {widths:?} has {body_len}",
            body.len()
        ));
    }
    finite(&body, "body")?;
    if let Some(init) = &init {
        if init.len() != fast_len {
            return Err(format!(
                "init has {} values, the dual model {widths:?} has {fast_len} fast values",
                init.len()
            ));
        }
        finite(init, "init")?;
    }
    if let Some(mu) = mu {
        if !(mu.is_finite() && mu > 0.0) {
            return Err(format!(
                "mu = {mu} must be a finite number > 0 (leave it out for no pull)"
            ));
        }
    }
    Ok(Meta::Dual { body, init, mu })
}
