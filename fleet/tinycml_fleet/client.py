"""The ClientApp: one device of the fleet.

Each round it receives θ as an export, runs its local CML meta-steps on its own task stream
(the library's tool for a simulated device, the QEMU firmware for an emulated one), and
replies with the updated θ's export. The run's settings come with every round's message
(`config`), so the ClientApp holds no state of its own. Faults (`faults.py`) are played
here: a dropping device computes, then fails before replying; a garbage device replies with
a damaged export.
"""

from __future__ import annotations

from flwr.app import Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from . import device, faults
from .strategy import export_bytes, export_record

app = ClientApp()


@app.train()
def train(msg: Message, context: Context) -> Message:
    """One round of one device."""
    config = msg.content["config"]
    device_id = int(context.node_config["partition-id"])
    server_round = int(config["server-round"])
    args = device.RoundArgs(
        device=device_id,
        server_round=server_round,
        seed=int(config["seed"]),
        steps=int(config["steps"]),
        meta_lr=float(config["meta-lr"]),
        amplitude=device.amplitude_band(device_id, int(config["bands"])),
    )
    theta = export_bytes(msg.content["arrays"])
    if device_id < int(config["qemu-devices"]):
        from . import qemu

        updated, report = qemu.emulated_round(str(config["firmware"]), theta, args)
    else:
        updated, report = device.simulated_round(str(config["tool"]), theta, args)
    plan = faults.Faults(seed=int(config["seed"]), devices=int(config["devices"]),
                         dropout=float(config["dropout"]), garbage=float(config["garbage"]))
    if plan.drops(device_id, server_round):
        raise faults.DeviceDropped(f"device {device_id} dropped out of round {server_round}")
    kind = plan.garbage_kind(device_id, server_round)
    if kind is not None:
        updated = faults.make_garbage(updated, kind)
    content = RecordDict({
        "arrays": export_record(updated),
        "metrics": MetricRecord({"tasks-used": int(report["tasks"]),
                                 "tasks-dropped": int(report["dropped"])}),
    })
    return Message(content=content, reply_to=msg)
