//! The dual system's adaptation on the Cortex-M0 (16 KB RAM), through defmt: the 1-40-40-1
//! tanh body and initial fast state stay in flash, and adapting needs only the fast state φ
//! and its gradient in RAM (2 · 201 · 4 B = 1,608 B), inside the 4 KB budget the linker
//! checks. The complex synapse's 1-40-40-1 cannot run here: its adaptation buffers alone take
//! 14 KB of the 16 KB.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use defmt_semihosting as _;
use tinycml::{Precision, Q16_16};
use tinycml_app::console::Defmt;
use tinycml_app::networks::dual40::{self as net, System, FAST};
use tinycml_app::{dual, pins::NoPin, plans};

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
        &plans::QEMU_M0_DUAL,
        &prior,
        PHI,
        GRAD,
        &mut Defmt,
        NoPin,
    );
    tinycml_qemu::exit(verdict.passed)
}

/// Logs the panic through defmt (text would corrupt the binary stream) and fails the run.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    defmt::println!("panic");
    tinycml_qemu::exit(false)
}
