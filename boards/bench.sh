#!/usr/bin/env bash
# Runs every bench firmware under QEMU `-icount shift=10` and prints its instruction counts,
# one line per span: `CORE PRECISION NETWORK SPAN INSTRUCTIONS` (CORE: m4f, m0 or riscv, and
# m4f-asm: the Cortex-M4F with the library's `asm` feature), e.g.
#
#   m4f q16.16 1-40-40-1 inner-step 188595
#
# Counts are exact and the same run to run (see qemu/src/lib.rs and qemu-riscv/src/lib.rs).
# It checks each counter first: a loop of exactly 200,000 and 2,000,000 instructions must
# count as that (a handful more for the measurement and the SysTick wrap handler), else the
# clock or the shift is wrong and the script fails.
#
#   ./bench.sh [DIR]   # DIR (default: a temporary one) keeps each run's NAME.out and NAME.err
#
# Builds the QEMU boards' release firmware if needed. Used by measure.sh (README tables) and
# speed.sh (CI's speed gate). Needs what ci.sh installs (rustup targets, QEMU, defmt-print).
set -euo pipefail
work=${1:+$(realpath -m "$1")}
cd "$(dirname "$0")"
source ./qemu.sh

if [[ -n "$work" ]]; then
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

# The instruction counters assume this shift (ICOUNT_SHIFT in the bench firmwares).
SHIFT=10
target=${CARGO_TARGET_DIR:-$PWD/target}
M4F=$target/thumbv7em-none-eabihf/release
M0=$target/thumbv6m-none-eabi/release
RV=$target/riscv32imac-unknown-none-elf/release

for board in qemu-m4f qemu-m0 qemu-riscv; do
    (cd "$board" && cargo build -q --release)
done
# The Cortex-M4F benches again with the library's assembly kernels (core `m4f-asm`), built
# apart so that the two builds do not overwrite each other.
M4F_ASM=$target/asm/thumbv7em-none-eabihf/release
(cd qemu-m4f && cargo build -q --release --features asm --target-dir "$target/asm" \
    --bin bench --bin bench-digits --bin bench-dual)

# core name machine elf defmt
runs=("m4f bench mps2-an386 $M4F/bench no" "m4f bench-f32 mps2-an386 $M4F/bench-f32 no"
    "m4f bench-digits mps2-an386 $M4F/bench-digits no" "m4f bench-dual mps2-an386 $M4F/bench-dual no"
    "m4f-asm bench mps2-an386 $M4F_ASM/bench no" "m4f-asm bench-digits mps2-an386 $M4F_ASM/bench-digits no"
    "m4f-asm bench-dual mps2-an386 $M4F_ASM/bench-dual no"
    "m0 bench microbit $M0/bench yes" "m0 bench-f32 microbit $M0/bench-f32 yes"
    "m0 bench-dual microbit $M0/bench-dual yes"
    "riscv bench sifive_e $RV/bench no" "riscv bench-f32 sifive_e $RV/bench-f32 no"
    "riscv bench-dual sifive_e $RV/bench-dual no")
for entry in "${runs[@]}"; do
    read -r core name machine elf defmt <<<"$entry"
    if ! run "$work" "$core-$name" "$machine" "$elf" "$defmt" -icount shift=$SHIFT; then
        echo "bench.sh: $core $name failed; its output:" >&2
        cat "$work/$core-$name.out" "$work/$core-$name.err" >&2
        exit 1
    fi
done
for entry in "${runs[@]}"; do
    read -r core name _ <<<"$entry"
    { grep '^bench calibration' "$work/$core-$name.out" || true; } | while read -r _ _ want got; do
        if ((got < want || got > want + 64)); then
            echo "bench.sh: $core $name: a loop of $want instructions counted as $got" >&2
            exit 1
        fi
    done
    grep '^bench ' "$work/$core-$name.out" | grep -v '^bench calibration' | sed "s/^bench /$core /"
done
