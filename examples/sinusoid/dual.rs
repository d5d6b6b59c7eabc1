//! The dual system on the sinusoid job (`--model dual`): the paper's second model, meta-trained
//! by the same driver, budget, task stream and held-out set as the complex synapse.
//!
//! The 1-40-40-1 network with tanh hidden layers (as the authors used): the body
//! `{W_1, c_1, W_2, c_2}` (1,720 values) is meta-learned and stays fixed on the device; each
//! task adapts only the gains and shifts of the 80 hidden units and the read-out (201 values).

use crate::args::{Args, DualSettings};
use crate::evaluation::{per_task, query_mse, Heldout, HeldoutTask, Stats};
use crate::report::Row;
use crate::{settings, Record, FAMILY};
use tinycml::dual::{DualCml, DualState, DualSystem};
use tinycml::train::{self, Outer, Settings, TrainError};
use tinycml::*;

/// The sinusoid network as a dual system.
pub type SinusoidDual = DualSystem<1, Layer<40, Layer<40, Layer<1>>>>;
/// Body values: 1,720.
pub const B: usize = SinusoidDual::BODY;
/// Fast values: 201.
pub const F: usize = SinusoidDual::FAST;

/// The system: tanh hidden layers, a linear read-out.
pub fn system() -> SinusoidDual {
    SinusoidDual::new(Activation::Tanh)
}

/// The rule's phases for the dual system (see [`DualSettings`] for the values and why).
pub fn config(dual: &DualSettings) -> Config {
    Config::default()
        .with_free_steps(dual.free_steps)
        .with_free_lr(dual.free_lr)
        .with_nudged_steps(dual.nudged_steps)
        .with_nudged_lr(dual.free_lr / (1.0 + dual.beta))
        .with_beta(dual.beta)
}

/// The rule in format `N`.
pub fn rule<N: Precision>(dual: &DualSettings) -> Result<DualCml<N, SinusoidDual, B, F>, Error> {
    DualCml::new(system(), config(dual), dual.mu)
}

/// Meta-trains the dual system in `f32` with the budget and meta-batch of CML; returns the
/// export (what a device loads) and the run's record.
pub fn train(args: &Args) -> Result<(Vec<u8>, Record), TrainError> {
    let cml = rule::<f32>(&args.dual)?;
    let settings = Settings {
        meta_batch: args.meta_batch,
        outer: Outer::Adam {
            lr: args.dual.meta_lr,
            log_lambda: false,
        },
        validation_steps: Some(args.dual.free_steps),
        validation_points: 24,
        iterations: args.cml_iterations,
        seconds: args.cml_iterations.is_none().then_some(args.cml_seconds),
        ..settings(args, "dual", args.cml_seconds)
    };
    let theta = train::initial_dual(&system(), &mut SplitMix64::new(args.seed ^ 0xD0A1))?;
    let trained = train::train_dual(&cml, &FAMILY, theta, &settings)?;
    let record = crate::record(&trained);
    Ok((trained.export(&cml)?, record))
}

/// The exported rule and θ read back in format `N`, as a board reads them.
pub fn read<N: Precision>(
    bytes: &[u8],
) -> Result<(DualCml<N, SinusoidDual, B, F>, DualState<N, B, F>), Error> {
    store::decode_dual::<N, _, B, F, _>(&system(), SquaredError, bytes)
}

/// Adapts the fast state to the first `k` support shots for `steps` steps and returns the
/// query MSE, `None` if adaptation diverged.
fn task_mse<N: Precision>(
    cml: &DualCml<N, SinusoidDual, B, F>,
    theta: &DualState<N, B, F>,
    task: &HeldoutTask,
    k: usize,
    steps: u32,
    (phi, grad): &mut ([N::Param; F], [N::Param; F]),
) -> Option<f64> {
    let mut converted = task.convert::<N::Act>().ok()?;
    converted.truncate_support(k);
    cml.adapt(theta, &converted, Some(steps), phi, grad).ok()?;
    query_mse(task, |xs| {
        xs.iter()
            .map(|&x| {
                cml.predict(theta, phi, &[x])
                    .map_or(f64::NAN, |[y]| y.to_f64())
            })
            .collect()
    })
}

/// Held-out statistics of the adapted dual system.
fn evaluate<N: Precision>(
    cml: &DualCml<N, SinusoidDual, B, F>,
    theta: &DualState<N, B, F>,
    tasks: &[Heldout],
    k: usize,
    steps: u32,
    threads: usize,
) -> Stats {
    let scratch = || {
        (
            [<N::Param as Scalar>::ZERO; F],
            [<N::Param as Scalar>::ZERO; F],
        )
    };
    Stats::of(&per_task(tasks, threads, scratch, |buffers, task| {
        task_mse(cml, theta, task, k, steps, buffers)
    }))
}

/// Bytes of per-task state while meta-training in `f32`: body and initial state, the four
/// fast-state phase buffers, and one task's estimate.
pub fn memory_per_task() -> usize {
    4 * ((B + F) + 4 * F + (B + F))
}

/// The held-out row of the dual system in format `N`.
#[allow(clippy::too_many_arguments)]
pub fn row<N: Precision>(
    key: &'static str,
    label: String,
    cml: &DualCml<N, SinusoidDual, B, F>,
    theta: &DualState<N, B, F>,
    tasks: &[Heldout],
    steps: u32,
    threads: usize,
    record: &Record,
) -> Row {
    Row {
        key,
        label,
        steps,
        k5: evaluate(cml, theta, tasks, 5, steps, threads),
        k10: evaluate(cml, theta, tasks, 10, steps, threads),
        train_seconds: record.seconds,
        iterations: record.iterations,
        memory: memory_per_task(),
    }
}
