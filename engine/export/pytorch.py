"""The network as a self-contained PyTorch script (model, trained weights, training loop)."""

from __future__ import annotations

from engine.export import training
from engine.export.spec import (
    DATA_FILENAME,
    FEATURE_TREES,
    NetworkSpec,
    literal,
    load_data_function,
)

# Every engine activation as a torch.nn module. torch has no sine or step module: `Sine`
# and `Step` are defined in the script (SCRIPT_MODULES).
MODULES = {
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU(negative_slope=0.01)",
    "elu": "nn.ELU(alpha=1.0)",
    "softplus": "nn.Softplus()",
    "swish": "nn.SiLU()",
    "gelu": 'nn.GELU(approximate="tanh")',
    "sine": "Sine()",
    "step": "Step()",
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "linear": "nn.Identity()",
    "softmax": "nn.Softmax(dim=1)",
}
NOTES = {"swish": "  # swish", "linear": "  # linear"}  # where torch's name differs
CALLS = {"mul": "{0} * {1}", "sin": "torch.sin({0})", "cos": "torch.cos({0})"}

HEADER = '''\
"""{title}

Exported from the playground at epoch {epoch}. Run it next to {data}:

    python {filename} --epochs 100

It rebuilds the network (features, layers, activations, output head), loads the trained
weights, then trains on the same data with the same setup.
"""

import argparse
import csv
from pathlib import Path

import torch
from torch import nn

# The playground computes in float64; so does this script (results match to ~1e-12).
torch.set_default_dtype(torch.float64)
DATA_FILE = Path(__file__).with_name("{data}")
'''

FEATURES = '''

class Features(nn.Module):
    """The network's inputs, computed from the raw point (x1, x2) as the playground does."""

    def forward(self, points):
        x1, x2 = points[:, 0:1], points[:, 1:2]
        return torch.cat([{columns}], dim=1)  # {names}
'''

SINE = '''

class Sine(nn.Module):
    """sin(z): torch has the function but no module for it."""

    def forward(self, z):
        return torch.sin(z)
'''

STEP = '''

class Step(nn.Module):
    """Heaviside step: 1 for z >= 0, else 0 (torch.heaviside takes the value at 0)."""

    def forward(self, z):
        return torch.heaviside(z, torch.ones_like(z))
'''
SCRIPT_MODULES = {"sine": SINE, "step": STEP}  # written into the script when a layer uses it

MODEL = '''

class PlaygroundNet(nn.Module):
    """{shape}"""

    def __init__(self):
        super().__init__()
        self.features = Features()
        # Each hidden layer: a linear map, then its activation{dropout_note}.
        self.hidden = nn.Sequential(
{hidden}        )
        self.output = nn.Linear({last_in}, {units})
        self.head = {head}  # the output activation

    def logits(self, points):
        """The output layer before its activation (what the losses below start from)."""
        return self.output(self.hidden(self.features(points)))

    def forward(self, points):
        return self.head(self.logits(points))


# The trained weights, layer by layer as the playground shows them: W[i][j] connects
# neuron i of the layer below (or input feature i) to neuron j of this layer.
WEIGHTS = {{
{weights}}}


def build_model():
    """The network with the playground's trained weights."""
    model = PlaygroundNet()
    linears = [m for m in model.hidden if isinstance(m, nn.Linear)] + [model.output]
    with torch.no_grad():
        for layer, (w, b) in zip(linears, WEIGHTS.values(), strict=True):
            layer.weight.copy_(torch.tensor(w).T)  # torch keeps W as (out, in)
            layer.bias.copy_(torch.tensor(b))
    return model


def initialize(model):
    """Fresh weights, drawn as the playground draws them: {init}."""
    for layer in [m for m in model.hidden if isinstance(m, nn.Linear)] + [model.output]:
{init_code}'''

MAIN = """

def report(model, data, when):
    model.eval()
    with torch.no_grad():
        losses = {s: loss_fn(model, p, l).item() for s, (p, l) in data.items() if len(p)}
    print(when, "  ".join(f"{s} loss {v:.4f}" for s, v in losses.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--from-scratch", action="store_true", help="start from new weights")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = build_model()
    if args.from_scratch:
        initialize(model)
    data = load_data()
    report(model, data, "before:")
    train(model, data, args.epochs)
    report(model, data, f"after {args.epochs} epochs:")
"""


def _feature(tree: tuple) -> str:
    if len(tree) == 1:
        return tree[0]
    return CALLS[tree[0]].format(*(_feature(t) for t in tree[1:]))


def pytorch_script(spec: NetworkSpec, filename: str) -> str:
    """The whole script as text."""
    hidden = spec.layers[:-1]
    lines = []
    width = len(spec.features)
    for layer in hidden:
        units = layer.weights.shape[1]
        lines.append(f"            nn.Linear({width}, {units}),  # {layer.name}")
        note = NOTES.get(layer.activation, "")
        lines.append(f"            {MODULES[layer.activation]},{note}")
        if layer.dropout:
            lines.append(f"            nn.Dropout(p={layer.dropout!r}),")
        width = units
    weights = "".join(
        f'    "{layer.name}": (\n        {literal(layer.weights, 8)},\n'
        f"        {literal(layer.biases, 8)},\n    ),\n"
        for layer in spec.layers
    )
    sizes = [len(spec.features), *(layer.weights.shape[1] for layer in spec.layers)]
    parts = [
        HEADER.format(
            title=f"A {spec.problem} network from the playground, in PyTorch.",
            epoch=spec.epoch,
            data=DATA_FILENAME,
            filename=filename,
        ),
        FEATURES.format(
            columns=", ".join(_feature(FEATURE_TREES[f]) for f in spec.features),
            names=", ".join(spec.features),
        ),
    ]
    used = {layer.activation for layer in hidden}
    parts.extend(code for name, code in SCRIPT_MODULES.items() if name in used)
    parts.append(
        MODEL.format(
            shape="Layer widths " + " -> ".join(map(str, sizes)) + " (inputs first).",
            dropout_note=" (and dropout while training)" if any(h.dropout for h in hidden) else "",
            hidden="".join(line + "\n" for line in lines),
            last_in=width,
            units=spec.units,
            head=MODULES[spec.head],
            weights=weights,
            init=training.INIT_NOTES[spec.config.init],
            init_code=training.torch_init(spec.config.init),
        )
    )
    parts.append("\n\n" + load_data_function(spec, "torch.tensor"))
    parts.append(training.torch_training(spec))
    parts.append(MAIN)
    return "".join(parts)
