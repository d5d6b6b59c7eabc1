//! Losses: what a shot's outputs are judged by, as a trait every phase calls.
//!
//! A [`Loss`] turns a network's outputs and a shot's target into the errors `∂ℓ/∂outputs`
//! that the backward pass starts from, and into the number reports quote. The inner learner,
//! both estimators, adaptation, the float reference and `verify` all go through it, so a new
//! loss is one new type and no edits elsewhere. Four come with the library:
//!
//! | loss | target | `ℓ` per shot | reported |
//! |---|---|---|---|
//! | [`SquaredError`] | a value or `[A; O]` | `½ ‖f(x) − y‖²` | MSE `‖f(x) − y‖²` (no ½, as the MAML literature) |
//! | [`MaskedSquaredError`] | [`Masked`]: one output and its value | `½ (f_k(x) − y)²` | `(f_k(x) − y)²` |
//! | [`BinaryCrossEntropy`] | a probability in `[0, 1]`, one logit output | `softplus(z) − y·z` | the same |
//! | [`SoftmaxCrossEntropy`] | [`Class`] `0..C`, `C ≥ 2` logits | `−log softmax(z)_c` | the same |
//!
//! The data loss on a set is the mean over its shots (ALGORITHM.md §1). Targets are checked
//! against the model by [`Loss::check`] before any learning starts, so a class beyond the
//! outputs is an [`Error::InvalidTarget`], never a wrong index.
//!
//! [`Masked`]: crate::task::Masked
//! [`Class`]: crate::task::Class

mod cross_entropy;
mod squared;

pub use cross_entropy::{BinaryCrossEntropy, SoftmaxCrossEntropy};
pub use squared::{MaskedSquaredError, Regression, SquaredError};

use crate::nn::Model;
use crate::num::{Precision, Saturations, Scalar};
use crate::task::Shot;
use crate::Error;

/// What names a loss, whatever the number type and target: recorded in exports, so that a θ
/// meta-learned for one loss is not loaded for another.
pub trait LossName: Copy + core::fmt::Debug + Send + Sync {
    /// The loss's name in reports, exports and `verify` (`"squared_error"`, …), at most 24
    /// bytes of ASCII.
    fn name(&self) -> &'static str;
}

/// A loss on a network's outputs, for shots whose targets are `T`.
pub trait Loss<N: Precision, T>: LossName {
    /// Whether `target` suits a model with `outputs` outputs: [`Error::InvalidTarget`] naming
    /// the problem when not.
    fn check(&self, target: &T, outputs: usize) -> Result<(), Error>;

    /// Writes `scale · ∂ℓ/∂outputs` into `errors` (one per output).
    fn output_errors(
        &self,
        outputs: &[N::Act],
        target: &T,
        scale: N::Param,
        errors: &mut [N::Param],
        sat: &mut Saturations,
    );

    /// Adds this shot's reported loss (see the [module table](self)) to a wide sum.
    fn add_reported(
        &self,
        outputs: &[N::Act],
        target: &T,
        sum: <N::Act as Scalar>::Wide,
        sat: &mut Saturations,
    ) -> <N::Act as Scalar>::Wide;

    /// `ℓ` = reported / this: 2 for the squared errors (reported without the ½), 1 otherwise.
    fn objective_divisor(&self) -> u32 {
        1
    }

    /// Whether the outputs pick the target's class (`None` for regression losses).
    fn is_correct(&self, outputs: &[N::Act], target: &T) -> Option<bool> {
        let _ = (outputs, target);
        None
    }
}

/// Checks every shot's target against a model with `outputs` outputs.
pub fn check_targets<N: Precision, L: Loss<N, T>, T, const D: usize>(
    loss: &L,
    shots: &[Shot<N::Act, D, T>],
    outputs: usize,
) -> Result<(), Error> {
    shots.iter().try_for_each(|s| loss.check(&s.y, outputs))
}

/// Adds `weight · ∇ (1/|D|) Σ ℓ(f(x), y)` over `shots` to `grad`.
#[allow(clippy::too_many_arguments)]
pub fn add_loss_gradient<N, M, L, T, const D: usize>(
    model: &M,
    loss: &L,
    params: &[N::Param],
    shots: &[Shot<N::Act, D, T>],
    weight: N::Param,
    grad: &mut [N::Param],
    sat: &mut Saturations,
) where
    N: Precision,
    M: Model<N>,
    L: Loss<N, T>,
{
    let per_shot = weight.div_count(shots.len() as u32);
    let mut buffers = M::Buffers::default();
    for shot in shots {
        let outputs = model.forward(params, &shot.x, &mut buffers, sat);
        let errors = M::output_errors(&mut buffers);
        loss.output_errors(outputs.as_ref(), &shot.y, per_shot, errors, sat);
        model.backward(params, &shot.x, &mut buffers, grad, sat);
    }
}

/// The mean reported loss over `shots` (0 for none): the MSE for [`SquaredError`], the mean
/// cross-entropy for the classification losses.
pub fn mean_loss<N, M, L, T, const D: usize>(
    model: &M,
    loss: &L,
    params: &[N::Param],
    shots: &[Shot<N::Act, D, T>],
    sat: &mut Saturations,
) -> N::Act
where
    N: Precision,
    M: Model<N>,
    L: Loss<N, T>,
{
    let mut buffers = M::Buffers::default();
    let mut sum = N::Act::wide_zero();
    for shot in shots {
        let outputs = model.forward(params, &shot.x, &mut buffers, sat);
        sum = loss.add_reported(outputs.as_ref(), &shot.y, sum, sat);
    }
    N::Act::from_wide(sum, sat).div_count(shots.len() as u32)
}

/// The fraction of `shots` whose class the outputs pick, for losses that classify.
pub fn accuracy<N, M, L, T, const D: usize>(
    model: &M,
    loss: &L,
    params: &[N::Param],
    shots: &[Shot<N::Act, D, T>],
    sat: &mut Saturations,
) -> Option<f64>
where
    N: Precision,
    M: Model<N>,
    L: Loss<N, T>,
{
    let mut buffers = M::Buffers::default();
    let mut correct = 0usize;
    for shot in shots {
        let outputs = model.forward(params, &shot.x, &mut buffers, sat);
        correct += loss.is_correct(outputs.as_ref(), &shot.y)? as usize;
    }
    (!shots.is_empty()).then(|| correct as f64 / shots.len() as f64)
}

/// The index of the largest output (the first of equals); 0 for no outputs.
pub fn argmax<A: Scalar>(outputs: &[A]) -> usize {
    let mut best = 0;
    for (i, &v) in outputs.iter().enumerate().skip(1) {
        if outputs.get(best).is_some_and(|&top| v > top) {
            best = i;
        }
    }
    best
}
