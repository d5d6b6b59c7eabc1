"""The fleet's faults, each decided from the run's seed alone so that a run is reproducible
and the server can say how many garbage replies it must have rejected:

- a device that drops out in a round computes, then fails before replying (Flower turns the
  failure into an error reply, which the strategy counts and leaves out);
- a garbage device replies every round with a NaN, saturated or corrupted export, in turn.
"""

from __future__ import annotations

import math
import random
import struct
import zlib
from dataclasses import dataclass

GARBAGE_KINDS = ("nan", "saturated", "checksum")


class DeviceDropped(RuntimeError):
    """Raised by a device that drops out mid-round."""


@dataclass(frozen=True)
class Faults:
    """Which devices misbehave in a run of `devices` devices."""

    seed: int
    devices: int
    dropout: float = 0.0
    garbage: float = 0.0

    def garbage_devices(self) -> set[int]:
        """The last `garbage × devices` devices (rounded, at least one when `garbage` > 0):
        the first ids stay honest, so emulated devices (ids 0, 1, …) never send garbage."""
        if self.garbage <= 0:
            return set()
        count = max(1, math.floor(self.garbage * self.devices + 0.5))
        return set(range(self.devices - count, self.devices))

    def drops(self, device: int, server_round: int) -> bool:
        """True when `device` drops out of `server_round`."""
        if self.dropout <= 0:
            return False
        return random.Random(f"drop:{self.seed}:{device}:{server_round}").random() < self.dropout

    def garbage_kind(self, device: int, server_round: int) -> str | None:
        """What a garbage device sends in `server_round` (None: an honest device)."""
        if device not in self.garbage_devices():
            return None
        return GARBAGE_KINDS[(device + server_round) % len(GARBAGE_KINDS)]

    def dropouts(self, rounds: int) -> int:
        """Device rounds that end in a dropout."""
        return sum(1 for r in range(1, rounds + 1) for d in range(self.devices)
                   if self.drops(d, r))

    def garbage_replies(self, rounds: int) -> dict[str, int]:
        """Garbage replies that reach the server in `rounds` rounds (those not dropped), by
        kind."""
        counts: dict[str, int] = {}
        for r in range(1, rounds + 1):
            for d in sorted(self.garbage_devices()):
                if not self.drops(d, r):
                    kind = self.garbage_kind(d, r)
                    counts[kind] = counts.get(kind, 0) + 1
        return counts


def _with_crc(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body))


def make_garbage(export: bytes, kind: str, header_len: int = 144) -> bytes:
    """A damaged copy of a format-5 Q8.24 export: `nan` re-stores the values as f64 with a
    NaN among them (a valid checksum), `saturated` pins ω's first values at the Q8.24 rail
    (a valid checksum), `checksum` flips one value bit and keeps the old checksum."""
    body = bytearray(export[:-4])
    if kind == "nan":
        bits = struct.unpack_from(f"<{(len(body) - header_len) // 4}i", body, header_len)
        values = [b / float(2**24) for b in bits]
        values[0] = float("nan")
        header = bytearray(body[:header_len])
        header[136:138] = b"\x00\x00"  # value type f64
        return _with_crc(bytes(header) + struct.pack(f"<{len(values)}d", *values))
    if kind == "saturated":
        for index in range(8):
            struct.pack_into("<i", body, header_len + 4 * index, 2**31 - 1)
        return _with_crc(bytes(body))
    if kind == "checksum":
        body[header_len + 5] ^= 0x10
        return bytes(body) + export[-4:]
    raise ValueError(f"unknown garbage kind {kind!r}")
