//! The dual system on the device: a slow body modulated per hidden unit by a fast state
//! (`tinycml::dual`), adapted in fixed point with the body in flash, and meta-learned
//! on-device with the body in RAM.
//!
//! **Adaptation** ([`run_adapt`]): the prior (body and initial fast state, decoded at build
//! time from a version-4 export) stays in flash; only the fast state φ (gains and shifts of
//! the hidden units, and the read-out: 201 values for 1-40-40-1) and a gradient of the same
//! size are in RAM. The firmware draws the shared held-out sinusoid tasks (seed 20240601)
//! like the complex-synapse demo, adapts φ on K = 10 shots with the prior's free phase
//! ([`tinycml::dual::DualCml::adapt`]) and prints the query MSE (100 points) from the initial
//! fast state and after adaptation, then their means. Check: the prior's bits match the build
//! host's, every task adapts without error, and the mean MSE after adaptation is below the
//! mean from the initial fast state (a meta-trained prior should lower it on every task; the
//! check asks for the mean, as the digits firmware does, so that it holds for any prior that
//! helps on average). The fingerprint is FNV-1a over every task's adapted φ (its exact
//! values, as [`tinycml::synapse::fingerprint`]).
//!
//! **Meta-step** ([`run_meta`]): θ (body and initial fast state) is copied from the prior
//! into RAM; [`tinycml::dual::DualCml::meta_step`] runs on batches of tasks from a seeded
//! stream, with [`Sgd`] for the body and for the initial fast state (the latter only moves
//! when the prior has μ). The held-out MSE after adaptation is printed before and after.
//! Check: every meta-step is applied and θ changed. The fingerprint is the new θ's.

use crate::console::{format, Console, Dec};
use crate::demo::{finish, Verdict, HELDOUT_QUERY, SHOTS, STREAM_QUERY};
use crate::digits::Fnv1a;
use crate::pins::Led;
use crate::source::{Act, Sinusoids, TaskSource};
use embedded_hal::digital::OutputPin;
use tinycml::dual::{DualCml, DualMetaGradient, DualModel, DualState, DualWorkspace};
use tinycml::{Config, Error, Precision, Saturations, Scalar, Sgd, Shape, Task, Q16_16};

/// A fast-state-sized buffer in the device format (Q8.24).
pub type Fast<const FAST: usize> = [<Q16_16 as Precision>::Param; FAST];

/// Tasks per meta-step of [`run_meta`].
pub const META_BATCH: usize = 4;

/// How much of the adaptation run a board does.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Board name printed in the header.
    pub board: &'static str,
    /// Held-out tasks adapted to: tasks `0..adapt_tasks` of the shared held-out set.
    pub adapt_tasks: usize,
}

/// How much of the on-device meta-learning run a board does.
#[derive(Clone, Copy, Debug)]
pub struct MetaPlan {
    /// Board name printed in the header.
    pub board: &'static str,
    /// Meta-steps of [`META_BATCH`] tasks each.
    pub meta_steps: u32,
    /// Held-out tasks averaged before and after.
    pub eval_tasks: usize,
    /// Phase settings of on-device meta-learning (its free phase is also the evaluation's
    /// adaptation).
    pub meta: Config,
    /// SGD learning rate of the body.
    pub body_lr: f64,
    /// SGD learning rate of the initial fast state (used only when the prior has μ).
    pub init_lr: f64,
    /// Seed of the stream of meta-training tasks.
    pub stream_seed: u64,
}

/// A dual system's prior as a board holds it: θ (usually in flash), the settings and μ
/// stored with it, and what the build host saw when it decoded the export.
pub struct Prior<'a, const BODY: usize, const FAST: usize> {
    /// θ: the body and the initial fast state.
    pub theta: &'a DualState<Q16_16, BODY, FAST>,
    /// Settings stored with θ (adaptation uses its free phase).
    pub config: Config,
    /// μ stored with θ.
    pub mu: Option<f64>,
    /// Fingerprint from the build host.
    pub fingerprint: u64,
    /// Size of the export it came from.
    pub export_len: usize,
}

fn describe<S: DualModel<Q16_16>>(system: &S) -> (Shape, &'static str) {
    let shape = system.shape();
    let hidden = match shape.layers().first().map(|layer| layer.activation) {
        Some(tinycml::Activation::Tanh) => "tanh",
        Some(tinycml::Activation::Relu) => "ReLU",
        _ => "identity",
    };
    (shape, hidden)
}

/// `"none"` or μ with four decimals.
struct Mu(Option<f64>);

impl core::fmt::Display for Mu {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(mu) => Dec::q16(Act::from_f64_saturating(mu)).fmt(f),
            None => f.write_str("none"),
        }
    }
}

/// Prints whether the prior's bits match the build host's; returns whether they do.
fn check_prior<const BODY: usize, const FAST: usize>(
    label: &str,
    prior: &Prior<'_, BODY, FAST>,
    console: &mut impl Console,
) -> bool {
    let on_device = prior.theta.fingerprint();
    let same = on_device == prior.fingerprint;
    console.line(&format(format_args!(
        "{label}: prior from a {}-byte export, fingerprint {on_device:#018x} ({})",
        prior.export_len,
        if same {
            "matches the build host"
        } else {
            "DIFFERS from the build host"
        }
    )));
    same
}

/// Adapts the fast state to `plan.adapt_tasks` held-out tasks, the body and initial fast
/// state read from `prior` (in flash); `phi` and `grad` are the only RAM it needs. See the
/// [module docs](self).
pub fn run_adapt<S: DualModel<Q16_16>, const BODY: usize, const FAST: usize>(
    system: S,
    plan: &Plan,
    prior: &Prior<'_, BODY, FAST>,
    phi: &mut Fast<FAST>,
    grad: &mut Fast<FAST>,
    console: &mut impl Console,
    pin: impl OutputPin,
) -> Verdict {
    let mut led = Led::new(pin);
    let (shape, hidden) = describe(&system);
    console.line(&format(format_args!(
        "tinycml dual system on {}: {shape} {hidden}, body {BODY} (flash), fast state {FAST} (RAM)",
        plan.board
    )));
    let same = check_prior("adapt", prior, console);
    let cml = match DualCml::<Q16_16, S, BODY, FAST>::new(system, prior.config, prior.mu) {
        Ok(cml) => cml,
        Err(e) => {
            console.error("adapt", e);
            return finish(0, false, console, &mut led);
        }
    };
    console.line(&format(format_args!(
        "adapt: K = {SHOTS} shots, {HELDOUT_QUERY} query points, {} steps at lr {}, mu {}",
        prior.config.free_steps,
        Dec::q16(Act::from_f64_saturating(prior.config.free_lr)),
        Mu(prior.mu)
    )));
    let mut tasks = Sinusoids::heldout();
    let mut hash = Fnv1a::new();
    let mut all_adapted = same;
    let (mut sum_before, mut sum_after) = (Act::ZERO, Act::ZERO);
    let mut sat = Saturations::default();
    for index in 0..plan.adapt_tasks {
        let task = match TaskSource::<SHOTS, HELDOUT_QUERY>::next_task(&mut tasks) {
            Ok(task) => task,
            Err(e) => {
                console.error("adapt", e);
                return finish(hash.0, false, console, &mut led);
            }
        };
        let before = cml.query_loss(prior.theta, prior.theta.init(), &task, &mut sat);
        let after = match cml.adapt(prior.theta, &task, None, phi, grad) {
            Ok(adapt_sat) => {
                sat.0 = sat.0.saturating_add(adapt_sat.0);
                cml.query_loss(prior.theta, phi, &task, &mut sat)
            }
            Err(e) => {
                console.error("adapt", e);
                all_adapted = false;
                continue;
            }
        };
        hash.bytes(&tinycml::synapse::fingerprint(phi.iter().copied()).to_le_bytes());
        sum_before = sum_before.add(before);
        sum_after = sum_after.add(after);
        console.line(&format(format_args!(
            "  held-out task {index}: query MSE {} -> {} {}",
            Dec::q16(before),
            Dec::q16(after),
            if after < before { "lower" } else { "not lower" }
        )));
        led.beat();
    }
    let count = Act::from_f64_saturating(plan.adapt_tasks.max(1) as f64);
    let (mean_before, mean_after) = (sum_before.div(count), sum_after.div(count));
    let lower = mean_after < mean_before;
    console.line(&format(format_args!(
        "adapt: mean query MSE over {} tasks {} -> {} {}",
        plan.adapt_tasks,
        Dec::q16(mean_before),
        Dec::q16(mean_after),
        if lower { "lower" } else { "NOT LOWER" }
    )));
    console.saturations("adapt saturations", sat);
    finish(hash.0, all_adapted && lower, console, &mut led)
}

/// The buffers [`run_meta`] borrows from the firmware's `static`s.
pub struct MetaBuffers<'a, const BODY: usize, const FAST: usize> {
    /// θ in RAM; must hold the prior when the run starts.
    pub theta: &'a mut DualState<Q16_16, BODY, FAST>,
    /// The phases' fast states and gradient (4 · FAST values); evaluation adapts in it.
    pub ws: &'a mut DualWorkspace<Q16_16, FAST>,
    /// The meta-batch sum (BODY + FAST values).
    pub batch: &'a mut DualMetaGradient<Q16_16, BODY, FAST>,
}

/// Mean held-out query MSE after adapting with `cml`'s free phase, in `ws`'s buffers.
fn heldout_mse<S: DualModel<Q16_16>, const BODY: usize, const FAST: usize>(
    cml: &DualCml<Q16_16, S, BODY, FAST>,
    tasks: usize,
    theta: &DualState<Q16_16, BODY, FAST>,
    ws: &mut DualWorkspace<Q16_16, FAST>,
    sat: &mut Saturations,
) -> Result<Act, Error> {
    let mut source = Sinusoids::heldout();
    let mut sum = Act::ZERO;
    let (phi, grad) = ws.adapt_buffers();
    for _ in 0..tasks {
        let task = TaskSource::<SHOTS, HELDOUT_QUERY>::next_task(&mut source)?;
        let adapt_sat = cml.adapt(theta, &task, None, phi, grad)?;
        sat.0 = sat.0.saturating_add(adapt_sat.0);
        sum = sum.add(cml.query_loss(theta, phi, &task, sat));
    }
    Ok(sum.div(Act::from_f64_saturating(tasks.max(1) as f64)))
}

/// Prints the held-out MSE after adaptation (`label`: before or after); false on an error.
fn report<S: DualModel<Q16_16>, const BODY: usize, const FAST: usize>(
    cml: &DualCml<Q16_16, S, BODY, FAST>,
    plan: &MetaPlan,
    label: &str,
    theta: &DualState<Q16_16, BODY, FAST>,
    ws: &mut DualWorkspace<Q16_16, FAST>,
    sat: &mut Saturations,
    console: &mut impl Console,
) -> bool {
    match heldout_mse(cml, plan.eval_tasks, theta, ws, sat) {
        Ok(mse) => {
            console.line(&format(format_args!(
                "  {label}: held-out MSE {} ({} tasks, adapted {} steps)",
                Dec::q16(mse),
                plan.eval_tasks,
                plan.meta.free_steps
            )));
            true
        }
        Err(e) => {
            console.error("  held-out", e);
            false
        }
    }
}

/// On-device meta-learning of the dual system: `plan.meta_steps` meta-steps of
/// [`META_BATCH`] tasks from θ = the prior, in RAM. See the [module docs](self).
pub fn run_meta<S: DualModel<Q16_16>, const BODY: usize, const FAST: usize>(
    system: S,
    plan: &MetaPlan,
    prior: &Prior<'_, BODY, FAST>,
    buffers: MetaBuffers<'_, BODY, FAST>,
    console: &mut impl Console,
    pin: impl OutputPin,
) -> Verdict {
    let mut led = Led::new(pin);
    let MetaBuffers { theta, ws, batch } = buffers;
    let (shape, hidden) = describe(&system);
    console.line(&format(format_args!(
        "tinycml dual-system meta-step on {}: {shape} {hidden}, body {BODY} and fast state {FAST} in RAM",
        plan.board
    )));
    let same = check_prior("meta", prior, console) && theta.fingerprint() == prior.fingerprint;
    let rule = (
        DualCml::<Q16_16, S, BODY, FAST>::new(system, plan.meta, prior.mu),
        Sgd::<Q16_16>::new(plan.body_lr),
        Sgd::<Q16_16>::new(plan.init_lr),
    );
    let (cml, mut body_sgd, mut init_sgd) = match rule {
        (Ok(cml), Ok(body), Ok(init)) => (cml, body, init),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            console.error("meta", e);
            return finish(theta.fingerprint(), false, console, &mut led);
        }
    };
    console.line(&format(format_args!(
        "meta: {} meta-steps of {META_BATCH} tasks, free {} / nudged {} steps, beta {}, mu {}, SGD lr {} / {}",
        plan.meta_steps,
        plan.meta.free_steps,
        plan.meta.nudged_steps,
        Dec::q16(Act::from_f64_saturating(plan.meta.beta)),
        Mu(prior.mu),
        Dec::q16(Act::from_f64_saturating(plan.body_lr)),
        Dec::q16(Act::from_f64_saturating(plan.init_lr)),
    )));
    let mut sat = Saturations::default();
    let mut passed = same & report(&cml, plan, "before", theta, ws, &mut sat, console);
    let mut stream = Sinusoids::new(plan.stream_seed, SHOTS, STREAM_QUERY);
    for step in 1..=plan.meta_steps {
        let mut tasks: [Task<Act, 1, SHOTS, STREAM_QUERY>; META_BATCH] =
            core::array::from_fn(|_| Task::new());
        let drawn = tasks.iter_mut().try_for_each(|slot| {
            *slot = TaskSource::<SHOTS, STREAM_QUERY>::next_task(&mut stream)?;
            Ok::<(), Error>(())
        });
        let result = drawn
            .and_then(|()| cml.meta_step(theta, &tasks, ws, batch, &mut body_sgd, &mut init_sgd));
        match result {
            Ok(step_report) => {
                sat.0 = sat.0.saturating_add(step_report.saturations.0);
                console.line(&format(format_args!(
                    "  meta-step {step}: {} tasks used, {} dropped, mean query MSE {}",
                    step_report.tasks_used,
                    step_report.tasks_dropped,
                    Dec::q16(step_report.mean_query_loss)
                )));
            }
            Err(e) => {
                console.error("  meta-step", e);
                passed = false;
            }
        }
        led.beat();
    }
    passed &= report(&cml, plan, "after", theta, ws, &mut sat, console);
    let changed = theta.fingerprint() != prior.fingerprint;
    console.line(if changed {
        "meta: theta changed"
    } else {
        "meta: theta DID NOT CHANGE"
    });
    console.saturations("meta saturations", sat);
    finish(theta.fingerprint(), passed && changed, console, &mut led)
}
