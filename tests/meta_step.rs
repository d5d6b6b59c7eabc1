//! A meta-step along −ĝ lowers the meta-objective on tasks it never saw.
//!
//! Meta-objective: the mean query MSE after adaptation (the free phase, re-solved for every θ)
//! on 20 held-out sinusoid tasks. Estimates come from separate training tasks, 10 per step.
//! Both in the f64 reference and in the device's fixed point.

use tinycml::*;

const P: usize = SinusoidMlp::PARAMS;

fn tasks<A: Scalar>(seed: u64, count: usize) -> Vec<Task<A, 1, 10, 50>> {
    let mut rng = SplitMix64::new(seed);
    (0..count)
        .map(|_| sinusoid::draw_task(&mut rng, 10, 50).unwrap().1)
        .collect()
}

fn meta_objective<N: Precision>(
    cml: &Cml<N, SinusoidMlp, P>,
    theta: &ComplexSynapse<N, P>,
    heldout: &[Task<N::Act, 1, 10, 50>],
) -> f64 {
    let mut phi = Box::new([N::Param::ZERO; P]);
    let mut grad = phi.clone();
    let mut sat = Saturations::default();
    let total: f64 = heldout
        .iter()
        .map(|task| {
            cml.adapt(theta, task, None, &mut phi, &mut grad).unwrap();
            cml.query_loss(&phi, task, &mut sat).to_f64()
        })
        .sum();
    total / heldout.len() as f64
}

fn meta_steps_lower_the_heldout_objective<N: Precision>() {
    let cml = Cml::<N, _, P>::new(SinusoidMlp::new(Activation::Relu), Config::default()).unwrap();
    let mut rng = SplitMix64::new(5);
    let bound = 1.0 / 40f64.sqrt();
    let mut omega = [N::Param::ZERO; P];
    for w in omega.iter_mut() {
        *w = N::Param::from_f64(rng.uniform(-bound, bound)).unwrap();
    }
    let mut theta = ComplexSynapse::<N, P>::with_uniform_lambda(omega, 1.0).unwrap();
    let heldout = tasks::<N::Act>(1000, 20);
    let mut ws = Box::new(Workspace::<N, P>::new());
    let mut batch = Box::new(MetaGradient::<N, P>::new());
    let mut sgd = Sgd::<N>::new(0.05).unwrap();
    let mut objective = meta_objective(&cml, &theta, &heldout);
    for step in 0..3 {
        let training = tasks::<N::Act>(2000 + step, 10);
        let report = cml
            .meta_step(&mut theta, &training, &mut ws, &mut batch, &mut sgd)
            .unwrap();
        assert_eq!(report.tasks_dropped, 0);
        let after = meta_objective(&cml, &theta, &heldout);
        println!("{}: step {step}: {objective:.4} -> {after:.4}", N::name());
        assert!(after < objective, "step {step} raised the objective");
        objective = after;
    }
}

#[test]
fn meta_steps_lower_the_heldout_objective_in_f64() {
    meta_steps_lower_the_heldout_objective::<f64>();
}

#[test]
fn meta_steps_lower_the_heldout_objective_in_fixed_point() {
    meta_steps_lower_the_heldout_objective::<Q16_16>();
}
