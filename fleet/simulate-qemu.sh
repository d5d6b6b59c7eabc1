#!/usr/bin/env bash
# The fleet with emulated devices: devices 0 and 1 (or --qemu-devices N) run the Cortex-M4F
# fleet firmware under QEMU through the Python bridge, the rest run the library's tool.
#
#   bash fleet/simulate-qemu.sh [--qemu-devices 2] [any option of simulate.sh]
#
# Builds the firmware (the boards' toolchain: `bash boards/ci.sh` installs it) and needs
# qemu-system-arm; then runs simulate.sh, whose JSON last line it prints.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v qemu-system-arm >/dev/null || { echo "fleet: qemu-system-arm is missing (apt-get install qemu-system-arm)" >&2; exit 1; }
rustup target add thumbv7em-none-eabihf >&2
(cd boards/qemu-m4f && cargo build --release --bin fleet >&2)
firmware="$PWD/boards/target/thumbv7em-none-eabihf/release/fleet"
qemu_devices=2
for arg in "$@"; do [[ "$arg" == --qemu-devices ]] && qemu_devices=""; done
exec bash fleet/simulate.sh ${qemu_devices:+--qemu-devices "$qemu_devices"} --firmware "$firmware" "$@"
