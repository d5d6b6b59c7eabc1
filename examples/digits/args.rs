//! Command-line flags of the digits job, parsed by hand (no dependency for a dozen flags).

pub const USAGE: &str = "usage: cargo run --release --example digits -- [--seed N] [--smoke] \
    [--validate-only] [--split-validation] [--augment] [--export PATH] [--seconds S] [--free-steps N] [--free-lr X] [--beta X] [--lambda X] \
    [--train-shots mix|5]\n       cargo run --release --example digits -- --dump-heldout PATH";

/// Everything the run is told.
pub struct Options {
    pub seed: u64,
    pub smoke: bool,
    pub validate_only: bool,
    pub seconds: f64,
    pub free_steps: u32,
    pub free_lr: f64,
    pub beta: f64,
    pub lambda: f64,
    pub mix: bool,
    pub augment: bool,
    pub split_validation: bool,
    /// Where to write the exported θ (`store` format v3).
    pub export: Option<String>,
}

pub fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        seed: 1,
        smoke: false,
        validate_only: false,
        seconds: 120.0,
        free_steps: 20,
        free_lr: 0.1,
        beta: 0.3,
        lambda: 0.1,
        mix: true,
        augment: false,
        split_validation: false,
        export: None,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let bad = |e: &dyn std::fmt::Display| format!("{flag}: {e}");
        match flag.as_str() {
            "--seed" => o.seed = value()?.parse().map_err(|e| bad(&e))?,
            "--seconds" => o.seconds = value()?.parse().map_err(|e| bad(&e))?,
            "--free-steps" => o.free_steps = value()?.parse().map_err(|e| bad(&e))?,
            "--free-lr" => o.free_lr = value()?.parse().map_err(|e| bad(&e))?,
            "--beta" => o.beta = value()?.parse().map_err(|e| bad(&e))?,
            "--lambda" => o.lambda = value()?.parse().map_err(|e| bad(&e))?,
            "--train-shots" => {
                o.mix = match value()?.as_str() {
                    "mix" => true,
                    "5" => false,
                    other => return Err(format!("--train-shots: mix or 5, not {other}")),
                }
            }
            "--export" => o.export = Some(value()?.clone()),
            "--smoke" => o.smoke = true,
            "--augment" => o.augment = true,
            "--split-validation" => {
                o.split_validation = true;
                o.validate_only = true;
            }
            "--validate-only" => o.validate_only = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}
