//! Instruction counts of the dual system on the Cortex-M0, in Q16.16, printed through defmt:
//! one inner step and one adaptation of the 1-40-40-1 tanh dual system from its prior (body
//! in flash; its meta-step needs 18.6 KB of RAM, more than the M0's 16 KB), and one inner
//! step, adaptation and meta-step of a 1-16-16-1 tanh dual system with a seeded body (to
//! compare with the complex synapse's 1-16-16-1). Not part of CI: `measure.sh` runs it under
//! `-icount shift=10`.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use defmt_semihosting as _;
use tinycml::dual::{DualMetaGradient, DualState, DualWorkspace};
use tinycml::Q16_16;
use tinycml_app::bench::dual::{self as bench, Meta};
use tinycml_app::console::Defmt;
use tinycml_app::networks::{dual16, dual40};
use tinycml_app::plans;
use tinycml_qemu::Counter;

/// `-icount shift=` that `measure.sh` passes to QEMU.
const ICOUNT_SHIFT: u32 = 10;
/// Core clock of QEMU's nRF51 (SysTick counts it): 16 MHz.
const CLOCK_HZ: u64 = 16_000_000;

#[entry]
fn main() -> ! {
    static mut WS40: DualWorkspace<Q16_16, { dual40::FAST }> = DualWorkspace::new();
    static mut THETA16: Option<DualState<Q16_16, { dual16::BODY }, { dual16::FAST }>> = None;
    static mut START16: Option<DualState<Q16_16, { dual16::BODY }, { dual16::FAST }>> = None;
    static mut WS16: DualWorkspace<Q16_16, { dual16::FAST }> = DualWorkspace::new();
    static mut BATCH16: DualMetaGradient<Q16_16, { dual16::BODY }, { dual16::FAST }> =
        DualMetaGradient::new();

    let peripherals = cortex_m::Peripherals::take().unwrap();
    let mut meter = Counter::new(peripherals.SYST, CLOCK_HZ, ICOUNT_SHIFT);
    meter.report_calibration(&mut Defmt);

    let system40 = dual40::System::new(tinycml::Activation::Tanh);
    let mut passed = bench::run(
        &mut meter,
        &mut Defmt,
        system40,
        dual40::PRIOR_CONFIG,
        dual40::PRIOR_MU,
        &dual40::PRIOR,
        WS40,
        None,
    );
    let system16 = dual16::System::new(tinycml::Activation::Tanh);
    match (
        dual16::seed(&system16, START16),
        dual16::seed(&system16, THETA16),
    ) {
        (Ok(start), Ok(theta)) => {
            passed &= bench::run(
                &mut meter,
                &mut Defmt,
                system16,
                dual40::PRIOR_CONFIG,
                dual40::PRIOR_MU,
                start,
                WS16,
                Some(Meta {
                    plan: &plans::QEMU_M4F_DUAL_META,
                    theta,
                    batch: BATCH16,
                }),
            );
        }
        _ => passed = false,
    }
    tinycml_qemu::exit(passed)
}

/// Logs the panic through defmt (text would corrupt the binary stream) and fails the run.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    defmt::println!("panic");
    tinycml_qemu::exit(false)
}
