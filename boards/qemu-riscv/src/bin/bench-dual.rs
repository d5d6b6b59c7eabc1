//! Instruction counts of the dual system on the RISC-V FE310, in Q16.16, through
//! semihosting: the same spans as the Cortex-M0's `bench-dual` (inner step and adaptation of
//! the 1-40-40-1 tanh dual system from its prior, body in flash; inner step, adaptation and
//! meta-step of the seeded 1-16-16-1 tanh dual system). `measure.sh` runs it under
//! `-icount shift=10`.

#![no_std]
#![no_main]

use qemu_riscv::{Counter, Semihosting};
use static_cell::ConstStaticCell;
use tinycml::dual::{DualMetaGradient, DualState, DualWorkspace};
use tinycml::Q16_16;
use tinycml_app::bench::dual::{self as bench, Meta};
use tinycml_app::networks::{dual16, dual40};
use tinycml_app::plans;

/// `-icount shift=` that `measure.sh` passes to QEMU.
const ICOUNT_SHIFT: u32 = 10;

type Dual16 = DualState<Q16_16, { dual16::BODY }, { dual16::FAST }>;

static WS40: ConstStaticCell<DualWorkspace<Q16_16, { dual40::FAST }>> =
    ConstStaticCell::new(DualWorkspace::new());
static THETA16: ConstStaticCell<Option<Dual16>> = ConstStaticCell::new(None);
static START16: ConstStaticCell<Option<Dual16>> = ConstStaticCell::new(None);
static WS16: ConstStaticCell<DualWorkspace<Q16_16, { dual16::FAST }>> =
    ConstStaticCell::new(DualWorkspace::new());
static BATCH16: ConstStaticCell<DualMetaGradient<Q16_16, { dual16::BODY }, { dual16::FAST }>> =
    ConstStaticCell::new(DualMetaGradient::new());

#[riscv_rt::entry]
fn main() -> ! {
    let mut meter = Counter::new(ICOUNT_SHIFT);
    let mut out = Semihosting::new();
    meter.report_calibration(&mut out);

    let system40 = dual40::System::new(tinycml::Activation::Tanh);
    let mut passed = bench::run(
        &mut meter,
        &mut out,
        system40,
        dual40::PRIOR_CONFIG,
        dual40::PRIOR_MU,
        &dual40::PRIOR,
        WS40.take(),
        None,
    );
    let system16 = dual16::System::new(tinycml::Activation::Tanh);
    match (
        dual16::seed(&system16, START16.take()),
        dual16::seed(&system16, THETA16.take()),
    ) {
        (Ok(start), Ok(theta)) => {
            passed &= bench::run(
                &mut meter,
                &mut out,
                system16,
                dual40::PRIOR_CONFIG,
                dual40::PRIOR_MU,
                start,
                WS16.take(),
                Some(Meta {
                    plan: &plans::QEMU_M4F_DUAL_META,
                    theta,
                    batch: BATCH16.take(),
                }),
            );
        }
        _ => passed = false,
    }
    qemu_riscv::exit(passed)
}
