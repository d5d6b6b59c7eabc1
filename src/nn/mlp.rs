//! A multilayer perceptron with two hidden layers and one output: `IN-H1-H2-1`.
//!
//! Parameter layout (flat, in this order; each `W` column-major, `W[i][j]` at `j·rows + i` with
//! `i` the output neuron, see [`dense`](super::dense) for why):
//!
//! | block | shape | offset |
//! |---|---|---|
//! | `W1`, `b1` | `H1 × IN`, `H1` | `0` |
//! | `W2`, `b2` | `H2 × H1`, `H2` | `H1·(IN+1)` |
//! | `W3`, `b3` | `1 × H2`, `1` | `H1·(IN+1) + H2·(H1+1)` |
//!
//! `W1` (one input) and `W3` (one output) are single runs, the same in either order.
//!
//! The sinusoid model `Mlp<1, 40, 40>` has 1,761 parameters.

use super::dense::{self, dense_params};
use super::{Activation, Model, Shape};
use crate::num::{Precision, Saturations, Scalar};

/// `IN-H1-H2-1` perceptron with the same activation on both hidden layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mlp<const IN: usize, const H1: usize, const H2: usize> {
    /// Hidden-layer nonlinearity.
    pub activation: Activation,
}

impl<const IN: usize, const H1: usize, const H2: usize> Mlp<IN, H1, H2> {
    /// Number of parameters: `H1·(IN+1) + H2·(H1+1) + H2 + 1`.
    pub const PARAMS: usize = dense_params(IN, H1) + dense_params(H1, H2) + dense_params(H2, 1);

    /// A perceptron with the given hidden activation.
    pub const fn new(activation: Activation) -> Self {
        Self { activation }
    }

    /// Splits a flat parameter (or gradient) vector into its three layers.
    fn layers<T>(params: &[T]) -> (&[T], &[T], &[T]) {
        let (first, rest) = params.split_at(dense_params(IN, H1));
        let (second, third) = rest.split_at(dense_params(H1, H2));
        (first, second, third)
    }

    fn layers_mut<T>(params: &mut [T]) -> (&mut [T], &mut [T], &mut [T]) {
        let (first, rest) = params.split_at_mut(dense_params(IN, H1));
        let (second, third) = rest.split_at_mut(dense_params(H1, H2));
        (first, second, third)
    }
}

/// What a forward pass of an [`Mlp`] keeps for its backward pass, and the backward errors.
#[derive(Clone, Debug)]
pub struct MlpBuffers<N: Precision, const H1: usize, const H2: usize> {
    /// First hidden layer's outputs.
    pub hidden1: [N::Act; H1],
    /// Second hidden layer's outputs.
    pub hidden2: [N::Act; H2],
    /// Errors at the second hidden layer.
    pub delta2: [N::Param; H2],
    /// Errors at the first hidden layer.
    pub delta1: [N::Param; H1],
}

impl<N: Precision, const H1: usize, const H2: usize> Default for MlpBuffers<N, H1, H2> {
    fn default() -> Self {
        Self {
            hidden1: [N::Act::ZERO; H1],
            hidden2: [N::Act::ZERO; H2],
            delta2: [N::Param::ZERO; H2],
            delta1: [N::Param::ZERO; H1],
        }
    }
}

impl<N: Precision, const IN: usize, const H1: usize, const H2: usize> Model<N> for Mlp<IN, H1, H2> {
    const INPUTS: usize = IN;
    const PARAMS: usize = Self::PARAMS;
    type Buffers = MlpBuffers<N, H1, H2>;

    fn shape(&self) -> Shape {
        Shape::Mlp {
            inputs: IN as u16,
            hidden1: H1 as u16,
            hidden2: H2 as u16,
            activation: self.activation,
        }
    }

    fn forward(
        &self,
        params: &[N::Param],
        x: &[N::Act],
        buf: &mut Self::Buffers,
        sat: &mut Saturations,
    ) -> N::Act {
        let (first, second, third) = Self::layers(params);
        dense::forward::<N, H1>(first, x, &mut buf.hidden1, sat);
        buf.hidden1
            .iter_mut()
            .for_each(|h| *h = self.activation.apply(*h));
        dense::forward::<N, H2>(second, &buf.hidden1, &mut buf.hidden2, sat);
        buf.hidden2
            .iter_mut()
            .for_each(|h| *h = self.activation.apply(*h));
        let mut out = [N::Act::ZERO];
        dense::forward::<N, 1>(third, &buf.hidden2, &mut out, sat);
        out[0]
    }

    fn backward(
        &self,
        params: &[N::Param],
        x: &[N::Act],
        buf: &mut Self::Buffers,
        d_out: N::Param,
        grad: &mut [N::Param],
        sat: &mut Saturations,
    ) {
        let (first, second, third) = Self::layers(params);
        let (grad1, grad2, grad3) = Self::layers_mut(grad);
        let activation = self.activation;
        let into_hidden2 = dense::InputErrors {
            errors: &mut buf.delta2,
            activation,
        };
        dense::backward::<N, 1>(
            third,
            &buf.hidden2,
            &[d_out],
            grad3,
            Some(into_hidden2),
            sat,
        );
        let into_hidden1 = dense::InputErrors {
            errors: &mut buf.delta1,
            activation,
        };
        dense::backward::<N, H2>(
            second,
            &buf.hidden1,
            &buf.delta2,
            grad2,
            Some(into_hidden1),
            sat,
        );
        dense::backward::<N, H1>(first, x, &buf.delta1, grad1, None, sat);
    }
}
