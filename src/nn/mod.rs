//! Networks: models with compile-time widths, parameters in one flat array.
//!
//! A [`Model`] knows its parameter count, runs a forward pass into caller-provided buffers and
//! a backward pass that adds `∂/∂params` of a scaled squared error into a gradient buffer.
//! Every meta-state (ω, λ, φ, gradients, optimiser moments) has the same flat shape, so the
//! complex-synapse rule is one elementwise loop over it.
//!
//! Losses follow the project's conventions: the data loss on a set is
//! `(1/|D|) Σ ½ (f(x) − y)²`, and the reported MSE is `(1/|D|) Σ (f(x) − y)²`.

pub mod dense;
mod linear;
mod mlp;

pub use linear::Linear;
pub use mlp::{Mlp, MlpBuffers};

use crate::num::{Precision, Saturations, Scalar};
use crate::task::Shot;

/// The hidden-layer nonlinearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Activation {
    /// `max(0, z)`.
    Relu,
    /// `tanh(z)` (fixed point: a tabulated approximation, see [`crate::num::tanh`]).
    Tanh,
}

impl Activation {
    /// The activation of a pre-activation `z`.
    #[inline]
    pub fn apply<A: Scalar>(self, z: A) -> A {
        match self {
            Activation::Relu => z.max(A::ZERO),
            Activation::Tanh => z.tanh(),
        }
    }

    /// Whether `σ'(z) = 0` at the output `h = σ(z)`, so that no error passes back through it:
    /// an inactive ReLU. Backward passes skip such units.
    #[inline]
    pub fn blocks<A: Scalar>(self, h: A) -> bool {
        match self {
            Activation::Relu => h <= A::ZERO,
            Activation::Tanh => false,
        }
    }

    /// `δ · σ'(z)`, written in terms of the output `h = σ(z)`.
    #[inline]
    pub fn backprop<N: Precision>(
        self,
        delta: N::Param,
        h: N::Act,
        sat: &mut Saturations,
    ) -> N::Param {
        match self {
            Activation::Relu if self.blocks(h) => N::Param::ZERO,
            Activation::Relu => delta,
            Activation::Tanh => N::mul_param_act(delta, N::Act::ONE.sub(h.mul(h)), sat),
        }
    }
}

/// The architecture of a model, as recorded in an exported meta-state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Shape {
    /// [`Linear`] with this many inputs.
    Linear {
        /// Inputs.
        inputs: u16,
    },
    /// [`Mlp`] `inputs-hidden1-hidden2-1`.
    Mlp {
        /// Inputs.
        inputs: u16,
        /// First hidden width.
        hidden1: u16,
        /// Second hidden width.
        hidden2: u16,
        /// Hidden nonlinearity.
        activation: Activation,
    },
}

/// A network with a scalar output and a flat parameter vector.
pub trait Model<N: Precision> {
    /// Inputs per shot.
    const INPUTS: usize;
    /// Length of the flat parameter vector.
    const PARAMS: usize;
    /// Per-shot scratch the forward pass fills and the backward pass reads.
    type Buffers: Default;

    /// The architecture, for export and for checking an import against this model.
    fn shape(&self) -> Shape;

    /// `f(x)`, keeping what the backward pass needs in `buffers`.
    fn forward(
        &self,
        params: &[N::Param],
        x: &[N::Act],
        buffers: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> N::Act;

    /// Adds `d_out · ∂f(x)/∂params` to `grad`, using `buffers` from the forward pass on `x`.
    fn backward(
        &self,
        params: &[N::Param],
        x: &[N::Act],
        buffers: &mut Self::Buffers,
        d_out: N::Param,
        grad: &mut [N::Param],
        sat: &mut Saturations,
    );
}

/// Adds `weight · ∇ (1/|D|) Σ ½ (f(x) − y)²` over `shots` to `grad`.
pub fn add_loss_gradient<N: Precision, M: Model<N>, const D: usize>(
    model: &M,
    params: &[N::Param],
    shots: &[Shot<N::Act, D>],
    weight: N::Param,
    grad: &mut [N::Param],
    sat: &mut Saturations,
) {
    if shots.is_empty() {
        return;
    }
    let per_shot = weight.div_count(shots.len() as u32);
    let mut buffers = M::Buffers::default();
    for shot in shots {
        let prediction = model.forward(params, &shot.x, &mut buffers, sat);
        let error = N::act_to_param(prediction.sub(shot.y), sat);
        model.backward(
            params,
            &shot.x,
            &mut buffers,
            error.mul(per_shot),
            grad,
            sat,
        );
    }
}

/// Mean squared error `(1/|D|) Σ (f(x) − y)²` over `shots` (no ½), accumulated wide.
pub fn mse<N: Precision, M: Model<N>, const D: usize>(
    model: &M,
    params: &[N::Param],
    shots: &[Shot<N::Act, D>],
    sat: &mut Saturations,
) -> N::Act {
    if shots.is_empty() {
        return N::Act::ZERO;
    }
    let mut buffers = M::Buffers::default();
    let mut sum = N::Act::wide_zero();
    for shot in shots {
        let error = model
            .forward(params, &shot.x, &mut buffers, sat)
            .sub(shot.y);
        sum = N::Act::wide_mac(sum, error, error);
    }
    N::Act::from_wide(sum, sat).div_count(shots.len() as u32)
}
