"""Checks the fleet's JSON line (stdin's last line) from a run with faults:

    bash fleet/simulate-qemu.sh --devices 5 --rounds 5 … | python3 .ci/check_fleet.py DEVICES ROUNDS QEMU

The line parses with every field; the fleet's θ beats the prior on the held-out set at K = 10
and K = 5, and so does the centralized baseline; every reply is accounted for (accepted,
rejected or failed); the rejected replies are exactly the garbage devices' replies (kind by kind) and the
failed ones exactly the dropouts the seed decides; an honest update is one format-5 Q8.24
export of the 1-16-16-1 network.
"""

import json
import math
import sys

devices, rounds, qemu_devices = (int(a) for a in sys.argv[1:4])
lines = [line for line in sys.stdin.read().splitlines() if line.strip()]
assert lines, "no output"
report = json.loads(lines[-1])
fields = ["devices", "rounds", "strategy", "mse_k10", "mse_k5", "centralized_mse_k10",
          "centralized_batched_mse_k10",
          "rejected_updates", "bytes_per_device_round", "seconds", "prior_mse_k10",
          "accepted_updates", "failed_replies", "garbage_replies", "expected_dropouts"]
missing = [f for f in fields if f not in report]
assert not missing, f"missing fields: {missing}"
assert report["devices"] == devices and report["rounds"] == rounds, report
assert report["qemu_devices"] == qemu_devices, report
for key in ("mse_k10", "mse_k5", "centralized_mse_k10", "centralized_batched_mse_k10",
            "prior_mse_k10", "prior_mse_k5"):
    assert math.isfinite(report[key]) and report[key] > 0, (key, report[key])
assert report["mse_k10"] < report["prior_mse_k10"], "the fleet did not beat its prior at K = 10"
assert report["mse_k5"] < report["prior_mse_k5"], "the fleet did not beat its prior at K = 5"
assert report["centralized_mse_k10"] < report["prior_mse_k10"], "the baseline did not learn"
assert report["centralized_batched_mse_k10"] < report["prior_mse_k10"], "the batched baseline did not learn"
assert report["diverged"] == 0, report["diverged"]
total = report["accepted_updates"] + report["rejected_updates"] + report["failed_replies"]
assert total == devices * rounds, f"{total} replies accounted for, {devices * rounds} expected"
assert report["garbage_replies"] > 0, "the run had no garbage to reject"
assert report["rejected_updates"] == report["garbage_replies"], (
    f"rejected {report['rejected_updates']}, garbage replies {report['garbage_replies']}")
assert report["rejected_by_reason"] == report["garbage_by_kind"], (
    f"rejected {report['rejected_by_reason']}, sent {report['garbage_by_kind']}")
assert report["failed_replies"] == report["expected_dropouts"], (
    f"failed {report['failed_replies']}, dropouts {report['expected_dropouts']}")
export_len = 144 + 2 * 321 * 4 + 4
assert report["bytes_per_device_round"] == export_len, report["bytes_per_device_round"]
print(f"fleet: {devices} devices ({qemu_devices} under QEMU) x {rounds} rounds, "
      f"K = 10 MSE {report['prior_mse_k10']:.3f} -> {report['mse_k10']:.3f} "
      f"(centralized {report['centralized_mse_k10']:.3f}), rejected {report['rejected_updates']} "
      f"of {report['garbage_replies']} garbage replies, {report['failed_replies']} dropouts: ok")
