"""The bridge to an emulated device: the Cortex-M4F fleet firmware
(`boards/qemu-m4f/src/bin/fleet.rs`) under QEMU's `mps2-an386` machine.

The bridge writes θ (`theta.tcml`) and the round's arguments (`args.txt`, the tool's flags in
order) into a fresh directory, runs QEMU there with semihosting (the firmware reads both
files from QEMU's working directory), and reads the updated θ back from the firmware's
standard output (`fleet-theta:` hex lines). QEMU runs without a network card and under a
time limit; a firmware that fails, hangs or prints no θ is a failed device.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from .device import RoundArgs

#: Seconds one emulated round may take (a 10-step round takes about half a second).
QEMU_TIMEOUT = 300


class EmulatorFailed(RuntimeError):
    """QEMU or the firmware failed (its output attached)."""


def emulated_round(firmware: str, theta: bytes, args: RoundArgs,
                   timeout: float = QEMU_TIMEOUT) -> tuple[bytes, dict]:
    """The firmware's round: the updated θ's export and its report (`tasks`, `dropped`)."""
    lo, hi = args.amplitude
    fields = [args.device, args.server_round, args.seed, args.steps, repr(args.meta_lr),
              repr(lo), repr(hi)]
    with tempfile.TemporaryDirectory(prefix="fleet-qemu-") as tmp:
        (Path(tmp) / "theta.tcml").write_bytes(theta)
        (Path(tmp) / "args.txt").write_text(" ".join(str(f) for f in fields) + "\n")
        try:
            done = subprocess.run(
                ["qemu-system-arm", "-machine", "mps2-an386", "-nographic", "-nic", "none",
                 "-semihosting-config", "enable=on,target=native", "-kernel",
                 str(Path(firmware).resolve())],
                cwd=tmp, capture_output=True, text=True, timeout=timeout,
                stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise EmulatorFailed(f"QEMU ran past {timeout} s") from None
    hex_lines, report = [], {}
    for line in done.stdout.splitlines():
        if line.startswith("fleet-theta: "):
            hex_lines.append(line[len("fleet-theta: "):].strip())
        elif line.startswith("fleet-report: "):
            words = line.split()
            report = {"tasks": int(words[2]), "dropped": int(words[4])}
    if done.returncode != 0 or not hex_lines or not report:
        raise EmulatorFailed(f"fleet firmware: exit {done.returncode}: "
                             f"{done.stdout.strip()[-500:]} {done.stderr.strip()[-500:]}")
    return bytes.fromhex("".join(hex_lines)), report
