//! The meta-training loop itself, for any model kind: validation, model selection, restores,
//! the learning-rate schedule, and meta-batches spread over threads.
//!
//! What differs between the complex synapse and the dual system (their θ, their per-thread
//! sums, their optimisers, how a task becomes an estimate and how θ is judged) sits behind
//! [`Learner`]; the loop in [`run`] is written once.

use super::{Evaluation, Run, Settings, TaskSource, TrainError, ValidationPoint};
use crate::num::Precision;
use crate::rng::SplitMix64;
use crate::task::Task;
use crate::Error;
use std::time::Instant;

/// One model kind, as the loop sees it.
pub(crate) trait Learner<N: Precision, T, const D: usize, const S: usize, const Q: usize>:
    Sync
{
    /// The meta-state.
    type Theta: Clone + Sync;
    /// One thread's scratch and partial sum of a meta-batch.
    type Worker: Send;
    /// The outer optimiser(s).
    type Optimizer;

    /// A fresh optimiser (at the start, and after θ is restored).
    fn optimizer(&self) -> Result<Self::Optimizer, TrainError>;
    /// Sets the outer learning rate; a rate the format cannot hold keeps the previous one.
    fn set_lr(optimizer: &mut Self::Optimizer, lr: f64);
    /// Empty scratch and sum.
    fn worker(&self) -> Self::Worker;
    /// Empties a worker's sum and counts, then adds each of `tasks` (or counts it dropped).
    fn run(
        &self,
        worker: &mut Self::Worker,
        theta: &Self::Theta,
        tasks: &[Task<N::Act, D, S, Q, T>],
    );
    /// Adds `other`'s sum and counts into `into`.
    fn absorb(into: &mut Self::Worker, other: &Self::Worker);
    /// Tasks used and dropped in a worker's sum.
    fn tally(worker: &Self::Worker) -> (u32, u32);
    /// One outer step along the mean of `worker`'s sum, all or nothing.
    fn step(
        &self,
        theta: &mut Self::Theta,
        worker: &Self::Worker,
        optimizer: &mut Self::Optimizer,
    ) -> Result<(), Error>;
    /// Adapts θ to each task, as a device would, and measures the query loss.
    fn validate(
        &self,
        theta: &Self::Theta,
        tasks: &[Task<N::Act, D, S, Q, T>],
        steps: Option<u32>,
        threads: usize,
    ) -> Evaluation;
}

/// The loop of the [module docs of `train`](super), for any [`Learner`].
pub(crate) fn run<N, T, Lr, Src, const D: usize, const S: usize, const Q: usize>(
    learner: &Lr,
    source: &Src,
    mut theta: Lr::Theta,
    settings: &Settings,
) -> Result<Run<Lr::Theta>, TrainError>
where
    N: Precision,
    T: Sync,
    Lr: Learner<N, T, D, S, Q>,
    Src: TaskSource<N::Act, D, S, Q, T> + ?Sized,
{
    settings.check()?;
    let mut optimizer = learner.optimizer()?;
    let threads = settings.threads;
    let mut validation_rng = SplitMix64::new(settings.validation_seed);
    let validation = (0..settings.validation_tasks)
        .map(|_| source.validation_task(&mut validation_rng))
        .collect::<Result<Vec<_>, _>>()
        .map_err(TrainError::Source)?;
    let validate = |theta: &Lr::Theta| {
        learner.validate(theta, &validation, settings.validation_steps, threads)
    };
    let mut workers: Vec<Lr::Worker> = (0..threads.min(settings.meta_batch))
        .map(|_| learner.worker())
        .collect();
    let mut rng = SplitMix64::new(settings.seed);
    let mut batch: Vec<Task<N::Act, D, S, Q, T>> = Vec::with_capacity(settings.meta_batch);
    let peak = settings.outer.lr();
    let interval = 1.0 / settings.validation_points.max(1) as f64;

    let start = Instant::now();
    let (mut training_seconds, mut validation_seconds) = (0.0, 0.0);
    let mut curve: Vec<ValidationPoint> = Vec::new();
    let (mut iterations, mut tasks_used, mut dropped, mut rejected) = (0u64, 0u64, 0u64, 0u64);
    let mut restored = 0u32;
    let mut next_validation = 0.0;
    let mut best = (f64::INFINITY, theta.clone());
    // Validation loss of the current θ (the best one's after a restore).
    let mut current_loss = f64::INFINITY;
    loop {
        let elapsed = start.elapsed().as_secs_f64();
        let progress = settings.budget_used(elapsed, iterations);
        let done = progress >= 1.0;
        if done || progress >= next_validation {
            let validation_start = Instant::now();
            let result = validate(&theta);
            validation_seconds += validation_start.elapsed().as_secs_f64();
            let loss = result.mean;
            curve.push(ValidationPoint {
                seconds: elapsed,
                iteration: iterations,
                loss,
                diverged: result.diverged,
            });
            let mut note = "";
            current_loss = loss;
            if loss < best.0 {
                best = (loss, theta.clone());
            } else if loss.is_nan()
                || loss > settings.restore_factor * best.0 + settings.restore_margin
            {
                // θ ran off: back to the best θ seen, with a fresh optimiser.
                theta = best.1.clone();
                current_loss = best.0;
                optimizer = learner.optimizer()?;
                restored += 1;
                note = "  (ran off: restored the best θ)";
            }
            if let Some(label) = &settings.progress {
                eprintln!(
                    "[{label:<11}] {elapsed:>7.1} s  iteration {iterations:>6}  validation loss {loss:.4}  dropped {dropped}{note}"
                );
            }
            next_validation += interval;
        }
        if done {
            break;
        }
        Lr::set_lr(&mut optimizer, settings.schedule.rate(peak, progress));
        batch.clear();
        for _ in 0..settings.meta_batch {
            batch.push(source.train_task(&mut rng).map_err(TrainError::Source)?);
        }

        let step_start = Instant::now();
        let per_thread = batch.len().div_ceil(workers.len());
        let theta_now = &theta;
        if workers.len() == 1 {
            learner.run(&mut workers[0], theta_now, &batch);
        } else {
            std::thread::scope(|scope| {
                for (worker, tasks) in workers.iter_mut().zip(batch.chunks(per_thread)) {
                    scope.spawn(move || learner.run(worker, theta_now, tasks));
                }
            });
        }
        let (first, rest) = workers
            .split_first_mut()
            .ok_or(TrainError::Settings("threads must be at least 1"))?;
        for other in rest.iter() {
            Lr::absorb(first, other);
        }
        let (used, dropped_now) = Lr::tally(first);
        dropped += dropped_now as u64;
        tasks_used += used as u64;
        if used > 0 && learner.step(&mut theta, first, &mut optimizer).is_err() {
            rejected += 1;
        }
        training_seconds += step_start.elapsed().as_secs_f64();
        iterations += 1;
    }
    // Model selection on the validation tasks: the final θ unless an earlier one was better.
    let (best_validation_loss, theta) = if best.0 < current_loss {
        best
    } else {
        (current_loss, theta)
    };
    Ok(Run {
        theta,
        best_validation_loss,
        initial_validation_loss: curve.first().map_or(f64::NAN, |c| c.loss),
        curve,
        iterations,
        tasks_used,
        dropped,
        rejected,
        restored,
        seconds: start.elapsed().as_secs_f64(),
        training_seconds,
        validation_seconds,
    })
}
