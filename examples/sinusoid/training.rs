//! Meta-training: one driver for CML and every trained baseline.
//!
//! A method only says how one task turns into a meta-gradient ([`Method::task`]); the driver
//! does the rest identically for all of them, so the comparison is fair: the same training
//! tasks in the same order, the same meta-batch, the same Adam with a cosine-decayed rate over
//! the same kind of wall-clock budget, the same meta-validation. A meta-batch is split over
//! worker threads; each keeps its own buffers and partial sums, added up before the step.

use crate::evaluation::{self, Heldout};
use std::time::Instant;
use tinycml::*;

/// Parameters of the 1-40-40-1 sinusoid network.
pub const P: usize = SinusoidMlp::PARAMS;
/// A training task, drawn once in `f64` (its values are `f32`-exact) and converted per method.
pub type TrainTask = Task<f64, 1, 10, 10>;

/// Support and query shots per training task (ALGORITHM.md §6: K = 10, 10 query points).
pub const TRAIN_SHOTS: usize = 10;

/// One thread's buffers and partial meta-gradient sums.
pub struct Worker<N: Precision> {
    /// CML's phase buffers.
    pub ws: Box<Workspace<N, P>>,
    /// Scratch for adapted weights.
    pub phi: Box<[N::Param; P]>,
    /// Scratch for a gradient.
    pub grad: Box<[N::Param; P]>,
    sum_omega: Box<[N::Param; P]>,
    sum_lambda: Box<[N::Param; P]>,
    tasks: u32,
    dropped: u32,
}

impl<N: Precision> Worker<N> {
    fn new() -> Self {
        let zero = || Box::new([<N::Param as Scalar>::ZERO; P]);
        Self {
            ws: Box::new(Workspace::new()),
            phi: zero(),
            grad: zero(),
            sum_omega: zero(),
            sum_lambda: zero(),
            tasks: 0,
            dropped: 0,
        }
    }

    fn clear(&mut self) {
        self.sum_omega.fill(<N::Param as Scalar>::ZERO);
        self.sum_lambda.fill(<N::Param as Scalar>::ZERO);
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

    /// Adds the estimate left in [`Worker::ws`] by `Cml::estimate`.
    pub fn add_workspace(&mut self) {
        let (g_omega, g_lambda) = self.ws.meta_gradient();
        for i in 0..P {
            self.sum_omega[i] = self.sum_omega[i].add(g_omega[i]);
            self.sum_lambda[i] = self.sum_lambda[i].add(g_lambda[i]);
        }
        self.tasks += 1;
    }
}

/// How one task becomes a meta-gradient.
pub trait Method<N: Precision>: Sync {
    /// Adds the task's meta-gradient to `worker` and returns true, or returns false when the
    /// task must be dropped (its states diverged).
    fn task(&self, theta: &ComplexSynapse<N, P>, task: &TrainTask, worker: &mut Worker<N>) -> bool;
}

/// The outer optimiser of a method.
#[derive(Clone, Copy, Debug)]
pub enum Outer {
    /// Adam at this rate, optionally on `ρ = ln λ`.
    Adam {
        /// Peak learning rate.
        lr: f64,
        /// Learn `ln λ` instead of λ.
        log_lambda: bool,
    },
    /// Plain SGD at this rate (Reptile's ε).
    Sgd {
        /// Peak learning rate.
        lr: f64,
    },
}

/// The budget and shape of one meta-training run.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    /// Short name for progress lines.
    pub name: &'static str,
    /// Wall-clock budget in seconds; the rate decays to ~0 over it.
    pub seconds: f64,
    /// Tasks per meta-iteration.
    pub meta_batch: usize,
    /// Outer optimiser.
    pub outer: Outer,
    /// Worker threads.
    pub threads: usize,
    /// Adaptation steps used for meta-validation.
    pub validation_steps: u32,
    /// Meta-validation points over the run (besides the first and the last).
    pub validation_points: u32,
}

/// One meta-validation measurement.
#[derive(Clone, Copy, Debug)]
pub struct CurvePoint {
    /// Seconds since the start of meta-training.
    pub seconds: f64,
    /// Meta-iterations done.
    pub iteration: u64,
    /// Mean query MSE of the adapted learner on the validation tasks (K = 10).
    pub mse: f64,
}

/// What a meta-training run produced.
pub struct Trained<N: Precision> {
    /// The meta-learned state: the last one, or an earlier one that validated better.
    pub theta: ComplexSynapse<N, P>,
    /// Meta-validation MSE over training.
    pub curve: Vec<CurvePoint>,
    /// Meta-iterations completed.
    pub iterations: u64,
    /// Tasks dropped because their states diverged.
    pub dropped: u64,
    /// Meta-steps refused by the optimiser (θ unchanged).
    pub rejected: u64,
    /// Times θ ran off and was set back to the best validated state.
    pub restored: u32,
    /// Seconds spent, validation included.
    pub seconds: f64,
    /// Seconds spent in meta-iterations alone.
    pub training_seconds: f64,
}

/// The rate of a cosine schedule at `fraction` of the budget, floored so it stays valid.
fn cosine(peak: f64, fraction: f64) -> f64 {
    let f = fraction.clamp(0.0, 1.0);
    (peak * 0.5 * (1.0 + (std::f64::consts::PI * f).cos())).max(peak * 1e-3)
}

fn new_optimizer<N: Precision>(outer: Outer) -> Box<dyn MetaOptimizer<N, P>> {
    match outer {
        Outer::Adam { lr, log_lambda } => Box::new(
            Adam::<N, P>::new(lr)
                .expect("valid meta learning rate")
                .log_lambda(log_lambda),
        ),
        Outer::Sgd { lr } => Box::new(Sgd::<N>::new(lr).expect("valid meta learning rate")),
    }
}

/// Runs `method` from `theta` for the schedule's budget, drawing tasks from `rng`.
pub fn meta_train<N: Precision, Me: Method<N>>(
    method: &Me,
    cml: &Cml<N, SinusoidMlp, P>,
    mut theta: ComplexSynapse<N, P>,
    schedule: &Schedule,
    rng: &mut SplitMix64,
    validation: &[Heldout],
) -> Trained<N> {
    let mut optimizer = new_optimizer::<N>(schedule.outer);
    let peak = match schedule.outer {
        Outer::Adam { lr, .. } | Outer::Sgd { lr } => lr,
    };
    let threads = schedule.threads.max(1);
    let mut workers: Vec<Worker<N>> = (0..threads).map(|_| Worker::new()).collect();
    let start = Instant::now();
    let mut training = 0.0;
    let mut curve = Vec::new();
    let (mut iterations, mut dropped, mut rejected) = (0u64, 0u64, 0u64);
    let validate = |theta: &ComplexSynapse<N, P>| {
        evaluation::mean_mse(
            cml,
            theta,
            validation,
            TRAIN_SHOTS,
            schedule.validation_steps,
            threads,
        )
    };
    let interval = schedule.seconds / schedule.validation_points.max(1) as f64;
    let mut next_validation = 0.0;
    let mut best = (f64::INFINITY, theta.clone());
    let mut restored = 0u32;
    loop {
        let elapsed = start.elapsed().as_secs_f64();
        let done = elapsed >= schedule.seconds;
        if done || elapsed >= next_validation {
            let mse = validate(&theta);
            curve.push(CurvePoint {
                seconds: elapsed,
                iteration: iterations,
                mse,
            });
            let mut note = "";
            if mse < best.0 {
                best = (mse, theta.clone());
            } else if mse.is_nan() || mse > 3.0 * best.0 + 0.5 {
                // θ ran off (or NaN): go back to the best state seen, with a fresh optimiser.
                theta = best.1.clone();
                optimizer = new_optimizer(schedule.outer);
                restored += 1;
                note = "  (ran off: restored the best θ)";
            }
            println!(
                "[{:<11}] {:>7.1} s  iteration {:>6}  meta-validation MSE {:.4}  dropped {}{note}",
                schedule.name, elapsed, iterations, mse, dropped
            );
            next_validation += interval;
        }
        if done {
            break;
        }
        let _ = optimizer.set_lr(cosine(peak, elapsed / schedule.seconds));
        let batch: Vec<TrainTask> = (0..schedule.meta_batch)
            .map(|_| {
                sinusoid::draw_task::<f64, 10, 10>(rng, TRAIN_SHOTS, TRAIN_SHOTS)
                    .expect("sinusoid tasks fit their buffers")
                    .1
            })
            .collect();
        let step_start = Instant::now();
        let per_thread = batch.len().div_ceil(threads);
        std::thread::scope(|scope| {
            for (worker, tasks) in workers.iter_mut().zip(batch.chunks(per_thread)) {
                let theta = &theta;
                scope.spawn(move || {
                    worker.clear();
                    for task in tasks {
                        if !method.task(theta, task, worker) {
                            worker.dropped += 1;
                        }
                    }
                });
            }
        });
        let (first, rest) = workers.split_first_mut().expect("one worker at least");
        for other in rest.iter_mut() {
            for i in 0..P {
                first.sum_omega[i] = first.sum_omega[i].add(other.sum_omega[i]);
                first.sum_lambda[i] = first.sum_lambda[i].add(other.sum_lambda[i]);
            }
            first.tasks += other.tasks;
            first.dropped += other.dropped;
            other.clear();
        }
        dropped += first.dropped as u64;
        if first.tasks > 0
            && optimizer
                .step(
                    &mut theta,
                    &first.sum_omega,
                    &first.sum_lambda,
                    first.tasks,
                    &cml.bounds(),
                )
                .is_err()
        {
            rejected += 1;
        }
        training += step_start.elapsed().as_secs_f64();
        iterations += 1;
    }
    // Model selection on the meta-validation tasks (never the held-out set): the final θ
    // unless an earlier one validated better.
    let final_mse = curve.last().map_or(f64::INFINITY, |c| c.mse);
    let theta = if best.0 < final_mse { best.1 } else { theta };
    Trained {
        theta,
        restored,
        curve,
        iterations,
        dropped,
        rejected,
        seconds: start.elapsed().as_secs_f64(),
        training_seconds: training,
    }
}

/// The classic initialisation: every weight and bias of a layer uniform in `±1/√fan_in`.
pub fn initial_omega(seed: u64) -> [f64; P] {
    let mut rng = SplitMix64::new(seed ^ 0x1417_1A11_5EED);
    let mut omega = [0.0; P];
    let layers = [(1usize, 40usize), (40, 40), (40, 1)];
    let mut at = 0;
    for (fan_in, outputs) in layers {
        let bound = 1.0 / (fan_in as f64).sqrt();
        for w in &mut omega[at..at + outputs * (fan_in + 1)] {
            *w = rng.uniform(-bound, bound);
        }
        at += outputs * (fan_in + 1);
    }
    omega
}

/// θ in precision `N` from `f64` values (`None` if a value does not fit).
pub fn theta_in<N: Precision>(omega: &[f64; P], lambda: &[f64; P]) -> Option<ComplexSynapse<N, P>> {
    let mut w = Box::new([<N::Param as Scalar>::ZERO; P]);
    let mut l = Box::new([<N::Param as Scalar>::ZERO; P]);
    for i in 0..P {
        w[i] = Scalar::from_f64(omega[i])?;
        l[i] = Scalar::from_f64(lambda[i])?;
    }
    ComplexSynapse::new(*w, *l).ok()
}

/// θ as `f64` values.
pub fn theta_values<N: Precision>(theta: &ComplexSynapse<N, P>) -> (Box<[f64; P]>, Box<[f64; P]>) {
    let mut w = Box::new([0.0; P]);
    let mut l = Box::new([0.0; P]);
    for i in 0..P {
        w[i] = theta.omega()[i].to_f64();
        l[i] = theta.lambda()[i].to_f64();
    }
    (w, l)
}

/// A task converted to the activation format `A` (`None` if a value does not fit).
pub fn convert<A: Scalar, const S: usize, const Q: usize>(
    task: &Task<f64, 1, S, Q>,
) -> Option<Task<A, 1, S, Q>> {
    let shot = |s: &Shot<f64, 1>| Shot::<A, 1>::new(&s.x, s.y).ok();
    let support: Option<Vec<_>> = task.support().iter().map(shot).collect();
    let query: Option<Vec<_>> = task.query().iter().map(shot).collect();
    Task::from_shots(&support?, &query?).ok()
}

/// CML itself: the library's estimate, dropped when a phase diverges.
pub struct CmlMethod<'a, N: Precision> {
    /// The rule.
    pub cml: &'a Cml<N, SinusoidMlp, P>,
}

/// A free-phase query MSE above this means the inner loop ran away without overflowing
/// (predicting 0 scores at most 12.5 on average; a learner 8× worse is broken, not learning).
const RUNAWAY_MSE: f64 = 100.0;
/// A per-task estimate with any element above this is taken from a runaway phase: typical
/// elements are 1e-4 … 1e-1, and one such task would steer a whole meta-batch.
const RUNAWAY_ESTIMATE: f64 = 100.0;

impl<N: Precision> Method<N> for CmlMethod<'_, N> {
    /// The library's estimate, dropped when a phase diverges (the library reports it) or runs
    /// away while staying finite (checked here): ALGORITHM.md §7b, "what breaks CML is
    /// stability" — `F − β·L_out` is unbounded below, and a state that fled takes the
    /// meta-step with it.
    fn task(&self, theta: &ComplexSynapse<N, P>, task: &TrainTask, worker: &mut Worker<N>) -> bool {
        let Some(task) = convert::<N::Act, 10, 10>(task) else {
            return false;
        };
        let Ok(report) = self.cml.estimate(theta, &task, &mut worker.ws) else {
            return false;
        };
        if report.query_loss.to_f64() > RUNAWAY_MSE {
            return false;
        }
        let (g_omega, g_lambda) = worker.ws.meta_gradient();
        let largest = g_omega
            .iter()
            .chain(g_lambda.iter())
            .fold(0.0f64, |m, g| m.max(g.to_f64().abs()));
        if largest > RUNAWAY_ESTIMATE {
            return false;
        }
        worker.add_workspace();
        true
    }
}
