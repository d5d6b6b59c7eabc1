#!/usr/bin/env bash
# Builds every board, runs the QEMU boards and diffs their output against the checked-in
# expected files; replays the same demos on the host (bit-exactness); checks that no inner
# step or adaptation got more than 3 % slower (speed.sh). Every QEMU run has a time limit
# (the boards' runners, qemu.sh), so a hung firmware fails instead of hanging. Installs what
# it needs, idempotently: rustup targets, qemu-system-arm, qemu-system-misc (RISC-V),
# defmt-print.
set -euo pipefail
cd "$(dirname "$0")"
start=$SECONDS

rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi riscv32imac-unknown-none-elf \
    riscv32imc-unknown-none-elf >/dev/null
if ! command -v qemu-system-arm >/dev/null || ! command -v arm-none-eabi-objdump >/dev/null ||
    ! command -v qemu-system-riscv32 >/dev/null; then
    apt-get update -qq && apt-get install -y -qq qemu-system-arm qemu-system-misc binutils-arm-none-eabi
fi
if ! command -v defmt-print >/dev/null; then
    cargo install defmt-print --locked
fi

echo "== host: format, lints, replay of every QEMU demo"
cargo fmt --all --check
cargo clippy -q --all-targets -- -D warnings
cargo test -q --release

echo "== firmware: build and lint"
for board in qemu-m4f qemu-m4f-lean qemu-m0 qemu-riscv nrf52840-dk pico esp32c3; do
    (cd "$board" && cargo build -q --release && cargo clippy -q --release -- -D warnings)
done
(cd qemu-m4f-lean && cargo build -q --profile lean)
# The library's Armv7E-M assembly kernels (feature `asm`), built apart from the portable ones.
(cd qemu-m4f && cargo build -q --release --features asm --target-dir ../target/asm &&
    cargo clippy -q --release --features asm --target-dir ../target/asm -- -D warnings)

echo "== firmware: no index panic left in the Cortex-M4F code"
./check-panics.sh
./check-panics.sh target/asm/thumbv7em-none-eabihf/release

echo "== QEMU: run and diff"
run() { # board bin expected-file [cargo options]
    local out
    out=$(mktemp)
    (cd "$1" && cargo run -q --release --bin "$2" "${@:4}") >"$out"
    diff -u "$1/$3" "$out"
    rm -f "$out"
    echo "$1 $2${4:+ ${*:4}}: output matches $3"
}
run qemu-m4f demo expected-demo.txt
run qemu-m4f deploy expected-deploy.txt
run qemu-m4f digits expected-digits.txt
run qemu-m4f dual expected-dual.txt
run qemu-m4f dual-meta expected-dual-meta.txt
run qemu-m4f persist expected-persist.txt
asm=(--features asm --target-dir ../target/asm) # the same bits with the assembly kernels
for bin in demo deploy digits dual dual-meta persist; do
    run qemu-m4f "$bin" "expected-$bin.txt" "${asm[@]}"
done
# The layer kernels against the generic ones on the device, portable and in assembly.
(cd qemu-m4f && cargo run -q --release --bin kernels && cargo run -q --release --bin kernels "${asm[@]}")
run qemu-m0 demo expected-demo.txt
run qemu-m0 dual expected-dual.txt
run qemu-riscv demo expected-demo.txt
run qemu-riscv dual expected-dual.txt
for profile in release lean; do # the adapt-only firmware checks its φ against the host's replay
    lean_out=$(cd qemu-m4f-lean && cargo run -q --profile "$profile")
    echo "$lean_out"
    grep -q 'matches the host$' <<<"$lean_out"
    echo "qemu-m4f-lean adapt ($profile): φ matches the build host's"
done

echo "== speed gate: instruction counts under -icount against speed.txt"
./speed.sh

echo "boards: all green in $((SECONDS - start)) s"
