//! What the QEMU boards share, so that neither copies the other: a semihosting [`Console`],
//! the exit status QEMU passes on to CI, and an instruction counter built on SysTick.
//!
//! Instruction counting: QEMU does not model the DWT cycle counter, but under
//! `-icount shift=S` every instruction advances virtual time by `2^S` ns, and SysTick
//! (clocked from the core clock) advances with it. [`Counter`] runs SysTick free over its
//! full 24-bit range, counts wrap-arounds in the SysTick exception, and converts ticks to
//! instructions with the board's clock: `instructions = ticks · 10⁹ / (clock · 2^S)`.

#![no_std]
#![deny(missing_docs)]

use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::{syst::SystClkSource, SYST};
use cortex_m_rt::exception;
use cortex_m_semihosting::{debug, hio};
use tinycml_app::Console;

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

/// Ends the QEMU run with the demo's verdict as its exit status.
pub fn exit(passed: bool) -> ! {
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

/// A panic ends the run as a failure (with its message, when the host listens).
#[cfg(feature = "panic-text")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    if let Ok(mut out) = hio::hstdout() {
        let _ = core::fmt::Write::write_fmt(&mut out, format_args!("panic: {info}\n"));
    }
    exit(false)
}
