//! Command-line arguments of the device tool, parsed by hand (a handful of flags), every
//! problem a [`ToolError::Usage`] with a message instead of a panic.

use crate::error::ToolError;
use std::path::PathBuf;

/// What the tool is asked to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Write the fleet's starting θ.
    Init {
        /// Where the export goes.
        out: PathBuf,
        /// Seed of the starting ω.
        init_seed: u64,
    },
    /// One device's round of local meta-steps.
    Step {
        /// θ received from the server.
        theta: PathBuf,
        /// Where the updated θ goes.
        out: PathBuf,
        /// The device's task seed, id and the round, and its amplitude range.
        stream: crate::device::Stream,
        /// Meta-steps (one task each).
        steps: u32,
        /// SGD learning rate of the meta-steps.
        meta_lr: f64,
    },
    /// One learner that sees every task evaluation of a fleet run (the baseline).
    Centralized {
        /// The starting θ.
        theta: PathBuf,
        /// Where the learned θ goes.
        out: PathBuf,
        /// Its task seed and amplitude range (device 0, round 0).
        stream: crate::device::Stream,
        /// Meta-steps: `steps × batch` is the fleet's total task evaluations.
        steps: u32,
        /// Tasks per meta-step, their estimates averaged (1: one task each, as a device).
        batch: u32,
        /// SGD learning rate of the meta-steps.
        meta_lr: f64,
    },
    /// Score θ on the shared held-out set.
    Score {
        /// θ to score.
        theta: PathBuf,
        /// Held-out tasks to score (the first ones of the set).
        tasks: usize,
    },
}

/// The usage text printed with every usage error.
pub const USAGE: &str = "usage:
  fleet_device init --out FILE [--init-seed N]
  fleet_device step --theta FILE --out FILE --device ID --round R --seed S --steps L --meta-lr LR [--amplitude LO:HI]
  fleet_device centralized --theta FILE --out FILE --seed S --steps N --meta-lr LR [--batch B] [--amplitude LO:HI]
  fleet_device score --theta FILE [--tasks N]";

/// Flags given as `--name value` pairs, each used at most once.
struct Flags(Vec<(String, String)>);

impl Flags {
    fn parse(args: &[String]) -> Result<Self, ToolError> {
        let mut pairs = Vec::new();
        let mut rest = args.iter();
        while let Some(name) = rest.next() {
            let Some(name) = name.strip_prefix("--") else {
                return Err(usage(format!("expected a --flag, got {name:?}")));
            };
            let value = rest
                .next()
                .ok_or_else(|| usage(format!("--{name} needs a value")))?;
            if pairs.iter().any(|(seen, _)| seen == name) {
                return Err(usage(format!("--{name} given twice")));
            }
            pairs.push((name.to_string(), value.clone()));
        }
        Ok(Self(pairs))
    }

    fn take(&mut self, name: &str) -> Option<String> {
        let at = self.0.iter().position(|(seen, _)| seen == name)?;
        Some(self.0.remove(at).1)
    }

    fn required<T: std::str::FromStr>(&mut self, name: &str) -> Result<T, ToolError> {
        let value = self
            .take(name)
            .ok_or_else(|| usage(format!("--{name} is required")))?;
        parse_value(name, &value)
    }

    fn optional<T: std::str::FromStr>(&mut self, name: &str, default: T) -> Result<T, ToolError> {
        match self.take(name) {
            Some(value) => parse_value(name, &value),
            None => Ok(default),
        }
    }

    fn amplitude(&mut self) -> Result<(f64, f64), ToolError> {
        let Some(value) = self.take("amplitude") else {
            return Ok(FULL_AMPLITUDE);
        };
        let (lo, hi) = value
            .split_once(':')
            .ok_or_else(|| usage(format!("--amplitude wants LO:HI, got {value:?}")))?;
        let lo: f64 = parse_value("amplitude", lo)?;
        let hi: f64 = parse_value("amplitude", hi)?;
        if !(lo.is_finite() && hi.is_finite() && 0.0 < lo && lo <= hi && hi <= 100.0) {
            return Err(usage(format!(
                "--amplitude wants 0 < LO <= HI <= 100, got {value}"
            )));
        }
        Ok((lo, hi))
    }

    fn finish(self) -> Result<(), ToolError> {
        match self.0.first() {
            Some((name, _)) => Err(usage(format!("unknown flag --{name}"))),
            None => Ok(()),
        }
    }
}

/// The sinusoid family's amplitude range (the held-out set's).
pub const FULL_AMPLITUDE: (f64, f64) = (0.1, 5.0);

fn usage(message: String) -> ToolError {
    ToolError::Usage(message)
}

fn parse_value<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, ToolError> {
    value
        .parse()
        .map_err(|_| usage(format!("--{name}: cannot read {value:?}")))
}

fn meta_lr(flags: &mut Flags) -> Result<f64, ToolError> {
    let lr: f64 = flags.required("meta-lr")?;
    if !(lr.is_finite() && lr > 0.0 && lr <= 100.0) {
        return Err(usage(format!("--meta-lr wants 0 < LR <= 100, got {lr}")));
    }
    Ok(lr)
}

fn batch(flags: &mut Flags) -> Result<u32, ToolError> {
    let batch: u32 = flags.optional("batch", 1)?;
    if !(1..=10_000).contains(&batch) {
        return Err(usage(format!("--batch wants 1 <= B <= 10000, got {batch}")));
    }
    Ok(batch)
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, ToolError> {
    let (mode, rest) = args
        .split_first()
        .ok_or_else(|| usage("no command given".into()))?;
    let mut flags = Flags::parse(rest)?;
    let command = match mode.as_str() {
        "init" => Command::Init {
            out: flags.required("out")?,
            init_seed: flags.optional("init-seed", 1)?,
        },
        "step" => Command::Step {
            theta: flags.required("theta")?,
            out: flags.required("out")?,
            stream: crate::device::Stream {
                device: flags.required("device")?,
                round: flags.required("round")?,
                seed: flags.required("seed")?,
                amplitude: flags.amplitude()?,
            },
            steps: flags.required("steps")?,
            meta_lr: meta_lr(&mut flags)?,
        },
        "centralized" => Command::Centralized {
            theta: flags.required("theta")?,
            out: flags.required("out")?,
            stream: crate::device::Stream {
                device: 0,
                round: 0,
                seed: flags.required("seed")?,
                amplitude: flags.amplitude()?,
            },
            steps: flags.required("steps")?,
            batch: batch(&mut flags)?,
            meta_lr: meta_lr(&mut flags)?,
        },
        "score" => Command::Score {
            theta: flags.required("theta")?,
            tasks: flags.optional("tasks", tinycml::sinusoid::HELDOUT_TASKS)?,
        },
        other => return Err(usage(format!("unknown command {other:?}"))),
    };
    flags.finish()?;
    Ok(command)
}
