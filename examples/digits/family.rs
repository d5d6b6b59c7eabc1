//! The meta-training task source: 5-way tasks of digits 0–4 (the training classes), with
//! each class warped into a new one (`warp.rs`); validation tasks from their own pool, never
//! warped. With shifted support, the support images of the tasks it applies to (warped or
//! not) are each followed by their four one-pixel shifts, as they will be at test time.

use crate::net::ShiftSupport;
use crate::warp::{Warp, WarpStrength};
use crate::{DigitTask, Q, S};
use tinycml::digits::{ClassId, Digits, HELDOUT_WAYS, PIXELS, QUERY_PER_CLASS};
use tinycml::train::TaskSource;
use tinycml::*;

/// Query images per class in a training task (fewer than held-out: the nudged phases are
/// the cost of an estimate).
pub const TRAIN_QUERY: usize = 5;

/// 5-way tasks of the meta-training classes (digits 0–4 at four rotations).
#[derive(Clone)]
pub struct Family {
    pub data: Digits<'static>,
    /// Training tasks: 1-shot or 5-shot at random (`true`), or 5-shot only.
    pub mix: bool,
    /// Classes of the training tasks, and of the validation tasks.
    pub train_pool: Vec<ClassId>,
    pub validation_pool: Vec<ClassId>,
    /// Training tasks only: how far each class is warped into a new one, and each image
    /// jittered (see `warp.rs`); zero strengths leave the tasks as drawn.
    pub warp: WarpStrength,
    /// Which training and validation tasks have each support image followed by its four
    /// one-pixel shifts, so that θ is meta-learned for that adaptation.
    pub shift: ShiftSupport,
}

/// Each class of the task through its own random warp, each image through its own jitter.
fn warp(
    rng: &mut SplitMix64,
    task: &DigitTask<f32>,
    strength: WarpStrength,
) -> Result<DigitTask<f32>, Error> {
    let classes: [Warp; HELDOUT_WAYS] = std::array::from_fn(|_| Warp::class(rng, strength.class));
    let mut each = |shot: &Shot<f32, PIXELS, Class>| {
        let map = Warp::image(rng, strength.image).after(&classes[usize::from(shot.y.0)]);
        Shot::new(&map.apply(&shot.x), shot.y)
    };
    let support = task
        .support()
        .iter()
        .map(&mut each)
        .collect::<Result<Vec<_>, _>>()?;
    let query = task
        .query()
        .iter()
        .map(&mut each)
        .collect::<Result<Vec<_>, _>>()?;
    Task::from_shots(&support, &query)
}

impl Family {
    /// `task` as the inner loop sees it: its support shifted when the family shifts it.
    fn adapted_on(&self, task: DigitTask<f32>) -> Result<DigitTask<f32>, Error> {
        self.shift.apply(task)
    }

    fn draw(
        &self,
        rng: &mut SplitMix64,
        shots: usize,
        query: usize,
    ) -> Result<DigitTask<f32>, Error> {
        self.draw_from(&self.train_pool, rng, shots, query)
    }

    pub fn draw_from(
        &self,
        pool: &[ClassId],
        rng: &mut SplitMix64,
        shots: usize,
        query: usize,
    ) -> Result<DigitTask<f32>, Error> {
        Ok(self.data.sample(rng, pool, HELDOUT_WAYS, shots, query)?.1)
    }
}

impl TaskSource<f32, PIXELS, S, Q, Class> for Family {
    fn train_task(&self, rng: &mut SplitMix64) -> Result<DigitTask<f32>, Error> {
        let shots = if self.mix && rng.next_u64().is_multiple_of(2) {
            1
        } else {
            5
        };
        let task = self.draw(rng, shots, TRAIN_QUERY)?;
        let task = if self.warp.class > 0.0 || self.warp.image > 0.0 {
            warp(rng, &task, self.warp)?
        } else {
            task
        };
        self.adapted_on(task)
    }

    fn validation_task(&self, rng: &mut SplitMix64) -> Result<DigitTask<f32>, Error> {
        let shots = if rng.next_u64().is_multiple_of(2) {
            1
        } else {
            5
        };
        let task = self.draw_from(&self.validation_pool, rng, shots, QUERY_PER_CLASS)?;
        self.adapted_on(task)
    }
}
