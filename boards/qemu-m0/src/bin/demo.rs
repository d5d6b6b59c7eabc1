//! The full demo on the Cortex-M0 (16 KB RAM): deploy the 1-16-16-1 prior from flash,
//! meta-learn on-device, print the fingerprint, all through defmt; the exit status is the
//! demo's verdict.
//!
//! Static RAM: θ (2P) + one workspace (4P) = 6 · 321 · 4 B = 7.5 KB; the rest is stack.
//! Why 1-16-16-1: 1-40-40-1 needs 42 KB for a meta-step; 1-16-16-1 is the widest
//! two-hidden-layer net of equal widths whose meta-step leaves a comfortable stack
//! (1-24-24-1 would take 15 KB).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use defmt_semihosting as _;
use tinycml::{Activation, ComplexSynapse, Workspace, Q16_16};
use tinycml_app::console::Defmt;
use tinycml_app::networks::hidden16::{self as net, Net, P};
use tinycml_app::{demo, pins::NoPin, plans};

#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` references, safely: `main` runs once.
    static mut THETA: ComplexSynapse<Q16_16, P> = net::START;
    static mut WS: Workspace<Q16_16, P> = Workspace::new();
    let prior = demo::Prior {
        theta: &net::PRIOR,
        config: net::PRIOR_CONFIG,
        fingerprint: net::PRIOR_FINGERPRINT,
        export_len: net::EXPORT_LEN,
    };
    let model = Net::new(Activation::Relu);
    let verdict = demo::run(model, &plans::QEMU_M0, &prior, THETA, WS, &mut Defmt, NoPin);
    tinycml_qemu::exit(verdict.passed)
}

/// Logs the panic through defmt (text would corrupt the binary stream) and fails the run.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    defmt::println!("panic");
    tinycml_qemu::exit(false)
}
