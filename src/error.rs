//! The one error type of tinycml.
//!
//! Every fallible call returns [`Error`]. None of them panics, and a call that fails leaves
//! the meta-state (ω, λ, optimiser moments) exactly as it was: validation happens before
//! anything is written.

use core::fmt;

/// Which learning phase a divergence happened in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Phase {
    /// Minimising the support loss alone (also what `adapt` runs).
    Free,
    /// Minimising `L_in + β·L_out`.
    NudgedPositive,
    /// Minimising `L_in − β·L_out` (symmetric estimator only).
    NudgedNegative,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Free => "free",
            Phase::NudgedPositive => "positively nudged",
            Phase::NudgedNegative => "negatively nudged",
        })
    }
}

/// Everything that can go wrong, with what to do about it in its `Display` text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// A shot or a setting was NaN or infinite.
    NotFinite,
    /// A value does not fit the number format (e.g. beyond ±32768 in Q16.16).
    OutOfRange,
    /// More shots than the task's buffer holds.
    TooManyShots {
        /// The buffer's capacity.
        capacity: usize,
    },
    /// A shot's target does not suit the model and loss (a class beyond the outputs, a masked
    /// output that does not exist, a probability outside `[0, 1]`); the text says which.
    InvalidTarget(&'static str),
    /// A task needs at least one support shot (and, for meta-learning, one query shot).
    NoShots,
    /// A meta-step was given no tasks (or a meta-optimiser a batch of none).
    EmptyMetaBatch,
    /// A consolidation strength λ was zero or negative; θ needs every λ > 0.
    LambdaNotPositive,
    /// A phase was asked for more gradient steps than [`crate::cml::MAX_STEPS`], the bound
    /// that keeps every call's running time finite.
    TooManySteps {
        /// The steps asked for.
        requested: u32,
    },
    /// A configuration value is invalid; the text names it.
    InvalidConfig(&'static str),
    /// The inner loop left the usable range of the number format (NaN, inf or saturation).
    Diverged {
        /// The phase that diverged.
        phase: Phase,
        /// The step (0-based) at which it was detected.
        step: u32,
    },
    /// The meta-update would have produced a non-finite or saturated value; θ was not changed.
    MetaUpdateRejected,
    /// A stored meta-state is malformed: wrong magic, shape or checksum.
    CorruptState,
    /// A stored meta-state is intact but in a format version this library does not read.
    UnsupportedVersion {
        /// The version the export declares.
        found: u16,
    },
    /// A stored meta-state is intact but holds another model than the decoder reads (a dual
    /// system given to [`crate::store::decode`], or a complex synapse to
    /// [`crate::store::decode_dual`]).
    WrongModelKind {
        /// The model the export holds.
        stored: crate::store::ModelKind,
    },
    /// A stored value (format version 5) is not exactly representable in the reader's number
    /// format, e.g. an `f32` value between two Q8.24 steps. Re-export θ for this precision
    /// ([`crate::store::encode_as`]) or read it in a format that holds the stored type.
    InexactValue {
        /// The type the export stores its values in.
        stored: crate::store::ValueType,
    },
    /// An output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
    },
    /// The flash did not take a save: an erase or program failed, or it read back other bytes
    /// (worn out, or write-protected). The previously saved state is still loadable.
    FlashWornOut,
    /// Reading the flash failed (a driver or bus error).
    FlashRead,
    /// A state does not fit a slot of the persistence store.
    StateTooLarge {
        /// Bytes the state needs.
        needed: usize,
        /// Bytes a slot holds.
        available: usize,
    },
    /// The persistence store holds no complete saved state (never saved, or both slots
    /// corrupt).
    NoSavedState,
    /// A saved state has other parts, number formats or sizes than the state it is loaded
    /// into.
    WrongShape,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFinite => write!(f, "a value is NaN or infinite; filter the input first"),
            Error::OutOfRange => write!(
                f,
                "a value is outside the range of the number format; rescale the data"
            ),
            Error::TooManyShots { capacity } => write!(
                f,
                "more shots than the task buffer holds ({capacity}); use fewer or a larger task type"
            ),
            Error::NoShots => write!(
                f,
                "the task has no support shots (or no query shots for meta-learning)"
            ),
            Error::EmptyMetaBatch => write!(f, "the meta-batch holds no tasks; give it at least one"),
            Error::LambdaNotPositive => write!(
                f,
                "a consolidation strength λ is zero or negative; every λ must be > 0"
            ),
            Error::TooManySteps { requested } => write!(
                f,
                "{requested} gradient steps asked for, at most {} are allowed; use fewer",
                crate::cml::MAX_STEPS
            ),
            Error::InvalidConfig(what) => write!(f, "invalid configuration: {what}"),
            Error::InvalidTarget(what) => write!(f, "invalid target: {what}; fix the shot's label"),
            Error::Diverged { phase, step } => write!(
                f,
                "the {phase} phase diverged at step {step}; lower the learning rate, β or λ_max"
            ),
            Error::MetaUpdateRejected => write!(
                f,
                "the meta-update was not finite or in range and was not applied; lower the meta learning rate"
            ),
            Error::CorruptState => write!(
                f,
                "the stored meta-state is corrupt or of another shape; re-export it"
            ),
            Error::UnsupportedVersion { found } => write!(
                f,
                "the stored meta-state is format version {found}, this library reads versions {} to {}; re-export it with this library",
                crate::store::VERSION_2,
                crate::store::VERSION_5
            ),
            Error::WrongModelKind { stored } => match stored {
                crate::store::ModelKind::DualSystem => write!(
                    f,
                    "the stored meta-state is a dual system's; read it with store::decode_dual"
                ),
                crate::store::ModelKind::ComplexSynapse => write!(
                    f,
                    "the stored meta-state is a complex synapse's; read it with store::decode"
                ),
            },
            Error::InexactValue { stored } => write!(
                f,
                "the stored meta-state holds {stored} values this number format cannot hold exactly; re-export it for this precision (store::encode_as)"
            ),
            Error::BufferTooSmall { needed } => {
                write!(f, "the output buffer is too small; {needed} bytes are needed")
            }
            Error::FlashWornOut => write!(
                f,
                "the flash did not take the save (erase or program failed, or it read back different bytes); the previous state is still loadable; use another flash region or replace the part"
            ),
            Error::FlashRead => write!(
                f,
                "reading the flash failed; check the flash driver and the region's offsets"
            ),
            Error::StateTooLarge { needed, available } => write!(
                f,
                "the state needs {needed} bytes but a slot holds {available}; give the store larger slots"
            ),
            Error::NoSavedState => write!(
                f,
                "no complete saved state in the flash region (never saved, or both copies corrupt); start from a prior and save"
            ),
            Error::WrongShape => write!(
                f,
                "the saved state holds other parts, number formats or sizes than the state it is loaded into; load it into the types it was saved from"
            ),
        }
    }
}

impl core::error::Error for Error {}
