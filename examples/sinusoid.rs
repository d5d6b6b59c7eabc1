//! The main job: few-shot sinusoid regression, meta-learned with CML, judged on the shared
//! held-out set beside the baselines.
//!
//! ```text
//! cargo run --release --example sinusoid                 # ≈ 3 minutes on 2 cores
//! cargo run --release --example sinusoid -- --full       # 540 s of meta-training, one core
//! cargo run --release --example sinusoid -- --smoke --iterations 250  # what CI runs
//! cargo run --release --example sinusoid -- --model dual # the dual system instead
//! cargo run --release --example sinusoid -- --full --method maml  # one baseline, 540 s
//! ```
//!
//! The workflow a device would follow: meta-train θ = (ω, λ) of the complex synapse of a
//! 1-40-40-1 tanh network (`--activation relu` for ReLU units, which stalled on some seeds) on the
//! host (f32 by default, `--meta-scalar q16.16` for the device format), export it with
//! `tinycml::store`, read it back in the device format (Q16.16 activations, Q8.24 weights) and
//! adapt there to K = 5 or K = 10 shots of each held-out task; the same exported state is also
//! adapted in f32 to show what the fixed point costs. The baselines (no meta-learning,
//! Reptile, first order, exact implicit gradient, MAML) are trained by the same driver on the
//! same task stream and evaluated on the same tasks. The last line of stdout is one JSON
//! object (see `report.rs`).
//!
//! Meta-training is the library's driver (`tinycml::train`); this example adds what is
//! specific to the job. Modules: `args` (flags), `baselines` (the other methods, as
//! `train::Method`s), `dual` (the dual system, `--model dual`), `evaluation` (held-out set,
//! statistics, fixed point against f32 task by task), `report` (table and JSON), `plot` (SVG).

#[path = "sinusoid/args.rs"]
mod args;
#[path = "sinusoid/baselines.rs"]
mod baselines;
#[path = "sinusoid/dual.rs"]
mod dual;
#[path = "sinusoid/evaluation.rs"]
mod evaluation;
#[path = "common/frame.rs"]
mod frame;
#[path = "sinusoid/plot.rs"]
mod plot;
#[path = "sinusoid/report.rs"]
mod report;

use args::{Args, Baseline, MetaScalar, ModelKind};
use baselines::{memory_per_task, FirstOrder, Implicit, CG_ITERATIONS, NO_LAMBDA};
use evaluation::{evaluate, heldout, Heldout, Paired};
use report::Row;
use serde_json::{json, Map};
use std::time::Instant;
use tinycml::train::{self, Outer, Run, Settings, SinusoidFamily, TrainError, ValidationPoint};
use tinycml::*;

/// Parameters of the 1-40-40-1 sinusoid network.
pub const P: usize = SinusoidMlp::PARAMS;
/// Test-time steps of the MAML-family baselines and of the learn2learn anchors.
const SHORT_STEPS: u32 = 10;
/// Training tasks: K = 10 support and 10 query shots (ALGORITHM.md §6); validation tasks
/// are drawn like held-out ones (10 support, 100 query), from the driver's validation seed.
const FAMILY: SinusoidFamily<10, 100> = SinusoidFamily {
    support: 10,
    query: 10,
    validation_query: 100,
};

/// CML's recipe (ALGORITHM.md §7b): symmetric, β = 0.1, 100 free steps at 0.01, 50 nudged
/// steps at 0.01/1.1, λ in [1e-4, 1/lr].
fn cml_config() -> Config {
    Config::default()
}

/// Plain gradient descent without consolidation (MAML, Reptile, no meta-learning).
fn plain_config() -> Config {
    Config::default()
        .with_free_steps(SHORT_STEPS)
        .with_learn(Learn::Omega)
        .with_lambda_min(NO_LAMBDA / 2.0)
}

/// The 1-40-40-1 network of every method in the complex-synapse harness.
fn model(args: &Args) -> SinusoidMlp {
    SinusoidMlp::new(args.activation)
}

/// The initial θ of every method: the usual dense initialisation of ω, λ the same everywhere.
fn initial_theta<N: Precision>(args: &Args, lambda: f64) -> Result<ComplexSynapse<N, P>, Error> {
    train::initial_theta(
        &model(args),
        &mut SplitMix64::new(args.seed ^ 0x1417_1A11_5EED),
        lambda,
    )
}

/// The driver's settings shared by every method: the training stream (seed), threads and
/// validation set; each method sets its budget, meta-batch, optimiser and validation steps.
fn settings(args: &Args, label: &str, seconds: f64) -> Settings {
    Settings {
        seed: args.seed,
        seconds: Some(seconds),
        iterations: None,
        threads: args.threads,
        validation_tasks: args.validation_tasks,
        progress: Some(label.into()),
        ..Settings::default()
    }
}

/// CML meta-training in precision `N`; returns the export and the run's record.
fn train_cml<N: Precision>(args: &Args) -> Result<(Vec<u8>, Record), TrainError> {
    let cml = Cml::<N, _, P>::new(model(args), cml_config())?;
    let settings = Settings {
        meta_batch: args.meta_batch,
        outer: Outer::Adam {
            lr: args.meta_lr,
            log_lambda: true,
        },
        validation_steps: Some(cml_config().free_steps),
        validation_points: 24,
        iterations: args.cml_iterations,
        seconds: args.cml_iterations.is_none().then_some(args.cml_seconds),
        ..settings(args, "cml", args.cml_seconds)
    };
    let trained = train::train(&cml, &FAMILY, initial_theta(args, 1.0)?, &settings)?;
    Ok((trained.export(&cml)?, record(&trained)))
}

/// A meta-training record without the state (what the report needs).
struct Record {
    curve: Vec<ValidationPoint>,
    iterations: u64,
    dropped: u64,
    rejected: u64,
    restored: u32,
    training_seconds: f64,
    seconds: f64,
}

fn record<Theta>(t: &Run<Theta>) -> Record {
    Record {
        curve: t.curve.clone(),
        iterations: t.iterations,
        dropped: t.dropped,
        rejected: t.rejected,
        restored: t.restored,
        training_seconds: t.training_seconds,
        seconds: t.seconds,
    }
}

#[allow(clippy::too_many_arguments)]
fn row<N: Precision>(
    key: &'static str,
    label: String,
    cml: &Cml<N, SinusoidMlp, P>,
    theta: &ComplexSynapse<N, P>,
    tasks: &[Heldout],
    steps: u32,
    threads: usize,
    train: Option<&Record>,
) -> Row {
    Row {
        key,
        label,
        steps,
        k5: evaluate(cml, theta, tasks, 5, steps, threads),
        k10: evaluate(cml, theta, tasks, 10, steps, threads),
        train_seconds: train.map_or(0.0, |t| t.seconds),
        iterations: train.map_or(0, |t| t.iterations),
        memory: memory_per_task(match key {
            "cml" | "cml_10_steps" | "cml_f32" => "cml",
            other => other,
        }),
    }
}

fn main() {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(&args) {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    println!(
        "tinycml sinusoid ({} run): meta-train in {}, adapt in q16.16 and f32; seed {}, {} thread(s)",
        args.preset,
        args.meta_scalar.name(),
        args.seed,
        args.threads
    );
    let tasks = heldout(args.heldout_tasks);

    // 1. CML, the main job: the complex synapse, or the dual system with `--model dual`
    //    (skipped when `--method` names one baseline to run alone).
    let main = match (args.method, args.model) {
        (Some(_), _) => None,
        (None, ModelKind::Synapse) => Some(synapse_rows(args, &tasks)?),
        (None, ModelKind::Dual) => Some(dual_rows(args, &tasks)?),
    };

    // 2. Baselines, trained by the same driver on the same task stream (f32 host, implicit and
    //    MAML with f64 reference curvature). A baseline run alone (`--method NAME`) gets the
    //    main budget (`--full`: 540 s on one core).
    let plain = Cml::<f32, _, P>::new(model(args), plain_config())?;
    let cml32 = Cml::<f32, _, P>::new(model(args), cml_config())?;
    let cml64 = Cml::<f64, _, P>::new(model(args), cml_config())?;
    let theta_plain = initial_theta::<f32>(args, NO_LAMBDA)?;
    let theta_cml = initial_theta::<f32>(args, 1.0)?;
    let budget = if args.method.is_some() {
        args.cml_seconds
    } else {
        args.baseline_seconds
    };
    let baseline = |label, meta_batch, outer, steps| Settings {
        meta_batch,
        outer,
        validation_steps: Some(steps),
        validation_points: if args.method.is_some() { 24 } else { 2 },
        ..settings(args, label, budget)
    };
    let adam = |lr| Outer::Adam {
        lr,
        log_lambda: true,
    };
    let runs = |method: Baseline| args.method.is_none_or(|m| m == method);
    let reptile = runs(Baseline::Reptile)
        .then(|| {
            train::train_with(
                &train::Reptile {
                    rule: &plain,
                    steps: 5,
                },
                &plain,
                &FAMILY,
                theta_plain.clone(),
                &baseline("reptile", 10, Outer::Sgd { lr: 1.0 }, SHORT_STEPS),
            )
        })
        .transpose()?;
    let first_order = runs(Baseline::FirstOrder)
        .then(|| {
            train::train_with(
                &FirstOrder { cml: &cml32 },
                &cml32,
                &FAMILY,
                theta_cml.clone(),
                &baseline("first-order", 10, adam(1e-2), cml_config().free_steps),
            )
        })
        .transpose()?;
    let implicit = runs(Baseline::Implicit)
        .then(|| {
            train::train_with(
                &Implicit { cml: &cml64 },
                &cml32,
                &FAMILY,
                theta_cml.clone(),
                &baseline("implicit", 10, adam(1e-2), cml_config().free_steps),
            )
        })
        .transpose()?;
    let maml = runs(Baseline::Maml)
        .then(|| {
            train::train_with(
                &train::Maml {
                    model: model(args),
                    loss: SquaredError,
                    steps: 5,
                    lr: 0.01,
                },
                &plain,
                &FAMILY,
                theta_plain.clone(),
                &baseline("maml", 10, adam(1e-3), SHORT_STEPS),
            )
        })
        .transpose()?;

    // 3. Evaluation on the held-out set.
    println!("evaluating on {} held-out tasks …", tasks.len());
    let t = args.threads.max(2);
    let full = cml_config().free_steps;
    let mut rows = vec![row(
        "no_meta",
        "no meta-learning (init, plain GD)".into(),
        &plain,
        &theta_plain,
        &tasks,
        SHORT_STEPS,
        t,
        None,
    )];
    let mut records: Vec<(&str, Record)> = Vec::new();
    if let Some(run) = &reptile {
        let r = record(run);
        rows.push(row(
            "reptile",
            "Reptile (5 steps, ε = 1)".into(),
            &plain,
            &run.theta,
            &tasks,
            SHORT_STEPS,
            t,
            Some(&r),
        ));
        records.push(("reptile", r));
    }
    if let Some(run) = &first_order {
        let r = record(run);
        rows.push(row(
            "first_order",
            "first order T1–T2 (ω, λ)".into(),
            &cml32,
            &run.theta,
            &tasks,
            full,
            t,
            Some(&r),
        ));
        records.push(("first_order", r));
    }
    if let Some(run) = &implicit {
        let r = record(run);
        let label = format!("implicit (iMAML), CG ≤ {CG_ITERATIONS} f64 (ω, λ)");
        rows.push(row(
            "implicit",
            label,
            &cml32,
            &run.theta,
            &tasks,
            full,
            t,
            Some(&r),
        ));
        records.push(("implicit", r));
    }
    if let Some(run) = &maml {
        let r = record(run);
        rows.push(row(
            "maml",
            "MAML, 5 unrolled steps, f64 HVP".into(),
            &plain,
            &run.theta,
            &tasks,
            SHORT_STEPS,
            t,
            Some(&r),
        ));
        records.push(("maml", r));
    }
    let main_key = match (args.method, args.model) {
        (Some(method), _) => method.key(),
        (None, ModelKind::Synapse) => "cml",
        (None, ModelKind::Dual) => "dual",
    };
    let mut extra = Map::new();
    let main_record = match main {
        Some((main_rows, record)) => {
            rows.extend(main_rows);
            fixed_vs_f32(&rows, main_key, &record, &mut extra);
            record
        }
        None => records
            .pop()
            .map(|(_, record)| record)
            .ok_or("--method names no baseline")?,
    };
    report::table(&rows, tasks.len());

    let mut header = Map::new();
    header.insert("task".into(), json!("sinusoid"));
    header.insert("scalar".into(), json!(Q16_16::name()));
    header.insert("meta_scalar".into(), json!(args.meta_scalar.name()));
    header.insert("model".into(), json!(main_key));
    header.insert("tasks_evaluated".into(), json!(tasks.len()));
    header.insert("heldout_seed".into(), json!(sinusoid::HELDOUT_SEED));
    header.insert("seed".into(), json!(args.seed));
    extra.insert("meta_iterations".into(), json!(main_record.iterations));
    extra.insert(
        "ms_per_meta_iteration".into(),
        json!(1e3 * main_record.training_seconds / main_record.iterations.max(1) as f64),
    );
    extra.insert("threads".into(), json!(args.threads));
    extra.insert("dropped_tasks".into(), json!(main_record.dropped));
    extra.insert("restores".into(), json!(main_record.restored));
    extra.insert("preset".into(), json!(args.preset));
    // The hidden units of the main model: the dual system's are always tanh.
    let activation = match args.model {
        ModelKind::Dual => Activation::Tanh,
        ModelKind::Synapse => args.activation,
    };
    extra.insert(
        "activation".into(),
        json!(format!("{activation:?}").to_lowercase()),
    );
    extra.insert(
        "meta_validation".into(),
        json!(main_record
            .curve
            .iter()
            .map(|c| json!({"iteration": c.iteration, "seconds": c.seconds, "mse": c.loss}))
            .collect::<Vec<_>>()),
    );
    extra.insert("seconds".into(), json!(started.elapsed().as_secs_f64()));
    println!("{}", report::json_line(&rows, header, extra));
    Ok(())
}

/// Prints and records how the main model's fixed-point adaptation compares with f32 on the
/// same state: task by task, and as the ratio of means.
fn fixed_vs_f32(
    rows: &[Row],
    main_key: &str,
    record: &Record,
    extra: &mut Map<String, serde_json::Value>,
) {
    let find = |key: &str| rows.iter().find(|r| r.key == key);
    let f32_key = if main_key == "cml" {
        "cml_f32"
    } else {
        "dual_f32"
    };
    let (Some(fixed), Some(float)) = (find(main_key), find(f32_key)) else {
        return;
    };
    let paired = [
        Paired::of(&fixed.k5, &float.k5),
        Paired::of(&fixed.k10, &float.k10),
    ];
    for (k, p) in ["K = 5", "K = 10"].iter().zip(&paired) {
        println!(
            "fixed point vs f32, {k}, per task over {} tasks: median |Δ| {:.2e}, 95th percentile {:.2e}, largest {:.2e}; fixed point worse on {:.0} %",
            p.tasks,
            p.median_abs,
            p.p95_abs,
            p.max_abs,
            100.0 * p.share_worse
        );
    }
    println!(
        "{main_key} after {} meta-iterations ({:.1} ms each, {} dropped tasks, {} refused steps, {} restores); fixed point vs f32 at K = 10: {:+.2}%",
        record.iterations,
        1e3 * record.training_seconds / record.iterations.max(1) as f64,
        record.dropped,
        record.rejected,
        record.restored,
        100.0 * (fixed.k10.mean / float.k10.mean - 1.0)
    );
    let paired_json = |p: &Paired| {
        json!({"median_abs": p.median_abs, "p95_abs": p.p95_abs, "max_abs": p.max_abs,
               "share_fixed_worse": p.share_worse, "tasks": p.tasks})
    };
    extra.insert("cml_f32_k10".into(), json!(float.k10.mean));
    extra.insert("cml_f32_k5".into(), json!(float.k5.mean));
    extra.insert(
        "fixed_vs_f32".into(),
        json!({"k5": paired_json(&paired[0]), "k10": paired_json(&paired[1])}),
    );
}

/// The complex synapse: meta-train, export, read back in the device format and in f32, and
/// evaluate the three CML rows; also the figure when asked.
fn synapse_rows(
    args: &Args,
    tasks: &[Heldout],
) -> Result<(Vec<Row>, Record), Box<dyn std::error::Error>> {
    let (bytes, cml_record) = match args.meta_scalar {
        MetaScalar::F32 => train_cml::<f32>(args)?,
        MetaScalar::Q16_16 => train_cml::<Q16_16>(args)?,
    };
    if let Some(path) = &args.export {
        std::fs::write(path, &bytes).map_err(|e| format!("cannot write {path:?}: {e}"))?;
        println!("exported θ ({} bytes) to {}", bytes.len(), path.display());
    }
    // The state as a board reads it, and the same state in f32.
    let (cml_q, theta_q) = store::decode::<Q16_16, _, P>(&model(args), &bytes)?;
    let (cml_f, theta_f) = store::decode::<f32, _, P>(&model(args), &bytes)?;
    let t = args.threads.max(2);
    let full = cml_config().free_steps;
    let rows = vec![
        row(
            "cml",
            format!("CML, {} (exported θ)", Q16_16::name()),
            &cml_q,
            &theta_q,
            tasks,
            full,
            t,
            Some(&cml_record),
        ),
        row(
            "cml_10_steps",
            format!("CML, {}, 10 steps", Q16_16::name()),
            &cml_q,
            &theta_q,
            tasks,
            SHORT_STEPS,
            t,
            Some(&cml_record),
        ),
        row(
            "cml_f32",
            "CML, f32 (same θ)".into(),
            &cml_f,
            &theta_f,
            tasks,
            full,
            t,
            Some(&cml_record),
        ),
    ];
    if let Some(path) = &args.plot {
        let svg = plot::svg(
            &figure_panels(&cml_q, &theta_q, tasks),
            &cml_record.curve,
            "CML meta-validation MSE (K = 10, 100 steps)",
        );
        std::fs::write(path, svg).map_err(|e| format!("cannot write {path:?}: {e}"))?;
        println!("wrote {}", path.display());
    }

    Ok((rows, cml_record))
}

/// The dual system: meta-train in f32, then adapt in the device format and in f32.
fn dual_rows(
    args: &Args,
    tasks: &[Heldout],
) -> Result<(Vec<Row>, Record), Box<dyn std::error::Error>> {
    if args.meta_scalar != MetaScalar::F32 || args.plot.is_some() {
        return Err("--model dual meta-trains in f32 and has no --plot yet".into());
    }
    let (bytes, record) = dual::train(args)?;
    if let Some(path) = &args.export {
        std::fs::write(path, &bytes).map_err(|e| format!("cannot write {path:?}: {e}"))?;
        println!("exported θ ({} bytes) to {}", bytes.len(), path.display());
    }
    // The state as a board reads it, and the same state in f32.
    let (cml_q, theta_q) = dual::read::<Q16_16>(&bytes)?;
    let (cml_f, theta_f) = dual::read::<f32>(&bytes)?;
    let t = args.threads.max(2);
    let full = args.dual.free_steps;
    Ok((
        vec![
            dual::row(
                "dual",
                format!("CML dual system, {}", Q16_16::name()),
                &cml_q,
                &theta_q,
                tasks,
                full,
                t,
                &record,
            ),
            dual::row(
                "dual_10_steps",
                format!("CML dual system, {}, 10 steps", Q16_16::name()),
                &cml_q,
                &theta_q,
                tasks,
                SHORT_STEPS,
                t,
                &record,
            ),
            dual::row(
                "dual_f32",
                "CML dual system, f32 (same θ)".into(),
                &cml_f,
                &theta_f,
                tasks,
                full,
                t,
                &record,
            ),
        ],
        record,
    ))
}

/// Three held-out tasks of small, middling and large amplitude, adapted to K = 10 shots in
/// the device format.
fn figure_panels(
    cml: &Cml<Q16_16, SinusoidMlp, P>,
    theta: &ComplexSynapse<Q16_16, P>,
    tasks: &[Heldout],
) -> Vec<plot::Panel> {
    let pool = &tasks[..tasks.len().min(40)];
    let mut chosen: Vec<usize> = Vec::new();
    for target in [1.0, 2.5, 4.5] {
        if let Some((i, _)) = pool
            .iter()
            .enumerate()
            .filter(|(i, _)| !chosen.contains(i))
            .min_by(|a, b| {
                (a.1.sinusoid.amplitude - target)
                    .abs()
                    .total_cmp(&(b.1.sinusoid.amplitude - target).abs())
            })
        {
            chosen.push(i);
        }
    }
    let xs: Vec<f64> = (0..=200).map(|i| -5.0 + 0.05 * i as f64).collect();
    let mut phi = Box::new([<<Q16_16 as Precision>::Param as Scalar>::ZERO; P]);
    let mut grad = phi.clone();
    chosen
        .into_iter()
        .map(|i| {
            let h = &tasks[i];
            let adapted = evaluation::adapt(
                cml,
                theta,
                &h.task,
                10,
                cml.config().free_steps,
                &mut phi,
                &mut grad,
            );
            plot::Panel {
                title: format!(
                    "held-out task {i}: A = {:.2}, phase = {:.2}{}",
                    h.sinusoid.amplitude,
                    h.sinusoid.phase,
                    if adapted.is_some() { "" } else { " (diverged)" }
                ),
                truth: xs.iter().map(|&x| h.sinusoid.at(x)).collect(),
                before: evaluation::predict::<Q16_16>(cml.model(), theta.omega(), &xs),
                after: evaluation::predict::<Q16_16>(cml.model(), &phi, &xs),
                shots: h.task.support().iter().map(|s| (s.x[0], s.y)).collect(),
                xs: xs.clone(),
            }
        })
        .collect()
}
