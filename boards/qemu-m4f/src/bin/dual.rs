//! The dual system's adaptation on the Cortex-M4F: the 1-40-40-1 tanh body and initial fast
//! state stay in flash (`networks::dual40::PRIOR`), and adapting to a held-out task needs
//! only the fast state φ and its gradient in RAM (2 · 201 · 4 B = 1,608 B), inside the 4 KB
//! budget the linker checks. The complex synapse's deploy-only firmware needs 14.1 KB for the
//! same network.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use tinycml::{Precision, Q16_16};
use tinycml_app::networks::dual40::{self as net, System, FAST};
use tinycml_app::{dual, pins::NoPin, plans};
use tinycml_qemu::{exit, Semihosting};

type Param = <Q16_16 as Precision>::Param;

#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` references, safely: `main` runs once.
    static mut PHI: [Param; FAST] = [Param::ZERO; FAST];
    static mut GRAD: [Param; FAST] = [Param::ZERO; FAST];
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
        &plans::QEMU_M4F_DUAL,
        &prior,
        PHI,
        GRAD,
        &mut Semihosting::new(),
        NoPin,
    );
    exit(verdict.passed)
}
