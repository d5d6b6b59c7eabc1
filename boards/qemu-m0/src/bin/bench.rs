//! Instruction counts on the Cortex-M0, in Q16.16: one inner step, one adaptation and one
//! on-device CML meta-step of the 1-16-16-1 network, printed through defmt like the demo.
//! Not part of CI: `measure.sh` runs it under `-icount shift=10` and turns its `bench …`
//! lines into the table of `README.md`. The f32 counterpart is `bench-f32` (both together
//! would leave too little of the 16 KB for the stack).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use defmt_semihosting as _;
use tinycml::{Activation, ComplexSynapse, Workspace, Q16_16};
use tinycml_app::console::Defmt;
use tinycml_app::networks::hidden16::{self as net, Net, P};
use tinycml_app::{bench, plans};
use tinycml_qemu::Counter;

/// `-icount shift=` that `measure.sh` passes to QEMU.
const ICOUNT_SHIFT: u32 = 10;
/// Core clock of QEMU's nRF51 (SysTick counts it): 16 MHz.
const CLOCK_HZ: u64 = 16_000_000;

#[entry]
fn main() -> ! {
    static mut THETA: ComplexSynapse<Q16_16, P> = net::START;
    static mut WS: Workspace<Q16_16, P> = Workspace::new();

    let peripherals = cortex_m::Peripherals::take().unwrap();
    let mut meter = Counter::new(peripherals.SYST, CLOCK_HZ, ICOUNT_SHIFT);
    meter.report_calibration(&mut Defmt);
    let passed = bench::run_fixed(
        &mut meter,
        &mut Defmt,
        Net::new(Activation::Relu),
        net::PRIOR_CONFIG,
        &net::PRIOR,
        &plans::QEMU_M0,
        THETA,
        WS,
    );
    tinycml_qemu::exit(passed)
}

/// Logs the panic through defmt (text would corrupt the binary stream) and fails the run.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    defmt::println!("panic");
    tinycml_qemu::exit(false)
}
