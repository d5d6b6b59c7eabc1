//! # The tinycml board demo, shared by every board
//!
//! Every firmware under `boards/` is a thin shell: it sets up its clocks, an LED and an
//! output channel, places the buffers in `static`s, and calls [`demo::run`]. The demo logic
//! lives here once, so no board copies another, and the same code runs on the host, where
//! a test replays each board's demo and compares it with that board's checked-in output
//! (`tests/expected.rs`): the fixed-point path is bit-exact across x86_64, Cortex-M4F and
//! Cortex-M0, and the printed fingerprints prove it.
//!
//! What the demo shows, all in fixed point ([`tinycml::Q16_16`]) with static buffers only:
//!
//! 1. **deploy**: θ meta-learned on the host ([`networks`]: decoded at compile time from a
//!    committed export, kept in flash) adapts on K = 10 shots of held-out sinusoid tasks;
//!    the query MSE before and after adaptation is printed, and must fall on every task.
//! 2. **meta-learn**: CML meta-steps on-device over a stream of tasks, from a seeded θ; the
//!    held-out MSE (after adaptation) is printed as it goes and must fall over the run.
//! 3. the fingerprint of the final fixed-point θ, to compare bit for bit with the host.
//!
//! A second demo, [`persist`], keeps what a device learned across a reset: it adapts, saves
//! the adapted state to flash, and checks it bit for bit after the next boot.
//!
//! Hardware is reached only through `embedded-hal` 1.0 traits (an [`OutputPin`] LED) and the
//! [`Console`] trait (semihosting, defmt, or a string on the host); tasks come from a
//! [`TaskSource`] (the sinusoid family here; a sensor on a real product).
//!
//! [`OutputPin`]: embedded_hal::digital::OutputPin

#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod bench;
pub mod console;
pub mod demo;
pub mod digits;
pub mod dual;
pub mod networks;
pub mod persist;
pub mod pins;
pub mod plans;
pub mod source;

pub use console::{Console, Dec};
pub use demo::{Plan, Verdict};
pub use source::TaskSource;
