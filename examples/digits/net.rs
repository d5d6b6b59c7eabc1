//! The network and task types every module of the job shares.

use crate::heldout;
use tinycml::digits::{HELDOUT_WAYS, PIXELS};
use tinycml::*;

/// The classifier every method adapts: 64-32-32-5, ReLU, softmax cross-entropy.
pub type Net = Network<PIXELS, Layer<32, Layer<32, Layer<HELDOUT_WAYS>>>>;
pub const P: usize = Net::PARAMS;
/// Support capacity (5-way 5-shot) and query capacity (5 ways × 15).
pub const S: usize = heldout::S;
pub const Q: usize = heldout::Q;
pub type DigitTask<A> = Task<A, PIXELS, S, Q, Class>;
pub type Rule<N> = Cml<N, Net, P, SoftmaxCrossEntropy>;
/// The activation format of the device (q16.16).
pub type QAct = <Q16_16 as Precision>::Act;

/// The classifier with ReLU hidden layers and linear outputs.
pub fn model() -> Net {
    Net::new(Activation::Relu)
}
