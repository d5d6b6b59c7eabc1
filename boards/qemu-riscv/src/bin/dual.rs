//! The dual system's adaptation on the RISC-V FE310 (16 KB RAM), through semihosting: the
//! 1-40-40-1 tanh body and initial fast state stay in flash, and adapting needs only the fast
//! state φ and its gradient in RAM (2 · 201 · 4 B = 1,608 B), inside the 4 KB budget the
//! linker checks. The same plan as the Cortex-M0 board's `dual`.

#![no_std]
#![no_main]

use qemu_riscv::Semihosting;
use static_cell::ConstStaticCell;
use tinycml::{Precision, Q16_16};
use tinycml_app::networks::dual40::{self as net, System, FAST};
use tinycml_app::{dual, pins::NoPin, plans};

type Param = <Q16_16 as Precision>::Param;

// Placed in `.bss` at load time, never on the stack.
static PHI: ConstStaticCell<[Param; FAST]> = ConstStaticCell::new([Param::ZERO; FAST]);
static GRAD: ConstStaticCell<[Param; FAST]> = ConstStaticCell::new([Param::ZERO; FAST]);

#[riscv_rt::entry]
fn main() -> ! {
    let prior = dual::Prior {
        theta: &net::PRIOR,
        config: net::PRIOR_CONFIG,
        mu: net::PRIOR_MU,
        fingerprint: net::PRIOR_FINGERPRINT,
        export_len: net::EXPORT_LEN,
    };
    let system = System::new(tinycml::Activation::Tanh);
    let verdict = dual::run_adapt(
        system,
        &plans::QEMU_RISCV_DUAL,
        &prior,
        PHI.take(),
        GRAD.take(),
        &mut Semihosting::new(),
        NoPin,
    );
    qemu_riscv::exit(verdict.passed)
}
