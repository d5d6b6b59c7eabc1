//! The fleet's device computation as a command-line tool: what one device of the federated
//! fleet (`fleet/`, a Flower app) computes in a round, in Q16.16 — the precision and the
//! library calls of the Cortex-M4F fleet firmware, which a test checks bit for bit.
//!
//! - `init`: the fleet's starting θ (1-16-16-1 tanh, seeded ω, λ = 1, the boards' on-device
//!   settings), as a format-5 export in the device's Q8.24 bits.
//! - `step`: reads θ (every field and the checksum checked by the library's decoder), runs
//!   `--steps` CML meta-steps on the device's own task stream (its seed, id, round and
//!   amplitude range), writes the updated θ as a format-5 export, prints one JSON line.
//! - `centralized`: one learner that meta-steps through as many tasks as a whole fleet run
//!   evaluates (the baseline), the same code as `step`.
//! - `score`: adapts θ in Q16.16 to K = 10 and K = 5 shots of the shared held-out set and
//!   prints the query MSEs as one JSON line.
//!
//! Bad input ends with a message on stderr and exit status 2 (arguments) or 1 (files,
//! exports, settings), never a panic.

#[path = "fleet_device/args.rs"]
mod args;
#[path = "fleet_device/device.rs"]
mod device;
#[path = "fleet_device/error.rs"]
mod error;
#[path = "fleet_device/score.rs"]
mod score;

use args::Command;
use device::{network, Net, P};
use error::ToolError;
use std::path::Path;
use tinycml::store::{self, ValueType};
use tinycml::{
    Cml, ComplexSynapse, Config, Estimator, Learn, MetaGradient, MetaOptimizer, Sgd, SplitMix64,
    Workspace, Q16_16,
};

/// The settings stored with the fleet's θ: the boards' on-device meta-learning settings
/// (`boards/app/src/plans.rs`, `ON_DEVICE`): short phases, β = 0.1, symmetric estimator.
const FLEET_CONFIG: Config = Config::new()
    .with_free_steps(40)
    .with_free_lr(0.04)
    .with_nudged_steps(20)
    .with_nudged_lr(0.04 / 1.1)
    .with_beta(0.1)
    .with_estimator(Estimator::Symmetric)
    .with_learn(Learn::Both)
    .with_lambda_min(1e-4)
    .with_lambda_max(25.0);

/// The device's number format in the export: Q8.24 bits.
const DEVICE_VALUES: ValueType = ValueType::of::<Q16_16>();

type Learner = Cml<Q16_16, Net, P>;

fn read_theta(path: &Path) -> Result<(Learner, ComplexSynapse<Q16_16, P>), ToolError> {
    let bytes = std::fs::read(path).map_err(|error| ToolError::File {
        path: path.into(),
        error,
    })?;
    store::decode(&network(), &bytes).map_err(|error| ToolError::Export {
        path: path.into(),
        error,
    })
}

fn write_theta(
    path: &Path,
    cml: &Learner,
    theta: &ComplexSynapse<Q16_16, P>,
) -> Result<usize, ToolError> {
    let mut bytes = vec![0u8; store::encoded_len_as(P, DEVICE_VALUES)];
    let len = store::encode_as(cml, theta, DEVICE_VALUES, &mut bytes)?;
    std::fs::write(path, &bytes[..len]).map_err(|error| ToolError::File {
        path: path.into(),
        error,
    })?;
    Ok(len)
}

fn meta_steps(
    theta_path: &Path,
    out: &Path,
    stream: &device::Stream,
    steps: u32,
    batch: u32,
    meta_lr: f64,
) -> Result<String, ToolError> {
    let (cml, mut theta) = read_theta(theta_path)?;
    let mut ws = Box::new(Workspace::<Q16_16, P>::new());
    let report = if batch == 1 {
        device::local_round(&cml, &mut theta, &mut ws, stream, steps, meta_lr)?
    } else {
        batched_round(&cml, &mut theta, &mut ws, stream, steps, batch, meta_lr)?
    };
    let bytes = write_theta(out, &cml, &theta)?;
    Ok(format!(
        "{{\"device\": {}, \"round\": {}, \"tasks\": {}, \"dropped\": {}, \"mean_query_loss\": {}, \"bytes\": {}, \"fingerprint\": \"{:#018x}\"}}",
        stream.device,
        stream.round,
        report.used,
        report.dropped,
        report.mean_query_loss,
        bytes,
        theta.fingerprint()
    ))
}

fn run(command: Command) -> Result<String, ToolError> {
    match command {
        Command::Init { out, init_seed } => {
            let cml = Learner::new(network(), FLEET_CONFIG)?;
            let theta = tinycml::train::initial_theta::<Q16_16, _, P>(
                &network(),
                &mut SplitMix64::new(init_seed),
                1.0,
            )?;
            let bytes = write_theta(&out, &cml, &theta)?;
            Ok(format!(
                "{{\"params\": {P}, \"bytes\": {bytes}, \"fingerprint\": \"{:#018x}\"}}",
                theta.fingerprint()
            ))
        }
        Command::Step {
            theta,
            out,
            stream,
            steps,
            meta_lr,
        } => meta_steps(&theta, &out, &stream, steps, 1, meta_lr),
        Command::Centralized {
            theta,
            out,
            stream,
            steps,
            batch,
            meta_lr,
        } => meta_steps(&theta, &out, &stream, steps, batch, meta_lr),
        Command::Score { theta, tasks } => {
            let (cml, theta) = read_theta(&theta)?;
            let score = score::score(&cml, &theta, tasks)?;
            Ok(format!(
                "{{\"tasks\": {}, \"mse_k10\": {}, \"mse_k5\": {}, \"diverged\": {}}}",
                score.tasks, score.mse_k10, score.mse_k5, score.diverged
            ))
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args::parse(&args).and_then(run) {
        Ok(line) => println!("{line}"),
        Err(error) => {
            eprintln!("fleet_device: {error}");
            std::process::exit(error.exit_code());
        }
    }
}

/// [`device::local_round`] with `batch` tasks per meta-step, their estimates averaged:
/// `steps × batch` tasks in `steps` updates, as a fleet of `batch` devices takes them in
/// parallel. Tasks whose estimate fails are left out of their batch; a batch with none leaves
/// θ as it was. Host only: the boards' fleet firmware includes `device.rs` and holds no batch.
fn batched_round(
    cml: &Cml<Q16_16, Net, P>,
    theta: &mut ComplexSynapse<Q16_16, P>,
    ws: &mut Workspace<Q16_16, P>,
    stream: &device::Stream,
    steps: u32,
    batch: u32,
    meta_lr: f64,
) -> Result<device::RoundReport, tinycml::Error> {
    let mut sgd = Sgd::<Q16_16>::new(meta_lr)?;
    let mut rng = SplitMix64::new(device::stream_seed(
        stream.seed,
        stream.device,
        stream.round,
    ));
    let mut sums = Box::new(MetaGradient::<Q16_16, P>::new());
    let mut report = device::RoundReport::default();
    let mut loss_sum = 0.0;
    for _ in 0..steps {
        sums.clear();
        for _ in 0..batch {
            let task = device::draw_task(&mut rng, stream.amplitude)?;
            match cml.estimate(theta, &task, ws) {
                Ok(task_report) => {
                    sums.add(ws);
                    report.used += 1;
                    loss_sum += tinycml::Scalar::to_f64(task_report.query_loss);
                }
                Err(_) => report.dropped += 1,
            }
        }
        if sums.tasks() > 0 {
            let (g_omega, g_lambda) = sums.sums();
            if sgd
                .step(theta, g_omega, g_lambda, sums.tasks(), &cml.bounds())
                .is_err()
            {
                report.dropped += sums.tasks();
            }
        }
    }
    report.mean_query_loss = loss_sum / f64::from(report.used.max(1));
    Ok(report)
}
