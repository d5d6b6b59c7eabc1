//! Adaptation alone on the Cortex-M4F: the 1-40-40-1 prior stays in flash, and adapting
//! needs φ and a gradient buffer (2 · 1,761 · 4 B = 14.1 KB), inside the 16 KB budget the
//! linker checks.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use tinycml::{Activation, Precision, Q16_16};
use tinycml_app::networks::hidden40::{self as net, Net, P};
use tinycml_app::{demo, pins::NoPin, plans};
use tinycml_qemu::{exit, Semihosting};

type Param = <Q16_16 as Precision>::Param;

#[entry]
fn main() -> ! {
    static mut PHI: [Param; P] = [Param::ZERO; P];
    static mut GRAD: [Param; P] = [Param::ZERO; P];
    let prior = demo::Prior {
        theta: &net::PRIOR,
        config: net::PRIOR_CONFIG,
        fingerprint: net::PRIOR_FINGERPRINT,
        export_len: net::EXPORT_LEN,
    };
    let model = Net::new(Activation::Relu);
    let plan = &plans::QEMU_M4F_DEPLOY;
    let verdict = demo::run_deploy(
        model,
        plan,
        &prior,
        PHI,
        GRAD,
        &mut Semihosting::new(),
        NoPin,
    );
    exit(verdict.passed)
}
