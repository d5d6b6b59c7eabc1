//! Host speed of the sinusoid job's hot path.
//!
//! - `meta_iteration/f32`: one meta-iteration of the default recipe, 10 tasks × (100 free +
//!   2 × 50 nudged steps, K = 10 support and 10 query shots) plus the Adam step, on one core.
//!   The target is at most 24 ms.
//! - `adapt/<precision>`: one adaptation (100 free steps on K = 10 shots) in `f32` and in the
//!   device format `q16.16`, what the held-out evaluation runs 500 times per K.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tinycml::*;

const P: usize = SinusoidMlp::PARAMS;

fn initial_theta<N: Precision>(seed: u64) -> ComplexSynapse<N, P> {
    let mut rng = SplitMix64::new(seed);
    let mut omega = [<N::Param as Scalar>::ZERO; P];
    let bound = 1.0 / 40f64.sqrt();
    for w in omega.iter_mut() {
        *w = Scalar::from_f64(rng.uniform(-bound, bound)).unwrap();
    }
    ComplexSynapse::with_uniform_lambda(omega, 1.0).unwrap()
}

fn tasks<N: Precision>(seed: u64, count: usize) -> Vec<Task<N::Act, 1, 10, 10>> {
    let mut rng = SplitMix64::new(seed);
    (0..count)
        .map(|_| {
            sinusoid::draw_task::<N::Act, 10, 10>(&mut rng, 10, 10)
                .unwrap()
                .1
        })
        .collect()
}

fn meta_iteration(c: &mut Criterion) {
    let cml = Cml::<f32, _, P>::new(SinusoidMlp::new(Activation::Relu), Config::default()).unwrap();
    let batch_tasks = tasks::<f32>(3, 10);
    let mut theta = initial_theta::<f32>(1);
    let mut ws = Box::new(Workspace::<f32, P>::new());
    let mut batch = Box::new(MetaGradient::<f32, P>::new());
    let mut adam = Box::new(Adam::<f32, P>::new(1e-4).unwrap());
    c.bench_function("meta_iteration/f32", |b| {
        b.iter(|| {
            batch.clear();
            for task in &batch_tasks {
                if cml.estimate(&theta, task, &mut ws).is_ok() {
                    batch.add(&ws);
                }
            }
            let (g_omega, g_lambda) = batch.sums();
            let _ = adam.step(&mut theta, g_omega, g_lambda, batch.tasks(), &cml.bounds());
        })
    });
}

fn adapt_in<N: Precision>(c: &mut Criterion) {
    let cml = Cml::<N, _, P>::new(SinusoidMlp::new(Activation::Relu), Config::default()).unwrap();
    let task = tasks::<N>(5, 1).remove(0);
    let theta = initial_theta::<N>(1);
    let mut phi = Box::new([<N::Param as Scalar>::ZERO; P]);
    let mut grad = Box::new([<N::Param as Scalar>::ZERO; P]);
    c.bench_function(&format!("adapt/{}", N::name()), |b| {
        b.iter(|| {
            black_box(cml.adapt(&theta, black_box(&task), None, &mut phi, &mut grad)).unwrap();
        })
    });
}

fn adapt(c: &mut Criterion) {
    adapt_in::<f32>(c);
    adapt_in::<Q16_16>(c);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = meta_iteration, adapt
}
criterion_main!(benches);
