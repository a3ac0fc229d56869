"""Shared by the export tests: random networks of every head, and loading an exported script."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from engine import ACTIVATIONS, FEATURES, Config, Trainer
from engine.export import export_code
from engine.grid import DOMAIN

# Every head the engine has: (name, config fields that select it).
HEADS = {
    "tanh": {"dataset": "xor"},
    "tanh_3_units": {"dataset": "blobs", "num_classes": 3},
    "linear": {"problem": "regression", "dataset": "plane"},
    "softmax": {"dataset": "spirals", "num_classes": 3, "loss": "cross_entropy"},
    "sigmoid": {"dataset": "circle", "loss": "binary_cross_entropy"},
}
CASES = list(itertools.product(sorted(ACTIVATIONS), sorted(HEADS)))


def random_trainer(activation: str, head: str, seed: int = 0) -> Trainer:
    """A small net with every feature, `activation` in every hidden layer, random weights.

    The weights are N(0, 1), larger than training leaves them, so every activation is
    driven well into its curved and saturated parts on the grid.
    """
    rng = np.random.default_rng(seed)
    cfg = Config(
        hidden=(5, 3), activation=activation, features=tuple(FEATURES), num_points=60, **HEADS[head]
    )
    trainer = Trainer(cfg)
    trainer.network.params[...] = rng.normal(0.0, 1.0, trainer.network.params.size)
    return trainer


def grid_points(n: int = 100) -> np.ndarray:
    """The (n * n, 2) points of the engine's n x n grid over the domain."""
    axis = np.linspace(-DOMAIN, DOMAIN, n)
    x1, x2 = np.meshgrid(axis, axis[::-1])
    return np.column_stack((x1.ravel(), x2.ravel()))


def write_export(trainer: Trainer, fmt: str, directory: Path) -> Path:
    """Write every file of the export into `directory`; returns the main file's path."""
    code = export_code(trainer, fmt)
    for name, content in code.files().items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return directory / code.filename


def import_script(path: Path) -> ModuleType:
    """Import an exported script as a module (its `__main__` block does not run)."""
    name = f"exported_{path.stem}_{abs(hash(path))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
