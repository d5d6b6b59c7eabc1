//! The dual-system network: a slow body whose hidden units a fast state modulates, and a fast
//! linear read-out.
//!
//! ```text
//! h_0 = x;   a_l = W_l h_{l−1} + c_l;   h_l = σ(g_l ⊙ a_l + s_l);   y = W_o h_L + b_o
//! ```
//!
//! The type is the same layer list as a [`crate::Network`]: `DualSystem<1, Layer<40, Layer<40,
//! Layer<1>>>>` has the body `1-40-40` (its `W_l`, `c_l`) and the read-out `40-1`. Each hidden
//! layer's drive `a_l` comes from the body; its gain `g_l` and shift `s_l` and the whole
//! read-out are the fast state.
//!
//! ## Layouts
//!
//! The **body** is the flat vector of a [`crate::Network`] without its last layer: per hidden
//! layer, `W_l` column-major then `c_l` ([`crate::nn::network`] documents the order). The
//! **fast state** is, per hidden layer, its `H` gains then its `H` shifts, followed by the
//! read-out's `W_o` (column-major) and `b_o`. For `1-40-40-1`: body `40·2 + 40·41 = 1,720`
//! values, fast state `4·40 + 41 = 201`.
//!
//! ## Two gradients from one backward pass
//!
//! The inner learner needs `∂ℓ/∂φ` (gains, shifts, read-out); the meta-gradient needs
//! `∂ℓ/∂θ` (the body). Both come from the same errors: with `δ_l = ∂ℓ/∂(g_l ⊙ a_l + s_l)`,
//!
//! ```text
//! ∂ℓ/∂s_l = δ_l     ∂ℓ/∂g_l = δ_l ⊙ a_l     ∂ℓ/∂W_l = (δ_l ⊙ g_l) h_{l−1}ᵀ     ∂ℓ/∂c_l = δ_l ⊙ g_l
//! ```
//!
//! [`DualModel::backward`] writes either or both. Viewed with a body ([`DualModel::with_body`]),
//! the system is an ordinary [`Model`] over the fast state alone, so the inner learner, the
//! losses and the float reference run on it unchanged.

use crate::nn::dense::{self, dense_params, InputErrors};
use crate::nn::{Activation, End, Layer, Layers, Model, Shape, MAX_LAYERS};
use crate::num::{Precision, Saturations, Scalar};
use core::fmt::Debug;

/// A layer list read as a dual system: its sizes split into body and fast state.
/// Implemented by [`Layer`] lists of two or more layers (at least one hidden layer).
pub trait DualLayers<const INPUTS: usize>: Layers<INPUTS> {
    /// Body values of this layer and every later one.
    const BODY: usize;
    /// Fast values of this layer and every later one.
    const FAST: usize;

    /// Writes the authors' initial fast state: gains 1, shifts 0, a zero read-out.
    fn initial_fast<S: Scalar>(fast: &mut [S]);
}

/// A [`DualLayers`] list that runs in precision `N`.
pub trait DualStack<N: Precision, const INPUTS: usize>: DualLayers<INPUTS> {
    /// The system's outputs, `[N::Act; OUTPUTS]`.
    type Output: Copy + Debug + AsRef<[N::Act]> + AsMut<[N::Act]>;
    /// Per-shot activations and errors of this layer and every later one.
    type Buffers: Default;

    /// The outputs for inputs `x`, keeping what the backward pass needs in `buffers`.
    fn forward(
        &self,
        body: &[N::Param],
        fast: &[N::Param],
        x: &[N::Act; INPUTS],
        buffers: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> Self::Output;

    /// Where a loss writes `∂ℓ/∂outputs` before [`DualStack::backward`].
    fn output_errors(buffers: &mut Self::Buffers) -> &mut [N::Param];

    /// Adds `∂ℓ/∂fast` and `∂ℓ/∂body` to the gradients given (either may be `None`) and, when
    /// asked, writes the errors at the inputs.
    #[allow(clippy::too_many_arguments)]
    fn backward(
        &self,
        body: &[N::Param],
        fast: &[N::Param],
        x: &[N::Act; INPUTS],
        buffers: &mut Self::Buffers,
        grads: Gradients<'_, N>,
        input_errors: Option<InputErrors<'_, N, INPUTS>>,
        sat: &mut Saturations,
    );
}

/// Which gradients a backward pass adds to.
pub struct Gradients<'a, N: Precision> {
    /// `∂ℓ/∂fast`, in the fast layout.
    pub fast: Option<&'a mut [N::Param]>,
    /// `∂ℓ/∂body`, in the body layout.
    pub body: Option<&'a mut [N::Param]>,
}

/// The read-out: the last layer, all fast.
impl<const INPUTS: usize, const OUTPUTS: usize> DualLayers<INPUTS> for Layer<OUTPUTS, End> {
    const BODY: usize = 0;
    const FAST: usize = dense_params(INPUTS, OUTPUTS);

    fn initial_fast<S: Scalar>(fast: &mut [S]) {
        fast.iter_mut()
            .take(dense_params(INPUTS, OUTPUTS))
            .for_each(|v| *v = S::ZERO);
    }
}

/// What the read-out keeps per shot: its outputs and the loss's errors at them.
#[derive(Clone, Debug)]
pub struct ReadoutBuffers<N: Precision, const OUTPUTS: usize> {
    /// `y`.
    pub outputs: [N::Act; OUTPUTS],
    /// `∂ℓ/∂y`, written by the loss.
    pub errors: [N::Param; OUTPUTS],
}

impl<N: Precision, const OUTPUTS: usize> Default for ReadoutBuffers<N, OUTPUTS> {
    fn default() -> Self {
        Self {
            outputs: [N::Act::ZERO; OUTPUTS],
            errors: [N::Param::ZERO; OUTPUTS],
        }
    }
}

impl<N: Precision, const INPUTS: usize, const OUTPUTS: usize> DualStack<N, INPUTS>
    for Layer<OUTPUTS, End>
{
    type Output = [N::Act; OUTPUTS];
    type Buffers = ReadoutBuffers<N, OUTPUTS>;

    #[inline]
    fn forward(
        &self,
        _: &[N::Param],
        fast: &[N::Param],
        x: &[N::Act; INPUTS],
        buffers: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> Self::Output {
        if let Some((columns, biases, _)) = dense::split_layer::<_, INPUTS, OUTPUTS>(fast) {
            dense::forward::<N, INPUTS, OUTPUTS>(columns, biases, x, &mut buffers.outputs, sat);
            let activation = self.activation;
            buffers
                .outputs
                .iter_mut()
                .for_each(|y| *y = activation.apply(*y));
        }
        buffers.outputs
    }

    fn output_errors(buffers: &mut Self::Buffers) -> &mut [N::Param] {
        &mut buffers.errors
    }

    #[inline]
    fn backward(
        &self,
        _: &[N::Param],
        fast: &[N::Param],
        x: &[N::Act; INPUTS],
        buffers: &mut Self::Buffers,
        grads: Gradients<'_, N>,
        input_errors: Option<InputErrors<'_, N, INPUTS>>,
        sat: &mut Saturations,
    ) {
        let Some((columns, _, _)) = dense::split_layer::<_, INPUTS, OUTPUTS>(fast) else {
            return;
        };
        let ReadoutBuffers { outputs, errors } = buffers;
        for (d, &y) in errors.iter_mut().zip(outputs.iter()) {
            *d = self.activation.backprop::<N>(*d, y, sat);
        }
        match grads
            .fast
            .and_then(dense::split_layer_mut::<_, INPUTS, OUTPUTS>)
        {
            Some((grad_columns, grad_biases, _)) => dense::backward::<N, INPUTS, OUTPUTS>(
                columns,
                x,
                errors,
                grad_columns,
                grad_biases,
                input_errors,
                sat,
            ),
            None => {
                if let Some(input_errors) = input_errors {
                    dense::input_errors::<N, INPUTS, OUTPUTS>(columns, x, errors, input_errors, sat)
                }
            }
        }
    }
}

/// A modulated hidden layer: body `W`, `c`; fast gains and shifts.
impl<const INPUTS: usize, const HIDDEN: usize, const NEXT: usize, Rest> DualLayers<INPUTS>
    for Layer<HIDDEN, Layer<NEXT, Rest>>
where
    Layer<NEXT, Rest>: DualLayers<HIDDEN>,
{
    const BODY: usize = dense_params(INPUTS, HIDDEN) + <Layer<NEXT, Rest>>::BODY;
    const FAST: usize = 2 * HIDDEN + <Layer<NEXT, Rest>>::FAST;

    fn initial_fast<S: Scalar>(fast: &mut [S]) {
        let (gains, rest) = fast.split_at_mut(HIDDEN.min(fast.len()));
        gains.fill(S::ONE);
        let (shifts, rest) = rest.split_at_mut(HIDDEN.min(rest.len()));
        shifts.fill(S::ZERO);
        <Layer<NEXT, Rest>>::initial_fast(rest);
    }
}

/// What a modulated layer keeps per shot.
#[derive(Clone, Debug)]
pub struct ModulatedBuffers<N: Precision, const HIDDEN: usize, Rest> {
    /// The body's drive `a = W h + c`.
    pub drive: [N::Act; HIDDEN],
    /// The layer's outputs `h = σ(g ⊙ a + s)`.
    pub outputs: [N::Act; HIDDEN],
    /// The errors at `g ⊙ a + s`.
    pub errors: [N::Param; HIDDEN],
    /// The later layers' buffers.
    pub rest: Rest,
}

impl<N: Precision, const HIDDEN: usize, Rest: Default> Default
    for ModulatedBuffers<N, HIDDEN, Rest>
{
    fn default() -> Self {
        Self {
            drive: [N::Act::ZERO; HIDDEN],
            outputs: [N::Act::ZERO; HIDDEN],
            errors: [N::Param::ZERO; HIDDEN],
            rest: Rest::default(),
        }
    }
}

/// A modulated layer's gains, shifts and the rest of the fast vector.
type Modulation<'a, T, const HIDDEN: usize> = (&'a [T; HIDDEN], &'a [T; HIDDEN], &'a [T]);

fn split_modulation<T, const HIDDEN: usize>(fast: &[T]) -> Option<Modulation<'_, T, HIDDEN>> {
    let (gains, rest) = fast.split_first_chunk::<HIDDEN>()?;
    let (shifts, rest) = rest.split_first_chunk::<HIDDEN>()?;
    Some((gains, shifts, rest))
}

impl<N, const INPUTS: usize, const HIDDEN: usize, const NEXT: usize, Rest> DualStack<N, INPUTS>
    for Layer<HIDDEN, Layer<NEXT, Rest>>
where
    N: Precision,
    Layer<NEXT, Rest>: DualStack<N, HIDDEN>,
{
    type Output = <Layer<NEXT, Rest> as DualStack<N, HIDDEN>>::Output;
    type Buffers =
        ModulatedBuffers<N, HIDDEN, <Layer<NEXT, Rest> as DualStack<N, HIDDEN>>::Buffers>;

    #[inline]
    fn forward(
        &self,
        body: &[N::Param],
        fast: &[N::Param],
        x: &[N::Act; INPUTS],
        buffers: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> Self::Output {
        let (Some((columns, biases, body_rest)), Some((gains, shifts, fast_rest))) = (
            dense::split_layer::<_, INPUTS, HIDDEN>(body),
            split_modulation::<_, HIDDEN>(fast),
        ) else {
            return self
                .rest
                .forward(&[], &[], &buffers.outputs, &mut buffers.rest, sat);
        };
        dense::forward::<N, INPUTS, HIDDEN>(columns, biases, x, &mut buffers.drive, sat);
        let modulated = gains.iter().zip(shifts).zip(&buffers.drive);
        for (h, ((&g, &s), &a)) in buffers.outputs.iter_mut().zip(modulated) {
            let u = N::acc_to_act(N::mac(N::acc_from(s), g, a), sat);
            *h = self.activation.apply(u);
        }
        self.rest.forward(
            body_rest,
            fast_rest,
            &buffers.outputs,
            &mut buffers.rest,
            sat,
        )
    }

    fn output_errors(buffers: &mut Self::Buffers) -> &mut [N::Param] {
        <Layer<NEXT, Rest> as DualStack<N, HIDDEN>>::output_errors(&mut buffers.rest)
    }

    #[inline]
    fn backward(
        &self,
        body: &[N::Param],
        fast: &[N::Param],
        x: &[N::Act; INPUTS],
        buffers: &mut Self::Buffers,
        grads: Gradients<'_, N>,
        input_errors: Option<InputErrors<'_, N, INPUTS>>,
        sat: &mut Saturations,
    ) {
        let (Some((columns, _, body_rest)), Some((gains, _, fast_rest))) = (
            dense::split_layer::<_, INPUTS, HIDDEN>(body),
            split_modulation::<_, HIDDEN>(fast),
        ) else {
            return;
        };
        let ModulatedBuffers {
            drive,
            outputs,
            errors,
            rest: rest_buffers,
        } = buffers;
        // This layer's slices of each gradient, and the rest for the later layers.
        let (fast_here, fast_later) = match grads.fast {
            Some(g) if g.len() >= 2 * HIDDEN => {
                let (here, later) = g.split_at_mut(2 * HIDDEN);
                (Some(here), Some(later))
            }
            _ => (None, None),
        };
        let (body_here, body_later) = match grads.body {
            Some(g) if g.len() >= dense_params(INPUTS, HIDDEN) => {
                let (here, later) = g.split_at_mut(dense_params(INPUTS, HIDDEN));
                (Some(here), Some(later))
            }
            _ => (None, None),
        };
        self.rest.backward(
            body_rest,
            fast_rest,
            outputs,
            rest_buffers,
            Gradients {
                fast: fast_later,
                body: body_later,
            },
            Some(InputErrors {
                errors,
                activation: self.activation,
            }),
            sat,
        );
        if let Some((grad_gains, grad_shifts)) =
            fast_here.map(|g| g.split_at_mut(HIDDEN.min(g.len())))
        {
            let per_unit = grad_gains.iter_mut().zip(grad_shifts.iter_mut());
            for ((g_gain, g_shift), (&d, &a)) in per_unit.zip(errors.iter().zip(drive.iter())) {
                *g_gain = g_gain.add(N::mul_param_act(d, a, sat));
                *g_shift = g_shift.add(d);
            }
        }
        // From here on `errors` holds the errors at the drive, δ ⊙ g.
        for (d, &g) in errors.iter_mut().zip(gains) {
            *d = d.mul(g);
        }
        match body_here.and_then(dense::split_layer_mut::<_, INPUTS, HIDDEN>) {
            Some((grad_columns, grad_biases, _)) => dense::backward::<N, INPUTS, HIDDEN>(
                columns,
                x,
                errors,
                grad_columns,
                grad_biases,
                input_errors,
                sat,
            ),
            None => {
                if let Some(input_errors) = input_errors {
                    dense::input_errors::<N, INPUTS, HIDDEN>(columns, x, errors, input_errors, sat)
                }
            }
        }
    }
}

/// A dual system with `INPUTS` inputs and the layers `L` (hidden layers modulated, the last
/// one the fast read-out); see the [module docs](self).
///
/// ```
/// use tinycml::dual::DualSystem;
/// use tinycml::{Activation, Layer};
///
/// type Sinusoid = DualSystem<1, Layer<40, Layer<40, Layer<1>>>>;
/// assert_eq!(Sinusoid::BODY, 1_720); // W1, c1, W2, c2
/// assert_eq!(Sinusoid::FAST, 201); // g1, s1, g2, s2, W_o, b_o
/// let system = Sinusoid::new(Activation::Tanh);
/// # let _ = system;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DualSystem<const INPUTS: usize, L> {
    /// The layers, first to last.
    pub layers: L,
}

impl<const INPUTS: usize, L: DualLayers<INPUTS>> DualSystem<INPUTS, L> {
    /// Length of the body `θ = {W_l, c_l}`.
    pub const BODY: usize = L::BODY;
    /// Length of the fast state `φ = {g_l, s_l, W_o, b_o}`.
    pub const FAST: usize = L::FAST;
    const DEPTH_FITS: () = assert!(
        L::DEPTH >= 2 && L::DEPTH <= MAX_LAYERS,
        "a dual system has 1 to MAX_LAYERS − 1 hidden layers and a read-out"
    );

    /// The system with `hidden` on every hidden layer (the authors used tanh) and a linear
    /// read-out.
    pub fn new(hidden: Activation) -> Self {
        Self::from_layers(L::with_hidden(hidden))
    }

    /// The system with the activations given layer by layer.
    pub const fn from_layers(layers: L) -> Self {
        let () = Self::DEPTH_FITS;
        Self { layers }
    }
}

/// A dual system in precision `N`: forward and backward passes over a body and a fast state.
pub trait DualModel<N: Precision>: Copy {
    /// Inputs per shot.
    const INPUTS: usize;
    /// Outputs per shot.
    const OUTPUTS: usize;
    /// Length of the body.
    const BODY: usize;
    /// Length of the fast state.
    const FAST: usize;
    /// The outputs of one forward pass, `[N::Act; OUTPUTS]`.
    type Output: Copy + Debug + AsRef<[N::Act]> + AsMut<[N::Act]>;
    /// Per-shot scratch the forward pass fills and the backward pass reads.
    type Buffers: Default;

    /// The architecture (the layer list of the equivalent [`crate::Network`]).
    fn shape(&self) -> Shape;

    /// Writes the authors' initial fast state into `fast`: gains 1, shifts 0, zero read-out.
    fn initial_fast(&self, fast: &mut [N::Param]);

    /// `f(x)` for the body and fast state given, keeping what the backward pass needs.
    fn forward<const D: usize>(
        &self,
        body: &[N::Param],
        fast: &[N::Param],
        x: &[N::Act; D],
        buffers: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> Self::Output;

    /// Where a loss writes `∂ℓ/∂outputs`.
    fn output_errors(buffers: &mut Self::Buffers) -> &mut [N::Param];

    /// Adds `∂ℓ/∂fast` and/or `∂ℓ/∂body` from the forward pass on `x` and the errors a loss
    /// wrote into [`DualModel::output_errors`].
    #[allow(clippy::too_many_arguments)]
    fn backward<const D: usize>(
        &self,
        body: &[N::Param],
        fast: &[N::Param],
        x: &[N::Act; D],
        buffers: &mut Self::Buffers,
        grads: Gradients<'_, N>,
        sat: &mut Saturations,
    );

    /// The system with its body fixed: a [`Model`] over the fast state alone.
    fn with_body(self, body: &[N::Param]) -> WithBody<'_, N, Self> {
        WithBody { system: self, body }
    }
}

impl<N: Precision, const INPUTS: usize, L: DualStack<N, INPUTS>> DualModel<N>
    for DualSystem<INPUTS, L>
{
    const INPUTS: usize = INPUTS;
    const OUTPUTS: usize = L::OUTPUTS;
    const BODY: usize = L::BODY;
    const FAST: usize = L::FAST;
    type Output = L::Output;
    type Buffers = L::Buffers;

    fn shape(&self) -> Shape {
        let mut shape = Shape::new(INPUTS as u16);
        self.layers.describe(&mut shape);
        shape
    }

    fn initial_fast(&self, fast: &mut [N::Param]) {
        L::initial_fast(fast);
    }

    #[inline]
    fn forward<const D: usize>(
        &self,
        body: &[N::Param],
        fast: &[N::Param],
        x: &[N::Act; D],
        buffers: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> Self::Output {
        const { assert!(D == INPUTS, "a shot's input width must equal the model's") };
        match x.first_chunk::<INPUTS>() {
            Some(x) => self.layers.forward(body, fast, x, buffers, sat),
            None => self
                .layers
                .forward(&[], &[], &[N::Act::ZERO; INPUTS], buffers, sat),
        }
    }

    fn output_errors(buffers: &mut Self::Buffers) -> &mut [N::Param] {
        L::output_errors(buffers)
    }

    #[inline]
    fn backward<const D: usize>(
        &self,
        body: &[N::Param],
        fast: &[N::Param],
        x: &[N::Act; D],
        buffers: &mut Self::Buffers,
        grads: Gradients<'_, N>,
        sat: &mut Saturations,
    ) {
        const { assert!(D == INPUTS, "a shot's input width must equal the model's") };
        if let Some(x) = x.first_chunk::<INPUTS>() {
            self.layers
                .backward(body, fast, x, buffers, grads, None, sat);
        }
    }
}

/// A dual system with its body fixed, seen as a [`Model`] whose parameters are the fast state
/// (what the inner learner adapts). Made by [`DualModel::with_body`].
#[derive(Clone, Copy, Debug)]
pub struct WithBody<'a, N: Precision, S> {
    /// The system.
    pub system: S,
    /// Its body.
    pub body: &'a [N::Param],
}

impl<N: Precision, S: DualModel<N>> Model<N> for WithBody<'_, N, S> {
    const INPUTS: usize = S::INPUTS;
    const OUTPUTS: usize = S::OUTPUTS;
    const PARAMS: usize = S::FAST;
    type Output = S::Output;
    type Buffers = S::Buffers;

    fn shape(&self) -> Shape {
        self.system.shape()
    }

    #[inline]
    fn forward<const D: usize>(
        &self,
        params: &[N::Param],
        x: &[N::Act; D],
        buffers: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> Self::Output {
        self.system.forward(self.body, params, x, buffers, sat)
    }

    fn output_errors(buffers: &mut Self::Buffers) -> &mut [N::Param] {
        S::output_errors(buffers)
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
        let grads = Gradients {
            fast: Some(grad),
            body: None,
        };
        self.system
            .backward(self.body, params, x, buffers, grads, sat);
    }
}
