//! The digits family (`tinycml::digits`): the committed file is the one its README describes,
//! rotations are permutations, meta-training never sees digits 5–9, the held-out sets match
//! their published check values, and the JSON dump reloads bit for bit. The example's
//! baselines: its flags parse (and refuse what they should), transfer's new head learns, its
//! pre-training sees digits 0–4 only and lowers its validation loss, and MAML's second-order
//! gradient matches finite differences. Warped training tasks keep their labels and classes
//! and leave validation tasks alone; shifted support follows each image with its shifts.

#[path = "../examples/digits/args.rs"]
#[allow(dead_code)]
mod args;
#[path = "../examples/digits/baselines.rs"]
#[allow(dead_code)]
mod baselines;
#[path = "../examples/digits/evaluation.rs"]
#[allow(dead_code)]
mod evaluation;
#[path = "../examples/digits/family.rs"]
#[allow(dead_code)]
mod family;
#[path = "../examples/digits/heldout.rs"]
#[allow(dead_code)]
mod heldout;
#[path = "../examples/digits/net.rs"]
#[allow(dead_code)]
mod net;
#[path = "../examples/digits/transfer.rs"]
#[allow(dead_code)]
mod transfer;
#[path = "../examples/digits/warp.rs"]
#[allow(dead_code)]
mod warp;

pub use net::{DigitTask, Q, S};

use sha2::{Digest, Sha256};
use tinycml::digits::{
    self, rotate, ClassId, Digits, FormatError, Split, BUNDLED, BUNDLED_COUNTS, BUNDLED_IMAGES,
    HEADER, HELDOUT_SEED, HELDOUT_TASKS, PIXELS, QUERY_PER_CLASS, RECORD,
};
use tinycml::{Activation, Class, Error, Precision, SoftmaxCrossEntropy, SplitMix64, Task, Q16_16};

/// The SHA-256 in data/digits/README.md.
const SHA256: &str = "1a9f3877393436e211e39e59a1d8ad8dc6d51370e0d3e9b4df0c203469bb1557";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_committed_file_has_the_published_hash() {
    let path = format!("{}/data/digits/digits.bin", env!("CARGO_MANIFEST_DIR"));
    let file = std::fs::read(&path).unwrap();
    assert_eq!(hex(&Sha256::digest(&file)), SHA256);
    assert_eq!(file, BUNDLED, "the embedded bytes are the committed file");
}

#[test]
fn the_class_counts_are_the_published_ones() {
    let data = Digits::bundled();
    assert_eq!(data.len(), BUNDLED_IMAGES);
    assert_eq!(data.counts(), BUNDLED_COUNTS);
    assert_eq!(
        BUNDLED_COUNTS.iter().map(|&c| c as usize).sum::<usize>(),
        1797
    );
    // The first image of load_digits() is a 0.
    let (pixels, label) = data.image(0).unwrap();
    assert_eq!(label, 0);
    assert_eq!(&pixels[..8], &[0, 0, 5, 13, 9, 1, 0, 0]);
    assert!(data.image(BUNDLED_IMAGES).is_none());
}

#[test]
fn damage_is_named() {
    assert_eq!(
        Digits::parse(&BUNDLED[..5]).unwrap_err(),
        FormatError::Truncated
    );
    let mut bytes = BUNDLED.to_vec();
    bytes[0] = b'X';
    assert_eq!(Digits::parse(&bytes).unwrap_err(), FormatError::BadMagic);
    let mut bytes = BUNDLED.to_vec();
    bytes[4] = 2;
    assert_eq!(
        Digits::parse(&bytes).unwrap_err(),
        FormatError::UnsupportedVersion { found: 2 }
    );
    assert_eq!(
        Digits::parse(&BUNDLED[..BUNDLED.len() - 1]).unwrap_err(),
        FormatError::WrongLength {
            expected: BUNDLED.len(),
            found: BUNDLED.len() - 1
        }
    );
    let mut bytes = BUNDLED.to_vec();
    bytes[HEADER + RECORD * 3 + 10] = 17;
    assert_eq!(
        Digits::parse(&bytes).unwrap_err(),
        FormatError::BadPixel {
            image: 3,
            value: 17
        }
    );
    let mut bytes = BUNDLED.to_vec();
    bytes[HEADER + RECORD * 7 + PIXELS] = 10;
    assert_eq!(
        Digits::parse(&bytes).unwrap_err(),
        FormatError::BadLabel {
            image: 7,
            value: 10
        }
    );
}

#[test]
fn rotations_are_permutations_and_turn_counter_clockwise() {
    let image: [u8; 64] = core::array::from_fn(|i| i as u8);
    let mut turned = image;
    for turn in 1..=4 {
        turned = rotate(&turned, 1);
        assert_eq!(turned, rotate(&image, turn));
        let mut sorted = turned;
        sorted.sort_unstable();
        assert_eq!(sorted, image, "{turn} quarter turns permute the pixels");
    }
    assert_eq!(turned, image, "four quarter turns give the image back");
    // Counter-clockwise: the top-right pixel goes to the top-left, the top row becomes the
    // left column read bottom to top.
    let once = rotate(&image, 1);
    assert_eq!(once[0], image[7]);
    assert_eq!(once[8 * 7], image[0]);
    assert_eq!(rotate(&image, 2)[0], image[63]);
    // Inputs are the rotated pixels / 16.
    let data = Digits::bundled();
    let (pixels, _) = data.image(5).unwrap();
    let class = ClassId::new(5, 3).unwrap();
    let x = data.input(5, class).unwrap();
    let expected = rotate(&pixels, 3).map(|p| p as f64 / 16.0);
    assert_eq!(x, expected);
    assert_eq!((class.id(), class.digit(), class.degrees()), (23, 5, 270));
}

#[test]
fn meta_training_tasks_never_see_digits_five_to_nine() {
    let data = Digits::bundled();
    let mut rng = SplitMix64::new(1);
    let mut seen = [false; 40];
    for _ in 0..2000 {
        let (drawn, task) = data
            .sample::<f32, 25, 75>(&mut rng, Split::MetaTrain.classes(), 5, 5, 15)
            .unwrap();
        for &c in &drawn.classes {
            assert!(c.digit() <= 4 && c.id() < 20, "{c:?}");
            seen[c.id() as usize] = true;
        }
        for (&image, shot) in drawn.support_images.iter().zip(task.support()) {
            let (_, label) = data.image(image as usize).unwrap();
            assert!(label <= 4);
            assert_eq!(label, drawn.classes[shot.y.0 as usize].digit());
        }
        for &image in &drawn.query_images {
            assert!(data.image(image as usize).unwrap().1 <= 4);
        }
    }
    assert!(
        seen[..20].iter().all(|&s| s),
        "every training class is drawn"
    );
}

#[test]
fn a_task_has_distinct_images_per_class_and_labels_in_draw_order() {
    let data = Digits::bundled();
    let mut rng = SplitMix64::new(2);
    for _ in 0..200 {
        let (drawn, task) = data
            .sample::<Q16_16Act, 25, 75>(&mut rng, Split::MetaTest.classes(), 5, 5, 15)
            .unwrap();
        let classes: Vec<ClassId> = drawn.classes.to_vec();
        let mut sorted = classes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 5, "classes without replacement");
        for label in 0..5 {
            let support = &drawn.support_images[5 * label..5 * label + 5];
            let query = &drawn.query_images[15 * label..15 * label + 15];
            let mut all: Vec<u16> = support.iter().chain(query).copied().collect();
            all.sort_unstable();
            all.dedup();
            assert_eq!(all.len(), 20, "images without replacement within a class");
            for shot in &task.support()[5 * label..5 * label + 5] {
                assert_eq!(shot.y, Class(label as u16));
            }
            for shot in &task.query()[15 * label..15 * label + 15] {
                assert_eq!(shot.y, Class(label as u16));
            }
        }
    }
}

type Q16_16Act = <Q16_16 as Precision>::Act;

#[test]
fn bad_requests_are_refused_before_drawing() {
    let data = Digits::bundled();
    let mut rng = SplitMix64::new(3);
    let pool = Split::MetaTest.classes();
    let before = rng.clone();
    let too_many_ways = data.sample::<f32, 100, 100>(&mut rng, pool, 21, 1, 1);
    assert!(matches!(too_many_ways, Err(Error::InvalidConfig(_))));
    let small = data.sample::<f32, 4, 75>(&mut rng, pool, 5, 1, 15);
    assert_eq!(small.unwrap_err(), Error::TooManyShots { capacity: 4 });
    let twice = [pool[0], pool[1], pool[0]];
    let repeated = data.sample::<f32, 5, 75>(&mut rng, &twice, 2, 1, 15);
    assert!(matches!(repeated, Err(Error::InvalidConfig(_))));
    assert_eq!(rng, before, "nothing was drawn");
}

/// Order-sensitive checksums of one held-out set: Σ over tasks and labels of
/// (label + 1)·class id, Σ of every image index (support and query), Σ of every input.
fn checksums(shots: usize) -> (u64, u64, f64) {
    let data = Digits::bundled();
    let (mut classes, mut images, mut inputs) = (0u64, 0u64, 0.0f64);
    let mut n = 0;
    for item in digits::heldout::<f64, 25, 75>(&data, shots) {
        let (drawn, task) = item.unwrap();
        n += 1;
        for (label, c) in drawn.classes.iter().enumerate() {
            classes += (label as u64 + 1) * c.id() as u64;
        }
        images += drawn
            .support_images
            .iter()
            .chain(&drawn.query_images)
            .map(|&i| i as u64)
            .sum::<u64>();
        // Multiples of 1/16 below 2^40: the sum is exact in any order.
        inputs += task
            .support()
            .iter()
            .chain(task.query())
            .flat_map(|s| s.x)
            .sum::<f64>();
        assert_eq!(task.support().len(), 5 * shots);
        assert_eq!(task.query().len(), 5 * QUERY_PER_CLASS);
    }
    assert_eq!(n, HELDOUT_TASKS);
    (classes, images, inputs)
}

/// The check values published in README.md: task 0 of each set, and the checksums.
#[test]
fn heldout_sets_match_the_published_check_values() {
    let data = Digits::bundled();
    let ids =
        |drawn: &digits::Drawn<25, 75>| drawn.classes.iter().map(|c| c.id()).collect::<Vec<_>>();

    let (one, _) = digits::heldout::<f64, 25, 75>(&data, 1)
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(ids(&one), [24, 31, 25, 37, 35]);
    assert_eq!(one.support_images, [452, 1649, 1503, 92, 722]);
    assert_eq!(checksums(1), (220_880, 35_951_659, 782_069.125));

    let (five, _) = digits::heldout::<f64, 25, 75>(&data, 5)
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        ids(&five),
        [24, 31, 25, 37, 35],
        "separate generators, same seed"
    );
    assert_eq!(five.support_images[..5], [452, 196, 1063, 58, 1223]);
    assert_eq!(five.query_images[..3], [939, 474, 1773]);
    assert_eq!(checksums(5), (219_664, 45_029_698, 978_051.062_5));
    assert_eq!(HELDOUT_SEED, 20240601);
}

#[test]
fn heldout_sets_are_deterministic_and_the_same_in_every_format() {
    let data = Digits::bundled();
    for shots in [1, 5] {
        let a = digits::heldout::<f64, 25, 75>(&data, shots);
        let b = digits::heldout::<Q16_16Act, 25, 75>(&data, shots);
        for (x, y) in a.zip(b) {
            let ((dx, tx), (dy, ty)) = (x.unwrap(), y.unwrap());
            assert_eq!(dx, dy);
            // Pixels / 16 are exact in Q16.16 too.
            for (sx, sy) in tx
                .support()
                .iter()
                .chain(tx.query())
                .zip(ty.support().iter().chain(ty.query()))
            {
                assert_eq!(sx.y, sy.y);
                assert!(sx
                    .x
                    .iter()
                    .zip(&sy.x)
                    .all(|(&f, &q)| f == q.to_num::<f64>()));
            }
        }
    }
}

#[test]
fn the_json_dump_reloads_bit_for_bit() {
    let data = Digits::bundled();
    let path = format!("{}/digits-heldout.json", env!("CARGO_TARGET_TMPDIR"));
    heldout::dump(&data, &path).unwrap();
    let document = heldout::load(&path).unwrap();
    assert_eq!(document.seed, HELDOUT_SEED);
    assert_eq!(
        (document.ways, document.query_per_class),
        (5, QUERY_PER_CLASS)
    );
    let sets = heldout::sets(&data).unwrap();
    assert_eq!(document.sets.len(), sets.len());
    for (json, (shots, tasks)) in document.sets.iter().zip(&sets) {
        assert_eq!(json.shots, *shots);
        assert_eq!(json.tasks.len(), HELDOUT_TASKS);
        for (index, (j, (drawn, task))) in json.tasks.iter().zip(tasks).enumerate() {
            assert_eq!(j.index, index);
            for (label, (c, &id)) in j.classes.iter().zip(&drawn.classes).enumerate() {
                assert_eq!(c.label as usize, label);
                assert_eq!(
                    (c.id, c.digit, c.rotation_degrees),
                    (id.id(), id.digit(), id.degrees())
                );
            }
            for (side, shots, images) in [
                (&j.support, task.support(), &drawn.support_images[..]),
                (&j.query, task.query(), &drawn.query_images[..]),
            ] {
                assert_eq!(side.images, images);
                assert_eq!(side.labels.len(), shots.len());
                assert_eq!(side.inputs.len(), shots.len());
                for ((x, &y), shot) in side.inputs.iter().zip(&side.labels).zip(shots) {
                    assert_eq!(Class(y), shot.y);
                    assert_eq!(x.len(), PIXELS);
                    for (a, b) in x.iter().zip(&shot.x) {
                        assert_eq!(a.to_bits(), b.to_bits());
                    }
                }
            }
        }
    }
    std::fs::remove_file(&path).unwrap();
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_method_name_parses_and_all_means_all() {
    use args::{methods, parse, Method};
    for method in Method::ALL {
        assert_eq!(methods(method.name()).unwrap(), [method]);
        let options = parse(&strings(&["--method", method.name()])).unwrap();
        assert_eq!(options.methods, [method]);
    }
    assert_eq!(methods("all").unwrap(), Method::ALL);
    assert_eq!(
        parse(&[]).unwrap().methods,
        Method::DEFAULT,
        "the default run"
    );
    assert!(
        !Method::DEFAULT.contains(&Method::Dual),
        "the dual system only when asked"
    );
    let full = parse(&strings(&["--full"])).unwrap();
    assert_eq!(full.methods, [Method::Cml, Method::NoMeta, Method::Ncm]);
    assert_eq!(full.threads, 1, "--full meta-trains on one core");
    let judging = parse(&strings(&["--split-validation"])).unwrap();
    assert_eq!(judging.methods, [Method::Cml, Method::NoMeta, Method::Ncm]);
    assert!(judging.validate_only);
    assert_eq!(judging.shift_support, 0, "shifted support only when asked");
    let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(
        names,
        ["cml", "dual", "no-meta", "ncm", "transfer", "reptile", "maml"]
    );
}

#[test]
fn an_unknown_method_or_setting_is_a_clear_error() {
    use args::parse;
    let error = parse(&strings(&["--method", "protonets"])).unwrap_err();
    assert!(error.contains("unknown method \"protonets\""), "{error}");
    assert!(error.contains("cml, dual, no-meta, ncm, transfer, reptile, maml, or all"));
    assert!(parse(&strings(&["--set", "dual.mu=0"])).is_err());
    assert!(parse(&strings(&["--method"]))
        .unwrap_err()
        .contains("needs a value"));
    let error = parse(&strings(&["--set", "maml.momentum=0.9"])).unwrap_err();
    assert!(error.contains("unknown key"), "{error}");
    assert!(parse(&strings(&["--set", "reptile.lr=0"])).is_err());
    assert!(parse(&strings(&["--set", "head.normalize=3"])).is_err());
    assert!(parse(&strings(&["--set", "maml.steps"])).is_err());
    assert!(parse(&strings(&["--method", "ncm", "--export", "x.bin"])).is_err());
    assert!(parse(&strings(&["--full", "--smoke"])).is_err());
    assert!(parse(&strings(&["--seconds", "-1"])).is_err());
    let shifting = parse(&strings(&["--shift-support", "1"])).unwrap();
    assert_eq!(shifting.shift_support, 1);
    assert!(parse(&strings(&["--shift-support", "-1"])).is_err());
    assert!(
        parse(&strings(&["--shift-support", "5"])).is_err(),
        "5-shot tasks with their shifts do not fit the support buffers"
    );
}

#[test]
fn budgets_follow_the_flags() {
    use args::{parse, Budget, Method};
    let budget = |flags: &[&str], method| parse(&strings(flags)).unwrap().budget(method);
    let seconds = |s| Budget {
        seconds: Some(s),
        iterations: None,
    };
    assert_eq!(budget(&[], Method::Cml), seconds(120.0));
    assert_eq!(
        budget(&[], Method::Maml),
        seconds(10.0),
        "a baseline beside CML"
    );
    assert_eq!(budget(&["--method", "maml"], Method::Maml), seconds(120.0));
    assert_eq!(
        budget(&["--method", "reptile", "--full"], Method::Reptile),
        seconds(540.0)
    );
    assert_eq!(
        budget(&["--method", "all", "--full"], Method::Transfer),
        seconds(540.0)
    );
    assert_eq!(
        budget(&["--smoke"], Method::Cml),
        Budget {
            seconds: None,
            iterations: Some(args::SMOKE_ITERATIONS)
        },
        "the smoke run's θ (the board's prior) does not depend on the machine's speed"
    );
    assert_eq!(budget(&["--smoke"], Method::Transfer), seconds(1.0));
    assert_eq!(
        budget(&["--iterations", "50"], Method::Maml),
        Budget {
            seconds: None,
            iterations: Some(50)
        }
    );
}

/// 5-way tasks of the training classes (digits 0–4), in f32.
fn training_tasks(shots: usize, count: usize, seed: u64) -> Vec<DigitTask<f32>> {
    let data = Digits::bundled();
    let mut rng = SplitMix64::new(seed);
    (0..count)
        .map(|_| {
            data.sample(
                &mut rng,
                Split::MetaTrain.classes(),
                5,
                shots,
                QUERY_PER_CLASS,
            )
            .unwrap()
            .1
        })
        .collect()
}

/// The body of a 20-way classifier that has learned nothing: random features.
fn random_body() -> Vec<f32> {
    let wide = transfer::Wide::new(Activation::Relu);
    let theta = tinycml::train::initial_theta::<f32, _, { transfer::WIDE_P }>(
        &wide,
        &mut SplitMix64::new(3),
        1.0,
    )
    .unwrap();
    theta.omega()[..transfer::BODY_P].to_vec()
}

#[test]
fn a_new_head_on_random_features_beats_chance_and_fine_tuning_keeps_it() {
    let body = random_body();
    let hyper = args::Hyper::default();
    let adapter = transfer::Transfer::new(&body, &hyper).unwrap();
    let tasks = training_tasks(5, 20, 11);
    let outcomes = transfer::evaluate(&adapter, &tasks, 2);
    let mean = |f: fn(&transfer::Outcome) -> f64| {
        outcomes.iter().map(f).sum::<f64>() / outcomes.len() as f64
    };
    let (head, finetuned) = (mean(|o| o.head), mean(|o| o.finetuned));
    // Chance is 0.2; a linear head on 32 random ReLU features of 5-shot digits does far better.
    assert!(head > 0.5, "new head {head}");
    assert!(finetuned > 0.5, "fine-tuned {finetuned}");
    assert!(outcomes.iter().all(|o| !o.diverged));
    // Every scaling of the features learns.
    for normalize in [0, 2] {
        let hyper = args::Hyper {
            head_normalize: normalize,
            head_lr: if normalize == 0 { 0.05 } else { 4.0 },
            ..args::Hyper::default()
        };
        let adapter = transfer::Transfer::new(&body, &hyper).unwrap();
        let outcomes = transfer::evaluate(&adapter, &tasks, 2);
        let head = outcomes.iter().map(|o| o.head).sum::<f64>() / outcomes.len() as f64;
        assert!(head > 0.5, "head.normalize={normalize}: {head}");
    }
    // A wrong body is refused, not misread.
    assert!(transfer::Transfer::new(&body[1..], &hyper).is_err());
}

#[test]
fn the_fine_tuning_start_is_exactly_the_fitted_head() {
    // Per-task scaling is linear, so the fitted head folds into the 64-32-32-5 network: with
    // a rate too small to move it, fine-tuning classifies exactly as the head does.
    let body = random_body();
    let hyper = args::Hyper {
        head_normalize: 2,
        finetune_steps: 1,
        finetune_lr: 1e-9,
        ..args::Hyper::default()
    };
    let adapter = transfer::Transfer::new(&body, &hyper).unwrap();
    for task in training_tasks(1, 10, 12) {
        let outcome = adapter.evaluate(&task);
        assert!(
            (outcome.head - outcome.finetuned).abs() < 1e-9,
            "{outcome:?}"
        );
    }
}

#[test]
fn transfer_pre_trains_on_digits_zero_to_four_only_and_learns() {
    let data = Digits::bundled();
    let pool = Split::MetaTrain.classes();
    let images = transfer::training_images(&data, pool).unwrap();
    // Every image of digits 0–4, once per rotation, and nothing else.
    let expected: usize = BUNDLED_COUNTS[..5].iter().map(|&c| 4 * c as usize).sum();
    assert_eq!(images.len(), expected);
    assert!(images.iter().all(|s| (s.y.0 as usize) < pool.len()));
    let validation = training_tasks(5, 8, 13);
    let budget = args::Budget {
        seconds: None,
        iterations: Some(300),
    };
    let hyper = args::Hyper::default();
    let pretrained = transfer::pretrain(&data, pool, &validation, &hyper, 1, budget, 2, 2).unwrap();
    assert_eq!(pretrained.iterations, 300);
    assert_eq!(pretrained.body.len(), transfer::BODY_P);
    assert!(
        pretrained.best_validation_loss < 0.9 * pretrained.initial_validation_loss,
        "{} → {}",
        pretrained.initial_validation_loss,
        pretrained.best_validation_loss
    );
}

#[test]
fn maml_gradient_matches_finite_differences() {
    use tinycml::reference::{data_loss, loss_gradient};
    let maml = tinycml::train::Maml {
        model: net::model(),
        loss: SoftmaxCrossEntropy,
        steps: 3,
        lr: 0.2,
    };
    let task: DigitTask<f64> = training_tasks(1, 1, 14)[0].convert().unwrap();
    let model = net::model();
    let theta =
        tinycml::train::initial_theta::<f64, _, { net::P }>(&model, &mut SplitMix64::new(5), 1.0)
            .unwrap();
    let omega = theta.omega().to_vec();
    // The query loss after the unrolled steps, as a function of ω.
    let after = |omega: &[f64]| {
        let mut phi = omega.to_vec();
        for _ in 0..maml.steps {
            let g = loss_gradient(&model, &SoftmaxCrossEntropy, &phi, task.support());
            phi.iter_mut().zip(&g).for_each(|(p, g)| *p -= maml.lr * g);
        }
        data_loss(&model, &SoftmaxCrossEntropy, &phi, task.query())
    };
    let gradient = maml.gradient(&omega, &task).unwrap();
    let mut rng = SplitMix64::new(6);
    for _ in 0..3 {
        let u: Vec<f64> = (0..omega.len()).map(|_| rng.uniform(-1.0, 1.0)).collect();
        let eps = 1e-6;
        let shifted = |sign: f64| -> Vec<f64> {
            omega
                .iter()
                .zip(&u)
                .map(|(w, u)| w + sign * eps * u)
                .collect()
        };
        let numeric = (after(&shifted(1.0)) - after(&shifted(-1.0))) / (2.0 * eps);
        let analytic: f64 = gradient.iter().zip(&u).map(|(g, u)| g * u).sum();
        assert!(
            (numeric - analytic).abs() <= 1e-5 * analytic.abs().max(1e-3),
            "finite difference {numeric}, MAML {analytic}"
        );
    }
    // First order (dropping the Hessian terms) is measurably different: the test can fail.
    let mut phi = omega.clone();
    for _ in 0..maml.steps {
        let g = loss_gradient(&model, &SoftmaxCrossEntropy, &phi, task.support());
        phi.iter_mut().zip(&g).for_each(|(p, g)| *p -= maml.lr * g);
    }
    let first_order = loss_gradient(&model, &SoftmaxCrossEntropy, &phi, task.query());
    let difference: f64 = first_order
        .iter()
        .zip(&gradient)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!(difference > 1e-3 * tinycml::reference::norm(&gradient));
}

#[test]
fn nearest_class_mean_is_perfect_on_copies_and_median_is_the_middle() {
    // Query images that are the support images: the nearest mean is their own class.
    let task = &training_tasks(1, 1, 15)[0];
    let task: DigitTask<f64> = task.convert().unwrap();
    let copy: DigitTask<f64> = Task::from_shots(task.support(), task.support()).unwrap();
    assert_eq!(baselines::nearest_class_mean(&copy), 1.0);
    let stats = evaluation::Stats::of(&[0.2, 1.0, 0.4, 0.6], 1);
    assert!((stats.mean - 55.0).abs() < 1e-9);
    assert!((stats.median - 50.0).abs() < 1e-9);
    assert_eq!(stats.diverged, 1);
}

/// The meta-training family with warps of these strengths, its support shifted or not.
fn family(class: f64, image: f64, shift_up_to: usize) -> family::Family {
    family::Family {
        data: Digits::bundled(),
        mix: true,
        train_pool: Split::MetaTrain.classes().to_vec(),
        validation_pool: Split::MetaTrain.classes().to_vec(),
        warp: warp::WarpStrength { class, image },
        shift: net::ShiftSupport { up_to: shift_up_to },
    }
}

/// Warped training tasks: the same classes, labels and draw as unwarped ones from the same
/// seed, images changed and still in [0, 1]; validation tasks are never warped.
#[test]
fn warps_change_training_images_only() {
    use tinycml::train::TaskSource;
    let (plain, warped) = (family(0.0, 0.0, 0), family(1.5, 1.0, 0));
    let mut changed = 0;
    for seed in 0..20 {
        let a = plain.train_task(&mut SplitMix64::new(seed)).unwrap();
        let b = warped.train_task(&mut SplitMix64::new(seed)).unwrap();
        assert_eq!(a.support().len(), b.support().len());
        assert_eq!(a.query().len(), b.query().len());
        for (x, y) in a
            .support()
            .iter()
            .chain(a.query())
            .zip(b.support().iter().chain(b.query()))
        {
            assert_eq!(x.y, y.y);
            assert!(y.x.iter().all(|v| (0.0..=1.0).contains(v)));
            changed += usize::from(x.x != y.x);
        }
        let va = plain.validation_task(&mut SplitMix64::new(seed)).unwrap();
        let vb = warped.validation_task(&mut SplitMix64::new(seed)).unwrap();
        assert!(va
            .support()
            .iter()
            .zip(vb.support())
            .all(|(x, y)| x.x == y.x && x.y == y.y));
    }
    // 20 tasks of 10 or 30 shots: every image should be moved by its warp.
    assert!(changed >= 190, "only {changed} warped images differ");
}

/// With the support of 1-shot tasks shifted, such a training or validation task is the task
/// drawn without it (the shifts draw nothing), each support image followed by its four
/// one-pixel shifts, the query untouched; 5-shot tasks are left as drawn.
#[test]
fn shifted_support_follows_each_image_with_its_shifts() {
    use tinycml::digits::shift::{shifted, ONE_PIXEL, VARIANTS};
    use tinycml::train::TaskSource;
    let (plain, with_shifts) = (family(1.5, 1.0, 0), family(1.5, 1.0, 1));
    let mut one_shot = 0;
    for seed in 0..10 {
        let pairs = [
            (
                plain.train_task(&mut SplitMix64::new(seed)).unwrap(),
                with_shifts.train_task(&mut SplitMix64::new(seed)).unwrap(),
            ),
            (
                plain.validation_task(&mut SplitMix64::new(seed)).unwrap(),
                with_shifts
                    .validation_task(&mut SplitMix64::new(seed))
                    .unwrap(),
            ),
        ];
        for (a, b) in pairs {
            assert_eq!(a.query(), b.query());
            if a.support().len() > 5 {
                assert_eq!(a.support(), b.support(), "5-shot tasks are not shifted");
                continue;
            }
            one_shot += 1;
            assert_eq!(b.support().len(), VARIANTS * a.support().len());
            for (shot, group) in a.support().iter().zip(b.support().chunks(VARIANTS)) {
                assert_eq!(group[0], *shot);
                for (&(down, right), copy) in ONE_PIXEL.iter().zip(&group[1..]) {
                    assert_eq!(copy.y, shot.y);
                    assert_eq!(copy.x, shifted(&shot.x, down, right, 0.0));
                }
            }
        }
    }
    assert!(one_shot >= 5, "only {one_shot} of 20 tasks were 1-shot");
}
