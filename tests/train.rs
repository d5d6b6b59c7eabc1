//! The meta-training driver on small budgets: it learns, it returns the θ that validated best,
//! it restores that θ when training runs off, a task whose phases diverge is dropped without
//! leaving a trace in θ, and a classifier (softmax cross-entropy, class targets) trains through
//! the same code.

use std::cell::Cell;
use tinycml::train::{self, Outer, Settings, SinusoidFamily, TaskSource, TrainError};
use tinycml::*;

type Net = Mlp<1, 16, 16>;
const P: usize = Net::PARAMS;
type SinTask = Task<f32, 1, 10, 40>;
const FAMILY: SinusoidFamily<10, 40> = SinusoidFamily {
    support: 10,
    query: 10,
    validation_query: 40,
};

fn cml() -> Cml<f32, Net, P> {
    Cml::new(Net::new(Activation::Relu), Config::default()).unwrap()
}

fn theta0() -> ComplexSynapse<f32, P> {
    train::initial_theta(&Net::new(Activation::Relu), &mut SplitMix64::new(5), 1.0).unwrap()
}

fn settings(iterations: u64) -> Settings {
    Settings {
        iterations: Some(iterations),
        meta_batch: 4,
        threads: 2,
        validation_tasks: 12,
        validation_points: 4,
        progress: None,
        ..Settings::default()
    }
}

/// The validation tasks the driver draws for `settings`, drawn again.
fn validation_tasks(settings: &Settings) -> Vec<SinTask> {
    let mut rng = SplitMix64::new(settings.validation_seed);
    (0..settings.validation_tasks)
        .map(|_| FAMILY.validation_task(&mut rng).unwrap())
        .collect()
}

#[test]
fn training_lowers_the_validation_loss_and_returns_the_best_theta() {
    let (cml, settings) = (cml(), settings(200));
    let trained = train::train(&cml, &FAMILY, theta0(), &settings).unwrap();
    assert_eq!(trained.iterations, 200);
    assert_eq!(trained.curve.len(), 5);
    assert_eq!(trained.restored, 0);
    assert!(
        trained.best_validation_loss < 0.6 * trained.initial_validation_loss,
        "validation loss {} → {}",
        trained.initial_validation_loss,
        trained.best_validation_loss
    );
    // The returned θ is the best of the curve, and scores what the driver says it scores.
    let best = trained
        .curve
        .iter()
        .map(|c| c.loss)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(trained.best_validation_loss, best);
    let again = train::evaluate(&cml, &trained.theta, &validation_tasks(&settings), None, 2);
    assert_eq!(again.mean, best);
    assert!(again.accuracies.is_empty(), "regression has no accuracy");
    // An iteration budget makes the run reproducible.
    let twice = train::train(&cml, &FAMILY, theta0(), &settings).unwrap();
    assert_eq!(twice.theta.fingerprint(), trained.theta.fingerprint());
}

#[test]
fn a_run_that_runs_off_gets_the_best_theta_back() {
    // An outer rate 50× the recipe's throws θ off within a few steps (still finite).
    let runaway = Settings {
        outer: Outer::Adam {
            lr: 0.5,
            log_lambda: true,
        },
        ..settings(20)
    };
    let initial = theta0();
    // Validated only at the start and at the end: the end state ran off, the start is returned.
    let short = Settings {
        validation_points: 1,
        ..settings(5)
    };
    let trained = train::train(
        &cml(),
        &FAMILY,
        initial.clone(),
        &Settings {
            outer: runaway.outer,
            ..short
        },
    )
    .unwrap();
    assert_eq!(trained.restored, 1, "curve {:?}", trained.curve);
    assert!(trained.curve[1].loss > 3.0 * trained.initial_validation_loss);
    assert_eq!(trained.theta, initial);
    assert_eq!(
        trained.best_validation_loss,
        trained.initial_validation_loss
    );
    // Validated along the way: training goes on from the restored θ (with a fresh optimiser
    // and the decayed rate) and ends better than it started.
    let trained = train::train(&cml(), &FAMILY, initial, &runaway).unwrap();
    assert_eq!(trained.restored, 1, "curve {:?}", trained.curve);
    assert!(trained.curve[1].loss > 3.0 * trained.initial_validation_loss);
    assert!(trained.best_validation_loss < trained.initial_validation_loss);
}

/// The sinusoid stream, with a task whose targets overflow any inner loop after every three.
struct Poisoned {
    drawn: Cell<u64>,
}

impl TaskSource<f32, 1, 10, 40> for Poisoned {
    fn train_task(&self, rng: &mut SplitMix64) -> Result<SinTask, Error> {
        self.drawn.set(self.drawn.get() + 1);
        if self.drawn.get().is_multiple_of(4) {
            let shots: Vec<_> = (0..10).map(|i| Shot::new(&[i as f32], 1e30)).collect();
            let shots = shots.into_iter().collect::<Result<Vec<_>, _>>()?;
            return Task::from_shots(&shots, &shots);
        }
        FAMILY.train_task(rng)
    }

    fn validation_task(&self, rng: &mut SplitMix64) -> Result<SinTask, Error> {
        FAMILY.validation_task(rng)
    }
}

#[test]
fn diverging_tasks_are_dropped_and_leave_no_trace() {
    let cml = cml();
    let poisoned = Poisoned {
        drawn: Cell::new(0),
    };
    // One thread, so that the clean tasks are summed in the same order in both runs.
    let with_poison = Settings {
        threads: 1,
        ..settings(30)
    };
    let trained = train::train(&cml, &poisoned, theta0(), &with_poison).unwrap();
    assert_eq!(trained.dropped, 30);
    assert_eq!(trained.tasks_used, 90);
    assert_eq!(trained.rejected, 0);
    // The same clean tasks, three to a batch and no poison: the very same θ.
    let clean = Settings {
        meta_batch: 3,
        ..with_poison
    };
    let reference = train::train(&cml, &FAMILY, theta0(), &clean).unwrap();
    assert_eq!(reference.dropped, 0);
    assert_eq!(trained.theta.fingerprint(), reference.theta.fingerprint());
    assert!(trained.best_validation_loss < trained.initial_validation_loss);
}

#[test]
fn a_setting_under_which_every_task_diverges_leaves_theta_as_it_was() {
    // Gradient descent at lr 50 diverges on every task: nothing is averaged, no step is taken.
    let cml = Cml::<f32, _, P>::new(
        Net::new(Activation::Relu),
        Config::default().with_free_lr(50.0).with_lambda_max(0.02),
    )
    .unwrap();
    let initial = theta0();
    let trained = train::train(&cml, &FAMILY, initial.clone(), &settings(5)).unwrap();
    assert_eq!(trained.dropped, 20);
    assert_eq!(trained.tasks_used, 0);
    assert_eq!(trained.theta, initial);
    // Validation counts the diverged adaptations instead of hiding them.
    assert!(trained.curve.iter().all(|c| c.diverged == 12));
}

#[test]
fn bad_settings_and_failing_sources_are_typed_errors() {
    let no_budget = Settings {
        iterations: None,
        seconds: None,
        ..settings(1)
    };
    let result = train::train(&cml(), &FAMILY, theta0(), &no_budget);
    assert!(matches!(result, Err(TrainError::Settings(_))));
    let broken = |_: &mut SplitMix64| -> Result<SinTask, Error> { Err(Error::OutOfRange) };
    let result = train::train(&cml(), &broken, theta0(), &settings(1));
    assert!(matches!(result, Err(TrainError::Source(Error::OutOfRange))));
    let wrong_rate = Settings {
        outer: Outer::Sgd { lr: -1.0 },
        ..settings(1)
    };
    assert!(train::train(&cml(), &FAMILY, theta0(), &wrong_rate).is_err());
}

/// Two classes split by a random line through the origin: 8 support and 16 query points.
struct HalfPlanes;

impl TaskSource<f32, 2, 8, 16, Class> for HalfPlanes {
    fn train_task(&self, rng: &mut SplitMix64) -> Result<Task<f32, 2, 8, 16, Class>, Error> {
        let angle = rng.uniform(0.0, std::f64::consts::TAU);
        let mut task = Task::new();
        for i in 0..24 {
            let x = [rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)];
            let class = Class((x[0] * angle.cos() + x[1] * angle.sin() > 0.0) as u16);
            let shot = Shot::new(&x, class)?;
            if i < 8 {
                task.push_support(shot)?
            } else {
                task.push_query(shot)?
            }
        }
        Ok(task)
    }
}

#[test]
fn a_classifier_meta_trains_through_the_same_driver() {
    type Classifier = Network<2, Layer<8, Layer<2>>>;
    let model = Classifier::new(Activation::Relu);
    let cml = Cml::<f32, _, { Classifier::PARAMS }, _>::with_loss(
        model,
        SoftmaxCrossEntropy,
        Config::default()
            .with_free_lr(0.1)
            .with_nudged_lr(0.1 / 1.1)
            .with_lambda_max(10.0),
    )
    .unwrap();
    let theta = train::initial_theta(&model, &mut SplitMix64::new(3), 1.0).unwrap();
    let trained = train::train(&cml, &HalfPlanes, theta.clone(), &settings(300)).unwrap();
    assert_eq!(trained.dropped, 0);
    // The validation loss is the mean query cross-entropy (ln 2 ≈ 0.69 for a coin flip).
    assert!(trained.initial_validation_loss > 0.5);
    assert!(trained.best_validation_loss < 0.6 * trained.initial_validation_loss);
    // Evaluation also reports each task's query accuracy; meta-learning raises it.
    let mut rng = SplitMix64::new(99);
    let tasks: Vec<_> = (0..20)
        .map(|_| HalfPlanes.train_task(&mut rng).unwrap())
        .collect();
    let before = train::evaluate(&cml, &theta, &tasks, None, 2);
    let after = train::evaluate(&cml, &trained.theta, &tasks, None, 2);
    assert_eq!(after.accuracies.len(), tasks.len());
    let mean = |a: &[f64]| a.iter().sum::<f64>() / a.len() as f64;
    assert!(after.accuracies.iter().all(|a| (0.0..=1.0).contains(a)));
    assert!(mean(&after.accuracies) > mean(&before.accuracies));
}
