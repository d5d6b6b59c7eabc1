"""A wrapper around any of Flower's strategies that makes θ travel as the library's export
and refuses bad replies before the strategy sees them.

Out: the strategy's arrays (ω and λ as float64) are projected onto what a device holds
(Q8.24, λ in bounds, `exports.project`) and sent as one uint8 array, the export's bytes. The
wrapped strategy keeps the projected θ as its current arrays, so FedAdam's update is taken
from the θ the devices really received.

In: every reply's export is validated (`exports.validate`: CRC, header, shape, settings, NaN,
saturation, number format, λ bounds); a bad one is counted by reason and dropped, and the
rest reach the strategy as ω and λ arrays weighted by the tasks the device used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from logging import INFO

import numpy as np
from flwr.app import Array, ArrayRecord, ConfigRecord, Message, MetricRecord, RecordDict
from flwr.serverapp import Grid
from flwr.serverapp.strategy import Strategy
from flwr.supercore import log

from . import exports

EXPORT_KEY = "export"


def export_record(data: bytes) -> ArrayRecord:
    """An export's bytes as the one array of an ArrayRecord."""
    return ArrayRecord({EXPORT_KEY: Array(np.frombuffer(data, dtype=np.uint8).copy())})


def export_bytes(record: ArrayRecord) -> bytes:
    """The export's bytes back from an ArrayRecord."""
    return record[EXPORT_KEY].numpy().astype(np.uint8).tobytes()


def theta_record(omega: np.ndarray, lam: np.ndarray) -> ArrayRecord:
    """θ as the two float64 arrays the strategies aggregate."""
    return ArrayRecord({"omega": Array(np.asarray(omega, dtype=np.float64)),
                        "lambda": Array(np.asarray(lam, dtype=np.float64))})


def theta_arrays(record: ArrayRecord) -> tuple[np.ndarray, np.ndarray]:
    """ω and λ from a θ record."""
    return record["omega"].numpy(), record["lambda"].numpy()


class ValidatedExports(Strategy):
    """`inner` with θ sent as exports and every reply validated; see the module docs."""

    def __init__(self, inner: Strategy, template: exports.Template):
        self.inner = inner
        self.template = template
        self.rejected: Counter[str] = Counter()
        self.failures = 0
        self.accepted = 0
        self.tasks_used = 0
        self.bytes_down: list[int] = []
        self.bytes_up: list[int] = []  # accepted replies' exports

    def summary(self) -> None:
        log(INFO, "\t├──> θ as format-5 exports, replies validated before %s",
            type(self.inner).__name__)
        self.inner.summary()

    def configure_train(self, server_round: int, arrays: ArrayRecord, config: ConfigRecord,
                        grid: Grid) -> Iterable[Message]:
        omega, lam = exports.project(self.template, *theta_arrays(arrays))
        messages = self.inner.configure_train(server_round, theta_record(omega, lam), config,
                                              grid)
        data = exports.encode(self.template, omega, lam)
        sent = []
        for message in messages:
            content = RecordDict({"arrays": export_record(data),
                                  "config": message.content["config"]})
            sent.append(Message(content=content, message_type=message.metadata.message_type,
                                dst_node_id=message.metadata.dst_node_id))
            self.bytes_down.append(len(data))
        return sent

    def aggregate_train(self, server_round: int, replies: Iterable[Message]):
        passed = []
        for reply in replies:
            if reply.has_error():
                self.failures += 1
                passed.append(reply)
                continue
            data = export_bytes(reply.content["arrays"])
            try:
                omega, lam = exports.validate(self.template, data)
            except exports.Rejected as why:
                self.rejected[why.reason] += 1
                log(INFO, "\t> round %d: rejected the reply of node %d: %s", server_round,
                    reply.metadata.src_node_id, why)
                continue
            tasks = int(reply.content["metrics"]["tasks-used"])
            self.bytes_up.append(len(data))
            self.accepted += 1
            self.tasks_used += tasks
            reply.content = RecordDict({"arrays": theta_record(omega, lam),
                                        "metrics": MetricRecord({"num-examples": max(tasks, 1),
                                                                 "tasks-used": tasks})})
            passed.append(reply)
        return self.inner.aggregate_train(server_round, passed)

    def configure_evaluate(self, server_round, arrays, config, grid):
        return []

    def aggregate_evaluate(self, server_round, replies):
        return None

