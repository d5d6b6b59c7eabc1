//! Links with cortex-m-rt's `link.x`, finds `memory.x`, and gives each firmware a static-RAM
//! budget that the linker enforces (`budget.x` asserts `.data + .bss + .uninit ≤ budget`).

use std::{env, fs, path::PathBuf};

/// Static RAM each firmware may use, in bytes.
const BUDGETS: [(&str, u32); 7] = [
    ("demo", 48 * 1024),
    ("deploy", 16 * 1024),
    ("digits", 40 * 1024),
    ("dual", 4 * 1024),
    ("dual-meta", 24 * 1024),
    ("persist", 16 * 1024),
    ("fleet", 16 * 1024),
];

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    fs::copy("memory.x", out.join("memory.x")).unwrap();
    fs::copy("../qemu/budget.x", out.join("budget.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    for (bin, budget) in BUDGETS {
        println!("cargo:rustc-link-arg-bin={bin}=--defsym=_static_ram_budget={budget}");
        println!("cargo:rustc-link-arg-bin={bin}=-Tbudget.x");
    }
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=../qemu/budget.x");
    println!("cargo:rerun-if-changed=build.rs");
}
