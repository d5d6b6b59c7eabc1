//! Fixed-point natural logarithm: normalisation by the leading bit, then shift-and-add.
//!
//! Method: a positive input `x = b · 2^-F` (raw bits `b`) is `2^e · y` with `e` the position
//! of the leading bit of `b` and the mantissa `y ∈ [1, 2)`, so
//! `ln x = (e − F) · ln 2 + ln y`. For `ln y` the mantissa is multiplied by factors
//! `1 + 2^-i`, `i = 1, 2, …, 32`, each taken once and only if the product stays below 2; a
//! multiplication by `1 + 2^-i` is a shift and an add. After step `i` the product `z`
//! satisfies `2/z < 1 + 2^-i`, so after the last step `v = (2 − z)/2 < 2^-32` and
//! `ln(2/z) = v + O(v²)` (the dropped `v²/2` is below `2^-65`). Then
//! `ln y = ln 2 − Σ ln(1 + 2^-i) − v` over the factors taken. The 32 constants
//! `ln(1 + 2^-i)` (256 bytes, also used by [`super::exp`]) are computed at compile time by an
//! integer series to 124 bits and rounded to 64.
//!
//! Everything is integer arithmetic on `u64`/`i64` (no multiplication at all in the loop),
//! identical on every target. Internal error: 32 truncated shifts of a value in `[1, 2)` held
//! with 63 fraction bits (≤ 2^-58 in total), 32 table roundings (2^-60) and the `ln 2` constant
//! times `|e − F + 1| ≤ 31` (≤ 2^-54): below 2^-53, far below a step of any format with
//! `F ≤ 32` bits. So the result is the exact `ln x` rounded to the format's step, except within
//! `2^(F−53)` steps of a tie (2^-29 in Q8.24); that is also below half the change of `ln x`
//! from one input to the next, so the result never decreases.
//!
//! `x ≤ 0` has no logarithm: `ln 0 = −∞` saturates to the most negative value of the format
//! (`i32::MIN` bits), and negative inputs give the same. Results beyond the range of the format
//! (only possible with more than 26 fraction bits) saturate.

/// Largest absolute error of [`ln_bits`] against the exact `ln x` (clamped to the format's
/// range), in steps of the format (`2^-F`), for every positive input: rounding to the step (0.5)
/// plus the internal error bounded above, with room for the `f64` reference of the test.
/// Measured over every one of the 2^32 inputs (the ignored test of `tests/approx.rs`; its
/// regular sweeps assert this bound): Q16.16 0.4999999999, Q8.24 0.5 to 12 places. The result
/// is the exact logarithm rounded to the step, and non-decreasing in the input.
pub const MAX_ERROR: f64 = 0.500_001;

/// Factors `1 + 2^-i` tried, `i = 1..=STEPS`.
const STEPS: usize = 32;

/// Fraction bits of the compile-time series.
const SERIES_FRAC: u32 = 124;

/// `ln(1 + 2^-i)` with `SERIES_FRAC` fraction bits: `Σ_{j≥1} (−1)^(j+1) 2^(-ij) / j`, every term
/// floored (error below `j` units of the last place) and the series stopped once its terms
/// vanish. The partial sums of this alternating, decreasing series stay positive.
const fn ln_1p_pow2_series(i: u32) -> u128 {
    let mut sum: u128 = 0;
    let mut j = 1;
    while i * j < SERIES_FRAC {
        let term = (1u128 << (SERIES_FRAC - i * j)) / j as u128;
        if j % 2 == 1 {
            sum += term;
        } else {
            sum -= term;
        }
        j += 1;
    }
    sum
}

/// `ln 2 = Σ_{j≥1} 2^-j / j` with `SERIES_FRAC` fraction bits (all terms positive).
const fn ln2_series() -> u128 {
    let mut sum: u128 = 0;
    let mut j = 1;
    while j < SERIES_FRAC {
        sum += (1u128 << (SERIES_FRAC - j)) / j as u128;
        j += 1;
    }
    sum
}

const fn build_table() -> [u64; STEPS] {
    let mut table = [0u64; STEPS];
    let mut i = 0;
    while i < STEPS {
        let exact = ln_1p_pow2_series(i as u32 + 1);
        // Round to 64 fraction bits.
        table[i] = ((exact + (1 << (SERIES_FRAC - 65))) >> (SERIES_FRAC - 64)) as u64;
        i += 1;
    }
    table
}

/// `ln(1 + 2^-i)` at index `i − 1`, with 64 fraction bits (every entry is below 0.41).
pub(super) static LN_1P_POW2: [u64; STEPS] = build_table();

/// `ln 2` with 58 fraction bits, rounded down: room for `±32 · ln 2` in an `i64`.
pub(super) const LN2_Q58: i64 = (ln2_series() >> (SERIES_FRAC - 58)) as i64;

/// `ln` of a fixed-point value given by its raw bits and fraction-bit count (`frac ≤ 32`),
/// returned in the same format, rounded to nearest; `x ≤ 0` gives `i32::MIN` (`ln 0 = −∞`,
/// saturated). Never panics.
pub fn ln_bits(bits: i32, frac: u32) -> i32 {
    if bits <= 0 {
        return i32::MIN;
    }
    // bits ∈ [2^e, 2^(e+1)), e ∈ [0, 30]; mantissa y = bits / 2^e ∈ [1, 2) with 63 fraction bits.
    let e = 31 - bits.leading_zeros();
    let mut z = (bits as u64) << (63 - e);
    // Σ ln(1 + 2^-i) over the factors taken, 64 fraction bits. It never exceeds ln(2/y) (plus
    // the table roundings, 2^-59), so it stays below ln 2 < 1 and the sums cannot overflow.
    let mut taken: u64 = 0;
    for (i, &ln_factor) in (1u32..).zip(LN_1P_POW2.iter()) {
        // z · (1 + 2^-i) < 2 exactly when the sum does not overflow (2 is 2^64 here).
        if let Some(next) = z.checked_add(z >> i) {
            z = next;
            taken += ln_factor;
        }
    }
    // v = (2 − z)/2 with 64 fraction bits is 2^64 − z; z ≥ 2^63, so v ∈ (0, 2^63].
    let v = z.wrapping_neg();
    // ln y = ln 2 − taken − v, so ln x = (e − F + 1) · ln 2 − (taken + v); with 58 fraction bits
    // |(e − F + 1) · ln 2| ≤ 31 · 0.7 and taken + v < 1 keep |w| below 2^63.
    let ln2_multiple = e as i64 - frac as i64 + 1;
    let w = ln2_multiple * LN2_Q58 - ((taken + v) >> (64 - 58)) as i64;
    let rounded = super::fixed_point::round_shift(w, 58 - frac);
    rounded.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_f64() {
        for (i, &entry) in (1..).zip(LN_1P_POW2.iter()) {
            let want = libm::log1p(libm::ldexp(1.0, -i));
            let got = entry as f64 / 18_446_744_073_709_551_616.0;
            // Half a unit of the 64-bit table, plus an ulp of f64 for libm.
            let tolerance = 0.5 / 18_446_744_073_709_551_616.0 + want * 2.3e-16;
            assert!((got - want).abs() <= tolerance, "i = {i}: {got} vs {want}");
        }
        let ln2 = LN2_Q58 as f64 / (1u64 << 58) as f64;
        assert!((ln2 - core::f64::consts::LN_2).abs() < 1e-16);
    }

    #[test]
    fn special_inputs() {
        assert_eq!(ln_bits(1 << 16, 16), 0);
        assert_eq!(ln_bits(1 << 24, 24), 0);
        assert_eq!(ln_bits(0, 16), i32::MIN);
        assert_eq!(ln_bits(-5, 24), i32::MIN);
        assert_eq!(ln_bits(i32::MIN, 16), i32::MIN);
        // ln 2 in Q16.16: 45426.09…
        assert_eq!(ln_bits(2 << 16, 16), 45426);
    }
}
