//! Inputs that try to break the library: seeded random cases, a fixed number per target, on
//! the decoders, on `verify`'s problem parser and on the public API.
//!
//! Each target draws its cases from the library's own [`SplitMix64`] (so a failure is
//! reproduced by its seed and case number), runs each under `catch_unwind`, and asserts the
//! properties the library promises:
//!
//! - **no panic** on any input;
//! - **no accepted corruption**: a decoder that returns `Ok` for bytes that differ from an
//!   export without a matching checksum would load damaged θ; an export whose checksum was
//!   recomputed after the damage may load, but then it must re-encode to the same bytes (no
//!   byte is silently ignored);
//! - **no state changed on error**: after every failed call θ and the optimiser's state are
//!   bit-identical to before; after every successful meta-step θ is usable and λ > 0.
//!
//! The counts are printed (`cargo test --test properties -- --nocapture`) and sized so that
//! all targets together take seconds in a release build. Every failure found by a run
//! becomes a named regression test in `bad_input.rs`, `store.rs` or `verify.rs`.

#[path = "../examples/verify/mod.rs"]
#[allow(dead_code)]
mod app;

use std::panic::{catch_unwind, AssertUnwindSafe};
use tinycml::dual::{DualCml, DualMetaGradient, DualState, DualSystem, DualWorkspace};
use tinycml::store::{decode, decode_dual, encode, encode_dual, encoded_dual_len, encoded_len};
use tinycml::*;

/// Cases per target. The decoders are cheap; the API cases run short inner loops.
const DECODER_CASES: u32 = 400_000;
const PARSER_CASES: u32 = 20_000;
const API_CASES: u32 = 20_000;

/// What one target saw: cases tried, panics caught, and property violations.
#[derive(Default, Debug)]
struct Tally {
    cases: u32,
    panics: u32,
    accepted_corruptions: u32,
    states_changed_on_error: u32,
    errors: u32,
    updates: u32,
}

impl Tally {
    /// Runs one case under `catch_unwind`; a panic is counted, not propagated.
    fn run(&mut self, case: impl FnOnce(&mut Self)) {
        self.cases += 1;
        let mut inner = Tally::default();
        match catch_unwind(AssertUnwindSafe(|| case(&mut inner))) {
            Ok(()) => {
                self.accepted_corruptions += inner.accepted_corruptions;
                self.states_changed_on_error += inner.states_changed_on_error;
                self.errors += inner.errors;
                self.updates += inner.updates;
            }
            Err(_) => self.panics += 1,
        }
    }

    /// Prints the counts and asserts the three properties.
    fn report(&self, target: &str) {
        println!(
            "{target}: {} cases, {} errors returned, {} updates applied, {} panics, \
             {} accepted corruptions, {} states changed on error",
            self.cases,
            self.errors,
            self.updates,
            self.panics,
            self.accepted_corruptions,
            self.states_changed_on_error
        );
        assert_eq!(self.panics, 0, "{target}: panics");
        assert_eq!(
            self.accepted_corruptions, 0,
            "{target}: accepted corruptions"
        );
        assert_eq!(
            self.states_changed_on_error, 0,
            "{target}: states changed on error"
        );
    }
}

/// True one time in `n`.
fn one_in(rng: &mut SplitMix64, n: u64) -> bool {
    rng.next_u64().is_multiple_of(n)
}

/// A value from the edges as often as from the middle: NaN, infinities, huge, subnormal,
/// the rails of Q16.16 and Q8.24, zeros of both signs, ordinary values.
fn wild(rng: &mut SplitMix64) -> f64 {
    let sign = if rng.next_u64() & 1 == 0 { 1.0 } else { -1.0 };
    match rng.next_u64() % 14 {
        0 => f64::NAN,
        1 => sign * f64::INFINITY,
        2 => sign * 1e300,
        3 => sign * f64::MIN_POSITIVE * rng.next_f64(),
        4 => sign * 32_768.0,
        5 => sign * (32_768.0 - 1.0 / 65_536.0),
        6 => sign * 128.0,
        7 => sign * 0.0,
        8 => sign * 1e38 * rng.uniform(1.0, 4.0),
        9 => sign * 1e-9,
        _ => rng.uniform(-3.0, 3.0),
    }
}

/// A step count: mostly small, sometimes 0 or beyond [`cml::MAX_STEPS`].
fn steps(rng: &mut SplitMix64) -> u32 {
    match rng.next_u64() % 10 {
        0 => 0,
        1 => cml::MAX_STEPS + 1 + (rng.next_u64() % 1000) as u32,
        2 => u32::MAX,
        _ => 1 + (rng.next_u64() % 12) as u32,
    }
}

/// A positive setting, or one time in ten a wild one.
fn setting(rng: &mut SplitMix64, typical: f64) -> f64 {
    if one_in(rng, 10) {
        wild(rng)
    } else {
        typical * rng.uniform(0.1, 3.0)
    }
}

fn random_config(rng: &mut SplitMix64) -> Config {
    let mut config = Config::default()
        .with_free_steps(steps(rng))
        .with_nudged_steps(steps(rng))
        .with_free_lr(setting(rng, 0.05))
        .with_nudged_lr(setting(rng, 0.05))
        .with_beta(setting(rng, 0.1))
        .with_lambda_min(setting(rng, 1e-3))
        .with_lambda_max(setting(rng, 5.0));
    config.estimator = [Estimator::Standard, Estimator::Symmetric][(rng.next_u64() % 2) as usize];
    config.learn = [Learn::Both, Learn::Omega, Learn::Lambda][(rng.next_u64() % 3) as usize];
    config
}

// ---------------------------------------------------------------------------------------
// The decoders
// ---------------------------------------------------------------------------------------

type Small = Mlp<2, 5, 4>;
const SP: usize = Small::PARAMS;
type SmallDual = DualSystem<2, Layer<4, Layer<2>>>;
const DB: usize = SmallDual::BODY;
const DF: usize = SmallDual::FAST;

fn synapse_export(rng: &mut SplitMix64) -> Vec<u8> {
    let cml = Cml::<f64, _, SP>::new(Small::new(Activation::Tanh), Config::default()).unwrap();
    let omega = core::array::from_fn(|_| rng.uniform(-2.0, 2.0));
    let lambda = core::array::from_fn(|_| rng.uniform(0.01, 50.0));
    let theta = ComplexSynapse::<f64, SP>::new(omega, lambda).unwrap();
    let mut bytes = vec![0u8; encoded_len(SP)];
    encode(&cml, &theta, &mut bytes).unwrap();
    bytes
}

fn dual_export(rng: &mut SplitMix64, mu: Option<f64>) -> Vec<u8> {
    let system = SmallDual::new(Activation::Tanh);
    let cml = DualCml::<f64, _, DB, DF>::new(system, Config::default(), mu).unwrap();
    let body = core::array::from_fn(|_| rng.uniform(-1.0, 1.0));
    let init = core::array::from_fn(|_| rng.uniform(-1.0, 1.0));
    let theta = DualState::<f64, DB, DF>::new(body, init).unwrap();
    let mut bytes = vec![0u8; encoded_dual_len(DB, DF)];
    encode_dual(&cml, &theta, &mut bytes).unwrap();
    bytes
}

/// Recomputes the checksum, as a forger (or a bug writing the file) would.
fn reseal(bytes: &mut [u8]) {
    if bytes.len() >= 4 {
        let body = bytes.len() - 4;
        let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(&bytes[..body]);
        bytes[body..].copy_from_slice(&crc.to_le_bytes());
    }
}

/// One damaged copy of `original`: random bytes, bit flips, a truncation, an extension, or a
/// header edit; `true` when the checksum was recomputed afterwards.
fn damage(rng: &mut SplitMix64, original: &[u8]) -> (Vec<u8>, bool) {
    let mut bytes = original.to_vec();
    let mut resealed = false;
    match rng.next_u64() % 6 {
        0 => {
            let len = (rng.next_u64() % (original.len() as u64 + 64)) as usize;
            bytes = (0..len).map(|_| rng.next_u64() as u8).collect();
            if len >= 4 && one_in(rng, 2) {
                bytes[..4].copy_from_slice(b"TCML");
            }
        }
        1 => {
            for _ in 0..1 + rng.next_u64() % 8 {
                let bit = (rng.next_u64() % (8 * bytes.len() as u64)) as usize;
                bytes[bit / 8] ^= 1 << (bit % 8);
            }
        }
        2 => bytes.truncate((rng.next_u64() % original.len() as u64) as usize),
        3 => bytes.extend((0..1 + rng.next_u64() % 16).map(|_| rng.next_u64() as u8)),
        _ => {
            // Header edits behind a valid checksum: the settings, shape and reserved bytes
            // are then all the decoder has to go on.
            let header = 136.min(bytes.len() - 4);
            for _ in 0..1 + rng.next_u64() % 3 {
                let at = (rng.next_u64() % header as u64) as usize;
                bytes[at] = match rng.next_u64() % 3 {
                    0 => 0,
                    1 => 0xff,
                    _ => rng.next_u64() as u8,
                };
            }
            reseal(&mut bytes);
            resealed = true;
        }
    }
    (bytes, resealed)
}

/// Decodes a damaged export with `decode` (to `f64` θ, whose values convert exactly) and
/// checks the outcome: an `Ok` for changed bytes without a recomputed checksum is an
/// accepted corruption; an `Ok` behind a recomputed checksum must re-encode to its bytes.
fn decoder_target(
    name: &str,
    exports: impl Fn(&mut SplitMix64) -> Vec<u8>,
    decode_and_reencode: impl Fn(&[u8]) -> Result<Vec<u8>, Error>,
) {
    let mut rng = SplitMix64::new(0xdec0de);
    let mut tally = Tally::default();
    let originals: Vec<Vec<u8>> = (0..8).map(|_| exports(&mut rng)).collect();
    for original in &originals {
        assert_eq!(decode_and_reencode(original).as_ref(), Ok(original));
    }
    for case in 0..DECODER_CASES {
        let original = &originals[case as usize % originals.len()];
        let (bytes, resealed) = damage(&mut rng, original);
        tally.run(|t| match decode_and_reencode(&bytes) {
            Err(_) => t.errors += 1,
            Ok(reencoded) => {
                let changed = bytes != *original;
                if (changed && !resealed) || reencoded != bytes {
                    t.accepted_corruptions += 1;
                    eprintln!("{name} case {case}: accepted {bytes:02x?}");
                }
            }
        });
    }
    tally.report(name);
}

#[test]
fn the_synapse_decoder_refuses_every_corruption_and_never_panics() {
    let model = Small::new(Activation::Tanh);
    decoder_target("store::decode", synapse_export, |bytes| {
        let (cml, theta) = decode::<f64, _, SP>(&model, bytes)?;
        let mut out = vec![0u8; encoded_len(SP)];
        encode(&cml, &theta, &mut out)?;
        Ok(out)
    });
}

#[test]
fn the_dual_decoder_refuses_every_corruption_and_never_panics() {
    let system = SmallDual::new(Activation::Tanh);
    let exports = |rng: &mut SplitMix64| {
        let mu = one_in(rng, 2).then_some(0.5);
        dual_export(rng, mu)
    };
    decoder_target("store::decode_dual", exports, |bytes| {
        let (cml, theta) = decode_dual::<f64, _, DB, DF, _>(&system, SquaredError, bytes)?;
        let mut out = vec![0u8; encoded_dual_len(DB, DF)];
        encode_dual(&cml, &theta, &mut out)?;
        Ok(out)
    });
}

#[test]
fn the_decoders_never_panic_on_damaged_exports_in_the_device_format() {
    let model = Small::new(Activation::Tanh);
    let system = SmallDual::new(Activation::Tanh);
    let mut rng = SplitMix64::new(0xf1ed);
    let mut tally = Tally::default();
    let synapse = synapse_export(&mut rng);
    let dual = dual_export(&mut rng, Some(0.5));
    for case in 0..DECODER_CASES / 4 {
        let (original, is_dual) = if case % 2 == 0 {
            (&synapse, false)
        } else {
            (&dual, true)
        };
        let (bytes, resealed) = damage(&mut rng, original);
        tally.run(|t| {
            let accepted = if is_dual {
                decode_dual::<Q16_16, _, DB, DF, _>(&system, SquaredError, &bytes).is_ok()
            } else {
                decode::<Q16_16, _, SP>(&model, &bytes).is_ok()
            };
            if !accepted {
                t.errors += 1;
            } else if bytes != *original && !resealed {
                t.accepted_corruptions += 1;
            }
        });
    }
    tally.report("store decoders in Q16.16");
}

// ---------------------------------------------------------------------------------------
// verify's problem parser
// ---------------------------------------------------------------------------------------

fn shipped_problems() -> Vec<serde_json::Value> {
    let dir = format!("{}/examples/problems", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    names.sort();
    names
        .iter()
        .map(|path| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
        .collect()
}

/// A JSON value to put where another was: wrong types, edge numbers, empty containers.
fn wild_json(rng: &mut SplitMix64) -> serde_json::Value {
    use serde_json::json;
    match rng.next_u64() % 10 {
        0 => json!(null),
        1 => json!("relu"),
        2 => json!([]),
        3 => json!({}),
        4 => json!(u32::MAX),
        5 => json!(-1),
        6 => json!(1e308),
        7 => json!(vec![
            wild(rng).clamp(-1e300, 1e300);
            (rng.next_u64() % 50) as usize
        ]),
        8 => json!(true),
        _ => json!(wild(rng).clamp(-1e300, 1e300)),
    }
}

/// Changes, removes or replaces one field somewhere in `value`.
fn mutate_json(rng: &mut SplitMix64, value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth((rng.next_u64() % map.len() as u64) as usize);
            let key = key.unwrap().clone();
            match rng.next_u64() % 4 {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    map.insert(key, wild_json(rng));
                }
                _ => mutate_json(rng, map.get_mut(&key).unwrap()),
            }
        }
        Value::Array(items) if !items.is_empty() => match rng.next_u64() % 4 {
            0 => {
                items.pop();
            }
            1 => items.push(wild_json(rng)),
            _ => {
                let at = (rng.next_u64() % items.len() as u64) as usize;
                mutate_json(rng, &mut items[at]);
            }
        },
        _ => *value = wild_json(rng),
    }
}

#[test]
fn the_verify_parser_returns_an_error_for_any_broken_file_and_never_panics() {
    let problems = shipped_problems();
    for problem in &problems {
        assert!(app::problem::parse(&problem.to_string()).is_ok());
    }
    let mut rng = SplitMix64::new(0x7e51f7);
    let mut tally = Tally::default();
    for case in 0..PARSER_CASES {
        let text = match case % 4 {
            // Random bytes, mostly printable JSON punctuation.
            0 => {
                let alphabet = b"{}[]:,\"0123456789.eE-+ntrufalsxyz \n\\";
                let len = rng.next_u64() % 200;
                let bytes: Vec<u8> = (0..len)
                    .map(|_| alphabet[(rng.next_u64() % alphabet.len() as u64) as usize])
                    .collect();
                String::from_utf8_lossy(&bytes).into_owned()
            }
            // A shipped problem cut short.
            1 => {
                let text = problems[case as usize % problems.len()].to_string();
                let mut cut = (rng.next_u64() % text.len() as u64) as usize;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text[..cut].to_string()
            }
            // A shipped problem with a few fields changed, removed or replaced.
            _ => {
                let mut value = problems[case as usize % problems.len()].clone();
                for _ in 0..1 + rng.next_u64() % 3 {
                    mutate_json(&mut rng, &mut value);
                }
                value.to_string()
            }
        };
        tally.run(|t| {
            if app::problem::parse(&text).is_err() {
                t.errors += 1;
            }
        });
    }
    tally.report("verify's problem parser");
}

// ---------------------------------------------------------------------------------------
// The public API
// ---------------------------------------------------------------------------------------

type Net = Network<2, Layer<4, Layer<1>>>;
const NP: usize = Net::PARAMS;
type A<N> = <N as Precision>::Act;
type SmallTask<N> = Task<A<N>, 2, 4, 4>;

/// The exact bits of a sequence of values.
fn bits<S: Scalar>(values: &[S]) -> Vec<u64> {
    values.iter().map(|v| v.to_f64().to_bits()).collect()
}

/// A task of up to 4 support and 4 query shots with wild values; shots the format refuses
/// are left out (after checking that they were refused with a typed error, not a panic).
fn random_task<N: Precision>(rng: &mut SplitMix64) -> SmallTask<N> {
    let mut task = SmallTask::<N>::new();
    let adversarial = one_in(rng, 3);
    for query in [false, true] {
        for _ in 0..rng.next_u64() % 6 {
            let value = |rng: &mut SplitMix64| {
                if adversarial {
                    wild(rng)
                } else {
                    rng.uniform(-2.0, 2.0)
                }
            };
            let x = [value(rng), value(rng)];
            let Ok(shot) = Shot::<A<N>, 2>::new(&x, value(rng)) else {
                continue;
            };
            // A full buffer refuses the shot with an error; the task keeps what it had.
            let _ = if query {
                task.push_query(shot)
            } else {
                task.push_support(shot)
            };
        }
    }
    task
}

fn random_theta<N: Precision, const P: usize>(
    rng: &mut SplitMix64,
) -> Option<ComplexSynapse<N, P>> {
    let scale = [0.5, 5.0, 100.0][(rng.next_u64() % 3) as usize];
    let value = |rng: &mut SplitMix64, lo: f64| {
        if one_in(rng, 50) {
            wild(rng)
        } else {
            rng.uniform(lo, scale)
        }
    };
    let omega = core::array::from_fn(|_| N::Param::from_f64(value(rng, -scale)));
    let lambda = core::array::from_fn(|_| N::Param::from_f64(value(rng, 0.0)));
    if omega.iter().chain(&lambda).any(Option::is_none) {
        return None;
    }
    ComplexSynapse::new(omega.map(Option::unwrap), lambda.map(Option::unwrap)).ok()
}

/// θ and optimiser state as bits, to compare before and after a call.
fn snapshot<N: Precision, O: std::fmt::Debug>(
    theta: &ComplexSynapse<N, NP>,
    optimizer: &O,
) -> (Vec<u64>, Vec<u64>, String) {
    (
        bits(theta.omega()),
        bits(theta.lambda()),
        // Debug prints every float so that it parses back to the same bits.
        format!("{optimizer:?}"),
    )
}

/// One API case: a random rule, θ, tasks and optimiser; every call checked.
fn api_case<N: Precision>(rng: &mut SplitMix64, t: &mut Tally) {
    let config = random_config(rng);
    let Ok(cml) = Cml::<N, _, NP>::new(Net::new(Activation::Tanh), config) else {
        t.errors += 1;
        return;
    };
    let Some(mut theta) = random_theta::<N, NP>(rng) else {
        t.errors += 1;
        return;
    };
    let tasks: Vec<SmallTask<N>> = (0..rng.next_u64() % 4)
        .map(|_| random_task::<N>(rng))
        .collect();
    let mut ws = Workspace::<N, NP>::new();
    let mut batch = MetaGradient::<N, NP>::new();
    let (mut phi, mut grad) = ([N::Param::ZERO; NP], [N::Param::ZERO; NP]);

    if let Some(task) = tasks.first() {
        let steps = one_in(rng, 2).then(|| steps(rng));
        if cml.adapt(&theta, task, steps, &mut phi, &mut grad).is_err() {
            t.errors += 1;
        }
        let _ = cml.predict(&phi, &[wild(rng), wild(rng)]);
        let _ = cml.classify(theta.omega(), &[wild(rng) as f32, 0.5f32]);
        if cml.estimate(&theta, task, &mut ws).is_err() {
            t.errors += 1;
        }
    }

    let lr = setting(rng, 0.05);
    let mut check = |result: Result<(), Error>, before, after| match result {
        Err(_) => {
            t.errors += 1;
            if before != after {
                t.states_changed_on_error += 1;
            }
        }
        Ok(()) => {
            t.updates += 1;
            if !theta_usable(&after) {
                t.states_changed_on_error += 1;
            }
        }
    };
    if one_in(rng, 2) {
        let Ok(mut sgd) = Sgd::<N>::new(lr) else {
            return;
        };
        let before = snapshot(&theta, &sgd);
        let result = cml
            .meta_step(&mut theta, &tasks, &mut ws, &mut batch, &mut sgd)
            .map(|_| ());
        check(result, before, snapshot(&theta, &sgd));
        // The optimiser alone, on a sum of wild values ("apply" without a batch).
        let sums: [N::Param; NP] =
            core::array::from_fn(|_| N::Param::from_f64_saturating(wild(rng)));
        let tasks = (rng.next_u64() % 3) as u32;
        let before = snapshot(&theta, &sgd);
        let result = sgd.step(&mut theta, &sums, &sums, tasks, &cml.bounds());
        check(result, before, snapshot(&theta, &sgd));
    } else {
        let Ok(adam) = Adam::<N, NP>::new(lr) else {
            return;
        };
        let mut adam = Box::new(adam.log_lambda(one_in(rng, 2)));
        let before = snapshot(&theta, &adam);
        let result = cml
            .meta_step(&mut theta, &tasks, &mut ws, &mut batch, adam.as_mut())
            .map(|_| ());
        check(result, before, snapshot(&theta, &adam));
        let sums: [N::Param; NP] =
            core::array::from_fn(|_| N::Param::from_f64_saturating(wild(rng)));
        let tasks = (rng.next_u64() % 3) as u32;
        let before = snapshot(&theta, &adam);
        let result = adam.step(&mut theta, &sums, &sums, tasks, &cml.bounds());
        check(result, before, snapshot(&theta, &adam));
    }
}

/// After a successful step: every value usable and every λ > 0 (as bits of `f64`).
fn theta_usable((omega, lambda, _): &(Vec<u64>, Vec<u64>, String)) -> bool {
    omega.iter().all(|&b| f64::from_bits(b).is_finite())
        && lambda
            .iter()
            .all(|&b| f64::from_bits(b).is_finite() && f64::from_bits(b) > 0.0)
}

type Dual = DualSystem<2, Layer<4, Layer<1>>>;
const B: usize = Dual::BODY;
const F: usize = Dual::FAST;

/// One dual-system case: a random rule, θ, tasks and optimisers; every call checked.
fn dual_case<N: Precision>(rng: &mut SplitMix64, t: &mut Tally) {
    let system = Dual::new(Activation::Tanh);
    let mu = match rng.next_u64() % 3 {
        0 => None,
        1 => Some(setting(rng, 0.5)),
        _ => Some(wild(rng)),
    };
    let Ok(cml) = DualCml::<N, _, B, F>::new(system, random_config(rng), mu) else {
        t.errors += 1;
        return;
    };
    let body = core::array::from_fn(|_| N::Param::from_f64_saturating(rng.uniform(-1.5, 1.5)));
    let Ok(mut theta) = DualState::<N, B, F>::with_initial_fast(&system, body) else {
        t.errors += 1;
        return;
    };
    let tasks: Vec<SmallTask<N>> = (0..rng.next_u64() % 4)
        .map(|_| random_task::<N>(rng))
        .collect();
    let mut ws = DualWorkspace::<N, F>::new();
    let mut batch = DualMetaGradient::<N, B, F>::new();
    if let Some(task) = tasks.first() {
        let (phi, grad) = ws.adapt_buffers();
        let steps = one_in(rng, 2).then(|| steps(rng));
        if cml.adapt(&theta, task, steps, phi, grad).is_err() {
            t.errors += 1;
        }
        let _ = cml.predict(&theta, phi, &[wild(rng), wild(rng)]);
    }
    let lr = setting(rng, 0.05);
    let (Ok(mut body_sgd), Ok(init_adam)) = (Sgd::<N>::new(lr), Adam::<N, F>::new(lr)) else {
        return;
    };
    let mut init_adam = Box::new(init_adam);
    let state = |theta: &DualState<N, B, F>, adam: &Adam<N, F>| {
        (bits(theta.body()), bits(theta.init()), format!("{adam:?}"))
    };
    let before = state(&theta, &init_adam);
    let result = cml.meta_step(
        &mut theta,
        &tasks,
        &mut ws,
        &mut batch,
        &mut body_sgd,
        init_adam.as_mut(),
    );
    match result {
        Ok(_) => t.updates += 1,
        Err(_) => {
            t.errors += 1;
            if state(&theta, &init_adam) != before {
                t.states_changed_on_error += 1;
            }
        }
    }
}

fn api_target<N: Precision>(seed: u64) {
    let mut rng = SplitMix64::new(seed);
    let mut tally = Tally::default();
    for _ in 0..API_CASES {
        tally.run(|t| api_case::<N>(&mut rng, t));
    }
    tally.report(&format!("Cml API in {}", N::name()));
    let mut tally = Tally::default();
    for _ in 0..API_CASES / 2 {
        tally.run(|t| dual_case::<N>(&mut rng, t));
    }
    tally.report(&format!("DualCml API in {}", N::name()));
}

#[test]
fn the_api_never_panics_and_never_changes_state_on_error_f32() {
    api_target::<f32>(1);
}

#[test]
fn the_api_never_panics_and_never_changes_state_on_error_f64() {
    api_target::<f64>(2);
}

#[test]
fn the_api_never_panics_and_never_changes_state_on_error_fixed_point() {
    api_target::<Q16_16>(3);
}

#[test]
fn shots_and_tasks_refuse_wild_values_with_a_typed_error() {
    let mut rng = SplitMix64::new(4);
    let mut tally = Tally::default();
    for _ in 0..DECODER_CASES / 4 {
        let (x, y) = ([wild(&mut rng), wild(&mut rng)], wild(&mut rng));
        tally.run(|t| {
            let fixed = Shot::<A<Q16_16>, 2>::new(&x, y);
            let float = Shot::<f32, 2>::new(&x, y);
            for result in [fixed.map(|_| ()), float.map(|_| ())] {
                if result.is_err() {
                    t.errors += 1;
                }
            }
            // An accepted fixed-point shot holds no rail value.
            if let Ok(shot) = fixed {
                if !shot.x.iter().chain([&shot.y]).all(|v| v.is_usable()) {
                    t.accepted_corruptions += 1;
                }
            }
        });
    }
    tally.report("Shot::new");
}
