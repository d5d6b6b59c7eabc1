//! Each loss in the device format (`Q16_16`: Q16.16 outputs, Q8.24 errors) against the same
//! loss in `f64` on the same, already rounded, outputs and targets: the errors `∂ℓ/∂outputs`
//! and the reported loss, over random outputs across the range the losses meet (logits to
//! ±40, regression errors to ±20), with a bound derived from the steps and stated
//! approximation errors involved.

use tinycml::num::{exp, ln, tanh};
use tinycml::*;

type Fixed = Q16_16;
type A = <Fixed as Precision>::Act;
/// One Q16.16 step, the unit of the activation format.
const STEP: f64 = 1.0 / 65536.0;
/// One Q8.24 step, the unit of the errors.
const FINE: f64 = 1.0 / 16_777_216.0;

/// `ℓ`'s errors and reported value in fixed point and in f64, as f64 (no saturation allowed
/// unless `may_saturate`: a loss beyond ±32768 does not fit Q16.16).
fn both<L, T, F>(
    loss: L,
    outputs: &[f64],
    target: &T,
    f64_target: &F,
) -> (Vec<f64>, Vec<f64>, f64, f64)
where
    L: Loss<Fixed, T> + Loss<f64, F>,
{
    let fixed: Vec<A> = outputs.iter().map(|&v| A::from_f64(v).unwrap()).collect();
    let exact: Vec<f64> = fixed.iter().map(|v| v.to_f64()).collect();
    let mut sat = Saturations::default();
    let mut errors_q = vec![<Fixed as Precision>::Param::ZERO; outputs.len()];
    Loss::<Fixed, T>::output_errors(&loss, &fixed, target, Scalar::ONE, &mut errors_q, &mut sat);
    let mut errors_f = vec![0.0; outputs.len()];
    Loss::<f64, F>::output_errors(&loss, &exact, f64_target, 1.0, &mut errors_f, &mut sat);
    let reported_q = A::from_wide(
        Loss::<Fixed, T>::add_reported(&loss, &fixed, target, A::wide_zero(), &mut sat),
        &mut sat,
    );
    let reported_f = Loss::<f64, F>::add_reported(&loss, &exact, f64_target, 0.0, &mut sat);
    if reported_f.abs() < 30_000.0 {
        assert_eq!(sat, Saturations(0), "{}", loss.name());
    }
    (
        errors_q.iter().map(|v| v.to_f64()).collect(),
        errors_f,
        reported_q.to_f64(),
        reported_f,
    )
}

fn max_difference(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn squared_errors_are_exact_in_fixed_point() {
    // o − y is exact in Q16.16 and Q8.24 holds it exactly (|o − y| < 128): the errors are
    // bit-exact; the reported sum of squares is exact in i64 and rounded once.
    let mut rng = SplitMix64::new(1);
    for _ in 0..2_000 {
        let outputs: Vec<f64> = (0..3).map(|_| rng.uniform(-10.0, 10.0)).collect();
        let y = [(); 3].map(|_| rng.uniform(-10.0, 10.0));
        let y_q = y.map(|v| A::from_f64(v).unwrap());
        let y_f = y_q.map(|v| v.to_f64());
        let (eq, ef, rq, rf) = both(SquaredError, &outputs, &y_q, &y_f);
        assert_eq!(max_difference(&eq, &ef), 0.0);
        assert!((rq - rf).abs() <= 0.5 * STEP, "{rq} vs {rf}");

        let k = (rng.next_u64() % 3) as u16;
        let masked_q = Masked {
            output: k,
            value: y_q[0],
        };
        let masked_f = Masked {
            output: k,
            value: y_f[0],
        };
        let (eq, ef, rq, rf) = both(MaskedSquaredError, &outputs, &masked_q, &masked_f);
        assert_eq!(max_difference(&eq, &ef), 0.0);
        assert!((rq - rf).abs() <= 0.5 * STEP);
    }
}

#[test]
fn softmax_cross_entropy_in_fixed_point_tracks_f64() {
    // Each exp(z_i − max) carries at most exp::MAX_ERROR steps; their sum S ≥ 1 carries C of
    // them; p_i = e_i / S is rounded to a Q16.16 step: |Δp| ≤ (1 + C) · MAX_ERROR · step +
    // ½ step. The reported max + ln S − z_c adds ln's error and ΔS / S.
    const C: usize = 10;
    let p_bound = ((1 + C) as f64 * exp::MAX_ERROR + 0.5) * STEP + FINE;
    let loss_bound = (ln::MAX_ERROR + C as f64 * exp::MAX_ERROR + 1.0) * STEP;
    let mut rng = SplitMix64::new(2);
    let (mut worst_p, mut worst_loss) = (0.0f64, 0.0f64);
    for _ in 0..5_000 {
        let spread = rng.uniform(0.1, 40.0);
        let outputs: Vec<f64> = (0..C).map(|_| rng.uniform(-spread, spread)).collect();
        let class = Class((rng.next_u64() % C as u64) as u16);
        let (eq, ef, rq, rf) = both(SoftmaxCrossEntropy, &outputs, &class, &class);
        worst_p = worst_p.max(max_difference(&eq, &ef));
        worst_loss = worst_loss.max((rq - rf).abs());
    }
    println!("softmax: worst |Δp| {worst_p:e} (bound {p_bound:e}), worst |Δloss| {worst_loss:e} (bound {loss_bound:e})");
    assert!(worst_p <= p_bound);
    assert!(worst_loss <= loss_bound);
}

#[test]
fn binary_cross_entropy_in_fixed_point_tracks_f64() {
    // σ(z) = ½ (1 + tanh(z/2)): ½ of tanh's MAX_ERROR, two Q16.16 roundings (the product by ½
    // and the sum). The reported softplus(z) − y·z adds exp's and ln's errors and one product.
    let p_bound = 0.5 * tanh::MAX_ERROR_Q16_16 + 2.0 * STEP;
    let loss_bound = (exp::MAX_ERROR + ln::MAX_ERROR + 2.0) * STEP;
    let mut rng = SplitMix64::new(3);
    let (mut worst_p, mut worst_loss) = (0.0f64, 0.0f64);
    for _ in 0..20_000 {
        let z = rng.uniform(-40.0, 40.0);
        let y = if rng.next_u64().is_multiple_of(2) {
            rng.uniform(0.0, 1.0)
        } else {
            (rng.next_u64() % 2) as f64
        };
        let y_q = A::from_f64(y).unwrap();
        let (eq, ef, rq, rf) = both(BinaryCrossEntropy, &[z], &y_q, &y_q.to_f64());
        worst_p = worst_p.max(max_difference(&eq, &ef));
        worst_loss = worst_loss.max((rq - rf).abs());
    }
    println!("binary: worst |Δσ| {worst_p:e} (bound {p_bound:e}), worst |Δloss| {worst_loss:e} (bound {loss_bound:e})");
    assert!(worst_p <= p_bound);
    assert!(worst_loss <= loss_bound);
}

#[test]
fn softmax_never_overflows_anywhere_in_the_activation_range() {
    // Logits at the rails of Q16.16: every probability stays in [0, 1] and sums to 1 within
    // C steps, and the loss is finite.
    let mut rng = SplitMix64::new(4);
    for _ in 0..2_000 {
        let outputs: Vec<f64> = (0..5)
            .map(|_| match rng.next_u64() % 3 {
                0 => 32_767.0,
                1 => -32_768.0,
                _ => rng.uniform(-32_768.0, 32_767.0),
            })
            .collect();
        let class = Class((rng.next_u64() % 5) as u16);
        let (eq, _, rq, _) = both(SoftmaxCrossEntropy, &outputs, &class, &class);
        let probabilities: Vec<f64> = eq
            .iter()
            .enumerate()
            .map(|(i, e)| if i == class.0 as usize { e + 1.0 } else { *e })
            .collect();
        assert!(
            probabilities.iter().all(|p| (0.0..=1.0).contains(p)),
            "{probabilities:?}"
        );
        let total: f64 = probabilities.iter().sum();
        assert!((total - 1.0).abs() <= 5.0 * STEP, "Σp = {total}");
        assert!(rq >= 0.0, "the loss {rq} must not wrap below 0");
    }
}
