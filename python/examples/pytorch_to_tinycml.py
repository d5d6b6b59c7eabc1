"""Map a PyTorch `nn.Sequential` of `nn.Linear` layers to a tinycml export.

    python3 python/examples/pytorch_to_tinycml.py OUT_DIR [--steps N]

Trains a 1-40-40-1 ReLU network on one sinusoid for a few hundred Adam steps (a stand-in for
any model you trained yourself, not meta-trained with CML), then writes it as the prior ω of
a complex synapse with a uniform λ:

- `OUT_DIR/torch-1-40-40-1.tcml`: format version 3, f64 values (any precision reads it);
- `OUT_DIR/torch-1-40-40-1-q8_24.tcml`: format version 5 in the device's own number format
  (Q8.24 bits of `Q16_16`), half the size, for `tinycml::embed_complex_synapse!`;
- `OUT_DIR/torch-outputs.json`: a few inputs and the network's outputs in float64, so a test
  can check that tinycml computes the same function from the export.

The mapping (`to_export`): each `nn.Linear` is a layer; an `nn.ReLU` or `nn.Tanh` right after
it is that layer's activation, otherwise it is linear (`identity`). The flat vector is, per
layer, `weight.T.ravel()` (column-major: PyTorch's `weight` is out x in) then `bias`.

Choosing λ for a prior that was not meta-trained: λ is each weight's pull back to ω during
adaptation, `φ ← φ − lr · (∇ℓ + λ (φ − ω))`. The pull alone shrinks a weight's distance from ω
by a factor (1 − lr·λ) per step, so
- plain gradient descent is stable only while lr · (λ + the loss's curvature) < 2, and the
  library clamps λ to λ_max = 1/lr by default: keep λ well below that;
- over K steps the pull matters when lr·λ·K is about 1 or more. λ = 1/(lr·K) lets adaptation
  move about as far as the data asks during the free phase, then holds it; much smaller λ is
  plain fine-tuning from ω, much larger λ pins φ to ω and the device barely adapts.
For the library's sinusoid recipe (lr 0.01, K = 100) that is λ = 1; the meta-learned λ of the
committed sinusoid priors have a median of 1.05 (1-40-40-1) and 1.11 (1-16-16-1), 90 % below
2.7, and the largest 5.3 — lr·λ_max = 0.05, far inside the bound. The digits prior (lr 0.1,
K = 40) learned λ between 0.083 and 0.102. Start with a uniform λ = 1/(lr·K); lower it (towards
a tenth of that) when tasks have many informative shots, raise it when they have one or two.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tinycml_format as tcml  # noqa: E402

ACTIVATION_OF = {nn.ReLU: "relu", nn.Tanh: "tanh"}


def to_export(model: nn.Sequential, inputs: int, lam: float, config: tcml.Config,
              version: int = tcml.VERSION_3, value_type: str = tcml.F64) -> tcml.Export:
    """The complex-synapse export of `model` (Linear layers, each optionally followed by ReLU
    or Tanh): ω = its parameters in tinycml's flat layout, λ uniform."""
    modules = list(model)
    layers, blocks = [], []
    for i, module in enumerate(modules):
        if isinstance(module, nn.Linear):
            after = modules[i + 1] if i + 1 < len(modules) else None
            activation = ACTIVATION_OF.get(type(after), "identity")
            layers.append(tcml.Layer(module.out_features, activation))
            weight = module.weight.detach().double().numpy()
            bias = module.bias.detach().double().numpy()
            blocks.append((weight, bias))
        elif type(module) not in ACTIVATION_OF:
            raise ValueError(f"cannot map {type(module).__name__}: only Linear, ReLU and Tanh")
    omega = tcml.flatten_linear(blocks)
    shape = tcml.Shape(inputs, layers)
    assert len(omega) == shape.params()
    return tcml.Export(shape=shape, config=config, omega=omega, lam=np.full(len(omega), lam),
                       version=version, value_type=value_type)


def train(steps: int) -> nn.Sequential:
    """1-40-40-1 ReLU fitted to 2·sin(x + 0.5) on [−5, 5] (seeded, CPU)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(),
                          nn.Linear(40, 1))
    x = torch.linspace(-5, 5, 200).unsqueeze(1)
    y = 2 * torch.sin(x + 0.5)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        optimiser.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimiser.step()
    print(f"trained {steps} steps: MSE {loss.item():.4f}")
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    model = train(args.steps)
    config = tcml.Config()  # the library's default recipe: 100 free steps at lr 0.01
    lam = 1.0 / (config.free_lr * config.free_steps)  # = 1: see the module docs
    for name, version, value_type in [("torch-1-40-40-1.tcml", tcml.VERSION_3, tcml.F64),
                                      ("torch-1-40-40-1-q8_24.tcml", tcml.VERSION_5, tcml.Q8_24)]:
        export = to_export(model, 1, lam, config, version, value_type)
        size = tcml.save(os.path.join(args.out_dir, name), export)
        print(f"wrote {name}: {size} bytes, P = {export.shape.params()}, λ = {lam}")

    xs = [-4.5, -1.25, 0.0, 0.3, 2.0, 4.75]
    with torch.no_grad():
        ys = model.double()(torch.tensor(xs, dtype=torch.float64).unsqueeze(1)).squeeze(1)
    with open(os.path.join(args.out_dir, "torch-outputs.json"), "w") as f:
        json.dump({"x": xs, "y": ys.tolist()}, f)


if __name__ == "__main__":
    main()
