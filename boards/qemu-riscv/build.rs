//! Links with riscv-rt's `link.x`, finds `memory.x`, and gives each firmware a static-RAM
//! budget the linker enforces (`../qemu/budget.x`; riscv-rt names the section bounds as
//! cortex-m-rt does): 12 KB of the 16 KB (so at least 4 KB remain for the stack), and 4 KB
//! for the dual system's adaptation (`dual`).

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    fs::copy("memory.x", out.join("memory.x")).unwrap();
    fs::copy("../qemu/budget.x", out.join("budget.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Tmemory.x");
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    for bin in ["demo", "bench", "bench-f32", "bench-dual", "dual"] {
        let budget = if bin == "dual" { 4 * 1024 } else { 12 * 1024 };
        println!("cargo:rustc-link-arg-bin={bin}=--defsym=_static_ram_budget={budget}");
        println!("cargo:rustc-link-arg-bin={bin}=-Tbudget.x");
    }
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=../qemu/budget.x");
    println!("cargo:rerun-if-changed=build.rs");
}
