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
//! ## Quick start
//!
//! A network of your own, meta-learned on a family of tasks and then adapted to a new task,
//! all in the device's fixed-point format:
//!
//! ```
//! use tinycml::*;
//!
//! type N = Q16_16; // the device default: Q16.16 data, Q8.24 weights
//! type A = <N as Precision>::Act;
//! type Net = Network<2, Layer<16, Layer<1>>>; // 2 inputs, 16 tanh units, 1 linear output
//! const P: usize = Net::PARAMS; // 65, checked against the model at compile time
//!
//! /// A task of the family y = a·x₀ − x₁, with `a` drawn per task: 5 support, 5 query shots.
//! fn draw_task(rng: &mut SplitMix64) -> Result<Task<A, 2, 5, 5>, Error> {
//!     let a = rng.uniform(-1.0, 1.0);
//!     let mut task = Task::new();
//!     for i in 0..10 {
//!         let x = [rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)];
//!         let shot = Shot::new(&x, a * x[0] - x[1])?;
//!         if i < 5 { task.push_support(shot)? } else { task.push_query(shot)? }
//!     }
//!     Ok(task)
//! }
//!
//! let config = Config::default().with_free_steps(20).with_nudged_steps(10);
//! let cml = Cml::<N, _, P>::new(Net::new(Activation::Tanh), config)?;
//!
//! // θ: where each synapse starts (ω) and how strongly it is pulled back there (λ).
//! let mut rng = SplitMix64::new(1);
//! let omega = core::array::from_fn(|_| I8F24::from_num(rng.uniform(-0.5, 0.5)));
//! let mut theta = ComplexSynapse::<N, P>::with_uniform_lambda(omega, 1.0)?;
//!
//! // Meta-learning: SGD on the CML estimate over meta-batches of 4 tasks.
//! let (mut ws, mut batch, mut sgd) = (Workspace::new(), MetaGradient::new(), Sgd::new(0.05)?);
//! for _ in 0..10 {
//!     let tasks = [(); 4].map(|_| draw_task(&mut rng).unwrap());
//!     let report = cml.meta_step(&mut theta, &tasks, &mut ws, &mut batch, &mut sgd)?;
//!     assert_eq!(report.tasks_used, 4);
//! }
//!
//! // Deployment: adapt to a new task's support shots (the free phase), then predict.
//! let task = draw_task(&mut rng)?;
//! let (phi, grad) = ws.adapt_buffers();
//! cml.adapt(&theta, &task, None, phi, grad)?;
//! let [y] = cml.predict(phi, &[0.5f32, -0.25])?;
//! println!("f(0.5, −0.25) = {y}; query MSE {}", cml.query_loss(phi, &task, &mut Saturations::default()));
//! # Ok::<(), Error>(())
//! ```
//!
//! ## The pieces
//!
//! - [`num`]: one generic code path for `f64` (the reference), `f32` and fixed point
//!   ([`Q16_16`]: Q16.16 activations, Q8.24 weights; the device default).
//! - [`nn`]: [`Network`]s of any depth and width (compile-time widths, flat parameters);
//!   [`Mlp`] and [`Linear`] are two of their shapes.
//! - [`loss`]: squared error (plain and masked), binary and softmax cross-entropy.
//! - [`task`], [`sinusoid`], [`digits`], [`rng`]: shots (inputs and a target: values, a
//!   [`Class`], a [`Masked`] output) in `heapless` buffers; the sinusoid regression family
//!   and the 8×8 handwritten digits classification family.
//! - [`dual`]: the dual system, the paper's second model: a slow body (may live in flash)
//!   modulated per neuron by a small fast state, with its own θ, rule and buffers.
//! - [`inner`]: gradient descent on `L_in + β·L_out`, one function for every phase.
//! - [`cml`], [`synapse`], [`optim`]: the rule, θ, and all-or-nothing meta-optimisers.
//! - [`persist`]: save θ, the optimiser, the settings and an adapted state to NOR flash
//!   through any HAL's `embedded-storage` driver, safe against a power cut at any moment.
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
//! - `asm`: two fixed-point inner loops (weight gradient, input errors) in Armv7E-M assembly
//!   on `thumbv7em-*` targets (Cortex-M4, Cortex-M7), the same bits in fewer instructions;
//!   no effect on any other target. The crate's only `unsafe` code.

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
// Without `asm` the crate has no `unsafe` at all; with it, only `num::asm` may.
#![cfg_attr(not(feature = "asm"), forbid(unsafe_code))]
#![cfg_attr(feature = "asm", deny(unsafe_code))]

pub mod cml;
pub mod digits;
pub mod dual;
mod error;
pub mod inner;
pub mod loss;
pub mod nn;
pub mod num;
pub mod optim;
pub mod persist;
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
pub use fixed::types::{I16F16, I8F24};
pub use loss::{
    BinaryCrossEntropy, Loss, LossName, MaskedSquaredError, SoftmaxCrossEntropy, SquaredError,
};
pub use nn::{Activation, End, Layer, Linear, Mlp, Model, Network, Shape};
pub use num::{GenericKernels, Precision, Q16_16Uniform, Saturations, Scalar, Q16_16, Q8_24};
pub use optim::{Adam, Bounds, MetaGradient, MetaOptimizer, Sgd};
pub use rng::SplitMix64;
pub use synapse::ComplexSynapse;
pub use task::{Class, Masked, Shot, Target, Task};

/// The README's code blocks, compiled and run as doctests so that they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The sinusoid benchmark network: 1-40-40-1 (1,761 parameters).
pub type SinusoidMlp = Mlp<1, 40, 40>;
