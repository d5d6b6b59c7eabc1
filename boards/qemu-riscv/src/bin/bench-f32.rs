//! The Q16.16 bench's inner step and adaptation in `f32` on the RISC-V FE310 (no FPU: every
//! float operation is a library call), from the same 1-16-16-1 prior converted value by
//! value.

#![no_std]
#![no_main]

use qemu_riscv::{Counter, Semihosting};
use static_cell::ConstStaticCell;
use tinycml::{Activation, ComplexSynapse};
use tinycml_app::bench;
use tinycml_app::networks::hidden16::{self as net, Net, P};

/// `-icount shift=` that `measure.sh` passes to QEMU.
const ICOUNT_SHIFT: u32 = 10;

static THETA: ConstStaticCell<Option<ComplexSynapse<f32, P>>> = ConstStaticCell::new(None);
static PHI: ConstStaticCell<[f32; P]> = ConstStaticCell::new([0.0; P]);
static GRAD: ConstStaticCell<[f32; P]> = ConstStaticCell::new([0.0; P]);

#[riscv_rt::entry]
fn main() -> ! {
    let mut meter = Counter::new(ICOUNT_SHIFT);
    let passed = bench::run_float(
        &mut meter,
        &mut Semihosting::new(),
        Net::new(Activation::Relu),
        net::PRIOR_CONFIG,
        &net::PRIOR,
        THETA.take(),
        PHI.take(),
        GRAD.take(),
    );
    qemu_riscv::exit(passed)
}
