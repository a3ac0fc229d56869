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
        return block_means(self.neurons, t)


@dataclass(frozen=True, eq=False)
class GridStack:
    """The grids of S networks of one shape, evaluated together (`evaluate_grids`).

    Attributes
    ----------
    grids : list of Grid
        Each network's grid, as `evaluate_grid` gives it alone; views of `neurons`.
    neurons : float32 (S, N_neurons, n, n)
        Every network's neuron maps, contiguous.
    """

    grids: list[Grid]
    neurons: np.ndarray

    def outputs(self) -> np.ndarray:
        """(S, n, n), or (S, n, n, K): every network's `Grid.output`, as views."""
        units = self.grids[0].layers[-1].shape[2]
        if units == 1 and self.grids[0].output_kind != "softmax":
            return self.neurons[:, -1]
        return self.neurons[:, -units:].transpose(0, 2, 3, 1)

    def thumbnails(self, t: int) -> np.ndarray:
        """(S, N_neurons, t, t): every network's `Grid.thumbnails(t)` in one pass."""
        s, count, n, _ = self.neurons.shape
        return block_means(self.neurons.reshape(s * count, n, n), t).reshape(s, count, t, t)


def block_means(maps: np.ndarray, t: int) -> np.ndarray:
    """Means of the t×t blocks of contiguous float32 (M, n, n) maps: (M, t, t)."""
    n = maps.shape[-1]
    if isinstance(t, bool) or not isinstance(t, int) or t < 1 or n % t:
        raise ValueError(f"thumbnail size must be a divisor of {n}, got {t!r}")
    k = n // t
    # Sum each block's k rows (long contiguous runs), then its k columns by k strided
    # adds: a reduction over an innermost axis of only k elements is several times
    # slower (it was half the cost of a default frame's thumbnails).
    rows = np.add.reduce(maps.reshape(-1, t, k, n), axis=2)
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
    """out = w (S, d_out, d_in) @ x ((S,) d_in, m), each BLAS call small enough to stay
    single-threaded (np.matmul makes one call per network, as it would for that one alone)."""
    if len(w) == 1 and x.ndim == 2:  # one network: a 2-D product skips matmul's batch loop
        w, out = w[0], out[0]
    d_out, d_in = w.shape[-2:]
    step = max(1, (BLAS_SINGLE_THREAD_WORK - 1) // (d_out * d_in))
    for start in range(0, x.shape[-1], step):
        np.matmul(w, x[..., start : start + step], out=out[..., start : start + step])


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
    return evaluate_grids([net], [features], n, [input_affine]).grids[0]


def evaluate_grids(
    nets: Sequence[Network],
    features: Sequence[Sequence[str]],
    n: int = 100,
    input_affines: Sequence[tuple[np.ndarray, np.ndarray] | None] | None = None,
) -> GridStack:
    """`evaluate_grid` for S networks of one shape, activations and head in one set of
    NumPy calls: each network's grid is the one it gets alone, bit for bit (the products
    are one BLAS call per network either way; everything else is elementwise or reduces
    along the same axes in the same order). `features[i]` and `input_affines[i]` are
    network i's."""
    if isinstance(n, bool) or not isinstance(n, int) or not MIN_N <= n <= MAX_N:
        raise ValueError(f"grid size must be an integer from {MIN_N} to {MAX_N}, got {n!r}")
    first_net = nets[0]
    if len(nets) > 1:
        kinds = [(net.sizes, tuple(a.name for a in net.activations), net.head.kind) for net in nets]
        if any(kind != kinds[0] for kind in kinds):
            raise ValueError("networks evaluated together must share shape, activations and head")
    affines = list(input_affines) if input_affines is not None else [None] * len(nets)
    names = [tuple(f) for f in features]
    grids_in = [feature_grid(n, f) for f in names]
    inputs: np.ndarray = grids_in[0] if len(set(names)) == 1 else np.stack(grids_in)
    neurons = np.empty((len(nets), sum(first_net.sizes[1:]), n * n), dtype=np.float32)
    bounds = []
    first = 0
    prev = inputs
    last = first_net.depth - 1
    with np.errstate(all="ignore"):  # a diverged or hand-edited net may overflow; show it
        for k in range(first_net.depth):
            ws, bs = [], []
            for net, affine in zip(nets, affines, strict=True):
                w, b = net.weights[k], net.biases[k]
                if k == 0 and affine is not None:
                    factor, offset = affine  # W·(a⊙x + c) + b = (a⊙W)·x + (b + c·W)
                    w, b = w * factor[:, None], b + offset @ w
                ws.append(w.T.astype(np.float32))
                bs.append(b.astype(np.float32))
            # Pre-activations and activations share the layer's rows of `neurons`: every
            # activation and head may run in place.
            width = ws[0].shape[0]
            h = neurons[:, first : first + width]  # (S, d_out, n·n)
            bounds.append((first, first + width))
            first += width
            _matmul_in_chunks(stacked(ws), prev, h)
            h += stacked(bs)[:, :, None]
            if k == last:
                heads = h.transpose(0, 2, 1)  # heads take (points, units)
                first_net.head.forward(heads, out=heads)
            else:
                first_net.activations[k].forward(h, out=h)
            prev = h
    maps = neurons.reshape(len(nets), -1, n, n)
    grids = [_grid(n, first_net.head.kind, maps[i], bounds, grids_in[i]) for i in range(len(nets))]
    return GridStack(grids, maps)


def stacked(arrays: list[np.ndarray]) -> np.ndarray:
    """The arrays along a new first axis (a view for one: a lone network copies nothing)."""
    return arrays[0][None] if len(arrays) == 1 else np.stack(arrays)


def _grid(
    n: int, kind: str, neurons: np.ndarray, bounds: list[tuple[int, int]], inputs: np.ndarray
) -> Grid:
    """One network's Grid over its rows of the stacked maps."""
    layers = [neurons[a:b].transpose(1, 2, 0) for a, b in bounds]
    out = neurons[bounds[-1][0] : bounds[-1][1]]
    output = out[0] if len(out) == 1 and kind != "softmax" else layers[-1]
    return Grid(n, output, kind, layers, inputs.reshape(-1, n, n).transpose(1, 2, 0), neurons)
