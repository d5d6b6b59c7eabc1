//! CML for the dual system: the same phases as the complex synapse, a different contrast.
//!
//! The phases are the library's one inner learner ([`crate::inner::descend`]) on the fast
//! state, with the body fixed. The body's meta-gradient is the contrastive Hebbian rule of
//! ALGORITHM.md §4: the body gradient of `F = L_in + β·L_out` at the nudged end state minus
//! the one at the lower state, over the spread,
//!
//! ```text
//! ĝ_θ = [∂θ ℓ(φ⁺; S) + β ∂θ ℓ(φ⁺; Q) − ∂θ ℓ(φ_low; S) − β_low ∂θ ℓ(φ_low; Q)] / spread
//! ```
//!
//! with `φ_low, β_low = φ⁰, 0` and spread β (standard) or `φ⁻, −β` and 2β (symmetric). With
//! μ > 0 the inner loss also holds `½ μ Σ (φ − φ_init)²`, and the initial fast state gets
//! the complex synapse's estimate with λ = μ: `ĝ_init = μ (φ_low − φ⁺) / spread`.

use super::state::DualState;
use super::system::{DualModel, Gradients};
use crate::cml::{bounded_steps, positive, Config, Phases, TaskReport, Workspace};
use crate::inner::{descend, Anchor, PhaseSpec, Strength};
use crate::loss::{self, check_targets, Loss, SquaredError};
use crate::num::{Precision, Saturations, Scalar};
use crate::optim::VectorOptimizer;
use crate::task::{self, Shot, Task};
use crate::{Error, MetaStepReport};

/// Buffers for one task's phases: the fast state φ, φ⁰, φ⁺ and a gradient, `4·FAST` values.
///
/// The complex synapse's [`Workspace`] over the fast state: the same four buffers,
/// [`Workspace::phi_free`] and [`Workspace::adapt_buffers`] mean the same, but
/// [`Workspace::meta_gradient`] does not apply (the dual system's estimate goes into a
/// [`DualMetaGradient`]).
pub type DualWorkspace<N, const FAST: usize> = Workspace<N, FAST>;

/// A sum of per-task estimates `(ĝ_body, ĝ_init)`: `BODY + FAST` values.
///
/// [`DualCml::estimate`] adds one task into it. A device passes its meta-batch sum directly
/// (no per-task body-sized buffer); a host that filters tasks passes a cleared one per task
/// and [`DualMetaGradient::absorb`]s the ones it keeps.
#[derive(Clone, Debug)]
pub struct DualMetaGradient<N: Precision, const BODY: usize, const FAST: usize> {
    body: [N::Param; BODY],
    init: [N::Param; FAST],
    tasks: u32,
}

impl<N: Precision, const BODY: usize, const FAST: usize> Default
    for DualMetaGradient<N, BODY, FAST>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Precision, const BODY: usize, const FAST: usize> DualMetaGradient<N, BODY, FAST> {
    /// An empty sum (a `const fn`, for a `static` on a device).
    pub const fn new() -> Self {
        Self {
            body: [N::Param::ZERO; BODY],
            init: [N::Param::ZERO; FAST],
            tasks: 0,
        }
    }

    /// Forgets every task.
    pub fn clear(&mut self) {
        self.body.fill(N::Param::ZERO);
        self.init.fill(N::Param::ZERO);
        self.tasks = 0;
    }

    /// Tasks added.
    pub fn tasks(&self) -> u32 {
        self.tasks
    }

    /// The summed `ĝ_body` and `ĝ_init` (zero when μ is not set).
    pub fn sums(&self) -> (&[N::Param; BODY], &[N::Param; FAST]) {
        (&self.body, &self.init)
    }

    /// Adds another sum into this one.
    pub fn absorb(&mut self, other: &Self) {
        for (sum, &g) in self.body.iter_mut().zip(&other.body) {
            *sum = sum.add(g);
        }
        for (sum, &g) in self.init.iter_mut().zip(&other.init) {
            *sum = sum.add(g);
        }
        self.tasks += other.tasks;
    }

    /// The largest magnitude of a summed element (for filters against runaway tasks).
    pub fn largest(&self) -> f64 {
        self.body
            .iter()
            .chain(&self.init)
            .fold(0.0f64, |m, g| m.max(g.to_f64().abs()))
    }

    fn is_usable(&self) -> bool {
        self.body.iter().chain(&self.init).all(|g| g.is_usable())
    }
}

/// The contrastive rule for a dual system `S` with `BODY` body and `FAST` fast values, in
/// number format `N`, for loss `L` (squared error unless [`DualCml::with_loss`] says
/// otherwise).
///
/// ```
/// use tinycml::dual::{DualCml, DualMetaGradient, DualState, DualSystem, DualWorkspace};
/// use tinycml::{sinusoid, Activation, Config, Layer, Sgd, SplitMix64, Q16_16, I8F24};
///
/// type System = DualSystem<1, Layer<8, Layer<1>>>;
/// const B: usize = System::BODY;
/// const F: usize = System::FAST;
/// let system = System::new(Activation::Tanh);
/// let config = Config::new()
///     .with_free_steps(20)
///     .with_nudged_steps(10)
///     .with_free_lr(0.05)
///     .with_nudged_lr(0.05);
/// let cml = DualCml::<Q16_16, _, B, F>::new(system, config, Some(0.5))?;
///
/// let mut rng = SplitMix64::new(3);
/// let body = core::array::from_fn(|_| I8F24::from_num(rng.uniform(-1.0, 1.0)));
/// let mut theta = DualState::with_initial_fast(&system, body)?;
/// let (mut ws, mut batch) = (DualWorkspace::new(), DualMetaGradient::new());
/// let (mut body_sgd, mut init_sgd) = (Sgd::new(0.01)?, Sgd::new(0.01)?);
/// let tasks = [(); 4].map(|_| sinusoid::draw_task::<_, 5, 5>(&mut rng, 5, 5).unwrap().1);
/// let report = cml.meta_step(&mut theta, &tasks, &mut ws, &mut batch, &mut body_sgd, &mut init_sgd)?;
/// assert_eq!(report.tasks_used, 4);
///
/// // Adaptation reads θ (which may sit in flash) and needs 2·F values of RAM.
/// let (phi, grad) = ws.adapt_buffers();
/// cml.adapt(&theta, &tasks[0], None, phi, grad)?;
/// let [y] = cml.predict(&theta, phi, &[0.5f32])?;
/// # let _ = y;
/// # Ok::<(), tinycml::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DualCml<N: Precision, S, const BODY: usize, const FAST: usize, L = SquaredError> {
    system: S,
    loss: L,
    config: Config,
    phases: Phases<N>,
    mu: Option<N::Param>,
}

impl<N: Precision, S: DualModel<N>, const BODY: usize, const FAST: usize>
    DualCml<N, S, BODY, FAST>
{
    /// The rule with the squared-error loss; see [`DualCml::with_loss`].
    pub fn new(system: S, config: Config, mu: Option<f64>) -> Result<Self, Error> {
        Self::with_loss(system, SquaredError, config, mu)
    }
}

impl<N: Precision, S: DualModel<N>, const BODY: usize, const FAST: usize, L: Copy>
    DualCml<N, S, BODY, FAST, L>
{
    const SIZES_MATCH: () = assert!(
        S::BODY == BODY && S::FAST == FAST,
        "BODY and FAST must equal the system's body and fast-state lengths"
    );

    /// Validates the phase settings of `config` (as [`crate::Cml::with_loss`]; its λ and
    /// `learn` settings do not apply here) and μ: `None` for the authors' inner loss (no pull,
    /// the initial fast state is not learned), `Some(μ)` with μ > 0 for
    /// `L_in + ½ μ Σ (φ − φ_init)²` and a learned initial fast state. μ ≤ 0, NaN or a value
    /// the format cannot hold is an [`Error::InvalidConfig`].
    pub fn with_loss(system: S, loss: L, config: Config, mu: Option<f64>) -> Result<Self, Error> {
        let () = Self::SIZES_MATCH;
        let phases = Phases::new(&config)?;
        let mu = match mu {
            Some(mu) => Some(positive(mu, "mu must be > 0 and representable")?),
            None => None,
        };
        Ok(Self {
            system,
            loss,
            config,
            phases,
            mu,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// μ, the pull of the fast state back to its initial value (`None`: no pull).
    pub fn mu(&self) -> Option<N::Param> {
        self.mu
    }

    /// The system.
    pub fn system(&self) -> &S {
        &self.system
    }

    /// The loss.
    pub fn loss(&self) -> &L {
        &self.loss
    }

    fn anchor<'a>(&self, theta: &'a DualState<N, BODY, FAST>) -> Anchor<'a, N, FAST> {
        Anchor {
            start: theta.init(),
            strength: Strength::Uniform(self.mu.unwrap_or(N::Param::ZERO)),
        }
    }

    fn check_task<T, const D: usize, const SH: usize, const Q: usize>(
        &self,
        task: &Task<N::Act, D, SH, Q, T>,
        need_query: bool,
    ) -> Result<(), Error>
    where
        L: Loss<N, T>,
    {
        if task.support().is_empty() || (need_query && task.query().is_empty()) {
            return Err(Error::NoShots);
        }
        check_targets::<N, L, T, D>(&self.loss, task.support(), S::OUTPUTS)?;
        check_targets::<N, L, T, D>(&self.loss, task.query(), S::OUTPUTS)
    }

    /// Adapts the fast state to a task's support shots: the free phase from `θ.init` with the
    /// body fixed, `steps` steps (`None`: the configured `free_steps`). The adapted fast state
    /// is left in `phi`; `grad` is scratch. θ is only read, so it may live in flash.
    ///
    /// Fails before touching `phi` with [`Error::NoShots`] or [`Error::InvalidTarget`];
    /// [`Error::Diverged`] when the phase leaves the usable range.
    pub fn adapt<T, const D: usize, const SH: usize, const Q: usize>(
        &self,
        theta: &DualState<N, BODY, FAST>,
        task: &Task<N::Act, D, SH, Q, T>,
        steps: Option<u32>,
        phi: &mut [N::Param; FAST],
        grad: &mut [N::Param; FAST],
    ) -> Result<Saturations, Error>
    where
        L: Loss<N, T>,
    {
        self.check_task(task, false)?;
        let spec = PhaseSpec {
            steps: bounded_steps(steps.unwrap_or(self.phases.free.steps))?,
            ..self.phases.free
        };
        let mut sat = Saturations::default();
        phi.copy_from_slice(theta.init());
        self.run_phase(theta, task, &spec, phi, grad, &mut sat)?;
        Ok(sat)
    }

    fn run_phase<T, const D: usize, const SH: usize, const Q: usize>(
        &self,
        theta: &DualState<N, BODY, FAST>,
        task: &Task<N::Act, D, SH, Q, T>,
        spec: &PhaseSpec<N>,
        phi: &mut [N::Param; FAST],
        grad: &mut [N::Param; FAST],
        sat: &mut Saturations,
    ) -> Result<(), Error>
    where
        L: Loss<N, T>,
    {
        let query: &[Shot<N::Act, D, T>] = if spec.nudge == N::Param::ZERO {
            &[]
        } else {
            task.query()
        };
        descend(
            &self.system.with_body(theta.body()),
            &self.loss,
            self.anchor(theta),
            task.support(),
            query,
            spec,
            phi,
            grad,
            sat,
        )
    }

    /// Mean query loss of the fast state `phi` on `task` (the MSE for squared error).
    pub fn query_loss<T, const D: usize, const SH: usize, const Q: usize>(
        &self,
        theta: &DualState<N, BODY, FAST>,
        phi: &[N::Param; FAST],
        task: &Task<N::Act, D, SH, Q, T>,
        sat: &mut Saturations,
    ) -> N::Act
    where
        L: Loss<N, T>,
    {
        let model = self.system.with_body(theta.body());
        loss::mean_loss(&model, &self.loss, phi, task.query(), sat)
    }

    /// The fraction of `task`'s query shots the fast state `phi` classifies right (`None` for
    /// regression losses or no query shots).
    pub fn query_accuracy<T, const D: usize, const SH: usize, const Q: usize>(
        &self,
        theta: &DualState<N, BODY, FAST>,
        phi: &[N::Param; FAST],
        task: &Task<N::Act, D, SH, Q, T>,
    ) -> Option<f64>
    where
        L: Loss<N, T>,
    {
        let model = self.system.with_body(theta.body());
        loss::accuracy(
            &model,
            &self.loss,
            phi,
            task.query(),
            &mut Saturations::default(),
        )
    }

    /// The outputs for one input given in `f64` or `f32`, with the body of `theta` and the
    /// fast state `phi`; [`Error::NotFinite`] or [`Error::OutOfRange`] for an input the
    /// format cannot hold.
    pub fn predict<X: Into<f64> + Copy, const D: usize>(
        &self,
        theta: &DualState<N, BODY, FAST>,
        phi: &[N::Param; FAST],
        x: &[X; D],
    ) -> Result<S::Output, Error> {
        let x = task::input::<N::Act, X, D>(x)?;
        let mut buffers = S::Buffers::default();
        let mut sat = Saturations::default();
        Ok(self
            .system
            .forward(theta.body(), phi, &x, &mut buffers, &mut sat))
    }

    /// One task's CML estimate `(ĝ_body, ĝ_init)`, added into `into` (see
    /// [`DualMetaGradient`]).
    ///
    /// Fails with [`Error::NoShots`] for an empty support or query set and
    /// [`Error::Diverged`] when a phase leaves the usable range; then `into` is unchanged.
    /// [`Error::MetaUpdateRejected`] when the sum left the usable range while the estimate
    /// was added: `into` is then spoiled and must be cleared (the optimisers would refuse it).
    /// θ is only read.
    pub fn estimate<T, const D: usize, const SH: usize, const Q: usize>(
        &self,
        theta: &DualState<N, BODY, FAST>,
        task: &Task<N::Act, D, SH, Q, T>,
        ws: &mut DualWorkspace<N, FAST>,
        into: &mut DualMetaGradient<N, BODY, FAST>,
    ) -> Result<TaskReport<N::Act>, Error>
    where
        L: Loss<N, T>,
    {
        self.check_task(task, true)?;
        let Phases {
            free,
            plus,
            minus,
            spread,
        } = self.phases;
        let mut sat = Saturations::default();
        ws.phi.copy_from_slice(theta.init());
        self.run_phase(theta, task, &free, &mut ws.phi, &mut ws.grad, &mut sat)?;
        ws.phi_free = ws.phi;
        let query_loss = self.query_loss(theta, &ws.phi_free, task, &mut sat);

        self.run_phase(theta, task, &plus, &mut ws.phi, &mut ws.grad, &mut sat)?;
        ws.phi_plus = ws.phi;
        ws.phi = ws.phi_free;
        let lower_nudge = match self.config.estimator {
            crate::Estimator::Standard => N::Param::ZERO,
            crate::Estimator::Symmetric => {
                self.run_phase(theta, task, &minus, &mut ws.phi, &mut ws.grad, &mut sat)?;
                minus.nudge
            }
        };

        // Every phase succeeded: ws.phi holds the lower state. Add the contrast.
        let one = N::Param::ONE.div(spread);
        let body = &mut into.body;
        self.add_body_gradient(theta, &ws.phi_plus, task.support(), one, body, &mut sat);
        let weight = plus.nudge.div(spread);
        self.add_body_gradient(theta, &ws.phi_plus, task.query(), weight, body, &mut sat);
        self.add_body_gradient(theta, &ws.phi, task.support(), one.neg(), body, &mut sat);
        if lower_nudge != N::Param::ZERO {
            let weight = lower_nudge.div(spread).neg();
            self.add_body_gradient(theta, &ws.phi, task.query(), weight, body, &mut sat);
        }
        if let Some(mu) = self.mu {
            let states = ws.phi_plus.iter().zip(&ws.phi);
            for (sum, (&upper, &lower)) in into.init.iter_mut().zip(states) {
                *sum = sum.add(mu.mul_div(lower.sub(upper), spread));
            }
        }
        into.tasks += 1;
        if !into.is_usable() {
            return Err(Error::MetaUpdateRejected);
        }
        Ok(TaskReport {
            query_loss,
            saturations: sat,
        })
    }

    /// Adds `weight · ∂θ ℓ(φ; shots)`, the body gradient of the mean loss at fast state `phi`.
    fn add_body_gradient<T, const D: usize>(
        &self,
        theta: &DualState<N, BODY, FAST>,
        phi: &[N::Param; FAST],
        shots: &[Shot<N::Act, D, T>],
        weight: N::Param,
        body_grad: &mut [N::Param; BODY],
        sat: &mut Saturations,
    ) where
        L: Loss<N, T>,
    {
        add_body_gradient(
            &self.system,
            &self.loss,
            theta.body(),
            phi,
            shots,
            weight,
            body_grad,
            sat,
        );
    }

    /// One meta-step over a batch of tasks: estimate each (dropping those that diverge), then
    /// step the body with `body_optimizer` and, when μ is set, the initial fast state with
    /// `init_optimizer`.
    ///
    /// All or nothing: if no task yields an estimate, the last task's error; if a task spoils
    /// the sum or either step would not be usable, [`Error::MetaUpdateRejected`]. In every
    /// failure θ and both optimisers are unchanged. `batch` is scratch (cleared first).
    pub fn meta_step<'t, OB, OI, T, const D: usize, const SH: usize, const Q: usize>(
        &self,
        theta: &mut DualState<N, BODY, FAST>,
        tasks: impl IntoIterator<Item = &'t Task<N::Act, D, SH, Q, T>>,
        ws: &mut DualWorkspace<N, FAST>,
        batch: &mut DualMetaGradient<N, BODY, FAST>,
        body_optimizer: &mut OB,
        init_optimizer: &mut OI,
    ) -> Result<MetaStepReport<N::Act>, Error>
    where
        OB: VectorOptimizer<N, BODY> + ?Sized,
        OI: VectorOptimizer<N, FAST> + ?Sized,
        L: Loss<N, T>,
        T: 't,
    {
        batch.clear();
        let (mut dropped, mut last_error) = (0, Error::EmptyMetaBatch);
        let mut loss_sum = N::Act::ZERO;
        let mut saturations = Saturations::default();
        for task in tasks {
            match self.estimate(theta, task, ws, batch) {
                Ok(report) => {
                    loss_sum = loss_sum.add(report.query_loss);
                    saturations.0 = saturations.0.saturating_add(report.saturations.0);
                }
                Err(Error::MetaUpdateRejected) => return Err(Error::MetaUpdateRejected),
                Err(error) => {
                    dropped += 1;
                    last_error = error;
                }
            }
        }
        if batch.tasks == 0 {
            return Err(last_error);
        }
        self.apply(theta, batch, body_optimizer, init_optimizer)?;
        Ok(MetaStepReport {
            tasks_used: batch.tasks,
            tasks_dropped: dropped,
            mean_query_loss: loss_sum.div_count(batch.tasks),
            saturations,
        })
    }

    /// Steps θ along the mean of a sum of estimates, all or nothing (both optimisers check
    /// before either writes).
    pub fn apply<OB, OI>(
        &self,
        theta: &mut DualState<N, BODY, FAST>,
        batch: &DualMetaGradient<N, BODY, FAST>,
        body_optimizer: &mut OB,
        init_optimizer: &mut OI,
    ) -> Result<(), Error>
    where
        OB: VectorOptimizer<N, BODY> + ?Sized,
        OI: VectorOptimizer<N, FAST> + ?Sized,
    {
        let learn_init = self.mu.is_some();
        body_optimizer.check(theta.body(), &batch.body, batch.tasks)?;
        if learn_init {
            init_optimizer.check(theta.init(), &batch.init, batch.tasks)?;
        }
        let (body, init) = theta.parts_mut();
        body_optimizer.step_vector(body, &batch.body, batch.tasks)?;
        if learn_init {
            init_optimizer.step_vector(init, &batch.init, batch.tasks)?;
        }
        Ok(())
    }
}

/// Adds `weight · ∂ℓ/∂body`, the body gradient of the mean loss over `shots` with the body
/// `body` and fast state `fast` (the float reference and tests call it too).
#[allow(clippy::too_many_arguments)]
pub fn add_body_gradient<N, S, L, T, const D: usize>(
    system: &S,
    loss: &L,
    body: &[N::Param],
    fast: &[N::Param],
    shots: &[Shot<N::Act, D, T>],
    weight: N::Param,
    body_grad: &mut [N::Param],
    sat: &mut Saturations,
) where
    N: Precision,
    S: DualModel<N>,
    L: Loss<N, T>,
{
    let per_shot = weight.div_count(shots.len() as u32);
    let mut buffers = S::Buffers::default();
    for shot in shots {
        let outputs = system.forward(body, fast, &shot.x, &mut buffers, sat);
        let errors = S::output_errors(&mut buffers);
        loss.output_errors(outputs.as_ref(), &shot.y, per_shot, errors, sat);
        let grads = Gradients {
            fast: None,
            body: Some(&mut *body_grad),
        };
        system.backward(body, fast, &shot.x, &mut buffers, grads, sat);
    }
}
