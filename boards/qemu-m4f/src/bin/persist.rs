//! Persistence across a reset on the Cortex-M4F: adapt the 1-40-40-1 prior to a task, save
//! the adapted φ to "flash", reset the machine, load φ at the next boot and check it bit for
//! bit (`tinycml_app::persist`).
//!
//! QEMU's mps2-an386 flash cannot be written, so the flash here is a `RamFlash` (the
//! library's simulated NOR flash: erase to `0xFF` by 4 KB sector, program 4-byte words by AND)
//! over 16 KB of the machine's RAM at `0x2001_0000`, above the 64 KB that `memory.x` gives the
//! firmware: no section is placed there, so neither the ELF loader nor the startup code
//! touches it, and QEMU keeps RAM across a system reset (`SCB::sys_reset`, which QEMU honours
//! unless it runs with `-no-reboot`). A real board passes its HAL's flash driver instead.

#![no_std]
#![no_main]

use cortex_m::peripheral::SCB;
use cortex_m_rt::entry;
use tinycml::persist::Store;
use tinycml::{Activation, Precision, Q16_16};
use tinycml_app::networks::hidden40::{self as net, Net, P};
use tinycml_app::persist::{self, Boot, SimulatedFlash, QEMU_M4F, REGION, SLOT};
use tinycml_app::{demo, Console};
use tinycml_qemu::{exit, Semihosting};

type Param = <Q16_16 as Precision>::Param;

/// The RAM that stands in for flash: outside the firmware's `RAM` region (see `memory.x`).
const KEPT_AT: usize = 0x2001_0000;

#[entry]
fn main() -> ! {
    static mut PHI: [Param; P] = [Param::ZERO; P];
    static mut GRAD: [Param; P] = [Param::ZERO; P];
    // SAFETY: `KEPT_AT..KEPT_AT + REGION` is RAM of the mps2-an386 machine that no section,
    // stack or heap of this firmware uses (memory.x ends the firmware's RAM at `KEPT_AT`), and
    // this is the only reference to it, made once.
    let kept: &'static mut [u8] =
        unsafe { core::slice::from_raw_parts_mut(KEPT_AT as *mut u8, REGION) };
    let mut console = Semihosting::new();
    let mut store = match Store::new(SimulatedFlash::new(kept), 0, SLOT) {
        Ok(store) => store,
        Err(e) => {
            console.error("store", e);
            exit(false)
        }
    };
    let prior = demo::Prior {
        theta: &net::PRIOR,
        config: net::PRIOR_CONFIG,
        fingerprint: net::PRIOR_FINGERPRINT,
        export_len: net::EXPORT_LEN,
    };
    let model = Net::new(Activation::Relu);
    match persist::run(model, QEMU_M4F, &prior, &mut store, PHI, GRAD, &mut console) {
        Boot::Saved(true) => SCB::sys_reset(),
        Boot::Saved(false) => exit(false),
        Boot::Loaded(passed) => exit(passed),
    }
}
