//! Fixed-point hyperbolic tangent: a table with linear interpolation.
//!
//! Method: `tanh` is tabulated on `[0, RANGE]` every `1/STEPS_PER_UNIT`, in Q1.30, and
//! interpolated linearly; it is odd, and beyond `RANGE` it is `±1` (tanh(6) = 1 − 1.2e-5).
//! The interpolation error is at most `h²/8 · max|tanh''| = (1/64)²/8 · 0.77 ≈ 2.4e-5`.
//! The table is computed at compile time (exact `f64` series in a `const fn`), so the
//! binary holds 1.5 KB of constants and the device does integer work only.

/// Largest absolute error of [`tanh_bits`] against `tanh`, in the Q16.16 output format
/// (interpolation plus one output rounding); checked by a test.
pub const MAX_ERROR_Q16_16: f64 = 4.0e-5;

const STEPS_PER_UNIT_LOG2: u32 = 6;
const RANGE: usize = 6;
const POINTS: usize = (RANGE << STEPS_PER_UNIT_LOG2) + 1;
const TABLE_FRAC: u32 = 30;

/// `e^x` for `0 ≤ x ≤ 13`, to double precision: Taylor series of `e^(x/32)`, squared five times.
const fn exp_const(x: f64) -> f64 {
    let r = x / 32.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1;
    while k < 20 {
        term = term * r / k as f64;
        sum += term;
        k += 1;
    }
    let mut i = 0;
    while i < 5 {
        sum *= sum;
        i += 1;
    }
    sum
}

const fn build_table() -> [i32; POINTS] {
    let mut table = [0i32; POINTS];
    let mut i = 0;
    while i < POINTS {
        let x = i as f64 / (1u32 << STEPS_PER_UNIT_LOG2) as f64;
        let e2x = exp_const(2.0 * x);
        let t = (e2x - 1.0) / (e2x + 1.0);
        table[i] = (t * (1u32 << TABLE_FRAC) as f64 + 0.5) as i32;
        i += 1;
    }
    table
}

static TABLE: [i32; POINTS] = build_table();

/// `tanh` of a fixed-point value given by its raw bits and fraction-bit count (≤ 32),
/// returned in the same format (saturated where 1 is not representable).
pub fn tanh_bits(bits: i32, frac: u32) -> i32 {
    let magnitude = (bits as i64).unsigned_abs();
    // Position in table steps, with `frac` fraction bits.
    let position = magnitude << STEPS_PER_UNIT_LOG2;
    let index = (position >> frac) as usize;
    let value_q30 = if index >= POINTS - 1 {
        1i64 << TABLE_FRAC
    } else {
        let fraction = (position & ((1u64 << frac) - 1)) as i64;
        let low = TABLE[index] as i64;
        let high = TABLE[index + 1] as i64;
        low + (((high - low) * fraction) >> frac)
    };
    let rounded = if frac <= TABLE_FRAC {
        super::fixed_point::round_shift(value_q30, TABLE_FRAC - frac)
    } else {
        value_q30 << (frac - TABLE_FRAC)
    }
    .min(i32::MAX as i64) as i32;
    if bits < 0 {
        -rounded
    } else {
        rounded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q16_16_tanh_within_max_error() {
        let mut worst: f64 = 0.0;
        for bits in (-(9 << 16)..(9 << 16)).step_by(7) {
            let got = tanh_bits(bits, 16) as f64 / 65536.0;
            let want = libm::tanh(bits as f64 / 65536.0);
            worst = worst.max((got - want).abs());
        }
        assert!(worst <= MAX_ERROR_Q16_16, "worst error {worst}");
    }

    #[test]
    fn extreme_inputs_saturate_to_one() {
        assert_eq!(tanh_bits(i32::MAX, 16), 1 << 16);
        assert_eq!(tanh_bits(i32::MIN, 16), -(1 << 16));
        assert_eq!(tanh_bits(0, 24), 0);
    }
}
