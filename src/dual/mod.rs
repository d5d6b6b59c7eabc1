//! The dual system: the paper's second model, a slow body modulated per neuron by a fast
//! state.
//!
//! ```text
//! h_l = σ(g_l ⊙ (W_l h_{l−1} + c_l) + s_l),   y = W_o h_L + b_o
//! ```
//!
//! The body θ = {W_l, c_l} is meta-learned and never changes while a task is learned; only the
//! fast state φ = {g_l, s_l, W_o, b_o} adapts. Why it matters on a microcontroller: the fast
//! state is per neuron, not per synapse. For the 1-40-40-1 sinusoid network it is 201 values
//! against the complex synapse's 1,761, so a device keeps the body in flash and adapts with
//! `2 × 201` values of RAM.
//!
//! The pieces mirror the complex synapse's:
//!
//! | | complex synapse | dual system |
//! |---|---|---|
//! | network | [`crate::Network`] | [`DualSystem`] (same layer list; the last layer is the read-out) |
//! | θ | [`crate::ComplexSynapse`] (ω, λ) | [`DualState`] (body, initial fast state) |
//! | the rule | [`crate::Cml`] | [`DualCml`] |
//! | phase buffers | [`crate::Workspace`] | [`DualWorkspace`] (4 × FAST) |
//! | meta-batch sum | [`crate::MetaGradient`] | [`DualMetaGradient`] (BODY + FAST) |
//! | optimisers | [`crate::MetaOptimizer`] | [`crate::optim::VectorOptimizer`] ([`crate::Sgd`], [`crate::Adam`]) |
//!
//! Every phase is the library's one inner learner ([`crate::inner::descend`]) run on the fast
//! state with the body fixed ([`DualModel::with_body`]), in `f64`, `f32` or fixed point.
//! The body's meta-gradient is the contrastive Hebbian rule (see [`rule`]); an optional pull
//! `½ μ Σ (φ − φ_init)²` makes the initial fast state meta-learnable as well.
//!
//! Without μ the inner minimiser is not unique whenever the fast state outnumbers what the
//! shots pin down (201 values against 10 shots), so the exact implicit gradient the rule
//! approximates exists only with μ > 0; the rule itself runs either way, as the authors ran it.

pub mod rule;
mod state;
pub mod system;

pub use rule::{DualCml, DualMetaGradient, DualWorkspace};
pub use state::DualState;
pub use system::{DualLayers, DualModel, DualStack, DualSystem, Gradients, WithBody};
