//! Bad input never panics and never changes the meta-state: every case returns a typed
//! error, and θ (and the optimiser's state) compare equal before and after.

use tinycml::*;

const P: usize = SinusoidMlp::PARAMS;
type Fixed = Q16_16;

fn model() -> SinusoidMlp {
    SinusoidMlp::new(Activation::Relu)
}

fn initial_theta<N: Precision>(seed: u64) -> ComplexSynapse<N, P> {
    let mut rng = SplitMix64::new(seed);
    let mut omega = [N::Param::ZERO; P];
    for w in omega.iter_mut() {
        *w = N::Param::from_f64(rng.uniform(-0.15, 0.15)).unwrap();
    }
    ComplexSynapse::with_uniform_lambda(omega, 1.0).unwrap()
}

fn quick_config() -> Config {
    Config::default().with_free_steps(10).with_nudged_steps(5)
}

fn task<N: Precision>(seed: u64) -> Task<N::Act, 1, 10, 10> {
    let mut rng = SplitMix64::new(seed);
    sinusoid::draw_task(&mut rng, 10, 10).unwrap().1
}

#[test]
fn nan_and_infinite_shots_are_refused() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(
            Shot::<Fixed_Act, 1>::new(&[bad], 0.0),
            Err(Error::NotFinite)
        );
        assert_eq!(
            Shot::<Fixed_Act, 1>::new(&[0.0], bad),
            Err(Error::NotFinite)
        );
        assert_eq!(Shot::<f32, 1>::new(&[bad], 0.0), Err(Error::NotFinite));
        assert_eq!(Shot::<f64, 1>::new(&[0.5], bad), Err(Error::NotFinite));
    }
}

#[allow(non_camel_case_types)]
type Fixed_Act = <Fixed as Precision>::Act;

#[test]
fn values_outside_the_fixed_range_are_refused() {
    // Q16.16 holds [-32768, 32768).
    assert_eq!(
        Shot::<Fixed_Act, 1>::new(&[40_000.0], 0.0),
        Err(Error::OutOfRange)
    );
    assert_eq!(
        Shot::<Fixed_Act, 1>::new(&[0.0], -1.0e6),
        Err(Error::OutOfRange)
    );
    assert!(Shot::<Fixed_Act, 1>::new(&[32_767.0], -32_767.5).is_ok());
    // −32768 is representable but is the bottom rail, which the learner reads as saturated.
    assert_eq!(
        Shot::<Fixed_Act, 1>::new(&[0.0], -32_768.0),
        Err(Error::OutOfRange)
    );
    assert_eq!(
        Shot::<Fixed_Act, 1>::new(&[-32_768.0], 0.0),
        Err(Error::OutOfRange)
    );
    // Finite in f64 but beyond f32's range.
    assert_eq!(Shot::<f32, 1>::new(&[1.0e40], 0.0), Err(Error::OutOfRange));
}

#[test]
fn too_many_shots_are_refused_and_the_task_keeps_what_it_had() {
    let shot = Shot::<f32, 1>::new(&[0.5], 1.0).unwrap();
    let mut task = Task::<f32, 1, 3, 2>::new();
    for _ in 0..3 {
        task.push_support(shot).unwrap();
    }
    assert_eq!(
        task.push_support(shot),
        Err(Error::TooManyShots { capacity: 3 })
    );
    assert_eq!(task.support().len(), 3);
    assert_eq!(
        Task::<f32, 1, 3, 2>::from_shots(&[shot; 2], &[shot; 3]).unwrap_err(),
        Error::TooManyShots { capacity: 2 }
    );
}

#[test]
fn invalid_configurations_are_refused_at_construction() {
    let cases: [(Config, &str); 9] = [
        (quick_config().with_beta(0.0), "beta = 0"),
        (quick_config().with_beta(-0.1), "beta < 0"),
        (quick_config().with_beta(f64::NAN), "beta NaN"),
        (quick_config().with_free_lr(0.0), "free_lr = 0"),
        (quick_config().with_nudged_lr(-1.0), "nudged_lr < 0"),
        (quick_config().with_free_steps(0), "no free steps"),
        (quick_config().with_nudged_steps(0), "no nudged steps"),
        (quick_config().with_lambda_min(0.0), "lambda_min = 0"),
        (
            quick_config().with_lambda_min(2.0).with_lambda_max(1.0),
            "lambda_min > lambda_max",
        ),
    ];
    for (config, what) in cases {
        let fixed = Cml::<Fixed, _, P>::new(model(), config);
        let float = Cml::<f32, _, P>::new(model(), config);
        assert!(
            matches!(fixed, Err(Error::InvalidConfig(_))),
            "{what} accepted in fixed point"
        );
        assert!(
            matches!(float, Err(Error::InvalidConfig(_))),
            "{what} accepted in f32"
        );
    }
    // β too small for Q8.24 (below one step) is refused rather than rounded to zero.
    let tiny = quick_config().with_beta(1e-9);
    assert!(Cml::<Fixed, _, P>::new(model(), tiny).is_err());
    assert!(Cml::<f64, _, P>::new(model(), tiny).is_ok());
    assert!(matches!(
        Sgd::<Fixed>::new(0.0),
        Err(Error::InvalidConfig(_))
    ));
    assert!(matches!(
        Adam::<f32, P>::new(-1e-3),
        Err(Error::InvalidConfig(_))
    ));
}

#[test]
fn non_positive_lambda_is_refused() {
    let omega = [0.0f32; P];
    let mut lambda = [1.0f32; P];
    lambda[17] = 0.0;
    assert_eq!(
        ComplexSynapse::<f32, P>::new(omega, lambda).unwrap_err(),
        Error::LambdaNotPositive
    );
    assert_eq!(
        ComplexSynapse::<f32, P>::with_uniform_lambda(omega, -1.0).unwrap_err(),
        Error::LambdaNotPositive
    );
    assert_eq!(
        ComplexSynapse::<f32, P>::with_uniform_lambda(omega, f64::NAN).unwrap_err(),
        Error::NotFinite
    );
    lambda[17] = f32::NAN;
    assert_eq!(
        ComplexSynapse::<f32, P>::new(omega, lambda).unwrap_err(),
        Error::NotFinite
    );
}

#[test]
fn empty_task_sets_are_refused() {
    let cml = Cml::<f32, _, P>::new(model(), quick_config()).unwrap();
    let theta = initial_theta::<f32>(1);
    let mut ws = Box::new(Workspace::<f32, P>::new());
    let no_query =
        Task::<f32, 1, 4, 4>::from_shots(&[Shot::new(&[0.1], 0.2).unwrap()], &[]).unwrap();
    assert_eq!(
        cml.estimate(&theta, &no_query, &mut ws).unwrap_err(),
        Error::NoShots
    );
    let empty = Task::<f32, 1, 4, 4>::new();
    let (mut phi, mut grad) = ([0.0; P], [0.0; P]);
    assert_eq!(
        cml.adapt(&theta, &empty, None, &mut phi, &mut grad)
            .unwrap_err(),
        Error::NoShots
    );
}

/// A learning rate far past the stability limit makes the free phase blow up: in f32 to
/// infinity, in fixed point to the rails. Either way a typed error, and θ is untouched.
fn diverging_meta_step_leaves_theta_unchanged<N: Precision>() {
    let config = quick_config().with_free_lr(50.0).with_lambda_max(0.02);
    let cml = Cml::<N, _, P>::new(model(), config).unwrap();
    let mut theta = initial_theta::<N>(2);
    let before = theta.clone();
    let tasks = [task::<N>(3), task::<N>(4)];
    let mut ws = Box::new(Workspace::<N, P>::new());
    let mut batch = Box::new(MetaGradient::<N, P>::new());
    let mut adam = Box::new(Adam::<N, P>::new(1e-2).unwrap());
    let error = cml
        .meta_step(&mut theta, &tasks, &mut ws, &mut batch, adam.as_mut())
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Diverged {
                phase: Phase::Free,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(theta, before);
    assert_eq!(adam.steps(), 0);
}

#[test]
fn a_diverging_inner_loop_is_an_error_in_f32() {
    diverging_meta_step_leaves_theta_unchanged::<f32>();
}

#[test]
fn a_diverging_inner_loop_is_an_error_in_fixed_point() {
    diverging_meta_step_leaves_theta_unchanged::<Fixed>();
}

/// Feeds an optimiser a meta-gradient it cannot apply and checks nothing moved.
fn rejected_whole<N: Precision, O: MetaOptimizer<N, P>>(optimizer: &mut O, bad: N::Param) {
    let cml = Cml::<N, _, P>::new(model(), quick_config()).unwrap();
    let mut theta = initial_theta::<N>(5);
    let before = theta.clone();
    let mut sum_omega = [N::Param::ZERO; P];
    sum_omega[P - 1] = bad;
    let sum_lambda = [N::Param::ZERO; P];
    assert_eq!(
        optimizer.step(&mut theta, &sum_omega, &sum_lambda, 1, &cml.bounds()),
        Err(Error::MetaUpdateRejected)
    );
    assert_eq!(theta, before);
}

#[test]
fn an_unusable_meta_update_is_rejected_whole() {
    // ω − 100 · 120 leaves Q8.24's ±128: the whole step is refused, not just that synapse.
    let mut sgd = Sgd::<Fixed>::new(100.0).unwrap();
    rejected_whole::<Fixed, _>(&mut sgd, Scalar::from_f64(120.0).unwrap());
    let mut sgd = Sgd::<f32>::new(0.1).unwrap();
    rejected_whole::<f32, _>(&mut sgd, f32::NAN);
    let mut adam = Box::new(Adam::<f32, P>::new(1e-2).unwrap());
    rejected_whole::<f32, _>(adam.as_mut(), f32::INFINITY);
    assert_eq!(adam.steps(), 0, "Adam's state moved on a rejected step");
    let mut adam = Box::new(Adam::<Fixed, P>::new(1e-2).unwrap());
    rejected_whole::<Fixed, _>(adam.as_mut(), <Fixed as Precision>::Param::MAX);
    // A sum pinned at either rail overflowed: SGD refuses it as Adam does, even with a
    // learning rate small enough that the clipped step itself would fit.
    for rail in [
        <Fixed as Precision>::Param::MAX,
        <Fixed as Precision>::Param::MIN,
    ] {
        let mut sgd = Sgd::<Fixed>::new(1e-6).unwrap();
        rejected_whole::<Fixed, _>(&mut sgd, rail);
    }
}

#[test]
fn a_diverging_task_is_dropped_and_the_rest_still_step() {
    let cml = Cml::<f32, _, P>::new(model(), quick_config()).unwrap();
    let mut theta = initial_theta::<f32>(7);
    let before = theta.clone();
    // A task with a huge target makes the gradient overflow f32.
    let wild = Task::<f32, 1, 10, 10>::from_shots(
        &[Shot::new(&[1.0], 3.0e38).unwrap()],
        &[Shot::new(&[1.0], 0.0).unwrap()],
    )
    .unwrap();
    let tasks = [task::<f32>(8), wild, task::<f32>(9)];
    let mut ws = Box::new(Workspace::<f32, P>::new());
    let mut batch = Box::new(MetaGradient::<f32, P>::new());
    let mut sgd = Sgd::<f32>::new(1e-2).unwrap();
    let report = cml
        .meta_step(&mut theta, &tasks, &mut ws, &mut batch, &mut sgd)
        .unwrap();
    assert_eq!((report.tasks_used, report.tasks_dropped), (2, 1));
    assert_ne!(theta, before);
}

/// A 3-input, 4-output network for the target checks below.
type Wide = Network<3, Layer<8, Layer<4>>>;
const WIDE_P: usize = Wide::PARAMS;

fn wide_theta<N: Precision>() -> ComplexSynapse<N, WIDE_P> {
    let mut rng = SplitMix64::new(11);
    let omega = core::array::from_fn(|_| N::Param::from_f64(rng.uniform(-0.3, 0.3)).unwrap());
    ComplexSynapse::with_uniform_lambda(omega, 1.0).unwrap()
}

/// Runs `adapt`, `estimate` and `meta_step` on a task with one bad target (support or query)
/// and checks that each returns `expected` with θ and Adam's state bit-identical.
fn refused_whole<N: Precision, L: Loss<N, T> + Copy, T: Copy>(
    loss: L,
    good: Shot<N::Act, 3, T>,
    bad: Shot<N::Act, 3, T>,
    expected: Error,
) {
    let cml = Cml::<N, _, WIDE_P, _>::with_loss(Wide::new(Activation::Tanh), loss, quick_config())
        .unwrap();
    let cases = [
        (true, [good, bad], [good, good]),
        (false, [good, good], [good, bad]),
    ];
    for (bad_in_support, support, query) in cases {
        let task = Task::<N::Act, 3, 2, 2, T>::from_shots(&support, &query).unwrap();
        let mut theta = wide_theta::<N>();
        let before = theta.clone();
        let mut ws = Workspace::new();
        let (mut phi, mut grad) = ([N::Param::ZERO; WIDE_P], [N::Param::ZERO; WIDE_P]);
        let mut adam = Adam::<N, WIDE_P>::new(0.01).unwrap();
        let adam_before = adam.clone();
        if bad_in_support {
            assert_eq!(
                cml.adapt(&theta, &task, None, &mut phi, &mut grad),
                Err(expected)
            );
        }
        assert_eq!(cml.estimate(&theta, &task, &mut ws).err(), Some(expected));
        let mut batch = MetaGradient::new();
        let step = cml.meta_step(&mut theta, [&task], &mut ws, &mut batch, &mut adam);
        assert_eq!(step.err(), Some(expected));
        assert_eq!(theta, before);
        assert_eq!(adam, adam_before);
    }
}

fn bad_targets<N: Precision>() {
    let x = [0.1, -0.2, 0.3];
    let class = |c| Shot::<N::Act, 3, Class>::new(&x, Class(c)).unwrap();
    let label_too_large =
        Error::InvalidTarget("a class label must be below the model's number of outputs");
    refused_whole::<N, _, _>(SoftmaxCrossEntropy, class(1), class(4), label_too_large);
    refused_whole::<N, _, _>(
        SoftmaxCrossEntropy,
        class(1),
        class(u16::MAX),
        label_too_large,
    );

    let masked =
        |output| Shot::<N::Act, 3, Masked<N::Act>>::new(&x, Masked { output, value: 0.5 }).unwrap();
    let mask_out_of_range =
        Error::InvalidTarget("a masked target's output index must be below the model's outputs");
    refused_whole::<N, _, _>(MaskedSquaredError, masked(3), masked(4), mask_out_of_range);

    let vector = |y: [f64; 4]| Shot::<N::Act, 3, [N::Act; 4]>::new(&x, y).unwrap();
    let good = vector([0.1, 0.2, 0.3, 0.4]);
    // A squared-error target of the wrong width: a 1-value target on the 4-output network.
    let cml = Cml::<N, _, WIDE_P>::new(Wide::new(Activation::Tanh), quick_config()).unwrap();
    let narrow = Shot::<N::Act, 3>::new(&x, 0.5).unwrap();
    let task = Task::<N::Act, 3, 1, 1>::from_shots(&[narrow], &[narrow]).unwrap();
    let mut ws = Workspace::new();
    assert!(matches!(
        cml.estimate(&wide_theta::<N>(), &task, &mut ws),
        Err(Error::InvalidTarget(_))
    ));
    let vector_task = Task::<N::Act, 3, 1, 1, [N::Act; 4]>::from_shots(&[good], &[good]).unwrap();
    assert!(cml
        .estimate(&wide_theta::<N>(), &vector_task, &mut ws)
        .is_ok());
}

#[test]
fn bad_targets_are_refused_before_any_learning_f32() {
    bad_targets::<f32>();
}

#[test]
fn bad_targets_are_refused_before_any_learning_fixed_point() {
    bad_targets::<Fixed>();
}

#[test]
fn nan_or_infinite_inputs_and_targets_of_every_kind_are_refused() {
    type A = <Fixed as Precision>::Act;
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(
            Shot::<A, 3, Class>::new(&[0.0, bad, 0.0], Class(0)),
            Err(Error::NotFinite)
        );
        assert_eq!(
            Shot::<A, 1, [A; 2]>::new(&[0.0], [0.0, bad]),
            Err(Error::NotFinite)
        );
        assert_eq!(
            Shot::<A, 1, Masked<A>>::new(
                &[0.0],
                Masked {
                    output: 0,
                    value: bad
                }
            ),
            Err(Error::NotFinite)
        );
        assert_eq!(Shot::<A, 1>::new(&[bad as f32], 0.0), Err(Error::NotFinite));
    }
    assert_eq!(
        Shot::<A, 1, [A; 2]>::new(&[0.0], [0.0, 1e6]),
        Err(Error::OutOfRange)
    );
}

#[test]
fn binary_cross_entropy_refuses_targets_outside_zero_to_one_and_wide_models() {
    type A = <Fixed as Precision>::Act;
    let shot = |y: f64| Shot::<A, 3>::new(&[0.1, 0.2, 0.3], y).unwrap();
    let cml = Cml::<Fixed, _, WIDE_P, _>::with_loss(
        Wide::new(Activation::Relu),
        BinaryCrossEntropy,
        quick_config(),
    )
    .unwrap();
    let task = Task::<A, 3, 1, 1>::from_shots(&[shot(1.0)], &[shot(0.0)]).unwrap();
    let mut ws = Workspace::new();
    // Four outputs where binary cross-entropy needs one logit.
    assert!(matches!(
        cml.estimate(&wide_theta::<Fixed>(), &task, &mut ws),
        Err(Error::InvalidTarget(_))
    ));
    type One = Network<3, Layer<8, Layer<1>>>;
    let cml = Cml::<Fixed, _, { One::PARAMS }, _>::with_loss(
        One::new(Activation::Relu),
        BinaryCrossEntropy,
        quick_config(),
    )
    .unwrap();
    let theta = ComplexSynapse::<Fixed, { One::PARAMS }>::with_uniform_lambda(
        [<Fixed as Precision>::Param::from_f64(0.1).unwrap(); One::PARAMS],
        1.0,
    )
    .unwrap();
    let mut ws = Workspace::new();
    for y in [-0.01, 1.01] {
        let task = Task::<A, 3, 1, 1>::from_shots(&[shot(y)], &[shot(0.0)]).unwrap();
        assert!(matches!(
            cml.estimate(&theta, &task, &mut ws),
            Err(Error::InvalidTarget(_))
        ));
    }
    let task = Task::<A, 3, 1, 1>::from_shots(&[shot(1.0)], &[shot(0.0)]).unwrap();
    assert!(cml.estimate(&theta, &task, &mut ws).is_ok());
}

#[test]
fn step_counts_beyond_the_maximum_are_refused_everywhere_a_config_enters() {
    use tinycml::cml::MAX_STEPS;
    use tinycml::dual::DualSystem;
    type Dual = DualSystem<1, Layer<8, Layer<1>>>;
    let too_many = [MAX_STEPS + 1, u32::MAX];
    for requested in too_many {
        for config in [
            quick_config().with_free_steps(requested),
            quick_config().with_nudged_steps(requested),
        ] {
            let expected = Error::TooManySteps { requested };
            assert_eq!(
                Cml::<Fixed, _, P>::new(model(), config).err(),
                Some(expected)
            );
            assert_eq!(Cml::<f64, _, P>::new(model(), config).err(), Some(expected));
            let dual = tinycml::dual::DualCml::<Fixed, _, { Dual::BODY }, { Dual::FAST }>::new(
                Dual::new(Activation::Tanh),
                config,
                None,
            );
            assert_eq!(dual.err(), Some(expected));
        }
    }
    let at_the_bound = quick_config()
        .with_free_steps(MAX_STEPS)
        .with_nudged_steps(MAX_STEPS);
    assert!(Cml::<Fixed, _, P>::new(model(), at_the_bound).is_ok());

    // `adapt` takes its own step count: bounded the same way, and `phi` is not touched.
    let cml = Cml::<Fixed, _, P>::new(model(), quick_config()).unwrap();
    let theta = initial_theta::<Fixed>(12);
    let task = task::<Fixed>(13);
    let sentinel = <Fixed as Precision>::Param::from_f64(0.75).unwrap();
    let (mut phi, mut grad) = (Box::new([sentinel; P]), Box::new([sentinel; P]));
    assert_eq!(
        cml.adapt(&theta, &task, Some(u32::MAX), &mut phi, &mut grad),
        Err(Error::TooManySteps {
            requested: u32::MAX
        })
    );
    assert!(phi.iter().all(|&w| w == sentinel));
}

#[test]
fn a_symmetric_beta_whose_double_saturates_the_weight_format_is_refused() {
    // Q8.24 weights stop at 128, so the symmetric estimator's 2β needs β < 64.
    let symmetric = |beta| {
        quick_config()
            .with_beta(beta)
            .with_estimator(Estimator::Symmetric)
    };
    for beta in [64.0, 100.0, 127.0] {
        assert!(
            matches!(
                Cml::<Fixed, _, P>::new(model(), symmetric(beta)),
                Err(Error::InvalidConfig(_))
            ),
            "β = {beta} accepted"
        );
        assert!(Cml::<f32, _, P>::new(model(), symmetric(beta)).is_ok());
    }
    assert!(Cml::<Fixed, _, P>::new(model(), symmetric(63.0)).is_ok());
    let standard = symmetric(100.0).with_estimator(Estimator::Standard);
    assert!(Cml::<Fixed, _, P>::new(model(), standard).is_ok());
}

#[test]
fn lambda_max_times_a_learning_rate_of_two_or_more_is_refused() {
    let with = |lambda_max, free_lr, nudged_lr| {
        quick_config()
            .with_lambda_max(lambda_max)
            .with_free_lr(free_lr)
            .with_nudged_lr(nudged_lr)
    };
    for (config, what) in [
        (with(20.0, 0.1, 0.01), "free"),
        (with(20.0, 0.01, 0.1), "nudged"),
        (with(1e300, 1e10, 0.01), "overflowing"),
    ] {
        assert!(
            matches!(
                Cml::<f64, _, P>::new(model(), config),
                Err(Error::InvalidConfig(_))
            ),
            "{what} accepted"
        );
    }
    assert!(Cml::<f64, _, P>::new(model(), with(19.9, 0.1, 0.1)).is_ok());
    // λ_max bounds only a learned λ: with ω alone learned it is not used, so not checked.
    let fixed_lambda = with(20.0, 0.1, 0.1).with_learn(Learn::Omega);
    assert!(Cml::<f64, _, P>::new(model(), fixed_lambda).is_ok());
}

#[test]
fn an_empty_meta_batch_has_its_own_error() {
    let cml = Cml::<f32, _, P>::new(model(), quick_config()).unwrap();
    let mut theta = initial_theta::<f32>(14);
    let before = theta.clone();
    let mut ws = Box::new(Workspace::<f32, P>::new());
    let mut batch = Box::new(MetaGradient::<f32, P>::new());
    let mut sgd = Sgd::<f32>::new(0.1).unwrap();
    let no_tasks: [Task<f32, 1, 10, 10>; 0] = [];
    assert_eq!(
        cml.meta_step(&mut theta, &no_tasks, &mut ws, &mut batch, &mut sgd)
            .err(),
        Some(Error::EmptyMetaBatch)
    );
    let zeros = [0.0f32; P];
    assert_eq!(
        sgd.step(&mut theta, &zeros, &zeros, 0, &cml.bounds()),
        Err(Error::EmptyMetaBatch)
    );
    assert_eq!(theta, before);
}

/// With `Learn::Omega` λ is fixed: a meta-step moves ω and leaves every λ bit-identical,
/// also a λ outside `[λ_min, λ_max]` (which the optimisers only enforce on a learned λ).
fn lambda_is_fixed_under_learn_omega<N: Precision>() {
    let config = quick_config()
        .with_learn(Learn::Omega)
        .with_lambda_min(0.5)
        .with_lambda_max(0.8);
    let cml = Cml::<N, _, P>::new(model(), config).unwrap();
    let mut rng = SplitMix64::new(15);
    let omega = core::array::from_fn(|_| N::Param::from_f64(rng.uniform(-0.15, 0.15)).unwrap());
    let lambda = core::array::from_fn(|i| N::Param::from_f64([0.1, 0.6, 3.0][i % 3]).unwrap());
    let tasks = [task::<N>(16), task::<N>(17)];
    let step_and_check = |optimizer: &mut dyn FnMut(&mut ComplexSynapse<N, P>)| {
        let mut theta = ComplexSynapse::<N, P>::new(omega, lambda).unwrap();
        optimizer(&mut theta);
        let bits = |values: &[N::Param; P]| values.map(|v| v.to_f64().to_bits());
        assert_eq!(bits(theta.lambda()), bits(&lambda));
        assert_ne!(bits(theta.omega()), bits(&omega));
    };
    let mut ws = Box::new(Workspace::<N, P>::new());
    let mut batch = Box::new(MetaGradient::<N, P>::new());
    let mut sgd = Sgd::<N>::new(1e-2).unwrap();
    step_and_check(&mut |theta| {
        cml.meta_step(theta, &tasks, &mut ws, &mut batch, &mut sgd)
            .unwrap();
    });
    for log_lambda in [false, true] {
        let mut adam = Box::new(Adam::<N, P>::new(1e-2).unwrap().log_lambda(log_lambda));
        step_and_check(&mut |theta| {
            cml.meta_step(theta, &tasks, &mut ws, &mut batch, adam.as_mut())
                .unwrap();
        });
    }
}

#[test]
fn learn_omega_leaves_lambda_bit_identical_f32() {
    lambda_is_fixed_under_learn_omega::<f32>();
}

#[test]
fn learn_omega_leaves_lambda_bit_identical_fixed_point() {
    lambda_is_fixed_under_learn_omega::<Fixed>();
}

#[test]
fn error_messages_hold_no_debug_output() {
    let phases = [
        (Phase::Free, "free"),
        (Phase::NudgedPositive, "positively nudged"),
        (Phase::NudgedNegative, "negatively nudged"),
    ];
    for (phase, name) in phases {
        let text = Error::Diverged { phase, step: 7 }.to_string();
        assert!(
            text.contains(&format!("the {name} phase diverged at step 7")),
            "{text}"
        );
        assert!(!text.contains(&format!("{phase:?}")), "{text}");
    }
    let errors = [
        Error::NotFinite,
        Error::OutOfRange,
        Error::TooManyShots { capacity: 3 },
        Error::InvalidTarget("x"),
        Error::NoShots,
        Error::EmptyMetaBatch,
        Error::LambdaNotPositive,
        Error::TooManySteps { requested: 7 },
        Error::InvalidConfig("x"),
        Error::MetaUpdateRejected,
        Error::CorruptState,
        Error::UnsupportedVersion { found: 9 },
        Error::WrongModelKind {
            stored: tinycml::store::ModelKind::DualSystem,
        },
        Error::BufferTooSmall { needed: 5 },
    ];
    for error in errors {
        let text = error.to_string();
        let debug = format!("{error:?}");
        let name = debug.split(['(', ' ', '{']).next().unwrap();
        assert!(!text.contains(name), "{text} shows {name}");
        assert!(!text.contains(['{', '}', '"']), "{text}");
    }
}
