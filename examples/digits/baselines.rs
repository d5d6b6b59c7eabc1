//! The baselines that are not CML, besides transfer (`transfer.rs`):
//!
//! - nearest class mean in pixel space: no learning at all;
//! - no meta-learning: the initial θ, adapted by plain gradient descent (λ ≈ 0);
//! - Reptile: `ω ← ω + ε·mean(φ − ω)` after `steps` plain steps on the support shots;
//! - MAML: ω alone, the query loss after `steps` plain steps on the support shots
//!   back-propagated through the unrolled steps, second order: exact Hessian-vector products
//!   (`tinycml::reference`, f64, the trajectory kept).
//!
//! Reptile and MAML are the library's [`tinycml::train::Reptile`] and [`tinycml::train::Maml`],
//! [`tinycml::train::Method`]s of its driver (`train::train_with`), so they
//! meta-train on the same task stream, meta-batches, budget, validation tasks and best-θ
//! keeping as CML. They have no consolidation term: they run with a fixed, negligible λ
//! ([`NO_LAMBDA`]), so the library's adaptation is plain gradient descent for them, at test
//! time from their ω with their own step count and rate ([`plain_config`]).

use crate::net::{model, DigitTask, Rule};
use tinycml::digits::{HELDOUT_WAYS, PIXELS};
use tinycml::*;

/// λ standing in for "no consolidation" (the synapse type keeps λ strictly positive).
pub const NO_LAMBDA: f64 = 1e-7;

/// Plain gradient descent without consolidation: `steps` steps at `lr` (what [`Cml::adapt`]
/// runs with λ ≈ 0), ω alone learned.
pub fn plain_config(steps: u32, lr: f64) -> Config {
    Config::default()
        .with_free_steps(steps)
        .with_free_lr(lr)
        .with_nudged_steps(1)
        .with_nudged_lr(lr)
        .with_learn(Learn::Omega)
        .with_lambda_min(NO_LAMBDA / 2.0)
}

/// The rule that adapts a plain-gradient baseline: `steps` steps at `lr`.
pub fn plain_rule(steps: u32, lr: f64) -> Result<Rule<f32>, Error> {
    Rule::<f32>::with_loss(model(), SoftmaxCrossEntropy, plain_config(steps, lr))
}

/// Nearest class mean in raw pixel space: each query image gets the label whose support
/// images' mean is nearest in Euclidean distance. No learning at all. Returns the label of
/// each query image.
pub fn nearest_class_mean_labels(task: &DigitTask<f64>) -> Vec<usize> {
    let mut means = [[0.0f64; PIXELS]; HELDOUT_WAYS];
    let mut counts = [0usize; HELDOUT_WAYS];
    for shot in task.support() {
        let label = shot.y.0 as usize;
        counts[label] += 1;
        for (m, x) in means[label].iter_mut().zip(&shot.x) {
            *m += x;
        }
    }
    for (mean, &count) in means.iter_mut().zip(&counts) {
        mean.iter_mut().for_each(|m| *m /= count.max(1) as f64);
    }
    task.query()
        .iter()
        .map(|shot| {
            let distance = |m: &[f64; PIXELS]| -> f64 {
                m.iter().zip(&shot.x).map(|(m, x)| (m - x).powi(2)).sum()
            };
            (0..HELDOUT_WAYS)
                .min_by(|&a, &b| distance(&means[a]).total_cmp(&distance(&means[b])))
                .unwrap_or(0)
        })
        .collect()
}

/// Nearest class mean's query accuracy on a task.
pub fn nearest_class_mean(task: &DigitTask<f64>) -> f64 {
    let labels = nearest_class_mean_labels(task);
    let right = labels
        .iter()
        .zip(task.query())
        .filter(|(&label, shot)| label == shot.y.0 as usize)
        .count();
    right as f64 / task.query().len().max(1) as f64
}
