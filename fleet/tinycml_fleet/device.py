"""One device's round: θ in, θ out, both as format-5 exports.

A simulated device runs the library's command-line tool (`examples/fleet_device.rs`); an
emulated device runs the Cortex-M4F fleet firmware under QEMU (`qemu.py`). Both get the same
arguments and must return the same bytes.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Seconds one tool call may take before the device counts as failed.
TOOL_TIMEOUT = 300


@dataclass(frozen=True)
class RoundArgs:
    """What a device is told for one round."""

    device: int
    server_round: int
    seed: int
    steps: int
    meta_lr: float
    amplitude: tuple[float, float]

    def flags(self) -> list[str]:
        lo, hi = self.amplitude
        return ["--device", str(self.device), "--round", str(self.server_round),
                "--seed", str(self.seed), "--steps", str(self.steps),
                "--meta-lr", repr(self.meta_lr), "--amplitude", f"{lo!r}:{hi!r}"]


def amplitude_band(device: int, bands: int, low: float = 0.1, high: float = 5.0):
    """Device `device`'s amplitude range when the family's range is cut into `bands` equal
    bands (non-IID: each device sees only its band); `bands` ≤ 1 gives the whole range."""
    if bands <= 1:
        return (low, high)
    width = (high - low) / bands
    band = device % bands
    return (low + band * width, low + (band + 1) * width)


class ToolFailed(RuntimeError):
    """The tool exited non-zero (its message attached)."""


def run_tool(tool: str, args: list[str], timeout: float = TOOL_TIMEOUT) -> dict:
    """Runs the tool with `args`; its JSON line, or ToolFailed."""
    done = subprocess.run([tool, *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise ToolFailed(f"{Path(tool).name} {args[0]}: exit {done.returncode}: "
                         f"{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def simulated_round(tool: str, theta: bytes, args: RoundArgs) -> tuple[bytes, dict]:
    """The tool's round: the updated θ's export and the tool's report."""
    with tempfile.TemporaryDirectory(prefix="fleet-device-") as tmp:
        given, updated = Path(tmp) / "theta.tcml", Path(tmp) / "updated.tcml"
        given.write_bytes(theta)
        report = run_tool(tool, ["step", "--theta", str(given), "--out", str(updated),
                                 *args.flags()])
        return updated.read_bytes(), report


def score(tool: str, theta: bytes, tasks: int) -> dict:
    """The tool's held-out score of θ (K = 10 and K = 5 MSE)."""
    with tempfile.TemporaryDirectory(prefix="fleet-score-") as tmp:
        path = Path(tmp) / "theta.tcml"
        path.write_bytes(theta)
        return run_tool(tool, ["score", "--theta", str(path), "--tasks", str(tasks)])
