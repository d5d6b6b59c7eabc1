#!/usr/bin/env bash
# Runs the fleet end to end on Flower's simulation engine and prints a JSON last line:
#
#   bash fleet/simulate.sh [--devices N] [--rounds R] [--strategy fedavg|fedadam|…] [--garbage 0.1] …
#
# (every option of `python3 -m tinycml_fleet.run --help`). It installs Flower when it is
# missing, builds the device tool, and runs the whole simulation in a network namespace of
# its own with only the loopback interface up, so that Flower's engine (Ray) can reach
# nothing but 127.0.0.1. FLEET_TIME_LIMIT (seconds, default 1800) bounds the run.
set -euo pipefail
cd "$(dirname "$0")/.."

FLWR_VERSION=1.42.0
if ! python3 -c "import flwr, sys; sys.exit(flwr.__version__ != '$FLWR_VERSION')" 2>/dev/null; then
    echo "fleet: installing flwr[simulation]==$FLWR_VERSION" >&2
    python3 -m pip install -q --disable-pip-version-check "flwr[simulation]==$FLWR_VERSION" >&2
fi
cargo build --release --example fleet_device >&2

# The run must not leave the machine: a fresh network namespace holds only loopback.
exec unshare --net -- bash -c '
    ip link set lo up
    cd fleet
    exec timeout --kill-after=10 "${FLEET_TIME_LIMIT:-1800}" python3 -m tinycml_fleet.run "$@"
' fleet "$@"
