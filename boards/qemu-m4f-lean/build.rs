//! Links with cortex-m-rt's `link.x` and a 16 KB static-RAM budget, and replays on the host
//! what the firmware will do: draws held-out task 0's K = 10 support shots, adapts the
//! 1-40-40-1 prior to them in Q16.16 with the library, and writes the shots' bits and the
//! adapted φ's hash into `$OUT_DIR/replay.rs` for the firmware to compare against. The
//! firmware then needs no sine, no task sampler and no text formatting of its own.

use std::{env, fs, path::PathBuf};
use tinycml::{sinusoid, Activation, Cml, Precision, SplitMix64, Task, Q16_16};
use tinycml_app::demo::SHOTS;
use tinycml_app::networks::hidden40::{Net, P, PRIOR, PRIOR_CONFIG};

/// Static RAM the firmware may use, in bytes (φ and the gradient: 2 · 1,761 · 4 B).
const BUDGET: u32 = 16 * 1024;

#[path = "src/hash.rs"]
mod hash;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    fs::copy("memory.x", out.join("memory.x")).unwrap();
    fs::copy("../qemu/budget.x", out.join("budget.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    println!("cargo:rustc-link-arg-bins=--defsym=_static_ram_budget={BUDGET}");
    println!("cargo:rustc-link-arg-bins=-Tbudget.x");
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=../qemu/budget.x");
    println!("cargo:rerun-if-changed=build.rs");

    type Act = <Q16_16 as Precision>::Act;
    type Param = <Q16_16 as Precision>::Param;
    let mut rng = SplitMix64::new(sinusoid::HELDOUT_SEED);
    let (_, task): (_, Task<Act, 1, SHOTS, 1>) =
        sinusoid::draw_task(&mut rng, SHOTS, 1).expect("held-out task 0");
    let cml = Cml::<Q16_16, Net, P>::new(Net::new(Activation::Relu), PRIOR_CONFIG)
        .expect("the prior's configuration");
    let (mut phi, mut grad) = ([Param::ZERO; P], [Param::ZERO; P]);
    cml.adapt(&PRIOR, &task, None, &mut phi, &mut grad)
        .expect("host adaptation");
    let shots: Vec<String> = task
        .support()
        .iter()
        .map(|shot| format!("({}, {})", shot.x[0].to_bits(), shot.y.to_bits()))
        .collect();
    let hash = hash::fnv1a(phi.iter().map(|p| p.to_bits()));
    let replay = format!(
        "/// Held-out task 0's support shots, `(x, y)` as Q16.16 bits.\n\
         const SUPPORT: [(i32, i32); {SHOTS}] = [{}];\n\
         /// `hash::fnv1a` of φ after the host adapted the prior to [`SUPPORT`].\n\
         const HOST_PHI_HASH: u64 = {hash:#018x};\n",
        shots.join(", ")
    );
    fs::write(out.join("replay.rs"), replay).unwrap();
}
