//! Instruction counts of the digits firmware's work on the Cortex-M4F, in Q16.16: one inner
//! step on the 25 support shots, one adaptation (the prior's 20 steps), drawing a task, and
//! a whole task as the `digits` firmware runs it (`tinycml_app::digits::bench`). Not part of
//! CI: `measure.sh` runs it under `-icount shift=10` and turns its `bench …` lines into the
//! digits table of `README.md`. Static RAM: the `digits` firmware's buffers (32.9 KB).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use tinycml::{Precision, Q16_16};
use tinycml_app::demo;
use tinycml_app::digits::{self, Buffers, Support};
use tinycml_app::networks::digits::{self as net, P};
use tinycml_qemu::{exit, Counter, Semihosting};

/// `-icount shift=` that `measure.sh` passes to QEMU.
const ICOUNT_SHIFT: u32 = 10;
/// Core clock of the MPS2 boards (SysTick counts it).
const CLOCK_HZ: u64 = 25_000_000;

type Param = <Q16_16 as Precision>::Param;

#[entry]
fn main() -> ! {
    static mut PHI: [Param; P] = [Param::ZERO; P];
    static mut GRAD: [Param; P] = [Param::ZERO; P];
    static mut SUPPORT: Support = Support::new();

    let mut out = Semihosting::new();
    let peripherals = cortex_m::Peripherals::take().unwrap();
    let mut meter = Counter::new(peripherals.SYST, CLOCK_HZ, ICOUNT_SHIFT);
    meter.report_calibration(&mut out);
    let prior = demo::Prior {
        theta: &net::PRIOR,
        config: net::PRIOR_CONFIG,
        fingerprint: net::PRIOR_FINGERPRINT,
        export_len: net::EXPORT_LEN,
    };
    let mut buffers = Buffers {
        phi: PHI,
        grad: GRAD,
        support: SUPPORT,
    };
    let passed = digits::bench(&mut meter, &mut out, &prior, net::DATA, &mut buffers);
    exit(passed)
}
