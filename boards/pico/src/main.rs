//! The tinycml demo on the Raspberry Pi Pico (RP2040, Cortex-M0+ without FPU or 64-bit
//! multiply): the 1-16-16-1 prior deployed from flash, on-device meta-learning, the
//! fingerprint, all over defmt/RTT; the green LED (GPIO 25) blinks per task and stays on when
//! every check passed. Same network and plan family as the QEMU Cortex-M0 board.

#![no_std]
#![no_main]

use defmt_rtt as _;
use panic_probe as _;
use rp2040_hal::{clocks, entry, gpio::Pins, pac, Sio, Watchdog};
use tinycml::{Activation, ComplexSynapse, Workspace, Q16_16};
use tinycml_app::console::Defmt;
use tinycml_app::networks::hidden16::{self as net, Net, P};
use tinycml_app::{demo, plans};

/// The second-stage bootloader for the Pico's W25Q080 flash, placed by `memory.x`.
#[link_section = ".boot2"]
#[no_mangle]
#[used]
pub static BOOT2_FIRMWARE: [u8; 256] = rp2040_boot2::BOOT_LOADER_W25Q080;

/// The Pico's crystal.
const XOSC_HZ: u32 = 12_000_000;

#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` references, safely: `main` runs once.
    static mut THETA: ComplexSynapse<Q16_16, P> = net::START;
    static mut WS: Workspace<Q16_16, P> = Workspace::new();
    let mut pac = pac::Peripherals::take().unwrap();
    let mut watchdog = Watchdog::new(pac.WATCHDOG);
    // 125 MHz from the crystal; without it the core runs on the slow ring oscillator.
    let _clocks = clocks::init_clocks_and_plls(
        XOSC_HZ,
        pac.XOSC,
        pac.CLOCKS,
        pac.PLL_SYS,
        pac.PLL_USB,
        &mut pac.RESETS,
        &mut watchdog,
    )
    .ok();
    let sio = Sio::new(pac.SIO);
    let pins = Pins::new(
        pac.IO_BANK0,
        pac.PADS_BANK0,
        sio.gpio_bank0,
        &mut pac.RESETS,
    );
    let led = pins.gpio25.into_push_pull_output();
    let prior = demo::Prior {
        theta: &net::PRIOR,
        config: net::PRIOR_CONFIG,
        fingerprint: net::PRIOR_FINGERPRINT,
        export_len: net::EXPORT_LEN,
    };
    let plan = demo::Plan {
        board: "Raspberry Pi Pico (RP2040, Cortex-M0+)",
        ..plans::REAL_BOARD
    };
    let model = Net::new(Activation::Relu);
    demo::run(model, &plan, &prior, THETA, WS, &mut Defmt, led);
    loop {
        cortex_m::asm::wfi();
    }
}
