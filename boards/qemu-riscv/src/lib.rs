//! What the RISC-V QEMU firmwares share: a semihosting [`Console`], the exit status QEMU
//! passes on to CI, the peak stack, and an instruction counter built on `minstret`. The
//! Cortex-M boards get the same from `tinycml-qemu`, which is tied to the Cortex-M runtime.
//!
//! Peak stack: riscv-rt has no stack painting of its own, so `__pre_init` (below, run by
//! riscv-rt before RAM is initialised, with `sp` at the top of the stack) fills the stack
//! region from its bottom (`__estack`, just above the statics) up to `sp` with 0xCCCC_CCCC.
//! [`exit`] scans up from the bottom for the first word that changed and prints the depth
//! reached on the host's **standard error**, so the checked-in standard output is untouched.
//!
//! Instruction counting: QEMU counts no retired instructions of its own. Without `-icount`
//! its `mcycle` and `minstret` read the host's clock; under `-icount shift=S` both read the
//! guest's virtual clock in nanoseconds, which every instruction advances by exactly `2^S`.
//! [`Counter`] reads the 64-bit `minstret` (no wrap-around to count, unlike the Cortex-M
//! boards' 24-bit SysTick) and converts: `instructions = Δminstret / 2^S`.
//! [`Counter::calibrate`] counts a loop of known length, so a wrong shift shows in the report.

#![no_std]
#![deny(missing_docs)]

use riscv::register::minstret;
use riscv_semihosting::{debug, hio};
use tinycml_app::{bench::Meter, console::format, Console};

/// Lines to the host's standard output through semihosting.
pub struct Semihosting(Option<hio::HostStream>);

impl Semihosting {
    /// Opens the host's standard output (silently drops output if the host refuses).
    pub fn new() -> Self {
        Self(hio::hstdout().ok())
    }
}

impl Default for Semihosting {
    fn default() -> Self {
        Self::new()
    }
}

impl Console for Semihosting {
    fn line(&mut self, text: &str) {
        if let Some(out) = self.0.as_mut() {
            let _ = out.write_all(text.as_bytes());
            let _ = out.write_all(b"\n");
        }
    }
}

/// The word `__pre_init` paints the stack with.
const PAINT: u32 = 0xCCCC_CCCC;

// Paints the stack region, `__estack` (its bottom) up to `sp` (its top at reset), word by
// word. riscv-rt calls this before `.data` and `.bss` are set up; it uses only temporaries
// (t0, t1), as riscv-rt requires.
core::arch::global_asm!(
    ".section .init.pre_init, \"ax\"",
    ".global __pre_init",
    "__pre_init:",
    "    la t0, __estack",
    "    li t1, {paint}",
    "1:  bgeu t0, sp, 2f",
    "    sw t1, 0(t0)",
    "    addi t0, t0, 4",
    "    j 1b",
    "2:  ret",
    paint = const PAINT,
);

/// Deepest stack use since reset and the stack region's size, in bytes (from the painting
/// that `__pre_init` does).
pub fn peak_stack() -> (usize, usize) {
    extern "C" {
        static __estack: u32;
        static _stack_start: u32;
    }
    let bottom = core::ptr::addr_of!(__estack) as usize;
    let top = core::ptr::addr_of!(_stack_start) as usize;
    let mut word = bottom;
    while word < top {
        // SAFETY: `word` is a 4-aligned address inside the stack region that riscv-rt's
        // linker script reserves (`__estack.._stack_start`); reading RAM has no effect.
        if unsafe { core::ptr::read_volatile(word as *const u32) } != PAINT {
            break;
        }
        word += 4;
    }
    (top - word, top - bottom)
}

/// Ends the QEMU run with the demo's verdict as its exit status, after printing the peak stack
/// on the host's standard error.
pub fn exit(passed: bool) -> ! {
    let (used, size) = peak_stack();
    if let Ok(mut err) = hio::hstderr() {
        let _ = core::fmt::Write::write_fmt(
            &mut err,
            format_args!("peak stack: {used} of {size} bytes\n"),
        );
    }
    debug::exit(if passed {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        riscv::asm::wfi();
    }
}

/// Counts instructions under QEMU `-icount` from `minstret` (see the [module docs](self)).
pub struct Counter {
    icount_shift: u32,
}

impl Counter {
    /// A counter for a QEMU run with `-icount shift=icount_shift`.
    pub fn new(icount_shift: u32) -> Self {
        Self { icount_shift }
    }

    /// Instructions executed by `f` (including a constant few of the measurement itself).
    pub fn count<R>(&mut self, f: impl FnOnce() -> R) -> (u64, R) {
        let start = minstret::read64();
        let result = f();
        let elapsed = minstret::read64() - start;
        (elapsed >> self.icount_shift, result)
    }

    /// Instructions the counter reports for a loop of exactly `2 · n` instructions
    /// (`addi`/`bnez`); equal to `2 · n` when the shift given to [`Counter::new`] matches
    /// QEMU's.
    pub fn calibrate(&mut self, n: u32) -> u64 {
        let empty = self.count(|| ()).0;
        let (total, ()) = self.count(|| {
            // SAFETY: only the declared register changes; no memory is touched.
            unsafe {
                core::arch::asm!(
                    "2:",
                    "addi {n}, {n}, -1",
                    "bnez {n}, 2b",
                    n = inout(reg) n => _,
                    options(nomem, nostack),
                );
            }
        });
        total - empty
    }

    /// Prints the lines `measure.sh` checks the counter with, `bench calibration <expected>
    /// <counted>`, for loops of 200,000 and 2,000,000 instructions.
    pub fn report_calibration(&mut self, out: &mut impl Console) {
        for loop_len in [100_000, 1_000_000] {
            let counted = self.calibrate(loop_len);
            out.line(&format(format_args!(
                "bench calibration {} {counted}",
                2 * loop_len
            )));
        }
    }
}

impl Meter for Counter {
    fn count(&mut self, f: &mut dyn FnMut()) -> u64 {
        let empty = Counter::count(self, || ()).0;
        Counter::count(self, f).0.saturating_sub(empty)
    }
}

/// A panic ends the run as a failure, with its message.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    if let Ok(mut out) = hio::hstdout() {
        let _ = core::fmt::Write::write_fmt(&mut out, format_args!("panic: {info}\n"));
    }
    exit(false)
}
