//! What can stop a meta-training run before it starts, or its export after it ends.

use crate::Error;
use std::fmt;

/// Why [`super::train`] (or an export of its result) failed. A run that starts never fails
/// because of the tasks it learns from: tasks that diverge are dropped and counted, steps the
/// optimiser refuses are counted, and θ is only ever replaced by a usable one.
#[derive(Debug)]
#[non_exhaustive]
pub enum TrainError {
    /// A driver setting is invalid; the text names it.
    Settings(&'static str),
    /// The library refused part of the setup (e.g. the meta learning rate is not
    /// representable in the number format) or the export.
    Library(Error),
    /// The task source could not draw a task (a value out of range, too many shots for the
    /// task's capacity, …): a bug in the source, so the run stops instead of skipping it.
    Source(Error),
    /// Writing the export failed.
    Io(std::io::Error),
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Settings(what) => write!(f, "invalid training settings: {what}"),
            TrainError::Library(error) => write!(f, "{error}"),
            TrainError::Source(error) => {
                write!(f, "the task source failed to draw a task: {error}")
            }
            TrainError::Io(error) => write!(f, "cannot write the export: {error}"),
        }
    }
}

impl std::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrainError::Library(error) | TrainError::Source(error) => Some(error),
            TrainError::Io(error) => Some(error),
            TrainError::Settings(_) => None,
        }
    }
}

impl From<Error> for TrainError {
    fn from(error: Error) -> Self {
        TrainError::Library(error)
    }
}

impl From<std::io::Error> for TrainError {
    fn from(error: std::io::Error) -> Self {
        TrainError::Io(error)
    }
}
