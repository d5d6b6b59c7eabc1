//! Persistence on the nRF52840-DK: adapt the 1-40-40-1 prior to a task, save the adapted φ to
//! the chip's flash through the HAL's NVMC driver, reset, load φ at the next boot and check it
//! bit for bit (`tinycml_app::persist`), over defmt/RTT. LED1 stays on when the check passed.
//!
//! The flash region is the last 16 KB of the chip's 1 MB (`KEPT_AT`), which `memory.x` keeps
//! out of the firmware's `FLASH`. It stays programmed across resets and power cycles, so
//! every boot after the first loads the state the first saved; erase the chip (`probe-rs
//! erase --chip nRF52840_xxAA`) to run the first boot again. Built in CI, not run there.

#![no_std]
#![no_main]

use cortex_m::peripheral::SCB;
use cortex_m_rt::entry;
use defmt_rtt as _;
use nrf52840_hal::{gpio::p0, gpio::Level, nvmc::Nvmc, pac};
use panic_probe as _;
use tinycml::persist::Store;
use tinycml::{Activation, Precision, Q16_16};
use tinycml_app::console::Defmt;
use tinycml_app::networks::hidden40::{self as net, Net, P};
use tinycml_app::persist::{self, Boot, REGION, SLOT};
use tinycml_app::pins::{ActiveLow, Led};
use tinycml_app::{demo, Console};

type Param = <Q16_16 as Precision>::Param;

/// Start of the flash region kept for the saved state (page-aligned; see `memory.x`).
const KEPT_AT: usize = 0x000F_C000;

#[entry]
fn main() -> ! {
    static mut PHI: [Param; P] = [Param::ZERO; P];
    static mut GRAD: [Param; P] = [Param::ZERO; P];
    let peripherals = pac::Peripherals::take().unwrap();
    let port0 = p0::Parts::new(peripherals.P0);
    // LED1 of the DK is P0.13, lit when low.
    let mut led = Led::new(ActiveLow(port0.p0_13.into_push_pull_output(Level::High)));
    // SAFETY: `KEPT_AT..KEPT_AT + REGION` is flash that memory.x leaves out of the firmware's
    // `FLASH` region, so no code or data is linked there; this is the only reference to it,
    // made once, and only the NVMC driver writes it.
    let kept: &'static mut [u8] =
        unsafe { core::slice::from_raw_parts_mut(KEPT_AT as *mut u8, REGION) };
    let flash = Nvmc::new(peripherals.NVMC, kept);
    let mut store = match Store::new(flash, 0, SLOT) {
        Ok(store) => store,
        Err(e) => {
            Defmt.error("store", e);
            halt(&mut led, false)
        }
    };
    let prior = demo::Prior {
        theta: &net::PRIOR,
        config: net::PRIOR_CONFIG,
        fingerprint: net::PRIOR_FINGERPRINT,
        export_len: net::EXPORT_LEN,
    };
    let model = Net::new(Activation::Relu);
    let board = "nRF52840-DK (Cortex-M4F)";
    match persist::run(model, board, &prior, &mut store, PHI, GRAD, &mut Defmt) {
        Boot::Saved(true) => SCB::sys_reset(),
        Boot::Saved(false) => halt(&mut led, false),
        Boot::Loaded(passed) => halt(&mut led, passed),
    }
}

/// Shows the verdict on LED1 and sleeps.
fn halt<L: embedded_hal::digital::OutputPin>(led: &mut Led<L>, passed: bool) -> ! {
    led.verdict(passed);
    loop {
        cortex_m::asm::wfi();
    }
}
