//! `exp` and `ln` in every number type: the fixed-point approximations against `f64` over the
//! whole input range of Q16.16 and Q8.24, the dual-number derivatives against finite
//! differences, and how accurate micromath's `f32` versions are.
//!
//! Run with `cargo test --release --features std --test approx -- --nocapture` to see the
//! measured errors; `-- --ignored` checks every one of the 2^32 inputs of both formats.

use fixed::types::{I16F16, I8F24};
use tinycml::num::{exp, ln, Scalar};
use tinycml::reference::Dual;

/// One fixed format: its fraction bits and its `exp`/`ln` through [`Scalar`].
#[derive(Clone, Copy)]
struct Format {
    name: &'static str,
    frac: u32,
    exp: fn(i32) -> i32,
    ln: fn(i32) -> i32,
}

const Q16_16: Format = Format {
    name: "Q16.16",
    frac: 16,
    exp: |b| I16F16::from_bits(b).exp().to_bits(),
    ln: |b| I16F16::from_bits(b).ln().to_bits(),
};

const Q8_24: Format = Format {
    name: "Q8.24",
    frac: 24,
    exp: |b| I8F24::from_bits(b).exp().to_bits(),
    ln: |b| I8F24::from_bits(b).ln().to_bits(),
};

/// The exact `e^x` in steps of a format with `frac` fraction bits, clamped to its range.
fn exp_want(frac: u32, bits: i32) -> f64 {
    let step = (1u64 << frac) as f64;
    ((bits as f64 / step).exp() * step).min(i32::MAX as f64)
}

/// The exact `ln x` (`x > 0`) in steps of a format with `frac` fraction bits, clamped to its
/// range.
fn ln_want(frac: u32, bits: i32) -> f64 {
    let step = (1u64 << frac) as f64;
    ((bits as f64 / step).ln() * step).clamp(i32::MIN as f64, i32::MAX as f64)
}

impl Format {
    fn step(self) -> f64 {
        (1u64 << self.frac) as f64
    }
    fn exp_want(self, bits: i32) -> f64 {
        exp_want(self.frac, bits)
    }
    fn ln_want(self, bits: i32) -> f64 {
        ln_want(self.frac, bits)
    }
    /// Raw value of `v` (rounded), clamped to `i32`.
    fn raw(self, v: f64) -> i64 {
        (v * self.step())
            .round()
            .clamp(i32::MIN as f64, i32::MAX as f64) as i64
    }
}

/// Sorted, distinct inputs: every `stride`-th value of `[lo, hi]`, plus every value within
/// `radius` of each critical point, all inside `[lo, hi]`.
fn sweep(lo: i64, hi: i64, stride: i64, critical: &[i64], radius: i64) -> Vec<i32> {
    let mut inputs: Vec<i32> = (lo..=hi)
        .step_by(stride as usize)
        .map(|b| b as i32)
        .collect();
    inputs.push(hi as i32);
    for &c in critical {
        for b in (c - radius).max(lo)..=(c + radius).min(hi) {
            inputs.push(b as i32);
        }
    }
    inputs.sort_unstable();
    inputs.dedup();
    inputs
}

/// Inputs of `exp` for one format: every input where the result is neither saturated nor 0
/// (|x| < 24) at `core_stride`, the rest of `i32` at a coarse stride, and every input near 0,
/// near each multiple of ln 2 (where the reduction changes `k`), near the saturation and
/// round-to-0 thresholds, near ±24 and at the ends.
fn exp_inputs(f: Format, core_stride: i64) -> Vec<i32> {
    let ln2 = core::f64::consts::LN_2;
    let mut critical = vec![
        0,
        i32::MIN as i64,
        i32::MAX as i64,
        f.raw(24.0),
        f.raw(-24.0),
        f.raw(((i32::MAX as f64 + 0.5) / f.step()).ln()),
        f.raw((0.5 / f.step()).ln()),
    ];
    critical.extend((-35..=35).map(|k| f.raw(k as f64 * ln2)));
    let core = f.raw(24.0).min(i32::MAX as i64);
    let mut inputs = sweep(-core, core, core_stride, &critical, 3000);
    inputs.extend(sweep(i32::MIN as i64, i32::MAX as i64, 4099, &[], 0));
    inputs.sort_unstable();
    inputs.dedup();
    inputs
}

/// Inputs of `ln` for one format: every input up to 2^22 (where ln changes fastest), every
/// `stride`-th of all `i32`, every input near each power of two (where the leading bit moves),
/// near 1 and near both ends.
fn ln_inputs(f: Format, stride: i64) -> Vec<i32> {
    let mut critical: Vec<i64> = (0..31).map(|e| 1i64 << e).collect();
    critical.extend([f.raw(1.0), i32::MAX as i64, 0, -1, i32::MIN as i64]);
    let mut inputs = sweep(1, 1 << 22, 1, &[], 0);
    inputs.extend(sweep(
        i32::MIN as i64,
        i32::MAX as i64,
        stride,
        &critical,
        3000,
    ));
    inputs.sort_unstable();
    inputs.dedup();
    inputs
}

/// Largest error in steps and where, over `inputs` (sorted), checking that the result never
/// decreases from one input to the next.
fn worst_error(
    inputs: &[i32],
    got: impl Fn(i32) -> i32,
    want: impl Fn(i32) -> f64,
    what: &str,
) -> (f64, i32) {
    let mut worst = (0.0, 0);
    let mut previous: Option<(i32, i32)> = None;
    for &b in inputs {
        let g = got(b);
        let err = (g as f64 - want(b)).abs();
        if err > worst.0 {
            worst = (err, b);
        }
        if let Some((pb, pg)) = previous {
            assert!(
                g >= pg,
                "{what} decreases from input {pb} ({pg}) to {b} ({g})"
            );
        }
        previous = Some((b, g));
    }
    worst
}

fn check_exp(f: Format, core_stride: i64) {
    let inputs = exp_inputs(f, core_stride);
    let (err, at) = worst_error(&inputs, f.exp, |b| f.exp_want(b), "exp");
    println!(
        "{} exp: worst error {err:.9} steps at x = {} ({} inputs)",
        f.name,
        at as f64 / f.step(),
        inputs.len()
    );
    assert!(err <= exp::MAX_ERROR, "{} exp: {err} steps at {at}", f.name);
    // Exact points and the ends of the range.
    assert_eq!((f.exp)(0), 1 << f.frac, "exp(0) = 1 exactly");
    assert_eq!((f.exp)(i32::MAX), i32::MAX);
    assert_eq!((f.exp)(i32::MIN), 0);
    let top = ((i32::MAX as f64 + 0.5) / f.step()).ln() * f.step();
    assert_eq!(
        (f.exp)(top.ceil() as i32),
        i32::MAX,
        "saturates above the range"
    );
    assert!(
        (f.exp)(top.floor() as i32) < i32::MAX,
        "does not saturate below it"
    );
    let bottom = (0.5 / f.step()).ln() * f.step();
    assert_eq!((f.exp)(bottom.floor() as i32), 0, "below half a step is 0");
    assert_eq!(
        (f.exp)(bottom.ceil() as i32),
        1,
        "half a step and above is one step"
    );
}

fn check_ln(f: Format, stride: i64) {
    let inputs = ln_inputs(f, stride);
    let positive: Vec<i32> = inputs.iter().copied().filter(|&b| b > 0).collect();
    let (err, at) = worst_error(&positive, f.ln, |b| f.ln_want(b), "ln");
    println!(
        "{} ln: worst error {err:.9} steps at x = {} ({} inputs)",
        f.name,
        at as f64 / f.step(),
        positive.len()
    );
    assert!(err <= ln::MAX_ERROR, "{} ln: {err} steps at {at}", f.name);
    for b in inputs.iter().filter(|&&b| b <= 0) {
        assert_eq!(
            (f.ln)(*b),
            i32::MIN,
            "ln of {b} bits saturates to the minimum"
        );
    }
    assert_eq!((f.ln)(1 << f.frac), 0, "ln(1) = 0 exactly");
    assert_eq!((f.ln)(0), i32::MIN, "ln(0) = −∞ saturates");
    // ln of the smallest and largest positive values, and exp ∘ ln on the way back.
    let smallest = -(f.frac as f64) * core::f64::consts::LN_2 * f.step();
    assert!(((f.ln)(1) as f64 - smallest).abs() <= ln::MAX_ERROR);
    assert!(((f.ln)(i32::MAX) as f64 - f.ln_want(i32::MAX)).abs() <= ln::MAX_ERROR);
}

#[test]
fn q16_16_exp_over_the_whole_range() {
    check_exp(Q16_16, 1);
}

#[test]
fn q8_24_exp_over_the_whole_range() {
    check_exp(Q8_24, 127);
}

#[test]
fn q16_16_ln_over_the_whole_range() {
    check_ln(Q16_16, 1021);
}

#[test]
fn q8_24_ln_over_the_whole_range() {
    check_ln(Q8_24, 1021);
}

/// Every one of the 2^32 inputs of both formats, for both functions, split over the cores:
/// the error bound, monotonicity between neighbours, and (with
/// `CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true`) no arithmetic overflow anywhere.
#[test]
#[ignore = "every 32-bit input: minutes"]
fn every_input_of_both_formats() {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as i64;
    for f in [Q16_16, Q8_24] {
        let span = (1i64 << 32) / threads;
        let results: Vec<(f64, f64)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    scope.spawn(move || {
                        let lo = i32::MIN as i64 + t * span;
                        let hi = if t == threads - 1 {
                            i32::MAX as i64
                        } else {
                            lo + span
                        };
                        let (mut exp_worst, mut ln_worst) = (0.0f64, 0.0f64);
                        let (mut exp_prev, mut ln_prev) = ((f.exp)(lo as i32), (f.ln)(lo as i32));
                        for b in lo..=hi {
                            let b = b as i32;
                            let e = (f.exp)(b);
                            exp_worst = exp_worst.max((e as f64 - f.exp_want(b)).abs());
                            assert!(e >= exp_prev, "{} exp decreases at {b}", f.name);
                            exp_prev = e;
                            let l = (f.ln)(b);
                            if b > 0 {
                                ln_worst = ln_worst.max((l as f64 - f.ln_want(b)).abs());
                            } else {
                                assert_eq!(l, i32::MIN);
                            }
                            assert!(l >= ln_prev, "{} ln decreases at {b}", f.name);
                            ln_prev = l;
                        }
                        (exp_worst, ln_worst)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let exp_worst = results.iter().map(|r| r.0).fold(0.0, f64::max);
        let ln_worst = results.iter().map(|r| r.1).fold(0.0, f64::max);
        println!(
            "{} every input: exp {exp_worst:.12} steps, ln {ln_worst:.12} steps",
            f.name
        );
        assert!(exp_worst <= exp::MAX_ERROR);
        assert!(ln_worst <= ln::MAX_ERROR);
    }
}

/// The raw functions serve every `FixedI32<Frac>`, `Frac` = 0 … 32: a coarse sweep of each
/// width (also the ones that saturate almost everywhere, like Q0.32) within the bounds.
#[test]
fn every_fraction_width() {
    for frac in 0..=32u32 {
        let mut previous = (0, i32::MIN);
        for b in (i32::MIN as i64..=i32::MAX as i64).step_by(65_537) {
            let b = b as i32;
            let (e, l) = (exp::exp_bits(b, frac), ln::ln_bits(b, frac));
            assert!(
                (e as f64 - exp_want(frac, b)).abs() <= exp::MAX_ERROR,
                "exp {b} Q.{frac}"
            );
            if b > 0 {
                assert!(
                    (l as f64 - ln_want(frac, b)).abs() <= ln::MAX_ERROR,
                    "ln {b} Q.{frac}"
                );
            } else {
                assert_eq!(l, i32::MIN);
            }
            assert!(
                e >= previous.0 && l >= previous.1,
                "monotone at {b} Q.{frac}"
            );
            previous = (e, l);
        }
        assert_eq!(
            exp::exp_bits(0, frac) as i64,
            (1i64 << frac).min(i32::MAX as i64)
        );
    }
}

#[test]
fn floats_use_libm() {
    assert_eq!(Scalar::exp(0.0f64), 1.0);
    assert_eq!(Scalar::ln(1.0f64), 0.0);
    assert_eq!(Scalar::exp(1.0f64), libm::exp(1.0));
    assert_eq!(Scalar::ln(10.0f32), libm::logf(10.0));
    assert_eq!(Scalar::exp(-3.5f32), libm::expf(-3.5));
    assert_eq!(Scalar::ln(0.0f64), f64::NEG_INFINITY);
    assert!(Scalar::ln(-1.0f32).is_nan());
}

/// Central difference `(f(v + h) − f(v − h)) / 2h` of a function of `f64`.
fn central(f: impl Fn(f64) -> f64, v: f64, h: f64) -> f64 {
    (f(v + h) - f(v - h)) / (2.0 * h)
}

#[test]
fn dual_derivatives_match_finite_differences() {
    let h = 1e-6;
    for &v in &[-20.0, -3.0, -0.5, 0.0, 0.25, 1.0, 4.0, 30.0] {
        let got = Scalar::exp(Dual::new(v, 1.0));
        assert_eq!(got.v, libm::exp(v));
        let fd = central(|t: f64| t.exp(), v, h * v.abs().max(1.0));
        assert!(
            (got.d - fd).abs() <= 1e-8 * fd.abs(),
            "exp'({v}): {} vs {fd}",
            got.d
        );
    }
    for &v in &[1e-3, 0.1, 0.5, 1.0, 2.0, 50.0, 1e4] {
        let got = Scalar::ln(Dual::new(v, 1.0));
        assert_eq!(got.v, libm::log(v));
        let fd = central(|t: f64| t.ln(), v, h * v);
        assert!(
            (got.d - fd).abs() <= 1e-8 * fd.abs(),
            "ln'({v}): {} vs {fd}",
            got.d
        );
    }
    // The chain rule through both: d/dx ln(1 + e^(3x)) = 3 e^(3x) / (1 + e^(3x)) (softplus).
    let x = Dual::new(0.4, 1.0);
    let y = Scalar::ln(Dual::ONE.add(Scalar::exp(x.mul(Dual::constant(3.0)))));
    let fd = central(|t: f64| (1.0 + (3.0 * t).exp()).ln(), 0.4, h);
    assert!((y.d - fd).abs() <= 1e-8 * fd.abs());
    // ln of x ≤ 0: a finite constant below every ln of a positive f64, derivative 0.
    for v in [0.0, -1.0, -1e300] {
        assert_eq!(
            Scalar::ln(Dual::new(v, 1.0)),
            Dual::constant(Dual::LN_NONPOSITIVE)
        );
    }
    assert!(Dual::LN_NONPOSITIVE < libm::log(f64::from_bits(1)));
    assert!(!Scalar::ln(Dual::new(f64::NAN, 1.0)).is_usable());
}

/// Largest relative error of `f` against `want` over `inputs`, and where.
fn worst_relative(
    inputs: impl Iterator<Item = f32>,
    f: impl Fn(f32) -> f32,
    want: impl Fn(f64) -> f64,
) -> (f64, f32) {
    let mut worst = (0.0, 0.0);
    for x in inputs {
        let w = want(x as f64);
        let err = ((f(x) as f64 - w) / w).abs();
        if err > worst.0 {
            worst = (err, x);
        }
    }
    worst
}

/// Largest absolute error of `f` against `want` over `inputs`, and where.
fn worst_absolute(
    inputs: impl Iterator<Item = f32>,
    f: impl Fn(f32) -> f32,
    want: impl Fn(f64) -> f64,
) -> (f64, f32) {
    let mut worst = (0.0, 0.0);
    for x in inputs {
        let err = (f(x) as f64 - want(x as f64)).abs();
        if err > worst.0 {
            worst = (err, x);
        }
    }
    worst
}

/// micromath 2.1 against f64, next to libm (the library's f32 path). Measured when written:
///
/// | function | micromath 2.1 | libm |
/// |---|---|---|
/// | `exp`, relative, −87 … 88 | 2.39e-3 | 7.4e-8 |
/// | `exp`, relative, −20 … 0 (softmax) | 2.39e-3 | |
/// | `ln`, absolute, all positive normal `f32` | 0.118 | 3.8e-6 (at ln x = 85) |
/// | `ln`, absolute, `x ∈ (0, 1]` (probabilities) | 0.118 | |
/// | `ln`, absolute, `x ≥ 1` | 6.9e-5 | |
/// | `ln`, relative, away from 1 (`ln x ≤ −1` or `≥ 1`) | 0.117 | 7.9e-8 |
///
/// micromath's `ln` of `x < 1` is the `ln` of its approximate reciprocal (up to 12 % off), so a
/// cross-entropy `−ln p` can be 0.12 nats wrong; its `exp` is a 4-term series (0.24 %). The
/// bounds below are the measured values rounded up: a new micromath that changes either trips
/// them, and the lower bounds say why f32 stays on libm.
#[test]
fn micromath_f32_exp_and_ln_accuracy() {
    // exp over the inputs whose result is a normal f32 (−87 … 88), 2M points; a softmax only
    // ever sees x − max ≤ 0.
    let exp_inputs = || (0..=2_000_000).map(|i| -87.0 + 175.0 * i as f32 / 2_000_000.0);
    let softmax_inputs = || (0..=1_000_000).map(|i| -20.0 * i as f32 / 1_000_000.0);
    let mm_exp = |x: f32| micromath::F32Ext::exp(x);
    let mm_ln = |x: f32| micromath::F32Ext::ln(x);
    let exp_all = worst_relative(exp_inputs(), mm_exp, f64::exp);
    let exp_softmax = worst_relative(softmax_inputs(), mm_exp, f64::exp);
    let libm_exp = worst_relative(exp_inputs(), libm::expf, f64::exp);
    // ln over every 499th positive normal f32 (all exponents, mantissas spread evenly), and
    // over the probabilities a cross-entropy takes the log of.
    let ln_inputs = || {
        (f32::MIN_POSITIVE.to_bits()..=f32::MAX.to_bits())
            .step_by(499)
            .map(f32::from_bits)
    };
    let probabilities = || (1..=1_000_000).map(|i| i as f32 / 1_000_000.0);
    let far_from_one = || ln_inputs().filter(|x| x.ln().abs() >= 1.0);
    let ln_all = worst_absolute(ln_inputs(), mm_ln, f64::ln);
    let ln_p = worst_absolute(probabilities(), mm_ln, f64::ln);
    let ln_above_one = worst_absolute(ln_inputs().filter(|&x| x >= 1.0), mm_ln, f64::ln);
    let ln_relative = worst_relative(far_from_one(), mm_ln, f64::ln);
    let libm_ln = worst_absolute(ln_inputs(), libm::logf, f64::ln);
    let libm_ln_relative = worst_relative(far_from_one(), libm::logf, f64::ln);
    println!(
        "micromath exp: relative {:.3e} at {} (−87…88), {:.3e} at {} (−20…0); libm {:.3e} at {}",
        exp_all.0, exp_all.1, exp_softmax.0, exp_softmax.1, libm_exp.0, libm_exp.1
    );
    println!(
        "micromath ln: absolute {:.3e} at {:e} (all), {:.3e} at {} (p ≤ 1), {:.3e} at {:e} (x ≥ 1); \
         relative {:.3e} at {} (|ln x| ≥ 1)",
        ln_all.0, ln_all.1, ln_p.0, ln_p.1, ln_above_one.0, ln_above_one.1, ln_relative.0,
        ln_relative.1
    );
    println!(
        "libm logf: absolute {:.3e} at {:e}, relative {:.3e} at {:e}",
        libm_ln.0, libm_ln.1, libm_ln_relative.0, libm_ln_relative.1
    );
    assert!(exp_all.0 <= 2.4e-3 && exp_softmax.0 <= 2.4e-3);
    assert!(ln_all.0 <= 0.12 && ln_p.0 <= 0.12 && ln_above_one.0 <= 1e-4);
    assert!(ln_relative.0 <= 0.12);
    // libm: within an f32 rounding (2^-24 = 6e-8) or so.
    assert!(libm_exp.0 <= 1e-7 && libm_ln_relative.0 <= 1e-7);
    // Why the library's f32 path is libm and not micromath.
    assert!(exp_softmax.0 > 2e-3 && ln_p.0 > 0.1);
}
