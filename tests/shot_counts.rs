//! The mean over shots and over tasks is right for every count a buffer can hold, also past
//! 128, the largest count the Q8.24 weight format can represent: one gradient step on K
//! identical shots moves a weight exactly as one step on one shot does, and a fixed-point
//! meta-step over 128 or more tasks works and equals the mean (bit for bit in fixed point,
//! whose sums are exact; to rounding in f64). A batch whose sum overflows the weight format
//! is refused whole.

use tinycml::*;

type Net = Linear<1>;
const P: usize = Net::PARAMS;
const CAPACITY: usize = 1024;

/// One free step of lr 0.1 from ω = 0 with λ tiny on `k` copies of the shot (x = 1, y = 1):
/// the weight moves by lr · mean error = 0.1 whatever `k` is.
fn weight_after_one_step<N: Precision>(k: usize) -> f64 {
    let config = Config::default()
        .with_free_steps(1)
        .with_free_lr(0.1)
        .with_lambda_min(1e-6)
        .with_lambda_max(10.0);
    let cml = Cml::<N, _, P>::new(Net::default(), config).unwrap();
    let theta = ComplexSynapse::<N, P>::with_uniform_lambda([N::Param::ZERO; P], 1e-6).unwrap();
    let shot = Shot::<N::Act, 1>::new(&[1.0], 1.0).unwrap();
    let mut task = Task::<N::Act, 1, CAPACITY, 1>::new();
    for _ in 0..k {
        task.push_support(shot).unwrap();
    }
    let (mut phi, mut grad) = ([N::Param::ZERO; P], [N::Param::ZERO; P]);
    cml.adapt(&theta, &task, None, &mut phi, &mut grad).unwrap();
    phi[0].to_f64()
}

fn every_count_weighs_the_same<N: Precision>(tolerance: f64) {
    for k in [1, 127, 128, 129, 200, 256, CAPACITY] {
        let w = weight_after_one_step::<N>(k);
        assert!(
            (w - 0.1).abs() <= tolerance,
            "{}: K = {k} moved the weight to {w}",
            N::name()
        );
    }
}

#[test]
fn one_step_on_k_identical_shots_moves_a_weight_by_lr_times_the_mean_f64() {
    every_count_weighs_the_same::<f64>(1e-12);
}

#[test]
fn one_step_on_k_identical_shots_moves_a_weight_by_lr_times_the_mean_fixed_point() {
    // Two roundings of 2^-24 each: the per-shot weight 1/K and the step lr·∇.
    every_count_weighs_the_same::<Q16_16>(2.0 * 2f64.powi(-24) + 1e-12);
    every_count_weighs_the_same::<Q8_24>(2.0 * 2f64.powi(-24) + 1e-12);
}

/// SGD over `tasks` identical tasks with query target `query_y`.
fn meta_step_over<N: Precision>(tasks: usize, query_y: f64) -> Result<ComplexSynapse<N, P>, Error> {
    let cml = Cml::<N, _, P>::new(Net::default(), Config::default()).unwrap();
    let mut theta = ComplexSynapse::<N, P>::with_uniform_lambda([N::Param::ZERO; P], 1.0).unwrap();
    let support = Shot::<N::Act, 1>::new(&[1.0], 1.0).unwrap();
    let query = Shot::<N::Act, 1>::new(&[0.5], query_y).unwrap();
    let task = Task::<N::Act, 1, 1, 1>::from_shots(&[support], &[query]).unwrap();
    let batch_of = vec![&task; tasks];
    let (mut ws, mut batch) = (Workspace::new(), MetaGradient::new());
    let mut sgd = Sgd::new(0.5).unwrap();
    let report = cml.meta_step(&mut theta, batch_of, &mut ws, &mut batch, &mut sgd)?;
    assert_eq!(report.tasks_used as usize, tasks);
    Ok(theta)
}

/// Query target 0.3: per-task estimates of about 0.1, so 500 of them sum to well within ±128.
fn meta_steps_over_many_tasks_equal_one<N: Precision>(tolerance: f64) {
    let one = meta_step_over::<N>(1, 0.3).unwrap();
    assert_ne!(
        one.omega()[0],
        N::Param::ZERO,
        "the step must move θ for the test to mean anything"
    );
    for tasks in [127, 128, 129, 256, 500] {
        let many = meta_step_over::<N>(tasks, 0.3).unwrap();
        let values = |t: &ComplexSynapse<N, P>| {
            t.omega()
                .iter()
                .chain(t.lambda())
                .map(|v| v.to_f64())
                .collect::<Vec<_>>()
        };
        for (a, b) in values(&many).iter().zip(values(&one)) {
            assert!(
                (a - b).abs() <= tolerance,
                "{}: {tasks} tasks: {a} vs {b}",
                N::name()
            );
        }
    }
}

#[test]
fn a_meta_step_over_128_or_more_tasks_is_the_mean_f64() {
    meta_steps_over_many_tasks_equal_one::<f64>(1e-12);
}

#[test]
fn a_meta_step_over_128_or_more_tasks_is_the_mean_fixed_point() {
    meta_steps_over_many_tasks_equal_one::<Q16_16>(0.0);
}

#[test]
fn a_fixed_point_batch_whose_sum_overflows_is_refused_whole() {
    // Query target −1: estimates of about 0.4, so 500 of them sum past Q8.24's 128.
    assert!(meta_step_over::<Q16_16>(100, -1.0).is_ok());
    assert_eq!(
        meta_step_over::<Q16_16>(500, -1.0).err(),
        Some(Error::MetaUpdateRejected)
    );
}
