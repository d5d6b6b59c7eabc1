"""An emulated device (the Cortex-M4F fleet firmware under QEMU) and a simulated one (the
library's tool) produce the same bytes given the same θ, arguments and tasks.

    python3 fleet/test_qemu_device.py [--tool PATH] [--firmware PATH]

Cases: the fleet's starting θ and a θ already moved by a round, different devices, rounds,
seeds, amplitude bands and meta rates; and a damaged θ, which both must refuse. Prints one line per case and `N passed, N failed`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tinycml_fleet import device, qemu  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TOOL = REPO / "target" / "release" / "examples" / "fleet_device"
FIRMWARE = REPO / "boards" / "target" / "thumbv7em-none-eabihf" / "release" / "fleet"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--tool", default=str(TOOL))
    p.add_argument("--firmware", default=str(FIRMWARE))
    options = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = Path(tmp) / "start.tcml"
        device.run_tool(options.tool, ["init", "--out", str(start), "--init-seed", "3"])
        start_bytes = start.read_bytes()
    moved, _ = device.simulated_round(
        options.tool, start_bytes,
        device.RoundArgs(device=9, server_round=1, seed=2, steps=5, meta_lr=0.3,
                         amplitude=(0.1, 5.0)))
    cases = [
        ("start θ, whole range", start_bytes,
         device.RoundArgs(0, 1, 1, 10, 0.3, (0.1, 5.0))),
        ("start θ, device 7's band", start_bytes,
         device.RoundArgs(7, 4, 11, 8, 0.3, device.amplitude_band(7, 5))),
        ("moved θ, another round and rate", moved,
         device.RoundArgs(1, 12, 5, 12, 0.1, device.amplitude_band(1, 5))),
    ]
    passed = failed = 0
    for name, theta, args in cases:
        simulated, sim_report = device.simulated_round(options.tool, theta, args)
        emulated, emu_report = qemu.emulated_round(options.firmware, theta, args)
        same = simulated == emulated and sim_report["tasks"] == emu_report["tasks"]
        changed = simulated != theta
        ok = same and changed
        passed += ok
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(simulated)} bytes, "
              f"{'bit-identical' if same else 'DIFFERENT'}, θ {'moved' if changed else 'UNMOVED'}, "
              f"tasks {sim_report['tasks']}/{emu_report['tasks']}")
    # A damaged θ (one flipped bit, the old checksum): both devices must refuse it.
    damaged = bytearray(start_bytes)
    damaged[200] ^= 0x01
    args = cases[0][2]
    refused = []
    for name, run in (("tool", lambda: device.simulated_round(options.tool, bytes(damaged), args)),
                      ("firmware", lambda: qemu.emulated_round(options.firmware, bytes(damaged),
                                                               args))):
        try:
            run()
            refused.append(False)
        except (device.ToolFailed, qemu.EmulatorFailed):
            refused.append(True)
    ok = all(refused)
    passed += ok
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} damaged θ: refused by tool {refused[0]}, by firmware {refused[1]}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
