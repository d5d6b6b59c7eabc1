//! `verify`: checks tinycml's numerics on any small problem.
//!
//! ```text
//! cargo run --release --features std --example verify -- examples/problems/ridge.json
//! ```
//!
//! Reads a JSON problem (model, support and query shots, ω and λ of a complex synapse or the
//! body, initial fast state and μ of a dual system, β, estimator, inner-loop settings, number
//! format) and prints one JSON object:
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
//! Problem fields: `model` (`{"kind": "linear"}`, `{"kind": "mlp", "widths": [inputs,
//! hidden…, outputs], "activation": "relu" | "tanh"}`: hidden layers use the activation, the
//! output layer is linear, or `{"kind": "dual", …}`, below), `loss` (optional:
//! `"squared_error"` (default), `"masked_squared_error"`, `"binary_cross_entropy"`,
//! `"softmax_cross_entropy"`), `support` and `query` (`{"x": [[...], ...], "y": [...]}`),
//! `omega` (one value per parameter), `lambda` (one number or one per parameter), `beta`,
//! `estimator` (`"standard"` | `"symmetric"`), `inner` (`free_steps`, `nudged_steps`, `lr`,
//! optional `nudged_lr`), `scalar`.
//!
//! Each `y` depends on the loss: a number for squared error on one output and for binary
//! cross-entropy (a probability in [0, 1]); one number per output for squared error on
//! several; `{"output": k, "value": v}` for the masked loss; a class index for softmax.
//!
//! Compiled shapes: linear with 1 to 8 inputs; `[1, 40, 40, 1]`, `[1, 16, 16, 1]`,
//! `[1, 8, 8, 1]`, `[2, 16, 16, 1]` (one output: squared error or binary cross-entropy);
//! `[2, 8, 8, 8, 3]` and `[3, 16, 2]` (several outputs: squared error, masked, softmax); dual
//! systems `[1, 8, 8, 1]`, `[1, 40, 40, 1]` and `[2, 8, 8, 3]` (below). The flat layout is
//! documented in `tinycml::nn::network` (each layer's weights column-major, then its biases).
//! The exact reference is the ridge closed form for a linear model with squared error,
//! otherwise the exact Hessian solve at a converged inner minimiser (for a dual system, see
//! below). Bad input gets one line on stderr and exit status 1 (2 for a usage error); a
//! warning, when there is one, is one line on stderr beside a normal result (exit status 0).
//!
//! # The dual system (`"kind": "dual"`)
//!
//! ```text
//! {"model": {"kind": "dual", "widths": [1, 8, 8, 1], "activation": "tanh"},
//!  "support": {...}, "query": {...}, "body": [...], "init": [...], "mu": 0.5,
//!  "beta": 0.05, "estimator": "symmetric", "inner": {...}, "scalar": "q16.16"}
//! ```
//!
//! The model of `tinycml::dual`: `h_0 = x`, `h_l = σ(g_l ⊙ (W_l h_{l−1} + c_l) + s_l)` for
//! each hidden layer, `y = W_o h_L + b_o`. `widths` are `[inputs, hidden…, outputs]` as for an
//! MLP; `activation` is σ (the authors used tanh); the read-out is linear. The slow body
//! θ = {W_l, c_l} is fixed while a task is learned; the inner loop adapts the fast state
//! φ = {g_l, s_l, W_o, b_o}, starting from `init`. Instead of `omega` and `lambda` (refused
//! for a dual model, as `body`, `init` and `mu` are for the others):
//!
//! - `body` (required): the body, one value per body weight;
//! - `init` (optional): the initial fast state φ_init, one value per fast value; absent means
//!   the authors' gains 1, shifts 0 and a zero read-out;
//! - `mu` (optional): the pull `½ μ Σ (φ − φ_init)²` added to the inner loss; absent (or
//!   `null`) means none, the authors' inner loss; present, it must be a finite number > 0.
//!
//! `support`, `query`, `loss`, `beta`, `estimator`, `inner` and `scalar` are as above.
//!
//! **Flat layouts.** For `widths = [n_0, n_1, …, n_L, m]` (`L` hidden layers, `m` outputs):
//!
//! - the **body** holds, per hidden layer `l = 1 … L` in order, `W_l` (`n_l × n_{l−1}`)
//!   column-major, `W_l[i][j]` (unit `i`, input `j`) at offset `j · n_l + i` within the
//!   layer, then the `n_l` biases `c_l`: `Σ n_l (n_{l−1} + 1)` values, the layout of an MLP
//!   without its last layer;
//! - the **fast state** (`init`, `phi_free`, the gradients' `init`) holds, per hidden layer,
//!   its `n_l` gains `g_l` then its `n_l` shifts `s_l`, then the read-out's `W_o`
//!   (`m × n_L`, column-major) and its `m` biases `b_o`: `Σ 2 n_l + m (n_L + 1)` values.
//!
//! For numpy or PyTorch weights `W` of shape `(outputs, inputs)`, a block is `W.T.ravel()`
//! followed by its biases. For `[1, 8, 8, 1]`: body `W_1` at 0–7 (unit `i` at `i`), `c_1` at
//! 8–15, `W_2` at 16–79 (`W_2[i][j]` at `16 + 8j + i`), `c_2` at 80–87; fast state `g_1` at
//! 0–7, `s_1` at 8–15, `g_2` at 16–23, `s_2` at 24–31, `W_o` at 32–39, `b_o` at 40.
//!
//! | compiled `widths` | body | fast state | losses |
//! |---|---|---|---|
//! | `[1, 8, 8, 1]` | 88 | 41 | squared error, binary cross-entropy |
//! | `[1, 40, 40, 1]` (the sinusoid network) | 1,720 | 201 | squared error, binary cross-entropy |
//! | `[2, 8, 8, 3]` | 96 | 59 | squared error, masked, softmax |
//!
//! Any other `widths` is an error that lists these. The output:
//!
//! ```text
//! {"cml": {"body": [...], "init": [...]}, "exact": {"body": [...], "init": [...]} | null,
//!  "phi_free": [...], "outer_loss": 0.123, "saturations": 0}
//! ```
//!
//! - `cml`: `DualCml::estimate` in the requested format, the contrastive Hebbian estimate of
//!   `dL_out/dbody` (body layout) and `dL_out/dφ_init` (fast layout; all zeros without μ,
//!   where the initial state is not learned);
//! - `exact`: the `f64` reference on the problem's exact values. With the body fixed
//!   (`reference::FixedBody`), `L_in = ℓ(φ; S) + ½ μ Σ (φ − φ_init)²` is minimised by
//!   gradient descent from `init` at `inner.lr` (the library's free-phase dynamics, so the
//!   same basin; at most `max(10 · free_steps, 20,000)` steps, to `‖∇L_in‖ ≤ 1e-10`), then up
//!   to 8 Newton steps on the exact Hessian; `reference::dual_implicit_gradient` then gives
//!   `dL_out/dbody` (mixed second derivatives included) and `dL_out/dφ_init`. A warning says
//!   so if the solve stops above `‖∇L_in‖ = 1e-7`. Without μ, `exact` is `null` and a warning
//!   says why: with no pull the inner minimiser need not be unique (41 fast values against
//!   10 shots, say), so there is no implicit gradient to compare with;
//! - `phi_free`: the library's free-phase end state φ⁰ (fast layout); `outer_loss`: `L_out(φ⁰)`
//!   with the problem's body, in `f64`; `saturations`: as above.

#[path = "verify/mod.rs"]
mod app;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let status = app::cli(
        &args,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(status)
}
