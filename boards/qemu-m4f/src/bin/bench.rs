//! Instruction counts on the Cortex-M4F: one inner step, one adaptation and one on-device
//! CML meta-step of the 1-40-40-1 network in Q16.16, the same for the M0's 1-16-16-1 (to
//! compare the two cores on the same work), and its inner step and adaptation in `f32`.
//! Not part of CI: `measure.sh` runs it under `-icount shift=10` and turns its `bench …`
//! lines into the table of `README.md`.
//!
//! Static RAM: what the demo needs for 1-40-40-1 (θ in RAM for the meta-step, one
//! workspace, 42 KB) plus the same for 1-16-16-1 and its f32 buffers (13 KB); the 64 KB of
//! `memory.x` hold it. The f32 1-40-40-1 (28 KB more) is in `bench-f32`.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use tinycml::{Activation, ComplexSynapse, Workspace, Q16_16};
use tinycml_app::networks::{hidden16, hidden40};
use tinycml_app::{bench, plans};
use tinycml_qemu::{exit, Counter, Semihosting};

/// `-icount shift=` that `measure.sh` passes to QEMU.
const ICOUNT_SHIFT: u32 = 10;
/// Core clock of the MPS2 boards (SysTick counts it).
const CLOCK_HZ: u64 = 25_000_000;

#[entry]
fn main() -> ! {
    static mut THETA40: ComplexSynapse<Q16_16, { hidden40::P }> = hidden40::START;
    static mut WS40: Workspace<Q16_16, { hidden40::P }> = Workspace::new();
    static mut THETA16: ComplexSynapse<Q16_16, { hidden16::P }> = hidden16::START;
    static mut WS16: Workspace<Q16_16, { hidden16::P }> = Workspace::new();
    static mut FLOAT16: Option<ComplexSynapse<f32, { hidden16::P }>> = None;
    static mut PHI16: [f32; hidden16::P] = [0.0; hidden16::P];
    static mut GRAD16: [f32; hidden16::P] = [0.0; hidden16::P];

    let mut out = Semihosting::new();
    let peripherals = cortex_m::Peripherals::take().unwrap();
    let mut meter = Counter::new(peripherals.SYST, CLOCK_HZ, ICOUNT_SHIFT);
    meter.report_calibration(&mut out);

    let plan = &plans::QEMU_M4F;
    let passed = bench::run_fixed(
        &mut meter,
        &mut out,
        hidden40::Net::new(Activation::Relu),
        hidden40::PRIOR_CONFIG,
        &hidden40::PRIOR,
        plan,
        THETA40,
        WS40,
    ) && bench::run_fixed(
        &mut meter,
        &mut out,
        hidden16::Net::new(Activation::Relu),
        hidden16::PRIOR_CONFIG,
        &hidden16::PRIOR,
        plan,
        THETA16,
        WS16,
    ) && bench::run_float(
        &mut meter,
        &mut out,
        hidden16::Net::new(Activation::Relu),
        hidden16::PRIOR_CONFIG,
        &hidden16::PRIOR,
        FLOAT16,
        PHI16,
        GRAD16,
    );
    exit(passed)
}
