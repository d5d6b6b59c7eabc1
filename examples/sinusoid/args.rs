//! Command-line flags of the sinusoid job, parsed by hand (no dependency for a dozen flags).

use std::path::PathBuf;
use tinycml::Activation;

/// The number format meta-training runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaScalar {
    /// Host float (the realistic workflow: meta-train on the host, adapt on the device).
    F32,
    /// The device format, to show what on-device meta-learning reaches.
    Q16_16,
}

impl MetaScalar {
    /// The name used in flags and in the JSON line.
    pub fn name(self) -> &'static str {
        match self {
            MetaScalar::F32 => "f32",
            MetaScalar::Q16_16 => "q16.16",
        }
    }
}

/// Which of the paper's two models CML meta-trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// The complex synapse (ω, λ per synapse): the main job.
    Synapse,
    /// The dual system (a body modulated by a fast state).
    Dual,
}

/// A baseline to run alone with the main budget (`--method NAME`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Baseline {
    /// Reptile.
    Reptile,
    /// First order (T1–T2).
    FirstOrder,
    /// Implicit gradient by conjugate gradients (iMAML).
    Implicit,
    /// MAML, second order through the unrolled steps.
    Maml,
}

impl Baseline {
    /// The row's JSON key.
    pub fn key(self) -> &'static str {
        match self {
            Baseline::Reptile => "reptile",
            Baseline::FirstOrder => "first_order",
            Baseline::Implicit => "implicit",
            Baseline::Maml => "maml",
        }
    }
}

/// The dual system's recipe (`--set dual.KEY=VALUE`).
#[derive(Clone, Copy, Debug)]
pub struct DualSettings {
    /// Free-phase steps (also the device's adaptation steps).
    pub free_steps: u32,
    /// Free-phase learning rate (nudged phases use `free_lr / (1 + β)`).
    pub free_lr: f64,
    /// Steps of each nudged phase.
    pub nudged_steps: u32,
    /// Nudging strength β.
    pub beta: f64,
    /// Pull of the fast state back to its initial value (`None`: none, the authors' rule).
    pub mu: Option<f64>,
    /// Peak meta learning rate of Adam on the body and the initial fast state.
    pub meta_lr: f64,
}

/// Chosen on the validation curve alone (600 meta-iterations of 12 tasks each; best
/// validation MSE at K = 10): free lr 0.05 (0.093) against 0.02 (0.108) and 0.1 (0.107);
/// μ 0.1 against 0.3 (0.094), 1.0 and none (1.01: without μ the initial read-out stays at
/// zero); meta lr 3e-3 against 1e-3 and 1e-2 (60 s runs). β and the phase lengths are the
/// complex synapse's.
impl Default for DualSettings {
    fn default() -> Self {
        Self {
            free_steps: 100,
            free_lr: 0.05,
            nudged_steps: 50,
            beta: 0.1,
            mu: Some(0.1),
            meta_lr: 3e-3,
        }
    }
}

impl DualSettings {
    fn set(&mut self, assignment: &str) -> Result<(), String> {
        let (key, value) = assignment
            .split_once('=')
            .ok_or(format!("--set: KEY=VALUE, not {assignment:?}"))?;
        match key {
            "dual.free_steps" => self.free_steps = number(value)?,
            "dual.free_lr" => self.free_lr = number(value)?,
            "dual.nudged_steps" => self.nudged_steps = number(value)?,
            "dual.beta" => self.beta = number(value)?,
            "dual.mu" => self.mu = (value != "none").then(|| number(value)).transpose()?,
            "dual.meta_lr" => self.meta_lr = number(value)?,
            _ => return Err(format!("--set: unknown key {key:?}; {USAGE}")),
        }
        Ok(())
    }
}

/// Everything the run is told.
#[derive(Clone, Debug)]
pub struct Args {
    /// Seed of meta-training (initialisation and training tasks).
    pub seed: u64,
    /// Format of meta-training.
    pub meta_scalar: MetaScalar,
    /// Wall-clock budget of CML meta-training, seconds.
    pub cml_seconds: f64,
    /// Meta-iteration budget of CML instead of the wall clock: a run that does not depend on
    /// how busy the machine is, and that a seed reproduces bit for bit.
    pub cml_iterations: Option<u64>,
    /// Wall-clock budget of each trained baseline, seconds.
    pub baseline_seconds: f64,
    /// Worker threads for meta-batches and evaluation.
    pub threads: usize,
    /// Held-out tasks evaluated (the first ones of the shared set).
    pub heldout_tasks: usize,
    /// Meta-validation tasks (drawn from their own seed, never the held-out set).
    pub validation_tasks: usize,
    /// Where to write the exported meta-state.
    pub export: Option<PathBuf>,
    /// Where to write the SVG figure.
    pub plot: Option<PathBuf>,
    /// Peak meta learning rate of CML's Adam (cosine-decayed over the budget).
    pub meta_lr: f64,
    /// Tasks per CML meta-iteration (6: measured better than §7b's 10 at budgets of minutes,
    /// and it splits evenly over two threads).
    pub meta_batch: usize,
    /// Which preset: "default", "full" or "smoke".
    pub preset: &'static str,
    /// Which model CML meta-trains.
    pub model: ModelKind,
    /// The dual system's recipe.
    pub dual: DualSettings,
    /// One baseline to run alone with the main budget instead of CML (`--method NAME`).
    pub method: Option<Baseline>,
    /// The hidden units of the 1-40-40-1 network every method of the complex-synapse
    /// harness uses (`--activation relu|tanh`; the dual system always uses tanh).
    pub activation: Activation,
}

const USAGE: &str = "usage: sinusoid [--full | --smoke] [--seed N] [--meta-scalar f32|q16.16] \
[--seconds S | --iterations N] [--baseline-seconds S] [--threads N] [--meta-lr LR] [--meta-batch N] [--tasks N] [--export PATH] \
[--plot PATH] [--method reptile|first-order|implicit|maml] [--model synapse|dual] [--activation tanh|relu] [--set dual.KEY=VALUE]... (keys: free_steps, free_lr, \
nudged_steps, beta, mu (a number or none), meta_lr)";

impl Args {
    /// Parses `std::env::args()`; `Err` carries a one-line message for the user.
    pub fn parse() -> Result<Self, String> {
        let mut args = Args {
            seed: 1,
            meta_scalar: MetaScalar::F32,
            // 120 s: a tanh meta-iteration costs 3.6x a ReLU one, and 120 s of CML keeps the
            // whole default run under 3 minutes.
            cml_seconds: 120.0,
            cml_iterations: None,
            baseline_seconds: 8.0,
            threads: 2,
            heldout_tasks: tinycml::sinusoid::HELDOUT_TASKS,
            validation_tasks: 50,
            export: None,
            plot: None,
            preset: "default",
            meta_lr: 1e-2,
            // 12 rather than 6 since the column-major layers made a task 1.7x cheaper: over
            // 540 s the larger batch kept both --full seeds stable (6: K = 10 two-seed mean
            // 0.044; 12: 0.028).
            meta_batch: 12,
            model: ModelKind::Synapse,
            dual: DualSettings::default(),
            method: None,
            // tanh, not ReLU: with ReLU, meta-training silenced most second-layer units
            // (11 of 40 dead at the initial θ, 25 and 32 after 6,299 meta-iterations, seeds 1
            // and 2) and seed 1 stalled at a validation MSE of 0.09 while seed 2 reached 0.03;
            // with tanh both reached 0.011 and 0.007 (README, "Why tanh").
            activation: Activation::Tanh,
        };
        let mut meta_batch = None;
        let mut meta_lr = None;
        let mut tasks = None;
        let mut seconds = None;
        let mut baseline_seconds = None;
        let mut threads = None;
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value; {USAGE}"));
            match flag.as_str() {
                "--full" => args.preset = "full",
                "--smoke" => args.preset = "smoke",
                "--seed" => args.seed = number(&value("--seed")?)?,
                "--meta-scalar" => {
                    args.meta_scalar = match value("--meta-scalar")?.as_str() {
                        "f32" => MetaScalar::F32,
                        "q16.16" => MetaScalar::Q16_16,
                        other => return Err(format!("unknown --meta-scalar {other}; {USAGE}")),
                    }
                }
                "--seconds" => seconds = Some(number(&value("--seconds")?)?),
                "--iterations" => {
                    args.cml_iterations = Some(number::<u64>(&value("--iterations")?)?.max(1))
                }
                "--baseline-seconds" => {
                    baseline_seconds = Some(number(&value("--baseline-seconds")?)?)
                }
                "--threads" => threads = Some(number::<usize>(&value("--threads")?)?.max(1)),
                "--meta-lr" => meta_lr = Some(number(&value("--meta-lr")?)?),
                "--meta-batch" => {
                    meta_batch = Some(number::<usize>(&value("--meta-batch")?)?.max(1))
                }
                "--tasks" => tasks = Some(number::<usize>(&value("--tasks")?)?.clamp(1, 500)),
                "--export" => args.export = Some(value("--export")?.into()),
                "--plot" => args.plot = Some(value("--plot")?.into()),
                "--model" => {
                    args.model = match value("--model")?.as_str() {
                        "synapse" => ModelKind::Synapse,
                        "dual" => ModelKind::Dual,
                        other => return Err(format!("unknown --model {other}; {USAGE}")),
                    }
                }
                "--set" => args.dual.set(&value("--set")?)?,
                "--activation" => {
                    args.activation = match value("--activation")?.as_str() {
                        "tanh" => Activation::Tanh,
                        "relu" => Activation::Relu,
                        other => return Err(format!("--activation: tanh or relu, not {other:?}")),
                    }
                }
                "--method" => {
                    args.method = Some(match value("--method")?.as_str() {
                        "reptile" => Baseline::Reptile,
                        "first-order" => Baseline::FirstOrder,
                        "implicit" => Baseline::Implicit,
                        "maml" => Baseline::Maml,
                        other => return Err(format!("unknown --method {other}; {USAGE}")),
                    })
                }
                "-h" | "--help" => return Err(USAGE.to_string()),
                other => return Err(format!("unknown flag {other}; {USAGE}")),
            }
        }
        match args.preset {
            // The anchors' budget: 540 s of meta-training on one core.
            "full" => {
                args.cml_seconds = 540.0;
                args.baseline_seconds = 30.0;
                args.threads = 1;
            }
            "smoke" => {
                args.cml_seconds = 4.0;
                args.baseline_seconds = 1.0;
                args.heldout_tasks = 50;
                args.validation_tasks = 10;
            }
            _ => {}
        }
        args.cml_seconds = seconds.unwrap_or(args.cml_seconds);
        args.baseline_seconds = baseline_seconds.unwrap_or(args.baseline_seconds);
        args.threads = threads.unwrap_or(args.threads);
        args.meta_lr = meta_lr.unwrap_or(args.meta_lr);
        args.meta_batch = meta_batch.unwrap_or(args.meta_batch);
        args.heldout_tasks = tasks.unwrap_or(args.heldout_tasks);
        Ok(args)
    }
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("not a valid number: {text}; {USAGE}"))
}
