//! The dual system's on-device meta-step on the Cortex-M4F: θ (the 1-40-40-1 body and the
//! initial fast state) is copied from the prior into RAM and meta-learned with
//! `DualCml::meta_step` (SGD for both parts) on batches of 4 sinusoid tasks; the new θ's
//! fingerprint is printed.
//!
//! Static RAM: θ (1,720 + 201 values) + the workspace (4 · 201) + the meta-batch sum
//! (1,720 + 201) = 4,646 · 4 B = 18.6 KB, inside the 24 KB budget the linker checks (the
//! complex synapse's meta-step needs 42.3 KB for the same network).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use tinycml::dual::{DualMetaGradient, DualState, DualWorkspace};
use tinycml::Q16_16;
use tinycml_app::networks::dual40::{self as net, System, BODY, FAST};
use tinycml_app::{dual, pins::NoPin, plans};
use tinycml_qemu::{exit, Semihosting};

#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` references, safely: `main` runs once.
    static mut THETA: DualState<Q16_16, BODY, FAST> = net::START;
    static mut WS: DualWorkspace<Q16_16, FAST> = DualWorkspace::new();
    static mut BATCH: DualMetaGradient<Q16_16, BODY, FAST> = DualMetaGradient::new();
    let prior = dual::Prior {
        theta: &net::PRIOR,
        config: net::PRIOR_CONFIG,
        mu: net::PRIOR_MU,
        fingerprint: net::PRIOR_FINGERPRINT,
        export_len: net::EXPORT_LEN,
    };
    let buffers = dual::MetaBuffers {
        theta: THETA,
        ws: WS,
        batch: BATCH,
    };
    let system = System::new(tinycml::Activation::Tanh);
    let verdict = dual::run_meta(
        system,
        &plans::QEMU_M4F_DUAL_META,
        &prior,
        buffers,
        &mut Semihosting::new(),
        NoPin,
    );
    exit(verdict.passed)
}
