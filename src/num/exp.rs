//! Fixed-point natural exponential: range reduction by `ln 2`, then shift-and-add.
//!
//! Method: the input is split as `x = k · ln 2 + r` with `k = ⌊x / ln 2⌋` and `r ∈ [0, ln 2)`,
//! so `e^x = 2^k · e^r`. For `e^r`, the constants `ln(1 + 2^-i)`, `i = 1, 2, …, 32`, are
//! subtracted from `r` in turn whenever they fit, and each subtraction multiplies the result
//! (started at 1) by `1 + 2^-i`: a shift and an add. Before step `i` the remainder is below
//! `ln(1 + 2^-(i−1))` (at the start `r < ln 2`), and each step keeps that true for the next, so
//! the final remainder `ρ` is below `2^-32` and `e^ρ = 1 + ρ + O(ρ²)` finishes with one
//! product (the dropped `ρ²/2` is below `2^-65`). The result `e^r ∈ [1, 2)`, held with 63
//! fraction bits, is shifted by `k + F` and rounded to nearest once. The table of `ln(1 + 2^-i)`
//! (256 bytes) is the one of [`super::ln`].
//!
//! Everything is integer arithmetic on `u64`/`i64` (three products, none in the loop),
//! identical on every target. Internal relative error: the `ln 2` constant times `|k| ≤ 35`
//! (≤ 2^-53), 32 truncated shifts (2^-58) and 32 table roundings (2^-60). A result below
//! 2^31 steps therefore carries at most about 2^-22 steps of it, and every result is the exact
//! `e^x` rounded to the step, except within 2^-22 steps of a tie. That internal error is
//! also below half the growth of `e^x` from one input to the next, which makes the function
//! non-decreasing.
//!
//! Range: inputs whose result exceeds the largest value of the format give `i32::MAX` bits
//! (saturated); results below half a step round to 0. Inputs of magnitude 24 or more never need
//! the reduction (`e^24 > 2^31`, `e^-24 · 2^32 < 1/2`).

use super::ln::{LN2_Q58, LN_1P_POW2};

/// Largest absolute error of [`exp_bits`] against the exact `e^x` clamped to the format's range,
/// in steps of the format (`2^-F`), for every input: rounding to the step (0.5) plus the
/// internal error bounded above, with room for the `f64` reference of the test. Relative to the
/// result this is at most `0.5 · 2^-F / e^x` (at results ≥ 1: 7.6e-6 in Q16.16, 3e-8 in Q8.24;
/// results of a few steps are coarse, as in any rounding to the step). Measured over
/// every one of the 2^32 inputs (the ignored test of `tests/approx.rs`; its regular sweeps
/// assert this bound): Q16.16 0.4999996, Q8.24 0.5 to 12 places. Non-decreasing in the input.
pub const MAX_ERROR: f64 = 0.500_001;

/// `1 / ln 2` with 31 fraction bits (fits a `u32`; a first guess of `k`, corrected exactly).
const INV_LN2_Q31: i64 = 3_098_164_010;

/// `e^x` of a fixed-point value given by its raw bits and fraction-bit count (`frac ≤ 32`),
/// returned in the same format, rounded to nearest; saturates at `i32::MAX` bits and rounds to 0
/// below half a step. Never panics.
pub fn exp_bits(bits: i32, frac: u32) -> i32 {
    let x = bits as i64;
    if x >= 24 << frac {
        return i32::MAX;
    }
    if x <= -(24 << frac) {
        return 0;
    }
    // |x| < 24: with 58 fraction bits it fits an i64 (24 · 2^58 < 2^63).
    let x58 = x << (58 - frac);
    // k = ⌊x / ln 2⌋: a guess from 1/ln 2 (|bits| · 1.45 · 2^31 < 2^63), off by at most one,
    // then corrected so that r = x − k ln 2 ∈ [0, ln 2). |k| ≤ 35.
    let mut k = (x * INV_LN2_Q31) >> (31 + frac);
    let mut r = x58 - k * LN2_Q58;
    while r < 0 {
        k -= 1;
        r += LN2_Q58;
    }
    while r >= LN2_Q58 {
        k += 1;
        r -= LN2_Q58;
    }
    // e^x in steps is e^r · 2^(k + F) with e^r ∈ [1, 2).
    let scale = k + frac as i64;
    if scale >= 31 {
        return i32::MAX;
    }
    if scale <= -2 {
        // Below 2^-1 steps.
        return 0;
    }
    // Remainder with 64 fraction bits, and e^(r − remainder) with 63 (1.0 = 2^63).
    let mut remainder = (r as u64) << (64 - 58);
    let mut power: u64 = 1 << 63;
    for (i, &ln_factor) in (1u32..).zip(LN_1P_POW2.iter()) {
        if remainder >= ln_factor {
            remainder -= ln_factor;
            // The product stays below e^r < 2: no saturation happens, it only guards.
            power = power.saturating_add(power >> i);
        }
    }
    // remainder < ln(1 + 2^-32) + 32 roundings < 2^33, power >> 33 < 2^31: the product fits.
    power = power.saturating_add(((power >> 33) * remainder) >> 31);
    // Steps: power · 2^(scale − 63), a right shift by s = 63 − scale ∈ [33, 64], rounded half
    // up as ⌊(⌊power / 2^(s−1)⌋ + 1) / 2⌋ so that no shift reaches 64.
    let half_steps = power >> (62 - scale);
    ((half_steps + 1) >> 1).min(i32::MAX as u64) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_inputs() {
        assert_eq!(exp_bits(0, 16), 1 << 16);
        assert_eq!(exp_bits(0, 24), 1 << 24);
        assert_eq!(exp_bits(i32::MAX, 16), i32::MAX);
        assert_eq!(exp_bits(i32::MIN, 16), 0);
        assert_eq!(exp_bits(i32::MAX, 24), i32::MAX);
        assert_eq!(exp_bits(i32::MIN, 24), 0);
        // e in Q16.16: 178145.08…
        assert_eq!(exp_bits(1 << 16, 16), 178_145);
        let guess = (1u64 << 31) as f64 / core::f64::consts::LN_2;
        assert!((INV_LN2_Q31 as f64 - guess).abs() < 1.0);
    }
}
