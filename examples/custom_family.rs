//! A new family: y = A ⊙ tanh(W·x + c), A ∈ [0.5, 2]², W ∈ [−1, 1]^(2×3), c ∈ [−0.5, 0.5]² per
//! task, x ∈ [−2, 2]³. Held-out tasks: adapted from meta-learned θ, or by plain GD from the init.
use serde_json::json;
use tinycml::train::{self, evaluate, Settings, TaskSource};
use tinycml::*;

type Net = Network<3, Layer<16, Layer<16, Layer<16, Layer<2>>>>>;
type TanhTask = Task<f32, 3, 10, 100, [f32; 2]>; // K = 10; 10 query shots to train, 100 to test

fn draw(rng: &mut SplitMix64, query: usize) -> Result<TanhTask, Error> {
    let mut u = |lo: f64, hi: f64| rng.uniform(lo, hi);
    let (a, c) = ([u(0.5, 2.0), u(0.5, 2.0)], [u(-0.5, 0.5), u(-0.5, 0.5)]);
    let w: [[f64; 3]; 2] = std::array::from_fn(|_| std::array::from_fn(|_| u(-1.0, 1.0)));
    let mut shot = || {
        let x: [f64; 3] = std::array::from_fn(|_| u(-2.0, 2.0));
        let z = |o: usize| w[o].iter().zip(&x).map(|(w, x)| w * x).sum::<f64>() + c[o];
        Shot::new(&x, [a[0] * z(0).tanh(), a[1] * z(1).tanh()])
    };
    let support = (0..10).map(|_| shot()).collect::<Result<Vec<_>, _>>()?;
    let query = (0..query).map(|_| shot()).collect::<Result<Vec<_>, _>>()?;
    Task::from_shots(&support, &query)
}

struct Family;
impl TaskSource<f32, 3, 10, 100, [f32; 2]> for Family {
    fn train_task(&self, rng: &mut SplitMix64) -> Result<TanhTask, Error> {
        draw(rng, 10)
    }
    fn validation_task(&self, rng: &mut SplitMix64) -> Result<TanhTask, Error> {
        draw(rng, 100)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = std::env::args().nth(1).map_or(Ok(1), |s| s.parse())?; // [-- SEED]
    let model = Net::new(Activation::Relu);
    let cml = Cml::<f32, _, { Net::PARAMS }>::new(model, Config::default())?;
    let init = |lambda| train::initial_theta(&model, &mut SplitMix64::new(seed), lambda);
    let settings = Settings {
        seed,
        iterations: Some(1500), // a budget in iterations: reproducible
        meta_batch: 8,
        threads: 2,
        ..Settings::default()
    };
    let trained = train::train(&cml, &Family, init(1.0)?, &settings)?;
    let mut rng = SplitMix64::new(0x48E1_D0D7); // the held-out tasks' own seed
    let heldout = Result::<Vec<_>, _>::from_iter((0..200).map(|_| draw(&mut rng, 100)))?;
    let meta = evaluate(&cml, &trained.theta, &heldout, None, settings.threads);
    let plain = evaluate(&cml, &init(1e-7)?, &heldout, None, settings.threads); // plain GD
    let zeros = ComplexSynapse::with_uniform_lambda([0.0; Net::PARAMS], 1.0)?; // predicts 0
    let zero = evaluate(&cml, &zeros, &heldout, Some(0), settings.threads);
    let report = json!({"task": "custom_family", "seed": seed, "heldout_tasks": heldout.len(),
        "mse_meta": meta.mean, "mse_no_meta": plain.mean, "ratio": plain.mean / meta.mean,
        "mse_predict_zero": zero.mean, "diverged": meta.diverged + plain.diverged,
        "meta_iterations": trained.iterations, "train_seconds": trained.seconds});
    println!("{report}");
    Ok(())
}
