//! The linear model `f(x) = w·x + b`, parameters `[w_1, …, w_D, b]`.
//!
//! With the complex synapse this is ridge regression towards ω, whose meta-gradients have a
//! closed form: the strongest check of the CML rule.

use super::dense::{self, dense_params};
use super::{Model, Shape};
use crate::num::{Precision, Saturations, Scalar};

/// `f(x) = w·x + b` with `D` inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Linear<const D: usize>;

impl<const D: usize> Linear<D> {
    /// Number of parameters: `D + 1`.
    pub const PARAMS: usize = dense_params(D, 1);
}

impl<N: Precision, const D: usize> Model<N> for Linear<D> {
    const INPUTS: usize = D;
    const PARAMS: usize = Self::PARAMS;
    type Buffers = ();

    fn shape(&self) -> Shape {
        Shape::Linear { inputs: D as u16 }
    }

    fn forward(
        &self,
        params: &[N::Param],
        x: &[N::Act],
        _: &mut (),
        sat: &mut Saturations,
    ) -> N::Act {
        let mut out = [N::Act::ZERO];
        dense::forward::<N, 1>(params, x, &mut out, sat);
        out[0]
    }

    fn backward(
        &self,
        params: &[N::Param],
        x: &[N::Act],
        _: &mut (),
        d_out: N::Param,
        grad: &mut [N::Param],
        sat: &mut Saturations,
    ) {
        dense::backward::<N, 1>(params, x, &[d_out], grad, None, sat);
    }
}
