//! The Q16.16 bench's 1-40-40-1 inner step and adaptation in `f32` (the M4F's hardware
//! float), from the same prior converted value by value. A separate firmware from `bench`:
//! θ, φ and the gradient in f32 (28 KB) beside the Q16.16 meta-step's 42 KB would not fit the
//! 64 KB of `memory.x`; converting the prior also takes about 32 KB of stack for a moment
//! (`ComplexSynapse::new` takes its arrays by value).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use tinycml::{Activation, ComplexSynapse};
use tinycml_app::bench;
use tinycml_app::networks::hidden40;
use tinycml_qemu::{exit, Counter, Semihosting};

/// `-icount shift=` that `measure.sh` passes to QEMU.
const ICOUNT_SHIFT: u32 = 10;
/// Core clock of the MPS2 boards (SysTick counts it).
const CLOCK_HZ: u64 = 25_000_000;

#[entry]
fn main() -> ! {
    static mut THETA40: Option<ComplexSynapse<f32, { hidden40::P }>> = None;
    static mut PHI40: [f32; hidden40::P] = [0.0; hidden40::P];
    static mut GRAD40: [f32; hidden40::P] = [0.0; hidden40::P];

    let mut out = Semihosting::new();
    let peripherals = cortex_m::Peripherals::take().unwrap();
    let mut meter = Counter::new(peripherals.SYST, CLOCK_HZ, ICOUNT_SHIFT);
    let passed = bench::run_float(
        &mut meter,
        &mut out,
        hidden40::Net::new(Activation::Relu),
        hidden40::PRIOR_CONFIG,
        &hidden40::PRIOR,
        THETA40,
        PHI40,
        GRAD40,
    );
    exit(passed)
}
