//! Links with esp-hal's `linkall.x` (memory map, start-up code, ROM functions).

fn main() {
    println!("cargo:rustc-link-arg-bins=-Tlinkall.x");
    println!("cargo:rerun-if-changed=build.rs");
}
