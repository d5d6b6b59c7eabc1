//! The network and task types every module of the job shares.

use crate::heldout;
use tinycml::digits::shift::{self, VARIANTS};
use tinycml::digits::{HELDOUT_WAYS, PIXELS};
use tinycml::*;

/// The classifier every method adapts: 64-32-32-5, ReLU, softmax cross-entropy.
pub type Net = Network<PIXELS, Layer<32, Layer<32, Layer<HELDOUT_WAYS>>>>;
pub const P: usize = Net::PARAMS;
/// Support capacity (5-way 5-shot, or 5-way 1-shot with each image's four one-pixel shifts:
/// `--shift-support 1`) and query capacity (5 ways × 15).
pub const S: usize = heldout::S;
// A 1-shot task with its shifts (`--shift-support 1`) fits the support buffer.
const _: () = assert!(HELDOUT_WAYS * VARIANTS <= S);
pub const Q: usize = heldout::Q;
pub type DigitTask<A> = Task<A, PIXELS, S, Q, Class>;
pub type Rule<N> = Cml<N, Net, P, SoftmaxCrossEntropy>;
/// The activation format of the device (q16.16).
pub type QAct = <Q16_16 as Precision>::Act;

/// Which tasks a learner adapts on shifted support (`--shift-support K`): those with at most
/// `up_to` support images per class, each followed by its four one-pixel shifts
/// (`tinycml::digits::shift`); 0: none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShiftSupport {
    pub up_to: usize,
}

impl ShiftSupport {
    /// Whether any task is shifted.
    pub fn is_on(self) -> bool {
        self.up_to > 0
    }

    /// `task` as a learner with this setting adapts on it.
    pub fn apply<A: Scalar>(self, task: DigitTask<A>) -> Result<DigitTask<A>, Error> {
        if self.is_on() && task.support().len() <= self.up_to * HELDOUT_WAYS {
            shift::with_shifted_support(&task, A::ZERO)
        } else {
            Ok(task)
        }
    }
}

/// The classifier with ReLU hidden layers and linear outputs.
pub fn model() -> Net {
    Net::new(Activation::Relu)
}

/// The same classifier as a dual system: the body 64-32-32 (tanh, as the authors used),
/// modulated by per-unit gains and shifts, and a fast 32-5 read-out.
pub type DualNet = tinycml::dual::DualSystem<PIXELS, Layer<32, Layer<32, Layer<HELDOUT_WAYS>>>>;
/// Body values (3,136) and fast values (293).
pub const BODY: usize = DualNet::BODY;
pub const FAST: usize = DualNet::FAST;
pub type DualRule<N> = tinycml::dual::DualCml<N, DualNet, BODY, FAST, SoftmaxCrossEntropy>;
pub type DualTheta<N> = tinycml::dual::DualState<N, BODY, FAST>;

/// The dual system with tanh hidden layers and a linear read-out.
pub fn dual_model() -> DualNet {
    DualNet::new(Activation::Tanh)
}
