//! Tasks: a few support shots to learn from and query shots to judge the learning by.
//!
//! Shots live in fixed-capacity `heapless` buffers whose capacities are type parameters, so a
//! task's memory is known at compile time. Every value is checked on the way in: NaN,
//! infinities and values outside the number format are refused with a typed error, and a full
//! buffer refuses the shot instead of growing.

use crate::num::Scalar;
use crate::Error;
use core::fmt::Debug;
use heapless::Vec;

/// What a shot's target can be: one value or several (regression), a class index, or one
/// chosen output and its value. [`Target::Map`] is the same target in another number type, so
/// shots convert between formats (and into the float reference's dual numbers).
pub trait Target<A: Scalar>: Copy + Debug + PartialEq {
    /// This target with its values in `B`.
    type Map<B: Scalar>: Copy + Debug + PartialEq;
    /// Converts every value with `convert`, stopping at the first error.
    fn try_map<B: Scalar, E>(
        &self,
        convert: impl FnMut(A) -> Result<B, E>,
    ) -> Result<Self::Map<B>, E>;
}

/// A class index `0..C`, for [`crate::loss::SoftmaxCrossEntropy`] over `C` outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Class(pub u16);

/// One chosen output and the value it should take, for
/// [`crate::loss::MaskedSquaredError`]: the other outputs are not judged (as for the arm that
/// was pulled in reward-based learning).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Masked<A> {
    /// Which output is judged.
    pub output: u16,
    /// Its target value.
    pub value: A,
}

impl<A: Scalar> Target<A> for A {
    type Map<B: Scalar> = B;
    fn try_map<B: Scalar, E>(&self, mut f: impl FnMut(A) -> Result<B, E>) -> Result<B, E> {
        f(*self)
    }
}

impl<A: Scalar, const O: usize> Target<A> for [A; O] {
    type Map<B: Scalar> = [B; O];
    fn try_map<B: Scalar, E>(&self, mut f: impl FnMut(A) -> Result<B, E>) -> Result<[B; O], E> {
        let mut out = [B::ZERO; O];
        for (slot, &value) in out.iter_mut().zip(self) {
            *slot = f(value)?;
        }
        Ok(out)
    }
}

impl<A: Scalar> Target<A> for Class {
    type Map<B: Scalar> = Class;
    fn try_map<B: Scalar, E>(&self, _: impl FnMut(A) -> Result<B, E>) -> Result<Class, E> {
        Ok(*self)
    }
}

impl<A: Scalar> Target<A> for Masked<A> {
    type Map<B: Scalar> = Masked<B>;
    fn try_map<B: Scalar, E>(&self, mut f: impl FnMut(A) -> Result<B, E>) -> Result<Masked<B>, E> {
        Ok(Masked {
            output: self.output,
            value: f(self.value)?,
        })
    }
}

/// `f32` targets convert like `f64` ones (every `f32` is an `f64`).
impl Target<f64> for f32 {
    type Map<B: Scalar> = B;
    fn try_map<B: Scalar, E>(&self, mut f: impl FnMut(f64) -> Result<B, E>) -> Result<B, E> {
        f(*self as f64)
    }
}

impl<const O: usize> Target<f64> for [f32; O] {
    type Map<B: Scalar> = [B; O];
    fn try_map<B: Scalar, E>(&self, f: impl FnMut(f64) -> Result<B, E>) -> Result<[B; O], E> {
        Target::<f64>::try_map(&self.map(f64::from), f)
    }
}

impl Target<f64> for Masked<f32> {
    type Map<B: Scalar> = Masked<B>;
    fn try_map<B: Scalar, E>(
        &self,
        mut f: impl FnMut(f64) -> Result<B, E>,
    ) -> Result<Masked<B>, E> {
        Ok(Masked {
            output: self.output,
            value: f(self.value as f64)?,
        })
    }
}

/// One labelled example: `D` inputs in the activation format `A` and a target `T` (by default
/// one value in `A`; see [`Target`] for the others).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shot<A, const D: usize, T = A> {
    /// The input.
    pub x: [A; D],
    /// The target.
    pub y: T,
}

/// `v` in format `A`: [`Error::NotFinite`] for NaN or infinities, [`Error::OutOfRange`] for
/// values the format cannot hold, including a value at its edge (−32768 in Q16.16), which
/// the learner reads as saturated ([`Scalar::is_usable`]).
fn convert<A: Scalar>(v: f64) -> Result<A, Error> {
    if !v.is_finite() {
        return Err(Error::NotFinite);
    }
    match A::from_f64(v) {
        Some(value) if value.is_usable() => Ok(value),
        _ => Err(Error::OutOfRange),
    }
}

/// An input given in `f64` or `f32`, in format `A`, validated as [`Shot::new`] does.
pub(crate) fn input<A: Scalar, X: Into<f64> + Copy, const D: usize>(
    x: &[X; D],
) -> Result<[A; D], Error> {
    let mut converted = [A::ZERO; D];
    for (slot, &value) in converted.iter_mut().zip(x) {
        *slot = convert(value.into())?;
    }
    Ok(converted)
}

impl<A: Scalar, const D: usize, T> Shot<A, D, T> {
    /// Converts and validates a shot from `f64` or `f32` values: [`Error::NotFinite`] for NaN
    /// or infinities, [`Error::OutOfRange`] for values the format cannot hold. Whether a
    /// target suits a model and loss (a class below the number of outputs, say) is checked
    /// where both are known, by [`crate::Cml`].
    ///
    /// ```
    /// use tinycml::{Class, Shot, Q16_16, Precision};
    /// type A = <Q16_16 as Precision>::Act;
    ///
    /// let regression = Shot::<A, 2>::new(&[0.5f32, -1.0], 0.25)?;
    /// let two_outputs = Shot::<A, 2, [A; 2]>::new(&[0.5, -1.0], [0.25, 1.5])?;
    /// let labelled = Shot::<A, 2, Class>::new(&[0.5, -1.0], Class(3))?;
    /// assert_eq!(labelled.y, Class(3));
    /// assert!(Shot::<A, 1>::new(&[f64::NAN], 0.0).is_err());
    /// # let _ = (regression, two_outputs);
    /// # Ok::<(), tinycml::Error>(())
    /// ```
    pub fn new<X, Y>(x: &[X; D], y: Y) -> Result<Self, Error>
    where
        X: Into<f64> + Copy,
        Y: Target<f64, Map<A> = T>,
    {
        Ok(Self {
            x: input(x)?,
            y: y.try_map(convert::<A>)?,
        })
    }
}

/// A task: up to `S` support shots and up to `Q` query shots with `D` inputs and a target `T`
/// each.
///
/// ```
/// use tinycml::{Class, Error, Shot, Task};
///
/// // A 3-way task of 2-input shots in f32: at most 3 support and 6 query shots.
/// let mut task = Task::<f32, 2, 3, 6, Class>::new();
/// for class in 0..3 {
///     task.push_support(Shot::new(&[class as f32, 1.0], Class(class))?)?;
/// }
/// let full = task.push_support(Shot::new(&[0.0, 0.0], Class(0))?);
/// assert_eq!(full, Err(Error::TooManyShots { capacity: 3 })); // the buffer never grows
/// assert_eq!((task.support().len(), task.query().len()), (3, 0));
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Task<A, const D: usize, const S: usize, const Q: usize, T = A> {
    support: Vec<Shot<A, D, T>, S>,
    query: Vec<Shot<A, D, T>, Q>,
}

impl<A, const D: usize, const S: usize, const Q: usize, T> Default for Task<A, D, S, Q, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<A, const D: usize, const S: usize, const Q: usize, T> Task<A, D, S, Q, T> {
    /// An empty task.
    pub const fn new() -> Self {
        Self {
            support: Vec::new(),
            query: Vec::new(),
        }
    }

    /// Adds a support shot; [`Error::TooManyShots`] when the buffer is full.
    pub fn push_support(&mut self, shot: Shot<A, D, T>) -> Result<(), Error> {
        self.support
            .push(shot)
            .map_err(|_| Error::TooManyShots { capacity: S })
    }

    /// Adds a query shot; [`Error::TooManyShots`] when the buffer is full.
    pub fn push_query(&mut self, shot: Shot<A, D, T>) -> Result<(), Error> {
        self.query
            .push(shot)
            .map_err(|_| Error::TooManyShots { capacity: Q })
    }

    /// Builds a task from slices of shots, refusing more than the capacities.
    pub fn from_shots(support: &[Shot<A, D, T>], query: &[Shot<A, D, T>]) -> Result<Self, Error>
    where
        T: Copy,
        A: Copy,
    {
        let mut task = Self::new();
        for &shot in support {
            task.push_support(shot)?;
        }
        for &shot in query {
            task.push_query(shot)?;
        }
        Ok(task)
    }

    /// Keeps only the first `k` support shots (e.g. K = 5 out of 10 drawn).
    pub fn truncate_support(&mut self, k: usize) {
        self.support.truncate(k);
    }

    /// The support shots (what the learner adapts to).
    pub fn support(&self) -> &[Shot<A, D, T>] {
        &self.support
    }

    /// The query shots (held out; what the meta-learner is judged by).
    pub fn query(&self) -> &[Shot<A, D, T>] {
        &self.query
    }
}

impl<A: Scalar, const D: usize, const S: usize, const Q: usize, T: Target<A>> Task<A, D, S, Q, T> {
    /// The same task in another number format: the device's shots in `f64` for the float
    /// reference, or host shots in the device's format. Every value is checked as
    /// [`Shot::new`] checks it ([`Error::OutOfRange`] for a value format `B` cannot hold).
    ///
    /// ```
    /// use tinycml::{Precision, Shot, Task, Q16_16};
    /// type A = <Q16_16 as Precision>::Act;
    ///
    /// let task = Task::<f32, 1, 1, 1>::from_shots(
    ///     &[Shot::new(&[0.5f32], 0.25)?],
    ///     &[Shot::new(&[1e6f32], 0.0)?],
    /// )?;
    /// let exact = task.convert::<f64>()?;
    /// assert_eq!(exact.support()[0].x, [0.5]);
    /// assert!(task.convert::<A>().is_err()); // 1e6 is beyond Q16.16
    /// # Ok::<(), tinycml::Error>(())
    /// ```
    pub fn convert<B: Scalar>(&self) -> Result<Task<B, D, S, Q, T::Map<B>>, Error> {
        let shot = |s: &Shot<A, D, T>| -> Result<Shot<B, D, T::Map<B>>, Error> {
            Ok(Shot {
                x: input(&s.x.map(Scalar::to_f64))?,
                y: s.y.try_map(|v| convert::<B>(v.to_f64()))?,
            })
        };
        let mut task = Task::new();
        for s in self.support() {
            task.push_support(shot(s)?)?;
        }
        for s in self.query() {
            task.push_query(shot(s)?)?;
        }
        Ok(task)
    }
}
