//! Judging θ: adapt to each task's support shots, measure the query loss, spread over threads.

use crate::cml::Cml;
use crate::dual::{DualCml, DualModel, DualState};
use crate::loss::Loss;
use crate::nn::Model;
use crate::num::{Precision, Saturations, Scalar};
use crate::synapse::ComplexSynapse;
use crate::task::Task;

/// The adapted learner's query loss over a set of tasks, as the loss reports it (the MSE for
/// squared error).
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Per task, in order: the query loss after adaptation, `None` when adaptation diverged.
    pub losses: Vec<Option<f64>>,
    /// Mean over every task. A diverged task counts as its query loss before adaptation (at
    /// ω): what a device that refuses diverged weights keeps. It never vanishes from the mean.
    pub mean: f64,
    /// Median over the tasks that did not diverge (NaN if every one did).
    pub median: f64,
    /// Tasks whose adaptation diverged.
    pub diverged: usize,
    /// Per task, in order, for losses that classify: the fraction of query shots classified
    /// right after adaptation (at ω for a diverged task, as in [`Evaluation::mean`]). Empty
    /// for regression losses.
    pub accuracies: Vec<f64>,
}

/// Adapts θ to each task's support shots for `steps` steps (`None`: the rule's
/// `free_steps`), as [`Cml::adapt`] does on a device, and measures the query loss; the tasks
/// are spread over `threads` threads (at least one).
///
/// ```
/// use tinycml::train::evaluate;
/// use tinycml::{Activation, Cml, ComplexSynapse, Config, Linear, Shot, Task};
///
/// let cml = Cml::<f64, _, 2>::new(Linear::<1>::new(Activation::Identity), Config::default())?;
/// let theta = ComplexSynapse::<f64, 2>::with_uniform_lambda([0.0, 0.0], 1e-3)?;
/// let task = Task::<f64, 1, 4, 4>::from_shots(
///     &[Shot::new(&[1.0], 2.0)?, Shot::new(&[-1.0], -2.0)?],
///     &[Shot::new(&[0.5], 1.0)?],
/// )?;
/// let before = evaluate(&cml, &theta, &[task.clone()], Some(1), 1);
/// let after = evaluate(&cml, &theta, &[task], Some(500), 1);
/// assert!(after.mean < 0.01 * before.mean);
/// assert_eq!(after.diverged, 0);
/// # Ok::<(), tinycml::Error>(())
/// ```
pub fn evaluate<N, M, L, T, const D: usize, const S: usize, const Q: usize, const P: usize>(
    cml: &Cml<N, M, P, L>,
    theta: &ComplexSynapse<N, P>,
    tasks: &[Task<N::Act, D, S, Q, T>],
    steps: Option<u32>,
    threads: usize,
) -> Evaluation
where
    N: Precision,
    M: Model<N> + Sync,
    L: Loss<N, T> + Sync,
    T: Sync,
{
    let scratch = || (Box::new([N::Param::ZERO; P]), Box::new([N::Param::ZERO; P]));
    evaluate_each(tasks, threads, scratch, |(phi, grad), task| {
        let mut sat = Saturations::default();
        let adapted = cml
            .adapt(theta, task, steps, phi, grad)
            .ok()
            .map(|_| cml.query_loss(phi, task, &mut sat).to_f64())
            .filter(|loss| loss.is_finite());
        // A diverged task keeps ω: its loss and accuracy there stand in for it.
        let kept = if adapted.is_some() {
            &**phi
        } else {
            theta.omega()
        };
        let loss = adapted.unwrap_or_else(|| cml.query_loss(kept, task, &mut sat).to_f64());
        (adapted, loss, cml.query_accuracy(kept, task))
    })
}

/// [`evaluate`] for the dual system: adapts the fast state to each task's support shots with
/// the body fixed, as [`DualCml::adapt`] does on a device (a diverged task counts at the
/// initial fast state).
pub fn evaluate_dual<
    N,
    S,
    L,
    T,
    const D: usize,
    const SH: usize,
    const Q: usize,
    const B: usize,
    const F: usize,
>(
    cml: &DualCml<N, S, B, F, L>,
    theta: &DualState<N, B, F>,
    tasks: &[Task<N::Act, D, SH, Q, T>],
    steps: Option<u32>,
    threads: usize,
) -> Evaluation
where
    N: Precision,
    S: DualModel<N> + Sync,
    L: Loss<N, T> + Sync,
    T: Sync,
{
    let scratch = || ([N::Param::ZERO; F], [N::Param::ZERO; F]);
    evaluate_each(tasks, threads, scratch, |(phi, grad), task| {
        let mut sat = Saturations::default();
        let adapted = cml
            .adapt(theta, task, steps, phi, grad)
            .ok()
            .map(|_| cml.query_loss(theta, phi, task, &mut sat).to_f64())
            .filter(|loss| loss.is_finite());
        let kept = if adapted.is_some() {
            &*phi
        } else {
            theta.init()
        };
        let loss = adapted.unwrap_or_else(|| cml.query_loss(theta, kept, task, &mut sat).to_f64());
        (adapted, loss, cml.query_accuracy(theta, kept, task))
    })
}

/// What judging one task gives: the adapted query loss (`None` if adaptation diverged), the
/// loss that counts in the mean, and the accuracy for losses that classify.
type Judged = (Option<f64>, f64, Option<f64>);

/// Judges every task with `judge`, spread over `threads` threads (each with its own
/// `scratch()`), and gathers the statistics.
fn evaluate_each<Tk: Sync, Scratch>(
    tasks: &[Tk],
    threads: usize,
    scratch: impl Fn() -> Scratch + Sync,
    judge: impl Fn(&mut Scratch, &Tk) -> Judged + Sync,
) -> Evaluation {
    let per_thread = tasks.len().div_ceil(threads.max(1)).max(1);
    let chunk = |chunk: &[Tk]| {
        let mut scratch = scratch();
        chunk
            .iter()
            .map(|task| judge(&mut scratch, task))
            .collect::<Vec<_>>()
    };
    let results: Vec<Judged> = if tasks.len() <= per_thread {
        chunk(tasks)
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = tasks
                .chunks(per_thread)
                .map(|tasks| scope.spawn(|| chunk(tasks)))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    let mean = results.iter().map(|r| r.1).sum::<f64>() / results.len().max(1) as f64;
    let mut kept: Vec<f64> = results.iter().filter_map(|r| r.0).collect();
    kept.sort_by(f64::total_cmp);
    let median = match kept.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => kept[n / 2],
        n => 0.5 * (kept[n / 2 - 1] + kept[n / 2]),
    };
    Evaluation {
        diverged: results.len() - kept.len(),
        accuracies: results.iter().filter_map(|r| r.2).collect(),
        losses: results.into_iter().map(|r| r.0).collect(),
        mean,
        median,
    }
}
