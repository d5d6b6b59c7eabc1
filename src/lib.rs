//! # tinycml: contrastive meta-learning on a microcontroller
//!
//! tinycml lets a device learn *how to learn*: it meta-learns, across many small tasks, the
//! starting point ω and the per-synapse consolidation strength λ of a network, so that a new
//! task is learned from a handful of shots. It implements the contrastive meta-learning rule
//! (CML) of Zucchet et al., NeurIPS 2022, `no_std`, without allocation, in fixed point.
//!
//! ## The rule in a few lines
//!
//! For each task the learner runs gradient descent on its support shots from φ = ω (the *free
//! phase*, end state φ⁰), then again from φ⁰ with the loss nudged by `±β ×` the query loss
//! (end states φ⁺, φ⁻). Per synapse,
//!
//! ```text
//! ĝ_ω = λ (φ⁻ − φ⁺) / 2β        ĝ_λ = [(φ⁺ − ω)² − (φ⁻ − ω)²] / 4β      (symmetric)
//! ```
//!
//! estimates `dL_query/dθ` — no second derivatives, no stored trajectory, no backward pass
//! through time. Memory is a few parameter-sized buffers:
//!
//! | buffer | size | needed for |
//! |---|---|---|
//! | θ = ω, λ ([`ComplexSynapse`]) | 2P | everything (may live in flash for adaptation) |
//! | φ, gradient | 2P | adaptation ([`Cml::adapt`]) |
//! | φ⁰, φ⁺ ([`Workspace`]) | +2P | a CML estimate ([`Cml::estimate`]) |
//! | [`MetaGradient`] | +2P | averaging a meta-batch |
//! | Adam moments | +4P | [`Adam`] (host); [`Sgd`] needs none |
//!
//! For the 1-40-40-1 sinusoid model (P = 1,761, 4 bytes a value) one on-device CML step with
//! SGD needs 6P = 42 KB.
//!
//! ## The pieces
//!
//! - [`num`]: one generic code path for `f64` (the reference), `f32` and fixed point
//!   ([`Q16_16`]: Q16.16 activations, Q8.24 weights; the device default).
//! - [`nn`]: [`Mlp`] and [`Linear`] with compile-time widths and flat parameters.
//! - [`task`], [`sinusoid`], [`rng`]: shots in `heapless` buffers; the sinusoid family.
//! - [`inner`]: gradient descent on `L_in + β·L_out`, one function for every phase.
//! - [`cml`], [`synapse`], [`optim`]: the rule, θ, and all-or-nothing meta-optimisers.
//! - `reference` (feature `std`): closed forms and exact implicit gradients to check against.
//! - `train` (feature `std`): the host meta-training driver. A user describes a task family
//!   (`train::TaskSource`, a few lines); `train::train` meta-trains θ on it over threads,
//!   validates on a stream of its own, keeps the best θ, drops diverging tasks and exports
//!   the result for a device.
//!
//! ## Errors
//!
//! Nothing panics on data. NaN or out-of-range shots, too many shots, invalid settings and a
//! diverging inner loop each return an [`Error`], and θ is left exactly as it was.
//!
//! ## Features
//!
//! - `std`: the float reference (`reference`) and the meta-training driver (`train`), host
//!   only.
//! - `defmt`: `defmt::Format` for errors and reports, for device logging.

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod cml;
mod error;
pub mod inner;
pub mod loss;
pub mod nn;
pub mod num;
pub mod optim;
#[cfg(feature = "std")]
pub mod reference;
pub mod rng;
pub mod sinusoid;
pub mod store;
pub mod synapse;
pub mod task;
#[cfg(feature = "std")]
pub mod train;

pub use cml::{Cml, Config, Estimator, Learn, MetaStepReport, TaskReport, Workspace};
pub use error::{Error, Phase};
pub use loss::{Loss, MaskedSquaredError, SquaredError};
pub use nn::{Activation, End, Layer, Linear, Mlp, Model, Network, Shape};
pub use num::{Precision, Q16_16Uniform, Saturations, Scalar, Q16_16, Q8_24};
pub use optim::{Adam, Bounds, MetaGradient, MetaOptimizer, Sgd};
pub use rng::SplitMix64;
pub use synapse::ComplexSynapse;
pub use task::{Class, Masked, Shot, Target, Task};

/// The sinusoid benchmark network: 1-40-40-1 (1,761 parameters).
pub type SinusoidMlp = Mlp<1, 40, 40>;
