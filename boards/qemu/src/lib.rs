//! What the QEMU boards share, so that neither copies the other: a semihosting [`Console`],
//! the exit status QEMU passes on to CI, the peak stack, an instruction counter built on
//! SysTick, and host files read through semihosting ([`read_file`]).
//!
//! Peak stack: the boards enable cortex-m-rt's `paint-stack`, which fills the stack region
//! (from `_stack_end`, just above the statics, up to `_stack_start`) with 0xCCCC_CCCC before
//! `main`. [`exit`] scans up from `_stack_end` for the first word that changed and prints the
//! depth reached on the host's **standard error**, so the checked-in standard output of the
//! demos is untouched while every run (CI's and `measure.sh`'s) reports its stack.
//!
//! Instruction counting: QEMU does not model the DWT cycle counter, but under
//! `-icount shift=S` every instruction advances virtual time by `2^S` ns, and SysTick
//! (clocked from the core clock) advances with it. [`Counter`] runs SysTick free over its
//! full 24-bit range, counts wrap-arounds in the SysTick exception, and converts ticks to
//! instructions with the board's clock: `instructions = ticks · 10⁹ / (clock · 2^S)`.
//! Counting wraps is what makes long spans exact at `shift=10`: the 24-bit window alone
//! would hold only 2²⁴ / 25.6 ≈ 655 k instructions on the 25 MHz MPS2 boards. The handler's
//! own few instructions per wrap are counted too (≈ 10 ppm at `shift=10`). [`Counter::calibrate`]
//! counts a loop of known length, so a wrong clock or shift shows in the report.

#![no_std]
#![deny(missing_docs)]

use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::{syst::SystClkSource, SYST};
use cortex_m_rt::exception;
use cortex_m_semihosting::{debug, hio};
use tinycml_app::{bench::Meter, console::format, Console};

mod files;
pub use files::{read_file, HostFileError};

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

/// Deepest stack use since reset and the stack region's size, in bytes (from cortex-m-rt's
/// stack painting; a firmware without `paint-stack` reports the whole region as used).
pub fn peak_stack() -> (usize, usize) {
    extern "C" {
        static _stack_end: u32;
        static _stack_start: u32;
    }
    const PAINT: u32 = 0xCCCC_CCCC;
    let bottom = core::ptr::addr_of!(_stack_end) as usize;
    let top = core::ptr::addr_of!(_stack_start) as usize;
    let mut word = bottom;
    while word < top {
        // SAFETY: `word` is a 4-aligned address inside the stack region that cortex-m-rt's
        // linker script reserves (`_stack_end..=_stack_start`); reading RAM has no effect.
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
        cortex_m::asm::wfi();
    }
}

static WRAPS: AtomicU32 = AtomicU32::new(0);
const RELOAD: u32 = 0x00FF_FFFF;

#[exception]
fn SysTick() {
    // Only this handler writes WRAPS; a load and a store work on every core (no CAS on v6-M).
    WRAPS.store(WRAPS.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// Counts instructions under QEMU `-icount` from SysTick ticks and wrap-arounds.
pub struct Counter {
    _syst: SYST,
    clock_hz: u64,
    icount_shift: u32,
}

impl Counter {
    /// Starts SysTick on the core clock (`clock_hz`, 25 MHz on the MPS2 boards) for a QEMU run
    /// with `-icount shift=icount_shift`.
    pub fn new(mut syst: SYST, clock_hz: u64, icount_shift: u32) -> Self {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(RELOAD);
        syst.clear_current();
        syst.enable_interrupt();
        syst.enable_counter();
        Self {
            _syst: syst,
            clock_hz,
            icount_shift,
        }
    }

    /// Ticks since start (monotonic across wrap-arounds).
    fn ticks(&self) -> u64 {
        loop {
            let wraps = WRAPS.load(Ordering::Relaxed);
            let current = SYST::get_current();
            // A wrap between the two loads (the exception ran) shows as a changed count.
            if WRAPS.load(Ordering::Relaxed) == wraps {
                return wraps as u64 * (RELOAD as u64 + 1) + (RELOAD - current) as u64;
            }
        }
    }

    /// Instructions executed by `f` (including a constant few of the measurement itself).
    pub fn count<R>(&mut self, f: impl FnOnce() -> R) -> (u64, R) {
        let start = self.ticks();
        let result = f();
        let ticks = self.ticks() - start;
        let per_tick_den = self.clock_hz << self.icount_shift;
        (
            (ticks as u128 * 1_000_000_000 / per_tick_den as u128) as u64,
            result,
        )
    }
}

impl Counter {
    /// Instructions the counter reports for a loop of exactly `2 · n` instructions
    /// (`subs`/`bne`); equal to `2 · n` when the clock and shift given to [`Counter::new`]
    /// match QEMU's.
    pub fn calibrate(&mut self, n: u32) -> u64 {
        let empty = self.count(|| ()).0;
        let (total, ()) = self.count(|| {
            // SAFETY: only r0 changes, and it is declared; no memory is touched.
            unsafe {
                core::arch::asm!(
                    "2:",
                    "subs r0, #1",
                    "bne 2b",
                    inout("r0") n => _,
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

/// A panic ends the run as a failure (with its message, when the host listens).
#[cfg(feature = "panic-text")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    if let Ok(mut out) = hio::hstdout() {
        let _ = core::fmt::Write::write_fmt(&mut out, format_args!("panic: {info}\n"));
    }
    exit(false)
}
