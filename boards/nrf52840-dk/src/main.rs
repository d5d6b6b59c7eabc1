//! The tinycml demo on the nRF52840-DK: the 1-40-40-1 prior deployed from flash, on-device
//! meta-learning, the fingerprint, all over defmt/RTT; LED1 blinks per task and stays on
//! when every check passed.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use defmt_rtt as _;
use nrf52840_hal::{gpio::p0, gpio::Level, pac};
use panic_probe as _;
use tinycml::{Activation, ComplexSynapse, Workspace, Q16_16};
use tinycml_app::console::Defmt;
use tinycml_app::networks::hidden40::{self as net, Net, P};
use tinycml_app::{demo, pins::ActiveLow, plans};

#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` references, safely: `main` runs once.
    static mut THETA: ComplexSynapse<Q16_16, P> = net::START;
    static mut WS: Workspace<Q16_16, P> = Workspace::new();
    let peripherals = pac::Peripherals::take().unwrap();
    let port0 = p0::Parts::new(peripherals.P0);
    // LED1 of the DK is P0.13, lit when low.
    let led = ActiveLow(port0.p0_13.into_push_pull_output(Level::High));
    let prior = demo::Prior {
        theta: &net::PRIOR,
        config: net::PRIOR_CONFIG,
        fingerprint: net::PRIOR_FINGERPRINT,
        export_len: net::EXPORT_LEN,
    };
    let plan = demo::Plan {
        board: "nRF52840-DK (Cortex-M4F)",
        ..plans::REAL_BOARD
    };
    let model = Net::new(Activation::Relu);
    demo::run(model, &plan, &prior, THETA, WS, &mut Defmt, led);
    loop {
        cortex_m::asm::wfi();
    }
}
