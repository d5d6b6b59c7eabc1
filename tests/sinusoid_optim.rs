//! The log-λ option of Adam used by the sinusoid recipe: Adam's first step moves its variable
//! by ≈ lr against the gradient's sign, so on `ρ = ln λ` it scales λ by `e^{∓lr}` whatever λ's
//! size, while the plain version shifts λ by `∓lr`.

use tinycml::*;

fn bounds() -> Bounds<f64> {
    Bounds {
        lambda_min: 1e-4,
        lambda_max: 100.0,
        learn: Learn::Both,
    }
}

fn one_step(log: bool, lambda: [f64; 2], g_lambda: [f64; 2]) -> ComplexSynapse<f64, 2> {
    let mut theta = ComplexSynapse::<f64, 2>::new([0.5, -0.5], lambda).unwrap();
    let mut adam = Adam::<f64, 2, f64>::new(0.1).unwrap().log_lambda(log);
    adam.step(&mut theta, &[1.0, -1.0], &g_lambda, 1, &bounds())
        .unwrap();
    theta
}

#[test]
fn log_lambda_scales_lambda_relatively() {
    let theta = one_step(true, [2.0, 0.01], [3.0, -3.0]);
    let expected = [2.0 * (-0.1f64).exp(), 0.01 * 0.1f64.exp()];
    for (got, want) in theta.lambda().iter().zip(expected) {
        // Adam's ε shortens the first step by ~1e-5 of itself for these small gradients.
        assert!((got / want - 1.0).abs() < 1e-5, "{got} vs {want}");
    }
    // ω moves exactly as without the option.
    let plain = one_step(false, [2.0, 0.01], [3.0, -3.0]);
    assert_eq!(theta.omega(), plain.omega());
}

#[test]
fn plain_adam_shifts_lambda_absolutely() {
    let theta = one_step(false, [2.0, 0.5], [3.0, -3.0]);
    assert!((theta.lambda()[0] - 1.9).abs() < 1e-6);
    assert!((theta.lambda()[1] - 0.6).abs() < 1e-6);
}

#[test]
fn log_lambda_still_projects_into_bounds() {
    let mut theta = ComplexSynapse::<f64, 2>::new([0.0, 0.0], [99.0, 1e-4]).unwrap();
    let mut adam = Adam::<f64, 2, f64>::new(1.0).unwrap().log_lambda(true);
    adam.step(&mut theta, &[0.0, 0.0], &[-1.0, 1.0], 1, &bounds())
        .unwrap();
    assert_eq!(theta.lambda(), &[100.0, 1e-4]);
}
