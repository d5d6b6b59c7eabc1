//! `make-prior`: meta-trains a sinusoid prior briefly on the host and writes it as a tinycml
//! export (`tinycml::store::encode`), the file the board firmware embeds.
//!
//! The boards only need *a* meta-learned θ to show that adaptation from it works on-device;
//! this tool makes one in about a minute so the boards do not depend on the library's longer
//! training run. Any export of the same network shape (for instance the one written by the
//! library's `sinusoid` example with `--export`) can replace the committed file.
//!
//! Usage: `make-prior HIDDEN ITERATIONS OUT` with HIDDEN 40 (1-40-40-1) or 16 (1-16-16-1).
//!
//! `make-prior dual-placeholder SEED OUT` writes an **untrained** 1-40-40-1 tanh dual system
//! (`tinycml::store::encode_dual`, format version 4): a body drawn uniformly in ±0.5 from
//! SplitMix64(SEED), the authors' initial fast state (gains 1, shifts 0, zero read-out), the
//! library's default settings and no μ. It only stands in for the meta-trained dual prior
//! (the library's `sinusoid` example with `--model dual --export`) so that the dual
//! firmware's plumbing is built and checked.
//!
//! Training runs in `f32` (the host's fast path): Adam on (ω, λ), meta-batch 5, learning rate
//! 0.01 decayed to 0 by a cosine over the run, the library's default CML settings, tasks drawn
//! with SplitMix64 from seed 1 (never the held-out seed). Tasks whose phases diverge are dropped.

use std::process::ExitCode;
use tinycml::*;

const META_BATCH: usize = 5;
const META_LR: f64 = 0.01;
const SEED: u64 = 1;

/// Trains `iterations` meta-steps of a `1-H-H-1` ReLU network and returns the export bytes.
fn train<const H: usize, const P: usize>(iterations: usize) -> Result<Vec<u8>, Error> {
    let cml = Cml::<f32, _, P>::new(Mlp::<1, H, H>::new(Activation::Relu), Config::default())?;
    let mut rng = SplitMix64::new(SEED);
    let bound = 1.0 / (H as f64).sqrt();
    let omega: [f32; P] = std::array::from_fn(|_| rng.uniform(-bound, bound) as f32);
    let mut theta = ComplexSynapse::<f32, P>::with_uniform_lambda(omega, 1.0)?;
    let mut ws = Box::new(Workspace::<f32, P>::new());
    let mut batch = Box::new(MetaGradient::<f32, P>::new());
    let mut adam = Box::new(Adam::<f32, P>::new(META_LR)?);
    let mut recent = 0.0;
    for it in 0..iterations {
        let progress = it as f64 / iterations as f64;
        adam.set_lr((META_LR * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())).max(1e-6))?;
        batch.clear();
        for _ in 0..META_BATCH {
            let (_, task) = sinusoid::draw_task::<f32, 10, 10>(&mut rng, 10, 10)?;
            if let Ok(report) = cml.estimate(&theta, &task, &mut ws) {
                batch.add(&ws);
                recent = 0.99 * recent + 0.01 * report.query_loss as f64;
            }
        }
        if batch.tasks() > 0 {
            let (g_omega, g_lambda) = batch.sums();
            // A rejected step leaves θ as it was; the next batch tries again.
            let _ = adam.step(&mut theta, g_omega, g_lambda, batch.tasks(), &cml.bounds());
        }
        if (it + 1) % 100 == 0 {
            eprintln!("meta-step {:5}: running query MSE {recent:.4}", it + 1);
        }
    }
    let mut bytes = vec![0u8; store::encoded_len(P)];
    store::encode(&cml, &theta, &mut bytes)?;
    Ok(bytes)
}

/// The boards' dual system: 1-40-40-1, tanh hidden layers.
type Dual = dual::DualSystem<1, Layer<40, Layer<40, Layer<1>>>>;

/// An untrained dual system's export: body U(±0.5) from `seed`, the authors' initial fast
/// state, default settings, no μ.
fn dual_placeholder(seed: u64) -> Result<Vec<u8>, Error> {
    const BODY: usize = Dual::BODY;
    const FAST: usize = Dual::FAST;
    let system = Dual::new(Activation::Tanh);
    let cml = dual::DualCml::<f64, _, BODY, FAST>::new(system, Config::default(), None)?;
    let mut rng = SplitMix64::new(seed);
    let body: [f64; BODY] = std::array::from_fn(|_| rng.uniform(-0.5, 0.5));
    let theta = dual::DualState::with_initial_fast(&system, body)?;
    let mut bytes = vec![0u8; store::encoded_dual_len(BODY, FAST)];
    store::encode_dual(&cml, &theta, &mut bytes)?;
    Ok(bytes)
}

fn run(args: &[String]) -> Result<(), String> {
    let [hidden, iterations, out] = args else {
        return Err(
            "usage: make-prior HIDDEN(40|16) ITERATIONS OUT | make-prior dual-placeholder SEED OUT"
                .into(),
        );
    };
    let iterations: usize = iterations
        .parse()
        .map_err(|e| format!("ITERATIONS/SEED: {e}"))?;
    let bytes = match hidden.as_str() {
        "40" => train::<40, { Mlp::<1, 40, 40>::PARAMS }>(iterations),
        "16" => train::<16, { Mlp::<1, 16, 16>::PARAMS }>(iterations),
        "dual-placeholder" => dual_placeholder(iterations as u64),
        other => {
            return Err(format!(
                "unsupported hidden width {other} (40, 16 or dual-placeholder)"
            ))
        }
    }
    .map_err(|e| e.to_string())?;
    std::fs::write(out, &bytes).map_err(|e| format!("{out}: {e}"))?;
    eprintln!("wrote {out} ({} bytes)", bytes.len());
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("make-prior: {message}");
            ExitCode::FAILURE
        }
    }
}
