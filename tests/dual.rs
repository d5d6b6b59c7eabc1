//! The dual system (`tinycml::dual`): its gradients, its contrastive meta-gradient against the
//! exact implicit gradient and against finite differences of the converged outer loss, the
//! estimators' bias in β, and bad input.
//!
//! **Settings** (what every meta-gradient check here uses unless it says otherwise): the
//! system `1-8-8-1` with tanh hidden layers (body 88 values, fast state 41), a body drawn
//! uniformly (±1 in the first layer, ±1/√8 in the second), an initial fast state with gains
//! in [0.7, 1.3], shifts in ±0.2 and a read-out in ±0.5, μ = 0.5, sinusoid tasks of 10
//! support and 10 query shots. The library runs 3,000 free steps and 3,000 steps per nudged
//! phase at lr 0.05; the exact reference solves the inner problem to `‖∇L_in‖ ≤ 1e-10`
//! (gradient descent, then Newton) and solves the 41 × 41 Hessian densely.
//!
//! Measured when written (`cargo test --release --features std --test dual -- --nocapture`,
//! about 1 s): the exact gradient agrees with central finite differences of the re-solved
//! outer loss to a relative error of 2e-10 (body) and 1e-10 (initial state); the symmetric
//! estimate's cosine with it is 1.0000000 in f64 (β = 0.01) and 0.999995–0.9999996 in Q16.16
//! (β = 0.05, norm ratios 1.0003–1.0033); the error falls with slope 0.95 in β for the
//! standard estimator and 2.07 for the symmetric one. On the 1-40-40-1 sinusoid size (body
//! 1,720, fast state 201; 3,000 steps per phase at lr 0.02): cosine 1.0000000 in f64 and
//! 0.99999 in Q16.16.

use tinycml::dual::{DualCml, DualMetaGradient, DualModel, DualState, DualSystem, DualWorkspace};
use tinycml::loss::SoftmaxCrossEntropy;
use tinycml::optim::VectorOptimizer;
use tinycml::reference::dual_system::body_gradient;
use tinycml::reference::{
    augmented_gradient, cosine, data_loss, dual_implicit_gradient, loss_gradient, norm,
    relative_error, solve_inner, DualGradient, FixedBody, InnerSolve,
};
use tinycml::*;

type Small = DualSystem<1, Layer<8, Layer<8, Layer<1>>>>;
const B: usize = Small::BODY;
const F: usize = Small::FAST;
const MU: f64 = 0.5;

fn small() -> Small {
    Small::new(Activation::Tanh)
}

/// A body: ±1 in the first layer (its 16 values), ±1/√8 in the second.
fn body(seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    (0..B)
        .map(|i| {
            let bound = if i < 16 { 1.0 } else { 8f64.powf(-0.5) };
            rng.uniform(-bound, bound)
        })
        .collect()
}

/// An initial fast state away from the authors' (gains 1, shifts 0, zero read-out), so that
/// every part of it matters.
fn init(seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    let mut fast = vec![0.0; F];
    for layer in 0..2 {
        for unit in 0..8 {
            fast[layer * 16 + unit] = rng.uniform(0.7, 1.3);
            fast[layer * 16 + 8 + unit] = rng.uniform(-0.2, 0.2);
        }
    }
    for v in &mut fast[32..] {
        *v = rng.uniform(-0.5, 0.5);
    }
    fast
}

fn shots_f64<A: Scalar>(shots: &[Shot<A, 1>]) -> Vec<Shot<f64, 1>> {
    shots
        .iter()
        .map(|s| Shot {
            x: [s.x[0].to_f64()],
            y: s.y.to_f64(),
        })
        .collect()
}

#[allow(clippy::type_complexity)]
fn task<A: Scalar>(seed: u64) -> (Task<A, 1, 10, 10>, Vec<Shot<f64, 1>>, Vec<Shot<f64, 1>>) {
    let mut rng = SplitMix64::new(seed);
    let (_, task) = sinusoid::draw_task::<A, 10, 10>(&mut rng, 10, 10).unwrap();
    let (support, query) = (shots_f64(task.support()), shots_f64(task.query()));
    (task, support, query)
}

fn array<N: Precision, const P: usize>(values: &[f64]) -> [N::Param; P] {
    core::array::from_fn(|i| N::Param::from_f64(values[i]).unwrap())
}

fn state<N: Precision>(body: &[f64], init: &[f64]) -> DualState<N, B, F> {
    DualState::new(array::<N, B>(body), array::<N, F>(init)).unwrap()
}

fn config(estimator: Estimator, beta: f64, steps: u32) -> Config {
    Config::default()
        .with_free_steps(steps)
        .with_free_lr(0.05)
        .with_nudged_steps(steps)
        .with_nudged_lr(0.05)
        .with_beta(beta)
        .with_estimator(estimator)
}

/// The library's estimate for one task, in `f64`.
fn estimate<N: Precision>(
    config: Config,
    body: &[f64],
    init: &[f64],
    task: &Task<N::Act, 1, 10, 10>,
) -> (DualGradient, Vec<f64>) {
    let cml = DualCml::<N, _, B, F>::new(small(), config, Some(MU)).unwrap();
    let theta = state::<N>(body, init);
    let mut ws = DualWorkspace::new();
    let mut sum = DualMetaGradient::new();
    cml.estimate(&theta, task, &mut ws, &mut sum).unwrap();
    let (g_body, g_init) = sum.sums();
    let to_f64 = |v: &[N::Param]| v.iter().map(|x| x.to_f64()).collect::<Vec<_>>();
    let gradient = DualGradient {
        body: to_f64(g_body),
        init: to_f64(g_init),
    };
    (gradient, to_f64(ws.phi_free()))
}

const CONVERGED: InnerSolve = InnerSolve {
    lr: 0.05,
    max_steps: 20_000,
    tolerance: 1e-10,
    newton_steps: 8,
};

/// The inner minimiser for `body` from `start`, to ‖∇L_in‖ ≤ 1e-10.
fn minimiser(body: &[f64], init: &[f64], start: &[f64], support: &[Shot<f64, 1>]) -> Vec<f64> {
    let model = FixedBody::new(small(), body).unwrap();
    let mu = vec![MU; F];
    let solution = solve_inner(
        &model,
        &SquaredError,
        start,
        init,
        &mu,
        support,
        &[],
        0.0,
        &CONVERGED,
    )
    .unwrap();
    assert!(
        solution.grad_norm <= 1e-10,
        "‖∇L_in‖ = {:e}",
        solution.grad_norm
    );
    solution.phi
}

#[test]
fn both_gradients_match_finite_differences_of_the_loss() {
    // Two outputs and softmax cross-entropy too, so the read-out's layout and the loss's
    // errors are checked beyond one output.
    type Wide = DualSystem<3, Layer<5, Layer<4, Layer<3>>>>;
    let system = Wide::new(Activation::Tanh);
    let mut rng = SplitMix64::new(17);
    let body: Vec<f64> = (0..Wide::BODY).map(|_| rng.uniform(-0.8, 0.8)).collect();
    let fast: Vec<f64> = (0..Wide::FAST).map(|_| rng.uniform(-0.8, 1.2)).collect();
    let shots: Vec<Shot<f64, 3, Class>> = (0..6)
        .map(|i| Shot {
            x: [
                rng.uniform(-1.0, 1.0),
                rng.uniform(-1.0, 1.0),
                rng.uniform(-1.0, 1.0),
            ],
            y: Class(i % 3),
        })
        .collect();
    let loss = SoftmaxCrossEntropy;
    let at = |body: &[f64], fast: &[f64]| {
        data_loss(&FixedBody::new(system, body).unwrap(), &loss, fast, &shots)
    };
    let fast_grad = loss_gradient(
        &FixedBody::new(system, &body).unwrap(),
        &loss,
        &fast,
        &shots,
    );
    let body_grad = body_gradient(&system, &loss, &body, &fast, &shots).unwrap();
    let h = 1e-6;
    let central = |values: &[f64], k: usize, f: &dyn Fn(&[f64]) -> f64| {
        let (mut up, mut down) = (values.to_vec(), values.to_vec());
        up[k] += h;
        down[k] -= h;
        (f(&up) - f(&down)) / (2.0 * h)
    };
    let fd_fast: Vec<f64> = (0..Wide::FAST)
        .map(|k| central(&fast, k, &|f| at(&body, f)))
        .collect();
    let fd_body: Vec<f64> = (0..Wide::BODY)
        .map(|k| central(&body, k, &|b| at(b, &fast)))
        .collect();
    assert!(relative_error(&fast_grad, &fd_fast) < 1e-7, "fast gradient");
    assert!(relative_error(&body_grad, &fd_body) < 1e-7, "body gradient");
    assert!(norm(&body_grad) > 1e-3 && norm(&fast_grad) > 1e-3);
}

#[test]
fn exact_gradient_matches_finite_differences_of_the_converged_outer_loss() {
    let (body, init) = (body(3), init(4));
    let (_, support, query) = task::<f64>(11);
    let phi_star = minimiser(&body, &init, &init, &support);
    let exact = dual_implicit_gradient(
        small(),
        &SquaredError,
        &body,
        &phi_star,
        MU,
        &support,
        &query,
    )
    .unwrap();
    // Every body weight and every initial fast value, each moved both ways and the inner
    // problem re-solved (warm-started at φ*).
    let outer = |body: &[f64], init: &[f64]| {
        let phi = minimiser(body, init, &phi_star, &support);
        data_loss(
            &FixedBody::new(small(), body).unwrap(),
            &SquaredError,
            &phi,
            &query,
        )
    };
    let h = 1e-5;
    let mut fd = DualGradient::default();
    for k in 0..B {
        let (mut up, mut down) = (body.clone(), body.clone());
        up[k] += h;
        down[k] -= h;
        fd.body
            .push((outer(&up, &init) - outer(&down, &init)) / (2.0 * h));
    }
    for k in 0..F {
        let (mut up, mut down) = (init.clone(), init.clone());
        up[k] += h;
        down[k] -= h;
        fd.init
            .push((outer(&body, &up) - outer(&body, &down)) / (2.0 * h));
    }
    let body_error = relative_error(&exact.body, &fd.body);
    let init_error = relative_error(&exact.init, &fd.init);
    eprintln!(
        "relative error against finite differences: body {body_error:.1e}, init {init_error:.1e}"
    );
    assert!(body_error < 1e-6, "body: relative error {body_error:e}");
    assert!(
        init_error < 1e-6,
        "initial state: relative error {init_error:e}"
    );
    assert!(
        norm(&exact.body) > 1e-3,
        "a vanishing gradient proves nothing"
    );
}

#[test]
fn cml_estimate_matches_the_exact_gradient_in_f64_and_fixed_point() {
    for seed in [1, 2, 3] {
        let (body, init) = (body(100 + seed), init(200 + seed));
        let (task64, support, query) = task::<f64>(300 + seed);
        let (estimate64, phi_free) = estimate::<f64>(
            config(Estimator::Symmetric, 0.01, 3000),
            &body,
            &init,
            &task64,
        );
        // The library's free phase reached the minimiser the reference would.
        let grad = augmented_gradient(
            &FixedBody::new(small(), &body).unwrap(),
            &SquaredError,
            &phi_free,
            &init,
            &[MU; F],
            &support,
            &[],
            0.0,
        );
        assert!(norm(&grad) < 1e-7, "free phase ‖∇L_in‖ = {:e}", norm(&grad));
        let phi_star = minimiser(&body, &init, &phi_free, &support);
        let exact = dual_implicit_gradient(
            small(),
            &SquaredError,
            &body,
            &phi_star,
            MU,
            &support,
            &query,
        )
        .unwrap();
        let c64 = cosine(&estimate64.concat(), &exact.concat());
        assert!(c64 >= 0.999, "seed {seed}: f64 cosine {c64}");

        let (task_fixed, _, _) = task::<I16F16>(300 + seed);
        let (estimate_fixed, _) = estimate::<Q16_16>(
            config(Estimator::Symmetric, 0.05, 3000),
            &body,
            &init,
            &task_fixed,
        );
        let c_fixed = cosine(&estimate_fixed.concat(), &exact.concat());
        assert!(c_fixed >= 0.99, "seed {seed}: Q16.16 cosine {c_fixed}");
        let ratio = norm(&estimate_fixed.concat()) / norm(&exact.concat());
        eprintln!("seed {seed}: cosine f64 {c64:.7}, Q16.16 {c_fixed:.7}, norm ratio {ratio:.4}");
        assert!(
            (0.9..1.1).contains(&ratio),
            "seed {seed}: norm ratio {ratio}"
        );
    }
}

/// Least-squares slope of `ln error` against `ln β`.
fn slope(betas: &[f64], errors: &[f64]) -> f64 {
    let xs: Vec<f64> = betas.iter().map(|b| b.ln()).collect();
    let ys: Vec<f64> = errors.iter().map(|e| e.ln()).collect();
    let (mx, my) = (
        xs.iter().sum::<f64>() / xs.len() as f64,
        ys.iter().sum::<f64>() / ys.len() as f64,
    );
    let num: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let den: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    num / den
}

#[test]
fn bias_shrinks_as_beta_for_the_standard_and_as_beta_squared_for_the_symmetric_estimator() {
    let (body, init) = (body(7), init(8));
    let (task64, support, query) = task::<f64>(9);
    let phi_star = minimiser(&body, &init, &init, &support);
    let exact = dual_implicit_gradient(
        small(),
        &SquaredError,
        &body,
        &phi_star,
        MU,
        &support,
        &query,
    )
    .unwrap()
    .concat();
    let betas = [0.4, 0.2, 0.1, 0.05];
    for (estimator, expected) in [(Estimator::Standard, 1.0), (Estimator::Symmetric, 2.0)] {
        let errors: Vec<f64> = betas
            .iter()
            .map(|&beta| {
                let (g, _) = estimate::<f64>(config(estimator, beta, 4000), &body, &init, &task64);
                relative_error(&g.concat(), &exact)
            })
            .collect();
        let measured = slope(&betas, &errors);
        eprintln!("{estimator:?}: slope {measured:.3}, errors {errors:?}");
        assert!(
            (measured - expected).abs() < 0.25,
            "{estimator:?}: slope {measured} (errors {errors:?})"
        );
    }
}

#[test]
fn adaptation_in_fixed_point_tracks_f64() {
    let (body, init) = (body(31), init(32));
    let config = config(Estimator::Symmetric, 0.1, 200);
    let (task64, _, _) = task::<f64>(33);
    let (task_fixed, _, _) = task::<I16F16>(33);
    let run = |phi: &mut [f64; F]| {
        let cml = DualCml::<f64, _, B, F>::new(small(), config, Some(MU)).unwrap();
        let theta = state::<f64>(&body, &init);
        let mut grad = [0.0; F];
        cml.adapt(&theta, &task64, None, phi, &mut grad).unwrap();
        cml.query_loss(&theta, phi, &task64, &mut Saturations::default())
    };
    let mut phi64 = [0.0; F];
    let mse64 = run(&mut phi64);
    let cml = DualCml::<Q16_16, _, B, F>::new(small(), config, Some(MU)).unwrap();
    let theta = state::<Q16_16>(&body, &init);
    let (mut phi, mut grad) = ([I8F24::ZERO; F], [I8F24::ZERO; F]);
    let sat = cml
        .adapt(&theta, &task_fixed, None, &mut phi, &mut grad)
        .unwrap();
    assert_eq!(sat, Saturations::default());
    let mse = cml
        .query_loss(&theta, &phi, &task_fixed, &mut Saturations::default())
        .to_f64();
    let phi_fixed: Vec<f64> = phi.iter().map(|v| v.to_f64()).collect();
    assert!(relative_error(&phi_fixed, &phi64) < 1e-3);
    assert!(
        (mse - mse64).abs() <= 1e-3 * mse64.max(1.0),
        "{mse} vs {mse64}"
    );
}

#[test]
fn without_mu_the_initial_state_stays_and_the_body_learns() {
    let system = small();
    let config = config(Estimator::Symmetric, 0.1, 50);
    let cml = DualCml::<f32, _, B, F>::new(system, config, None).unwrap();
    let body: [f32; B] = array::<f32, B>(&body(41));
    let mut theta = DualState::with_initial_fast(&system, body).unwrap();
    let init_before = *theta.init();
    assert!(init_before[..8].iter().all(|&g| g == 1.0));
    assert!(init_before[8..16].iter().all(|&s| s == 0.0));
    assert!(init_before[32..].iter().all(|&w| w == 0.0));
    let mut rng = SplitMix64::new(42);
    let tasks: Vec<Task<f32, 1, 10, 10>> = (0..4)
        .map(|_| sinusoid::draw_task(&mut rng, 10, 10).unwrap().1)
        .collect();
    let (mut ws, mut batch) = (DualWorkspace::new(), DualMetaGradient::new());
    let (mut body_adam, mut init_adam) =
        (Adam::<f32, B>::new(1e-3).unwrap(), Sgd::new(1.0).unwrap());
    let report = cml
        .meta_step(
            &mut theta,
            &tasks,
            &mut ws,
            &mut batch,
            &mut body_adam,
            &mut init_adam,
        )
        .unwrap();
    assert_eq!(report.tasks_used, 4);
    assert_eq!(theta.init(), &init_before);
    assert_ne!(theta.body(), &body);
    assert_eq!(batch.sums().1, &[0.0; F]);
}

#[test]
fn meta_training_lowers_the_query_loss_of_adapted_tasks() {
    // A short run in f32: the mean query loss after adaptation on 32 fixed validation tasks
    // must fall. Not a benchmark (the sinusoid example is); a check that the sign is right.
    let system = small();
    let config = Config::default()
        .with_free_steps(40)
        .with_nudged_steps(20)
        .with_free_lr(0.1)
        .with_nudged_lr(0.1)
        .with_beta(0.2);
    let cml = DualCml::<f32, _, B, F>::new(system, config, Some(0.1)).unwrap();
    let mut theta = state::<f32>(&body(51), &init(52));
    let mut rng = SplitMix64::new(53);
    let validation: Vec<Task<f32, 1, 10, 10>> = (0..32)
        .map(|_| sinusoid::draw_task(&mut rng, 10, 10).unwrap().1)
        .collect();
    let mean_loss = |theta: &DualState<f32, B, F>| {
        let (mut phi, mut grad) = ([0.0; F], [0.0; F]);
        validation
            .iter()
            .map(|t| {
                cml.adapt(theta, t, None, &mut phi, &mut grad).unwrap();
                cml.query_loss(theta, &phi, t, &mut Saturations::default()) as f64
            })
            .sum::<f64>()
            / validation.len() as f64
    };
    let before = mean_loss(&theta);
    let (mut ws, mut batch) = (DualWorkspace::new(), DualMetaGradient::new());
    let (mut body_adam, mut init_adam) = (
        Adam::<f32, B>::new(3e-3).unwrap(),
        Adam::<f32, F>::new(3e-3).unwrap(),
    );
    for _ in 0..150 {
        let tasks: Vec<Task<f32, 1, 10, 10>> = (0..8)
            .map(|_| sinusoid::draw_task(&mut rng, 10, 10).unwrap().1)
            .collect();
        let _ = cml.meta_step(
            &mut theta,
            &tasks,
            &mut ws,
            &mut batch,
            &mut body_adam,
            &mut init_adam,
        );
    }
    let after = mean_loss(&theta);
    assert!(after < 0.8 * before, "validation loss {before} → {after}");
}

#[test]
fn bad_input_gets_a_typed_error_and_theta_is_left_as_it_was() {
    let system = small();
    let good = config(Estimator::Symmetric, 0.1, 20);
    for mu in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e9] {
        assert!(
            matches!(
                DualCml::<Q16_16, _, B, F>::new(system, good, Some(mu)),
                Err(Error::InvalidConfig(_))
            ),
            "μ = {mu}"
        );
    }
    for bad in [
        good.with_beta(0.0),
        good.with_free_lr(f64::NAN),
        good.with_nudged_steps(0),
    ] {
        assert!(matches!(
            DualCml::<Q16_16, _, B, F>::new(system, bad, Some(MU)),
            Err(Error::InvalidConfig(_))
        ));
    }
    assert_eq!(
        DualState::<f32, B, F>::new([f32::NAN; B], [0.0; F]),
        Err(Error::NotFinite)
    );
    assert_eq!(
        DualState::<Q16_16, B, F>::from_bits(&[i32::MAX; B], &[0; F]),
        Err(Error::NotFinite)
    );

    // A diverging inner loop: every task dropped, θ and the optimisers unchanged.
    let diverging = good.with_free_lr(50.0);
    let cml = DualCml::<Q16_16, _, B, F>::new(system, diverging, Some(MU)).unwrap();
    let mut theta = state::<Q16_16>(&body(61), &init(62));
    let before = theta.clone();
    let mut rng = SplitMix64::new(63);
    let tasks: Vec<Task<I16F16, 1, 10, 10>> = (0..3)
        .map(|_| sinusoid::draw_task(&mut rng, 10, 10).unwrap().1)
        .collect();
    let (mut ws, mut batch) = (DualWorkspace::new(), DualMetaGradient::new());
    let (mut sgd_body, mut sgd_init) = (Sgd::new(0.1).unwrap(), Sgd::new(0.1).unwrap());
    let result = cml.meta_step(
        &mut theta,
        &tasks,
        &mut ws,
        &mut batch,
        &mut sgd_body,
        &mut sgd_init,
    );
    assert!(matches!(result, Err(Error::Diverged { .. })), "{result:?}");
    assert_eq!(theta, before);

    // An empty support set, and a sum that cannot be stepped: refused, θ unchanged.
    let cml = DualCml::<Q16_16, _, B, F>::new(system, good, Some(MU)).unwrap();
    let empty = Task::<I16F16, 1, 10, 10>::new();
    let (mut phi, mut grad) = ([I8F24::ZERO; F], [I8F24::ZERO; F]);
    assert_eq!(
        cml.adapt(&theta, &empty, None, &mut phi, &mut grad),
        Err(Error::NoShots)
    );
    // A step that would leave the format: refused by the check before anything is written.
    let mut values = [I8F24::from_num(127), I8F24::from_num(1)];
    let sums = [I8F24::from_num(-10), I8F24::from_num(-10)];
    let mut sgd = Sgd::<Q16_16>::new(1.0).unwrap();
    assert_eq!(
        VectorOptimizer::step_vector(&mut sgd, &mut values, &sums, 1),
        Err(Error::MetaUpdateRejected)
    );
    assert_eq!(values, [I8F24::from_num(127), I8F24::from_num(1)]);
    let mut adam = Adam::<Q16_16, 2>::new(1.0).unwrap();
    let nan_sum = [I8F24::MAX, I8F24::ZERO];
    assert_eq!(
        VectorOptimizer::step_vector(&mut adam, &mut values, &nan_sum, 1),
        Err(Error::MetaUpdateRejected)
    );
    assert_eq!(adam.steps(), 0);
    assert_eq!(DualModel::<Q16_16>::shape(&system).to_string(), "1-8-8-1");
}

#[test]
fn the_driver_meta_trains_the_dual_system_reproducibly() {
    use tinycml::train::{self, Outer, Settings, SinusoidFamily};
    let system = small();
    let config = Config::default()
        .with_free_steps(40)
        .with_nudged_steps(20)
        .with_free_lr(0.1)
        .with_nudged_lr(0.1)
        .with_beta(0.2);
    let cml = DualCml::<f32, _, B, F>::new(system, config, Some(0.1)).unwrap();
    let family = SinusoidFamily::<10, 10> {
        support: 10,
        query: 10,
        validation_query: 10,
    };
    let settings = Settings {
        iterations: Some(60),
        meta_batch: 8,
        threads: 2,
        validation_tasks: 16,
        validation_points: 3,
        outer: Outer::Adam {
            lr: 3e-3,
            log_lambda: false,
        },
        progress: None,
        ..Settings::default()
    };
    let run = || {
        let theta = train::initial_dual(&system, &mut SplitMix64::new(5)).unwrap();
        train::train_dual(&cml, &family, theta, &settings).unwrap()
    };
    let (first, second) = (run(), run());
    assert_eq!(first.iterations, 60);
    assert!(first.best_validation_loss < 0.8 * first.initial_validation_loss);
    assert_eq!(first.theta.fingerprint(), second.theta.fingerprint());
}

#[test]
fn on_the_sinusoid_size_the_estimate_matches_the_exact_gradient() {
    // 1-40-40-1 (body 1,720, fast state 201), as the main job and the boards run it.
    type Sinusoid = DualSystem<1, Layer<40, Layer<40, Layer<1>>>>;
    const SB: usize = Sinusoid::BODY;
    const SF: usize = Sinusoid::FAST;
    let system = Sinusoid::new(Activation::Tanh);
    let mut rng = SplitMix64::new(71);
    let body: Vec<f64> = (0..SB)
        .map(|i| {
            let bound = if i < 80 { 1.0 } else { 40f64.powf(-0.5) };
            rng.uniform(-bound, bound)
        })
        .collect();
    let mut init = vec![0.0; SF];
    system_init(&mut init, &mut rng);
    let (task64, support, query) = task::<f64>(72);
    let (task_fixed, _, _) = task::<I16F16>(72);
    let settings = |beta| {
        Config::default()
            .with_free_steps(3000)
            .with_free_lr(0.02)
            .with_nudged_steps(3000)
            .with_nudged_lr(0.02)
            .with_beta(beta)
    };
    fn run<N: Precision>(
        system: Sinusoid,
        config: Config,
        body: &[f64],
        init: &[f64],
        task: &Task<N::Act, 1, 10, 10>,
    ) -> (Vec<f64>, Vec<f64>) {
        let cml = DualCml::<N, _, SB, SF>::new(system, config, Some(MU)).unwrap();
        let theta =
            DualState::<N, SB, SF>::new(array::<N, SB>(body), array::<N, SF>(init)).unwrap();
        let mut ws = Box::new(DualWorkspace::new());
        let mut sum = Box::new(DualMetaGradient::new());
        cml.estimate(&theta, task, &mut ws, &mut sum).unwrap();
        let (g_body, g_init) = sum.sums();
        let estimate = g_body
            .iter()
            .chain(g_init.iter())
            .map(|v| v.to_f64())
            .collect();
        (estimate, ws.phi_free().iter().map(|v| v.to_f64()).collect())
    }
    let (estimate64, phi_free) = run::<f64>(system, settings(0.01), &body, &init, &task64);
    let model = FixedBody::new(system, &body).unwrap();
    let solution = solve_inner(
        &model,
        &SquaredError,
        &phi_free,
        &init,
        &vec![MU; SF],
        &support,
        &[],
        0.0,
        &CONVERGED,
    )
    .unwrap();
    assert!(solution.grad_norm <= 1e-10);
    let exact = dual_implicit_gradient(
        system,
        &SquaredError,
        &body,
        &solution.phi,
        MU,
        &support,
        &query,
    )
    .unwrap()
    .concat();
    let (estimate_fixed, _) = run::<Q16_16>(system, settings(0.05), &body, &init, &task_fixed);
    let (c64, c_fixed) = (cosine(&estimate64, &exact), cosine(&estimate_fixed, &exact));
    eprintln!("1-40-40-1: cosine f64 {c64:.7}, Q16.16 {c_fixed:.7}");
    assert!(c64 >= 0.999, "f64 cosine {c64}");
    assert!(c_fixed >= 0.99, "Q16.16 cosine {c_fixed}");
}

/// An initial fast state for a two-hidden-layer system of width 40: gains in [0.7, 1.3],
/// shifts in ±0.2, read-out in ±0.3.
fn system_init(fast: &mut [f64], rng: &mut SplitMix64) {
    for layer in 0..2 {
        for unit in 0..40 {
            fast[layer * 80 + unit] = rng.uniform(0.7, 1.3);
            fast[layer * 80 + 40 + unit] = rng.uniform(-0.2, 0.2);
        }
    }
    for v in &mut fast[160..] {
        *v = rng.uniform(-0.3, 0.3);
    }
}
