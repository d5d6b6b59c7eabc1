"""The device tool (`examples/fleet_device.rs`) on bad input: a message and a non-zero exit
status (2 for arguments, 1 for files and exports), never a panic; and on good input, a round
that is a function of its arguments alone.

    python3 fleet/test_tool.py [--tool PATH]

Prints one line per case and `N passed, N failed`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOOL = REPO / "target" / "release" / "examples" / "fleet_device"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--tool", default=str(TOOL))
    tool = p.parse_args().tool
    tmp = Path(tempfile.mkdtemp(prefix="fleet-tool-test-"))
    start = tmp / "start.tcml"
    subprocess.run([tool, "init", "--out", str(start)], check=True, capture_output=True)
    damaged = tmp / "damaged.tcml"
    data = bytearray(start.read_bytes())
    data[300] ^= 0x04
    damaged.write_bytes(bytes(data))
    short = tmp / "short.tcml"
    short.write_bytes(start.read_bytes()[:100])
    step = ["step", "--theta", str(start), "--out", str(tmp / "out.tcml"), "--device", "1",
            "--round", "1", "--seed", "1", "--steps", "3", "--meta-lr", "0.3"]
    bad = [
        ("no command", [], 2),
        ("unknown command", ["train"], 2),
        ("missing flag", step[:-2], 2),
        ("flag given twice", step + ["--steps", "4"], 2),
        ("unknown flag", step + ["--speed", "4"], 2),
        ("not a number", [*step[:-1], "fast"], 2),
        ("negative meta rate", [*step[:-1], "-0.3"], 2),
        ("amplitude range reversed", step + ["--amplitude", "3:1"], 2),
        ("missing file", ["score", "--theta", str(tmp / "none.tcml")], 1),
        ("damaged export", ["score", "--theta", str(damaged)], 1),
        ("truncated export", ["score", "--theta", str(short)], 1),
        ("unwritable output", [*step[:4], str(tmp / "no-dir" / "out.tcml"), *step[5:]], 1),
    ]
    passed = failed = 0

    def report(ok: bool, line: str) -> None:
        nonlocal passed, failed
        passed += ok
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {line}")

    for name, args, status in bad:
        done = subprocess.run([tool, *args], capture_output=True, text=True)
        ok = (done.returncode == status and "fleet_device:" in done.stderr
              and "panicked" not in done.stderr and not done.stdout)
        report(ok, f"{name}: exit {done.returncode} (want {status}), "
                   f"{done.stderr.strip().splitlines()[0] if done.stderr else 'no message'}")
    runs = []
    for _ in range(2):
        subprocess.run([tool, *step], check=True, capture_output=True)
        runs.append((tmp / "out.tcml").read_bytes())
    other = [*step[:8], "2", *step[9:]]
    subprocess.run([tool, *other], check=True, capture_output=True)
    report(runs[0] == runs[1] and runs[0] != start.read_bytes(),
           "the same arguments give the same θ, which moved")
    report((tmp / "out.tcml").read_bytes() != runs[0], "another round gives another θ")
    shutil.rmtree(tmp)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
