//! Evaluation on the shared held-out set (ALGORITHM.md §6): adapt to K shots, measure the
//! MSE on 100 query points, summarise over tasks.
//!
//! Tasks are kept in `f64` (their values are `f32`-exact, as the set specifies) and converted
//! to the learner's format per task; the error of a prediction is taken in `f64` against the
//! stored target, so a fixed-point learner is judged on its predictions, not on a rounded
//! loss. An adaptation that diverges is counted, never silently averaged away.

use crate::P;
use tinycml::sinusoid::{draw_task, Sinusoid, HELDOUT_QUERY, HELDOUT_SEED, HELDOUT_SUPPORT};
use tinycml::*;

/// A held-out task: 10 support shots (K = 5 uses the first five), 100 query shots; also the
/// shape of every training and validation task (those use 10 query shots of the 100).
pub type SinusoidTask<A> = Task<A, 1, 10, 100>;
/// A held-out task as the set specifies it, in `f64` (its values are `f32`-exact).
pub type HeldoutTask = SinusoidTask<f64>;

/// A task with the sinusoid it came from (for the figure).
pub struct Heldout {
    /// Amplitude and phase.
    pub sinusoid: Sinusoid,
    /// The shots.
    pub task: HeldoutTask,
}

/// The shared held-out set (seed 20240601), its first `count` tasks.
pub fn heldout(count: usize) -> Vec<Heldout> {
    let mut rng = SplitMix64::new(HELDOUT_SEED);
    (0..count)
        .map(|_| {
            let (sinusoid, task) =
                draw_task::<f64, 10, 100>(&mut rng, HELDOUT_SUPPORT, HELDOUT_QUERY)
                    .expect("held-out tasks fit their buffers");
            Heldout { sinusoid, task }
        })
        .collect()
}

/// Summary of per-task MSEs.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Mean over tasks that did not diverge.
    pub mean: f64,
    /// Median over the same tasks.
    pub median: f64,
    /// Half-width of the normal 95% interval of the mean (1.96 standard errors).
    pub ci95: f64,
    /// Tasks whose adaptation diverged.
    pub diverged: usize,
    /// Every task's MSE, in the held-out set's order (`None`: diverged).
    pub tasks: Vec<Option<f64>>,
}

impl Stats {
    /// Mean, median, interval and divergences of per-task MSEs (`None`: diverged).
    pub fn of(mses: &[Option<f64>]) -> Self {
        let mut ok: Vec<f64> = mses.iter().flatten().copied().collect();
        ok.sort_by(f64::total_cmp);
        let n = ok.len();
        if n == 0 {
            return Stats {
                mean: f64::NAN,
                median: f64::NAN,
                ci95: f64::NAN,
                diverged: mses.len(),
                tasks: mses.to_vec(),
            };
        }
        let mean = ok.iter().sum::<f64>() / n as f64;
        let var = ok.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
        let median = if n % 2 == 1 {
            ok[n / 2]
        } else {
            0.5 * (ok[n / 2 - 1] + ok[n / 2])
        };
        Stats {
            mean,
            median,
            ci95: 1.96 * (var / n as f64).sqrt(),
            diverged: mses.len() - n,
            tasks: mses.to_vec(),
        }
    }
}

/// Fixed point against f32 on the same tasks, task by task: a ratio of means is dominated by
/// a few tail tasks, the paired differences are not.
#[derive(Clone, Copy, Debug, Default)]
pub struct Paired {
    /// Median of |fixed − f32| over tasks where neither diverged.
    pub median_abs: f64,
    /// 95th percentile of the same.
    pub p95_abs: f64,
    /// Largest |fixed − f32|.
    pub max_abs: f64,
    /// Share of those tasks where fixed point is worse (higher MSE).
    pub share_worse: f64,
    /// Tasks compared.
    pub tasks: usize,
}

impl Paired {
    /// Pairs two evaluations of the same tasks (fixed point first).
    pub fn of(fixed: &Stats, float: &Stats) -> Self {
        let pairs: Vec<(f64, f64)> = fixed
            .tasks
            .iter()
            .zip(&float.tasks)
            .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
            .collect();
        let mut diffs: Vec<f64> = pairs.iter().map(|(a, b)| (a - b).abs()).collect();
        diffs.sort_by(f64::total_cmp);
        let n = diffs.len();
        let at = |q: f64| diffs.get(((q * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1);
        Paired {
            median_abs: at(0.5).copied().unwrap_or(f64::NAN),
            p95_abs: at(0.95).copied().unwrap_or(f64::NAN),
            max_abs: diffs.last().copied().unwrap_or(f64::NAN),
            share_worse: pairs.iter().filter(|(a, b)| a > b).count() as f64 / n.max(1) as f64,
            tasks: n,
        }
    }
}

/// Predictions of `model` with weights `phi` at inputs `xs`, as `f64`.
pub fn predict<N: Precision>(model: &SinusoidMlp, phi: &[N::Param; P], xs: &[f64]) -> Vec<f64> {
    let mut buffers = <SinusoidMlp as Model<N>>::Buffers::default();
    let mut sat = Saturations::default();
    xs.iter()
        .map(|&x| {
            let x = <N::Act as Scalar>::from_f64_saturating(x);
            Model::<N>::forward(model, phi, &[x], &mut buffers, &mut sat)[0].to_f64()
        })
        .collect()
}

/// Adapts to the first `k` support shots for `steps` steps; `None` if adaptation diverged.
/// Leaves the adapted weights in `phi`.
pub fn adapt<N: Precision>(
    cml: &Cml<N, SinusoidMlp, P>,
    theta: &ComplexSynapse<N, P>,
    task: &HeldoutTask,
    k: usize,
    steps: u32,
    phi: &mut [N::Param; P],
    grad: &mut [N::Param; P],
) -> Option<()> {
    let mut converted = task.convert::<N::Act>().ok()?;
    converted.truncate_support(k);
    cml.adapt(theta, &converted, Some(steps), phi, grad).ok()?;
    Some(())
}

/// Query MSE of predictions against a task's stored targets; `None` when not finite.
pub fn query_mse(task: &HeldoutTask, predict: impl FnOnce(&[f64]) -> Vec<f64>) -> Option<f64> {
    let xs: Vec<f64> = task.query().iter().map(|s| s.x[0]).collect();
    let predictions = predict(&xs);
    let mse = predictions
        .iter()
        .zip(task.query())
        .map(|(p, s)| (p - s.y).powi(2))
        .sum::<f64>()
        / xs.len() as f64;
    mse.is_finite().then_some(mse)
}

/// Query MSE after adaptation, `None` if it diverged.
fn task_mse<N: Precision>(
    cml: &Cml<N, SinusoidMlp, P>,
    theta: &ComplexSynapse<N, P>,
    task: &HeldoutTask,
    k: usize,
    steps: u32,
    phi: &mut [N::Param; P],
    grad: &mut [N::Param; P],
) -> Option<f64> {
    adapt(cml, theta, task, k, steps, phi, grad)?;
    query_mse(task, |xs| predict::<N>(cml.model(), phi, xs))
}

/// Per-task results of `judge` over `tasks`, spread over `threads` threads, each with its
/// own `scratch()`.
pub fn per_task<Scratch>(
    tasks: &[Heldout],
    threads: usize,
    scratch: impl Fn() -> Scratch + Sync,
    judge: impl Fn(&mut Scratch, &HeldoutTask) -> Option<f64> + Sync,
) -> Vec<Option<f64>> {
    let per_thread = tasks.len().div_ceil(threads.max(1)).max(1);
    let (scratch, judge) = (&scratch, &judge);
    std::thread::scope(|scope| {
        let handles: Vec<_> = tasks
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    let mut buffers = scratch();
                    chunk
                        .iter()
                        .map(|h| judge(&mut buffers, &h.task))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("evaluation thread"))
            .collect()
    })
}

/// Per-task MSEs over `tasks`, spread over `threads` threads.
pub fn mses<N: Precision>(
    cml: &Cml<N, SinusoidMlp, P>,
    theta: &ComplexSynapse<N, P>,
    tasks: &[Heldout],
    k: usize,
    steps: u32,
    threads: usize,
) -> Vec<Option<f64>> {
    let scratch = || {
        (
            Box::new([<N::Param as Scalar>::ZERO; P]),
            Box::new([<N::Param as Scalar>::ZERO; P]),
        )
    };
    per_task(tasks, threads, scratch, |(phi, grad), task| {
        task_mse(cml, theta, task, k, steps, phi, grad)
    })
}

/// [`Stats`] of the adapted learner over `tasks`.
pub fn evaluate<N: Precision>(
    cml: &Cml<N, SinusoidMlp, P>,
    theta: &ComplexSynapse<N, P>,
    tasks: &[Heldout],
    k: usize,
    steps: u32,
    threads: usize,
) -> Stats {
    Stats::of(&mses(cml, theta, tasks, k, steps, threads))
}
