//! Output: lines of text, formatted once here so every board prints the same bytes.
//!
//! Boards implement [`Console::line`] (semihosting, defmt, or a `String` in host tests).
//! Library types are handed over as values ([`Console::saturations`], [`Console::error`]) so
//! that a defmt console can print them with the library's own `defmt::Format`; the default
//! text rendering is their `Debug` form, which reads the same.

use core::fmt::{self, Write};
use tinycml::{Error, Saturations};

/// One formatted line (longer lines are cut, never overflow).
pub type Line = heapless::String<120>;

/// Formats `args` into a [`Line`].
pub fn format(args: fmt::Arguments<'_>) -> Line {
    let mut line = Line::new();
    // A full line keeps what fit: the output is for people, the checks do not read it.
    let _ = line.write_fmt(args);
    line
}

/// Where the demo writes its report.
pub trait Console {
    /// Writes one line (no trailing newline in `text`).
    fn line(&mut self, text: &str);

    /// Writes `"{label}: Saturations(n)"`.
    fn saturations(&mut self, label: &str, saturations: Saturations) {
        self.line(&format(format_args!("{label}: {saturations:?}")));
    }

    /// Writes `"{label}: error {error:?}"`.
    fn error(&mut self, label: &str, error: Error) {
        self.line(&format(format_args!("{label}: error {error:?}")));
    }
}

/// A fixed-point value printed with four decimals, by integer arithmetic only (no float
/// formatting code in flash, identical digits on every target).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dec {
    /// Raw bits.
    pub bits: i32,
    /// Fraction bits of the format.
    pub frac: u32,
}

impl Dec {
    /// A Q16.16 value.
    pub fn q16(value: fixed::types::I16F16) -> Self {
        Self {
            bits: value.to_bits(),
            frac: 16,
        }
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scaled = (self.bits as i64 * 10_000).unsigned_abs();
        let rounded = (scaled + (1 << self.frac >> 1)) >> self.frac;
        let sign = if self.bits < 0 && rounded != 0 {
            "-"
        } else {
            ""
        };
        write!(f, "{sign}{}.{:04}", rounded / 10_000, rounded % 10_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_decimals_rounded() {
        let cases = [
            (65536, "1.0000"),
            (-98304, "-1.5000"),
            (72, "0.0011"),
            (7, "0.0001"),
            (-1, "0.0000"),
        ];
        for (bits, text) in cases {
            assert_eq!(
                format(format_args!("{}", Dec { bits, frac: 16 })).as_str(),
                text
            );
        }
    }
}

/// Lines through defmt (`defmt::println!`, unaffected by log-level filters); library types
/// go through the library's own `defmt::Format`. The host decoder (defmt-print, probe-rs)
/// turns the binary stream back into the same text as [`Console`]'s default rendering.
#[cfg(feature = "defmt")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Defmt;

#[cfg(feature = "defmt")]
impl Console for Defmt {
    fn line(&mut self, text: &str) {
        defmt::println!("{=str}", text);
    }
    fn saturations(&mut self, label: &str, saturations: Saturations) {
        defmt::println!("{=str}: {}", label, saturations);
    }
    fn error(&mut self, label: &str, error: Error) {
        defmt::println!("{=str}: error {}", label, error);
    }
}
