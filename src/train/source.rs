//! Where tasks come from: a family of tasks the driver draws from, seeded.

use crate::num::Scalar;
use crate::rng::SplitMix64;
use crate::sinusoid;
use crate::task::Task;
use crate::Error;

/// A family of tasks: draws a training task, or a validation task, from a seeded generator.
///
/// The driver draws every training task from one [`SplitMix64`] seeded with
/// [`super::Settings::seed`], in order, on one thread, so a seed fixes the whole stream
/// whatever the number of threads. Validation tasks come from their own generator
/// ([`super::Settings::validation_seed`]) and by default are drawn like training tasks;
/// override [`TaskSource::validation_task`] to give them, say, more query shots.
///
/// Tasks have `D` inputs, up to `S` support and `Q` query shots, targets `T`, values in the
/// activation format `A`. A family written for any `A: Scalar` serves every precision.
///
/// ```
/// use tinycml::train::TaskSource;
/// use tinycml::{Error, Scalar, Shot, SplitMix64, Task};
///
/// /// y = a·x + b with a, b ~ U[−1, 1]: 5 support and 5 query shots.
/// struct Lines;
///
/// impl<A: Scalar> TaskSource<A, 1, 5, 5> for Lines {
///     fn train_task(&self, rng: &mut SplitMix64) -> Result<Task<A, 1, 5, 5>, Error> {
///         let (a, b) = (rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0));
///         let mut task = Task::new();
///         for i in 0..10 {
///             let x = rng.uniform(-2.0, 2.0);
///             let shot = Shot::new(&[x], a * x + b)?;
///             if i < 5 { task.push_support(shot)? } else { task.push_query(shot)? }
///         }
///         Ok(task)
///     }
/// }
///
/// let task: Task<f32, 1, 5, 5> = Lines.train_task(&mut SplitMix64::new(1))?;
/// assert_eq!((task.support().len(), task.query().len()), (5, 5));
/// # Ok::<(), Error>(())
/// ```
///
/// A closure `|rng: &mut SplitMix64| -> Result<Task<…>, Error>` is a source too (its
/// validation tasks are drawn like its training tasks).
pub trait TaskSource<A, const D: usize, const S: usize, const Q: usize, T = A> {
    /// The next training task.
    fn train_task(&self, rng: &mut SplitMix64) -> Result<Task<A, D, S, Q, T>, Error>;

    /// The next validation task; by default drawn like a training task.
    fn validation_task(&self, rng: &mut SplitMix64) -> Result<Task<A, D, S, Q, T>, Error> {
        self.train_task(rng)
    }
}

impl<F, A, T, const D: usize, const S: usize, const Q: usize> TaskSource<A, D, S, Q, T> for F
where
    F: Fn(&mut SplitMix64) -> Result<Task<A, D, S, Q, T>, Error>,
{
    fn train_task(&self, rng: &mut SplitMix64) -> Result<Task<A, D, S, Q, T>, Error> {
        self(rng)
    }
}

/// The sinusoid family ([`crate::sinusoid`]) as a task source, in task buffers of `S`
/// support and `Q` query shots.
///
/// Each task is drawn as the shared held-out set is (amplitude, phase, support inputs, query
/// inputs), so validation tasks with `support: 10, validation_query: 100` are drawn exactly
/// like held-out tasks, from another seed.
///
/// ```
/// use tinycml::train::{SinusoidFamily, TaskSource};
/// use tinycml::{SplitMix64, Task};
///
/// // The sinusoid job: K = 10 and 10 query shots to train on, 100 query shots to validate.
/// let family = SinusoidFamily::<10, 100> { support: 10, query: 10, validation_query: 100 };
/// let mut rng = SplitMix64::new(1);
/// let task: Task<f32, 1, 10, 100> = family.train_task(&mut rng)?;
/// assert_eq!(task.query().len(), 10);
/// let task: Task<f32, 1, 10, 100> = family.validation_task(&mut rng)?;
/// assert_eq!(task.query().len(), 100);
/// # Ok::<(), tinycml::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SinusoidFamily<const S: usize, const Q: usize> {
    /// Support shots per task (at most `S`).
    pub support: usize,
    /// Query shots per training task (at most `Q`).
    pub query: usize,
    /// Query shots per validation task (at most `Q`).
    pub validation_query: usize,
}

impl<A: Scalar, const S: usize, const Q: usize> TaskSource<A, 1, S, Q> for SinusoidFamily<S, Q> {
    fn train_task(&self, rng: &mut SplitMix64) -> Result<Task<A, 1, S, Q>, Error> {
        Ok(sinusoid::draw_task(rng, self.support, self.query)?.1)
    }

    fn validation_task(&self, rng: &mut SplitMix64) -> Result<Task<A, 1, S, Q>, Error> {
        Ok(sinusoid::draw_task(rng, self.support, self.validation_query)?.1)
    }
}
