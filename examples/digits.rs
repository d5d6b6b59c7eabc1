//! Few-shot classification on real handwriting: the 8×8 digits family (issue 9).
//!
//! ```text
//! cargo run --release --example digits [-- --seed N] [--smoke] [--validate-only]
//!     [--split-validation] [--augment]     [--seconds S] [--free-steps N] [--free-lr X] [--beta X] [--lambda X] [--train-shots mix|5]
//! cargo run --release --example digits -- --dump-heldout PATH
//! ```
//!
//! The main job: meta-trains the complex synapse (ω, λ) of a 64-32-32-5 ReLU network with
//! softmax cross-entropy in f32 through `tinycml::train::train`, on 5-way tasks of the
//! meta-training digits 0–4 only (validation: tasks of the same classes from their own seed);
//! exports θ, reads it back in q16.16 (the device default) and in f32, adapts to every task of
//! both held-out sets (500 × 5-way 1-shot, 500 × 5-way 5-shot, digits 5–9) and reports the
//! mean query accuracy ± 95% interval of CML (q16.16 and f32), no meta-learning (the same
//! initial θ, plain gradient descent) and nearest class mean in pixel space. A table goes to
//! stdout, then one JSON line. `--validate-only` stops before the held-out sets: what settings
//! are judged on. `--dump-heldout PATH` writes the held-out sets as JSON (format in
//! `digits/heldout.rs`) so that other libraries can be measured on exactly the same tasks.
//!
//! Modules: `args` (flags), `family` (the meta-training task source and its augmentation),
//! `evaluation` (validation and held-out tasks, accuracies), `baselines` (the methods that
//! are not CML), `report` (table and JSON), `heldout` (the `--dump-heldout` document).

#[path = "digits/args.rs"]
mod args;
#[path = "digits/baselines.rs"]
mod baselines;
#[path = "digits/evaluation.rs"]
mod evaluation;
#[path = "digits/family.rs"]
mod family;
#[path = "digits/heldout.rs"]
mod heldout;
#[path = "digits/report.rs"]
mod report;

use args::{parse, Options, USAGE};
use evaluation::{accuracies, held_out, judge_tasks, mean_ci};
use family::Family;
use report::Row;
use serde_json::json;
use std::process::ExitCode;
use std::time::Instant;
use tinycml::digits::{self, Digits, Split, HELDOUT_SEED, HELDOUT_WAYS, PIXELS};
use tinycml::train::{self, Settings};
use tinycml::*;

type Net = Network<PIXELS, Layer<32, Layer<32, Layer<HELDOUT_WAYS>>>>;
pub const P: usize = Net::PARAMS;
/// Support capacity (5-way 5-shot) and query capacity (5 ways × 15).
pub const S: usize = heldout::S;
pub const Q: usize = heldout::Q;
pub type DigitTask<A> = Task<A, PIXELS, S, Q, Class>;
pub type Rule<N> = Cml<N, Net, P, SoftmaxCrossEntropy>;
pub const THREADS: usize = 2;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--help" | "-h") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some("--dump-heldout") => {
            let [_, path] = args.as_slice() else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            return match heldout::dump(&Digits::bundled(), path) {
                Ok(bytes) => {
                    println!("wrote {path}: 2 × 500 held-out tasks, {bytes} bytes");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        _ => {}
    }
    let options = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(o: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let data = Digits::bundled();
    let training = Split::MetaTrain.classes();
    // --split-validation: train on digits 0–2, validate on the unseen digits 3–4 (a signal of
    // generalisation to new classes that never touches digits 5–9).
    let (train_pool, validation_pool) = if o.split_validation {
        training.iter().partition(|c| c.digit() < 3)
    } else {
        (training.to_vec(), training.to_vec())
    };
    let family = Family {
        data,
        mix: o.mix,
        train_pool,
        validation_pool,
        augment: o.augment,
    };
    let model = Net::new(Activation::Relu);
    let config = Config {
        free_steps: o.free_steps,
        free_lr: o.free_lr,
        nudged_steps: o.free_steps.div_ceil(2),
        nudged_lr: o.free_lr / (1.0 + o.beta),
        beta: o.beta,
        lambda_max: 1.0 / o.free_lr,
        ..Config::default()
    };
    let cml = Rule::<f32>::with_loss(model, SoftmaxCrossEntropy, config)?;
    let init =
        |lambda| train::initial_theta::<f32, _, P>(&model, &mut SplitMix64::new(o.seed), lambda);
    let settings = Settings {
        seed: o.seed,
        seconds: Some(if o.smoke { 5.0 } else { o.seconds }),
        iterations: if o.smoke { Some(300) } else { None },
        meta_batch: 8,
        threads: THREADS,
        validation_tasks: if o.smoke { 8 } else { 40 },
        validation_points: if o.smoke { 1 } else { 12 },
        ..Settings::default()
    };
    let trained = train::train(&cml, &family, init(o.lambda)?, &settings)?;
    let bytes = trained.export(&cml)?;
    if let Some(path) = &o.export {
        std::fs::write(path, &bytes).map_err(|e| format!("--export {path}: {e}"))?;
        eprintln!("wrote θ to {path} ({} bytes)", bytes.len());
    }

    // Settings are judged here, on tasks of the training classes only.
    let judge = judge_tasks(&family, if o.smoke { 20 } else { 200 })?;
    let plain_theta = init(1e-7)?; // λ ≈ 0: plain gradient descent from the same start
    let judged = |theta: &ComplexSynapse<f32, P>| {
        judge
            .each_ref()
            .map(|tasks| mean_ci(&accuracies(&cml, theta, tasks, None).0).0)
    };
    let (val_cml, val_plain) = (judged(&trained.theta), judged(&plain_theta));
    let judged_on = if o.split_validation {
        "digits 3–4, unseen in training"
    } else {
        "training classes"
    };
    eprintln!(
        "validation ({judged_on}): CML {:.1} / {:.1} %, no meta-learning {:.1} / {:.1} %",
        val_cml[0], val_cml[1], val_plain[0], val_plain[1]
    );
    let mut report = json!({
        "task": "digits", "scalar": Q16_16::name(), "heldout_seed": HELDOUT_SEED,
        "seed": o.seed, "smoke": o.smoke,
        "network": "64-32-32-5 ReLU, softmax cross-entropy",
        "config": {"free_steps": config.free_steps, "free_lr": config.free_lr,
            "nudged_steps": config.nudged_steps, "beta": config.beta,
            "lambda_init": o.lambda, "train_shots": if o.mix { "1 or 5" } else { "5" },
            "augment": o.augment, "split_validation": o.split_validation},
        "validation_accuracy": {"cml_f32": {"shot1": val_cml[0], "shot5": val_cml[1]},
            "no_meta_f32": {"shot1": val_plain[0], "shot5": val_plain[1]}},
        "meta_iterations": trained.iterations, "train_seconds": trained.seconds,
    });
    if o.validate_only {
        report["seconds"] = json!(start.elapsed().as_secs_f64());
        println!("{report}");
        return Ok(());
    }

    // Digits 5–9 from here on: the exported θ, read back as a device would.
    let (cml_q, theta_q) =
        store::decode_with_loss::<Q16_16, _, _, P>(&model, SoftmaxCrossEntropy, &bytes)?;
    let (cml_f, theta_f) =
        store::decode_with_loss::<f32, _, _, P>(&model, SoftmaxCrossEntropy, &bytes)?;
    let count = if o.smoke { 20 } else { digits::HELDOUT_TASKS };
    let mut rows = [
        ("CML, q16.16", "cml_q16_16"),
        ("CML, f32", "cml_f32"),
        ("no meta-learning, f32", "no_meta_f32"),
        ("nearest class mean", "nearest_class_mean"),
    ]
    .map(|(name, key)| Row {
        name,
        key,
        sets: [(0.0, 0.0, 0); 2],
    });
    for (s, &shots) in digits::HELDOUT_SHOTS.iter().enumerate() {
        let tasks_q = held_out::<<Q16_16 as Precision>::Act>(&data, shots, count)?;
        let tasks_f = held_out::<f32>(&data, shots, count)?;
        let tasks_d = held_out::<f64>(&data, shots, count)?;
        let runs = [
            accuracies(&cml_q, &theta_q, &tasks_q, None),
            accuracies(&cml_f, &theta_f, &tasks_f, None),
            accuracies(&cml, &plain_theta, &tasks_f, None),
            (
                tasks_d.iter().map(baselines::nearest_class_mean).collect(),
                0,
            ),
        ];
        for (row, (acc, diverged)) in rows.iter_mut().zip(&runs) {
            let (mean, ci) = mean_ci(acc);
            row.sets[s] = (mean, ci, *diverged);
        }
    }

    report::table(&rows, count);
    println!(
        "meta-training: {} iterations in {:.1} s; total {:.1} s",
        trained.iterations,
        trained.seconds,
        start.elapsed().as_secs_f64()
    );
    report["tasks_evaluated"] = json!({"shot1": count, "shot5": count});
    report["methods"] = report::methods(&rows);
    report["diverged"] = json!(rows
        .iter()
        .flat_map(|r| r.sets.iter().map(|s| s.2))
        .sum::<usize>());
    report["seconds"] = json!(start.elapsed().as_secs_f64());
    println!("{report}");
    Ok(())
}
