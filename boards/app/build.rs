//! Decodes the committed prior exports with tinycml's own reader and turns each into `const`
//! bit arrays, so firmware can keep θ in flash (`ComplexSynapse::from_bits` or
//! `DualState::from_bits` in a `static`).
//! It also draws, once and on the host, the seeded starting θ of the on-device meta-learning
//! stage, so that θ can be a `static` initialised at load time (no large stack temporaries).
//!
//! For the digits firmware it writes `digits-5-9.bin`: the images of digits 5–9 (the
//! meta-test classes) cut out of the library's bundled file, in the same format and file
//! order. The held-out sampler only looks at the pooled digits' images in file order, so it
//! draws the same tasks from this 58 KB file as from the 117 KB one (a host test checks all
//! 500), and the board's flash holds only what the held-out tasks can use.

use std::fmt::Write as _;
use std::path::Path;
use tinycml::dual::{DualState, DualSystem};
use tinycml::SquaredError;
use tinycml::{digits, store, Activation, Cml, Config, Mlp, Scalar, Q16_16};
use tinycml::{ComplexSynapse, Layer, Network, Precision, SoftmaxCrossEntropy, SplitMix64};

type Param = <Q16_16 as Precision>::Param;

/// Seed of the starting θ of on-device meta-learning.
const INIT_SEED: u64 = 20221128;

fn array(out: &mut String, name: &str, doc: &str, bits: impl Iterator<Item = i32>) {
    sized_array(out, name, "P", doc, bits);
}

/// `pub const NAME: [i32; LEN] = […];` with its doc line.
fn sized_array(
    out: &mut String,
    name: &str,
    len: &str,
    doc: &str,
    bits: impl Iterator<Item = i32>,
) {
    let values: Vec<String> = bits.map(|b| b.to_string()).collect();
    writeln!(out, "    /// {doc}").unwrap();
    writeln!(
        out,
        "    pub const {name}: [i32; {len}] = [{}];",
        values.join(",")
    )
    .unwrap();
}

/// `c` as a `const` expression: `Config` is `#[non_exhaustive]`, so the builder, not a struct
/// literal. The derived `Debug` of an enum is its variant's name.
fn config_literal(c: &Config) -> String {
    let f = |v: f64| format!("f64::from_bits({:#x})", v.to_bits());
    format!(
        "tinycml::Config::new().with_free_steps({}).with_free_lr({}).with_nudged_steps({}) \
         .with_nudged_lr({}).with_beta({}).with_estimator(tinycml::Estimator::{:?}) \
         .with_learn(tinycml::Learn::{:?}).with_lambda_min({}).with_lambda_max({})",
        c.free_steps,
        f(c.free_lr),
        c.nudged_steps,
        f(c.nudged_lr),
        f(c.beta),
        c.estimator,
        c.learn,
        f(c.lambda_min),
        f(c.lambda_max)
    )
}

fn network<const H: usize, const P: usize>(out: &mut String, module: &str, file: &str) {
    println!("cargo:rerun-if-changed={file}");
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let model = Mlp::<1, H, H>::new(Activation::Relu);
    let (cml, theta): (Cml<Q16_16, _, P>, _) = store::decode(&model, &bytes)
        .unwrap_or_else(|e| panic!("{file} is not a 1-{H}-{H}-1 ReLU export: {e}"));
    let mut rng = SplitMix64::new(INIT_SEED);
    let bound = 1.0 / (H as f64).sqrt();
    let init: Vec<i32> = (0..P)
        .map(|_| {
            Param::from_f64(rng.uniform(-bound, bound))
                .unwrap()
                .to_bits()
        })
        .collect();

    writeln!(
        out,
        "/// The 1-{H}-{H}-1 ReLU network: prior from `{file}`, seeded start."
    )
    .unwrap();
    writeln!(out, "pub mod {module} {{").unwrap();
    writeln!(out, "    /// Hidden width.\n    pub const H: usize = {H};").unwrap();
    prior(out, cml.config(), &theta, bytes.len());
    array(
        out,
        "INIT_OMEGA",
        &format!("Starting ω of on-device meta-learning: U(±1/√{H}) from seed {INIT_SEED}."),
        init.into_iter(),
    );
    writeln!(out, "}}").unwrap();
}

/// The module's `P` and the prior's constants: ω and λ bits, settings, fingerprint, export size.
fn prior<const P: usize>(
    out: &mut String,
    config: &Config,
    theta: &ComplexSynapse<Q16_16, P>,
    export_len: usize,
) {
    writeln!(out, "    /// Parameters.\n    pub const P: usize = {P};").unwrap();
    array(
        out,
        "PRIOR_OMEGA",
        "Prior ω, raw Q8.24 bits.",
        theta.omega().iter().map(|v| v.to_bits()),
    );
    array(
        out,
        "PRIOR_LAMBDA",
        "Prior λ, raw Q8.24 bits.",
        theta.lambda().iter().map(|v| v.to_bits()),
    );
    writeln!(out, "    /// Settings stored with the prior.\n    pub const PRIOR_CONFIG: tinycml::Config = {};", config_literal(config)).unwrap();
    writeln!(out, "    /// Fingerprint of the prior as decoded on the build host.\n    pub const PRIOR_FINGERPRINT: u64 = {:#x};", theta.fingerprint()).unwrap();
    writeln!(
        out,
        "    /// Bytes of the export file.\n    pub const EXPORT_LEN: usize = {export_len};"
    )
    .unwrap();
}

/// The digits classifier: 64-32-32-5 ReLU, softmax cross-entropy (the digits example's).
type DigitsNet = Network<{ digits::PIXELS }, Layer<32, Layer<32, Layer<{ digits::HELDOUT_WAYS }>>>>;

/// The digits prior, and the images of digits 5–9 in a digits file of their own.
fn digits_classifier(out: &mut String, file: &str, out_dir: &Path) {
    const P: usize = DigitsNet::PARAMS;
    println!("cargo:rerun-if-changed={file}");
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let model = DigitsNet::new(Activation::Relu);
    let (cml, theta): (Cml<Q16_16, _, P, _>, _) =
        store::decode_with_loss(&model, SoftmaxCrossEntropy, &bytes).unwrap_or_else(|e| {
            panic!("{file} is not a 64-32-32-5 ReLU softmax cross-entropy export: {e}")
        });
    writeln!(
        out,
        "/// The 64-32-32-5 ReLU digits classifier: prior from `{file}`."
    )
    .unwrap();
    writeln!(out, "pub mod digits {{").unwrap();
    prior(out, cml.config(), &theta, bytes.len());

    // Digits 5–9 in file order, in the bundled file's format (header, then records).
    let all = digits::Digits::bundled();
    let records: Vec<u8> = (0..all.len())
        .filter_map(|i| all.image(i))
        .filter(|(_, label)| *label >= 5)
        .flat_map(|(pixels, label)| pixels.into_iter().chain([label]))
        .collect();
    let count = records.len() / digits::RECORD;
    let mut file_bytes = Vec::with_capacity(digits::HEADER + records.len());
    file_bytes.extend_from_slice(&digits::MAGIC);
    file_bytes.extend_from_slice(&digits::VERSION.to_le_bytes());
    file_bytes.extend_from_slice(&u16::try_from(count).unwrap().to_le_bytes());
    file_bytes.extend_from_slice(&records);
    let parsed = digits::Digits::parse(&file_bytes).expect("the digits 5–9 file is valid");
    assert_eq!(
        parsed.counts()[5..],
        all.counts()[5..],
        "every image of digits 5–9 is kept"
    );
    std::fs::write(out_dir.join("digits-5-9.bin"), &file_bytes).unwrap();
    writeln!(
        out,
        "    /// Images of digits 5–9 in `digits-5-9.bin`.\n    pub const DATA_IMAGES: usize = {count};"
    )
    .unwrap();
    writeln!(out, "}}").unwrap();
}

/// The dual system the boards run: 1-40-40-1, tanh hidden layers, squared error.
type Dual40 = DualSystem<1, Layer<40, Layer<40, Layer<1>>>>;

/// The dual system's prior: body and initial fast state bits, settings, μ, fingerprint.
fn dual_system(out: &mut String, module: &str, file: &str) {
    const BODY: usize = Dual40::BODY;
    const FAST: usize = Dual40::FAST;
    println!("cargo:rerun-if-changed={file}");
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let system = Dual40::new(Activation::Tanh);
    let (cml, theta): (_, DualState<Q16_16, BODY, FAST>) =
        store::decode_dual::<Q16_16, _, BODY, FAST, _>(&system, SquaredError, &bytes)
            .unwrap_or_else(|e| {
                panic!("{file} is not a 1-40-40-1 tanh dual-system export (squared error): {e}")
            });
    writeln!(
        out,
        "/// The 1-40-40-1 tanh dual system: prior from `{file}`."
    )
    .unwrap();
    writeln!(out, "pub mod {module} {{").unwrap();
    writeln!(
        out,
        "    /// Body values.\n    pub const BODY: usize = {BODY};\n    /// Fast-state values.\n    pub const FAST: usize = {FAST};"
    )
    .unwrap();
    sized_array(
        out,
        "PRIOR_BODY",
        "BODY",
        "Prior body {W_l, c_l}, raw Q8.24 bits.",
        theta.body().iter().map(|v| v.to_bits()),
    );
    sized_array(
        out,
        "PRIOR_INIT",
        "FAST",
        "Prior initial fast state {g_l, s_l, W_o, b_o}, raw Q8.24 bits.",
        theta.init().iter().map(|v| v.to_bits()),
    );
    writeln!(out, "    /// Settings stored with the prior.\n    pub const PRIOR_CONFIG: tinycml::Config = {};", config_literal(cml.config())).unwrap();
    let mu = match cml.mu() {
        Some(mu) => format!("Some(f64::from_bits({:#x}))", mu.to_f64().to_bits()),
        None => "None".into(),
    };
    writeln!(
        out,
        "    /// μ stored with the prior (`None`: no pull to the initial fast state).\n    pub const PRIOR_MU: Option<f64> = {mu};"
    )
    .unwrap();
    writeln!(out, "    /// Fingerprint of the prior as decoded on the build host.\n    pub const PRIOR_FINGERPRINT: u64 = {:#x};", theta.fingerprint()).unwrap();
    writeln!(
        out,
        "    /// Bytes of the export file.\n    pub const EXPORT_LEN: usize = {};",
        bytes.len()
    )
    .unwrap();
    writeln!(out, "}}").unwrap();
}

fn main() {
    let mut out = String::from("// Generated by build.rs from the prior exports; do not edit.\n");
    network::<40, { Mlp::<1, 40, 40>::PARAMS }>(
        &mut out,
        "hidden40",
        "priors/sinusoid-1-40-40-1.tcml",
    );
    network::<16, { Mlp::<1, 16, 16>::PARAMS }>(
        &mut out,
        "hidden16",
        "priors/sinusoid-1-16-16-1.tcml",
    );
    dual_system(&mut out, "dual40", "priors/sinusoid-dual.tcml");
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    digits_classifier(&mut out, "priors/digits.tcml", &out_dir);
    std::fs::write(out_dir.join("priors.rs"), out).unwrap();
}
