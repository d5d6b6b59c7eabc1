"""Reads the digits example's --smoke stdout and checks its last line: one JSON object in which
CML adapted in q16.16 beats no meta-learning at both shot counts, stays within one accuracy
point of f32 adaptation of the same θ, and no held-out task diverged."""
import json
import sys

report = json.loads(sys.stdin.read().strip().splitlines()[-1])
methods = report["methods"]
q16, f32, plain = (methods[m]["accuracy"] for m in ("cml_q16_16", "cml_f32", "no_meta_f32"))
ok = report["diverged"] == 0
for shots in ("shot1", "shot5"):
    ok = ok and q16[shots] > plain[shots] and abs(q16[shots] - f32[shots]) <= 1.0
print(
    f"digits smoke: CML q16.16 {q16['shot1']:.1f} / {q16['shot5']:.1f} %, f32 {f32['shot1']:.1f} / "
    f"{f32['shot5']:.1f} %, no meta-learning {plain['shot1']:.1f} / {plain['shot5']:.1f} %: "
    f"{'ok' if ok else 'FAILED'}"
)
sys.exit(0 if ok else 1)
