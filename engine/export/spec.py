"""What every export needs from a trainer, copied once: the network, its weights, the setup.

The writers (`engine.export.pytorch`, `.keras`, `.onnx_model`) read only a `NetworkSpec`, so
they never touch a trainer's live arrays and share the two tables below: how each input
feature is built from (x1, x2), and how numbers are written as Python literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.config import Config
from engine.datasets import Dataset
from engine.userdata import dataset_to_csv

if TYPE_CHECKING:
    from engine.trainer import Trainer

DATA_FILENAME = "playground-data.csv"

# Each feature as a tiny expression tree over the raw coordinates: ("x1",) is a leaf,
# ("mul", a, b), ("sin", a) and ("cos", a) are the operations. Every writer renders the
# same tree in its framework's own operations (tests check each matches engine.features).
FEATURE_TREES: dict[str, tuple] = {
    "x1": ("x1",),
    "x2": ("x2",),
    "x1_squared": ("mul", ("x1",), ("x1",)),
    "x2_squared": ("mul", ("x2",), ("x2",)),
    "x1_x2": ("mul", ("x1",), ("x2",)),
    "sin_x1": ("sin", ("x1",)),
    "sin_x2": ("sin", ("x2",)),
    "cos_x1": ("cos", ("x1",)),
    "cos_x2": ("cos", ("x2",)),
}


@dataclass(frozen=True)
class Layer:
    """One weight layer: W (d_in, d_out) as the playground indexes it, b (d_out,)."""

    name: str  # "hidden_1", ..., "output"
    weights: np.ndarray
    biases: np.ndarray
    activation: str  # an ACTIVATIONS key; for the output layer, the head's kind
    dropout: float  # rate after this layer's activation (0 for the output)


@dataclass(frozen=True)
class NetworkSpec:
    """A trainer's network, weights and training setup, frozen at one moment."""

    config: Config
    problem: str  # "classification" or "regression"
    num_classes: int  # 0 for regression
    features: tuple[str, ...]
    layers: tuple[Layer, ...]
    head: str  # "tanh", "linear", "sigmoid" or "softmax"
    batch_size: int  # the config's, clipped to the training set as the engine does
    epoch: int
    csv: str  # the data, training rows first in training order, then validation, test

    data_filename = DATA_FILENAME  # the CSV's name, which the scripts read

    @property
    def units(self) -> int:
        """Output width."""
        return self.layers[-1].weights.shape[1]


def network_spec(trainer: Trainer) -> NetworkSpec:
    """Copy what an export needs from `trainer` (its weights as they are now)."""
    cfg = trainer.config
    net = trainer.network
    names = [f"hidden_{k + 1}" for k in range(net.depth - 1)] + ["output"]
    activations = [*cfg.activations(), trainer.head.kind]
    dropouts = [*cfg.dropouts(), 0.0]
    layers = tuple(
        Layer(name, w.copy(), b.copy(), activation, dropout)
        for name, (w, b), activation, dropout in zip(
            names, trainer.weights(), activations, dropouts, strict=True
        )
    )
    ds = trainer.dataset
    return NetworkSpec(
        config=cfg,
        problem=ds.problem,
        num_classes=int(ds.num_classes),
        features=tuple(cfg.features),
        layers=layers,
        head=trainer.head.kind,
        batch_size=max(1, min(cfg.batch_size, len(ds.train))),
        epoch=trainer.epoch,
        csv=dataset_to_csv(_in_training_order(ds)),
    )


def _in_training_order(ds: Dataset) -> Dataset:
    """The same points reordered train | validation | test, the training rows in the order
    the engine visits them without shuffling, so a script reading the CSV row by row sees
    the playground's batches."""
    order = np.concatenate((ds.train, ds.val, ds.test)).astype(np.int64)
    n_train, n_val = len(ds.train), len(ds.val)
    rows = np.arange(len(order))
    return Dataset(
        ds.x[order],
        ds.y[order],
        ds.problem,
        ds.num_classes,
        rows[:n_train],
        rows[n_train : n_train + n_val],
        rows[n_train + n_val :],
    )


LOAD_DATA = '''def load_data(path=DATA_FILE):
    """{{"train": (points, labels), "validation": ..., "test": ...}} from the CSV.

    Training rows come first, in the order the playground used when not shuffling.
    """
    rows = {{"train": [], "validation": [], "test": []}}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            rows[row["split"]].append(row)
    return {{
        split: (
            {array}([[float(r["x1"]), float(r["x2"])] for r in split_rows]).reshape(-1, 2),
            {array}([float(r["{label}"]) for r in split_rows]),
        )
        for split, split_rows in rows.items()
    }}
'''


def load_data_function(spec: NetworkSpec, array: str) -> str:
    """The scripts' `load_data`, building arrays with `array` (torch.tensor, np.array)."""
    label = "label" if spec.problem == "classification" else "target"
    return LOAD_DATA.format(array=array, label=label)


def literal(values: np.ndarray, indent: int) -> str:
    """A float array as a nested Python list literal, one row per line (exact: `repr`)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        return "[" + ", ".join(repr(float(v)) for v in values) + "]"
    pad = " " * (indent + 4)
    rows = ",\n".join(pad + literal(row, indent + 4) for row in values)
    return "[\n" + rows + ",\n" + " " * indent + "]"


def number(value: float) -> str:
    """A float as the shortest literal that reads back exactly."""
    return repr(float(value))
