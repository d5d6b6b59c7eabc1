//! The number formats: rounding, saturation and its count, and the reason weights are Q8.24.

use fixed::types::{I16F16, I8F24};
use tinycml::num::{Precision, Saturations, Scalar};
use tinycml::*;

fn q16(v: f64) -> I16F16 {
    I16F16::from_f64(v).unwrap()
}

#[test]
fn products_round_to_nearest_and_saturate() {
    // 1.5 steps × 0.5 = 0.75 step → 1 step; −0.75 step → −1 step (ties up, away below).
    let step = I16F16::from_bits(1);
    assert_eq!(step.mul(q16(0.5)), I16F16::from_bits(1));
    assert_eq!(I16F16::from_bits(3).mul(q16(0.25)), I16F16::from_bits(1));
    assert_eq!(q16(30000.0).mul(q16(2.0)), I16F16::MAX);
    assert_eq!(q16(-30000.0).mul(q16(2.0)), I16F16::MIN);
    assert_eq!(q16(30000.0).add(q16(30000.0)), I16F16::MAX);
    assert!(!I16F16::MAX.is_usable());
    assert_eq!(q16(1.0).div(I16F16::ZERO), I16F16::MAX);
    assert_eq!(Scalar::sqrt(q16(3.0)), q16(libm::sqrt(3.0)));
    assert_eq!(Scalar::sqrt(q16(-1.0)), I16F16::ZERO);
}

#[test]
fn mul_div_keeps_small_differences() {
    // A difference of 3 Q8.24 steps times 0.7, over β = 0.001: one rounding at the end.
    let diff = I8F24::from_bits(3);
    let got = diff.mul_div(
        I8F24::from_f64(0.7).unwrap(),
        I8F24::from_f64(0.001).unwrap(),
    );
    let want = 3.0 / (1u64 << 24) as f64 * 0.7 / I8F24::from_f64(0.001).unwrap().to_f64();
    assert!((got.to_f64() - want).abs() <= 0.5 / (1u64 << 24) as f64);
    // Rounding the product first would have lost it entirely.
    assert_eq!(diff.mul(I8F24::from_f64(0.7).unwrap()), I8F24::from_bits(2));
}

#[test]
fn conversions_refuse_what_does_not_fit() {
    assert_eq!(I16F16::from_f64(f64::NAN), None);
    assert_eq!(I16F16::from_f64(32768.0), None);
    assert_eq!(I8F24::from_f64(128.0), None);
    assert_eq!(I8F24::from_f64(-128.0), Some(I8F24::MIN));
    assert_eq!(<f32 as Scalar>::from_f64(1e39), None);
    assert_eq!(I16F16::from_f64_saturating(1e9), I16F16::MAX);
    assert_eq!(I16F16::from_f64_saturating(f64::NAN), I16F16::ZERO);
}

#[test]
fn kernels_count_saturations() {
    let mut sat = Saturations::default();
    let acc = Q16_16::mac(
        Q16_16::acc_from(I8F24::ZERO),
        I8F24::from_num(100),
        q16(1000.0),
    );
    assert_eq!(
        Q16_16::acc_to_act(acc, &mut sat),
        q16(32768.0 - 1.0 / 65536.0)
    );
    assert_eq!(sat, Saturations(1));
    let fits = Q16_16::mac(
        Q16_16::acc_from(I8F24::ZERO),
        I8F24::from_num(10),
        q16(100.0),
    );
    assert_eq!(Q16_16::acc_to_act(fits, &mut sat), q16(1000.0));
    assert_eq!(sat, Saturations(1));
}

/// A typical inner update, lr 0.01 × gradient 5e-4 = 5e-6, is a third of a Q16.16 step:
/// with Q16.16 weights round-to-nearest loses it every time, with Q8.24 weights it lands.
#[test]
fn small_updates_still_move_q8_24_weights() {
    let update = |weight_steps_per_unit: f64, w: f64| {
        let lr = 0.01;
        let grad = 5e-4;
        let step = 1.0 / weight_steps_per_unit;
        let moved = libm::round((w - lr * grad) / step) * step;
        moved != w
    };
    assert!(!update(65536.0, 0.25), "premise: Q16.16 loses the update");
    let w = I8F24::from_f64(0.25).unwrap();
    let lr = I8F24::from_f64(0.01).unwrap();
    let grad = I8F24::from_f64(5e-4).unwrap();
    let after = w.sub(lr.mul(grad));
    assert!(after < w);
    assert!((w.to_f64() - after.to_f64() - 5e-6).abs() < 1e-7);
    let w16 = q16(0.25);
    assert_eq!(w16.sub(q16(0.01).mul(q16(5e-4))), w16);
}

/// The whole free phase in Q16.16 everywhere barely learns where the Q16.16/Q8.24 default
/// does: the measured reason for the finer weight format.
#[test]
fn uniform_q16_16_loses_what_the_default_learns() {
    const P: usize = SinusoidMlp::PARAMS;
    fn moved<N: Precision>() -> f64 {
        let cml =
            Cml::<N, _, P>::new(SinusoidMlp::new(Activation::Relu), Config::default()).unwrap();
        let mut rng = SplitMix64::new(3);
        let mut omega = [N::Param::ZERO; P];
        for w in omega.iter_mut() {
            *w = N::Param::from_f64(rng.uniform(-0.15, 0.15)).unwrap();
        }
        let theta = ComplexSynapse::<N, P>::with_uniform_lambda(omega, 1.0).unwrap();
        let (_, task) = sinusoid::draw_task::<N::Act, 10, 10>(&mut rng, 10, 10).unwrap();
        let mut phi = Box::new([N::Param::ZERO; P]);
        let mut grad = phi.clone();
        cml.adapt(&theta, &task, None, &mut phi, &mut grad).unwrap();
        phi.iter()
            .zip(theta.omega())
            .filter(|(a, b)| a != b)
            .count() as f64
            / P as f64
    }
    let default = moved::<Q16_16>();
    let uniform = moved::<Q16_16Uniform>();
    println!("weights moved: Q16.16/Q8.24 {default:.3}, Q16.16 only {uniform:.3}");
    assert!(default > 0.5, "{default}");
    assert!(uniform < default);
}

/// CI also runs the test suite in a debug build (`cargo test --features std`, without
/// `--release`); `[profile.test]` raises its optimisation level for speed, and this checks
/// that integer overflow still panics there, so that every other test also runs with
/// overflow checks on.
#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "overflow")]
fn the_debug_run_checks_integer_overflow() {
    let largest = std::hint::black_box(i32::MAX);
    let _ = largest + 1;
}
