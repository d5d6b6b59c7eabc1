//! Squared error, on every output or on one chosen output.

use super::{Loss, LossName};
use crate::num::{Precision, Saturations, Scalar};
use crate::task::Masked;
use crate::Error;

/// Targets a squared error compares outputs with: one value (one output) or `[A; O]`.
pub trait Regression<A>: Copy {
    /// The target values, one per output.
    fn values(&self) -> &[A];
}

impl<A: Scalar> Regression<A> for A {
    fn values(&self) -> &[A] {
        core::slice::from_ref(self)
    }
}

impl<A: Scalar, const O: usize> Regression<A> for [A; O] {
    fn values(&self) -> &[A] {
        self
    }
}

/// `ℓ = ½ ‖f(x) − y‖²`; reports the squared error without the ½ (the MSE of the literature).
///
/// ```
/// use tinycml::loss::{Loss, SquaredError};
/// use tinycml::Saturations;
///
/// let mut errors = [0.0f64; 2];
/// let mut sat = Saturations::default();
/// Loss::<f64, [f64; 2]>::output_errors(&SquaredError, &[1.0, 2.0], &[0.5, 2.5], 1.0, &mut errors, &mut sat);
/// assert_eq!(errors, [0.5, -0.5]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SquaredError;

impl<N: Precision, T: Regression<N::Act> + Send + Sync> Loss<N, T> for SquaredError {
    fn check(&self, target: &T, outputs: usize) -> Result<(), Error> {
        if target.values().len() != outputs {
            return Err(Error::InvalidTarget(
                "a squared-error target needs one value per model output",
            ));
        }
        Ok(())
    }

    #[inline]
    fn output_errors(
        &self,
        outputs: &[N::Act],
        target: &T,
        scale: N::Param,
        errors: &mut [N::Param],
        sat: &mut Saturations,
    ) {
        for ((e, &o), &y) in errors.iter_mut().zip(outputs).zip(target.values()) {
            *e = N::act_to_param(o.sub(y), sat).mul(scale);
        }
    }

    fn add_reported(
        &self,
        outputs: &[N::Act],
        target: &T,
        mut sum: <N::Act as Scalar>::Wide,
        _: &mut Saturations,
    ) -> <N::Act as Scalar>::Wide {
        for (&o, &y) in outputs.iter().zip(target.values()) {
            let error = o.sub(y);
            sum = N::Act::wide_mac(sum, error, error);
        }
        sum
    }

    fn objective_divisor(&self) -> u32 {
        2
    }
}

/// `ℓ = ½ (f_k(x) − y)²` on the one output `k` a [`Masked`] target names; the others get no
/// error. Reports `(f_k(x) − y)²`.
///
/// ```
/// use tinycml::loss::{Loss, MaskedSquaredError};
/// use tinycml::{Masked, Saturations};
///
/// let target = Masked { output: 1, value: 3.0 };
/// let mut errors = [9.0f64; 3];
/// let mut sat = Saturations::default();
/// Loss::<f64, _>::output_errors(&MaskedSquaredError, &[1.0, 2.0, 3.0], &target, 1.0, &mut errors, &mut sat);
/// assert_eq!(errors, [0.0, -1.0, 0.0]);
/// assert!(Loss::<f64, _>::check(&MaskedSquaredError, &Masked { output: 3, value: 0.0 }, 3).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaskedSquaredError;

impl<N: Precision> Loss<N, Masked<N::Act>> for MaskedSquaredError {
    fn check(&self, target: &Masked<N::Act>, outputs: usize) -> Result<(), Error> {
        if target.output as usize >= outputs {
            return Err(Error::InvalidTarget(
                "a masked target's output index must be below the model's outputs",
            ));
        }
        Ok(())
    }

    fn output_errors(
        &self,
        outputs: &[N::Act],
        target: &Masked<N::Act>,
        scale: N::Param,
        errors: &mut [N::Param],
        sat: &mut Saturations,
    ) {
        for (k, (e, &o)) in errors.iter_mut().zip(outputs).enumerate() {
            *e = if k == target.output as usize {
                N::act_to_param(o.sub(target.value), sat).mul(scale)
            } else {
                N::Param::ZERO
            };
        }
    }

    fn add_reported(
        &self,
        outputs: &[N::Act],
        target: &Masked<N::Act>,
        sum: <N::Act as Scalar>::Wide,
        _: &mut Saturations,
    ) -> <N::Act as Scalar>::Wide {
        match outputs.get(target.output as usize) {
            Some(&o) => {
                let error = o.sub(target.value);
                N::Act::wide_mac(sum, error, error)
            }
            None => sum,
        }
    }

    fn objective_divisor(&self) -> u32 {
        2
    }
}

impl LossName for SquaredError {
    fn name(&self) -> &'static str {
        "squared_error"
    }
}

impl LossName for MaskedSquaredError {
    fn name(&self) -> &'static str {
        "masked_squared_error"
    }
}
