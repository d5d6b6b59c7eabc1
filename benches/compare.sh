#!/usr/bin/env bash
# Side-by-side host speed of this checkout against another commit, in one process:
#
#   benches/compare.sh REV
#
# Builds both versions of tinycml into one throwaway binary (benches/compare/pairs.rs), runs
# the f32 sinusoid meta-iteration of benches/meta_iteration.rs alternately on each, 400 times,
# checks that both give the same θ after every step, and prints the medians and the median of
# the per-pair ratios new/old. Alternating pairs cancel the slow drifts in speed of a shared
# virtual machine that make two separate criterion runs disagree by more than the difference
# being measured. REV must have the same public API for the sinusoid meta-iteration.
set -euo pipefail
rev=${1:?usage: benches/compare.sh REV}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'git -C "$here" worktree remove --force "$work/checkout" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$here" worktree add -q --detach "$work/checkout" "$rev"
# The old version as a crate of another name, so both can be linked into one binary.
mkdir -p "$work/old"
cp -r "$work/checkout/src" "$work/checkout/README.md" "$work/old/"
# What the library embeds from outside src/ (the digits data, when REV has it).
[[ -d "$work/checkout/data" ]] && cp -r "$work/checkout/data" "$work/old/"
python3 - "$work/checkout/Cargo.toml" "$work/old/Cargo.toml" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = s.replace('name = "tinycml"', 'name = "tinycml_old"', 1)
s = re.sub(r'\[dev-dependencies\].*?(?=\n\[)', '', s, flags=re.S)
s = re.sub(r'\[\[(example|bench)\]\][^\[]*', '', s)
s = re.sub(r'\[workspace\][^\[]*', '', s)
open(sys.argv[2], 'w').write(s)
PY
mkdir -p "$work/compare/src"
cp "$here/benches/compare/pairs.rs" "$work/compare/src/main.rs"
cat >"$work/compare/Cargo.toml" <<TOML
[package]
name = "compare"
version = "0.1.0"
edition = "2021"
[dependencies]
old = { path = "$work/old", package = "tinycml_old" }
new = { path = "$here", package = "tinycml" }
[profile.release]
codegen-units = 1
[workspace]
TOML
cargo run -q --release --manifest-path "$work/compare/Cargo.toml"
