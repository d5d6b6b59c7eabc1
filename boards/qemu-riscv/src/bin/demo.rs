//! The full demo on the RISC-V FE310 (16 KB RAM): deploy the 1-16-16-1 prior from flash,
//! meta-learn on-device, print the fingerprint, all through semihosting; the exit status is
//! the demo's verdict. The same network, plan and buffers as the Cortex-M0 board, so it prints
//! the same numbers and fingerprint (only the board name differs).
//!
//! Static RAM: θ (2P) + one workspace (4P) = 6 · 321 · 4 B = 7.5 KB; the rest is stack.

#![no_std]
#![no_main]

use qemu_riscv::Semihosting;
use static_cell::ConstStaticCell;
use tinycml::{Activation, ComplexSynapse, Workspace, Q16_16};
use tinycml_app::networks::hidden16::{self as net, Net, P};
use tinycml_app::{demo, pins::NoPin, plans};

// Placed in RAM at load time (θ in `.data`, the workspace in `.bss`), never on the stack.
static THETA: ConstStaticCell<ComplexSynapse<Q16_16, P>> = ConstStaticCell::new(net::START);
static WS: ConstStaticCell<Workspace<Q16_16, P>> = ConstStaticCell::new(Workspace::new());

#[riscv_rt::entry]
fn main() -> ! {
    let prior = demo::Prior {
        theta: &net::PRIOR,
        config: net::PRIOR_CONFIG,
        fingerprint: net::PRIOR_FINGERPRINT,
        export_len: net::EXPORT_LEN,
    };
    let model = Net::new(Activation::Relu);
    let verdict = demo::run(
        model,
        &plans::QEMU_RISCV,
        &prior,
        THETA.take(),
        WS.take(),
        &mut Semihosting::new(),
        NoPin,
    );
    qemu_riscv::exit(verdict.passed)
}
