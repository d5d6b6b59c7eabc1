//! What the bench firmwares measure: the library's hot paths, one call each, counted by a
//! [`Meter`] the board provides (under QEMU, SysTick driven by `-icount`).
//!
//! Three spans, in any [`Precision`] (Q16.16 and `f32` share this code, so the two columns of
//! the table run the same model on the same task):
//!
//! - **inner step**: one step of gradient descent on the K = 10 support shots — forward,
//!   backward and the update `φ ← φ − lr·(∇ℓ + λ⊙(φ − ω))` ([`tinycml::inner::descend`]
//!   with one step, started from φ = ω);
//! - **adaptation**: [`Cml::adapt`], the free phase a deployed device runs (the prior's
//!   settings: 100 steps);
//! - **meta-step**: one on-device CML meta-step as the demo runs it: [`Cml::estimate`]
//!   (free phase, two nudged phases, the contrast) and an [`Sgd`] update of θ, meta-batch 1.
//!
//! Each result is printed as one line `bench <precision> <net> <span> <instructions>` (plus
//! the multiply-accumulates of the span where they are counted analytically) so that
//! `measure.sh` can read it; nothing here depends on the board.

use crate::console::{format, Console};
use crate::demo::{SHOTS, STREAM_QUERY};
use tinycml::inner::{descend, PhaseSpec};
use tinycml::{
    sinusoid, Cml, ComplexSynapse, Config, Error, MetaOptimizer, Model, Phase, Precision,
    Saturations, Scalar, Sgd, Shape, SplitMix64, SquaredError, Task, Workspace,
};

/// Counts what a closure costs (instructions, on the QEMU boards).
pub trait Meter {
    /// Instructions executed by `f`, the meter's own fixed overhead removed.
    fn count(&mut self, f: &mut dyn FnMut()) -> u64;
}

/// Multiply-accumulates of one inner step of a dense network on `shots` shots, counted from
/// the widths: per shot, the forward pass (`Σ inputs·outputs` over the layers), the weight
/// gradients (the same again) and the errors sent back from every layer but the first (for
/// `D-H1-H2-1`: `H1·H2 + H2`; none to the inputs); then the update's two multiplies per
/// parameter (`λ·(φ − ω)` and `lr·total`). Biases are additions, not counted.
pub fn macs_per_step(shape: Shape, params: usize, shots: usize) -> Option<u64> {
    let mut inputs = shape.inputs as u64;
    let mut per_shot = 0;
    for (index, layer) in shape.layers().iter().enumerate() {
        let products = inputs * layer.outputs as u64;
        per_shot += 2 * products + if index > 0 { products } else { 0 };
        inputs = layer.outputs as u64;
    }
    Some(per_shot * shots as u64 + 2 * params as u64)
}

/// `D-H1-H2-1` for the report.
fn net_name(shape: Shape) -> crate::console::Line {
    format(format_args!("{shape}"))
}

/// The held-out task every measurement adapts to (task 0 of the shared held-out set), in the
/// data format `A`.
pub fn heldout_task<A: Scalar>() -> Result<Task<A, 1, SHOTS, 100>, Error> {
    let mut rng = SplitMix64::new(sinusoid::HELDOUT_SEED);
    sinusoid::draw_task(&mut rng, SHOTS, 100).map(|(_, task)| task)
}

/// θ in another precision, converted value by value from `theta` (through `f64`; Q8.24 →
/// `f32` is exact below 1 in magnitude and rounds to f32's 24-bit mantissa above);
/// `omega` and `lambda` are scratch of the target precision.
pub fn convert<N: Precision, F: Precision, const P: usize>(
    theta: &ComplexSynapse<N, P>,
    omega: &mut [F::Param; P],
    lambda: &mut [F::Param; P],
) -> Result<ComplexSynapse<F, P>, Error> {
    for (to, from) in omega.iter_mut().zip(theta.omega()) {
        *to = F::Param::from_f64_saturating(from.to_f64());
    }
    for (to, from) in lambda.iter_mut().zip(theta.lambda()) {
        *to = F::Param::from_f64_saturating(from.to_f64());
    }
    ComplexSynapse::new(*omega, *lambda)
}

/// [`convert`] into `out`, in a frame of its own: inlined into its caller, the by-value
/// arrays of θ's construction stacked up beside the caller's own locals and overflowed the
/// f32 bench's stack (a 42 KB frame against 35 KB of stack).
#[inline(never)]
fn convert_into<N: Precision, F: Precision, const P: usize>(
    theta: &ComplexSynapse<N, P>,
    omega: &mut [F::Param; P],
    lambda: &mut [F::Param; P],
    out: &mut Option<ComplexSynapse<F, P>>,
) -> Result<(), Error> {
    *out = Some(convert::<N, F, P>(theta, omega, lambda)?);
    Ok(())
}

fn report(console: &mut impl Console, precision: &str, net: &str, span: &str, count: u64) {
    console.line(&format(format_args!(
        "bench {precision} {net} {span} {count}"
    )));
}

/// Counts one inner step (from φ = ω of `theta`, on the support shots of `task`, at the free
/// learning rate of `config`) and prints it with its multiply-accumulates.
#[allow(clippy::too_many_arguments)]
pub fn inner_step<N: Precision, M: Model<N>, const P: usize>(
    meter: &mut impl Meter,
    console: &mut impl Console,
    model: &M,
    config: &Config,
    theta: &ComplexSynapse<N, P>,
    task: &Task<N::Act, 1, SHOTS, 100>,
    phi: &mut [N::Param; P],
    grad: &mut [N::Param; P],
) -> Result<u64, Error> {
    let spec = PhaseSpec::<N> {
        phase: Phase::Free,
        steps: 1,
        lr: N::Param::from_f64(config.free_lr).ok_or(Error::InvalidConfig("free_lr"))?,
        nudge: N::Param::ZERO,
    };
    phi.copy_from_slice(theta.omega());
    let mut sat = Saturations::default();
    let mut result = Ok(());
    let count = meter.count(&mut || {
        result = descend(
            model,
            &SquaredError,
            theta.anchor(),
            task.support(),
            &[],
            &spec,
            phi,
            grad,
            &mut sat,
        );
    });
    result?;
    let net = net_name(model.shape());
    report(console, N::name(), &net, "inner-step", count);
    if let Some(macs) = macs_per_step(model.shape(), P, task.support().len()) {
        report(console, N::name(), &net, "macs-per-step", macs);
    }
    Ok(count)
}

/// Counts one adaptation ([`Cml::adapt`] with `config`'s free phase) and prints it.
#[allow(clippy::too_many_arguments)]
pub fn adaptation<N: Precision, M: Model<N> + Copy, const P: usize>(
    meter: &mut impl Meter,
    console: &mut impl Console,
    model: M,
    config: Config,
    theta: &ComplexSynapse<N, P>,
    task: &Task<N::Act, 1, SHOTS, 100>,
    phi: &mut [N::Param; P],
    grad: &mut [N::Param; P],
) -> Result<u64, Error> {
    let cml = Cml::<N, M, P>::new(model, config)?;
    let mut result = Ok(Saturations::default());
    let count = meter.count(&mut || result = cml.adapt(theta, task, None, phi, grad));
    result?;
    let span = format(format_args!("adaptation-{}-steps", config.free_steps));
    report(console, N::name(), &net_name(model.shape()), &span, count);
    Ok(count)
}

/// Counts one on-device CML meta-step (estimate on the first task of the stream `seed`, then
/// an SGD update of θ at `lr`, meta-batch 1, as the demo runs it) and prints it.
#[allow(clippy::too_many_arguments)]
pub fn meta_step<N: Precision, M: Model<N> + Copy, const P: usize>(
    meter: &mut impl Meter,
    console: &mut impl Console,
    model: M,
    config: Config,
    lr: f64,
    seed: u64,
    theta: &mut ComplexSynapse<N, P>,
    ws: &mut Workspace<N, P>,
) -> Result<u64, Error> {
    let cml = Cml::<N, M, P>::new(model, config)?;
    let mut sgd = Sgd::<N>::new(lr)?;
    let mut rng = SplitMix64::new(seed);
    let (_, task) =
        sinusoid::draw_task::<N::Act, SHOTS, STREAM_QUERY>(&mut rng, SHOTS, STREAM_QUERY)?;
    let mut result = Ok(());
    let count = meter.count(&mut || {
        result = cml.estimate(theta, &task, ws).and_then(|_| {
            let (g_omega, g_lambda) = ws.meta_gradient();
            sgd.step(theta, g_omega, g_lambda, 1, &cml.bounds())
        });
    });
    result?;
    let phases = config.estimator.nudged_phases();
    let span = format(format_args!(
        "meta-step-{}+{phases}x{}-steps",
        config.free_steps, config.nudged_steps
    ));
    report(console, N::name(), &net_name(model.shape()), &span, count);
    Ok(count)
}

/// Prints a failed measurement and returns false.
fn failed(console: &mut impl Console, what: &str, error: Error) -> bool {
    console.error(what, error);
    false
}

/// The Q16.16 measurements of one network: an inner step and an adaptation from the prior
/// (in flash) with its own settings, then a meta-step of `plan`'s on-device meta-learning
/// from `theta` (the seeded start, in RAM) in `ws`. True when every span ran.
#[allow(clippy::too_many_arguments)]
pub fn run_fixed<M: Model<tinycml::Q16_16> + Copy, const P: usize>(
    meter: &mut impl Meter,
    console: &mut impl Console,
    model: M,
    prior_config: Config,
    prior: &ComplexSynapse<tinycml::Q16_16, P>,
    plan: &crate::Plan,
    theta: &mut ComplexSynapse<tinycml::Q16_16, P>,
    ws: &mut Workspace<tinycml::Q16_16, P>,
) -> bool {
    let task = match heldout_task() {
        Ok(task) => task,
        Err(e) => return failed(console, "bench task", e),
    };
    let (phi, grad) = ws.adapt_buffers();
    if let Err(e) = inner_step(
        meter,
        console,
        &model,
        &prior_config,
        prior,
        &task,
        phi,
        grad,
    ) {
        return failed(console, "bench inner step", e);
    }
    if let Err(e) = adaptation(meter, console, model, prior_config, prior, &task, phi, grad) {
        return failed(console, "bench adaptation", e);
    }
    let seed = plan.stream_seed;
    if let Err(e) = meta_step(
        meter,
        console,
        model,
        plan.meta,
        plan.meta_lr,
        seed,
        theta,
        ws,
    ) {
        return failed(console, "bench meta-step", e);
    }
    true
}

/// The same inner step and adaptation as [`run_fixed`] in the float precision `F`, from the
/// prior converted to `F` (kept in `theta`; `phi` and `grad` are the buffers). True when
/// every span ran.
#[allow(clippy::too_many_arguments)]
pub fn run_float<F: Precision, M: Model<F> + Copy, const P: usize>(
    meter: &mut impl Meter,
    console: &mut impl Console,
    model: M,
    prior_config: Config,
    prior: &ComplexSynapse<tinycml::Q16_16, P>,
    theta: &mut Option<ComplexSynapse<F, P>>,
    phi: &mut [F::Param; P],
    grad: &mut [F::Param; P],
) -> bool {
    if let Err(e) = convert_into::<_, F, P>(prior, phi, grad, theta) {
        return failed(console, "bench prior", e);
    }
    let Some(theta) = theta.as_ref() else {
        return false;
    };
    let task = match heldout_task() {
        Ok(task) => task,
        Err(e) => return failed(console, "bench task", e),
    };
    if let Err(e) = inner_step(
        meter,
        console,
        &model,
        &prior_config,
        theta,
        &task,
        phi,
        grad,
    ) {
        return failed(console, "bench inner step", e);
    }
    if let Err(e) = adaptation(meter, console, model, prior_config, theta, &task, phi, grad) {
        return failed(console, "bench adaptation", e);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use tinycml::{Activation, Mlp, Q16_16};

    #[test]
    fn macs_of_the_two_networks() {
        // 10 shots × (2·1·40 + 3·40·40 + 3·40) + 2 · 1,761 = 50,000 + 3,522.
        let shape = Model::<Q16_16>::shape(&Mlp::<1, 40, 40>::new(Activation::Relu));
        assert_eq!(macs_per_step(shape, 1761, 10), Some(53_522));
        let shape = Model::<Q16_16>::shape(&Mlp::<1, 16, 16>::new(Activation::Relu));
        assert_eq!(macs_per_step(shape, 321, 10), Some(9_122));
    }

    #[test]
    fn prior_omega_converts_to_f32_exactly() {
        // ω of the 1-16-16-1 prior needs no more than f32's 24 significant bits.
        use crate::networks::hidden16::{P, PRIOR};
        let (mut omega, mut lambda) = ([0f32; P], [0f32; P]);
        let float = convert::<Q16_16, f32, P>(&PRIOR, &mut omega, &mut lambda).unwrap();
        for (f, q) in float.omega().iter().zip(PRIOR.omega()) {
            assert_eq!(*f as f64, q.to_num::<f64>());
        }
    }
}

/// The dual system's spans, in Q16.16: the same three as the complex synapse's, with the
/// body fixed and the fast state adapted.
///
/// - **inner step**: [`descend`] for one step on the fast state (the system seen through
///   [`tinycml::dual::DualModel::with_body`]), from the initial fast state, on the K = 10 support shots;
/// - **adaptation**: [`tinycml::dual::DualCml::adapt`] with `config`'s free phase;
/// - **meta-step** (when `meta` is given): [`tinycml::dual::DualCml::meta_step`] on the first task of the
///   stream `plan.stream_seed` (meta-batch 1, as the complex synapse's), SGD for the body and
///   the initial fast state, from `meta.theta` in RAM.
///
/// Lines are `bench q16.16 dual-<net> <span> <instructions>`.
pub mod dual {
    use super::{failed, heldout_task, net_name, report, Meter};
    use crate::console::{format, Console};
    use crate::demo::{SHOTS, STREAM_QUERY};
    use crate::dual::MetaPlan;
    use tinycml::dual::{DualCml, DualMetaGradient, DualModel, DualState, DualWorkspace};
    use tinycml::inner::{descend, Anchor, PhaseSpec, Strength};
    use tinycml::{
        sinusoid, Config, Error, Phase, Precision, Saturations, Scalar, Sgd, SplitMix64,
        SquaredError, Q16_16,
    };

    type Param = <Q16_16 as Precision>::Param;

    /// What the meta-step span needs: its plan, θ in RAM and the meta-batch sum.
    pub struct Meta<'a, const BODY: usize, const FAST: usize> {
        /// Phase settings, learning rates and the stream's seed.
        pub plan: &'a MetaPlan,
        /// θ in RAM (changed by the meta-step).
        pub theta: &'a mut DualState<Q16_16, BODY, FAST>,
        /// The meta-batch sum.
        pub batch: &'a mut DualMetaGradient<Q16_16, BODY, FAST>,
    }

    /// Counts the dual system's spans (see the [module docs](self)); true when every span
    /// ran. Not inlined, so that a firmware measuring two systems does not hold both calls'
    /// locals in one stack frame (the 16 KB M0 has no room for that).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub fn run<S: DualModel<Q16_16>, const BODY: usize, const FAST: usize>(
        meter: &mut impl Meter,
        console: &mut impl Console,
        system: S,
        config: Config,
        mu: Option<f64>,
        prior: &DualState<Q16_16, BODY, FAST>,
        ws: &mut DualWorkspace<Q16_16, FAST>,
        meta: Option<Meta<'_, BODY, FAST>>,
    ) -> bool {
        let net = format(format_args!("dual-{}", net_name(system.shape())));
        let name = Q16_16::name();
        let task = match heldout_task::<<Q16_16 as Precision>::Act>() {
            Ok(task) => task,
            Err(e) => return failed(console, "bench task", e),
        };
        let cml = match DualCml::<Q16_16, S, BODY, FAST>::new(system, config, mu) {
            Ok(cml) => cml,
            Err(e) => return failed(console, "bench dual", e),
        };
        let (phi, grad) = ws.adapt_buffers();

        // Inner step.
        let Some(lr) = Param::from_f64(config.free_lr) else {
            return failed(console, "bench dual", Error::InvalidConfig("free_lr"));
        };
        let spec = PhaseSpec::<Q16_16> {
            phase: Phase::Free,
            steps: 1,
            lr,
            nudge: Param::ZERO,
        };
        let anchor = Anchor {
            start: prior.init(),
            strength: Strength::Uniform(cml.mu().unwrap_or(Param::ZERO)),
        };
        phi.copy_from_slice(prior.init());
        let mut sat = Saturations::default();
        let mut result = Ok(());
        let count = meter.count(&mut || {
            result = descend(
                &system.with_body(prior.body()),
                &SquaredError,
                anchor,
                task.support(),
                &[],
                &spec,
                phi,
                grad,
                &mut sat,
            );
        });
        if let Err(e) = result {
            return failed(console, "bench dual inner step", e);
        }
        report(console, name, &net, "inner-step", count);

        // Adaptation.
        let mut result = Ok(Saturations::default());
        let count = meter.count(&mut || result = cml.adapt(prior, &task, None, phi, grad));
        if let Err(e) = result {
            return failed(console, "bench dual adaptation", e);
        }
        let span = format(format_args!("adaptation-{}-steps", config.free_steps));
        report(console, name, &net, &span, count);

        // Meta-step.
        let Some(Meta { plan, theta, batch }) = meta else {
            return true;
        };
        match meta_step(meter, system, plan, mu, theta, ws, batch) {
            Ok(count) => {
                let phases = plan.meta.estimator.nudged_phases();
                let span = format(format_args!(
                    "meta-step-{}+{phases}x{}-steps",
                    plan.meta.free_steps, plan.meta.nudged_steps
                ));
                report(console, name, &net, &span, count);
                true
            }
            Err(e) => failed(console, "bench dual meta-step", e),
        }
    }

    fn meta_step<S: DualModel<Q16_16>, const BODY: usize, const FAST: usize>(
        meter: &mut impl Meter,
        system: S,
        plan: &MetaPlan,
        mu: Option<f64>,
        theta: &mut DualState<Q16_16, BODY, FAST>,
        ws: &mut DualWorkspace<Q16_16, FAST>,
        batch: &mut DualMetaGradient<Q16_16, BODY, FAST>,
    ) -> Result<u64, Error> {
        let cml = DualCml::<Q16_16, S, BODY, FAST>::new(system, plan.meta, mu)?;
        let (mut body_sgd, mut init_sgd) = (Sgd::new(plan.body_lr)?, Sgd::new(plan.init_lr)?);
        let mut rng = SplitMix64::new(plan.stream_seed);
        let (_, task) =
            sinusoid::draw_task::<_, SHOTS, STREAM_QUERY>(&mut rng, SHOTS, STREAM_QUERY)?;
        let mut result = Ok(());
        let count = meter.count(&mut || {
            result = cml
                .meta_step(theta, [&task], ws, batch, &mut body_sgd, &mut init_sgd)
                .map(|_| ());
        });
        result.map(|()| count)
    }
}
