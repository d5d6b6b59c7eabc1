"""Runs the fleet on Flower's simulation engine and prints one JSON line.

    python3 -m tinycml_fleet.run --devices 10 --rounds 10 [--strategy fedavg] …

The ServerApp starts from the tool's seeded θ, runs `--rounds` rounds of the chosen Flower
strategy (wrapped in `ValidatedExports`), scores the fleet's θ before and after on the shared
held-out set (fixed-point adaptation, the tool's `score`), then runs the centralized baselines
(one learner, as many task evaluations as the accepted replies made: one task per meta-step,
and as many tasks per meta-step as there are devices) and scores them the same way. Everything stays on this machine: the simulation engine's workers are local processes
and Ray is told to use the loopback address.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

from flwr.app import ConfigRecord, Context, MetricRecord
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp import strategy as flower
from flwr.simulation import run_simulation

from . import device, exports, faults
from .client import app as client_app
from .strategy import ValidatedExports, export_record, theta_arrays, theta_record

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TOOL = REPO / "target" / "release" / "examples" / "fleet_device"
STRATEGIES = ("fedavg", "fedadam", "fedavgm", "fedmedian", "fedtrimmedavg")


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devices", type=int, default=10, help="simulated + emulated devices")
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--steps", type=int, default=10, help="local meta-steps per round")
    p.add_argument("--meta-lr", type=float, default=0.3, help="devices' SGD meta rate")
    p.add_argument("--strategy", choices=STRATEGIES, default="fedavg")
    p.add_argument("--server-lr", type=float, default=None,
                   help="FedAdam's eta (Flower's default 0.1) or FedAvgM's server "
                   "learning rate (1.0)")
    p.add_argument("--momentum", type=float, default=0.9, help="FedAvgM's server momentum")
    p.add_argument("--trim", type=float, default=0.2, help="FedTrimmedAvg's beta")
    p.add_argument("--bands", type=int, default=5,
                   help="non-IID: amplitude bands the devices are spread over (1: IID)")
    p.add_argument("--dropout", type=float, default=0.0, help="chance a device drops a round")
    p.add_argument("--garbage", type=float, default=0.0, help="share of garbage devices")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--init-seed", type=int, default=1)
    p.add_argument("--heldout-tasks", type=int, default=500)
    p.add_argument("--qemu-devices", type=int, default=0, help="devices 0… run under QEMU")
    p.add_argument("--firmware", default="", help="the QEMU fleet firmware (ELF)")
    p.add_argument("--tool", default=str(DEFAULT_TOOL))
    p.add_argument("--workers", type=int, default=2, help="devices computing at once")
    p.add_argument("--round-timeout", type=float, default=600.0)
    p.add_argument("--no-centralized", action="store_true")
    p.add_argument("--out", default="", help="write the fleet's final θ export here")
    p.add_argument("--verbose", action="store_true", help="Flower's log on stderr")
    args = p.parse_args(argv)
    if args.devices < 2 or args.rounds < 1 or args.steps < 1:
        p.error("at least 2 devices, 1 round and 1 step")
    if not 0 <= args.qemu_devices <= args.devices:
        p.error("--qemu-devices must be between 0 and --devices")
    if args.qemu_devices and not args.firmware:
        p.error("--qemu-devices needs --firmware")
    return args


def inner_strategy(args: argparse.Namespace, sample: int) -> flower.Strategy:
    """One of Flower's own strategies; every device trains every round, no federated
    evaluation (the server scores θ itself)."""
    common = dict(fraction_train=1.0, fraction_evaluate=0.0, min_train_nodes=sample,
                  min_available_nodes=sample, min_evaluate_nodes=0)
    if args.strategy == "fedavg":
        return flower.FedAvg(**common)
    server_lr = {} if args.server_lr is None else {"eta": args.server_lr}
    if args.strategy == "fedadam":
        return flower.FedAdam(**common, **server_lr, eta_l=args.meta_lr)
    if args.strategy == "fedavgm":
        return flower.FedAvgM(**common, server_learning_rate=args.server_lr or 1.0,
                              server_momentum=args.momentum)
    if args.strategy == "fedmedian":
        return flower.FedMedian(**common)
    return flower.FedTrimmedAvg(**common, beta=args.trim)


def main(argv: list[str]) -> int:
    args = parse(argv)
    started = time.monotonic()
    results: dict = {}
    work = Path(tempfile.mkdtemp(prefix="fleet-run-"))
    start_path = work / "start.tcml"
    device.run_tool(args.tool, ["init", "--out", str(start_path),
                                "--init-seed", str(args.init_seed)])
    start = exports.fmt.read(start_path.read_bytes())
    template = exports.Template.of(start)

    server_app = ServerApp()

    @server_app.main()
    def serve(grid: Grid, context: Context) -> None:
        strategy = ValidatedExports(inner_strategy(args, args.devices), template)
        results["strategy"] = strategy

        def evaluate(server_round: int, arrays) -> MetricRecord | None:
            print(f"fleet: round {server_round}/{args.rounds} done at "
                  f"{time.monotonic() - started:.0f} s, {strategy.accepted} updates accepted",
                  file=sys.stderr, flush=True)
            if server_round not in (0, args.rounds):
                return None
            data = exports.encode(template, *theta_arrays(arrays))
            score = device.score(args.tool, data, args.heldout_tasks)
            results[f"score_{server_round}"] = score
            results[f"theta_{server_round}"] = data
            return MetricRecord({"mse-k10": score["mse_k10"], "mse-k5": score["mse_k5"]})

        train_config = ConfigRecord({
            "seed": args.seed, "steps": args.steps, "meta-lr": args.meta_lr,
            "bands": args.bands, "devices": args.devices, "dropout": args.dropout,
            "garbage": args.garbage, "qemu-devices": args.qemu_devices,
            "firmware": str(Path(args.firmware).resolve()) if args.firmware else "",
            "tool": str(Path(args.tool).resolve()),
        })
        strategy.start(grid=grid, initial_arrays=theta_record(start.omega, start.lam),
                       num_rounds=args.rounds, timeout=args.round_timeout,
                       train_config=train_config, evaluate_fn=evaluate)

    backend = {
        "client_resources": {"num_cpus": 1, "num_gpus": 0.0},
        "init_args": {"num_cpus": args.workers, "num_gpus": 0, "include_dashboard": False,
                      "_node_ip_address": "127.0.0.1", "log_to_driver": args.verbose},
    }
    if not args.verbose:
        logging.getLogger("flwr").setLevel(logging.WARNING)
    run_simulation(server_app=server_app, client_app=client_app,
                   num_supernodes=args.devices, backend_config=backend,
                   verbose_logging=args.verbose)
    fleet_seconds = time.monotonic() - started
    strategy: ValidatedExports = results["strategy"]
    final = results.get(f"score_{args.rounds}")
    if final is None:
        print("fleet: the run ended before its last round was scored", file=sys.stderr)
        return 1
    if args.out:
        Path(args.out).write_bytes(results[f"theta_{args.rounds}"])

    fleet_tasks = strategy.accepted * args.steps
    plan = faults.Faults(args.seed, args.devices, args.dropout, args.garbage)
    report = {
        "devices": args.devices,
        "qemu_devices": args.qemu_devices,
        "rounds": args.rounds,
        "strategy": args.strategy,
        "steps_per_round": args.steps,
        "meta_lr": args.meta_lr,
        "bands": args.bands,
        "heldout_tasks": args.heldout_tasks,
        "prior_mse_k10": results["score_0"]["mse_k10"],
        "prior_mse_k5": results["score_0"]["mse_k5"],
        "mse_k10": final["mse_k10"],
        "mse_k5": final["mse_k5"],
        "diverged": final["diverged"],
        "accepted_updates": strategy.accepted,
        "failed_replies": strategy.failures,
        "rejected_updates": sum(strategy.rejected.values()),
        "rejected_by_reason": dict(strategy.rejected),
        "garbage_replies": sum(plan.garbage_replies(args.rounds).values()),
        "garbage_by_kind": plan.garbage_replies(args.rounds),
        "expected_dropouts": plan.dropouts(args.rounds),
        "fleet_task_evaluations": fleet_tasks,
        "bytes_per_device_round": max(strategy.bytes_up, default=0),
        "bytes_down_per_device_round": max(strategy.bytes_down, default=0),
        "fleet_seconds": round(fleet_seconds, 1),
    }
    if not args.no_centralized:
        began = time.monotonic()
        central = work / "centralized.tcml"
        device.run_tool(args.tool, ["centralized", "--theta", str(start_path), "--out",
                                    str(central), "--seed", str(args.seed), "--steps",
                                    str(max(fleet_tasks, 1)), "--meta-lr", repr(args.meta_lr)],
                        timeout=3600)
        score = device.score(args.tool, central.read_bytes(), args.heldout_tasks)
        report["centralized_mse_k10"] = score["mse_k10"]
        report["centralized_mse_k5"] = score["mse_k5"]
        # The same task evaluations with the fleet's parallelism: one meta-step per round ×
        # local step, each averaging the estimates of as many tasks as there are devices.
        batch = max(args.devices, 1)
        batched = work / "centralized-batched.tcml"
        device.run_tool(args.tool, ["centralized", "--theta", str(start_path), "--out",
                                    str(batched), "--seed", str(args.seed), "--steps",
                                    str(max(round(fleet_tasks / batch), 1)), "--batch",
                                    str(batch), "--meta-lr", repr(args.meta_lr)],
                        timeout=3600)
        score = device.score(args.tool, batched.read_bytes(), args.heldout_tasks)
        report["centralized_batched_mse_k10"] = score["mse_k10"]
        report["centralized_batched_mse_k5"] = score["mse_k5"]
        report["centralized_seconds"] = round(time.monotonic() - began, 1)
    report["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
