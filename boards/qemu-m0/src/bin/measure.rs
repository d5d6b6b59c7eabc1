#![no_std]
#![no_main]
use cortex_m_rt::entry;
#[entry]
fn main() -> ! {
    tinycml_qemu::exit(true)
}
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    tinycml_qemu::exit(false)
}
