"""θ on the wire: the library's format-5 export (Q8.24 bits, CRC-32), read and written with
`python/tinycml_format.py`, and the checks the server makes on every device's reply."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
import tinycml_format as fmt  # noqa: E402

#: Smallest and largest Q8.24 bits: a value there has saturated.
RAIL_LOW, RAIL_HIGH = -(2**31), 2**31 - 1
SCALE = float(2**24)


class Rejected(ValueError):
    """A reply the server does not aggregate; `reason` is one word for the counts."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass
class Template:
    """What every θ of this fleet shares: the network's shape and the stored settings."""

    shape: fmt.Shape
    config: fmt.Config
    loss: str

    @classmethod
    def of(cls, export: fmt.Export) -> "Template":
        return cls(export.shape, export.config, export.loss)

    def params(self) -> int:
        return self.shape.params()


def project(template: Template, omega: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """θ as a device can hold it: each value rounded to Q8.24, ω inside the format, λ inside
    the stored bounds (an aggregate such as FedAdam's can leave them)."""
    limit = (RAIL_HIGH - 1) / SCALE
    omega = np.clip(np.asarray(omega, dtype=np.float64), -limit, limit)
    lam = np.clip(np.asarray(lam, dtype=np.float64), template.config.lambda_min,
                  template.config.lambda_max)
    on_grid = fmt.decode_values(fmt.encode_values(np.concatenate([omega, lam]), fmt.Q8_24),
                                fmt.Q8_24)
    omega, lam = on_grid[:len(omega)], on_grid[len(omega):]
    # Rounding may take a λ at its lower bound just below it.
    lam = np.maximum(lam, np.ceil(template.config.lambda_min * SCALE) / SCALE)
    return omega, lam


def encode(template: Template, omega: np.ndarray, lam: np.ndarray) -> bytes:
    """The format-5 export (Q8.24) of θ, after [`project`]."""
    omega, lam = project(template, omega, lam)
    return fmt.write(fmt.Export(shape=template.shape, config=template.config, loss=template.loss,
                                omega=omega, lam=lam, version=fmt.VERSION_5,
                                value_type=fmt.Q8_24))


def validate(template: Template, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """ω and λ of a device's reply, or Rejected: a damaged export (CRC, length, header),
    another model, shape, loss or settings, NaN or infinite values, values at the Q8.24 rails,
    another number format, λ outside its bounds."""
    try:
        export = fmt.read(data)
    except fmt.FormatError as error:
        reason = "checksum" if "checksum" in str(error) else "format"
        raise Rejected(reason, str(error)) from None
    if export.kind != fmt.COMPLEX_SYNAPSE or export.version != fmt.VERSION_5:
        raise Rejected("format", f"a {export.kind} of version {export.version}")
    if export.shape != template.shape or export.loss != template.loss:
        raise Rejected("shape", "another network or loss")
    if export.config != template.config:
        raise Rejected("settings", "the stored settings changed")
    values = np.concatenate([export.omega, export.lam])
    if not np.all(np.isfinite(values)):
        raise Rejected("nan", f"{int(np.sum(~np.isfinite(values)))} values not finite")
    if export.value_type != fmt.Q8_24:
        raise Rejected("format", f"values stored as {export.value_type}, not Q8.24")
    bits = np.rint(values * SCALE)
    saturated = int(np.sum((bits <= RAIL_LOW) | (bits >= RAIL_HIGH)))
    if saturated:
        raise Rejected("saturated", f"{saturated} values at the Q8.24 rails")
    lam = export.lam
    if np.any(lam < template.config.lambda_min) or np.any(lam > template.config.lambda_max):
        raise Rejected("lambda", "λ outside its stored bounds")
    return export.omega, export.lam
