//! Judging θ: validation tasks of the training classes, the held-out sets of digits 5–9,
//! per-task accuracies and their summary.

use crate::family::Family;
use crate::net::{DigitTask, QAct, Rule, ShiftSupport, P, Q, S};
use tinycml::digits::{self, shift, Digits, HELDOUT_WAYS, PIXELS, QUERY_PER_CLASS};
use tinycml::train;
use tinycml::*;

/// Seed of the validation tasks used to judge settings (training classes only).
const JUDGE_SEED: u64 = 0x004A_5544_4745;

/// A summary of per-task query accuracies, in percent.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    /// Mean over every task (a diverged task counts with the accuracy it kept).
    pub mean: f64,
    /// 95% half-interval of the mean (normal approximation).
    pub ci95: f64,
    /// Median per-task accuracy.
    pub median: f64,
    /// Tasks whose adaptation diverged.
    pub diverged: usize,
}

impl Stats {
    /// The summary of per-task accuracies (fractions) and a count of diverged tasks.
    pub fn of(values: &[f64], diverged: usize) -> Self {
        let (mean, ci95) = mean_ci(values);
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = match n {
            0 => f64::NAN,
            n if n % 2 == 1 => sorted[n / 2],
            n => 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]),
        };
        Stats {
            mean,
            ci95,
            median: 100.0 * median,
            diverged,
        }
    }
}

/// Mean and 95% half-interval (normal approximation) of per-task accuracies, in percent.
pub fn mean_ci(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (100.0 * mean, 100.0 * 1.96 * (var / n).sqrt())
}

/// `f` on every item, the items spread over `threads` threads, results in order.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let per_thread = items.len().div_ceil(threads.max(1)).max(1);
    if items.len() <= per_thread {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Per task: the query accuracy after adapting θ to the support shots for `steps` (`None`:
/// the rule's `free_steps`), and how many tasks diverged (they keep ω's accuracy: what a
/// device that refuses diverged weights keeps). See [`train::evaluate`]. With
/// `query_shifts`, each query image is classified as [`shift_ensemble`] does.
pub fn accuracies<N: Precision>(
    cml: &Rule<N>,
    theta: &ComplexSynapse<N, P>,
    tasks: &[DigitTask<N::Act>],
    steps: Option<u32>,
    query_shifts: bool,
    threads: usize,
) -> (Vec<f64>, usize) {
    if !query_shifts {
        let evaluation = train::evaluate(cml, theta, tasks, steps, threads);
        return (evaluation.accuracies, evaluation.diverged);
    }
    let judged = par_map(tasks, threads, |task| {
        let mut phi = Box::new([N::Param::ZERO; P]);
        let mut grad = Box::new([N::Param::ZERO; P]);
        let mut sat = Saturations::default();
        // Diverged as `train::evaluate` judges it: adaptation failed or left a loss that is
        // not finite; such a task keeps ω.
        let adapted = cml.adapt(theta, task, steps, &mut phi, &mut grad).is_ok()
            && cml.query_loss(&phi, task, &mut sat).to_f64().is_finite();
        let weights = if adapted { &*phi } else { theta.omega() };
        let right = task
            .query()
            .iter()
            .filter(|shot| shift_ensemble(cml, weights, &shot.x) == usize::from(shot.y.0))
            .count();
        (right as f64 / task.query().len().max(1) as f64, !adapted)
    });
    let diverged = judged.iter().filter(|j| j.1).count();
    (judged.into_iter().map(|j| j.0).collect(), diverged)
}

/// The class weights `phi` give an image when it is judged with its four one-pixel shifts:
/// the largest mean softmax over the five.
pub fn shift_ensemble<N: Precision>(
    cml: &Rule<N>,
    phi: &[N::Param; P],
    x: &[N::Act; PIXELS],
) -> usize {
    let mut shifts = [[N::Act::ZERO; PIXELS]; 4];
    shift::write_shifts(x, N::Act::ZERO, &mut shifts);
    let mut mean = [0.0f64; HELDOUT_WAYS];
    for image in core::iter::once(x).chain(&shifts) {
        let outputs = cml.predict_act(phi, image);
        let logits: Vec<f64> = outputs.as_ref().iter().map(|v| v.to_f64()).collect();
        let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = logits.iter().map(|l| (l - top).exp()).sum();
        for (m, l) in mean.iter_mut().zip(&logits) {
            *m += (l - top).exp() / total;
        }
    }
    loss::argmax(&mean)
}

/// One set of tasks in every number format a method adapts in.
pub struct Sets {
    /// q16.16 activations (the device).
    pub q: Vec<DigitTask<QAct>>,
    pub f: Vec<DigitTask<f32>>,
    pub d: Vec<DigitTask<f64>>,
}

impl Sets {
    /// The same tasks in every format; pixels / 16 are exact in each.
    pub fn new(tasks: &[DigitTask<f32>]) -> Result<Self, Error> {
        Ok(Sets {
            q: tasks.iter().map(Task::convert).collect::<Result<_, _>>()?,
            f: tasks.to_vec(),
            d: tasks.iter().map(Task::convert).collect::<Result<_, _>>()?,
        })
    }

    /// The same tasks as a learner with `shift` adapts on them, in every format.
    pub fn shifted(&self, shift: ShiftSupport) -> Result<Self, Error> {
        fn each<A: Scalar>(
            tasks: &[DigitTask<A>],
            shift: ShiftSupport,
        ) -> Result<Vec<DigitTask<A>>, Error> {
            tasks.iter().map(|task| shift.apply(task.clone())).collect()
        }
        Ok(Sets {
            q: each(&self.q, shift)?,
            f: each(&self.f, shift)?,
            d: each(&self.d, shift)?,
        })
    }

    pub fn len(&self) -> usize {
        self.f.len()
    }
}

/// Validation tasks of the training classes (own seed), `count` per shot count (1, 5).
pub fn judge_tasks(family: &Family, count: usize) -> Result<[Sets; 2], Error> {
    let set = |shots: usize| -> Result<Sets, Error> {
        let mut rng = SplitMix64::new(JUDGE_SEED + shots as u64);
        let tasks = (0..count)
            .map(|_| family.draw_from(&family.validation_pool, &mut rng, shots, QUERY_PER_CLASS))
            .collect::<Result<Vec<_>, _>>()?;
        Sets::new(&tasks)
    };
    Ok([set(1)?, set(5)?])
}

/// The first `count` tasks of the held-out set of `shots`-shot tasks.
pub fn held_out(data: &Digits, shots: usize, count: usize) -> Result<Sets, Error> {
    let tasks = digits::heldout::<f32, S, Q>(data, shots)
        .take(count)
        .map(|r| r.map(|(_, task)| task))
        .collect::<Result<Vec<_>, _>>()?;
    Sets::new(&tasks)
}
