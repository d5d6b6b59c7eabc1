//! A θ's score on the shared held-out set (seed 20240601): adapt in Q16.16 to K = 10 and
//! K = 5 shots of each task with the free phase stored with θ, then the query MSE over 100
//! points, as a device would measure it. A task whose adaptation diverges is counted apart
//! and left out of the mean.

use crate::device::{Net, P};
use tinycml::sinusoid::{draw_task, HELDOUT_QUERY, HELDOUT_SEED, HELDOUT_SUPPORT};
use tinycml::{Cml, ComplexSynapse, Error, Saturations, Scalar, SplitMix64, Task, Q16_16};

type Act = <Q16_16 as tinycml::Precision>::Act;
type HeldoutTask = Task<Act, 1, HELDOUT_SUPPORT, HELDOUT_QUERY>;

/// Mean held-out query MSE at K = 10 and K = 5.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    /// Tasks scored.
    pub tasks: usize,
    /// Mean query MSE after adapting to 10 shots.
    pub mse_k10: f64,
    /// Mean query MSE after adapting to the first 5 of them.
    pub mse_k5: f64,
    /// Adaptations that diverged (both K counted).
    pub diverged: usize,
}

/// Scores θ on the first `tasks` tasks of the held-out set.
pub fn score(
    cml: &Cml<Q16_16, Net, P>,
    theta: &ComplexSynapse<Q16_16, P>,
    tasks: usize,
) -> Result<Score, Error> {
    let mut rng = SplitMix64::new(HELDOUT_SEED);
    let mut phi = Box::new([<Q16_16 as tinycml::Precision>::Param::ZERO; P]);
    let mut grad = Box::new([<Q16_16 as tinycml::Precision>::Param::ZERO; P]);
    let mut sums = [0.0f64; 2];
    let mut counted = [0usize; 2];
    let mut diverged = 0;
    for _ in 0..tasks {
        let (_, task): (_, HeldoutTask) = draw_task(&mut rng, HELDOUT_SUPPORT, HELDOUT_QUERY)?;
        let mut five = task.clone();
        five.truncate_support(5);
        for (slot, task) in [&task, &five].into_iter().enumerate() {
            match cml.adapt(theta, task, None, &mut phi, &mut grad) {
                Ok(_) => {
                    let mut sat = Saturations::default();
                    sums[slot] += cml.query_loss(&phi, task, &mut sat).to_f64();
                    counted[slot] += 1;
                }
                Err(_) => diverged += 1,
            }
        }
    }
    let mean = |slot: usize| sums[slot] / counted[slot].max(1) as f64;
    Ok(Score {
        tasks,
        mse_k10: mean(0),
        mse_k5: mean(1),
        diverged,
    })
}
