//! Meta-training the dual system with the same driver as the complex synapse.

use super::driver::{self, Learner};
use super::{evaluate_dual, Evaluation, Outer, Run, Settings, TaskSource, TrainError};
use crate::dual::{DualCml, DualMetaGradient, DualModel, DualState, DualWorkspace};
use crate::loss::{Loss, LossName};
use crate::num::{Precision, Scalar};
use crate::optim::VectorOptimizer;
use crate::rng::SplitMix64;
use crate::store;
use crate::task::Task;
use crate::Error;

/// What a dual-system run produced.
pub type TrainedDual<N, const B: usize, const F: usize> = Run<DualState<N, B, F>>;

impl<N: Precision, const B: usize, const F: usize> TrainedDual<N, B, F> {
    /// θ and the rule's settings in [`crate::store`]'s format (version 4, what a device
    /// loads with [`store::decode_dual`]).
    pub fn export<S, L>(&self, cml: &DualCml<N, S, B, F, L>) -> Result<Vec<u8>, Error>
    where
        S: DualModel<N>,
        L: LossName,
    {
        let mut bytes = vec![0u8; store::encoded_dual_len(B, F)];
        let written = store::encode_dual(cml, &self.theta, &mut bytes)?;
        bytes.truncate(written);
        Ok(bytes)
    }
}

/// θ for a dual system that has learned nothing yet: every body weight and bias of a layer
/// uniform in `±1/√fan_in` (drawn in the body's order), and the authors' initial fast state
/// (gains 1, shifts 0, zero read-out).
///
/// [`Error::InvalidConfig`] if `B` and `F` are not the system's sizes, [`Error::OutOfRange`] if
/// a value does not fit the format.
pub fn initial_dual<N, S, const B: usize, const F: usize>(
    system: &S,
    rng: &mut SplitMix64,
) -> Result<DualState<N, B, F>, Error>
where
    N: Precision,
    S: DualModel<N>,
{
    if S::BODY != B || S::FAST != F {
        return Err(Error::InvalidConfig(
            "B and F must equal the system's body and fast-state lengths",
        ));
    }
    let shape = system.shape();
    let hidden = shape.layers().split_last().map_or(&[][..], |(_, h)| h);
    let mut body = Box::new([N::Param::ZERO; B]);
    let mut fan_in = shape.inputs as usize;
    let mut at = 0;
    for layer in hidden {
        let count = layer.outputs as usize * (fan_in + 1);
        let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
        for w in body.iter_mut().skip(at).take(count) {
            *w = N::Param::from_f64(rng.uniform(-bound, bound)).ok_or(Error::OutOfRange)?;
        }
        at += count;
        fan_in = layer.outputs as usize;
    }
    DualState::with_initial_fast(system, *body)
}

/// Meta-trains a dual system's θ with CML on tasks from `source`: the loop of
/// [`super::train`] (validation, model selection, restores, schedule, threads), with
/// [`DualCml::estimate`] per task, the outer optimiser of `settings` on the body and (when μ
/// is set) on the initial fast state, and [`DualCml::adapt`] for validation. Tasks are dropped
/// when a phase diverges, when the free-phase query loss exceeds
/// [`Settings::runaway_query_loss`], or when an element of the estimate exceeds
/// [`Settings::runaway_estimate`], as for the complex synapse.
pub fn train_dual<
    N,
    S,
    L,
    T,
    Src,
    const D: usize,
    const SH: usize,
    const Q: usize,
    const B: usize,
    const F: usize,
>(
    cml: &DualCml<N, S, B, F, L>,
    source: &Src,
    theta: DualState<N, B, F>,
    settings: &Settings,
) -> Result<TrainedDual<N, B, F>, TrainError>
where
    N: Precision,
    S: DualModel<N> + Sync,
    L: Loss<N, T> + Sync,
    T: Sync,
    Src: TaskSource<N::Act, D, SH, Q, T> + ?Sized,
{
    let learner = DualLearner {
        cml,
        outer: settings.outer,
        runaway_query_loss: settings.runaway_query_loss,
        runaway_estimate: settings.runaway_estimate,
    };
    driver::run(&learner, source, theta, settings)
}

struct DualLearner<'a, N: Precision, S, L, const B: usize, const F: usize> {
    cml: &'a DualCml<N, S, B, F, L>,
    outer: Outer,
    runaway_query_loss: f64,
    runaway_estimate: f64,
}

/// One thread's phase buffers, the current task's estimate, and the sum of the kept ones.
struct DualWorker<N: Precision, const B: usize, const F: usize> {
    workspace: Box<DualWorkspace<N, F>>,
    task: Box<DualMetaGradient<N, B, F>>,
    sum: Box<DualMetaGradient<N, B, F>>,
    dropped: u32,
}

type Optimizers<N, const B: usize, const F: usize> = (
    Box<dyn VectorOptimizer<N, B>>,
    Box<dyn VectorOptimizer<N, F>>,
);

impl<
        N,
        S,
        L,
        T,
        const D: usize,
        const SH: usize,
        const Q: usize,
        const B: usize,
        const F: usize,
    > Learner<N, T, D, SH, Q> for DualLearner<'_, N, S, L, B, F>
where
    N: Precision,
    S: DualModel<N> + Sync,
    L: Loss<N, T> + Sync,
    T: Sync,
{
    type Theta = DualState<N, B, F>;
    type Worker = DualWorker<N, B, F>;
    type Optimizer = Optimizers<N, B, F>;

    fn optimizer(&self) -> Result<Self::Optimizer, TrainError> {
        Ok((
            self.outer.build_vector::<N, B>()?,
            self.outer.build_vector::<N, F>()?,
        ))
    }

    fn set_lr(optimizer: &mut Self::Optimizer, lr: f64) {
        let _ = optimizer.0.set_vector_lr(lr);
        let _ = optimizer.1.set_vector_lr(lr);
    }

    fn worker(&self) -> Self::Worker {
        DualWorker {
            workspace: Box::new(DualWorkspace::new()),
            task: Box::new(DualMetaGradient::new()),
            sum: Box::new(DualMetaGradient::new()),
            dropped: 0,
        }
    }

    fn run(
        &self,
        worker: &mut Self::Worker,
        theta: &Self::Theta,
        tasks: &[Task<N::Act, D, SH, Q, T>],
    ) {
        worker.sum.clear();
        worker.dropped = 0;
        for task in tasks {
            worker.task.clear();
            let kept = match self
                .cml
                .estimate(theta, task, &mut worker.workspace, &mut worker.task)
            {
                Ok(report) => {
                    let query_loss = report.query_loss.to_f64();
                    query_loss <= self.runaway_query_loss
                        && worker.task.largest() <= self.runaway_estimate
                }
                Err(_) => false,
            };
            if kept {
                worker.sum.absorb(&worker.task);
            } else {
                worker.dropped += 1;
            }
        }
    }

    fn absorb(into: &mut Self::Worker, other: &Self::Worker) {
        into.sum.absorb(&other.sum);
        into.dropped += other.dropped;
    }

    fn tally(worker: &Self::Worker) -> (u32, u32) {
        (worker.sum.tasks(), worker.dropped)
    }

    fn step(
        &self,
        theta: &mut Self::Theta,
        worker: &Self::Worker,
        optimizer: &mut Self::Optimizer,
    ) -> Result<(), Error> {
        let (body, init) = optimizer;
        self.cml.apply(theta, &worker.sum, &mut **body, &mut **init)
    }

    fn validate(
        &self,
        theta: &Self::Theta,
        tasks: &[Task<N::Act, D, SH, Q, T>],
        steps: Option<u32>,
        threads: usize,
    ) -> Evaluation {
        evaluate_dual(self.cml, theta, tasks, steps, threads)
    }
}
