//! The CML rule against the ridge closed forms of ALGORITHM.md §5 (`tinycml::reference::ridge`).
//!
//! Problem: `Linear<3>` (4 parameters), 8 support and 8 query shots with inputs uniform in
//! [−1, 1] and noisy linear targets, random ω, per-parameter λ in [1, 2]. The inner problems
//! are strongly convex (H ⪰ I) with curvature below 4, so full-batch gradient descent at
//! lr 0.2 contracts by at least 0.8 per step: 3,000 steps per phase reach the `f64` fixed point
//! (error ~1e-16), far below every bias measured here.

use tinycml::reference::ridge::Ridge;
use tinycml::reference::{relative_error, Gradient};
use tinycml::*;

const D: usize = 3;
const P: usize = D + 1;
const STEPS: u32 = 3_000;
const LR: f64 = 0.2;

struct Problem {
    task: Task<f64, D, 8, 8>,
    omega: [f64; P],
    lambda: [f64; P],
}

fn problem(seed: u64) -> Problem {
    let mut rng = SplitMix64::new(seed);
    let truth: Vec<f64> = (0..P).map(|_| rng.uniform(-2.0, 2.0)).collect();
    let shot = |rng: &mut SplitMix64| {
        let x = [(); D].map(|_| rng.uniform(-1.0, 1.0));
        let y = truth[D] + (0..D).map(|i| truth[i] * x[i]).sum::<f64>() + rng.uniform(-0.3, 0.3);
        Shot::<f64, D>::new(&x, y).unwrap()
    };
    let mut task = Task::new();
    for _ in 0..8 {
        task.push_support(shot(&mut rng)).unwrap();
    }
    for _ in 0..8 {
        task.push_query(shot(&mut rng)).unwrap();
    }
    let omega = [(); P].map(|_| rng.uniform(-1.0, 1.0));
    let lambda = [(); P].map(|_| rng.uniform(1.0, 2.0));
    Problem {
        task,
        omega,
        lambda,
    }
}

impl Problem {
    fn ridge(&self) -> Ridge {
        Ridge::new(
            self.task.support(),
            self.task.query(),
            &self.omega,
            &self.lambda,
        )
        .unwrap()
    }

    /// The library's `f64` CML estimate with converged phases.
    fn cml(&self, beta: f64, estimator: Estimator) -> Gradient {
        let config = Config::default()
            .with_free_steps(STEPS)
            .with_free_lr(LR)
            .with_nudged_steps(STEPS)
            .with_nudged_lr(LR)
            .with_beta(beta)
            .with_estimator(estimator)
            .with_lambda_max(1.0 / LR);
        let cml = Cml::<f64, _, P>::new(Linear::<D>::default(), config).unwrap();
        let theta = ComplexSynapse::<f64, P>::new(self.omega, self.lambda).unwrap();
        let mut ws = Workspace::new();
        cml.estimate(&theta, &self.task, &mut ws).unwrap();
        let (g_omega, g_lambda) = ws.meta_gradient();
        Gradient {
            omega: g_omega.to_vec(),
            lambda: g_lambda.to_vec(),
        }
    }
}

/// Least-squares slope of `ln y` against `ln x`.
fn log_log_slope(x: &[f64], y: &[f64]) -> f64 {
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let n = lx.len() as f64;
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}

#[test]
fn closed_form_gradient_matches_finite_differences_of_the_outer_loss() {
    // Independent of the implicit-function algebra: perturb θ, re-solve, difference L_out.
    let p = problem(11);
    let exact = p.ridge().gradient().unwrap();
    let outer = |omega: [f64; P], lambda: [f64; P]| {
        let r = Ridge::new(p.task.support(), p.task.query(), &omega, &lambda).unwrap();
        r.outer_loss(&r.phi_star(0.0).unwrap())
    };
    let h = 1e-5;
    for i in 0..P {
        let (mut up, mut down) = (p.omega, p.omega);
        up[i] += h;
        down[i] -= h;
        let fd = (outer(up, p.lambda) - outer(down, p.lambda)) / (2.0 * h);
        assert!(
            (fd - exact.omega[i]).abs() < 1e-8,
            "ω[{i}]: {fd} vs {}",
            exact.omega[i]
        );
        let (mut up, mut down) = (p.lambda, p.lambda);
        up[i] += h;
        down[i] -= h;
        let fd = (outer(p.omega, up) - outer(p.omega, down)) / (2.0 * h);
        assert!(
            (fd - exact.lambda[i]).abs() < 1e-8,
            "λ[{i}]: {fd} vs {}",
            exact.lambda[i]
        );
    }
}

#[test]
fn symmetric_estimate_matches_the_closed_form_at_small_beta() {
    for seed in [1, 2, 3] {
        let p = problem(seed);
        let exact = p.ridge().gradient().unwrap().concat();
        let estimate = p.cml(1e-3, Estimator::Symmetric).concat();
        let err = relative_error(&estimate, &exact);
        println!("seed {seed}: symmetric β = 1e-3, relative error {err:.3e}");
        assert!(err <= 1e-6, "seed {seed}: relative error {err:e}");
    }
}

#[test]
fn converged_estimates_equal_the_closed_form_prediction_at_any_beta() {
    // With converged phases the estimate at β is fully determined by φ*_{0,±β}; the bias
    // predicted from the closed forms must be reproduced by the library to rounding.
    let p = problem(4);
    let ridge = p.ridge();
    for estimator in [Estimator::Standard, Estimator::Symmetric] {
        for beta in [0.05, 0.5] {
            let predicted = ridge.estimate(beta, estimator).unwrap().concat();
            let estimate = p.cml(beta, estimator).concat();
            let err = relative_error(&estimate, &predicted);
            println!("{estimator:?} β={beta}: against the prediction {err:.2e}");
            assert!(err < 1e-9, "{estimator:?} β={beta}: {err:e}");
            let bias = relative_error(&predicted, &ridge.gradient().unwrap().concat());
            assert!(
                bias > 1e-6,
                "{estimator:?} β={beta}: the bias should be visible"
            );
        }
    }
}

#[test]
fn estimator_errors_fall_with_the_orders_the_theory_gives() {
    // β from 1e-3 to 1e-1, nine points evenly spaced in log β. The standard bias is ~1e-3
    // relative at β = 1e-3 and the symmetric one ~1e-7, both far above the converged
    // solver's error divided by β (~1e-13).
    let betas: Vec<f64> = (0..9).map(|k| 1e-3 * 10f64.powf(k as f64 / 4.0)).collect();
    for seed in [5, 6] {
        let p = problem(seed);
        let exact = p.ridge().gradient().unwrap().concat();
        let errors = |estimator| -> Vec<f64> {
            betas
                .iter()
                .map(|&b| relative_error(&p.cml(b, estimator).concat(), &exact))
                .collect()
        };
        let standard = log_log_slope(&betas, &errors(Estimator::Standard));
        let symmetric = log_log_slope(&betas, &errors(Estimator::Symmetric));
        println!("seed {seed}: slopes standard {standard:.4}, symmetric {symmetric:.4}");
        assert!((standard - 1.0).abs() <= 0.15, "standard slope {standard}");
        assert!(
            (symmetric - 2.0).abs() <= 0.3,
            "symmetric slope {symmetric}"
        );
    }
}
