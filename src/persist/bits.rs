//! [`RawBits`]: a number saved as the raw bits of its own type.
//!
//! A saved state must come back bit for bit, and a device should not spend flash on a wider
//! type than it computes in: a Q8.24 weight is saved as its 4-byte `i32` pattern, an `f32`
//! Adam moment as its 4 IEEE bytes, an `f64` as 8. The type's [`StoredValue::VALUE_TYPE`] (the
//! export format's own type code) is stored beside its values, so that bits saved from one
//! format are never read back as another.

use crate::store::StoredValue;
use fixed::types::extra::LeEqU32;
use fixed::FixedI32;

/// A number type whose values are saved as their raw bits, little-endian, in
/// [`RawBits::BYTES`] bytes.
pub trait RawBits: StoredValue {
    /// Bytes per value (4 or 8).
    const BYTES: usize;
    /// The value's bits, in the low [`RawBits::BYTES`] bytes.
    fn to_raw(self) -> u64;
    /// The value with these bits (the high bytes beyond [`RawBits::BYTES`] are ignored).
    fn from_raw(raw: u64) -> Self;
}

impl RawBits for f32 {
    const BYTES: usize = 4;
    fn to_raw(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn from_raw(raw: u64) -> Self {
        f32::from_bits(raw as u32)
    }
}

impl RawBits for f64 {
    const BYTES: usize = 8;
    fn to_raw(self) -> u64 {
        self.to_bits()
    }
    fn from_raw(raw: u64) -> Self {
        f64::from_bits(raw)
    }
}

impl<Frac: LeEqU32 + Send + Sync> RawBits for FixedI32<Frac> {
    const BYTES: usize = 4;
    fn to_raw(self) -> u64 {
        u64::from(self.to_bits() as u32)
    }
    fn from_raw(raw: u64) -> Self {
        Self::from_bits(raw as u32 as i32)
    }
}
