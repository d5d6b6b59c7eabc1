//! The host meta-training driver (feature `std`): draws tasks from a family, spreads
//! meta-batches over threads, validates on a stream of its own, keeps the best θ, drops
//! tasks that diverge or run away, decays the outer learning rate, and exports the result.
//!
//! What a user writes is the family ([`TaskSource`]); the rest is [`train`]:
//!
//! ```text
//! loop until the budget (seconds and/or meta-iterations) is spent:
//!     every 1/validation_points of the budget: adapt θ to each validation task, mean query
//!         loss; keep θ if it is the best so far; if it ran off (> 3 × best + 0.5, or NaN),
//!         restore the best θ with a fresh optimiser
//!     draw meta_batch tasks (one seeded stream, in order)
//!     estimate each on one of `threads` threads; drop tasks that diverged or ran away
//!     average the rest; one outer step (Adam, cosine-decayed rate), all or nothing
//! return the best validated θ
//! ```
//!
//! Every step is the library's own: [`Cml::estimate`] per task, a [`crate::MetaOptimizer`]
//! for the step, [`Cml::adapt`] for validation, [`crate::store`] for the export. The
//! driver only decides the order, so a run with an iteration budget is reproducible from its
//! seeds.
//!
//! ```
//! use tinycml::train::{self, Settings, SinusoidFamily};
//! use tinycml::{Activation, Cml, Config, Mlp, SplitMix64};
//!
//! type Net = Mlp<1, 16, 16>;
//! const P: usize = Net::PARAMS;
//!
//! let model = Net::new(Activation::Relu);
//! let cml = Cml::<f32, _, P>::new(model, Config::default().with_free_steps(20).with_nudged_steps(10))?;
//! let theta = train::initial_theta(&model, &mut SplitMix64::new(7), 1.0)?;
//! let family = SinusoidFamily::<10, 10> { support: 10, query: 10, validation_query: 10 };
//! let settings = Settings {
//!     iterations: Some(20),
//!     meta_batch: 4,
//!     validation_tasks: 8,
//!     validation_points: 2,
//!     progress: None,
//!     ..Settings::default()
//! };
//! let trained = train::train(&cml, &family, theta, &settings)?;
//! assert_eq!(trained.iterations, 20);
//! assert!(trained.best_validation_loss <= trained.initial_validation_loss);
//! let bytes = trained.export(&cml)?; // tinycml::store's format, for a device to load
//! # let _ = bytes;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod baselines;
mod driver;
mod dual;
mod error;
mod evaluate;
mod method;
mod settings;
mod source;

pub use baselines::{Maml, Reptile};
pub use dual::{initial_dual, train_dual, TrainedDual};
pub use error::TrainError;
pub use evaluate::{evaluate, evaluate_dual, Evaluation};
pub use method::{CmlMethod, Method, Worker};
pub use settings::{Outer, Schedule, Settings, VALIDATION_SEED};
pub use source::{SinusoidFamily, TaskSource};

use crate::cml::Cml;
use crate::loss::{Loss, LossName};
use crate::nn::Model;
use crate::num::{Precision, Scalar};
use crate::optim::MetaOptimizer;
use crate::rng::SplitMix64;
use crate::synapse::ComplexSynapse;
use crate::task::Task;
use crate::{store, Error};

/// One validation of θ during a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValidationPoint {
    /// Seconds since the run started.
    pub seconds: f64,
    /// Meta-iterations done.
    pub iteration: u64,
    /// Mean query loss of the adapted learner on the validation tasks (see
    /// [`Evaluation::mean`]).
    pub loss: f64,
    /// Validation tasks whose adaptation diverged.
    pub diverged: usize,
}

/// What a run produced, for a meta-state `Theta` ([`Trained`] for the complex synapse,
/// [`TrainedDual`] for the dual system).
#[derive(Clone, Debug)]
pub struct Run<Theta> {
    /// The meta-learned θ: the one that validated best (the last one unless an earlier one
    /// was better).
    pub theta: Theta,
    /// Validation loss of [`Trained::theta`].
    pub best_validation_loss: f64,
    /// Validation loss of the initial θ.
    pub initial_validation_loss: f64,
    /// Every validation, in order (the first is of the initial θ, the last at the end).
    pub curve: Vec<ValidationPoint>,
    /// Meta-iterations done.
    pub iterations: u64,
    /// Tasks whose estimates went into a step.
    pub tasks_used: u64,
    /// Tasks dropped because they diverged or ran away.
    pub dropped: u64,
    /// Outer steps the optimiser refused (θ unchanged).
    pub rejected: u64,
    /// Times θ ran off and the best θ was restored.
    pub restored: u32,
    /// Seconds of the whole run, validation included.
    pub seconds: f64,
    /// Seconds in meta-iterations (estimates and steps) alone.
    pub training_seconds: f64,
    /// Seconds in validation.
    pub validation_seconds: f64,
}

/// What a complex-synapse run produced.
pub type Trained<N, const P: usize> = Run<ComplexSynapse<N, P>>;

impl<Theta> Run<Theta> {
    /// Milliseconds per meta-iteration (estimates and step; 0 before the first).
    pub fn ms_per_iteration(&self) -> f64 {
        1e3 * self.training_seconds / self.iterations.max(1) as f64
    }
}

impl<N: Precision, const P: usize> Trained<N, P> {
    /// θ and the rule's settings in [`crate::store`]'s format (what a device loads).
    pub fn export<M, L>(&self, cml: &Cml<N, M, P, L>) -> Result<Vec<u8>, Error>
    where
        M: Model<N>,
        L: LossName,
    {
        let mut bytes = vec![0u8; store::encoded_len(P)];
        let written = store::encode(cml, &self.theta, &mut bytes)?;
        bytes.truncate(written);
        Ok(bytes)
    }

    /// [`Trained::export`] written to `path`.
    pub fn save<M, L>(
        &self,
        cml: &Cml<N, M, P, L>,
        path: impl AsRef<std::path::Path>,
    ) -> Result<(), TrainError>
    where
        M: Model<N>,
        L: LossName,
    {
        std::fs::write(path, self.export(cml)?)?;
        Ok(())
    }
}

/// θ for a network that has learned nothing yet: every weight and bias of a layer uniform in
/// `±1/√fan_in` (the usual initialisation of dense layers), drawn in the flat parameter
/// order, and the same consolidation strength `lambda` on every synapse.
///
/// [`Error::InvalidConfig`] if `P` is not the model's parameter count, [`Error::OutOfRange`]
/// if a value does not fit the format.
///
/// ```
/// use tinycml::{train, Activation, Layer, Network, SplitMix64};
///
/// type Net = Network<3, Layer<8, Layer<2>>>;
/// let theta = train::initial_theta::<f32, _, { Net::PARAMS }>(
///     &Net::new(Activation::Tanh),
///     &mut SplitMix64::new(1),
///     1.0,
/// )?;
/// let bound = 1.0 / 3f32.sqrt(); // the first layer has 3 inputs
/// assert!(theta.omega()[..32].iter().all(|w| w.abs() <= bound));
/// # Ok::<(), tinycml::Error>(())
/// ```
pub fn initial_theta<N: Precision, M: Model<N>, const P: usize>(
    model: &M,
    rng: &mut SplitMix64,
    lambda: f64,
) -> Result<ComplexSynapse<N, P>, Error> {
    let shape = model.shape();
    if shape.params() != P || M::PARAMS != P {
        return Err(Error::InvalidConfig(
            "P must equal the model's parameter count",
        ));
    }
    let mut omega = Box::new([N::Param::ZERO; P]);
    let mut fan_in = shape.inputs as usize;
    let mut at = 0;
    for layer in shape.layers() {
        let count = layer.outputs as usize * (fan_in + 1);
        let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
        for w in &mut omega[at..at + count] {
            *w = N::Param::from_f64(rng.uniform(-bound, bound)).ok_or(Error::OutOfRange)?;
        }
        at += count;
        fan_in = layer.outputs as usize;
    }
    ComplexSynapse::with_uniform_lambda(*omega, lambda)
}

/// Meta-trains θ with CML on tasks from `source`; see the [module docs](self) for the loop
/// and [`Settings`] for what can be set. The filters of [`CmlMethod`] take their thresholds
/// from `settings`.
///
/// Fails before training with [`TrainError::Settings`] for invalid settings,
/// [`TrainError::Library`] for an outer learning rate the format cannot hold, and
/// [`TrainError::Source`] when the source cannot draw a task.
pub fn train<N, M, L, T, Src, const D: usize, const S: usize, const Q: usize, const P: usize>(
    cml: &Cml<N, M, P, L>,
    source: &Src,
    theta: ComplexSynapse<N, P>,
    settings: &Settings,
) -> Result<Trained<N, P>, TrainError>
where
    N: Precision,
    M: Model<N> + Sync,
    L: Loss<N, T> + Sync,
    T: Sync,
    Src: TaskSource<N::Act, D, S, Q, T> + ?Sized,
{
    let method = CmlMethod {
        cml,
        runaway_query_loss: settings.runaway_query_loss,
        runaway_estimate: settings.runaway_estimate,
    };
    train_with(&method, cml, source, theta, settings)
}

/// [`train`] with another [`Method`] turning tasks into meta-gradients (a baseline, say);
/// `cml` still validates θ (its `adapt`, with [`Settings::validation_steps`]) and bounds λ.
pub fn train_with<
    N,
    M,
    L,
    T,
    Me,
    Src,
    const D: usize,
    const S: usize,
    const Q: usize,
    const P: usize,
>(
    method: &Me,
    cml: &Cml<N, M, P, L>,
    source: &Src,
    theta: ComplexSynapse<N, P>,
    settings: &Settings,
) -> Result<Trained<N, P>, TrainError>
where
    N: Precision,
    M: Model<N> + Sync,
    L: Loss<N, T> + Sync,
    T: Sync,
    Me: Method<N, T, D, S, Q, P> + ?Sized,
    Src: TaskSource<N::Act, D, S, Q, T> + ?Sized,
{
    let learner = SynapseLearner {
        method,
        cml,
        outer: settings.outer,
    };
    driver::run(&learner, source, theta, settings)
}

/// The complex synapse as the driver's [`driver::Learner`]: a [`Method`] for the estimates,
/// `cml` for validation and λ's bounds.
struct SynapseLearner<'a, Me: ?Sized, N: Precision, M, L, const P: usize> {
    method: &'a Me,
    cml: &'a Cml<N, M, P, L>,
    outer: Outer,
}

impl<Me, N, M, L, T, const D: usize, const S: usize, const Q: usize, const P: usize>
    driver::Learner<N, T, D, S, Q> for SynapseLearner<'_, Me, N, M, L, P>
where
    N: Precision,
    M: Model<N> + Sync,
    L: Loss<N, T> + Sync,
    T: Sync,
    Me: Method<N, T, D, S, Q, P> + ?Sized,
{
    type Theta = ComplexSynapse<N, P>;
    type Worker = Worker<N, P>;
    type Optimizer = Box<dyn MetaOptimizer<N, P>>;

    fn optimizer(&self) -> Result<Self::Optimizer, TrainError> {
        self.outer.build::<N, P>()
    }

    fn set_lr(optimizer: &mut Self::Optimizer, lr: f64) {
        let _ = optimizer.set_lr(lr);
    }

    fn worker(&self) -> Self::Worker {
        Worker::new()
    }

    fn run(
        &self,
        worker: &mut Self::Worker,
        theta: &Self::Theta,
        tasks: &[Task<N::Act, D, S, Q, T>],
    ) {
        worker.clear();
        worker.run(self.method, theta, tasks);
    }

    fn absorb(into: &mut Self::Worker, other: &Self::Worker) {
        into.absorb(other);
    }

    fn tally(worker: &Self::Worker) -> (u32, u32) {
        (worker.tasks(), worker.dropped())
    }

    fn step(
        &self,
        theta: &mut Self::Theta,
        worker: &Self::Worker,
        optimizer: &mut Self::Optimizer,
    ) -> Result<(), Error> {
        let (sum_omega, sum_lambda) = worker.sums();
        optimizer.step(
            theta,
            sum_omega,
            sum_lambda,
            worker.tasks(),
            &self.cml.bounds(),
        )
    }

    fn validate(
        &self,
        theta: &Self::Theta,
        tasks: &[Task<N::Act, D, S, Q, T>],
        steps: Option<u32>,
        threads: usize,
    ) -> Evaluation {
        evaluate(self.cml, theta, tasks, steps, threads)
    }
}
