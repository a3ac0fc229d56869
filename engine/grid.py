"""Evaluate a network on an n×n grid over [-6, 6]² for rendering (float32).

Row 0 is the top of the picture (x2 = +6), column 0 the left (x1 = -6). The feature
grids depend only on (n, features), so they are computed once and cached.

Internally the grid runs neuron-major: every layer is (width, n·n), so each bias is added
along a long contiguous row and each neuron's map is one contiguous (n, n) block. (Point-
major (n·n, width) arrays make NumPy loop over rows of only `width` elements, several times
slower.) `Grid.layers` offers the same data as (n, n, width) views.
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
# OpenBLAS hands a GEMM of more than 65536 * 4 multiply-adds to its thread pool. For our
# thin products the hand-off costs far more than it saves (measured on the 2-core server
# while busy: 100x100 grid of a 6x8 net 1.3 ms -> 0.3 ms, 200x200 82 ms -> 2.3 ms), so the
# grid is multiplied in column chunks below that size.
BLAS_SINGLE_THREAD_WORK = 65536 * 4


@dataclass(frozen=True, eq=False)
class Grid:
    """Every neuron's map over the grid.

    Attributes
    ----------
    n : int
        Resolution.
    output : float32 (n, n), or (n, n, K) for several output units (probabilities for
        a softmax head).
    output_kind : str
        The head's output activation: "tanh" [-1, 1], "linear", "sigmoid" [0, 1] or
        "softmax" (probabilities over the last axis).
    layers : list of float32 (n, n, width)
        Every hidden layer, then the output layer (activations, no dropout). Views of
        `maps`.
    inputs : float32 (n, n, n_features)
        The feature maps.
    neurons : float32 (N_neurons, n, n)
        The same maps neuron-major and contiguous, every hidden then output neuron in
        layer order: `neurons[j]` is one picture.
    """

    n: int
    output: np.ndarray
    output_kind: str
    layers: list[np.ndarray]
    inputs: np.ndarray
    neurons: np.ndarray

    def thumbnails(self, t: int) -> np.ndarray:
        """Block means of every hidden and output neuron's map: float32 (N_neurons, t, t).

        Neurons are in layer order. `t` must divide `n`.
        """
        if isinstance(t, bool) or not isinstance(t, int) or t < 1 or self.n % t:
            raise ValueError(f"thumbnail size must be a divisor of {self.n}, got {t!r}")
        n, k = self.n, self.n // t
        # Sum each block's k rows (long contiguous runs), then its k columns by k strided
        # adds: a reduction over an innermost axis of only k elements is several times
        # slower (it was half the cost of a default frame's thumbnails).
        rows = np.add.reduce(self.neurons.reshape(-1, t, k, n), axis=2)
        columns = rows.reshape(-1, t, t, k)
        blocks = columns[..., 0].copy()
        for i in range(1, k):
            blocks += columns[..., i]
        blocks *= 1.0 / (k * k)
        return blocks


@lru_cache(maxsize=16)
def feature_grid(n: int, features: tuple[str, ...]) -> np.ndarray:
    """Read-only float32 (F, n·n) features of the grid points, row-major from the top left."""
    axis = np.linspace(-DOMAIN, DOMAIN, n)
    x1, x2 = np.meshgrid(axis, axis[::-1])  # x2 falls down the rows
    points = np.column_stack((x1.ravel(), x2.ravel()))
    grid = np.ascontiguousarray(feature_matrix(points, features, dtype=np.float32).T)
    grid.setflags(write=False)
    return grid


def _matmul_in_chunks(w: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """out = w (d_out, d_in) @ x (d_in, m), each BLAS call small enough to stay single-threaded."""
    d_out, d_in = w.shape
    step = max(1, (BLAS_SINGLE_THREAD_WORK - 1) // (d_out * d_in))
    for start in range(0, x.shape[1], step):
        np.matmul(w, x[:, start : start + step], out=out[:, start : start + step])


def evaluate_grid(
    net: Network,
    features: Sequence[str],
    n: int = 100,
    input_affine: tuple[np.ndarray, np.ndarray] | None = None,
) -> Grid:
    """Run the grid through `net` without dropout; see `Grid`.

    `input_affine` (factor (F,), offset (F,)): the network's inputs are the features times
    factor plus offset (`PreparedData.input_affine`). It is folded into the first layer's
    weights and biases, so the cached feature grid serves every transform.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not MIN_N <= n <= MAX_N:
        raise ValueError(f"grid size must be an integer from {MIN_N} to {MAX_N}, got {n!r}")
    inputs = feature_grid(n, tuple(features))
    neurons = np.empty((sum(net.sizes[1:]), n * n), dtype=np.float32)
    maps = []
    first = 0
    prev = inputs
    last = net.depth - 1
    with np.errstate(all="ignore"):  # a diverged or hand-edited net may overflow; show it
        for k, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            if k == 0 and input_affine is not None:
                factor, offset = input_affine  # W·(a⊙x + c) + b = (a⊙W)·x + (b + c·W)
                w, b = w * factor[:, None], b + offset @ w
            # Pre-activations and activations share the layer's rows of `neurons`: every
            # activation and head may run in place.
            h = neurons[first : first + w.shape[1]]  # (d_out, n·n)
            first += w.shape[1]
            _matmul_in_chunks(w.T.astype(np.float32), prev, h)
            h += b.astype(np.float32)[:, None]
            if k == last:
                net.head.forward(h.T, out=h.T)  # heads take (points, units)
            else:
                net.activations[k].forward(h, out=h)
            maps.append(h.reshape(-1, n, n))
            prev = h
    layers = [m.transpose(1, 2, 0) for m in maps]
    out = maps[-1]
    output = out[0] if len(out) == 1 and net.head.kind != "softmax" else layers[-1]
    return Grid(
        n,
        output,
        net.head.kind,
        layers,
        inputs.reshape(-1, n, n).transpose(1, 2, 0),
        neurons.reshape(-1, n, n),
    )
