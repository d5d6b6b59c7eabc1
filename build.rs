//! Turns on the Armv7E-M assembly kernels (`src/num/asm.rs`) when the `asm` feature is on
//! and the target is a `thumbv7em-*` core (Cortex-M4, Cortex-M7): stable Rust has no
//! `target_feature` for the DSP instructions they use, so the target name decides.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tinycml_asm)");
    println!("cargo::rerun-if-changed=build.rs");
    let asm = std::env::var_os("CARGO_FEATURE_ASM").is_some();
    let target = std::env::var("TARGET").unwrap_or_default();
    if asm && target.starts_with("thumbv7em-") {
        println!("cargo::rustc-cfg=tinycml_asm");
    }
}
