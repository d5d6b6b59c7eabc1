//! Few-shot classification on real handwriting: the 8×8 digits family (issue 9).
//!
//! ```text
//! cargo run --release --example digits -- --dump-heldout PATH
//! ```
//!
//! For now this only writes the held-out sets — 500 tasks of 5-way 1-shot and 500 of 5-way
//! 5-shot from the meta-test digits 5–9, SplitMix64 seed 20240601 (see `tinycml::digits`) —
//! as JSON (format in `digits/heldout.rs`), so that other libraries can be measured on
//! exactly the same tasks. Meta-training and the baselines come later.

#[path = "digits/heldout.rs"]
mod heldout;

use std::process::ExitCode;
use tinycml::digits::Digits;

const USAGE: &str = "usage: cargo run --release --example digits -- --dump-heldout PATH\n\
    Writes the digits held-out tasks as JSON. Meta-training is not part of this example yet.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = match args.as_slice() {
        [flag, path] if flag == "--dump-heldout" => path,
        [flag] if flag == "--help" || flag == "-h" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match heldout::dump(&Digits::bundled(), path) {
        Ok(bytes) => {
            println!("wrote {path}: 2 × 500 held-out tasks, {bytes} bytes");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
