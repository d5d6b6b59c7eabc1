//! Instruction counts of the dual system on the Cortex-M4F, in Q16.16: one inner step, one
//! adaptation (body in flash) and one on-device meta-step (body in RAM) of the 1-40-40-1 tanh
//! dual system from its prior, and the same for a 1-16-16-1 tanh dual system with a seeded
//! body (to compare with the complex synapse's 1-16-16-1 and with the M0). Not part of CI:
//! `measure.sh` runs it under `-icount shift=10`.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use tinycml::dual::{DualMetaGradient, DualState, DualWorkspace};
use tinycml::Q16_16;
use tinycml_app::bench::dual::{self as bench, Meta};
use tinycml_app::networks::{dual16, dual40};
use tinycml_app::plans;
use tinycml_qemu::{exit, Counter, Semihosting};

/// `-icount shift=` that `measure.sh` passes to QEMU.
const ICOUNT_SHIFT: u32 = 10;
/// Core clock of the MPS2 boards (SysTick counts it).
const CLOCK_HZ: u64 = 25_000_000;

#[entry]
fn main() -> ! {
    static mut THETA40: DualState<Q16_16, { dual40::BODY }, { dual40::FAST }> = dual40::START;
    static mut WS40: DualWorkspace<Q16_16, { dual40::FAST }> = DualWorkspace::new();
    static mut BATCH40: DualMetaGradient<Q16_16, { dual40::BODY }, { dual40::FAST }> =
        DualMetaGradient::new();
    static mut THETA16: Option<DualState<Q16_16, { dual16::BODY }, { dual16::FAST }>> = None;
    static mut START16: Option<DualState<Q16_16, { dual16::BODY }, { dual16::FAST }>> = None;
    static mut WS16: DualWorkspace<Q16_16, { dual16::FAST }> = DualWorkspace::new();
    static mut BATCH16: DualMetaGradient<Q16_16, { dual16::BODY }, { dual16::FAST }> =
        DualMetaGradient::new();

    let mut out = Semihosting::new();
    let peripherals = cortex_m::Peripherals::take().unwrap();
    let mut meter = Counter::new(peripherals.SYST, CLOCK_HZ, ICOUNT_SHIFT);
    meter.report_calibration(&mut out);

    let plan = &plans::QEMU_M4F_DUAL_META;
    let system40 = dual40::System::new(tinycml::Activation::Tanh);
    let mut passed = bench::run(
        &mut meter,
        &mut out,
        system40,
        dual40::PRIOR_CONFIG,
        dual40::PRIOR_MU,
        &dual40::PRIOR,
        WS40,
        Some(Meta {
            plan,
            theta: THETA40,
            batch: BATCH40,
        }),
    );
    let system16 = dual16::System::new(tinycml::Activation::Tanh);
    match (
        dual16::seed(&system16, START16),
        dual16::seed(&system16, THETA16),
    ) {
        (Ok(start), Ok(theta)) => {
            passed &= bench::run(
                &mut meter,
                &mut out,
                system16,
                dual40::PRIOR_CONFIG,
                dual40::PRIOR_MU,
                start,
                WS16,
                Some(Meta {
                    plan,
                    theta,
                    batch: BATCH16,
                }),
            );
        }
        _ => passed = false,
    }
    exit(passed)
}
