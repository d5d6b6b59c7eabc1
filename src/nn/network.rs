//! Dense networks of any depth and width, declared as a list of layers in the type.
//!
//! ```text
//! Network<IN, Layer<H1, Layer<H2, … Layer<OUT>>>>
//! ```
//!
//! is the network `IN → H1 → H2 → … → OUT`: each [`Layer`] names its output width and carries
//! its activation; the list ends in [`End`] (the default last argument of `Layer`). Every width
//! is a compile-time constant, so every buffer is a fixed-size array, the parameter count is
//! an associated constant ([`Network::PARAMS`]), and a shot whose input width differs from
//! `IN` fails to compile. Stable Rust cannot compute an array length from generic widths, so
//! the flat parameter vector is a slice inside the network and an array `[_; P]` outside it,
//! with `P == PARAMS` checked at compile time where the two meet ([`crate::Cml::new`]).
//!
//! ## Parameter layout
//!
//! One flat vector, layers in order from the input; each layer is its weight matrix stored
//! column-major (`W[i][j]`, output `i` from input `j`, at `j · outputs + i`) followed by its
//! `outputs` biases, `outputs · (inputs + 1)` values in all (see [`super::dense`] for why
//! columns). For `Network<2, Layer<3, Layer<1>>>`:
//!
//! | values | what |
//! |---|---|
//! | 0..6 | `W1` (3 × 2): column of input 0, then column of input 1 |
//! | 6..9 | `b1` |
//! | 9..12 | `W2` (1 × 3) |
//! | 12 | `b2` |
//!
//! ## Example
//!
//! ```
//! use tinycml::nn::{Activation, End, Layer, Network};
//!
//! // 3 inputs, two tanh layers of 16, 2 linear outputs.
//! type Net = Network<3, Layer<16, Layer<16, Layer<2>>>>;
//! const P: usize = Net::PARAMS;
//! assert_eq!(P, 16 * 4 + 16 * 17 + 2 * 17);
//!
//! // Hidden layers share one activation, the output layer is the identity …
//! let net = Net::new(Activation::Tanh);
//! // … or every layer says its own.
//! let same = Net::from_layers(Layer::new(
//!     Activation::Tanh,
//!     Layer::new(Activation::Tanh, Layer::new(Activation::Identity, End)),
//! ));
//! assert_eq!(net, same);
//! ```
//!
//! A task whose shots have another input width than the network does not compile (the
//! same code with `Shot::<f32, 2>` and `Task::<f32, 2, 1, 1>` does):
//!
//! ```compile_fail
//! use tinycml::*;
//! type Net = Network<2, Layer<4, Layer<1>>>;
//! const P: usize = Net::PARAMS;
//! let cml = Cml::<f32, _, P>::new(Net::new(Activation::Relu), Config::default()).unwrap();
//! let shot = Shot::<f32, 3>::new(&[0.5; 3], 1.0).unwrap(); // three inputs for two
//! let task = Task::<f32, 3, 1, 1>::from_shots(&[shot], &[shot]).unwrap();
//! let theta = ComplexSynapse::<f32, P>::with_uniform_lambda([0.1; P], 1.0).unwrap();
//! let (mut phi, mut grad) = ([0.0; P], [0.0; P]);
//! let _ = cml.adapt(&theta, &task, None, &mut phi, &mut grad);
//! ```

use super::dense::{self, dense_params, InputErrors};
use super::{Activation, LayerShape, Model, Shape, MAX_LAYERS};
use crate::num::{Precision, Saturations, Scalar};
use core::fmt::Debug;

/// A dense layer with `OUTPUTS` outputs and its activation, followed by the layers `Rest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer<const OUTPUTS: usize, Rest = End> {
    /// The nonlinearity applied to this layer's outputs.
    pub activation: Activation,
    /// The layers after this one.
    pub rest: Rest,
}

impl<const OUTPUTS: usize, Rest> Layer<OUTPUTS, Rest> {
    /// A layer with `activation`, followed by `rest`.
    pub const fn new(activation: Activation, rest: Rest) -> Self {
        Self { activation, rest }
    }
}

/// The end of a layer list: the network's outputs are the last layer's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct End;

/// What a layer list is, independent of the number type: its sizes and activations, fed by
/// `INPUTS` values. Implemented by [`Layer`] and [`End`] only.
pub trait Layers<const INPUTS: usize>: Copy + Debug + PartialEq + Send + Sync {
    /// Parameters of this layer and every later one.
    const PARAMS: usize;
    /// Outputs of the last layer.
    const OUTPUTS: usize;
    /// Number of layers.
    const DEPTH: usize;

    /// The list with `hidden` on every layer but the last, which is [`Activation::Identity`].
    fn with_hidden(hidden: Activation) -> Self;
    /// Appends each layer's width and activation to `shape`.
    fn describe(&self, shape: &mut Shape);
}

/// A layer list that runs in precision `N`: forward and backward passes into fixed-size
/// buffers. Implemented by [`Layer`] and [`End`] only.
pub trait Stack<N: Precision, const INPUTS: usize>: Layers<INPUTS> {
    /// The network's outputs, `[N::Act; OUTPUTS]`.
    type Output: Copy + Debug + AsRef<[N::Act]> + AsMut<[N::Act]>;
    /// Per-shot activations and errors of this layer and every later one.
    type Buffers: Default;

    /// The outputs for inputs `x`, keeping what the backward pass needs in `buffers`.
    fn forward(
        &self,
        params: &[N::Param],
        x: &[N::Act; INPUTS],
        buffers: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> Self::Output;

    /// Where a loss writes `∂ℓ/∂outputs` before [`Stack::backward`].
    fn output_errors(buffers: &mut Self::Buffers) -> &mut [N::Param];

    /// Adds the parameter gradient to `grad` and, when asked, writes the errors at the inputs.
    fn backward(
        &self,
        params: &[N::Param],
        x: &[N::Act; INPUTS],
        buffers: &mut Self::Buffers,
        grad: &mut [N::Param],
        input_errors: Option<InputErrors<'_, N, INPUTS>>,
        sat: &mut Saturations,
    );
}

impl<const INPUTS: usize> Layers<INPUTS> for End {
    const PARAMS: usize = 0;
    const OUTPUTS: usize = INPUTS;
    const DEPTH: usize = 0;

    fn with_hidden(_: Activation) -> Self {
        End
    }
    fn describe(&self, _: &mut Shape) {}
}

/// What the end of a layer list keeps: the loss's errors at the network's outputs.
#[derive(Clone, Debug)]
pub struct EndBuffers<N: Precision, const OUTPUTS: usize> {
    /// `∂ℓ/∂y`, written by the loss.
    pub output_errors: [N::Param; OUTPUTS],
}

impl<N: Precision, const OUTPUTS: usize> Default for EndBuffers<N, OUTPUTS> {
    fn default() -> Self {
        Self {
            output_errors: [N::Param::ZERO; OUTPUTS],
        }
    }
}

impl<N: Precision, const INPUTS: usize> Stack<N, INPUTS> for End {
    type Output = [N::Act; INPUTS];
    type Buffers = EndBuffers<N, INPUTS>;

    #[inline(always)]
    fn forward(
        &self,
        _: &[N::Param],
        x: &[N::Act; INPUTS],
        _: &mut Self::Buffers,
        _: &mut Saturations,
    ) -> Self::Output {
        *x
    }

    fn output_errors(buffers: &mut Self::Buffers) -> &mut [N::Param] {
        &mut buffers.output_errors
    }

    /// Passes the loss's errors back through the last layer's activation.
    #[inline(always)]
    fn backward(
        &self,
        _: &[N::Param],
        outputs: &[N::Act; INPUTS],
        buffers: &mut Self::Buffers,
        _: &mut [N::Param],
        input_errors: Option<InputErrors<'_, N, INPUTS>>,
        sat: &mut Saturations,
    ) {
        if let Some(InputErrors { errors, activation }) = input_errors {
            let from_loss = buffers.output_errors.iter().zip(outputs);
            for (error, (&d, &y)) in errors.iter_mut().zip(from_loss) {
                *error = activation.backprop::<N>(d, y, sat);
            }
        }
    }
}

impl<const INPUTS: usize, const OUTPUTS: usize, Rest: Layers<OUTPUTS>> Layers<INPUTS>
    for Layer<OUTPUTS, Rest>
{
    const PARAMS: usize = dense_params(INPUTS, OUTPUTS) + Rest::PARAMS;
    const OUTPUTS: usize = Rest::OUTPUTS;
    const DEPTH: usize = 1 + Rest::DEPTH;

    fn with_hidden(hidden: Activation) -> Self {
        let activation = if Rest::DEPTH == 0 {
            Activation::Identity
        } else {
            hidden
        };
        Self::new(activation, Rest::with_hidden(hidden))
    }

    fn describe(&self, shape: &mut Shape) {
        shape.push(LayerShape {
            outputs: OUTPUTS as u16,
            activation: self.activation,
        });
        self.rest.describe(shape);
    }
}

/// What a [`Layer`] keeps per shot: its outputs, the errors at them, and the later layers'.
#[derive(Clone, Debug)]
pub struct LayerBuffers<N: Precision, const OUTPUTS: usize, Rest> {
    /// The layer's outputs `σ(z)`.
    pub outputs: [N::Act; OUTPUTS],
    /// The errors at its pre-activations, `∂ℓ/∂z`.
    pub errors: [N::Param; OUTPUTS],
    /// The later layers' buffers.
    pub rest: Rest,
}

impl<N: Precision, const OUTPUTS: usize, Rest: Default> Default for LayerBuffers<N, OUTPUTS, Rest> {
    fn default() -> Self {
        Self {
            outputs: [N::Act::ZERO; OUTPUTS],
            errors: [N::Param::ZERO; OUTPUTS],
            rest: Rest::default(),
        }
    }
}

impl<N, const INPUTS: usize, const OUTPUTS: usize, Rest> Stack<N, INPUTS> for Layer<OUTPUTS, Rest>
where
    N: Precision,
    Rest: Stack<N, OUTPUTS>,
{
    type Output = Rest::Output;
    type Buffers = LayerBuffers<N, OUTPUTS, Rest::Buffers>;

    #[inline]
    fn forward(
        &self,
        params: &[N::Param],
        x: &[N::Act; INPUTS],
        buffers: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> Self::Output {
        let Some((columns, biases, rest)) = dense::split_layer::<_, INPUTS, OUTPUTS>(params) else {
            return self
                .rest
                .forward(&[], &buffers.outputs, &mut buffers.rest, sat);
        };
        dense::forward::<N, INPUTS, OUTPUTS>(columns, biases, x, &mut buffers.outputs, sat);
        let activation = self.activation;
        if activation != Activation::Identity {
            buffers
                .outputs
                .iter_mut()
                .for_each(|h| *h = activation.apply(*h));
        }
        self.rest
            .forward(rest, &buffers.outputs, &mut buffers.rest, sat)
    }

    fn output_errors(buffers: &mut Self::Buffers) -> &mut [N::Param] {
        Rest::output_errors(&mut buffers.rest)
    }

    #[inline]
    fn backward(
        &self,
        params: &[N::Param],
        x: &[N::Act; INPUTS],
        buffers: &mut Self::Buffers,
        grad: &mut [N::Param],
        input_errors: Option<InputErrors<'_, N, INPUTS>>,
        sat: &mut Saturations,
    ) {
        let (Some((columns, _, rest)), Some((grad_columns, grad_biases, grad_rest))) = (
            dense::split_layer::<_, INPUTS, OUTPUTS>(params),
            dense::split_layer_mut::<_, INPUTS, OUTPUTS>(grad),
        ) else {
            return;
        };
        let LayerBuffers {
            outputs,
            errors,
            rest: rest_buffers,
        } = buffers;
        let into_outputs = InputErrors {
            errors,
            activation: self.activation,
        };
        self.rest.backward(
            rest,
            outputs,
            rest_buffers,
            grad_rest,
            Some(into_outputs),
            sat,
        );
        dense::backward::<N, INPUTS, OUTPUTS>(
            columns,
            x,
            errors,
            grad_columns,
            grad_biases,
            input_errors,
            sat,
        );
    }
}

/// A dense network with `INPUTS` inputs and the layers `L`; see the [module docs](self) for
/// the parameter layout.
///
/// ```
/// use tinycml::{Activation, Model, Network, Layer};
///
/// type Net = Network<4, Layer<8, Layer<3>>>; // 4 inputs, 8 ReLU units, 3 linear outputs
/// let net = Net::new(Activation::Relu);
/// assert_eq!(Net::PARAMS, 8 * 5 + 3 * 9);
/// assert_eq!(Model::<f32>::shape(&net).to_string(), "4-8-3");
///
/// // One forward pass in f32 (a `Cml` hides the buffers: see `Cml::predict`).
/// let params = [0.1f32; Net::PARAMS];
/// let mut buffers = <Net as Model<f32>>::Buffers::default();
/// let outputs = Model::<f32>::forward(&net, &params, &[1.0, 0.0, -1.0, 0.5], &mut buffers, &mut Default::default());
/// assert_eq!(outputs.len(), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network<const INPUTS: usize, L> {
    /// The layers, first to last.
    pub layers: L,
}

impl<const INPUTS: usize, L: Layers<INPUTS>> Network<INPUTS, L> {
    /// Length of the flat parameter vector: `Σ outputs · (inputs + 1)` over the layers.
    pub const PARAMS: usize = L::PARAMS;
    /// Outputs of the last layer.
    pub const OUTPUTS: usize = L::OUTPUTS;
    const DEPTH_FITS: () = assert!(
        L::DEPTH >= 1 && L::DEPTH <= MAX_LAYERS,
        "a network has 1 to MAX_LAYERS layers"
    );

    /// The network with `hidden` on every hidden layer and a linear output layer.
    pub fn new(hidden: Activation) -> Self {
        Self::from_layers(L::with_hidden(hidden))
    }

    /// The network with the activations given layer by layer.
    pub const fn from_layers(layers: L) -> Self {
        let () = Self::DEPTH_FITS;
        Self { layers }
    }
}

impl<const INPUTS: usize, L: Layers<INPUTS>> Default for Network<INPUTS, L> {
    /// ReLU hidden layers, a linear output layer.
    fn default() -> Self {
        Self::new(Activation::Relu)
    }
}

impl<N: Precision, const INPUTS: usize, L: Stack<N, INPUTS>> Model<N> for Network<INPUTS, L> {
    const INPUTS: usize = INPUTS;
    const OUTPUTS: usize = L::OUTPUTS;
    const PARAMS: usize = L::PARAMS;
    type Output = L::Output;
    type Buffers = L::Buffers;

    fn shape(&self) -> Shape {
        let mut shape = Shape::new(INPUTS as u16);
        self.layers.describe(&mut shape);
        shape
    }

    #[inline]
    fn forward<const D: usize>(
        &self,
        params: &[N::Param],
        x: &[N::Act; D],
        buffers: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> Self::Output {
        const { assert!(D == INPUTS, "a shot's input width must equal the model's") };
        match x.first_chunk::<INPUTS>() {
            Some(x) => self.layers.forward(params, x, buffers, sat),
            None => self
                .layers
                .forward(&[], &[N::Act::ZERO; INPUTS], buffers, sat),
        }
    }

    fn output_errors(buffers: &mut Self::Buffers) -> &mut [N::Param] {
        L::output_errors(buffers)
    }

    #[inline]
    fn backward<const D: usize>(
        &self,
        params: &[N::Param],
        x: &[N::Act; D],
        buffers: &mut Self::Buffers,
        grad: &mut [N::Param],
        sat: &mut Saturations,
    ) {
        const { assert!(D == INPUTS, "a shot's input width must equal the model's") };
        if let Some(x) = x.first_chunk::<INPUTS>() {
            self.layers.backward(params, x, buffers, grad, None, sat);
        }
    }
}
