#!/usr/bin/env bash
# Reruns QEMU firmware and writes what each prints over its checked-in expected output, for
# after a prior in app/priors/ was replaced; then replays them on the host (bit-exactness).
#
#   ./update-expected.sh          # the dual-system firmware (after replacing app/priors/sinusoid-dual.tcml)
#   ./update-expected.sh all      # every QEMU firmware
#
# A firmware whose own checks fail (exit status 1) leaves its file untouched and fails the
# script. Needs what ci.sh installs (rustup targets, QEMU for Arm and RISC-V, defmt-print).
set -euo pipefail
cd "$(dirname "$0")"

runs=("qemu-m4f dual expected-dual.txt" "qemu-m4f dual-meta expected-dual-meta.txt"
    "qemu-m0 dual expected-dual.txt" "qemu-riscv dual expected-dual.txt")
if [[ "${1:-}" == all ]]; then
    runs+=("qemu-m4f demo expected-demo.txt" "qemu-m4f deploy expected-deploy.txt"
        "qemu-m4f digits expected-digits.txt" "qemu-m4f persist expected-persist.txt"
        "qemu-m0 demo expected-demo.txt" "qemu-riscv demo expected-demo.txt")
elif [[ -n "${1:-}" ]]; then
    echo "usage: $0 [all]" >&2
    exit 2
fi

status=0
for run in "${runs[@]}"; do
    read -r board bin file <<<"$run"
    out=$(mktemp)
    if (cd "$board" && cargo run -q --release --bin "$bin") >"$out"; then
        mv "$out" "$board/$file"
        echo "$board $bin: wrote $board/$file"
    else
        rm -f "$out"
        echo "$board $bin: its checks failed; $board/$file left as it was" >&2
        status=1
    fi
done
cargo test -q --release
exit $status
