"""Read and write tinycml exports (the `.tcml` format of `tinycml::store`) with numpy.

A model trained in numpy or PyTorch reaches a device through this module: build its flat
parameter vector (`flatten_linear`), choose λ, write an export (`write` / `save`), and the
device reads it with `tinycml::store::decode` at run time or embeds it in flash with
`tinycml::embed_complex_synapse!` at compile time. The other way round, `read` / `load` turn any
export the library writes into numpy arrays.

Every format version the library reads is read here (2 to 5); `write` produces version 3
(complex synapse, f64), version 4 (dual system, f64) or version 5 (either model, values in
`f64`, `f32` or a fixed-point format's `i32` bits). The byte-by-byte layout is in
`docs/FORMAT.md`; this module follows it and nothing else.

The flat layout: layers from the input; each layer's weights column-major (`W[i][j]`, output
`i` from input `j`, at `j * outputs + i`), then its biases. For a PyTorch `nn.Linear`, whose
`weight` is `out x in`, the block is `weight.T.ravel()` (= `weight.ravel(order="F")`) followed
by `bias`.

Only numpy is needed. Values are returned as float64 arrays holding the stored values exactly.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

MAGIC = b"TCML"
VERSION_2, VERSION_3, VERSION_4, VERSION_5 = 2, 3, 4, 5
HEADER_LEN = {VERSION_2: 80, VERSION_3: 128, VERSION_4: 136, VERSION_5: 144}
MAX_LAYERS = 8
LOSS_NAME_LEN = 24

ACTIVATIONS = ("relu", "tanh", "identity")
ESTIMATORS = ("standard", "symmetric")
LEARNED = ("both", "omega", "lambda")
COMPLEX_SYNAPSE, DUAL_SYSTEM = "complex_synapse", "dual_system"
KINDS = (COMPLEX_SYNAPSE, DUAL_SYSTEM)

#: Value types of version 5: IEEE binary64, binary32, or `fixed:N` (i32 bits of value * 2**N).
F64, F32 = "f64", "f32"
#: The parameter format of the device default `Q16_16`: Q8.24, i32 bits with 24 fraction bits.
Q8_24 = "fixed:24"


@dataclass
class Config:
    """The rule's settings stored with θ (`tinycml::Config`); defaults are the library's."""

    free_steps: int = 100
    free_lr: float = 0.01
    nudged_steps: int = 50
    nudged_lr: float = 0.01 / 1.1
    beta: float = 0.1
    estimator: str = "symmetric"
    learn: str = "both"
    lambda_min: float = 1e-4
    lambda_max: float = 100.0


@dataclass
class Layer:
    """One dense layer: its outputs and activation (`relu`, `tanh` or `identity`)."""

    outputs: int
    activation: str


@dataclass
class Shape:
    """Inputs and layers, first to last. A dual system is described by its equivalent
    network (the last layer is the read-out)."""

    inputs: int
    layers: list[Layer]

    def params(self) -> int:
        """Parameters of the network: sum of outputs * (inputs + 1)."""
        total, inputs = 0, self.inputs
        for layer in self.layers:
            total += layer.outputs * (inputs + 1)
            inputs = layer.outputs
        return total

    def dual_sizes(self) -> tuple[int, int]:
        """(BODY, FAST) of the dual system of this shape: the body is the network without its
        last layer; the fast state is a gain and a shift per hidden unit plus the read-out."""
        body = Shape(self.inputs, self.layers[:-1]).params()
        hidden = sum(layer.outputs for layer in self.layers[:-1])
        readout = self.layers[-1].outputs * (self.layers[-2].outputs + 1)
        return body, 2 * hidden + readout


@dataclass
class Export:
    """One export: the model, its settings and θ.

    A complex synapse has `omega` and `lam` (λ), each `shape.params()` values; a dual system
    has `body` and `init` (the initial fast state) and optionally `mu`. `value_type` is how the
    values are stored in version 5 (`F64`, `F32` or `fixed:N`, e.g. `Q8_24`); versions 2 to 4
    store f64.
    """

    shape: Shape
    config: Config = field(default_factory=Config)
    loss: str = "squared_error"
    kind: str = COMPLEX_SYNAPSE
    omega: np.ndarray | None = None
    lam: np.ndarray | None = None
    body: np.ndarray | None = None
    init: np.ndarray | None = None
    mu: float | None = None
    version: int = VERSION_3
    value_type: str = F64

    def values(self) -> np.ndarray:
        """Every stored value in file order (ω then λ, or body then initial fast state)."""
        if self.kind == COMPLEX_SYNAPSE:
            return np.concatenate([_f64(self.omega), _f64(self.lam)])
        return np.concatenate([_f64(self.body), _f64(self.init)])


class FormatError(ValueError):
    """The bytes are not an export this module reads, or θ cannot be written as asked."""


def _f64(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).ravel()


def _frac_bits(value_type: str) -> int | None:
    """Fraction bits of a `fixed:N` type, None for the float types."""
    if value_type in (F64, F32):
        return None
    if value_type.startswith("fixed:"):
        bits = int(value_type[len("fixed:"):])
        if 0 <= bits <= 32:
            return bits
    raise FormatError(f"unknown value type {value_type!r} (f64, f32 or fixed:0 to fixed:32)")


def _value_size(value_type: str) -> int:
    return 8 if value_type == F64 else 4


def _round_half_away(x: np.ndarray) -> np.ndarray:
    """Round to nearest, halves away from zero (as the library's fixed-point conversion)."""
    truncated = np.trunc(x)
    fraction = x - truncated
    return truncated + (fraction >= 0.5) - (fraction <= -0.5)


def encode_values(values, value_type: str) -> bytes:
    """The little-endian bytes of `values` stored as `value_type`, rounded once to nearest
    (f32: ties to even, as a cast; fixed point: halves away from zero); FormatError when a
    value does not fit."""
    values = _f64(values)
    if not np.all(np.isfinite(values)):
        raise FormatError("θ holds NaN or infinite values")
    if value_type == F64:
        return values.astype("<f8").tobytes()
    if value_type == F32:
        with np.errstate(over="ignore"):
            narrow = values.astype("<f4")
        if not np.all(np.isfinite(narrow)):
            raise FormatError("a value is beyond the f32 range")
        return narrow.tobytes()
    scaled = _round_half_away(values * float(2 ** _frac_bits(value_type)))
    if np.any(scaled < -(2**31)) or np.any(scaled > 2**31 - 1):
        raise FormatError(f"a value does not fit {value_type}")
    return scaled.astype("<i4").tobytes()


def decode_values(data: bytes, value_type: str) -> np.ndarray:
    """The values stored in `data` as `value_type`, as float64 (exact)."""
    if value_type == F64:
        return np.frombuffer(data, dtype="<f8").astype(np.float64)
    if value_type == F32:
        return np.frombuffer(data, dtype="<f4").astype(np.float64)
    bits = np.frombuffer(data, dtype="<i4").astype(np.float64)
    return bits / float(2 ** _frac_bits(value_type))


def _value_type_code(value_type: str) -> bytes:
    frac = _frac_bits(value_type)
    if frac is None:
        return bytes([0 if value_type == F64 else 1, 0])
    return bytes([2, frac])


def _value_type_of(code: bytes) -> str:
    if code == b"\x00\x00":
        return F64
    if code == b"\x01\x00":
        return F32
    if code[0] == 2 and code[1] <= 32:
        return f"fixed:{code[1]}"
    raise FormatError("unknown value type")


def write(export: Export) -> bytes:
    """The export's bytes: header, values, CRC-32.

    `export.version` 3 (complex synapse), 4 (dual system) or 5 (either, values in
    `export.value_type`); versions 3 and 4 store f64.
    """
    e = export
    if e.kind not in KINDS:
        raise FormatError(f"unknown model kind {e.kind!r}")
    allowed = {COMPLEX_SYNAPSE: (VERSION_3, VERSION_5), DUAL_SYSTEM: (VERSION_4, VERSION_5)}
    if e.version not in allowed[e.kind]:
        raise FormatError(f"a {e.kind} is written as version {allowed[e.kind]}, not {e.version}")
    value_type = e.value_type if e.version == VERSION_5 else F64
    if not 1 <= len(e.shape.layers) <= MAX_LAYERS:
        raise FormatError("an export holds 1 to 8 layers")
    if e.kind == COMPLEX_SYNAPSE:
        count, fast = e.shape.params(), 0
        omega, lam = _f64(e.omega), _f64(e.lam)
        if len(omega) != count or len(lam) != count:
            raise FormatError(f"ω and λ must hold {count} values each for this shape")
        if np.any(lam <= 0):
            raise FormatError("every λ must be > 0")
        if e.mu is not None:
            raise FormatError("μ belongs to a dual system")
    else:
        count, fast = e.shape.dual_sizes()
        if len(_f64(e.body)) != count or len(_f64(e.init)) != fast:
            raise FormatError(f"body and initial fast state must hold {count} and {fast} values")
    c = e.config
    header = bytearray()
    header += MAGIC
    header += struct.pack("<HHIHB", e.version, HEADER_LEN[e.version], count, e.shape.inputs,
                          len(e.shape.layers))
    header += bytes([0 if e.version == VERSION_3 else KINDS.index(e.kind)])
    header += struct.pack("<II5d", c.free_steps, c.nudged_steps, c.free_lr, c.nudged_lr, c.beta,
                          c.lambda_min, c.lambda_max)
    header += bytes([ESTIMATORS.index(c.estimator), LEARNED.index(c.learn),
                     0 if e.mu is None else 1, 0])
    header += struct.pack("<I", fast)
    name = e.loss.encode("ascii")[:LOSS_NAME_LEN]
    header += name + bytes(LOSS_NAME_LEN - len(name))
    for slot in range(MAX_LAYERS):
        if slot < len(e.shape.layers):
            layer = e.shape.layers[slot]
            header += struct.pack("<HBB", layer.outputs, ACTIVATIONS.index(layer.activation), 0)
        else:
            header += bytes(4)
    if e.version >= VERSION_4:
        header += struct.pack("<d", 0.0 if e.mu is None else e.mu)
    if e.version == VERSION_5:
        header += _value_type_code(value_type) + bytes(6)
    assert len(header) == HEADER_LEN[e.version]
    body = bytes(header) + encode_values(e.values(), value_type)
    return body + struct.pack("<I", zlib.crc32(body))


def read(data: bytes) -> Export:
    """The export in `data` (versions 2 to 5); FormatError for anything else or any damage."""
    data = bytes(data)
    if len(data) < 12 or data[:4] != MAGIC:
        raise FormatError("not a tinycml export (magic)")
    version, header_len, count = struct.unpack_from("<HHI", data, 4)
    if version not in HEADER_LEN:
        raise FormatError(f"format version {version} is not read (2 to 5)")
    if header_len != HEADER_LEN[version] or len(data) < header_len + 4:
        raise FormatError("wrong header length")
    kind, fast, mu_given, value_type = COMPLEX_SYNAPSE, 0, 0, F64
    if version >= VERSION_4:
        if data[15] > 1:
            raise FormatError("unknown model kind")
        kind = KINDS[data[15]]
        mu_given = data[66]
        (fast,) = struct.unpack_from("<I", data, 68)
    if version == VERSION_5:
        if data[138:144] != bytes(6):
            raise FormatError("reserved header bytes are not 0")
        value_type = _value_type_of(data[136:138])
    if kind == COMPLEX_SYNAPSE and (fast != 0 or mu_given != 0):
        raise FormatError("a complex synapse has no fast state or μ")
    if mu_given > 1:
        raise FormatError("invalid μ flag")
    values = 2 * count if kind == COMPLEX_SYNAPSE else count + fast
    if len(data) != header_len + values * _value_size(value_type) + 4:
        raise FormatError("wrong length")
    (stored_crc,) = struct.unpack_from("<I", data, len(data) - 4)
    if zlib.crc32(data[:-4]) != stored_crc:
        raise FormatError("checksum mismatch")

    if version == VERSION_2:
        model, activation = data[12], data[13]
        widths = struct.unpack_from("<4H", data, 16)
        config_at, loss = 24, "squared_error"
        if model == 0 and widths[1:] == (0, 0, 1):
            layers = [Layer(1, "identity")]
        elif model == 1 and activation <= 1 and widths[3] == 1:
            hidden = ACTIVATIONS[activation]
            layers = [Layer(widths[1], hidden), Layer(widths[2], hidden), Layer(1, "identity")]
        else:
            raise FormatError("unknown version-2 model")
        shape = Shape(widths[0], layers)
    else:
        (inputs,) = struct.unpack_from("<H", data, 12)
        depth = data[14]
        if not 1 <= depth <= MAX_LAYERS:
            raise FormatError("an export holds 1 to 8 layers")
        layers = []
        for slot in range(depth):
            outputs, activation, _ = struct.unpack_from("<HBB", data, 96 + 4 * slot)
            if activation >= len(ACTIVATIONS):
                raise FormatError("unknown activation")
            layers.append(Layer(outputs, ACTIVATIONS[activation]))
        shape = Shape(inputs, layers)
        config_at = 16
        loss = data[72:72 + LOSS_NAME_LEN].rstrip(b"\0").decode("ascii")
    free_steps, nudged_steps, *rates = struct.unpack_from("<II5d", data, config_at)
    estimator, learn = data[config_at + 48], data[config_at + 49]
    if estimator > 1 or learn > 2:
        raise FormatError("unknown estimator or learned half")
    config = Config(free_steps, rates[0], nudged_steps, rates[1], rates[2], ESTIMATORS[estimator],
                    LEARNED[learn], rates[3], rates[4])
    stored = decode_values(data[header_len:-4], value_type)
    export = Export(shape=shape, config=config, loss=loss, kind=kind, version=version,
                    value_type=value_type)
    if kind == COMPLEX_SYNAPSE:
        export.omega, export.lam = stored[:count], stored[count:]
    else:
        export.body, export.init = stored[:count], stored[count:]
        if mu_given:
            (export.mu,) = struct.unpack_from("<d", data, 128)
    return export


def save(path, export: Export) -> int:
    """Writes `export` to `path`; returns the bytes written."""
    data = write(export)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def load(path) -> Export:
    """Reads the export at `path`."""
    with open(path, "rb") as f:
        return read(f.read())


def flatten_linear(layers) -> np.ndarray:
    """The flat parameter vector of a dense network from `[(weight, bias), ...]`, first layer
    first, each `weight` of shape `(out, in)` as PyTorch's `nn.Linear.weight`: per layer
    `weight.T.ravel()` (column-major) then `bias`."""
    blocks = []
    for weight, bias in layers:
        weight, bias = np.asarray(weight, dtype=np.float64), _f64(bias)
        if weight.ndim != 2 or bias.shape != (weight.shape[0],):
            raise FormatError("each layer needs a (out, in) weight and an (out,) bias")
        blocks += [weight.T.ravel(), bias]
    return np.concatenate(blocks)


def unflatten_linear(flat, shape: Shape) -> list[tuple[np.ndarray, np.ndarray]]:
    """`[(weight, bias), ...]` (weights `(out, in)`) from a flat vector of `shape`."""
    flat = _f64(flat)
    if len(flat) != shape.params():
        raise FormatError(f"{len(flat)} values for a shape of {shape.params()} parameters")
    layers, at, inputs = [], 0, shape.inputs
    for layer in shape.layers:
        n = layer.outputs * inputs
        weight = flat[at:at + n].reshape(inputs, layer.outputs).T
        bias = flat[at + n:at + n + layer.outputs]
        layers.append((weight, bias))
        at += n + layer.outputs
        inputs = layer.outputs
    return layers
