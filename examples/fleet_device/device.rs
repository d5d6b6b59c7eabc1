//! What one device computes in a round: CML meta-steps in Q16.16 on its own seeded stream of
//! sinusoid tasks, the calls the Cortex-M4F fleet firmware makes (`boards/qemu-m4f/src/bin/
//! fleet.rs`), so that a simulated device and an emulated one produce the same bits.
//!
//! A device's stream is fixed by its task seed, its id and the round: [`stream_seed`] mixes
//! them with SplitMix64 (its outputs, not its raw states: raw SplitMix64 seeds that differ by
//! a multiple of its increment give shifted copies of one stream). Its tasks are the
//! sinusoid family's, with the amplitude drawn from the device's own range (non-IID fleets).

use tinycml::{
    Activation, Cml, ComplexSynapse, Error, MetaOptimizer, Mlp, Sgd, Shot, SplitMix64, Task,
    Workspace, Q16_16,
};

/// The network every device runs: 1-16-16-1 with tanh hidden units (the main job's units on
/// the 16 KB boards' width). The Cortex-M4F's 64 KB cannot hold the main job's 1-40-40-1 here:
/// θ read at run time needs the export (14 KB), θ (14 KB, and as much again on the stack
/// while the decoder returns it) and a workspace (28 KB).
pub type Net = Mlp<1, 16, 16>;
/// Its parameter count.
pub const P: usize = Net::PARAMS;
/// Support shots of a training task (K = 10).
pub const SUPPORT: usize = 10;
/// Query shots of a training task.
pub const QUERY: usize = 10;
/// A training task in the device's data format.
pub type DeviceTask = Task<<Q16_16 as tinycml::Precision>::Act, 1, SUPPORT, QUERY>;

/// The network value every device builds.
pub fn network() -> Net {
    Net::new(Activation::Tanh)
}

/// Where a device's tasks come from in one round.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stream {
    /// The device's task seed.
    pub seed: u64,
    /// The device's id.
    pub device: u32,
    /// The round (1-based).
    pub round: u32,
    /// Amplitudes are drawn uniformly from `amplitude.0 ..= amplitude.1`.
    pub amplitude: (f64, f64),
}

/// The seed of one device's task stream in one round.
pub fn stream_seed(seed: u64, device: u32, round: u32) -> u64 {
    let place = SplitMix64::new((u64::from(device) << 32) | u64::from(round)).next_u64();
    SplitMix64::new(seed ^ place).next_u64()
}

/// Draws the next task: amplitude, phase, then the inputs, as `tinycml::sinusoid` orders
/// them (inputs and targets rounded to `f32` before conversion).
pub fn draw_task(rng: &mut SplitMix64, amplitude: (f64, f64)) -> Result<DeviceTask, Error> {
    let amplitude_value = rng.uniform(amplitude.0, amplitude.1);
    let phase = rng.uniform(0.0, core::f64::consts::PI);
    let mut task = Task::new();
    for index in 0..SUPPORT + QUERY {
        let x = rng.uniform(-5.0, 5.0);
        let y = amplitude_value * libm::sin(x + phase);
        let shot = Shot::new(&[x as f32 as f64], y as f32 as f64)?;
        if index < SUPPORT {
            task.push_support(shot)?;
        } else {
            task.push_query(shot)?;
        }
    }
    Ok(task)
}

/// What a round of local meta-steps did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RoundReport {
    /// Tasks whose estimate updated θ.
    pub used: u32,
    /// Tasks dropped (a phase diverged or the update was refused); θ is unchanged by them.
    pub dropped: u32,
    /// Mean query loss after the free phase over the used tasks.
    pub mean_query_loss: f64,
}

/// `steps` CML meta-steps (one task each, SGD at `meta_lr`) on `stream`, θ updated in place.
pub fn local_round(
    cml: &Cml<Q16_16, Net, P>,
    theta: &mut ComplexSynapse<Q16_16, P>,
    ws: &mut Workspace<Q16_16, P>,
    stream: &Stream,
    steps: u32,
    meta_lr: f64,
) -> Result<RoundReport, Error> {
    let mut sgd = Sgd::<Q16_16>::new(meta_lr)?;
    let mut rng = SplitMix64::new(stream_seed(stream.seed, stream.device, stream.round));
    let mut report = RoundReport::default();
    let mut loss_sum = 0.0;
    for _ in 0..steps {
        let task = draw_task(&mut rng, stream.amplitude)?;
        let applied = cml.estimate(theta, &task, ws).and_then(|task_report| {
            let (g_omega, g_lambda) = ws.meta_gradient();
            sgd.step(theta, g_omega, g_lambda, 1, &cml.bounds())?;
            Ok(task_report)
        });
        match applied {
            Ok(task_report) => {
                report.used += 1;
                loss_sum += tinycml::Scalar::to_f64(task_report.query_loss);
            }
            Err(_) => report.dropped += 1,
        }
    }
    report.mean_query_loss = loss_sum / f64::from(report.used.max(1));
    Ok(report)
}
