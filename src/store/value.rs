//! How an export stores its values: `f64` (versions 2 to 4, and version 5 when asked), or,
//! in version 5, the number format of the device that will use it (`f32`, or the raw `i32`
//! bits of a fixed-point format) at half the size.
//!
//! Every stored type converts to `f64` exactly, so reading is one path: stored bits → exact
//! `f64` → the reader's parameter type. Writing rounds once, the way the library converts any
//! `f64` into that type ([`Scalar::from_f64`]), so an export written for a precision holds
//! exactly the bits a reader in that precision would have made from the `f64` export.
//! Reading a version-5 export converts a value only when the reader's type holds it exactly
//! and refuses with [`Error::InexactValue`] otherwise: a file that declares the device's
//! format promises those bits, and a reader that would round them has another θ.

use super::{Reader, Writer};
use crate::num::{Precision, Scalar};
use crate::Error;
use fixed::types::extra::LeEqU32;
use fixed::FixedI32;

/// The element type of an export's values (ω and λ, or a dual system's body and fast state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ValueType {
    /// IEEE 754 binary64, 8 bytes: holds every supported format exactly.
    F64,
    /// IEEE 754 binary32, 4 bytes.
    F32,
    /// Fixed point: the two's-complement `i32` raw bits of `value · 2^frac_bits`, 4 bytes
    /// (`frac_bits` 24 is the Q8.24 parameter format of [`crate::Q16_16`]).
    Fixed {
        /// Fraction bits, 0 to 32.
        frac_bits: u8,
    },
}

/// `f64`, `f32`, or `i32 with N fraction bits`.
impl core::fmt::Display for ValueType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ValueType::F64 => f.write_str("f64"),
            ValueType::F32 => f.write_str("f32"),
            ValueType::Fixed { frac_bits } => write!(f, "i32 with {frac_bits} fraction bits"),
        }
    }
}

/// A parameter type that has an export value type of its own: `f64`, `f32`, and the
/// `i32`-backed fixed-point formats.
pub trait StoredValue: Scalar {
    /// The value type that holds this type's values exactly and at its own size.
    const VALUE_TYPE: ValueType;
}

impl StoredValue for f64 {
    const VALUE_TYPE: ValueType = ValueType::F64;
}

impl StoredValue for f32 {
    const VALUE_TYPE: ValueType = ValueType::F32;
}

impl<Frac: LeEqU32 + Send + Sync> StoredValue for FixedI32<Frac> {
    const VALUE_TYPE: ValueType = ValueType::Fixed {
        frac_bits: Self::FRAC_NBITS as u8,
    };
}

impl ValueType {
    /// The value type of precision `N`'s parameters, e.g. `Fixed { frac_bits: 24 }` for
    /// [`crate::Q16_16`]: what an export for a device running `N` should store.
    pub const fn of<N: Precision>() -> Self
    where
        N::Param: StoredValue,
    {
        <N::Param as StoredValue>::VALUE_TYPE
    }

    /// Bytes per stored value.
    pub const fn size(self) -> usize {
        match self {
            ValueType::F64 => 8,
            ValueType::F32 | ValueType::Fixed { .. } => 4,
        }
    }

    /// The header's two bytes: the type code (0 `f64`, 1 `f32`, 2 fixed point) and the
    /// fraction bits (0 unless fixed point).
    pub(crate) const fn code(self) -> [u8; 2] {
        match self {
            ValueType::F64 => [0, 0],
            ValueType::F32 => [1, 0],
            ValueType::Fixed { frac_bits } => [2, frac_bits],
        }
    }

    /// The value type of a header's two bytes, if valid.
    pub(crate) const fn from_code(code: [u8; 2]) -> Option<Self> {
        match code {
            [0, 0] => Some(ValueType::F64),
            [1, 0] => Some(ValueType::F32),
            [2, frac_bits @ 0..=32] => Some(ValueType::Fixed { frac_bits }),
            _ => None,
        }
    }

    /// Scale of a fixed-point type: `2^frac_bits`.
    fn scale(frac_bits: u8) -> f64 {
        (1u64 << frac_bits) as f64
    }

    /// Writes `value` in this type, rounded to nearest as [`Scalar::from_f64`] rounds;
    /// [`Error::OutOfRange`] when it does not fit (the writer has checked the length).
    pub(super) fn put(self, w: &mut Writer<'_>, value: f64) -> Result<(), Error> {
        match self {
            ValueType::F64 => w.put(&value.to_le_bytes()),
            ValueType::F32 => {
                let narrow = value as f32;
                if narrow.is_finite() != value.is_finite() {
                    return Err(Error::OutOfRange);
                }
                w.put(&narrow.to_le_bytes());
            }
            ValueType::Fixed { frac_bits } => {
                let scaled = libm::round(value * Self::scale(frac_bits));
                if !(scaled >= i32::MIN as f64 && scaled <= i32::MAX as f64) {
                    return Err(Error::OutOfRange);
                }
                w.put(&(scaled as i32).to_le_bytes());
            }
        }
        Ok(())
    }

    /// Reads one value of this type as the `f64` it holds exactly.
    pub(super) fn take(self, r: &mut Reader<'_>) -> Result<f64, Error> {
        Ok(match self {
            ValueType::F64 => r.f64()?,
            ValueType::F32 => f32::from_le_bytes(r.take()?) as f64,
            ValueType::Fixed { frac_bits } => {
                i32::from_le_bytes(r.take()?) as f64 / Self::scale(frac_bits)
            }
        })
    }
}

/// How a reader turns stored values into its parameter type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Conversion {
    /// Versions 2 to 4 (`f64` files meant for any precision): round to nearest as
    /// [`Scalar::from_f64`], refuse what does not fit.
    Round,
    /// Version 5: only values the reader's type holds exactly.
    Exact,
}

/// Reads the next value as `S`: [`Error::OutOfRange`] when it does not fit,
/// [`Error::InexactValue`] when `conversion` is exact and `S` would round it.
pub(super) fn read_param<S: Scalar>(
    r: &mut Reader<'_>,
    stored: ValueType,
    conversion: Conversion,
) -> Result<S, Error> {
    let value = stored.take(r)?;
    let param = S::from_f64(value).ok_or(Error::OutOfRange)?;
    // NaN never compares equal; it passes here and is refused as not finite by θ's checks.
    if conversion == Conversion::Exact && param.to_f64() != value && !value.is_nan() {
        return Err(Error::InexactValue { stored });
    }
    Ok(param)
}
