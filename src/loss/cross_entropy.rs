//! Cross-entropies on logits: binary (one output) and softmax (`C ≥ 2` outputs).
//!
//! Both are computed in the activation format from the logits, in the forms that cannot
//! overflow for any logit the format holds:
//!
//! - softmax subtracts the largest logit first, so every `exp` argument is `≤ 0` and every
//!   term is in `[0, 1]`; their sum is in `[1, C]`; `−log p_c = max + ln Σ − z_c`;
//! - the sigmoid is `½ (1 + tanh(z/2))`, bounded for every `z`; the loss is
//!   `softplus(z) − y·z` with `softplus(z) = max(z, 0) + ln(1 + e^{−|z|})`.
//!
//! In fixed point the probabilities carry the activation format's step (1.5e-5 in Q16.16)
//! plus the errors of [`crate::num::tanh`], `exp` and `ln` stated in their modules.

use super::{argmax, Loss, LossName};
use crate::num::{Precision, Saturations, Scalar};
use crate::task::Class;
use crate::Error;

/// Binary cross-entropy on one logit `z`: `ℓ = softplus(z) − y·z`, the mean over shots of
/// `−y log σ(z) − (1 − y) log(1 − σ(z))`, for a target probability `y ∈ [0, 1]` (labels 0 and
/// 1). `∂ℓ/∂z = σ(z) − y`.
///
/// ```
/// use tinycml::loss::{BinaryCrossEntropy, Loss};
/// use tinycml::Saturations;
///
/// let mut errors = [0.0f64];
/// let mut sat = Saturations::default();
/// Loss::<f64, f64>::output_errors(&BinaryCrossEntropy, &[0.0], &1.0, 1.0, &mut errors, &mut sat);
/// assert!((errors[0] + 0.5).abs() < 1e-12); // σ(0) − 1
/// assert!(Loss::<f64, f64>::check(&BinaryCrossEntropy, &1.5, 1).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BinaryCrossEntropy;

/// `σ(z) = ½ (1 + tanh(z/2))`.
fn sigmoid<A: Scalar>(z: A) -> A {
    let half = A::from_f64_saturating(0.5);
    half.add(half.mul(z.mul(half).tanh()))
}

impl<N: Precision> Loss<N, N::Act> for BinaryCrossEntropy {
    fn check(&self, target: &N::Act, outputs: usize) -> Result<(), Error> {
        if outputs != 1 {
            return Err(Error::InvalidTarget(
                "binary cross-entropy needs a model with exactly one output (the logit)",
            ));
        }
        if *target < N::Act::ZERO || *target > N::Act::ONE {
            return Err(Error::InvalidTarget(
                "a binary cross-entropy target must be a probability in [0, 1]",
            ));
        }
        Ok(())
    }

    fn output_errors(
        &self,
        outputs: &[N::Act],
        target: &N::Act,
        scale: N::Param,
        errors: &mut [N::Param],
        sat: &mut Saturations,
    ) {
        for (e, &z) in errors.iter_mut().zip(outputs) {
            *e = N::act_to_param(sigmoid(z).sub(*target), sat).mul(scale);
        }
    }

    fn add_reported(
        &self,
        outputs: &[N::Act],
        target: &N::Act,
        sum: <N::Act as Scalar>::Wide,
        _: &mut Saturations,
    ) -> <N::Act as Scalar>::Wide {
        let Some(&z) = outputs.first() else {
            return sum;
        };
        let softplus = z
            .max(N::Act::ZERO)
            .add(N::Act::ONE.add(z.abs().neg().exp()).ln());
        N::Act::wide_mac(sum, softplus.sub(target.mul(z)), N::Act::ONE)
    }

    fn is_correct(&self, outputs: &[N::Act], target: &N::Act) -> Option<bool> {
        let z = *outputs.first()?;
        let half = N::Act::from_f64_saturating(0.5);
        Some((z > N::Act::ZERO) == (*target > half))
    }
}

/// Softmax cross-entropy over `C ≥ 2` logits: `ℓ = −log softmax(z)_c` for the [`Class`] `c`;
/// `∂ℓ/∂z_i = softmax(z)_i − [i = c]`.
///
/// ```
/// use tinycml::loss::{Loss, SoftmaxCrossEntropy};
/// use tinycml::{Class, Saturations};
///
/// let mut errors = [0.0f64; 2];
/// let mut sat = Saturations::default();
/// Loss::<f64, _>::output_errors(&SoftmaxCrossEntropy, &[0.0, 0.0], &Class(1), 1.0, &mut errors, &mut sat);
/// assert_eq!(errors, [0.5, -0.5]);
/// assert!(Loss::<f64, _>::check(&SoftmaxCrossEntropy, &Class(2), 2).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SoftmaxCrossEntropy;

/// The largest logit and `Σ_i exp(z_i − max)` (in `[1, C]`).
fn max_and_sum<A: Scalar>(logits: &[A]) -> (A, A) {
    let first = logits.first().copied().unwrap_or(A::ZERO);
    let max = logits.iter().copied().fold(first, Scalar::max);
    let sum = logits
        .iter()
        .fold(A::ZERO, |sum, &z| sum.add(z.sub(max).exp()));
    (max, sum)
}

impl<N: Precision> Loss<N, Class> for SoftmaxCrossEntropy {
    fn check(&self, target: &Class, outputs: usize) -> Result<(), Error> {
        if outputs < 2 {
            return Err(Error::InvalidTarget(
                "softmax cross-entropy needs a model with at least two outputs",
            ));
        }
        if target.0 as usize >= outputs {
            return Err(Error::InvalidTarget(
                "a class label must be below the model's number of outputs",
            ));
        }
        Ok(())
    }

    fn output_errors(
        &self,
        outputs: &[N::Act],
        target: &Class,
        scale: N::Param,
        errors: &mut [N::Param],
        sat: &mut Saturations,
    ) {
        let (max, sum) = max_and_sum(outputs);
        for (i, (e, &z)) in errors.iter_mut().zip(outputs).enumerate() {
            let p = N::act_to_param(z.sub(max).exp().div(sum), sat);
            let p = if i == target.0 as usize {
                p.sub(N::Param::ONE)
            } else {
                p
            };
            *e = p.mul(scale);
        }
    }

    fn add_reported(
        &self,
        outputs: &[N::Act],
        target: &Class,
        sum: <N::Act as Scalar>::Wide,
        _: &mut Saturations,
    ) -> <N::Act as Scalar>::Wide {
        let Some(&z_c) = outputs.get(target.0 as usize) else {
            return sum;
        };
        let (max, total) = max_and_sum(outputs);
        N::Act::wide_mac(sum, max.add(total.ln()).sub(z_c), N::Act::ONE)
    }

    fn is_correct(&self, outputs: &[N::Act], target: &Class) -> Option<bool> {
        Some(argmax(outputs) == target.0 as usize)
    }
}

impl LossName for BinaryCrossEntropy {
    fn name(&self) -> &'static str {
        "binary_cross_entropy"
    }
}

impl LossName for SoftmaxCrossEntropy {
    fn name(&self) -> &'static str {
        "softmax_cross_entropy"
    }
}
