"""Reads the custom_family example's stdout and checks its last line: one JSON object in which
the meta-learned held-out MSE is at least 5x below no meta-learning's, with no diverged task."""
import json
import math
import sys

report = json.loads(sys.stdin.read().strip().splitlines()[-1])
meta, plain = report["mse_meta"], report["mse_no_meta"]
ok = math.isfinite(meta) and math.isfinite(plain) and report["diverged"] == 0
ok = ok and plain >= 5 * meta
print(
    f"custom family: meta-learned {meta:.4f}, no meta-learning {plain:.4f} "
    f"({plain / meta:.1f}x, needs 5x), {report['diverged']} diverged: {'ok' if ok else 'FAILED'}"
)
sys.exit(0 if ok else 1)
