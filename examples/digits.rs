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

#[path = "digits/heldout.rs"]
mod heldout;

use serde_json::json;
use std::process::ExitCode;
use std::time::Instant;
use tinycml::digits::{
    self, ClassId, Digits, Split, HELDOUT_SEED, HELDOUT_WAYS, PIXELS, QUERY_PER_CLASS, SIDE,
};
use tinycml::train::{self, Settings, TaskSource};
use tinycml::*;

const USAGE: &str = "usage: cargo run --release --example digits -- [--seed N] [--smoke] \
    [--validate-only] [--split-validation] [--augment] [--export PATH] [--seconds S] [--free-steps N] [--free-lr X] [--beta X] [--lambda X] \
    [--train-shots mix|5]\n       cargo run --release --example digits -- --dump-heldout PATH";

type Net = Network<PIXELS, Layer<32, Layer<32, Layer<HELDOUT_WAYS>>>>;
const P: usize = Net::PARAMS;
/// Support capacity (5-way 5-shot) and query capacity (5 ways × 15).
const S: usize = heldout::S;
const Q: usize = heldout::Q;
type DigitTask<A> = Task<A, PIXELS, S, Q, Class>;
type Rule<N> = Cml<N, Net, P, SoftmaxCrossEntropy>;
/// Query images per class in a training task (fewer than held-out: the nudged phases are
/// the cost of an estimate).
const TRAIN_QUERY: usize = 5;
/// Seed of the validation tasks used to judge settings (training classes only).
const JUDGE_SEED: u64 = 0x004A_5544_4745;
const THREADS: usize = 2;

/// 5-way tasks of the meta-training classes (digits 0–4 at four rotations).
struct Family {
    data: Digits<'static>,
    /// Training tasks: 1-shot or 5-shot at random (`true`), or 5-shot only.
    mix: bool,
    /// Classes of the training tasks, and of the validation tasks.
    train_pool: Vec<ClassId>,
    validation_pool: Vec<ClassId>,
    /// Training tasks only: each label mirrored left–right at random (a new class), each
    /// image shifted by up to one pixel each way (zeros come in).
    augment: bool,
}

/// `x` mirrored left–right when `mirror`, then shifted by (`dr`, `dc`) pixels.
fn transform(x: &[f32; PIXELS], mirror: bool, dr: isize, dc: isize) -> [f32; PIXELS] {
    let side = SIDE as isize;
    std::array::from_fn(|i| {
        let (r, c) = ((i / SIDE) as isize - dr, (i % SIDE) as isize - dc);
        if !(0..side).contains(&r) || !(0..side).contains(&c) {
            return 0.0;
        }
        let c = if mirror { side - 1 - c } else { c };
        x[(r * side + c) as usize]
    })
}

fn augment(rng: &mut SplitMix64, task: &DigitTask<f32>) -> Result<DigitTask<f32>, Error> {
    let mirror: [bool; HELDOUT_WAYS] = std::array::from_fn(|_| rng.next_u64().is_multiple_of(2));
    let mut shift = |shot: &Shot<f32, PIXELS, Class>| {
        let dr = (rng.next_u64() % 3) as isize - 1;
        let dc = (rng.next_u64() % 3) as isize - 1;
        Shot::new(
            &transform(&shot.x, mirror[shot.y.0 as usize], dr, dc),
            shot.y,
        )
    };
    let support = task
        .support()
        .iter()
        .map(&mut shift)
        .collect::<Result<Vec<_>, _>>()?;
    let query = task
        .query()
        .iter()
        .map(&mut shift)
        .collect::<Result<Vec<_>, _>>()?;
    Task::from_shots(&support, &query)
}

impl Family {
    fn draw(
        &self,
        rng: &mut SplitMix64,
        shots: usize,
        query: usize,
    ) -> Result<DigitTask<f32>, Error> {
        self.draw_from(&self.train_pool, rng, shots, query)
    }

    fn draw_from(
        &self,
        pool: &[ClassId],
        rng: &mut SplitMix64,
        shots: usize,
        query: usize,
    ) -> Result<DigitTask<f32>, Error> {
        Ok(self.data.sample(rng, pool, HELDOUT_WAYS, shots, query)?.1)
    }
}

impl TaskSource<f32, PIXELS, S, Q, Class> for Family {
    fn train_task(&self, rng: &mut SplitMix64) -> Result<DigitTask<f32>, Error> {
        let shots = if self.mix && rng.next_u64().is_multiple_of(2) {
            1
        } else {
            5
        };
        let task = self.draw(rng, shots, TRAIN_QUERY)?;
        if self.augment {
            augment(rng, &task)
        } else {
            Ok(task)
        }
    }

    fn validation_task(&self, rng: &mut SplitMix64) -> Result<DigitTask<f32>, Error> {
        let shots = if rng.next_u64().is_multiple_of(2) {
            1
        } else {
            5
        };
        self.draw_from(&self.validation_pool, rng, shots, QUERY_PER_CLASS)
    }
}

struct Options {
    seed: u64,
    smoke: bool,
    validate_only: bool,
    seconds: f64,
    free_steps: u32,
    free_lr: f64,
    beta: f64,
    lambda: f64,
    mix: bool,
    augment: bool,
    split_validation: bool,
    /// Where to write the exported θ (`store` format v3).
    export: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        seed: 1,
        smoke: false,
        validate_only: false,
        seconds: 120.0,
        free_steps: 20,
        free_lr: 0.1,
        beta: 0.3,
        lambda: 0.1,
        mix: true,
        augment: false,
        split_validation: false,
        export: None,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let bad = |e: &dyn std::fmt::Display| format!("{flag}: {e}");
        match flag.as_str() {
            "--seed" => o.seed = value()?.parse().map_err(|e| bad(&e))?,
            "--seconds" => o.seconds = value()?.parse().map_err(|e| bad(&e))?,
            "--free-steps" => o.free_steps = value()?.parse().map_err(|e| bad(&e))?,
            "--free-lr" => o.free_lr = value()?.parse().map_err(|e| bad(&e))?,
            "--beta" => o.beta = value()?.parse().map_err(|e| bad(&e))?,
            "--lambda" => o.lambda = value()?.parse().map_err(|e| bad(&e))?,
            "--train-shots" => {
                o.mix = match value()?.as_str() {
                    "mix" => true,
                    "5" => false,
                    other => return Err(format!("--train-shots: mix or 5, not {other}")),
                }
            }
            "--export" => o.export = Some(value()?.clone()),
            "--smoke" => o.smoke = true,
            "--augment" => o.augment = true,
            "--split-validation" => {
                o.split_validation = true;
                o.validate_only = true;
            }
            "--validate-only" => o.validate_only = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

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

/// Mean and 95% half-interval (normal approximation) of per-task accuracies, in percent.
fn mean_ci(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (100.0 * mean, 100.0 * 1.96 * (var / n).sqrt())
}

/// Per task: the query accuracy after adapting θ to the support shots for `steps` (`None`:
/// the rule's `free_steps`), and how many tasks diverged (they keep ω's accuracy: what a
/// device that refuses diverged weights keeps). See [`train::evaluate`].
fn accuracies<N: Precision>(
    cml: &Rule<N>,
    theta: &ComplexSynapse<N, P>,
    tasks: &[DigitTask<N::Act>],
    steps: Option<u32>,
) -> (Vec<f64>, usize) {
    let evaluation = train::evaluate(cml, theta, tasks, steps, THREADS);
    (evaluation.accuracies, evaluation.diverged)
}

/// Nearest class mean in raw pixel space: each query image gets the label whose support
/// images' mean is nearest in Euclidean distance. No learning at all.
fn nearest_class_mean(task: &DigitTask<f64>) -> f64 {
    let mut means = [[0.0f64; PIXELS]; HELDOUT_WAYS];
    let mut counts = [0usize; HELDOUT_WAYS];
    for shot in task.support() {
        let label = shot.y.0 as usize;
        counts[label] += 1;
        for (m, x) in means[label].iter_mut().zip(&shot.x) {
            *m += x;
        }
    }
    for (mean, &count) in means.iter_mut().zip(&counts) {
        mean.iter_mut().for_each(|m| *m /= count.max(1) as f64);
    }
    let right = task
        .query()
        .iter()
        .filter(|shot| {
            let distance = |m: &[f64; PIXELS]| -> f64 {
                m.iter().zip(&shot.x).map(|(m, x)| (m - x).powi(2)).sum()
            };
            let best = (0..HELDOUT_WAYS)
                .min_by(|&a, &b| distance(&means[a]).total_cmp(&distance(&means[b])))
                .unwrap_or(0);
            best == shot.y.0 as usize
        })
        .count();
    right as f64 / task.query().len().max(1) as f64
}

/// Validation tasks of the training classes (own seed), `count` per shot count.
fn judge_tasks(family: &Family, count: usize) -> Result<[Vec<DigitTask<f32>>; 2], Error> {
    let set = |shots: usize| -> Result<Vec<_>, Error> {
        let mut rng = SplitMix64::new(JUDGE_SEED + shots as u64);
        (0..count)
            .map(|_| family.draw_from(&family.validation_pool, &mut rng, shots, QUERY_PER_CLASS))
            .collect()
    };
    Ok([set(1)?, set(5)?])
}

fn held_out<A: Scalar>(
    data: &Digits,
    shots: usize,
    count: usize,
) -> Result<Vec<DigitTask<A>>, Error> {
    digits::heldout::<A, S, Q>(data, shots)
        .take(count)
        .map(|r| r.map(|(_, task)| task))
        .collect()
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
    let names = [
        "CML, q16.16",
        "CML, f32",
        "no meta-learning, f32",
        "nearest class mean",
    ];
    let keys = ["cml_q16_16", "cml_f32", "no_meta_f32", "nearest_class_mean"];
    // [method][shot set] = (mean, ci, diverged)
    let mut results = [[(0.0, 0.0, 0usize); 2]; 4];
    for (s, &shots) in digits::HELDOUT_SHOTS.iter().enumerate() {
        let tasks_q = held_out::<<Q16_16 as Precision>::Act>(&data, shots, count)?;
        let tasks_f = held_out::<f32>(&data, shots, count)?;
        let tasks_d = held_out::<f64>(&data, shots, count)?;
        let runs = [
            accuracies(&cml_q, &theta_q, &tasks_q, None),
            accuracies(&cml_f, &theta_f, &tasks_f, None),
            accuracies(&cml, &plain_theta, &tasks_f, None),
            (tasks_d.iter().map(nearest_class_mean).collect(), 0),
        ];
        for (m, (acc, diverged)) in runs.iter().enumerate() {
            let (mean, ci) = mean_ci(acc);
            results[m][s] = (mean, ci, *diverged);
        }
    }

    println!(
        "digits: 5-way held-out tasks of digits 5–9, {count} per set, mean query accuracy ± 95%"
    );
    println!("| method | 1-shot | 5-shot | diverged |");
    println!("|---|---|---|---|");
    let mut methods = serde_json::Map::new();
    for (m, r) in results.iter().enumerate() {
        println!(
            "| {} | {:.1} ± {:.1} | {:.1} ± {:.1} | {} |",
            names[m],
            r[0].0,
            r[0].1,
            r[1].0,
            r[1].1,
            r[0].2 + r[1].2
        );
        methods.insert(
            keys[m].into(),
            json!({"accuracy": {"shot1": r[0].0, "shot5": r[1].0},
                "ci95": {"shot1": r[0].1, "shot5": r[1].1},
                "diverged": {"shot1": r[0].2, "shot5": r[1].2}}),
        );
    }
    println!(
        "meta-training: {} iterations in {:.1} s; total {:.1} s",
        trained.iterations,
        trained.seconds,
        start.elapsed().as_secs_f64()
    );
    report["tasks_evaluated"] = json!({"shot1": count, "shot5": count});
    report["methods"] = serde_json::Value::Object(methods);
    report["diverged"] = json!(results.iter().flatten().map(|r| r.2).sum::<usize>());
    report["seconds"] = json!(start.elapsed().as_secs_f64());
    println!("{report}");
    Ok(())
}
