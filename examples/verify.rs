//! `verify`: checks tinycml's numerics on any small problem.
//!
//! ```text
//! cargo run --release --features std --example verify -- examples/problems/ridge.json
//! ```
//!
//! Reads a JSON problem (model, support and query shots, ω, λ, β, estimator, inner-loop
//! settings, number format) and prints one JSON object:
//!
//! ```text
//! {"cml": {"omega": [...], "lambda": [...]}, "exact": {"omega": [...], "lambda": [...]},
//!  "phi_free": [...], "outer_loss": 0.123, "saturations": 0}
//! ```
//!
//! - `cml`: the library's estimate of `dL_out/dω`, `dL_out/dλ` in the requested format
//!   (`f64`, `f32`, `q16.16` = the device default Q16.16/Q8.24, `q16.16-uniform`, `q8.24`);
//! - `exact`: the `f64` reference on the same values: the ridge closed form for a linear
//!   model, the exact Hessian solve at a converged inner minimiser for an MLP;
//! - `phi_free`: the library's free-phase end state φ⁰; `outer_loss`: `L_out(φ⁰)`, the mean
//!   loss on the query shots in the project's conventions (½-squared error for the squared
//!   losses, the cross-entropy for the others); `saturations`: fixed-point clamps counted.
//!
//! Problem fields: `model` (`{"kind": "linear"}` or `{"kind": "mlp", "widths": [inputs,
//! hidden…, outputs], "activation": "relu" | "tanh"}`: hidden layers use the activation, the
//! output layer is linear), `loss` (optional: `"squared_error"` (default),
//! `"masked_squared_error"`, `"binary_cross_entropy"`, `"softmax_cross_entropy"`), `support`
//! and `query` (`{"x": [[...], ...], "y": [...]}`), `omega` (one value per parameter), `lambda`
//! (one number or one per parameter), `beta`, `estimator` (`"standard"` | `"symmetric"`),
//! `inner` (`free_steps`, `nudged_steps`, `lr`, optional `nudged_lr`), `scalar`.
//!
//! Each `y` depends on the loss: a number for squared error on one output and for binary
//! cross-entropy (a probability in [0, 1]); one number per output for squared error on
//! several; `{"output": k, "value": v}` for the masked loss; a class index for softmax.
//!
//! Compiled shapes: linear with 1 to 8 inputs; `[1, 40, 40, 1]`, `[1, 16, 16, 1]`,
//! `[1, 8, 8, 1]`, `[2, 16, 16, 1]` (one output: squared error or binary cross-entropy);
//! `[2, 8, 8, 8, 3]` and `[3, 16, 2]` (several outputs: squared error, masked, softmax). The
//! flat layout is documented in `tinycml::nn::network` (each layer's weights column-major, then
//! its biases). The exact reference is the ridge closed form for a linear model with squared
//! error, otherwise the exact Hessian solve at a converged inner minimiser. Bad input gets one
//! line on stderr and exit status 1 (2 for a usage error).

#[path = "verify/mod.rs"]
mod app;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("usage: verify PROBLEM.json");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match app::run(&text) {
        Ok(report) => {
            if let Some(warning) = report.warning {
                eprintln!("{warning}");
            }
            println!("{}", report.json);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {}", message.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
