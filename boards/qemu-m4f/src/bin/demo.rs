//! The full demo on the Cortex-M4F: deploy the 1-40-40-1 prior from flash, meta-learn
//! on-device, print the fingerprint; the exit status is the demo's verdict.
//!
//! Static RAM: θ (2P values, starts at the seeded θ) + one workspace (4P) = 6 · 1,761 · 4 B
//! = 42.3 KB, inside the 48 KB budget the linker checks. Deploy adapts in the workspace.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use tinycml::{Activation, ComplexSynapse, Workspace, Q16_16};
use tinycml_app::networks::hidden40::{self as net, Net, P};
use tinycml_app::{demo, pins::NoPin, plans};
use tinycml_qemu::{exit, Semihosting};

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
    let verdict = demo::run(
        model,
        &plans::QEMU_M4F,
        &prior,
        THETA,
        WS,
        &mut Semihosting::new(),
        NoPin,
    );
    exit(verdict.passed)
}
