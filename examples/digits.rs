//! Few-shot classification on real handwriting: the 8×8 digits family (issue 9).
//!
//! ```text
//! cargo run --release --example digits [-- --method NAME] [--full | --smoke] [--seed N] …
//! cargo run --release --example digits -- --help
//! cargo run --release --example digits -- --dump-heldout PATH
//! ```
//!
//! The main job: meta-trains the complex synapse (ω, λ) of a 64-32-32-5 ReLU network with
//! softmax cross-entropy in f32 through `tinycml::train::train`, on 5-way tasks of the
//! meta-training digits 0–4 only, each class of a training task warped into a new one
//! (`warp.rs`; validation: unwarped tasks of the same classes from their own seed);
//! exports θ, reads it back in q16.16 (the device default) and in f32, and adapts to every
//! task of both held-out sets (500 × 5-way 1-shot, 500 × 5-way 5-shot, digits 5–9). The
//! baselines run in the same harness, on the same held-out tasks: no meta-learning (the same
//! initial θ, plain gradient descent), nearest class mean in pixel space, transfer (a 20-way
//! classifier of the training classes, then a new head per task, and fine-tuning), Reptile
//! and MAML (meta-trained by the same driver, task stream, budget and validation as CML).
//! `--method NAME` runs one alone. A table goes to stdout, then one JSON line.
//! `--validate-only` stops before the held-out sets: what settings are judged on.
//! `--shift-support K` meta-trains and adapts CML on each support image followed by its four
//! one-pixel shifts (`tinycml::digits::shift`) in tasks of at most K shots per class, and
//! adds rows for no meta-learning and nearest class mean with the same shifted support;
//! `--test-steps N` gives CML's adaptation N steps at test; `--theta PATH` adapts an
//! exported θ instead of meta-training one.
//! `--dump-heldout PATH` writes the held-out sets as JSON (format in `digits/heldout.rs`) so
//! that other libraries can be measured on exactly the same tasks.
//!
//! Modules: `args` (flags), `family` (the meta-training task source), `warp` (its class
//! warps),
//! `net` (the network and task types), `learners` (each method trained, and adapting),
//! `baselines` (nearest class mean, Reptile, MAML), `transfer`, `evaluation` (validation and
//! held-out tasks, accuracies), `report` (table and JSON), `plot` (SVG), `heldout` (the
//! `--dump-heldout` document).

#[path = "digits/args.rs"]
mod args;
#[path = "digits/baselines.rs"]
mod baselines;
#[path = "digits/evaluation.rs"]
mod evaluation;
#[path = "digits/family.rs"]
mod family;
#[path = "common/frame.rs"]
mod frame;
#[path = "digits/heldout.rs"]
mod heldout;
#[path = "digits/learners.rs"]
mod learners;
#[path = "digits/net.rs"]
mod net;
#[path = "digits/plot.rs"]
mod plot;
#[path = "digits/report.rs"]
mod report;
#[path = "digits/transfer.rs"]
mod transfer;
#[path = "digits/warp.rs"]
mod warp;

pub use net::{DigitTask, Q, S};

use args::{parse, Method, Options, USAGE};
use evaluation::{held_out, judge_tasks, Stats};
use family::Family;
use learners::Learner;
use net::ShiftSupport;
use report::Row;
use serde_json::{json, Map, Value};
use std::process::ExitCode;
use std::time::Instant;
use tinycml::digits::{self, Digits, Split, HELDOUT_SEED};
use tinycml::*;
use warp::WarpStrength;

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
        warp: WarpStrength {
            class: o.warp,
            image: o.jitter,
        },
        // CML's own tasks shift their support (`learners::cml`); the other methods' do not.
        shift: ShiftSupport::default(),
    };
    let names: Vec<&str> = o.methods.iter().map(|m| m.name()).collect();
    eprintln!(
        "digits: {} on {} thread(s), seed {}",
        names.join(", "),
        o.threads,
        o.seed
    );

    // Training, on digits 0–4 only.
    let mut learners: Vec<Learner> = Vec::new();
    let mut trainings = Vec::new();
    for &method in &o.methods {
        match method {
            Method::Cml if o.theta.is_some() => {
                let path = o.theta.as_deref().unwrap_or_default();
                let bytes = std::fs::read(path).map_err(|e| format!("--theta {path}: {e}"))?;
                learners.push(learners::cml_from(o, &bytes)?);
                eprintln!("CML: adapting θ from {path}, not meta-trained in this run");
            }
            Method::Cml => {
                let (learner, bytes, record) = learners::cml(o, &family)?;
                if let Some(path) = &o.export {
                    std::fs::write(path, &bytes).map_err(|e| format!("--export {path}: {e}"))?;
                    eprintln!("wrote θ to {path} ({} bytes)", bytes.len());
                }
                learners.push(learner);
                trainings.push(record);
            }
            Method::Dual => {
                let (learner, record) = learners::dual(o, &family)?;
                learners.push(learner);
                trainings.push(record);
            }
            // With shifted support, these two also run with it, beside their plain rows.
            Method::NoMeta => {
                learners.push(learners::no_meta(o, false)?);
                if o.shift_support > 0 || o.query_shifts {
                    learners.push(learners::no_meta(o, true)?);
                }
            }
            Method::Ncm => {
                learners.push(Learner::Ncm {
                    shift: ShiftSupport::default(),
                });
                if o.shift_support > 0 {
                    learners.push(Learner::Ncm {
                        shift: learners::shift_support(o),
                    });
                }
            }
            Method::Transfer => {
                let (learner, record) = learners::transfer(o, &family)?;
                learners.push(learner);
                trainings.push(record);
            }
            Method::Reptile => {
                let (learner, record) = learners::reptile(o, &family)?;
                learners.push(learner);
                trainings.push(record);
            }
            Method::Maml => {
                let (learner, record) = learners::maml(o, &family)?;
                learners.push(learner);
                trainings.push(record);
            }
        }
    }

    // Settings are judged here, on tasks of the training classes only.
    let trained_at = Instant::now();
    let judge = judge_tasks(&family, if o.smoke { 20 } else { 200 })?;
    let mut rows: Vec<Row> = Vec::new();
    for learner in &learners {
        let judged: Vec<[f64; 2]> = {
            let [one, five] = judge
                .each_ref()
                .map(|set| learner.accuracies(set, o.threads));
            let (one, five) = (one?, five?);
            one.iter()
                .zip(&five)
                .map(|(a, b)| [Stats::of(&a.0, a.1).mean, Stats::of(&b.0, b.1).mean])
                .collect()
        };
        for (name, validation) in learner.rows(&o.hyper).into_iter().zip(judged) {
            rows.push(Row {
                key: name.key,
                name: name.name,
                adaptation: name.adaptation,
                sets: [Stats::default(); 2],
                validation,
            });
        }
    }
    let judged_on = if o.split_validation {
        "digits 3–4, unseen in training"
    } else {
        "training classes"
    };
    for row in &rows {
        eprintln!(
            "validation ({judged_on}): {} {:.1} / {:.1} %",
            row.name, row.validation[0], row.validation[1]
        );
    }
    eprintln!(
        "judged on {} validation tasks per shot count in {:.1} s",
        judge[0].len(),
        trained_at.elapsed().as_secs_f64()
    );
    let mut report = Map::new();
    for (key, value) in [
        ("task", json!("digits")),
        ("scalar", json!(Q16_16::name())),
        ("heldout_seed", json!(HELDOUT_SEED)),
        ("seed", json!(o.seed)),
        ("smoke", json!(o.smoke)),
        ("full", json!(o.full)),
        ("threads", json!(o.threads)),
        ("methods_run", json!(names)),
        (
            "network",
            json!(if o.runs(Method::Dual) {
                "64-32-32-5 ReLU, softmax cross-entropy; dual system: 64-32-32 tanh body, fast gains, shifts and 32-5 read-out"
            } else {
                "64-32-32-5 ReLU, softmax cross-entropy"
            }),
        ),
        ("judged_on", json!(judged_on)),
    ] {
        report.insert(key.into(), value);
    }
    if let Some(t) = trainings.iter().find(|t| t.method == Method::Cml.name()) {
        report.insert("config".into(), t.settings.clone());
    }
    report::validation(&mut report, &rows);
    report::training(&mut report, &trainings);
    if o.validate_only {
        report.insert("seconds".into(), json!(start.elapsed().as_secs_f64()));
        println!("{}", Value::Object(report));
        return Ok(());
    }

    // Digits 5–9 from here on.
    let evaluation_start = Instant::now();
    let count = o.tasks;
    let sets = digits::HELDOUT_SHOTS.map(|shots| held_out(&data, shots, count));
    let [one, five] = sets;
    let sets = [one?, five?];
    let mut at = 0;
    for learner in &learners {
        let [one, five] = sets
            .each_ref()
            .map(|set| learner.accuracies(set, o.threads));
        let (one, five) = (one?, five?);
        for (a, b) in one.iter().zip(&five) {
            rows[at].sets = [Stats::of(&a.0, a.1), Stats::of(&b.0, b.1)];
            at += 1;
        }
    }

    eprintln!(
        "evaluated on 2 × {count} held-out tasks in {:.1} s",
        evaluation_start.elapsed().as_secs_f64()
    );
    report::table(&rows, count);
    report::trainings(&trainings);
    if let Some(path) = &o.plot {
        let svg = plot::figure(&data, &learners, &rows, &sets, o.threads)?;
        std::fs::write(path, svg).map_err(|e| format!("--plot {path}: {e}"))?;
        eprintln!("wrote {path}");
    }
    report.insert(
        "tasks_evaluated".into(),
        json!({"shot1": count, "shot5": count}),
    );
    report::results(&mut report, &rows);
    println!("total {:.1} s", start.elapsed().as_secs_f64());
    report.insert("seconds".into(), json!(start.elapsed().as_secs_f64()));
    println!("{}", Value::Object(report));
    Ok(())
}
