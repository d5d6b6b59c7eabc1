//! The contrastive meta-learning rule: configuration, per-task estimates and adaptation.
//!
//! For each task: a free phase from φ = ω gives φ⁰; a nudged phase on `L_in + β·L_out` from φ⁰
//! gives φ⁺ (and, for the symmetric estimator, one on `L_in − β·L_out` gives φ⁻). The
//! difference of end states over β estimates `dL_out/dθ` (see [`crate::synapse::contrast`]).
//! No trajectory is stored: the [`Workspace`] holds four parameter-sized buffers, and the
//! estimate is written back into two of them.

use crate::error::Phase;
use crate::inner::{descend, PhaseSpec};
use crate::loss::{self, check_targets, Loss, SquaredError};
use crate::nn::Model;
use crate::num::{Precision, Saturations, Scalar};
use crate::optim::{Bounds, MetaGradient, MetaOptimizer};
use crate::synapse::{contrast, ComplexSynapse};
use crate::task::{self, Task};
use crate::Error;

/// The most gradient steps one phase may take: the bound on [`Config::free_steps`],
/// [`Config::nudged_steps`] and the `steps` of [`Cml::adapt`], beyond which
/// [`Error::TooManySteps`] is returned.
///
/// Why a bound: every call must end in a time the caller can foresee; a corrupted export or a
/// mistyped setting of `u32::MAX` steps would otherwise keep a device busy for days. The
/// largest phase anywhere in this repository is 3,000 steps (a reference comparison in the
/// tests); the sinusoid and digits recipes and the boards use 100 or fewer. 100,000 leaves
/// ample room above all of them.
pub const MAX_STEPS: u32 = 100_000;

/// `steps` if it is within [`MAX_STEPS`], else [`Error::TooManySteps`].
pub(crate) fn bounded_steps(steps: u32) -> Result<u32, Error> {
    if steps > MAX_STEPS {
        Err(Error::TooManySteps { requested: steps })
    } else {
        Ok(steps)
    }
}

/// Which finite difference turns end states into a meta-gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Estimator {
    /// `(1/β)[∂θF(φ⁺, β) − ∂θF(φ⁰, 0)]`: one nudged phase, bias O(β).
    Standard,
    /// `(1/2β)[∂θF(φ⁺, β) − ∂θF(φ⁻, −β)]`: two nudged phases, bias O(β²).
    Symmetric,
}

impl Estimator {
    /// The nudged phases one estimate runs: 1 (standard) or 2 (symmetric); for cost counts.
    pub const fn nudged_phases(self) -> u32 {
        match self {
            Estimator::Standard => 1,
            Estimator::Symmetric => 2,
        }
    }
}

/// Which halves of θ are meta-learned; the other stays fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Learn {
    /// ω and λ.
    Both,
    /// ω only (iMAML's proximal model).
    Omega,
    /// λ only (learned per-synapse weight decay).
    Lambda,
}

/// Settings of the rule, in plain numbers; validated once by [`Cml::new`].
///
/// New settings may be added in later versions, so a `Config` is not written as a struct
/// literal outside this crate: start from [`Config::new`] (the same as `Config::default()`)
/// and change what differs with the `with_*` methods. They are `const fn`, so a device can
/// keep its settings in a `const` or `static`:
///
/// ```
/// use tinycml::{Config, Estimator};
///
/// const ON_DEVICE: Config = Config::new()
///     .with_free_steps(40)
///     .with_free_lr(0.04)
///     .with_nudged_steps(20)
///     .with_nudged_lr(0.04 / 1.1)
///     .with_estimator(Estimator::Symmetric)
///     .with_lambda_max(25.0);
/// assert_eq!(ON_DEVICE.beta, Config::default().beta);
/// ```
///
/// The fields stay public to read (and to assign on a `Config` you already have).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// Free-phase gradient steps (also the steps of [`Cml::adapt`]).
    pub free_steps: u32,
    /// Free-phase learning rate.
    pub free_lr: f64,
    /// Steps of each nudged phase.
    pub nudged_steps: u32,
    /// Nudged-phase learning rate.
    pub nudged_lr: f64,
    /// Nudging strength β > 0.
    pub beta: f64,
    /// Standard or symmetric estimate.
    pub estimator: Estimator,
    /// Which meta-parameters are learned.
    pub learn: Learn,
    /// Smallest λ the meta-optimisers allow (> 0).
    pub lambda_min: f64,
    /// Largest λ the meta-optimisers allow. When λ is learned, `λ_max · lr < 2` must hold for
    /// both learning rates: on the pull `½ λ (φ − ω)²` alone, a gradient step multiplies
    /// `φ − ω` by `1 − lr·λ`, which grows without bound once `λ > 2/lr`.
    pub lambda_max: f64,
}

impl Default for Config {
    /// [`Config::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl Config {
    /// The recipe measured on the sinusoid family: symmetric, β = 0.1, 100 free steps at
    /// lr 0.01, 50 nudged steps at lr/(1+β), λ in `[1e-4, 1/lr]`.
    pub const fn new() -> Self {
        Self {
            free_steps: 100,
            free_lr: 0.01,
            nudged_steps: 50,
            nudged_lr: 0.01 / 1.1,
            beta: 0.1,
            estimator: Estimator::Symmetric,
            learn: Learn::Both,
            lambda_min: 1e-4,
            lambda_max: 100.0,
        }
    }

    /// This configuration with [`Config::free_steps`] set to `value`.
    pub const fn with_free_steps(mut self, value: u32) -> Self {
        self.free_steps = value;
        self
    }

    /// This configuration with [`Config::free_lr`] set to `value`.
    pub const fn with_free_lr(mut self, value: f64) -> Self {
        self.free_lr = value;
        self
    }

    /// This configuration with [`Config::nudged_steps`] set to `value`.
    pub const fn with_nudged_steps(mut self, value: u32) -> Self {
        self.nudged_steps = value;
        self
    }

    /// This configuration with [`Config::nudged_lr`] set to `value`.
    pub const fn with_nudged_lr(mut self, value: f64) -> Self {
        self.nudged_lr = value;
        self
    }

    /// This configuration with [`Config::beta`] (β) set to `value`.
    pub const fn with_beta(mut self, value: f64) -> Self {
        self.beta = value;
        self
    }

    /// This configuration with [`Config::estimator`] set to `value`.
    pub const fn with_estimator(mut self, value: Estimator) -> Self {
        self.estimator = value;
        self
    }

    /// This configuration with [`Config::learn`] set to `value`.
    pub const fn with_learn(mut self, value: Learn) -> Self {
        self.learn = value;
        self
    }

    /// This configuration with [`Config::lambda_min`] set to `value`.
    pub const fn with_lambda_min(mut self, value: f64) -> Self {
        self.lambda_min = value;
        self
    }

    /// This configuration with [`Config::lambda_max`] set to `value`.
    pub const fn with_lambda_max(mut self, value: f64) -> Self {
        self.lambda_max = value;
        self
    }
}

/// Buffers for one task's phases: φ, φ⁰, φ⁺ and a gradient. After [`Cml::estimate`] the
/// last two hold the task's meta-gradient (see [`Workspace::meta_gradient`]).
#[derive(Clone, Debug)]
pub struct Workspace<N: Precision, const P: usize> {
    pub(crate) phi: [N::Param; P],
    pub(crate) phi_free: [N::Param; P],
    pub(crate) phi_plus: [N::Param; P],
    pub(crate) grad: [N::Param; P],
}

impl<N: Precision, const P: usize> Default for Workspace<N, P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Precision, const P: usize> Workspace<N, P> {
    /// Zeroed buffers (a `const fn`, so a device can place them in a `static`).
    pub const fn new() -> Self {
        Self {
            phi: [N::Param::ZERO; P],
            phi_free: [N::Param::ZERO; P],
            phi_plus: [N::Param::ZERO; P],
            grad: [N::Param::ZERO; P],
        }
    }

    /// The free-phase end state φ⁰ of the last estimate or adaptation.
    pub fn phi_free(&self) -> &[N::Param; P] {
        &self.phi_free
    }

    /// `(ĝ_ω, ĝ_λ)` of the last successful [`Cml::estimate`].
    pub fn meta_gradient(&self) -> (&[N::Param; P], &[N::Param; P]) {
        (&self.phi_plus, &self.grad)
    }

    /// φ and the gradient buffer, as the `phi` and `grad` of [`Cml::adapt`].
    ///
    /// A device that meta-learns already holds this workspace; adapting (to deploy, or to
    /// judge θ on held-out tasks between meta-steps) in its buffers saves two more
    /// parameter-sized arrays of RAM. Using them overwrites the last meta-gradient.
    pub fn adapt_buffers(&mut self) -> (&mut [N::Param; P], &mut [N::Param; P]) {
        (&mut self.phi, &mut self.grad)
    }
}

/// What one task's estimate reports besides the meta-gradient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TaskReport<A> {
    /// Mean query loss after the free phase (the learner as it would be deployed), as the
    /// loss reports it: the MSE for [`SquaredError`], the cross-entropy for classification.
    pub query_loss: A,
    /// Saturations counted during the task (always 0 for floats).
    pub saturations: Saturations,
}

/// What one meta-step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetaStepReport<A> {
    /// Tasks whose estimates were averaged into the step.
    pub tasks_used: u32,
    /// Tasks dropped because a phase diverged or their estimate was unusable.
    pub tasks_dropped: u32,
    /// Mean of the used tasks' [`TaskReport::query_loss`] (before the step).
    pub mean_query_loss: A,
    /// Saturations counted over all tasks.
    pub saturations: Saturations,
}

/// The rule for one model, number format, parameter count `P` and loss `L` (squared error
/// unless [`Cml::with_loss`] says otherwise).
///
/// ```
/// use tinycml::{Activation, Cml, Config, Mlp, Q16_16};
/// use tinycml::loss::SoftmaxCrossEntropy;
/// use tinycml::nn::{Layer, Network};
///
/// // The sinusoid regressor, in the device format.
/// type Sinusoid = Mlp<1, 40, 40>;
/// let cml = Cml::<Q16_16, _, { Sinusoid::PARAMS }>::new(Sinusoid::new(Activation::Relu), Config::default())?;
///
/// // A 5-way classifier of 64 inputs, in f32.
/// type Classifier = Network<64, Layer<32, Layer<5>>>;
/// let classifier = Cml::<f32, _, { Classifier::PARAMS }, _>::with_loss(
///     Classifier::new(Activation::Relu),
///     SoftmaxCrossEntropy,
///     Config::default(),
/// )?;
/// # let _ = (cml, classifier);
/// # Ok::<(), tinycml::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Cml<N: Precision, M, const P: usize, L = SquaredError> {
    model: M,
    loss: L,
    config: Config,
    free: PhaseSpec<N>,
    plus: PhaseSpec<N>,
    minus: PhaseSpec<N>,
    spread: N::Param,
    lambda_min: N::Param,
    lambda_max: N::Param,
}

/// The three phases of a [`Config`] in a number format, and the estimator's spread (β for the
/// standard estimator, 2β for the symmetric one): what both models' rules run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Phases<N: Precision> {
    pub(crate) free: PhaseSpec<N>,
    pub(crate) plus: PhaseSpec<N>,
    pub(crate) minus: PhaseSpec<N>,
    pub(crate) spread: N::Param,
}

impl<N: Precision> Phases<N> {
    /// Validates the phase settings of `config`: β and learning rates positive and
    /// representable (and the symmetric estimator's 2β too), step counts from 1 to
    /// [`MAX_STEPS`].
    pub(crate) fn new(config: &Config) -> Result<Self, Error> {
        let beta: N::Param = positive(config.beta, "beta must be > 0 and representable")?;
        let free_lr = positive(config.free_lr, "free_lr must be > 0 and representable")?;
        let nudged_lr = positive(config.nudged_lr, "nudged_lr must be > 0 and representable")?;
        if config.free_steps == 0 || config.nudged_steps == 0 {
            return Err(Error::InvalidConfig("step counts must be at least 1"));
        }
        bounded_steps(config.free_steps)?;
        bounded_steps(config.nudged_steps)?;
        let spread = match config.estimator {
            Estimator::Standard => beta,
            Estimator::Symmetric => beta.add(beta),
        };
        if !spread.is_usable() {
            return Err(Error::InvalidConfig(
                "beta too large: 2β of the symmetric estimator must fit the weight format",
            ));
        }
        let nudged = |phase, nudge| PhaseSpec {
            phase,
            steps: config.nudged_steps,
            lr: nudged_lr,
            nudge,
        };
        Ok(Self {
            free: PhaseSpec {
                phase: Phase::Free,
                steps: config.free_steps,
                lr: free_lr,
                nudge: N::Param::ZERO,
            },
            plus: nudged(Phase::NudgedPositive, beta),
            minus: nudged(Phase::NudgedNegative, beta.neg()),
            spread,
        })
    }
}

pub(crate) fn positive<S: Scalar>(value: f64, what: &'static str) -> Result<S, Error> {
    if value.is_nan() || value <= 0.0 {
        return Err(Error::InvalidConfig(what));
    }
    match S::from_f64(value) {
        Some(v) if v > S::ZERO && v.is_usable() => Ok(v),
        _ => Err(Error::InvalidConfig(what)),
    }
}

impl<N: Precision, M: Model<N>, const P: usize> Cml<N, M, P> {
    /// The rule with the squared-error loss; see [`Cml::with_loss`].
    pub fn new(model: M, config: Config) -> Result<Self, Error> {
        Self::with_loss(model, SquaredError, config)
    }
}

impl<N: Precision, M: Model<N>, const P: usize, L: Copy> Cml<N, M, P, L> {
    const SHAPE_MATCHES: () = assert!(M::PARAMS == P, "P must equal the model's parameter count");

    /// Validates `config` for `model` and `loss`: β, learning rates and λ bounds must be
    /// positive and representable, step counts from 1 to [`MAX_STEPS`] (else
    /// [`Error::TooManySteps`]), `λ_min ≤ λ_max`, and, when λ is learned, `λ_max · lr < 2` for both
    /// learning rates (see [`Config::lambda_max`]). `P` must be the model's parameter count, checked at
    /// compile time.
    pub fn with_loss(model: M, loss: L, config: Config) -> Result<Self, Error> {
        let () = Self::SHAPE_MATCHES;
        let Phases {
            free,
            plus,
            minus,
            spread,
        } = Phases::new(&config)?;
        let lambda_min = positive(config.lambda_min, "lambda_min must be > 0")?;
        let lambda_max = positive(config.lambda_max, "lambda_max must be > 0")?;
        if lambda_min > lambda_max {
            return Err(Error::InvalidConfig(
                "lambda_min must not exceed lambda_max",
            ));
        }
        let lambda_learned = config.learn != Learn::Omega;
        if lambda_learned && config.lambda_max * config.free_lr.max(config.nudged_lr) >= 2.0 {
            return Err(Error::InvalidConfig(
                "lambda_max times each learning rate must be < 2, or gradient descent diverges",
            ));
        }
        Ok(Self {
            model,
            loss,
            config,
            free,
            plus,
            minus,
            spread,
            lambda_min,
            lambda_max,
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The loss.
    pub fn loss(&self) -> &L {
        &self.loss
    }

    /// Checks a task before any learning: a non-empty support set (and query set when
    /// `need_query`), every target valid for the model and loss.
    fn check_task<T, const D: usize, const S: usize, const Q: usize>(
        &self,
        task: &Task<N::Act, D, S, Q, T>,
        need_query: bool,
    ) -> Result<(), Error>
    where
        L: Loss<N, T>,
    {
        if task.support().is_empty() || (need_query && task.query().is_empty()) {
            return Err(Error::NoShots);
        }
        check_targets::<N, L, T, D>(&self.loss, task.support(), M::OUTPUTS)?;
        check_targets::<N, L, T, D>(&self.loss, task.query(), M::OUTPUTS)
    }

    /// What a meta-step may change: λ's bounds and which halves of θ are learned.
    pub fn bounds(&self) -> Bounds<N> {
        Bounds {
            lambda_min: self.lambda_min,
            lambda_max: self.lambda_max,
            learn: self.config.learn,
        }
    }

    /// Adapts to a task's support shots: the free phase alone, from φ = ω, for `steps` steps
    /// (`None`: the configured `free_steps`). This is what a deployed device runs on new shots.
    /// The adapted weights are left in `phi`; `grad` is scratch.
    ///
    /// Fails before touching `phi` with [`Error::NoShots`] for an empty support set,
    /// [`Error::InvalidTarget`] for a target the model and loss cannot use and
    /// [`Error::TooManySteps`] for `steps` beyond [`MAX_STEPS`].
    pub fn adapt<T, const D: usize, const S: usize, const Q: usize>(
        &self,
        theta: &ComplexSynapse<N, P>,
        task: &Task<N::Act, D, S, Q, T>,
        steps: Option<u32>,
        phi: &mut [N::Param; P],
        grad: &mut [N::Param; P],
    ) -> Result<Saturations, Error>
    where
        L: Loss<N, T>,
    {
        self.check_task(task, false)?;
        self.free_phase(theta, task, steps, phi, grad)
    }

    /// The free phase from φ = ω on a task [`Cml::check_task`] has passed.
    fn free_phase<T, const D: usize, const S: usize, const Q: usize>(
        &self,
        theta: &ComplexSynapse<N, P>,
        task: &Task<N::Act, D, S, Q, T>,
        steps: Option<u32>,
        phi: &mut [N::Param; P],
        grad: &mut [N::Param; P],
    ) -> Result<Saturations, Error>
    where
        L: Loss<N, T>,
    {
        let spec = PhaseSpec {
            steps: bounded_steps(steps.unwrap_or(self.free.steps))?,
            ..self.free
        };
        let mut sat = Saturations::default();
        phi.copy_from_slice(theta.omega());
        descend(
            &self.model,
            &self.loss,
            theta.anchor(),
            task.support(),
            &[],
            &spec,
            phi,
            grad,
            &mut sat,
        )?;
        Ok(sat)
    }

    /// Mean query loss of weights `phi` on `task`, as the loss reports it (the MSE for
    /// squared error; 0 for no query shots).
    pub fn query_loss<T, const D: usize, const S: usize, const Q: usize>(
        &self,
        phi: &[N::Param; P],
        task: &Task<N::Act, D, S, Q, T>,
        sat: &mut Saturations,
    ) -> N::Act
    where
        L: Loss<N, T>,
    {
        loss::mean_loss(&self.model, &self.loss, phi, task.query(), sat)
    }

    /// The fraction of `task`'s query shots that weights `phi` classify right (`None` for
    /// regression losses or no query shots).
    pub fn query_accuracy<T, const D: usize, const S: usize, const Q: usize>(
        &self,
        phi: &[N::Param; P],
        task: &Task<N::Act, D, S, Q, T>,
    ) -> Option<f64>
    where
        L: Loss<N, T>,
    {
        let mut sat = Saturations::default();
        loss::accuracy(&self.model, &self.loss, phi, task.query(), &mut sat)
    }

    /// The outputs of weights `phi` (adapted, or ω itself) for one input given in `f64` or
    /// `f32`; [`Error::NotFinite`] or [`Error::OutOfRange`] for an input the format cannot
    /// hold. An input of another width than the model's does not compile.
    pub fn predict<X: Into<f64> + Copy, const D: usize>(
        &self,
        phi: &[N::Param; P],
        x: &[X; D],
    ) -> Result<M::Output, Error> {
        Ok(self.predict_act(phi, &task::input(x)?))
    }

    /// [`Cml::predict`] for an input already in the activation format.
    pub fn predict_act<const D: usize>(&self, phi: &[N::Param; P], x: &[N::Act; D]) -> M::Output {
        let mut buffers = M::Buffers::default();
        let mut sat = Saturations::default();
        self.model.forward(phi, x, &mut buffers, &mut sat)
    }

    /// The class weights `phi` pick for one input: the largest output, or for a model with
    /// one output (a logit) 1 when it is positive and 0 otherwise.
    pub fn classify<X: Into<f64> + Copy, const D: usize>(
        &self,
        phi: &[N::Param; P],
        x: &[X; D],
    ) -> Result<usize, Error> {
        let outputs = self.predict(phi, x)?;
        Ok(match outputs.as_ref() {
            [logit] => (*logit > N::Act::ZERO) as usize,
            all => loss::argmax(all),
        })
    }

    /// One task's CML estimate of `dL_out/dθ`, left in [`Workspace::meta_gradient`].
    ///
    /// Fails with [`Error::NoShots`] for an empty support or query set, [`Error::Diverged`]
    /// when a phase leaves the usable range, and [`Error::MetaUpdateRejected`] when the
    /// estimate itself is not usable. θ is only read; a failed task can simply be dropped.
    pub fn estimate<T, const D: usize, const S: usize, const Q: usize>(
        &self,
        theta: &ComplexSynapse<N, P>,
        task: &Task<N::Act, D, S, Q, T>,
        ws: &mut Workspace<N, P>,
    ) -> Result<TaskReport<N::Act>, Error>
    where
        L: Loss<N, T>,
    {
        self.check_task(task, true)?;
        let mut sat = self.free_phase(theta, task, None, &mut ws.phi, &mut ws.grad)?;
        ws.phi_free = ws.phi;
        let query_loss = self.query_loss(&ws.phi_free, task, &mut sat);

        self.nudge(theta, task, &self.plus, ws, &mut sat)?;
        ws.phi_plus = ws.phi;
        match self.config.estimator {
            Estimator::Standard => ws.phi = ws.phi_free,
            Estimator::Symmetric => self.nudge(theta, task, &self.minus, ws, &mut sat)?,
        }

        // ws.phi now holds the lower state (φ⁰ or φ⁻); the estimate overwrites φ⁺ and grad.
        let mut usable = true;
        for i in 0..P {
            let (g_omega, g_lambda) = contrast(
                ws.phi_plus[i],
                ws.phi[i],
                theta.omega()[i],
                theta.lambda()[i],
                self.spread,
            );
            ws.phi_plus[i] = match self.config.learn {
                Learn::Lambda => N::Param::ZERO,
                _ => g_omega,
            };
            ws.grad[i] = match self.config.learn {
                Learn::Omega => N::Param::ZERO,
                _ => g_lambda,
            };
            usable &= g_omega.is_usable() & g_lambda.is_usable();
        }
        if !usable {
            return Err(Error::MetaUpdateRejected);
        }
        Ok(TaskReport {
            query_loss,
            saturations: sat,
        })
    }

    /// One meta-step over a batch of tasks: estimate each, drop those that diverge, average the
    /// rest and let `optimizer` update θ.
    ///
    /// All or nothing: [`Error::EmptyMetaBatch`] for no tasks; if no task yields an estimate,
    /// the last task's error is returned; if the update is not usable, [`Error::MetaUpdateRejected`]. In both cases θ and the optimiser
    /// are unchanged. `batch` is scratch for the sum (cleared first).
    pub fn meta_step<'t, O, T, const D: usize, const S: usize, const Q: usize>(
        &self,
        theta: &mut ComplexSynapse<N, P>,
        tasks: impl IntoIterator<Item = &'t Task<N::Act, D, S, Q, T>>,
        ws: &mut Workspace<N, P>,
        batch: &mut MetaGradient<N, P>,
        optimizer: &mut O,
    ) -> Result<MetaStepReport<N::Act>, Error>
    where
        O: MetaOptimizer<N, P>,
        L: Loss<N, T>,
        T: 't,
    {
        batch.clear();
        let mut dropped = 0;
        let mut last_error = Error::EmptyMetaBatch;
        let mut mse_sum = N::Act::ZERO;
        let mut saturations = Saturations::default();
        for task in tasks {
            match self.estimate(theta, task, ws) {
                Ok(report) => {
                    batch.add(ws);
                    mse_sum = mse_sum.add(report.query_loss);
                    saturations.0 = saturations.0.saturating_add(report.saturations.0);
                }
                Err(error) => {
                    dropped += 1;
                    last_error = error;
                }
            }
        }
        if batch.tasks() == 0 {
            return Err(last_error);
        }
        let (sum_omega, sum_lambda) = batch.sums();
        optimizer.step(theta, sum_omega, sum_lambda, batch.tasks(), &self.bounds())?;
        Ok(MetaStepReport {
            tasks_used: batch.tasks(),
            tasks_dropped: dropped,
            mean_query_loss: mse_sum.div_count(batch.tasks()),
            saturations,
        })
    }

    /// A nudged phase from φ⁰, leaving its end state in `ws.phi`.
    fn nudge<T, const D: usize, const S: usize, const Q: usize>(
        &self,
        theta: &ComplexSynapse<N, P>,
        task: &Task<N::Act, D, S, Q, T>,
        spec: &PhaseSpec<N>,
        ws: &mut Workspace<N, P>,
        sat: &mut Saturations,
    ) -> Result<(), Error>
    where
        L: Loss<N, T>,
    {
        ws.phi = ws.phi_free;
        descend(
            &self.model,
            &self.loss,
            theta.anchor(),
            task.support(),
            task.query(),
            spec,
            &mut ws.phi,
            &mut ws.grad,
            sat,
        )
    }
}
