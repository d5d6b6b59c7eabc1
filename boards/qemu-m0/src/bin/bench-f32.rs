//! The Q16.16 bench's inner step and adaptation in `f32` on the Cortex-M0 (soft float: every
//! operation is a library call), from the same 1-16-16-1 prior converted value by value.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use defmt_semihosting as _;
use tinycml::{Activation, ComplexSynapse};
use tinycml_app::bench;
use tinycml_app::console::Defmt;
use tinycml_app::networks::hidden16::{self as net, Net, P};
use tinycml_qemu::Counter;

/// `-icount shift=` that `measure.sh` passes to QEMU.
const ICOUNT_SHIFT: u32 = 10;
/// Core clock of QEMU's nRF51 (SysTick counts it): 16 MHz.
const CLOCK_HZ: u64 = 16_000_000;

#[entry]
fn main() -> ! {
    static mut THETA: Option<ComplexSynapse<f32, P>> = None;
    static mut PHI: [f32; P] = [0.0; P];
    static mut GRAD: [f32; P] = [0.0; P];

    let peripherals = cortex_m::Peripherals::take().unwrap();
    let mut meter = Counter::new(peripherals.SYST, CLOCK_HZ, ICOUNT_SHIFT);
    let passed = bench::run_float(
        &mut meter,
        &mut Defmt,
        Net::new(Activation::Relu),
        net::PRIOR_CONFIG,
        &net::PRIOR,
        THETA,
        PHI,
        GRAD,
    );
    tinycml_qemu::exit(passed)
}

/// Logs the panic through defmt (text would corrupt the binary stream) and fails the run.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    defmt::println!("panic");
    tinycml_qemu::exit(false)
}
