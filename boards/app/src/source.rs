//! Where tasks come from: the seeded sinusoid family, or anything that yields shots.
//!
//! On a product the support shots would come from a sensor (a driver over an `embedded-hal`
//! `I2c` or `SpiDevice`) and the query shots from later readings; the demo only needs this
//! trait, so such a source slots in without touching the demo.

use tinycml::{sinusoid, Error, SplitMix64, Task, Q16_16};

/// Data format of shots (Q16.16).
pub type Act = <Q16_16 as tinycml::Precision>::Act;

/// A stream of tasks with up to `S` support and `Q` query shots.
pub trait TaskSource<const S: usize, const Q: usize> {
    /// The next task, or the error that kept it from being read.
    fn next_task(&mut self) -> Result<Task<Act, 1, S, Q>, Error>;
}

/// Sinusoid tasks `A·sin(x + phase)` drawn with SplitMix64, in the order that defines
/// tinycml's shared held-out set (seed [`sinusoid::HELDOUT_SEED`]).
#[derive(Clone, Debug)]
pub struct Sinusoids {
    rng: SplitMix64,
    support: usize,
    query: usize,
}

impl Sinusoids {
    /// `support` and `query` shots per task from `seed`.
    pub const fn new(seed: u64, support: usize, query: usize) -> Self {
        Self {
            rng: SplitMix64::new(seed),
            support,
            query,
        }
    }

    /// The shared held-out tasks, 10 support and 100 query shots each.
    pub const fn heldout() -> Self {
        Self::new(
            sinusoid::HELDOUT_SEED,
            sinusoid::HELDOUT_SUPPORT,
            sinusoid::HELDOUT_QUERY,
        )
    }
}

impl<const S: usize, const Q: usize> TaskSource<S, Q> for Sinusoids {
    fn next_task(&mut self) -> Result<Task<Act, 1, S, Q>, Error> {
        sinusoid::draw_task(&mut self.rng, self.support, self.query).map(|(_, task)| task)
    }
}
