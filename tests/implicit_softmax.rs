//! The CML estimate of a deep classifier against the exact implicit gradient.
//!
//! **Settings**: `2-8-8-8-3`, three tanh hidden layers and three logits (195 parameters),
//! softmax cross-entropy; three-way tasks whose classes are Gaussian blobs (σ = 0.6) around
//! centres drawn in `[-2, 2]²`, 12 support and 12 query shots; ω drawn uniformly in
//! `±1/√fan-in`, λ = 0.5 on every synapse. The library's symmetric estimator with
//! **β = 0.01**, 1,000 free steps and 1,000 steps per nudged phase at lr 0.1, in `f64` and in
//! `Q16_16`. The reference solves the inner problem to `‖∇L_in‖ ≤ 1e-10` and solves the exact
//! 195 × 195 Hessian densely; its second derivatives come from dual numbers pushed through
//! the same loss and back-propagation, which `tests/gradients.rs` checks independently
//! against finite differences.

use tinycml::reference::{cosine, implicit_gradient, norm, solve_inner, Gradient, InnerSolve};
use tinycml::*;

type Net = Network<2, Layer<8, Layer<8, Layer<8, Layer<3>>>>>;
const P: usize = Net::PARAMS;
const LAMBDA: f64 = 0.5;

fn omega(seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    let fan_in = [2usize, 8, 8, 8];
    let widths = [8usize, 8, 8, 3];
    let mut out = Vec::new();
    for (&inputs, &outputs) in fan_in.iter().zip(&widths) {
        let bound = 1.0 / (inputs as f64).sqrt();
        for _ in 0..outputs * (inputs + 1) {
            out.push(rng.uniform(-bound, bound));
        }
    }
    assert_eq!(out.len(), P);
    out
}

/// A three-way task, in the format `A` and as exact `f64` values of the same shots.
#[allow(clippy::type_complexity)]
fn task<A: Scalar>(
    seed: u64,
) -> (
    Task<A, 2, 12, 12, Class>,
    Vec<Shot<f64, 2, Class>>,
    Vec<Shot<f64, 2, Class>>,
) {
    let mut rng = SplitMix64::new(seed);
    let centres: Vec<[f64; 2]> = (0..3)
        .map(|_| [rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0)])
        .collect();
    let mut task = Task::new();
    for i in 0..24 {
        let class = i % 3;
        let noise = |rng: &mut SplitMix64| {
            // Box–Muller from two uniforms.
            let (u, v) = (rng.uniform(1e-12, 1.0), rng.uniform(0.0, 1.0));
            0.6 * (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        };
        let x = [
            centres[class][0] + noise(&mut rng),
            centres[class][1] + noise(&mut rng),
        ];
        let shot = Shot::<A, 2, Class>::new(&x, Class(class as u16)).unwrap();
        if i < 12 {
            task.push_support(shot).unwrap();
        } else {
            task.push_query(shot).unwrap();
        }
    }
    let exact = |shots: &[Shot<A, 2, Class>]| -> Vec<Shot<f64, 2, Class>> {
        shots
            .iter()
            .map(|s| Shot {
                x: s.x.map(|v| v.to_f64()),
                y: s.y,
            })
            .collect()
    };
    let (support, query) = (exact(task.support()), exact(task.query()));
    (task, support, query)
}

fn cml_estimate<N: Precision>(seed: u64, omega: &[f64]) -> Gradient {
    let config = Config::default()
        .with_free_steps(1_000)
        .with_free_lr(0.1)
        .with_nudged_steps(1_000)
        .with_nudged_lr(0.1)
        .with_beta(0.01)
        .with_estimator(Estimator::Symmetric)
        .with_lambda_max(10.0);
    let cml = Cml::<N, _, P, _>::with_loss(Net::new(Activation::Tanh), SoftmaxCrossEntropy, config)
        .unwrap();
    let w = core::array::from_fn(|i| Scalar::from_f64(omega[i]).unwrap());
    let theta = ComplexSynapse::<N, P>::with_uniform_lambda(w, LAMBDA).unwrap();
    let (task, _, _) = task::<N::Act>(seed);
    let mut ws = Box::new(Workspace::<N, P>::new());
    let report = cml.estimate(&theta, &task, &mut ws).unwrap();
    assert_eq!(report.saturations, Saturations(0));
    let (g_omega, g_lambda) = ws.meta_gradient();
    Gradient {
        omega: g_omega.iter().map(|v| v.to_f64()).collect(),
        lambda: g_lambda.iter().map(|v| v.to_f64()).collect(),
    }
}

fn exact<A: Scalar>(seed: u64, omega: &[f64]) -> Gradient {
    let model = Net::new(Activation::Tanh);
    let (_, support, query) = task::<A>(seed);
    let lambda = vec![LAMBDA; P];
    let settings = InnerSolve {
        lr: 0.1,
        max_steps: 50_000,
        tolerance: 1e-10,
        newton_steps: 5,
    };
    let solved = solve_inner(
        &model,
        &SoftmaxCrossEntropy,
        omega,
        omega,
        &lambda,
        &support,
        &query,
        0.0,
        &settings,
    )
    .unwrap();
    assert!(
        solved.grad_norm <= 1e-9,
        "reference not converged: {:e}",
        solved.grad_norm
    );
    implicit_gradient(
        &model,
        &SoftmaxCrossEntropy,
        &solved.phi,
        omega,
        &lambda,
        &support,
        &query,
    )
    .unwrap()
}

fn check<N: Precision>(threshold: f64) {
    for seed in [1, 2, 3] {
        let omega = omega(10 + seed);
        let reference = exact::<N::Act>(seed, &omega);
        let estimate = cml_estimate::<N>(seed, &omega);
        let cos = cosine(&estimate.concat(), &reference.concat());
        let ratio = norm(&estimate.concat()) / norm(&reference.concat());
        println!(
            "{} task {seed}: cosine {cos:.6}, norm ratio {ratio:.4}",
            N::name()
        );
        assert!(cos >= threshold, "{} task {seed}: cosine {cos}", N::name());
        assert!(
            (ratio - 1.0).abs() < 0.05,
            "{} task {seed}: norm ratio {ratio}",
            N::name()
        );
    }
}

#[test]
fn softmax_classifier_estimate_matches_the_implicit_gradient_f64() {
    check::<f64>(0.999);
}

#[test]
fn softmax_classifier_estimate_matches_the_implicit_gradient_q16_16() {
    check::<Q16_16>(0.99);
}
