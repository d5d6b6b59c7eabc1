//! Judging θ: validation tasks of the training classes, the held-out sets of digits 5–9,
//! per-task accuracies and their summary.

use crate::family::Family;
use crate::{DigitTask, Rule, P, Q, S, THREADS};
use tinycml::digits::{self, Digits, QUERY_PER_CLASS};
use tinycml::train;
use tinycml::*;

/// Seed of the validation tasks used to judge settings (training classes only).
const JUDGE_SEED: u64 = 0x004A_5544_4745;

/// Mean and 95% half-interval (normal approximation) of per-task accuracies, in percent.
pub fn mean_ci(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (100.0 * mean, 100.0 * 1.96 * (var / n).sqrt())
}

/// Per task: the query accuracy after adapting θ to the support shots for `steps` (`None`:
/// the rule's `free_steps`), and how many tasks diverged (they keep ω's accuracy: what a
/// device that refuses diverged weights keeps). See [`train::evaluate`].
pub fn accuracies<N: Precision>(
    cml: &Rule<N>,
    theta: &ComplexSynapse<N, P>,
    tasks: &[DigitTask<N::Act>],
    steps: Option<u32>,
) -> (Vec<f64>, usize) {
    let evaluation = train::evaluate(cml, theta, tasks, steps, THREADS);
    (evaluation.accuracies, evaluation.diverged)
}

/// Validation tasks of the training classes (own seed), `count` per shot count.
pub fn judge_tasks(family: &Family, count: usize) -> Result<[Vec<DigitTask<f32>>; 2], Error> {
    let set = |shots: usize| -> Result<Vec<_>, Error> {
        let mut rng = SplitMix64::new(JUDGE_SEED + shots as u64);
        (0..count)
            .map(|_| family.draw_from(&family.validation_pool, &mut rng, shots, QUERY_PER_CLASS))
            .collect()
    };
    Ok([set(1)?, set(5)?])
}

/// The first `count` tasks of the held-out set of `shots`-shot tasks.
pub fn held_out<A: Scalar>(
    data: &Digits,
    shots: usize,
    count: usize,
) -> Result<Vec<DigitTask<A>>, Error> {
    digits::heldout::<A, S, Q>(data, shots)
        .take(count)
        .map(|r| r.map(|(_, task)| task))
        .collect()
}
