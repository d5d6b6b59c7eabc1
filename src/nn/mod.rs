//! Networks: dense layers with compile-time widths, parameters in one flat array.
//!
//! A [`Model`] knows its sizes, runs a forward pass into caller-provided buffers, and a
//! backward pass that adds `∂ℓ/∂params` into a gradient buffer once a loss has written
//! `∂ℓ/∂outputs` (see [`crate::loss`]). Every meta-state (ω, λ, φ, gradients, optimiser
//! moments) has the same flat shape, so the complex-synapse rule is one elementwise loop.
//!
//! [`Network`] is the model: any depth (1 to [`MAX_LAYERS`] layers), any widths, any number
//! of outputs, an activation per layer; [`Mlp`] and [`Linear`] are two of its shapes. The
//! layout of the flat vector is documented in [`network`].

pub mod dense;
pub mod network;

pub use network::{End, Layer, Layers, Network, Stack};

use crate::num::{Precision, Saturations, Scalar};

/// `IN-H1-H2-1`: two hidden layers with one activation, one linear output (the sinusoid
/// model is `Mlp<1, 40, 40>`, 1,761 parameters).
pub type Mlp<const IN: usize, const H1: usize, const H2: usize> =
    Network<IN, Layer<H1, Layer<H2, Layer<1>>>>;

/// `f(x) = w·x + b` with `D` inputs, parameters `[w_1, …, w_D, b]`: with the complex synapse,
/// ridge regression towards ω, whose meta-gradients have a closed form. Build it with
/// `Linear::<D>::default()`.
pub type Linear<const D: usize> = Network<D, Layer<1>>;

/// Most layers a [`Shape`] (and so an export) describes.
pub const MAX_LAYERS: usize = 8;

/// A layer's nonlinearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Activation {
    /// `max(0, z)`.
    Relu,
    /// `tanh(z)` (fixed point: a tabulated approximation, see [`crate::num::tanh`]).
    Tanh,
    /// `z`: a linear layer (the usual output layer; logits for the classification losses).
    Identity,
}

impl Activation {
    /// The activation of a pre-activation `z`.
    #[inline]
    pub fn apply<A: Scalar>(self, z: A) -> A {
        match self {
            Activation::Relu => z.max(A::ZERO),
            Activation::Tanh => z.tanh(),
            Activation::Identity => z,
        }
    }

    /// Whether `σ'(z) = 0` at the output `h = σ(z)`, so that no error passes back through it:
    /// an inactive ReLU. Backward passes skip such units.
    #[inline]
    pub fn blocks<A: Scalar>(self, h: A) -> bool {
        match self {
            Activation::Relu => h <= A::ZERO,
            Activation::Tanh | Activation::Identity => false,
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
            Activation::Relu | Activation::Identity => delta,
            Activation::Tanh => N::mul_param_act(delta, N::Act::ONE.sub(h.mul(h)), sat),
        }
    }
}

/// One layer of a [`Shape`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LayerShape {
    /// The layer's outputs.
    pub outputs: u16,
    /// Its activation.
    pub activation: Activation,
}

/// The architecture of a model, as recorded in an exported meta-state: the input width and
/// each layer's width and activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Shape {
    /// Inputs.
    pub inputs: u16,
    depth: u8,
    layers: [LayerShape; MAX_LAYERS],
}

impl Shape {
    /// A shape with `inputs` inputs and no layers yet.
    pub const fn new(inputs: u16) -> Self {
        Self {
            inputs,
            depth: 0,
            layers: [LayerShape {
                outputs: 0,
                activation: Activation::Identity,
            }; MAX_LAYERS],
        }
    }

    /// Appends a layer; beyond [`MAX_LAYERS`] it is dropped and [`Shape::is_complete`] says so.
    pub fn push(&mut self, layer: LayerShape) {
        if let Some(slot) = self.layers.get_mut(self.depth as usize) {
            *slot = layer;
        }
        self.depth = self.depth.saturating_add(1);
    }

    /// The shape with one more layer, in a `const` context (e.g. the expected shape of an
    /// export embedded with [`crate::store::flash`]); beyond [`MAX_LAYERS`] it is dropped and
    /// [`Shape::is_complete`] says so.
    pub const fn with_layer(mut self, outputs: u16, activation: Activation) -> Self {
        if (self.depth as usize) < MAX_LAYERS {
            self.layers[self.depth as usize] = LayerShape {
                outputs,
                activation,
            };
        }
        self.depth = self.depth.saturating_add(1);
        self
    }

    /// The number of layers pushed, in a `const` context.
    pub(crate) const fn depth(&self) -> usize {
        self.depth as usize
    }

    /// Layer `index` (first is 0), in a `const` context.
    pub(crate) const fn layer_at(&self, index: usize) -> Option<LayerShape> {
        if index < self.depth as usize && index < MAX_LAYERS {
            Some(self.layers[index])
        } else {
            None
        }
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[LayerShape] {
        self.layers
            .get(..self.depth as usize)
            .unwrap_or(&self.layers)
    }

    /// False when more than [`MAX_LAYERS`] layers were pushed.
    pub fn is_complete(&self) -> bool {
        self.depth as usize <= MAX_LAYERS
    }

    /// Outputs of the last layer (the inputs for a shape without layers).
    pub fn outputs(&self) -> u16 {
        self.layers().last().map_or(self.inputs, |l| l.outputs)
    }

    /// The parameter count `Σ outputs · (inputs + 1)`.
    pub fn params(&self) -> usize {
        let mut inputs = self.inputs as usize;
        let mut total = 0;
        for layer in self.layers() {
            total += layer.outputs as usize * (inputs + 1);
            inputs = layer.outputs as usize;
        }
        total
    }
}

/// `inputs-w1-w2-…-wL`, e.g. `1-40-40-1` (activations are not shown).
impl core::fmt::Display for Shape {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.inputs)?;
        for layer in self.layers() {
            write!(f, "-{}", layer.outputs)?;
        }
        Ok(())
    }
}

/// A network with a flat parameter vector, in precision `N`.
pub trait Model<N: Precision> {
    /// Inputs per shot.
    const INPUTS: usize;
    /// Outputs per shot.
    const OUTPUTS: usize;
    /// Length of the flat parameter vector.
    const PARAMS: usize;
    /// The outputs of one forward pass, `[N::Act; OUTPUTS]`.
    type Output: Copy + core::fmt::Debug + AsRef<[N::Act]> + AsMut<[N::Act]>;
    /// Per-shot scratch the forward pass fills and the backward pass reads.
    type Buffers: Default;

    /// The architecture, for export and for checking an import against this model.
    fn shape(&self) -> Shape;

    /// `f(x)`, keeping what the backward pass needs in `buffers`. A shot of another width
    /// than [`Model::INPUTS`] does not compile; `params` holds [`Model::PARAMS`] values.
    fn forward<const D: usize>(
        &self,
        params: &[N::Param],
        x: &[N::Act; D],
        buffers: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> Self::Output;

    /// Where a loss writes `∂ℓ/∂outputs` for [`Model::backward`] to read.
    fn output_errors(buffers: &mut Self::Buffers) -> &mut [N::Param];

    /// Adds `∂ℓ/∂params` to `grad`, from the forward pass on `x` and the errors a loss wrote
    /// into [`Model::output_errors`].
    fn backward<const D: usize>(
        &self,
        params: &[N::Param],
        x: &[N::Act; D],
        buffers: &mut Self::Buffers,
        grad: &mut [N::Param],
        sat: &mut Saturations,
    );
}
