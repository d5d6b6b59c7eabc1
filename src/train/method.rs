//! How one task becomes a meta-gradient: CML's estimate with its filters, or a method of the
//! user's own (a baseline to compare against) run by the same driver.

use crate::cml::{Cml, Workspace};
use crate::loss::Loss;
use crate::nn::Model;
use crate::num::{Precision, Scalar};
use crate::synapse::ComplexSynapse;
use crate::task::Task;

/// One thread's buffers and its partial sum of a meta-batch's estimates.
///
/// A [`Method`] may use [`Worker::workspace`], [`Worker::phi`] and [`Worker::grad`] as
/// scratch, then adds its task's `(ĝ_ω, ĝ_λ)` with [`Worker::add`] or
/// [`Worker::add_workspace`].
#[derive(Clone, Debug)]
pub struct Worker<N: Precision, const P: usize> {
    /// CML's phase buffers.
    pub workspace: Box<Workspace<N, P>>,
    /// Scratch for adapted weights.
    pub phi: Box<[N::Param; P]>,
    /// Scratch for a gradient.
    pub grad: Box<[N::Param; P]>,
    sum_omega: Box<[N::Param; P]>,
    sum_lambda: Box<[N::Param; P]>,
    tasks: u32,
    dropped: u32,
}

impl<N: Precision, const P: usize> Default for Worker<N, P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Precision, const P: usize> Worker<N, P> {
    /// Zeroed buffers and an empty sum.
    pub fn new() -> Self {
        let zero = || Box::new([N::Param::ZERO; P]);
        Self {
            workspace: Box::new(Workspace::new()),
            phi: zero(),
            grad: zero(),
            sum_omega: zero(),
            sum_lambda: zero(),
            tasks: 0,
            dropped: 0,
        }
    }

    /// Empties the sum.
    pub(crate) fn clear(&mut self) {
        self.sum_omega.fill(N::Param::ZERO);
        self.sum_lambda.fill(N::Param::ZERO);
        self.tasks = 0;
        self.dropped = 0;
    }

    /// Adds one task's `(ĝ_ω, ĝ_λ)`, given element by element.
    pub fn add(&mut self, mut g: impl FnMut(usize) -> (N::Param, N::Param)) {
        for i in 0..P {
            let (g_omega, g_lambda) = g(i);
            self.sum_omega[i] = self.sum_omega[i].add(g_omega);
            self.sum_lambda[i] = self.sum_lambda[i].add(g_lambda);
        }
        self.tasks += 1;
    }

    /// Adds the estimate that [`Cml::estimate`] left in [`Worker::workspace`].
    pub fn add_workspace(&mut self) {
        let (g_omega, g_lambda) = self.workspace.meta_gradient();
        for i in 0..P {
            self.sum_omega[i] = self.sum_omega[i].add(g_omega[i]);
            self.sum_lambda[i] = self.sum_lambda[i].add(g_lambda[i]);
        }
        self.tasks += 1;
    }

    /// Tasks added since the sum was last emptied.
    pub fn tasks(&self) -> u32 {
        self.tasks
    }

    /// Adds another worker's sum into this one, task counts and drops included.
    pub(crate) fn absorb(&mut self, other: &Self) {
        for i in 0..P {
            self.sum_omega[i] = self.sum_omega[i].add(other.sum_omega[i]);
            self.sum_lambda[i] = self.sum_lambda[i].add(other.sum_lambda[i]);
        }
        self.tasks += other.tasks;
        self.dropped += other.dropped;
    }

    /// Runs `method` on each task, counting the dropped ones.
    pub(crate) fn run<Me, T, const D: usize, const S: usize, const Q: usize>(
        &mut self,
        method: &Me,
        theta: &ComplexSynapse<N, P>,
        tasks: &[Task<N::Act, D, S, Q, T>],
    ) where
        Me: Method<N, T, D, S, Q, P> + ?Sized,
    {
        for task in tasks {
            if !method.task(theta, task, self) {
                self.dropped += 1;
            }
        }
    }

    /// The summed estimates.
    pub(crate) fn sums(&self) -> (&[N::Param; P], &[N::Param; P]) {
        (&self.sum_omega, &self.sum_lambda)
    }

    /// Tasks dropped since the sum was last emptied.
    pub(crate) fn dropped(&self) -> u32 {
        self.dropped
    }
}

/// How one task becomes a meta-gradient. [`super::train`] uses [`CmlMethod`];
/// [`super::train_with`] runs any other method (first-order, implicit, MAML, Reptile, …) with
/// the same task stream, meta-batches, optimiser, schedule and validation, so that results
/// compare like for like.
pub trait Method<N: Precision, T, const D: usize, const S: usize, const Q: usize, const P: usize>:
    Sync
{
    /// Adds the task's meta-gradient to `worker` (with [`Worker::add`] or
    /// [`Worker::add_workspace`]) and returns `true`, or returns `false` to drop the task
    /// (its states diverged, say). θ is only read.
    fn task(
        &self,
        theta: &ComplexSynapse<N, P>,
        task: &Task<N::Act, D, S, Q, T>,
        worker: &mut Worker<N, P>,
    ) -> bool;
}

/// CML: the library's estimate ([`Cml::estimate`]), dropped when a phase diverges (the
/// library reports it) or runs away while staying finite.
///
/// Why the runaway filters: `F − β·L_out` is unbounded below for a multilayer network, so a
/// nudged phase can flee without overflowing, and one such task would steer the whole
/// meta-batch. A task is dropped when its free-phase query loss exceeds `runaway_query_loss`
/// or any element of its estimate exceeds `runaway_estimate` in magnitude
/// ([`super::Settings`] documents the defaults).
#[derive(Clone, Copy, Debug)]
pub struct CmlMethod<'a, N: Precision, M, L, const P: usize> {
    /// The rule.
    pub cml: &'a Cml<N, M, P, L>,
    /// Largest free-phase query loss of a task that is kept.
    pub runaway_query_loss: f64,
    /// Largest magnitude of an estimate's element for a task that is kept.
    pub runaway_estimate: f64,
}

impl<N, M, L, T, const D: usize, const S: usize, const Q: usize, const P: usize>
    Method<N, T, D, S, Q, P> for CmlMethod<'_, N, M, L, P>
where
    N: Precision,
    M: Model<N> + Sync,
    L: Loss<N, T> + Sync,
    T: Sync,
{
    fn task(
        &self,
        theta: &ComplexSynapse<N, P>,
        task: &Task<N::Act, D, S, Q, T>,
        worker: &mut Worker<N, P>,
    ) -> bool {
        let Ok(report) = self.cml.estimate(theta, task, &mut worker.workspace) else {
            return false;
        };
        let query_loss = report.query_loss.to_f64();
        if query_loss.is_nan() || query_loss > self.runaway_query_loss {
            return false;
        }
        let (g_omega, g_lambda) = worker.workspace.meta_gradient();
        let largest = g_omega
            .iter()
            .chain(g_lambda.iter())
            .fold(0.0f64, |m, g| m.max(g.to_f64().abs()));
        if largest > self.runaway_estimate {
            return false;
        }
        worker.add_workspace();
        true
    }
}
