//! [`RawBits`]: a number saved as the raw bits of its own type.
//!
//! A saved state must come back bit for bit, and a device should not spend flash on a wider
//! type than it computes in: a Q8.24 weight is saved as its 4-byte `i32` pattern, an `f32`
//! Adam moment as its 4 IEEE bytes, an `f64` as 8. Each type also has a one-byte code, stored
//! beside its values, so that bits saved from one format are never read back as another.

use crate::num::Scalar;
use fixed::types::extra::LeEqU32;
use fixed::FixedI32;

/// A number type whose values are saved as their raw bits, little-endian, in
/// [`RawBits::BYTES`] bytes.
pub trait RawBits: Scalar {
    /// Bytes per value (4 or 8).
    const BYTES: usize;
    /// Identifies the type in a saved state: `f32` 1, `f64` 2, a 32-bit fixed-point type with
    /// `F` fraction bits `0x40 + F`.
    const CODE: u8;
    /// The value's bits, in the low [`RawBits::BYTES`] bytes.
    fn to_raw(self) -> u64;
    /// The value with these bits (the high bytes beyond [`RawBits::BYTES`] are ignored).
    fn from_raw(raw: u64) -> Self;
}

impl RawBits for f32 {
    const BYTES: usize = 4;
    const CODE: u8 = 1;
    fn to_raw(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn from_raw(raw: u64) -> Self {
        f32::from_bits(raw as u32)
    }
}

impl RawBits for f64 {
    const BYTES: usize = 8;
    const CODE: u8 = 2;
    fn to_raw(self) -> u64 {
        self.to_bits()
    }
    fn from_raw(raw: u64) -> Self {
        f64::from_bits(raw)
    }
}

impl<Frac: LeEqU32> RawBits for FixedI32<Frac>
where
    FixedI32<Frac>: Scalar,
{
    const BYTES: usize = 4;
    const CODE: u8 = 0x40 + Self::FRAC_NBITS as u8;
    fn to_raw(self) -> u64 {
        u64::from(self.to_bits() as u32)
    }
    fn from_raw(raw: u64) -> Self {
        Self::from_bits(raw as u32 as i32)
    }
}
