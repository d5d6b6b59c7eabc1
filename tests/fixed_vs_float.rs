//! The fixed-point learner tracks the f64 reference through a whole CML step.
//!
//! Same θ, same task, same settings (the sinusoid recipe: 100 free steps at lr 0.01, 2 × 50
//! nudged steps, symmetric, β = 0.1), run in `Q16_16` and in `f64`.
//!
//! Weight-by-weight tracking is checked with tanh hidden units, whose training dynamics are
//! smooth. With ReLU, a unit whose pre-activation sits at zero for some shot switches on in
//! one run and off in the other depending on a rounding; from then on single weights can
//! differ by ~1e-2 while the function learned stays the same. For ReLU the test therefore
//! compares what the learner computes: query MSE and the meta-gradient's direction.
//!
//! Why the tolerances are what they are: the fixed-point weights (Q8.24) are stored to
//! 6e-8, but each forward pass rounds activations to Q16.16 (step 1.5e-5), so every gradient
//! carries a relative error of order 1e-5 · (fan-in)^½. Over 100–200 steps at lr 0.01 those
//! errors add up, mostly at random, to a weight error of order lr · steps · 1e-5 · |∇| — a
//! few 1e-6 for the gradients seen here. We allow 5e-5 per weight (≈ 3 Q16.16 steps): an
//! order of magnitude above that estimate, and well below the ≈ 1e-3 per-task movement of
//! the weights, so a fixed-point learner that went astray cannot pass. The meta-gradient
//! divides a weight difference by 2β = 0.2, amplifying the weight error by 5; we require its
//! cosine with the f64 estimate ≥ 0.999 and its norm within 1 %.

use tinycml::*;

const P: usize = SinusoidMlp::PARAMS;
type Fixed = Q16_16;

fn theta<N: Precision>() -> ComplexSynapse<N, P> {
    let mut rng = SplitMix64::new(11);
    let bound = 1.0 / 40f64.sqrt();
    let mut omega = [N::Param::ZERO; P];
    for w in omega.iter_mut() {
        // Round through Q8.24 so both runs start from identical values.
        let v = <Fixed as Precision>::Param::from_f64(rng.uniform(-bound, bound)).unwrap();
        *w = N::Param::from_f64(v.to_f64()).unwrap();
    }
    ComplexSynapse::with_uniform_lambda(omega, 0.5).unwrap()
}

fn task<N: Precision>(seed: u64) -> Task<N::Act, 1, 10, 10> {
    // Shots rounded to f32 then to the format: Q16.16 is exact for these values only up to
    // its step, so both runs see the Q16.16-rounded shots.
    let mut rng = SplitMix64::new(seed);
    let fixed: Task<<Fixed as Precision>::Act, 1, 10, 10> =
        sinusoid::draw_task(&mut rng, 10, 10).unwrap().1;
    fixed.convert().unwrap()
}

fn max_abs_diff<A: Scalar, B: Scalar>(a: &[A], b: &[B]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x.to_f64() - y.to_f64()).abs())
        .fold(0.0, f64::max)
}

fn cosine_and_ratio<A: Scalar, B: Scalar>(a: &[A], b: &[B]) -> (f64, f64) {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (x.to_f64(), y.to_f64());
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    (ab / (aa * bb).sqrt(), (aa / bb).sqrt())
}

const WEIGHT_TOLERANCE: f64 = 5e-5;

#[test]
fn tanh_free_phase_tracks_f64_every_ten_steps() {
    let config = Config::default().with_free_steps(10);
    let fixed_cml = Cml::<Fixed, _, P>::new(SinusoidMlp::new(Activation::Tanh), config).unwrap();
    let float_cml = Cml::<f64, _, P>::new(SinusoidMlp::new(Activation::Tanh), config).unwrap();
    let (theta_q, theta_f) = (theta::<Fixed>(), theta::<f64>());
    let (task_q, task_f) = (task::<Fixed>(21), task::<f64>(21));
    let mut phi_q = Box::new([<Fixed as Precision>::Param::ZERO; P]);
    let mut grad_q = phi_q.clone();
    let mut phi_f = Box::new([0.0f64; P]);
    let mut grad_f = phi_f.clone();
    let mut worst: f64 = 0.0;
    let mut moved: f64 = 0.0;
    for checkpoint in 1..=10u32 {
        let steps = Some(10 * checkpoint);
        fixed_cml
            .adapt(&theta_q, &task_q, steps, &mut phi_q, &mut grad_q)
            .unwrap();
        float_cml
            .adapt(&theta_f, &task_f, steps, &mut phi_f, &mut grad_f)
            .unwrap();
        worst = worst.max(max_abs_diff(&phi_q[..], &phi_f[..]));
        moved = max_abs_diff(&phi_f[..], theta_f.omega());
    }
    assert!(
        worst <= WEIGHT_TOLERANCE,
        "fixed point strayed by {worst:e} (weights moved {moved:e})"
    );
    assert!(
        moved > 20.0 * WEIGHT_TOLERANCE,
        "the task barely moved the weights: {moved:e}"
    );
}

fn cml_step_tracks_f64(activation: Activation, min_cosine: f64, check_weights: bool) {
    let config = Config::default();
    let fixed_cml = Cml::<Fixed, _, P>::new(SinusoidMlp::new(activation), config).unwrap();
    let float_cml = Cml::<f64, _, P>::new(SinusoidMlp::new(activation), config).unwrap();
    let (theta_q, theta_f) = (theta::<Fixed>(), theta::<f64>());
    let mut batch_q = Box::new(MetaGradient::<Fixed, P>::new());
    let mut batch_f = Box::new(MetaGradient::<f64, P>::new());
    for seed in 31..37 {
        let (task_q, task_f) = (task::<Fixed>(seed), task::<f64>(seed));
        let mut ws_q = Box::new(Workspace::<Fixed, P>::new());
        let mut ws_f = Box::new(Workspace::<f64, P>::new());
        let report_q = fixed_cml.estimate(&theta_q, &task_q, &mut ws_q).unwrap();
        let report_f = float_cml.estimate(&theta_f, &task_f, &mut ws_f).unwrap();
        assert_eq!(report_q.saturations, Saturations(0));
        let mse_error = (report_q.query_loss.to_f64() / report_f.query_loss - 1.0).abs();
        assert!(
            mse_error <= 0.01,
            "query MSE off by {:.3} %",
            100.0 * mse_error
        );
        let free_error = max_abs_diff(ws_q.phi_free(), ws_f.phi_free());
        println!("{activation:?} seed {seed}: φ⁰ max error {free_error:e}");
        if check_weights {
            assert!(free_error <= WEIGHT_TOLERANCE, "φ⁰ off by {free_error:e}");
        }
        batch_q.add(&ws_q);
        batch_f.add(&ws_f);
        let (g_omega_q, g_lambda_q) = ws_q.meta_gradient();
        let (g_omega_f, g_lambda_f) = ws_f.meta_gradient();
        for (name, q, f) in [
            ("ω", &g_omega_q[..], &g_omega_f[..]),
            ("λ", &g_lambda_q[..], &g_lambda_f[..]),
        ] {
            let (cosine, ratio) = cosine_and_ratio(q, f);
            println!(
                "{activation:?} seed {seed} ĝ_{name}: cosine {cosine:.6}, norm ratio {ratio:.5}"
            );
            assert!(cosine >= min_cosine, "ĝ_{name} cosine {cosine}");
            if check_weights {
                assert!((ratio - 1.0).abs() <= 0.01, "ĝ_{name} norm ratio {ratio}");
            }
        }
    }
    // What a meta-step applies: the batch mean. Kink flips are task-specific, so the mean of
    // six tasks with one flip (seed 32) measured 0.9954; 0.99 allows for about two flips.
    let (sum_q, _) = batch_q.sums();
    let (sum_f, _) = batch_f.sums();
    let (cosine, ratio) = cosine_and_ratio(&sum_q[..], &sum_f[..]);
    println!("{activation:?} batch ĝ_ω: cosine {cosine:.6}, norm ratio {ratio:.5}");
    assert!(cosine >= 0.99 && (ratio - 1.0).abs() <= 0.01);
}

#[test]
fn a_whole_tanh_cml_step_tracks_f64_weight_by_weight() {
    cml_step_tracks_f64(Activation::Tanh, 0.999, true);
}

/// Per task, one ReLU switching differently (seed 32 here) turned ĝ_ω's cosine into 0.978
/// when this test was written; 0.95 leaves room for that and still catches a wrong estimate,
/// whose cosine with the reference is near 0.
#[test]
fn a_whole_relu_cml_step_tracks_f64_in_function() {
    cml_step_tracks_f64(Activation::Relu, 0.95, false);
}
