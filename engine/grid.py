"""Evaluate a network on an n×n grid over [-6, 6]² for rendering (float32).

Row 0 is the top of the picture (x2 = +6), column 0 the left (x1 = -6). The feature
grids depend only on (n, features), so they are computed once and cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine.features import feature_matrix
from engine.network import Network

DOMAIN = 6.0
MIN_N, MAX_N = 2, 400


@dataclass(frozen=True, eq=False)
class Grid:
    """Every neuron's map over the grid.

    Attributes
    ----------
    n : int
        Resolution.
    output : float32 (n, n), or (n, n, K) probabilities for a softmax head.
    output_kind : str
        The head's output activation: "tanh" [-1, 1], "linear", "sigmoid" [0, 1] or
        "softmax" (probabilities over the last axis).
    layers : list of float32 (n, n, width)
        Every hidden layer, then the output layer (pre-dropout activations).
    inputs : float32 (n, n, n_features)
        The feature maps.
    """

    n: int
    output: np.ndarray
    output_kind: str
    layers: list[np.ndarray]
    inputs: np.ndarray

    def thumbnails(self, t: int) -> np.ndarray:
        """Block means of every hidden and output neuron's map: float32 (N_neurons, t, t).

        Neurons are in layer order. `t` must divide `n`.
        """
        if not isinstance(t, int) or t < 1 or self.n % t:
            raise ValueError(f"thumbnail size must be a divisor of {self.n}, got {t!r}")
        k = self.n // t
        maps = np.concatenate(self.layers, axis=2)  # (n, n, N)
        blocks = maps.reshape(t, k, t, k, -1).mean(axis=(1, 3), dtype=np.float32)
        return np.ascontiguousarray(blocks.transpose(2, 0, 1))


@lru_cache(maxsize=16)
def feature_grid(n: int, features: tuple[str, ...]) -> np.ndarray:
    """Read-only float32 (n·n, F) features of the grid points, row-major from the top left."""
    axis = np.linspace(-DOMAIN, DOMAIN, n)
    x1, x2 = np.meshgrid(axis, axis[::-1])  # x2 falls down the rows
    points = np.column_stack((x1.ravel(), x2.ravel()))
    grid = feature_matrix(points, features, dtype=np.float32)
    grid.setflags(write=False)
    return grid


def evaluate_grid(net: Network, features: Sequence[str], n: int = 100) -> Grid:
    """Run the grid through `net` without dropout; see `Grid`."""
    if isinstance(n, bool) or not isinstance(n, int) or not MIN_N <= n <= MAX_N:
        raise ValueError(f"grid size must be an integer from {MIN_N} to {MAX_N}, got {n!r}")
    inputs = feature_grid(n, tuple(features))
    layers = []
    prev = inputs
    last = net.depth - 1
    with np.errstate(all="ignore"):  # a diverged or hand-edited net may overflow; show it
        for k, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            z = prev @ w.astype(np.float32)
            z += b.astype(np.float32)
            # A separate output buffer: not every activation may run in place.
            h = np.empty_like(z)
            if k == last:
                net.head.forward(z, out=h)
            else:
                net.activations[k].forward(z, out=h)
            layers.append(h.reshape(n, n, -1))
            prev = h
    out = layers[-1]
    # One output unit gives an (n, n) map; softmax, or square loss with K > 2 classes
    # (one ±1 unit per class), keeps the class axis.
    output = out[:, :, 0] if out.shape[2] == 1 and net.head.kind != "softmax" else out
    return Grid(n, output, net.head.kind, layers, inputs.reshape(n, n, -1))
