//! Few-shot handwriting classification on the Cortex-M4F: the 64-32-32-5 digits prior and the
//! images of digits 5–9 stay in flash; the firmware adapts in fixed point to the library's
//! held-out 5-way 5-shot tasks and prints each one's query accuracy, before and after.
//!
//! Static RAM: φ and a gradient (2 · 3,301 · 4 B = 26.4 KB) and the 25 support shots in
//! Q16.16 (6.5 KB); the 75 query images are converted one at a time on the stack. 32.9 KB,
//! inside the 40 KB budget the linker checks (see `tinycml_app::digits` for why).

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use tinycml::{Precision, Q16_16};
use tinycml_app::digits::{self, Buffers, Support};
use tinycml_app::networks::digits::{self as net, P};
use tinycml_app::{demo, pins::NoPin, plans};
use tinycml_qemu::{exit, Semihosting};

type Param = <Q16_16 as Precision>::Param;

#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` references, safely: `main` runs once.
    static mut PHI: [Param; P] = [Param::ZERO; P];
    static mut GRAD: [Param; P] = [Param::ZERO; P];
    static mut SUPPORT: Support = Support::new();
    let prior = demo::Prior {
        theta: &net::PRIOR,
        config: net::PRIOR_CONFIG,
        fingerprint: net::PRIOR_FINGERPRINT,
        export_len: net::EXPORT_LEN,
    };
    let buffers = Buffers {
        phi: PHI,
        grad: GRAD,
        support: SUPPORT,
    };
    let verdict = digits::run(
        &plans::QEMU_M4F_DIGITS,
        &prior,
        net::DATA,
        buffers,
        &mut Semihosting::new(),
        NoPin,
    );
    exit(verdict.passed)
}
