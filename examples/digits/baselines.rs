//! The baselines that are not CML.

use crate::DigitTask;
use tinycml::digits::{HELDOUT_WAYS, PIXELS};

/// Nearest class mean in raw pixel space: each query image gets the label whose support
/// images' mean is nearest in Euclidean distance. No learning at all.
pub fn nearest_class_mean(task: &DigitTask<f64>) -> f64 {
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
    let right = task
        .query()
        .iter()
        .filter(|shot| {
            let distance = |m: &[f64; PIXELS]| -> f64 {
                m.iter().zip(&shot.x).map(|(m, x)| (m - x).powi(2)).sum()
            };
            let best = (0..HELDOUT_WAYS)
                .min_by(|&a, &b| distance(&means[a]).total_cmp(&distance(&means[b])))
                .unwrap_or(0);
            best == shot.y.0 as usize
        })
        .count();
    right as f64 / task.query().len().max(1) as f64
}
