//! LED glue: the demo reports through any `embedded-hal` 1.0 [`OutputPin`].
//!
//! The LED toggles after every task (a heartbeat a person can see on a real board) and stays
//! on at the end when every check passed, off when one failed.

use core::convert::Infallible;
use embedded_hal::digital::{ErrorType, OutputPin};

/// A pin that goes nowhere, for boards without an LED (the QEMU machines) and host tests.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoPin;

impl ErrorType for NoPin {
    type Error = Infallible;
}

impl OutputPin for NoPin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// A pin wired active low (the LED lights when the pin is low), seen as active high.
#[derive(Debug)]
pub struct ActiveLow<P>(pub P);

impl<P: ErrorType> ErrorType for ActiveLow<P> {
    type Error = P::Error;
}

impl<P: OutputPin> OutputPin for ActiveLow<P> {
    fn set_low(&mut self) -> Result<(), P::Error> {
        self.0.set_high()
    }
    fn set_high(&mut self) -> Result<(), P::Error> {
        self.0.set_low()
    }
}

/// The demo's LED: a heartbeat while working, the verdict at the end.
pub struct Led<P> {
    pin: P,
    on: bool,
}

impl<P: OutputPin> Led<P> {
    /// Takes the pin (active high) and switches it off.
    pub fn new(mut pin: P) -> Self {
        // An LED that fails to switch must not stop the demo.
        let _ = pin.set_low();
        Self { pin, on: false }
    }

    /// Toggles the LED (one task done).
    pub fn beat(&mut self) {
        self.set(!self.on);
    }

    /// Shows the verdict: on when every check passed.
    pub fn verdict(&mut self, passed: bool) {
        self.set(passed);
    }

    fn set(&mut self, on: bool) {
        self.on = on;
        let _ = if on {
            self.pin.set_high()
        } else {
            self.pin.set_low()
        };
    }
}
