//! The sinusoid task family, the classic few-shot regression benchmark.
//!
//! A task is `y = A·sin(x + phase)` with `A ~ U[0.1, 5]`, `phase ~ U[0, π]`, `x ~ U[−5, 5]`.
//! Draws follow the order that defines the shared held-out set (seed [`HELDOUT_SEED`]): per
//! task the amplitude, the phase, the support inputs, then the query inputs; targets are
//! computed in `f64` and inputs and targets rounded to `f32` before conversion to the
//! learner's format. `libm`'s software `sin` keeps the tasks identical on every target.

use crate::num::Scalar;
use crate::rng::SplitMix64;
use crate::task::{Shot, Task};
use crate::Error;

/// Seed of the shared held-out set (500 tasks, 10 support and 100 query inputs drawn each).
pub const HELDOUT_SEED: u64 = 20240601;
/// Number of tasks in the shared held-out set.
pub const HELDOUT_TASKS: usize = 500;
/// Support inputs drawn per held-out task (K = 5 uses the first five).
pub const HELDOUT_SUPPORT: usize = 10;
/// Query inputs drawn per held-out task.
pub const HELDOUT_QUERY: usize = 100;

/// One sinusoid: amplitude and phase.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sinusoid {
    /// Amplitude `A`.
    pub amplitude: f64,
    /// Phase, in radians.
    pub phase: f64,
}

impl Sinusoid {
    /// Draws amplitude then phase.
    pub fn draw(rng: &mut SplitMix64) -> Self {
        let amplitude = rng.uniform(0.1, 5.0);
        let phase = rng.uniform(0.0, core::f64::consts::PI);
        Self { amplitude, phase }
    }

    /// `A·sin(x + phase)` in `f64`.
    pub fn at(&self, x: f64) -> f64 {
        self.amplitude * libm::sin(x + self.phase)
    }

    /// Draws an input and labels it, both rounded to `f32` as the shared set specifies.
    pub fn shot<A: Scalar>(&self, rng: &mut SplitMix64) -> Result<Shot<A, 1>, Error> {
        let x = rng.uniform(-5.0, 5.0);
        let y = self.at(x);
        Shot::new(&[x as f32 as f64], y as f32 as f64)
    }

    /// Draws a whole task: `support` shots then `query` shots (after [`Sinusoid::draw`]).
    pub fn task<A: Scalar, const S: usize, const Q: usize>(
        &self,
        rng: &mut SplitMix64,
        support: usize,
        query: usize,
    ) -> Result<Task<A, 1, S, Q>, Error> {
        let mut task = Task::new();
        for _ in 0..support {
            task.push_support(self.shot(rng)?)?;
        }
        for _ in 0..query {
            task.push_query(self.shot(rng)?)?;
        }
        Ok(task)
    }
}

/// Draws the next task of a stream: a fresh sinusoid, then its shots.
pub fn draw_task<A: Scalar, const S: usize, const Q: usize>(
    rng: &mut SplitMix64,
    support: usize,
    query: usize,
) -> Result<(Sinusoid, Task<A, 1, S, Q>), Error> {
    let sinusoid = Sinusoid::draw(rng);
    let task = sinusoid.task(rng, support, query)?;
    Ok((sinusoid, task))
}
