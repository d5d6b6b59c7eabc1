"""Reads the sinusoid example's stdout and checks its last line: one JSON object in which
CML's held-out MSE is below no meta-learning's, for K = 5 and K = 10."""
import json
import sys

last_line = sys.stdin.read().strip().splitlines()[-1]
report = json.loads(last_line)
failed = False
for k in ("k5", "k10"):
    mse = report["mse"][k]
    ok = mse["cml"] < mse["no_meta"]
    failed |= not ok
    verdict = "<" if ok else "NOT <"
    print(f"smoke {k}: CML {mse['cml']:.4f} {verdict} no meta-learning {mse['no_meta']:.4f}")
sys.exit(1 if failed else 0)
