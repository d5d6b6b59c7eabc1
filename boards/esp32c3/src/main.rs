//! The tinycml demo on an ESP32-C3 board: the 1-40-40-1 prior deployed from flash, on-device
//! meta-learning, the fingerprint, as text over the USB serial/JTAG port. The ESP32-C3
//! development boards carry an addressable RGB LED rather than a plain one, so the demo
//! reports through its text alone (no LED heartbeat).

#![no_std]
#![no_main]

use esp_hal::{clock::CpuClock, main};
use static_cell::ConstStaticCell;
use tinycml::{Activation, ComplexSynapse, Workspace, Q16_16};
use tinycml_app::networks::hidden40::{self as net, Net, P};
use tinycml_app::{demo, pins::NoPin, plans, Console};

esp_bootloader_esp_idf::esp_app_desc!();

// Placed in RAM at load time (θ in `.data`, the workspace in `.bss`), never on the stack.
static THETA: ConstStaticCell<ComplexSynapse<Q16_16, P>> = ConstStaticCell::new(net::START);
static WS: ConstStaticCell<Workspace<Q16_16, P>> = ConstStaticCell::new(Workspace::new());

/// Lines through `esp_println`.
struct Serial;

impl Console for Serial {
    fn line(&mut self, text: &str) {
        esp_println::println!("{text}");
    }
}

#[main]
fn main() -> ! {
    // The CPU at its highest clock (160 MHz); `init` also turns the watchdogs off.
    let _peripherals = esp_hal::init(esp_hal::Config::default().with_cpu_clock(CpuClock::max()));
    let prior = demo::Prior {
        theta: &net::PRIOR,
        config: net::PRIOR_CONFIG,
        fingerprint: net::PRIOR_FINGERPRINT,
        export_len: net::EXPORT_LEN,
    };
    let plan = demo::Plan {
        board: "ESP32-C3 (RISC-V rv32imc)",
        ..plans::REAL_BOARD
    };
    let model = Net::new(Activation::Relu);
    demo::run(
        model,
        &plan,
        &prior,
        THETA.take(),
        WS.take(),
        &mut Serial,
        NoPin,
    );
    loop {
        core::hint::spin_loop();
    }
}

/// A panic prints its message and stops.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    esp_println::println!("panic: {info}");
    loop {
        core::hint::spin_loop();
    }
}
