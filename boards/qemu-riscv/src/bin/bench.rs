//! Instruction counts on the RISC-V FE310, in Q16.16: one inner step, one adaptation and one
//! on-device CML meta-step of the 1-16-16-1 network, printed through semihosting like the
//! demo. `measure.sh` runs it under `-icount shift=10` and turns its `bench …` lines into the
//! table of `README.md` (and `ci.sh` checks them against `speed.txt`). The f32 counterpart is
//! `bench-f32`.

#![no_std]
#![no_main]

use qemu_riscv::{Counter, Semihosting};
use static_cell::ConstStaticCell;
use tinycml::{Activation, ComplexSynapse, Workspace, Q16_16};
use tinycml_app::networks::hidden16::{self as net, Net, P};
use tinycml_app::{bench, plans};

/// `-icount shift=` that `measure.sh` passes to QEMU.
const ICOUNT_SHIFT: u32 = 10;

static THETA: ConstStaticCell<ComplexSynapse<Q16_16, P>> = ConstStaticCell::new(net::START);
static WS: ConstStaticCell<Workspace<Q16_16, P>> = ConstStaticCell::new(Workspace::new());

#[riscv_rt::entry]
fn main() -> ! {
    let mut meter = Counter::new(ICOUNT_SHIFT);
    let mut out = Semihosting::new();
    meter.report_calibration(&mut out);
    let passed = bench::run_fixed(
        &mut meter,
        &mut out,
        Net::new(Activation::Relu),
        net::PRIOR_CONFIG,
        &net::PRIOR,
        &plans::QEMU_RISCV,
        THETA.take(),
        WS.take(),
    );
    qemu_riscv::exit(passed)
}
