//! Each method of the comparison, trained and ready to adapt: how it is trained (through
//! `tinycml::train` for CML, Reptile and MAML; `transfer.rs` for transfer) and how it turns
//! a set of tasks into per-task query accuracies.

use crate::args::{Budget, Method, Options};
use crate::baselines::{self, plain_rule, NO_LAMBDA};
use crate::evaluation::{accuracies, par_map, Sets};
use crate::family::Family;
use crate::net::{dual_model, model, DigitTask, DualRule, DualTheta, Rule, ShiftSupport, P, Q, S};
use crate::report::Training;
use crate::transfer::{self, Transfer};
use serde_json::{json, Value};
use tinycml::digits::PIXELS;
use tinycml::train::{self, Outer, Settings, TaskSource};
use tinycml::*;

/// Tasks per meta-iteration of Reptile and MAML (their settings were tuned with it).
pub const META_BATCH: usize = 8;

/// CML's tasks per meta-iteration: 128, 256 with `--full` (one thread, 540 s), 16 at
/// `--smoke`. Either budget then makes about 900 outer steps. On validation tasks of the
/// training classes, CML's accuracy stopped improving within a few hundred outer steps
/// (300 steps of 16 tasks: 81.1 / 92.0 %, 1,000 of 16: 79.9 / 91.5 %, 300 of 128:
/// 80.6 / 91.8 %), and in 540 s runs with 32 tasks per step (9,500 steps) the validation
/// loss rose from 0.47 to 0.7–0.8 after about 2,000 steps; so a longer budget buys steps
/// with less noise, not more of them.
pub fn cml_meta_batch(o: &Options) -> usize {
    match (o.smoke, o.full) {
        (true, _) => 16,
        (false, true) => 256,
        (false, false) => 128,
    }
}

/// CML's outer optimiser: Adam at 3e-3 on ω and ln λ, cosine-decayed over the budget (1e-2
/// reached the same validation loss sooner, then rose faster).
pub const CML_OUTER: Outer = Outer::Adam {
    lr: 3e-3,
    log_lambda: true,
};

/// A method ready to adapt.
pub enum Learner {
    /// CML's exported θ, read back in q16.16 (the device) and in f32; it adapts on the
    /// support shifted as `shift` says, as it was meta-trained.
    Cml {
        shift: ShiftSupport,
        /// Each query image classified by the mean softmax over it and its shifts.
        query_shifts: bool,
        /// Adaptation steps at test (`None`: the meta-trained free phase's).
        test_steps: Option<u32>,
        q: Rule<Q16_16>,
        theta_q: Box<ComplexSynapse<Q16_16, P>>,
        f: Rule<f32>,
        theta_f: Box<ComplexSynapse<f32, P>>,
    },
    /// Plain gradient descent from a θ with λ ≈ 0: no meta-learning, Reptile, MAML.
    Plain {
        key: &'static str,
        name: &'static str,
        shift: ShiftSupport,
        query_shifts: bool,
        rule: Rule<f32>,
        theta: Box<ComplexSynapse<f32, P>>,
    },
    /// The dual system's θ, adapted in q16.16 (the device) and in f32.
    Dual {
        q: DualRule<Q16_16>,
        theta_q: Box<DualTheta<Q16_16>>,
        f: DualRule<f32>,
        theta_f: Box<DualTheta<f32>>,
    },
    /// Nearest class mean in pixel space; the class means are taken over the support shifted
    /// as `shift` says.
    Ncm { shift: ShiftSupport },
    /// A pre-trained body with a new head per task, and fine-tuned.
    Transfer(Box<Transfer>),
}

/// One row a learner gives: JSON key, table name, how it adapts.
pub struct RowName {
    pub key: &'static str,
    pub name: String,
    pub adaptation: String,
}

fn steps_at(config: &Config) -> String {
    format!("{} GD steps at lr {}", config.free_steps, config.free_lr)
}

/// What a row's adaptation adds when its support is shifted.
fn shift_note(shift: ShiftSupport) -> String {
    if shift.is_on() {
        format!(
            "; each support image + its 4 one-pixel shifts (tasks of ≤ {} shots per class)",
            shift.up_to
        )
    } else {
        String::new()
    }
}

/// What a row's adaptation adds when its query images are classified with their shifts.
fn query_note(query_shifts: bool) -> &'static str {
    if query_shifts {
        "; each query image by the mean softmax over it and its 4 shifts"
    } else {
        ""
    }
}

/// The support shifting of the run (`--shift-support`).
pub fn shift_support(o: &Options) -> ShiftSupport {
    ShiftSupport {
        up_to: o.shift_support,
    }
}

impl Learner {
    /// The rows this learner fills, in order.
    pub fn rows(&self, hyper: &crate::args::Hyper) -> Vec<RowName> {
        let row = |key, name: &str, adaptation: String| RowName {
            key,
            name: name.into(),
            adaptation,
        };
        match self {
            Learner::Cml {
                f,
                shift,
                query_shifts,
                test_steps,
                ..
            } => {
                let config = f
                    .config()
                    .with_free_steps(test_steps.unwrap_or(f.config().free_steps));
                let adapt = format!(
                    "{}, λ-weighted pull to ω{}{}",
                    steps_at(&config),
                    shift_note(*shift),
                    query_note(*query_shifts)
                );
                vec![
                    row("cml_q16_16", "CML, q16.16", adapt.clone()),
                    row("cml_f32", "CML, f32 (same θ)", adapt),
                ]
            }
            Learner::Plain {
                key,
                name,
                shift,
                query_shifts,
                rule,
                ..
            } => vec![row(
                key,
                name,
                format!(
                    "{}{}{}",
                    steps_at(rule.config()),
                    shift_note(*shift),
                    query_note(*query_shifts)
                ),
            )],
            Learner::Dual { f, .. } => {
                let adapt = format!(
                    "{}, gains, shifts and read-out only (μ {})",
                    steps_at(f.config()),
                    hyper.dual_mu
                );
                vec![
                    row("dual_q16_16", "CML dual system, q16.16", adapt.clone()),
                    row("dual_f32", "CML dual system, f32 (same θ)", adapt),
                ]
            }
            Learner::Ncm { shift } if shift.is_on() => vec![row(
                "nearest_class_mean_shifted",
                "nearest class mean, pixels, shifted support",
                format!("class means{}", shift_note(*shift)),
            )],
            Learner::Ncm { .. } => vec![row(
                "nearest_class_mean",
                "nearest class mean, pixels",
                "none".into(),
            )],
            Learner::Transfer(_) => {
                let head = format!(
                    "new head: {} GD steps at lr {}, L2 {}{}",
                    hyper.head_steps,
                    hyper.head_lr,
                    hyper.head_decay,
                    match hyper.head_normalize {
                        1 => ", unit-length features",
                        2 => ", features / mean support length",
                        _ => "",
                    }
                );
                vec![
                    row(
                        "transfer_head_f32",
                        "transfer, frozen body + new head",
                        head.clone(),
                    ),
                    row(
                        "transfer_finetune_f32",
                        "transfer, fine-tune all",
                        format!(
                            "a new head (features scaled per task, folded into its weights); \
                             then all weights {} GD steps at lr {}",
                            hyper.finetune_steps, hyper.finetune_lr
                        ),
                    ),
                ]
            }
        }
    }

    /// Which tasks this learner adapts on shifted support.
    pub fn shift(&self) -> ShiftSupport {
        match self {
            Learner::Cml { shift, .. } | Learner::Plain { shift, .. } | Learner::Ncm { shift } => {
                *shift
            }
            Learner::Dual { .. } | Learner::Transfer(_) => ShiftSupport::default(),
        }
    }

    /// Per row (as [`Learner::rows`]): per-task query accuracies on `sets` (their support
    /// shifted first for a learner that adapts so), and diverged tasks.
    pub fn accuracies(&self, sets: &Sets, threads: usize) -> Result<Vec<(Vec<f64>, usize)>, Error> {
        Ok(if self.shift().is_on() {
            self.accuracies_as_given(&sets.shifted(self.shift())?, threads)
        } else {
            self.accuracies_as_given(sets, threads)
        })
    }

    fn accuracies_as_given(&self, sets: &Sets, threads: usize) -> Vec<(Vec<f64>, usize)> {
        match self {
            Learner::Cml {
                q,
                theta_q,
                f,
                theta_f,
                query_shifts,
                test_steps,
                ..
            } => vec![
                accuracies(q, theta_q, &sets.q, *test_steps, *query_shifts, threads),
                accuracies(f, theta_f, &sets.f, *test_steps, *query_shifts, threads),
            ],
            Learner::Plain {
                rule,
                theta,
                query_shifts,
                ..
            } => {
                vec![accuracies(
                    rule,
                    theta,
                    &sets.f,
                    None,
                    *query_shifts,
                    threads,
                )]
            }
            Learner::Dual {
                q,
                theta_q,
                f,
                theta_f,
            } => vec![
                dual_accuracies(q, theta_q, &sets.q, threads),
                dual_accuracies(f, theta_f, &sets.f, threads),
            ],
            Learner::Ncm { .. } => {
                vec![(par_map(&sets.d, threads, baselines::nearest_class_mean), 0)]
            }
            Learner::Transfer(t) => {
                let outcomes = transfer::evaluate(t, &sets.f, threads);
                let diverged = outcomes.iter().filter(|o| o.diverged).count();
                vec![
                    (outcomes.iter().map(|o| o.head).collect(), 0),
                    (outcomes.iter().map(|o| o.finetuned).collect(), diverged),
                ]
            }
        }
    }
}

/// Per task: the query accuracy after adapting the dual system's fast state, and how many
/// tasks diverged (see [`train::evaluate_dual`]).
fn dual_accuracies<N: Precision>(
    rule: &DualRule<N>,
    theta: &DualTheta<N>,
    tasks: &[DigitTask<N::Act>],
    threads: usize,
) -> (Vec<f64>, usize) {
    let evaluation = train::evaluate_dual(rule, theta, tasks, None, threads);
    (evaluation.accuracies, evaluation.diverged)
}

/// The dual system's rule in format `N`, from the options.
fn dual_rule<N: Precision>(o: &Options) -> Result<DualRule<N>, Error> {
    let h = &o.hyper;
    let config = Config::default()
        .with_free_steps(h.dual_steps)
        .with_free_lr(h.dual_lr)
        .with_nudged_steps(h.dual_steps.div_ceil(2))
        .with_nudged_lr(h.dual_lr / (1.0 + h.dual_beta))
        .with_beta(h.dual_beta);
    DualRule::with_loss(dual_model(), SoftmaxCrossEntropy, config, Some(h.dual_mu))
}

/// Meta-trains the dual system through the driver (CML's meta-batch, Adam on the body and
/// the initial fast state), then reads its θ in q16.16 and f32.
pub fn dual(
    o: &Options,
    family: &Family,
) -> Result<(Learner, Training), Box<dyn std::error::Error>> {
    let f = dual_rule::<f32>(o)?;
    let settings = Settings {
        meta_batch: cml_meta_batch(o),
        outer: Outer::Adam {
            lr: o.hyper.dual_outer_lr,
            log_lambda: false,
        },
        ..settings(o, Method::Dual)
    };
    let theta = train::initial_dual(&dual_model(), &mut SplitMix64::new(o.seed))?;
    let trained = train::train_dual(&f, family, theta, &settings)?;
    let mut description = hyper_json(o, Method::Dual);
    description["meta_batch"] = json!(cml_meta_batch(o));
    description["network"] = json!("64-32-32 tanh body, fast gains, shifts and 32-5 read-out");
    let training = record(Method::Dual, &trained, description);
    let theta_f = trained.theta;
    let to_q = |v: &f32| I8F24::from_num(*v);
    let theta_q = DualTheta::<Q16_16>::new(
        core::array::from_fn(|i| to_q(&theta_f.body()[i])),
        core::array::from_fn(|i| to_q(&theta_f.init()[i])),
    )?;
    Ok((
        Learner::Dual {
            q: dual_rule(o)?,
            theta_q: Box::new(theta_q),
            f,
            theta_f: Box::new(theta_f),
        },
        training,
    ))
}

/// The rule CML meta-trains and adapts with, from the options.
pub fn cml_config(o: &Options) -> Config {
    Config::default()
        .with_free_steps(o.free_steps)
        .with_free_lr(o.free_lr)
        .with_nudged_steps(o.free_steps.div_ceil(2))
        .with_nudged_lr(o.free_lr / (1.0 + o.beta))
        .with_beta(o.beta)
        .with_lambda_max(1.0 / o.free_lr)
}

/// The initial θ of every network method: the usual dense initialisation from the run's
/// seed, λ the same everywhere.
pub fn initial_theta(o: &Options, lambda: f64) -> Result<ComplexSynapse<f32, P>, Error> {
    train::initial_theta::<f32, _, P>(&model(), &mut SplitMix64::new(o.seed), lambda)
}

/// The driver's settings for one method: the shared task stream (seed), meta-batch,
/// threads and validation set, and the method's budget.
pub fn settings(o: &Options, method: Method) -> Settings {
    let Budget {
        seconds,
        iterations,
    } = o.budget(method);
    Settings {
        seed: o.seed,
        seconds,
        iterations,
        meta_batch: META_BATCH,
        threads: o.threads,
        validation_tasks: validation_tasks(o),
        validation_points: if o.smoke { 1 } else { 12 },
        progress: Some(method.name().into()),
        ..Settings::default()
    }
}

/// Validation tasks of the driver (and of transfer's pre-training).
pub fn validation_tasks(o: &Options) -> usize {
    if o.smoke {
        8
    } else {
        40
    }
}

fn record<Theta>(method: Method, t: &train::Run<Theta>, settings: Value) -> Training {
    Training {
        method: method.name(),
        iterations: t.iterations,
        seconds: t.seconds,
        curve: t.curve.clone(),
        initial_validation_loss: t.initial_validation_loss,
        best_validation_loss: t.best_validation_loss,
        settings,
    }
}

/// Meta-trains CML; returns the learner, the export (what a device loads) and the record.
pub fn cml(
    o: &Options,
    family: &Family,
) -> Result<(Learner, Vec<u8>, Training), Box<dyn std::error::Error>> {
    let config = cml_config(o);
    let rule = Rule::<f32>::with_loss(model(), SoftmaxCrossEntropy, config)?;
    let settings = Settings {
        meta_batch: cml_meta_batch(o),
        outer: CML_OUTER,
        ..settings(o, Method::Cml)
    };
    let family = Family {
        shift: shift_support(o),
        ..family.clone()
    };
    let trained = train::train(&rule, &family, initial_theta(o, o.lambda)?, &settings)?;
    let bytes = trained.export(&rule)?;
    let description = json!({"free_steps": config.free_steps, "free_lr": config.free_lr,
        "nudged_steps": config.nudged_steps, "beta": config.beta,
        "lambda_init": o.lambda, "train_shots": if o.mix { "1 or 5" } else { "5" },
        "warp": {"class": o.warp, "image": o.jitter}, "split_validation": o.split_validation,
        "meta_batch": cml_meta_batch(o), "outer": "Adam 3e-3 on ω and ln λ, cosine",
        "shift_support_up_to_shots": o.shift_support});
    let training = record(Method::Cml, &trained, description);
    Ok((cml_from(o, &bytes)?, bytes, training))
}

/// CML's learner from an export (`store` format): θ read back in q16.16 and in f32, adapting
/// with the run's test-time settings.
pub fn cml_from(o: &Options, bytes: &[u8]) -> Result<Learner, Error> {
    let (q, theta_q) =
        store::decode_with_loss::<Q16_16, _, _, P>(&model(), SoftmaxCrossEntropy, bytes)?;
    let (f, theta_f) =
        store::decode_with_loss::<f32, _, _, P>(&model(), SoftmaxCrossEntropy, bytes)?;
    Ok(Learner::Cml {
        shift: shift_support(o),
        query_shifts: o.query_shifts,
        test_steps: o.test_steps,
        q,
        theta_q: Box::new(theta_q),
        f,
        theta_f: Box::new(theta_f),
    })
}

/// No meta-learning: the initial θ with λ ≈ 0, plain gradient descent with its own steps and
/// rate (`no_meta.*`); `shifted`: with CML's test-time shifts (`--shift-support`,
/// `--query-shifts`).
pub fn no_meta(o: &Options, shifted: bool) -> Result<Learner, Error> {
    let (key, name) = if shifted {
        (
            "no_meta_shifted_f32",
            "no meta-learning, shifted support, f32",
        )
    } else {
        ("no_meta_f32", "no meta-learning, f32")
    };
    Ok(Learner::Plain {
        key,
        name,
        shift: if shifted {
            shift_support(o)
        } else {
            ShiftSupport::default()
        },
        query_shifts: shifted && o.query_shifts,
        rule: plain_rule(o.hyper.no_meta_steps, o.hyper.no_meta_lr)?,
        theta: Box::new(initial_theta(o, NO_LAMBDA)?),
    })
}

fn hyper_json(o: &Options, method: Method) -> Value {
    let mut map = serde_json::Map::new();
    for (k, v) in o.hyper.describe(method) {
        map.insert(k.into(), json!(v));
    }
    map.insert("meta_batch".into(), json!(META_BATCH));
    Value::Object(map)
}

/// Reptile through the driver: SGD on ω with rate ε (cosine-decayed) on `ω − φ`.
pub fn reptile(
    o: &Options,
    family: &Family,
) -> Result<(Learner, Training), Box<dyn std::error::Error>> {
    let h = &o.hyper;
    let rule = plain_rule(h.reptile_test_steps, h.reptile_lr)?;
    let method = train::Reptile {
        rule: &rule,
        steps: h.reptile_steps,
    };
    let outer = Outer::Sgd {
        lr: h.reptile_outer_lr,
    };
    let (theta, training) = meta_train_plain(o, family, Method::Reptile, &method, &rule, outer)?;
    let (key, name) = ("reptile_f32", "Reptile, f32");
    Ok((
        Learner::Plain {
            key,
            name,
            shift: ShiftSupport::default(),
            query_shifts: false,
            rule,
            theta,
        },
        training,
    ))
}

/// MAML through the driver: Adam on ω (cosine-decayed) with the second-order gradient.
pub fn maml(
    o: &Options,
    family: &Family,
) -> Result<(Learner, Training), Box<dyn std::error::Error>> {
    let h = &o.hyper;
    let rule = plain_rule(h.maml_test_steps, h.maml_lr)?;
    let method = train::Maml {
        model: model(),
        loss: SoftmaxCrossEntropy,
        steps: h.maml_steps,
        lr: h.maml_lr,
    };
    let outer = Outer::Adam {
        lr: h.maml_outer_lr,
        log_lambda: true,
    };
    let (theta, training) = meta_train_plain(o, family, Method::Maml, &method, &rule, outer)?;
    let (key, name) = ("maml_f32", "MAML, second order, f32");
    Ok((
        Learner::Plain {
            key,
            name,
            shift: ShiftSupport::default(),
            query_shifts: false,
            rule,
            theta,
        },
        training,
    ))
}

/// θ of the `f32` network.
type Theta = ComplexSynapse<f32, P>;

/// Meta-trains ω of a method without consolidation (from the initial θ with λ ≈ 0) through
/// the driver, validated with `rule` (its plain adaptation): the trained θ and the record.
fn meta_train_plain<M: train::Method<f32, Class, PIXELS, S, Q, P>>(
    o: &Options,
    family: &Family,
    which: Method,
    method: &M,
    rule: &Rule<f32>,
    outer: Outer,
) -> Result<(Box<Theta>, Training), Box<dyn std::error::Error>> {
    let settings = Settings {
        outer,
        ..settings(o, which)
    };
    let trained = train::train_with(
        method,
        rule,
        family,
        initial_theta(o, NO_LAMBDA)?,
        &settings,
    )?;
    let training = record(which, &trained, hyper_json(o, which));
    Ok((Box::new(trained.theta), training))
}

/// Transfer: pre-train the 20-way classifier on the training pool, validated on the
/// driver's validation tasks.
pub fn transfer(
    o: &Options,
    family: &Family,
) -> Result<(Learner, Training), Box<dyn std::error::Error>> {
    let mut rng = SplitMix64::new(train::VALIDATION_SEED);
    let validation = (0..validation_tasks(o))
        .map(|_| family.validation_task(&mut rng))
        .collect::<Result<Vec<_>, _>>()?;
    let pretrained = transfer::pretrain(
        &family.data,
        &family.train_pool,
        &validation,
        &o.hyper,
        o.seed,
        o.budget(Method::Transfer),
        o.threads,
        if o.smoke { 1 } else { 12 },
    )?;
    let mut settings = hyper_json(o, Method::Transfer);
    settings["images"] = json!(pretrained.images);
    settings["network"] = json!("64-32-32-20 ReLU, softmax cross-entropy");
    if let Value::Object(map) = &mut settings {
        map.remove("meta_batch");
    }
    let training = Training {
        method: Method::Transfer.name(),
        iterations: pretrained.iterations,
        seconds: pretrained.seconds,
        curve: pretrained.curve,
        initial_validation_loss: pretrained.initial_validation_loss,
        best_validation_loss: pretrained.best_validation_loss,
        settings,
    };
    let adapter = Transfer::new(&pretrained.body, &o.hyper)?;
    Ok((Learner::Transfer(Box::new(adapter)), training))
}
