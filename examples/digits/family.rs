//! The meta-training task source: 5-way tasks of digits 0–4 (the training classes), with
//! optional augmentation; validation tasks from their own pool.

use crate::{DigitTask, Q, S};
use tinycml::digits::{ClassId, Digits, HELDOUT_WAYS, PIXELS, QUERY_PER_CLASS, SIDE};
use tinycml::train::TaskSource;
use tinycml::*;

/// Query images per class in a training task (fewer than held-out: the nudged phases are
/// the cost of an estimate).
pub const TRAIN_QUERY: usize = 5;

/// 5-way tasks of the meta-training classes (digits 0–4 at four rotations).
pub struct Family {
    pub data: Digits<'static>,
    /// Training tasks: 1-shot or 5-shot at random (`true`), or 5-shot only.
    pub mix: bool,
    /// Classes of the training tasks, and of the validation tasks.
    pub train_pool: Vec<ClassId>,
    pub validation_pool: Vec<ClassId>,
    /// Training tasks only: each label mirrored left–right at random (a new class), each
    /// image shifted by up to one pixel each way (zeros come in).
    pub augment: bool,
}

/// `x` mirrored left–right when `mirror`, then shifted by (`dr`, `dc`) pixels.
fn transform(x: &[f32; PIXELS], mirror: bool, dr: isize, dc: isize) -> [f32; PIXELS] {
    let side = SIDE as isize;
    std::array::from_fn(|i| {
        let (r, c) = ((i / SIDE) as isize - dr, (i % SIDE) as isize - dc);
        if !(0..side).contains(&r) || !(0..side).contains(&c) {
            return 0.0;
        }
        let c = if mirror { side - 1 - c } else { c };
        x[(r * side + c) as usize]
    })
}

fn augment(rng: &mut SplitMix64, task: &DigitTask<f32>) -> Result<DigitTask<f32>, Error> {
    let mirror: [bool; HELDOUT_WAYS] = std::array::from_fn(|_| rng.next_u64().is_multiple_of(2));
    let mut shift = |shot: &Shot<f32, PIXELS, Class>| {
        let dr = (rng.next_u64() % 3) as isize - 1;
        let dc = (rng.next_u64() % 3) as isize - 1;
        Shot::new(
            &transform(&shot.x, mirror[shot.y.0 as usize], dr, dc),
            shot.y,
        )
    };
    let support = task
        .support()
        .iter()
        .map(&mut shift)
        .collect::<Result<Vec<_>, _>>()?;
    let query = task
        .query()
        .iter()
        .map(&mut shift)
        .collect::<Result<Vec<_>, _>>()?;
    Task::from_shots(&support, &query)
}

impl Family {
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
        if self.augment {
            augment(rng, &task)
        } else {
            Ok(task)
        }
    }

    fn validation_task(&self, rng: &mut SplitMix64) -> Result<DigitTask<f32>, Error> {
        let shots = if rng.next_u64().is_multiple_of(2) {
            1
        } else {
            5
        };
        self.draw_from(&self.validation_pool, rng, shots, QUERY_PER_CLASS)
    }
}
