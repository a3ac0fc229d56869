"""Evaluate a network on an n×n grid over [-6, 6]² for rendering (float32).

Row 0 is the top of the picture (x2 = +6), column 0 the left (x1 = -6). The feature
grids depend only on (n, features), so they are computed once and cached.

Internally the grid runs neuron-major: every layer is (width, n·n), so each bias is added
along a long contiguous row and each neuron's map is one contiguous (n, n) block. (Point-
major (n·n, width) arrays make NumPy loop over rows of only `width` elements, several times
slower.) `Grid.layers` offers the same data as (n, n, width) views.

Thumbnails (t×t block means, k = n / t) of grids evaluated for them (`evaluate_grids`'s
`thumb_size`) are cheaper still: the picture's rows are evaluated in the order of their
place within a block (rows 0, k, 2k, ..., then 1, k + 1, ...), so that summing a block's
k rows adds k long contiguous runs instead of n / k · k runs of n values each (measured:
the row sums were then two thirds of the cost of a frame's thumbnails). The sums are taken
in the same order either way, so a thumbnail is equal bit for bit however the grid was
laid out; the full-size pictures (`Grid.neurons`, `GridStack.outputs`) are put back in
picture order when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from engine.features import feature_matrix
from engine.network import Network
from engine.scratch import pool

DOMAIN = 6.0
MIN_N, MAX_N = 2, 400
# OpenBLAS hands a GEMM of more than 65536 * 4 multiply-adds to its thread pool. For our
# thin products the hand-off costs far more than it saves (measured on the 2-core server
# while busy: 100x100 grid of a 6x8 net 1.3 ms -> 0.3 ms, 200x200 82 ms -> 2.3 ms), so the
# grid is multiplied in column chunks below that size.
BLAS_SINGLE_THREAD_WORK = 65536 * 4


class Grid:
    """Every neuron's map over the grid (attributes made when first read).

    Attributes
    ----------
    n : int
        Resolution.
    output : float32 (n, n), or (n, n, K) for several output units (probabilities for
        a softmax head).
    output_kind : str
        The head's output activation: "tanh" [-1, 1], "linear", "sigmoid" or "softmax"
        (probabilities over the last axis).
    layers : list of float32 (n, n, width)
        Every hidden layer, then the output layer (activations, no dropout). Views of
        `neurons`.
    inputs : float32 (n, n, n_features)
        The feature maps.
    neurons : float32 (N_neurons, n, n)
        The same maps neuron-major and contiguous, every hidden then output neuron in
        layer order: `neurons[j]` is one picture.
    """

    def __init__(
        self, layout: Layout, kind: str, maps: np.ndarray, widths: list[int], inputs: np.ndarray
    ) -> None:
        self.n = layout.n
        self.output_kind = kind
        self._layout = layout
        self._maps = maps  # (N_neurons, n·n) in the layout's row order
        self._widths = widths
        self._inputs = inputs  # (F, n·n) in the layout's row order

    @cached_property
    def neurons(self) -> np.ndarray:
        return self._layout.pictures(self._maps)

    @cached_property
    def layers(self) -> list[np.ndarray]:
        ends = np.cumsum(self._widths).tolist()
        starts = [0, *ends[:-1]]
        pairs = zip(starts, ends, strict=True)
        return [self.neurons[a:b].transpose(1, 2, 0) for a, b in pairs]

    @cached_property
    def output(self) -> np.ndarray:
        units = self._widths[-1]
        if units == 1 and self.output_kind != "softmax":
            return self._layout.pictures(self._maps[-1:])[0]
        return self.layers[-1]

    @cached_property
    def inputs(self) -> np.ndarray:
        return self._layout.pictures(self._inputs).transpose(1, 2, 0)

    def picture(self, layer: int, unit: int) -> np.ndarray:
        """float32 (n, n): feature `unit`'s map (layer 0) or that neuron's of layer `layer`
        (1 the first hidden layer); equal to `inputs[:, :, unit]` or `layers[layer - 1][:, :,
        unit]`, but only this one map is put in picture order."""
        if layer == 0:
            return self._layout.pictures(self._inputs[unit : unit + 1])[0]
        first = sum(self._widths[: layer - 1])
        if not 1 <= layer <= len(self._widths) or not 0 <= unit < self._widths[layer - 1]:
            raise IndexError(f"no neuron {unit} in layer {layer}")
        return self._layout.pictures(self._maps[first + unit : first + unit + 1])[0]

    def thumbnails(self, t: int) -> np.ndarray:
        """Block means of every hidden and output neuron's map: float32 (N_neurons, t, t).

        Neurons are in layer order. `t` must divide `n`.
        """
        return self._layout.block_means(self._maps, t)


class GridStack:
    """The grids of S networks of one shape, evaluated together (`evaluate_grids`).

    Attributes
    ----------
    grids : list of Grid
        Each network's grid, as `evaluate_grid` gives it alone.
    neurons : float32 (S, N_neurons, n, n)
        Every network's neuron maps, contiguous (made when first read).
    """

    def __init__(self, grids: list[Grid], layout: Layout, maps: np.ndarray) -> None:
        self.grids = grids
        self._layout = layout
        self._maps = maps  # (S, N_neurons, n·n) in the layout's row order

    @cached_property
    def neurons(self) -> np.ndarray:
        s, count, _ = self._maps.shape
        n = self._layout.n
        return self._layout.pictures(self._maps.reshape(s * count, -1)).reshape(s, count, n, n)

    def outputs(self) -> np.ndarray:
        """(S, n, n), or (S, n, n, K): every network's `Grid.output` (only the output
        units are put in picture order)."""
        units = self.grids[0]._widths[-1]
        s, n = len(self.grids), self._layout.n
        out = self._layout.pictures(self._maps[:, -units:].reshape(s * units, -1))
        out = out.reshape(s, units, n, n)
        if units == 1 and self.grids[0].output_kind != "softmax":
            return out[:, 0]
        return out.transpose(0, 2, 3, 1)

    def thumbnails(self, t: int) -> np.ndarray:
        """(S, N_neurons, t, t): every network's `Grid.thumbnails(t)` in one pass."""
        s, count, _ = self._maps.shape
        flat = self._maps.reshape(s * count, -1)
        return self._layout.block_means(flat, t).reshape(s, count, t, t)


@dataclass(frozen=True)
class Layout:
    """The order of a grid's n rows while evaluated: `k` > 1 for t×t thumbnails (t = n / k),
    rows by their place in a block (see the module docstring); k = 1, picture order."""

    n: int
    k: int = 1

    @cached_property
    def order(self) -> np.ndarray:
        """Picture row of each evaluated row."""
        t = self.n // self.k
        return np.arange(self.n).reshape(t, self.k).T.ravel()

    def fits(self, t: int) -> bool:
        return self.k > 1 and t * self.k == self.n

    def pictures(self, maps: np.ndarray) -> np.ndarray:
        """(M, n, n) pictures of (M, n·n) maps in this order (a view when k = 1)."""
        n, k = self.n, self.k
        m = maps.reshape(-1, k, n // k, n)
        if k == 1:
            return m.reshape(-1, n, n)
        return m.transpose(0, 2, 1, 3).reshape(-1, n, n)

    def block_means(self, maps: np.ndarray, t: int) -> np.ndarray:
        """(M, t, t) block means of (M, n·n) `maps` in this order (`block_means`)."""
        _check_thumb_size(self.n, t)
        if not self.fits(t):
            return block_means(self.pictures(maps), t)
        # Row i of every block is the i-th run of n·n/k values: added in the same order
        # as `block_means` adds a picture's rows.
        rows = np.add.reduce(maps.reshape(len(maps), self.k, -1), axis=1)
        return _column_means(rows, t, self.k)


def block_means(maps: np.ndarray, t: int) -> np.ndarray:
    """Means of the t×t blocks of contiguous float32 (M, n, n) maps: (M, t, t)."""
    n = maps.shape[-1]
    _check_thumb_size(n, t)
    k = n // t
    # Sum each block's k rows (long contiguous runs), then its k columns by k strided
    # adds: a reduction over an innermost axis of only k elements is several times
    # slower (it was half the cost of a default frame's thumbnails).
    rows = np.add.reduce(maps.reshape(-1, t, k, n), axis=2)
    return _column_means(rows, t, k)


def _column_means(rows: np.ndarray, t: int, k: int) -> np.ndarray:
    """(M, t, t) means from (M, t·n) sums of each block's k rows: the k columns of each
    block added one after another. (They are first copied out as k contiguous (t, t)
    pictures: one strided copy costs less than k strided adds.)"""
    columns = np.ascontiguousarray(rows.reshape(-1, t, t, k).transpose(0, 3, 1, 2))
    blocks = np.add.reduce(columns, axis=1)
    blocks *= 1.0 / (k * k)
    return blocks


def _check_thumb_size(n: int, t: object) -> None:
    if isinstance(t, bool) or not isinstance(t, int) or t < 1 or n % t:
        raise ValueError(f"thumbnail size must be a divisor of {n}, got {t!r}")


@lru_cache(maxsize=16)
def feature_grid(n: int, features: tuple[str, ...]) -> np.ndarray:
    """Read-only float32 (F, n·n) features of the grid points, row-major from the top left."""
    axis = np.linspace(-DOMAIN, DOMAIN, n)
    x1, x2 = np.meshgrid(axis, axis[::-1])  # x2 falls down the rows
    points = np.column_stack((x1.ravel(), x2.ravel()))
    grid = np.ascontiguousarray(feature_matrix(points, features, dtype=np.float32).T)
    grid.setflags(write=False)
    return grid


@lru_cache(maxsize=16)
def _laid_out(layout: Layout, features: tuple[str, ...]) -> np.ndarray:
    """`feature_grid` with its rows in the layout's order (read-only). Only this order is
    kept (a grid's `inputs` are put back in picture order when read)."""
    if layout.k == 1:
        return feature_grid(layout.n, features)
    grid = feature_grid.__wrapped__(layout.n, features)
    n = layout.n
    rows = grid.reshape(-1, n, n)[:, layout.order].reshape(len(grid), -1)
    rows.setflags(write=False)
    return rows


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
    thumb_size: int | None = None,
) -> GridStack:
    """`evaluate_grid` for S networks of one shape, activations and head in one set of
    NumPy calls: each network's grid is the one it gets alone, bit for bit (the products
    are one BLAS call per network either way; everything else is elementwise or reduces
    along the same axes in the same order). `features[i]` and `input_affines[i]` are
    network i's. `thumb_size`: the thumbnails that will be asked for, made cheaper (see
    the module docstring); any other size still works."""
    if isinstance(n, bool) or not isinstance(n, int) or not MIN_N <= n <= MAX_N:
        raise ValueError(f"grid size must be an integer from {MIN_N} to {MAX_N}, got {n!r}")
    layout = Layout(n)
    if thumb_size is not None:
        _check_thumb_size(n, thumb_size)
        layout = Layout(n, n // thumb_size)
    first_net = nets[0]
    if len(nets) > 1:
        kinds = [(net.sizes, tuple(a.name for a in net.activations), net.head.kind) for net in nets]
        if any(kind != kinds[0] for kind in kinds):
            raise ValueError("networks evaluated together must share shape, activations and head")
    affines = list(input_affines) if input_affines is not None else [None] * len(nets)
    names = [tuple(f) for f in features]
    grids_in = [_laid_out(layout, f) for f in names]
    inputs: np.ndarray = grids_in[0] if len(set(names)) == 1 else np.stack(grids_in)
    widths = list(first_net.sizes[1:])
    shape = (len(nets), sum(widths), n * n)
    # A stack's maps (a cohort's, made every frame) reuse an array no one holds any more
    # (engine.scratch.Pool); a lone grid's are its own, as one session's memory (app.budget).
    neurons = pool().empty(shape, np.float32) if len(nets) > 1 else np.empty(shape, np.float32)
    first = 0
    prev = inputs
    last = first_net.depth - 1
    with np.errstate(all="ignore"):  # a diverged or hand-edited net may overflow; show it
        for k, (w, b) in enumerate(_stacked_layers(nets, affines)):
            # Pre-activations and activations share the layer's rows of `neurons`: every
            # activation and head may run in place.
            width = widths[k]
            h = neurons[:, first : first + width]  # (S, d_out, n·n)
            first += width
            _matmul_in_chunks(w, prev, h)
            h += b[:, :, None]
            if k == last:
                heads = h.transpose(0, 2, 1)  # heads take (points, units)
                first_net.head.forward(heads, out=heads)
            else:
                first_net.activations[k].forward(h, out=h)
            prev = h
    kind = first_net.head.kind
    grids = [Grid(layout, kind, neurons[i], widths, grids_in[i]) for i in range(len(nets))]
    return GridStack(grids, layout, neurons)


def _stacked_layers(
    nets: Sequence[Network], affines: Sequence[tuple[np.ndarray, np.ndarray] | None]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every layer of every network as float32 (S, d_out, d_in) weights and (S, d_out)
    biases, each network's input affine folded into layer 0. One stack and one cast for
    all the networks and layers: the values are the ones each network's own cast gives."""
    sizes = nets[0].sizes
    flat = [_flat_params(net) for net in nets]
    folds = any(affine is not None for affine in affines)
    # (S, P) float64: a copy if an affine is folded in (np.stack copies; one network: a view).
    params = np.stack(flat) if len(flat) > 1 else flat[0][None].copy() if folds else flat[0][None]
    shapes = list(zip(sizes[:-1], sizes[1:], strict=True))
    weight_count = sum(i * o for i, o in shapes)
    d_in, d_out = shapes[0]
    for row, affine in enumerate(affines):
        if affine is not None:
            factor, offset = affine  # W·(a⊙x + c) + b = (a⊙W)·x + (b + c·W)
            w = params[row, : d_in * d_out].reshape(d_in, d_out)
            params[row, weight_count : weight_count + d_out] += offset @ w
            w *= factor[:, None]
    params = params.astype(np.float32)
    layers, weight, bias = [], 0, weight_count
    for i, o in shapes:
        w = params[:, weight : weight + i * o].reshape(-1, i, o).transpose(0, 2, 1)
        layers.append((np.ascontiguousarray(w), params[:, bias : bias + o]))
        weight, bias = weight + i * o, bias + o
    return layers


def _flat_params(net: Network) -> np.ndarray:
    """A network's params: every weight matrix row-major, then every bias (engine.network);
    gathered from its layers for a copy that has only those (app.snapshot.FrozenTrainer)."""
    params = getattr(net, "params", None)
    if params is not None:
        return params
    return np.concatenate([w.ravel() for w in net.weights] + [b.ravel() for b in net.biases])
