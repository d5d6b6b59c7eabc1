//! What each board runs: one [`Plan`] per QEMU board (sized so that CI stays within its
//! time budget) and one for the real boards. Kept here, not in the board crates, so the host
//! test that replays a board's demo uses exactly the board's plan.

use crate::demo::Plan;
use tinycml::{Config, Estimator, Learn};

/// On-device meta-learning settings: short phases (an on-device budget), the symmetric
/// estimator at β = 0.1, ω and λ learned. The inner learning rate is large for so few steps:
/// at 0.02 the 1-40-40-1 demo's 40 meta-steps lowered the held-out MSE for 5 of 9 (task
/// stream, meta-lr) pairs tried; at 0.04 with meta-lr 1.0, for all of four task streams.
pub const ON_DEVICE: Config = Config::new()
    .with_free_steps(40)
    .with_free_lr(0.04)
    .with_nudged_steps(20)
    .with_nudged_lr(0.04 / 1.1)
    .with_beta(0.1)
    .with_estimator(Estimator::Symmetric)
    .with_learn(Learn::Both)
    .with_lambda_min(1e-4)
    .with_lambda_max(25.0);

/// The Cortex-M4F QEMU board (`mps2-an386`), 1-40-40-1.
pub const QEMU_M4F: Plan = Plan {
    board: "qemu-m4f (mps2-an386, Cortex-M4F)",
    deploy_tasks: 5,
    meta_steps: 40,
    report_every: 10,
    eval_tasks: 4,
    meta: ON_DEVICE,
    meta_lr: 1.0,
    stream_seed: 7,
};

/// The deploy-only firmware of the Cortex-M4F QEMU board (adaptation in 16 KB of RAM).
pub const QEMU_M4F_DEPLOY: Plan = Plan {
    board: "qemu-m4f deploy-only (mps2-an386, Cortex-M4F)",
    meta_steps: 0,
    ..QEMU_M4F
};

/// The Cortex-M0 QEMU board (`microbit`, 16 KB RAM), 1-16-16-1.
pub const QEMU_M0: Plan = Plan {
    board: "qemu-m0 (microbit, Cortex-M0)",
    ..QEMU_M4F
};

/// The RISC-V QEMU board (`sifive_e`, FE310, 16 KB RAM), 1-16-16-1: the Cortex-M0's plan.
pub const QEMU_RISCV: Plan = Plan {
    board: "qemu-riscv (sifive_e, rv32imac)",
    ..QEMU_M4F
};

/// The real boards (nRF52840-DK, Raspberry Pi Pico): the same demo, a longer run.
pub const REAL_BOARD: Plan = Plan {
    board: "real board",
    deploy_tasks: 10,
    meta_steps: 200,
    report_every: 25,
    ..QEMU_M4F
};

/// The digits firmware of the Cortex-M4F QEMU board: the first 20 held-out 5-shot tasks, the
/// ones the library's `digits` example scores at `--smoke`, so the device's mean is
/// comparable with the host's table (≈ 1.5 s under QEMU).
pub const QEMU_M4F_DIGITS: crate::digits::Plan = crate::digits::Plan {
    board: "qemu-m4f (mps2-an386, Cortex-M4F)",
    tasks: 20,
};

/// The dual system's adaptation on the Cortex-M4F QEMU board (body in flash): the deploy
/// stage's held-out tasks, adapted with the prior's free phase.
pub const QEMU_M4F_DUAL: crate::dual::Plan = crate::dual::Plan {
    board: "qemu-m4f (mps2-an386, Cortex-M4F)",
    adapt_tasks: 5,
};

/// The same on the Cortex-M0 QEMU board, where the complex synapse's 1-40-40-1 does not fit.
pub const QEMU_M0_DUAL: crate::dual::Plan = crate::dual::Plan {
    board: "qemu-m0 (microbit, Cortex-M0)",
    ..QEMU_M4F_DUAL
};

/// The dual system's adaptation on the RISC-V QEMU board.
pub const QEMU_RISCV_DUAL: crate::dual::Plan = crate::dual::Plan {
    board: "qemu-riscv (sifive_e, rv32imac)",
    ..QEMU_M4F_DUAL
};

/// The dual system's on-device meta-step on the Cortex-M4F QEMU board (body in RAM): the
/// on-device phase settings of the complex-synapse demo, two meta-steps of 4 tasks, SGD for
/// the body and (when the prior has μ) the initial fast state.
pub const QEMU_M4F_DUAL_META: crate::dual::MetaPlan = crate::dual::MetaPlan {
    board: "qemu-m4f (mps2-an386, Cortex-M4F)",
    meta_steps: 2,
    eval_tasks: 2,
    meta: ON_DEVICE,
    body_lr: 0.1,
    init_lr: 0.1,
    stream_seed: 7,
};
