//! The driver's settings: budget, meta-batch, threads, outer optimiser and its schedule,
//! validation, and the filters that keep a run stable. Every field has a documented default.

use super::TrainError;
use crate::num::Precision;
use crate::optim::{Adam, MetaOptimizer, Sgd, VectorOptimizer};

/// Seed of the validation stream unless [`Settings::validation_seed`] says otherwise: its own
/// stream, apart from the training tasks (seed [`Settings::seed`]) and from any held-out set.
pub const VALIDATION_SEED: u64 = 0x0056_414C_4944;

/// The outer (meta-) optimiser and its peak learning rate.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Outer {
    /// [`Adam`] at `lr`; on `ρ = ln λ` when `log_lambda` (see [`Adam::log_lambda`]).
    Adam {
        /// Peak learning rate.
        lr: f64,
        /// Move `ln λ` instead of λ.
        log_lambda: bool,
    },
    /// Plain [`Sgd`] at `lr`.
    Sgd {
        /// Peak learning rate.
        lr: f64,
    },
}

impl Outer {
    /// The peak learning rate.
    pub fn lr(&self) -> f64 {
        match *self {
            Outer::Adam { lr, .. } | Outer::Sgd { lr } => lr,
        }
    }

    /// A fresh optimiser (no moments): at the start, and after θ is restored.
    pub(crate) fn build<N: Precision, const P: usize>(
        &self,
    ) -> Result<Box<dyn MetaOptimizer<N, P>>, TrainError> {
        Ok(match *self {
            Outer::Adam { lr, log_lambda } => {
                Box::new(Adam::<N, P>::new(lr)?.log_lambda(log_lambda))
            }
            Outer::Sgd { lr } => Box::new(Sgd::<N>::new(lr)?),
        })
    }

    /// A fresh optimiser for a plain vector (the dual system's body or initial fast state;
    /// `log_lambda` does not apply).
    pub(crate) fn build_vector<N: Precision, const P: usize>(
        &self,
    ) -> Result<Box<dyn VectorOptimizer<N, P>>, TrainError> {
        Ok(match *self {
            Outer::Adam { lr, .. } => Box::new(Adam::<N, P>::new(lr)?),
            Outer::Sgd { lr } => Box::new(Sgd::<N>::new(lr)?),
        })
    }
}

/// How the outer learning rate moves over the budget.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Schedule {
    /// `lr · ½(1 + cos πf)` at the fraction `f` of the budget used, never below `lr · 1e-3`.
    Cosine,
    /// `lr` throughout.
    Constant,
}

impl Schedule {
    /// The rate at `fraction` of the budget for a peak rate `peak`.
    pub fn rate(&self, peak: f64, fraction: f64) -> f64 {
        match self {
            Schedule::Cosine => {
                let f = fraction.clamp(0.0, 1.0);
                (peak * 0.5 * (1.0 + (std::f64::consts::PI * f).cos())).max(peak * 1e-3)
            }
            Schedule::Constant => peak,
        }
    }
}

/// Everything [`super::train`] is told besides the rule, the task source and the initial θ.
///
/// ```
/// use tinycml::train::{Outer, Settings};
///
/// // The defaults, with a budget of 30 s or 5,000 meta-iterations, whichever ends first.
/// let settings = Settings {
///     seconds: Some(30.0),
///     iterations: Some(5_000),
///     ..Settings::default()
/// };
/// assert_eq!(settings.meta_batch, 12);
/// assert_eq!(settings.outer, Outer::Adam { lr: 1e-2, log_lambda: true });
/// assert!(settings.check().is_ok());
/// assert!(Settings { meta_batch: 0, ..Settings::default() }.check().is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Seed of the training-task stream. Default 1.
    pub seed: u64,
    /// Wall-clock budget in seconds, validation included. Default `None`; for a wall-clock
    /// budget alone, also set `iterations: None`.
    pub seconds: Option<f64>,
    /// Budget in meta-iterations. Default `Some(1000)`. With both budgets the run ends at the
    /// first one spent; at least one must be set. An iteration budget alone makes a run
    /// reproducible bit for bit; a wall-clock one makes the work done depend on the machine.
    pub iterations: Option<u64>,
    /// Tasks per meta-iteration. Default 12.
    pub meta_batch: usize,
    /// Threads a meta-batch (and a validation) is spread over. Default: the cores available.
    /// The result does not depend on it except through the floating-point order of the
    /// batch's sum (one partial sum per thread).
    pub threads: usize,
    /// Outer optimiser. Default Adam at 1e-2 on `ln λ`.
    pub outer: Outer,
    /// Outer learning-rate schedule over the budget. Default [`Schedule::Cosine`].
    pub schedule: Schedule,
    /// Validation tasks, drawn once before training. Default 50; at least 1.
    pub validation_tasks: usize,
    /// Seed of the validation tasks. Default [`VALIDATION_SEED`].
    pub validation_seed: u64,
    /// Adaptation steps when validating (`None`: the rule's `free_steps`). Default `None`.
    pub validation_steps: Option<u32>,
    /// Validations evenly spread over the budget, besides the one before training. Default 24.
    pub validation_points: u32,
    /// θ has run off when a validation loss exceeds `restore_factor × best + restore_margin`
    /// (or is NaN): the best θ so far is restored, with a fresh optimiser. Default 3.
    pub restore_factor: f64,
    /// See [`Settings::restore_factor`]; in the loss's reported units. Default 0.5.
    pub restore_margin: f64,
    /// A task whose free-phase query loss (as the loss reports it) exceeds this ran away
    /// without overflowing, and is dropped. Default 100; `f64::INFINITY` turns it off.
    pub runaway_query_loss: f64,
    /// A task whose estimate has any element larger than this in magnitude came from a phase
    /// that ran away (typical elements are 1e-4 … 1e-1), and is dropped. Default 100.
    pub runaway_estimate: f64,
    /// Label of the progress lines on stderr, one per validation; `None` is silent.
    /// Default `Some("cml")`.
    pub progress: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            seed: 1,
            seconds: None,
            iterations: Some(1000),
            meta_batch: 12,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            outer: Outer::Adam {
                lr: 1e-2,
                log_lambda: true,
            },
            schedule: Schedule::Cosine,
            validation_tasks: 50,
            validation_seed: VALIDATION_SEED,
            validation_steps: None,
            validation_points: 24,
            restore_factor: 3.0,
            restore_margin: 0.5,
            runaway_query_loss: 100.0,
            runaway_estimate: 100.0,
            progress: Some("cml".into()),
        }
    }
}

impl Settings {
    /// [`TrainError::Settings`] naming the first invalid field: no budget, a budget that is
    /// not positive, an empty meta-batch or validation set, no threads, a learning rate that
    /// is not positive, or a filter or restore threshold that is NaN.
    pub fn check(&self) -> Result<(), TrainError> {
        let fail = |what| Err(TrainError::Settings(what));
        match (self.seconds, self.iterations) {
            (None, None) => return fail("set a budget: seconds, iterations or both"),
            (Some(s), _) if s.is_nan() || s <= 0.0 => return fail("seconds must be > 0"),
            (_, Some(0)) => return fail("iterations must be > 0"),
            _ => {}
        }
        if self.meta_batch == 0 {
            return fail("meta_batch must be at least 1");
        }
        if self.threads == 0 {
            return fail("threads must be at least 1");
        }
        if self.validation_tasks == 0 {
            return fail("validation_tasks must be at least 1 (best-θ keeping needs them)");
        }
        if self.validation_steps == Some(0) {
            return fail("validation_steps must be at least 1");
        }
        let lr = self.outer.lr();
        if lr.is_nan() || lr <= 0.0 {
            return fail("the outer learning rate must be > 0");
        }
        if [
            self.restore_factor,
            self.restore_margin,
            self.runaway_query_loss,
            self.runaway_estimate,
        ]
        .iter()
        .any(|v| v.is_nan())
        {
            return fail("restore and runaway thresholds must not be NaN");
        }
        Ok(())
    }

    /// The fraction of the budget used after `seconds` and `iterations` (≥ 1: done).
    pub(crate) fn budget_used(&self, seconds: f64, iterations: u64) -> f64 {
        let by_time = self.seconds.map_or(0.0, |budget| seconds / budget);
        let by_count = self
            .iterations
            .map_or(0.0, |budget| iterations as f64 / budget as f64);
        by_time.max(by_count)
    }
}
