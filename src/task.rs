//! Tasks: a few support shots to learn from and query shots to judge the learning by.
//!
//! Shots live in fixed-capacity `heapless` buffers whose capacities are type parameters, so a
//! task's memory is known at compile time. Every value is checked on the way in: NaN,
//! infinities and values outside the number format are refused with a typed error, and a full
//! buffer refuses the shot instead of growing.

use crate::num::Scalar;
use crate::Error;
use heapless::Vec;

/// One labelled example: `D` inputs and a scalar target, in the activation format `A`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shot<A, const D: usize> {
    /// The input.
    pub x: [A; D],
    /// The target.
    pub y: A,
}

impl<A: Scalar, const D: usize> Shot<A, D> {
    /// Converts and validates a shot: [`Error::NotFinite`] for NaN or infinities,
    /// [`Error::OutOfRange`] for values the format cannot hold.
    pub fn new(x: &[f64; D], y: f64) -> Result<Self, Error> {
        let convert = |v: f64| {
            if !v.is_finite() {
                Err(Error::NotFinite)
            } else {
                A::from_f64(v).ok_or(Error::OutOfRange)
            }
        };
        let mut converted = [A::ZERO; D];
        for (slot, &value) in converted.iter_mut().zip(x) {
            *slot = convert(value)?;
        }
        Ok(Self {
            x: converted,
            y: convert(y)?,
        })
    }
}

/// A task: up to `S` support shots and up to `Q` query shots with `D` inputs each.
#[derive(Clone, Debug, Default)]
pub struct Task<A, const D: usize, const S: usize, const Q: usize> {
    support: Vec<Shot<A, D>, S>,
    query: Vec<Shot<A, D>, Q>,
}

impl<A: Scalar, const D: usize, const S: usize, const Q: usize> Task<A, D, S, Q> {
    /// An empty task.
    pub const fn new() -> Self {
        Self {
            support: Vec::new(),
            query: Vec::new(),
        }
    }

    /// Adds a support shot; [`Error::TooManyShots`] when the buffer is full.
    pub fn push_support(&mut self, shot: Shot<A, D>) -> Result<(), Error> {
        self.support
            .push(shot)
            .map_err(|_| Error::TooManyShots { capacity: S })
    }

    /// Adds a query shot; [`Error::TooManyShots`] when the buffer is full.
    pub fn push_query(&mut self, shot: Shot<A, D>) -> Result<(), Error> {
        self.query
            .push(shot)
            .map_err(|_| Error::TooManyShots { capacity: Q })
    }

    /// Builds a task from slices of shots, refusing more than the capacities.
    pub fn from_shots(support: &[Shot<A, D>], query: &[Shot<A, D>]) -> Result<Self, Error> {
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
    pub fn support(&self) -> &[Shot<A, D>] {
        &self.support
    }

    /// The query shots (held out; what the meta-learner is judged by).
    pub fn query(&self) -> &[Shot<A, D>] {
        &self.query
    }
}
