//! The demo: deploy a meta-learned prior, meta-learn on-device, print a fingerprint.
//!
//! Every buffer is passed in by the board (its `static`s), so the memory a board needs is
//! visible in its own source and checked by its linker script. The functions return whether
//! the demo's own checks passed; a QEMU board turns that into its exit status.

use crate::console::{format, Console, Dec};
use crate::pins::Led;
use crate::source::{Act, Sinusoids, TaskSource};
use embedded_hal::digital::OutputPin;
use tinycml::{
    Cml, ComplexSynapse, Config, MetaOptimizer, Model, Precision, Saturations, Scalar, Sgd, Shape,
    Workspace, Q16_16,
};

/// A parameter-sized buffer in the device format (Q8.24).
pub type Params<const P: usize> = [<Q16_16 as Precision>::Param; P];

/// Query shots per task during meta-learning (the meta-training convention: 10).
pub const STREAM_QUERY: usize = 10;
/// Support shots per task (K = 10).
pub const SHOTS: usize = 10;
/// Query shots per held-out task.
pub const HELDOUT_QUERY: usize = 100;

/// How much of the demo a board runs (sized to its speed and to CI's time budget).
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Board name printed in the header.
    pub board: &'static str,
    /// Held-out tasks adapted to in the deploy stage.
    pub deploy_tasks: usize,
    /// Meta-steps (one task each) of the meta-learning stage; 0 skips it.
    pub meta_steps: u32,
    /// Held-out MSE is printed every this many meta-steps.
    pub report_every: u32,
    /// Held-out tasks averaged for each meta-learning report.
    pub eval_tasks: usize,
    /// CML settings of on-device meta-learning (free phase = adaptation when evaluating).
    pub meta: Config,
    /// SGD learning rate of on-device meta-learning.
    pub meta_lr: f64,
    /// Seed of the stream of meta-training tasks.
    pub stream_seed: u64,
}

/// The outcome of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Every check passed.
    pub passed: bool,
    /// Fingerprint of the final meta-learned θ (of the prior when meta-learning was skipped).
    pub fingerprint: u64,
}

/// The prior a board deploys: θ (usually in flash), its settings and the fingerprint the build
/// host computed when it decoded the export.
pub struct Prior<'a, const P: usize> {
    /// θ.
    pub theta: &'a ComplexSynapse<Q16_16, P>,
    /// Settings stored with θ (adaptation uses its free phase).
    pub config: Config,
    /// Fingerprint from the build host.
    pub fingerprint: u64,
    /// Size of the export it came from.
    pub export_len: usize,
}

fn describe<M: Model<Q16_16>>(model: &M) -> Shape {
    model.shape()
}

/// Runs deploy, then meta-learning, then prints the fingerprint and the verdict.
///
/// `theta` must hold the seeded start (e.g. `networks::hidden40::START`); `ws` is the one
/// workspace both stages share (deploy adapts in its buffers).
#[allow(clippy::too_many_arguments)]
pub fn run<M: Model<Q16_16> + Copy, const P: usize>(
    model: M,
    plan: &Plan,
    prior: &Prior<'_, P>,
    theta: &mut ComplexSynapse<Q16_16, P>,
    ws: &mut Workspace<Q16_16, P>,
    console: &mut impl Console,
    pin: impl OutputPin,
) -> Verdict {
    let mut led = Led::new(pin);
    header(&model, plan, console);
    let (phi, grad) = ws.adapt_buffers();
    let deployed = deploy(model, plan, prior, phi, grad, console, &mut led);
    let learned = meta_learn(model, plan, theta, ws, console, &mut led);
    finish(theta.fingerprint(), deployed && learned, console, &mut led)
}

/// Deploy alone, in its own two buffers: what a device that only adapts runs.
pub fn run_deploy<M: Model<Q16_16> + Copy, const P: usize>(
    model: M,
    plan: &Plan,
    prior: &Prior<'_, P>,
    phi: &mut Params<P>,
    grad: &mut Params<P>,
    console: &mut impl Console,
    pin: impl OutputPin,
) -> Verdict {
    let mut led = Led::new(pin);
    header(&model, plan, console);
    let deployed = deploy(model, plan, prior, phi, grad, console, &mut led);
    finish(prior.theta.fingerprint(), deployed, console, &mut led)
}

fn header<M: Model<Q16_16>>(model: &M, plan: &Plan, console: &mut impl Console) {
    console.line(&format(format_args!(
        "tinycml demo on {}: {} ReLU, P = {}, Q16.16 data, Q8.24 weights",
        plan.board,
        describe(model),
        M::PARAMS
    )));
}

/// Prints the fingerprint and the verdict, shows the verdict on the LED.
pub(crate) fn finish<P: OutputPin>(
    fingerprint: u64,
    passed: bool,
    console: &mut impl Console,
    led: &mut Led<P>,
) -> Verdict {
    console.line(&format(format_args!("fingerprint: {fingerprint:#018x}")));
    console.line(if passed {
        "result: PASS"
    } else {
        "result: FAIL"
    });
    led.verdict(passed);
    Verdict {
        passed,
        fingerprint,
    }
}

/// Adapts the prior to `plan.deploy_tasks` held-out tasks; true when the query MSE fell on
/// every one and the prior's bits match the build host's.
pub fn deploy<M: Model<Q16_16> + Copy, const P: usize, L: OutputPin>(
    model: M,
    plan: &Plan,
    prior: &Prior<'_, P>,
    phi: &mut Params<P>,
    grad: &mut Params<P>,
    console: &mut impl Console,
    led: &mut Led<L>,
) -> bool {
    let on_device = prior.theta.fingerprint();
    let same = on_device == prior.fingerprint;
    console.line(&format(format_args!(
        "deploy: prior from a {}-byte export, in flash, fingerprint {on_device:#018x} ({})",
        prior.export_len,
        if same {
            "matches the build host"
        } else {
            "DIFFERS from the build host"
        }
    )));
    let cml = match Cml::<Q16_16, M, P>::new(model, prior.config) {
        Ok(cml) => cml,
        Err(e) => {
            console.error("deploy", e);
            return false;
        }
    };
    let config = cml.config();
    console.line(&format(format_args!(
        "deploy: K = {SHOTS} shots, {HELDOUT_QUERY} query points, {} steps at lr {}",
        config.free_steps,
        Dec::q16(Act::from_f64_saturating(config.free_lr))
    )));
    let mut tasks = Sinusoids::heldout();
    let mut all_lower = same;
    let mut sat = Saturations::default();
    for index in 0..plan.deploy_tasks {
        let task = match TaskSource::<SHOTS, HELDOUT_QUERY>::next_task(&mut tasks) {
            Ok(task) => task,
            Err(e) => {
                console.error("deploy", e);
                return false;
            }
        };
        let before = cml.query_loss(prior.theta.omega(), &task, &mut sat);
        let after = match cml.adapt(prior.theta, &task, None, phi, grad) {
            Ok(adapt_sat) => {
                sat.0 = sat.0.saturating_add(adapt_sat.0);
                cml.query_loss(phi, &task, &mut sat)
            }
            Err(e) => {
                console.error("deploy", e);
                all_lower = false;
                continue;
            }
        };
        let lower = after < before;
        all_lower &= lower;
        console.line(&format(format_args!(
            "  held-out task {index}: query MSE {} -> {} {}",
            Dec::q16(before),
            Dec::q16(after),
            if lower { "lower" } else { "NOT LOWER" }
        )));
        led.beat();
    }
    console.saturations("deploy saturations", sat);
    all_lower
}

/// Mean held-out query MSE after adapting θ with the free phase, in `ws`'s buffers.
fn heldout_mse<M: Model<Q16_16> + Copy, const P: usize>(
    cml: &Cml<Q16_16, M, P>,
    tasks: usize,
    theta: &ComplexSynapse<Q16_16, P>,
    ws: &mut Workspace<Q16_16, P>,
    sat: &mut Saturations,
) -> Result<Act, tinycml::Error> {
    let mut source = Sinusoids::heldout();
    let mut sum = Act::ZERO;
    let (phi, grad) = ws.adapt_buffers();
    for _ in 0..tasks {
        let task = TaskSource::<SHOTS, HELDOUT_QUERY>::next_task(&mut source)?;
        let adapt_sat = cml.adapt(theta, &task, None, phi, grad)?;
        sat.0 = sat.0.saturating_add(adapt_sat.0);
        sum = sum.add(cml.query_loss(phi, &task, sat));
    }
    Ok(sum.div(Act::from_f64_saturating(tasks.max(1) as f64)))
}

/// CML meta-steps over a task stream (meta-batch 1, SGD); true when the held-out MSE at the
/// end is below the one at the start. θ is updated in place.
pub fn meta_learn<M: Model<Q16_16> + Copy, const P: usize, L: OutputPin>(
    model: M,
    plan: &Plan,
    theta: &mut ComplexSynapse<Q16_16, P>,
    ws: &mut Workspace<Q16_16, P>,
    console: &mut impl Console,
    led: &mut Led<L>,
) -> bool {
    if plan.meta_steps == 0 {
        return true;
    }
    let (cml, mut sgd) = match (
        Cml::<Q16_16, M, P>::new(model, plan.meta),
        Sgd::<Q16_16>::new(plan.meta_lr),
    ) {
        (Ok(cml), Ok(sgd)) => (cml, sgd),
        (Err(e), _) | (_, Err(e)) => {
            console.error("meta-learn", e);
            return false;
        }
    };
    console.line(&format(format_args!(
        "meta-learn: {} meta-steps from a seeded θ, free {} / nudged {} steps, beta {}, SGD lr {}",
        plan.meta_steps,
        plan.meta.free_steps,
        plan.meta.nudged_steps,
        Dec::q16(Act::from_f64_saturating(plan.meta.beta)),
        Dec::q16(Act::from_f64_saturating(plan.meta_lr)),
    )));
    let mut sat = Saturations::default();
    let mut report = |step: u32,
                      theta: &ComplexSynapse<Q16_16, P>,
                      ws: &mut Workspace<Q16_16, P>,
                      sat: &mut Saturations| {
        let mse = heldout_mse(&cml, plan.eval_tasks, theta, ws, sat);
        match mse {
            Ok(mse) => console.line(&format(format_args!(
                "  meta-step {step}: held-out MSE {} ({} tasks)",
                Dec::q16(mse),
                plan.eval_tasks
            ))),
            Err(e) => console.error("  held-out", e),
        }
        mse.ok()
    };
    let first = report(0, theta, ws, &mut sat);
    let mut last = first;
    let mut stream = Sinusoids::new(plan.stream_seed, SHOTS, STREAM_QUERY);
    let mut dropped = 0u32;
    for step in 1..=plan.meta_steps {
        let applied = TaskSource::<SHOTS, STREAM_QUERY>::next_task(&mut stream)
            .and_then(|task| cml.estimate(theta, &task, ws))
            .and_then(|task_report| {
                sat.0 = sat.0.saturating_add(task_report.saturations.0);
                let (g_omega, g_lambda) = ws.meta_gradient();
                sgd.step(theta, g_omega, g_lambda, 1, &cml.bounds())
            });
        if applied.is_err() {
            dropped += 1;
        }
        led.beat();
        if step % plan.report_every.max(1) == 0 || step == plan.meta_steps {
            last = report(step, theta, ws, &mut sat);
        }
    }
    let lower = matches!((first, last), (Some(a), Some(b)) if b < a);
    console.line(&format(format_args!(
        "meta-learn: {dropped} tasks dropped, held-out MSE {} -> {} {}",
        HeldOut(first),
        HeldOut(last),
        if lower { "lower" } else { "NOT LOWER" }
    )));
    console.saturations("meta-learn saturations", sat);
    lower
}

/// A held-out MSE in the summary line, or why there is none (its error was printed above).
struct HeldOut(Option<Act>);

impl core::fmt::Display for HeldOut {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(mse) => Dec::q16(mse).fmt(f),
            None => f.write_str("(not evaluated)"),
        }
    }
}
