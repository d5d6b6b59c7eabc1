"""The export format's round trip between Python and Rust, both directions.

    python3 python/test_roundtrip.py [--require-torch]     # from the repository root

1. Python writes exports (versions 3, 4 and 5; f64, f32 and Q8.24 values; both models) and the
   library decodes each (`cargo run --example export_roundtrip -- dump`): the values it reads
   in f64 must be the stored values bit for bit, the settings and μ the ones written, and the
   Q8.24 bits a `Q16_16` device decodes (at run time and with the compile-time reader of
   `store::flash`) must be this module's own rounding of them, or a refusal where version 5
   values are not Q8.24 values.
2. The library writes exports of every kind (`export_roundtrip write`): this module must read
   the values and settings the library reports, and writing what it read must give the same
   bytes.
3. With PyTorch installed, the PyTorch example's export is decoded by the library, and the
   library's network computes the same outputs as PyTorch at ω (the flat layout is right).

Exits non-zero on the first mismatch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tinycml_format as tcml  # noqa: E402

EXAMPLE = ["cargo", "run", "-q", "--release", "--features", "std", "--example",
           "export_roundtrip", "--"]
STEP = 2.0 ** -24


def run(*args: str) -> str:
    return subprocess.run(EXAMPLE + list(args), check=True, capture_output=True,
                          text=True).stdout


def bits(values) -> list[int]:
    return [int(b) for b in np.asarray(values, dtype="<f8").view("<u8")]


def config_bits(c: tcml.Config) -> dict:
    f = lambda v: bits([v])[0]  # noqa: E731
    return {"free_steps": c.free_steps, "free_lr": f(c.free_lr), "nudged_steps": c.nudged_steps,
            "nudged_lr": f(c.nudged_lr), "beta": f(c.beta), "estimator": c.estimator,
            "learn": c.learn, "lambda_min": f(c.lambda_min), "lambda_max": f(c.lambda_max)}


def check(condition: bool, what: str) -> None:
    if not condition:
        sys.exit(f"round trip FAILED: {what}")


def q8_24_bits(values) -> list[int]:
    """This module's Q8.24 rounding of f64 values, as raw i32 bits."""
    return list(np.frombuffer(tcml.encode_values(values, tcml.Q8_24), dtype="<i4").astype(int))


def python_writes(tmp: str) -> None:
    rng = np.random.default_rng(7)
    relu = tcml.Shape(1, [tcml.Layer(8, "relu"), tcml.Layer(8, "relu"), tcml.Layer(1, "identity")])
    tanh = tcml.Shape(1, [tcml.Layer(8, "tanh"), tcml.Layer(8, "tanh"), tcml.Layer(1, "identity")])
    config = tcml.Config(free_steps=21, free_lr=0.04, nudged_steps=9, nudged_lr=0.033, beta=0.15,
                         estimator="standard", learn="lambda", lambda_min=0.003, lambda_max=25.0)
    p = relu.params()
    omega = rng.uniform(-3, 3, p)
    # Halfway cases between two Q8.24 steps, both signs: the rounding rule must agree.
    omega[:10] = (np.arange(-5, 5) * 1000 + 0.5) * STEP
    lam = rng.uniform(0.01, 20, p)
    body_len, fast_len = tanh.dual_sizes()
    body, init = rng.uniform(-1, 1, body_len), rng.uniform(-1, 1, fast_len)
    q = lambda v: np.frombuffer(tcml.encode_values(v, tcml.Q8_24), "<i4") * STEP  # noqa: E731
    f32 = lambda v: np.asarray(v, np.float32).astype(np.float64)  # noqa: E731
    cases = [
        ("py-v3", tcml.Export(relu, config, omega=omega, lam=lam), None),
        ("py-v5-f64", tcml.Export(relu, config, omega=omega, lam=lam, version=5), None),
        ("py-v5-f32", tcml.Export(relu, config, omega=omega, lam=lam, version=5,
                                  value_type=tcml.F32), f32),
        ("py-v5-q8.24", tcml.Export(relu, config, omega=omega, lam=lam, version=5,
                                    value_type=tcml.Q8_24), q),
        # f32 values that are Q8.24 values too: a device reads them.
        ("py-v5-f32-exact", tcml.Export(relu, config, omega=q(f32(omega)), lam=q(f32(lam)),
                                        version=5, value_type=tcml.F32), None),
        ("py-dual-v4", tcml.Export(tanh, config, kind=tcml.DUAL_SYSTEM, body=body, init=init,
                                   mu=0.3, version=4), None),
        ("py-dual-v5-q8.24", tcml.Export(tanh, config, kind=tcml.DUAL_SYSTEM, body=body,
                                         init=init, mu=None, version=5,
                                         value_type=tcml.Q8_24), q),
    ]
    for name, export, stored in cases:
        path = os.path.join(tmp, name + ".tcml")
        tcml.save(path, export)
        values = export.values() if stored is None else stored(export.values())
        decoded = json.loads(run("dump", path))
        check(decoded["version"] == export.version, f"{name}: version")
        check(decoded["values"] == bits(values), f"{name}: values decoded in f64")
        check(decoded["config"] == config_bits(export.config), f"{name}: settings")
        mu = None if export.mu is None else bits([export.mu])[0]
        check(decoded["mu"] == mu, f"{name}: μ")
        exact = export.version < 5 or export.value_type == tcml.Q8_24 or name.endswith("exact")
        if exact:
            check(decoded["device"] == q8_24_bits(values), f"{name}: Q16_16 device bits")
        else:
            stored_type = {tcml.F64: "F64", tcml.F32: "F32"}[export.value_type]
            check(decoded["device"] == {"error": f"InexactValue {{ stored: {stored_type} }}"},
                  f"{name}: a device refuses version-5 values between Q8.24 steps")
        check(decoded["embedded"] == decoded["device"], f"{name}: compile-time reader")
        print(f"python → rust: {name}: {len(values)} values, same bits")


def rust_writes(tmp: str) -> None:
    run("write", tmp)
    names = sorted(f[:-5] for f in os.listdir(tmp) if f.startswith("rust-") and f.endswith(".tcml"))
    check(len(names) == 6, f"the library wrote {len(names)} exports, not 6")
    for name in names:
        with open(os.path.join(tmp, name + ".tcml"), "rb") as f:
            data = f.read()
        with open(os.path.join(tmp, name + ".json")) as f:
            expected = json.load(f)
        export = tcml.read(data)
        check(bits(export.values()) == expected["values"], f"{name}: values")
        check(config_bits(export.config) == expected["config"], f"{name}: settings")
        mu = None if export.mu is None else bits([export.mu])[0]
        check(mu == expected["mu"], f"{name}: μ")
        check(tcml.write(export) == data, f"{name}: writing what was read gives other bytes")
        print(f"rust → python: {name} (version {export.version}, {export.value_type}): "
              f"{len(expected['values'])} values, same values, same bytes written back")


def pytorch(tmp: str) -> None:
    subprocess.run([sys.executable, os.path.join(HERE, "examples", "pytorch_to_tinycml.py"), tmp,
                    "--steps", "200"], check=True)
    with open(os.path.join(tmp, "torch-outputs.json")) as f:
        torch_out = json.load(f)
    for name in ["torch-1-40-40-1", "torch-1-40-40-1-q8_24"]:
        decoded = json.loads(run("dump", os.path.join(tmp, name + ".tcml"),
                                 *[repr(x) for x in torch_out["x"]]))
        check("error" not in decoded["device"], f"{name}: a device reads it")
        check(decoded["embedded"] == decoded["device"], f"{name}: compile-time reader")
        ours, theirs = np.array(decoded["outputs"]), np.array(torch_out["y"])
        # f64 export: only the summation order differs. Q8.24 export: ω rounded to 6e-8.
        tolerance = 1e-12 if name.endswith("40-1") else 1e-5
        error = np.max(np.abs(ours - theirs) / np.maximum(1.0, np.abs(theirs)))
        check(error <= tolerance, f"{name}: outputs differ from PyTorch's by {error:.3g}")
        print(f"pytorch → rust: {name}: the library's outputs at ω match PyTorch's "
              f"(largest difference {error:.2g})")


def main() -> None:
    require_torch = "--require-torch" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        python_writes(tmp)
        rust_writes(tmp)
        try:
            import torch  # noqa: F401
        except ImportError:
            check(not require_torch, "PyTorch is not installed")
            print("PyTorch not installed: the PyTorch example was not run")
            return
        pytorch(tmp)
    print("round trip: all checks passed")


if __name__ == "__main__":
    main()
