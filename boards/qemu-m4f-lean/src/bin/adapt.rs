//! What the library alone costs in flash: a Cortex-M4F firmware that only adapts the
//! 1-40-40-1 prior (θ in flash) to ten support shots in Q16.16 and checks the result against
//! the build host's replay. Nothing in it formats text: no `core::fmt`, no float printing, a
//! panic handler that only ends the run. `measure.sh` reports its flash without the prior.
//!
//! It prints one line, `adapted phi 0x<hash> matches the host` (or `DIFFERS`), and exits
//! with status 0 only when the hash matches (CI runs it).

#![no_std]
#![no_main]

#[path = "../hash.rs"]
mod hash;

use core::panic::PanicInfo;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hio};
use tinycml::{Activation, Cml, Error, Precision, Shot, Task, Q16_16};
use tinycml_app::demo::SHOTS;
use tinycml_app::networks::hidden40::{Net, P, PRIOR, PRIOR_CONFIG};

include!(concat!(env!("OUT_DIR"), "/replay.rs"));

type Act = <Q16_16 as Precision>::Act;
type Param = <Q16_16 as Precision>::Param;

#[entry]
fn main() -> ! {
    static mut PHI: [Param; P] = [Param::ZERO; P];
    static mut GRAD: [Param; P] = [Param::ZERO; P];
    let passed = match adapt(PHI, GRAD) {
        Ok(hash) => {
            let same = hash == HOST_PHI_HASH;
            report(hash, same);
            same
        }
        Err(_) => false,
    };
    debug::exit(if passed {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        cortex_m::asm::wfi();
    }
}

/// Adapts the prior to the support shots in `phi` (`grad` is scratch); the hash of `phi`.
fn adapt(phi: &mut [Param; P], grad: &mut [Param; P]) -> Result<u64, Error> {
    let cml = Cml::<Q16_16, Net, P>::new(Net::new(Activation::Relu), PRIOR_CONFIG)?;
    let mut task = Task::<Act, 1, SHOTS, 1>::new();
    for &(x, y) in &SUPPORT {
        task.push_support(Shot {
            x: [Act::from_bits(x)],
            y: Act::from_bits(y),
        })?;
    }
    cml.adapt(&PRIOR, &task, None, phi, grad)?;
    Ok(hash::fnv1a(phi.iter().map(|p| p.to_bits())))
}

/// Writes `adapted phi 0x<16 hex digits> matches the host` (or `DIFFERS from the host`).
fn report(hash: u64, same: bool) {
    let mut line = *b"adapted phi 0x0000000000000000 ";
    for (i, digit) in line[14..30].iter_mut().enumerate() {
        let nibble = (hash >> (60 - 4 * i)) & 0xf;
        *digit = b"0123456789abcdef"[nibble as usize];
    }
    if let Ok(mut out) = hio::hstdout() {
        let _ = out.write_all(&line);
        let verdict: &[u8] = if same {
            b"matches the host\n"
        } else {
            b"DIFFERS from the host\n"
        };
        let _ = out.write_all(verdict);
    }
}

/// Ends the run as a failure, without formatting the message.
#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
