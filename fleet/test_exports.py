"""The server's checks on θ exports (`tinycml_fleet/exports.py`, `faults.py`), without Flower:

    python3 fleet/test_exports.py [--tool PATH]

An honest update passes and re-encodes to the same bytes; each garbage kind a faulty device
sends is refused with its own reason; so are an export of another network, changed settings,
λ outside its bounds and a truncated export. Prints one line per case and `N passed, N failed`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tinycml_fleet import device, exports, faults  # noqa: E402

fmt = exports.fmt
REPO = Path(__file__).resolve().parents[1]
TOOL = REPO / "target" / "release" / "examples" / "fleet_device"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--tool", default=str(TOOL))
    options = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "start.tcml"
        device.run_tool(options.tool, ["init", "--out", str(path)])
        start = path.read_bytes()
    honest, _ = device.simulated_round(options.tool, start,
                                       device.RoundArgs(4, 1, 1, 5, 0.3, (0.1, 5.0)))
    parsed = fmt.read(honest)
    template = exports.Template.of(parsed)

    def rewrite(**changes) -> bytes:
        return fmt.write(dataclasses.replace(parsed, **changes))

    other_shape = fmt.Shape(1, [fmt.Layer(16, "relu"), fmt.Layer(16, "relu"),
                                fmt.Layer(1, "identity")])
    lam_high = parsed.lam.copy()
    lam_high[3] = template.config.lambda_max + 1.0
    refusals = [
        ("NaN update", faults.make_garbage(honest, "nan"), "nan"),
        ("saturated update", faults.make_garbage(honest, "saturated"), "saturated"),
        ("corrupted update", faults.make_garbage(honest, "checksum"), "checksum"),
        ("another network", rewrite(shape=other_shape), "shape"),
        ("changed settings",
         rewrite(config=dataclasses.replace(parsed.config, free_lr=0.05)), "settings"),
        ("λ above its bound", rewrite(lam=lam_high), "lambda"),
        ("f32 values", rewrite(value_type=fmt.F32), "format"),
        ("truncated", honest[:-10], "format"),
    ]
    passed = failed = 0

    def report(ok: bool, line: str) -> None:
        nonlocal passed, failed
        passed += ok
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {line}")

    omega, lam = exports.validate(template, honest)
    report(exports.encode(template, omega, lam) == honest,
           "an honest update passes and re-encodes to the same bytes")
    for name, data, reason in refusals:
        try:
            exports.validate(template, data)
            report(False, f"{name}: accepted")
        except exports.Rejected as why:
            report(why.reason == reason, f"{name}: refused as {why.reason} (want {reason})")
    far = exports.project(template, np.full(len(omega), 1e9), np.full(len(lam), -1.0))
    report(bool(np.all(np.abs(far[0]) < 128) and np.all(far[1] >= template.config.lambda_min)),
           "projection keeps ω inside Q8.24 and λ inside its bounds")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
