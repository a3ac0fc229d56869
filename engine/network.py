"""The multi-layer perceptron: flat parameters, forward pass and backward pass side by side.

All parameters live in one float64 vector so an optimizer updates them in one vector
operation. Layout: every weight matrix in layer order (each (d_in, d_out), row-major),
then every bias vector. `weights[k]`, `biases[k]` (and `grad_weights`, `grad_biases`) are
views into `params` (and `grads`), so editing a view edits the vector.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.activations import Activation
from engine.initializers import Initializer
from engine.losses import Head

Array = np.ndarray


class Workspace:
    """Preallocated per-batch-size buffers, reused every step (no allocation in the loop).

    For layer k with width d = sizes[k + 1] and batch size n, each list holds (n, d):
    `z` pre-activations, `h` activation outputs, `a` what the next layer sees (h times the
    dropout mask; h itself without dropout), `delta` dloss/dz, `slope` f'(z) scratch,
    `mask` the inverted-dropout mask (None for layers without dropout).
    """

    def __init__(self, n: int, sizes: Sequence[int], dropout: Sequence[float]) -> None:
        widths = sizes[1:]
        self.z = [np.empty((n, d)) for d in widths]
        self.h = [np.empty((n, d)) for d in widths]
        self.delta = [np.empty((n, d)) for d in widths]
        self.slope = [np.empty((n, d)) for d in widths]
        hidden = zip(widths[:-1], dropout, strict=True)
        self.mask = [np.empty((n, d)) if p > 0.0 else None for d, p in hidden]
        self.mask.append(None)  # the output layer never drops
        pairs = zip(self.h, self.mask, strict=True)
        self.a = [h if m is None else np.empty_like(h) for h, m in pairs]
        self.dropped = False  # whether the last forward pass applied the masks


class Network:
    """An MLP: `sizes` = (n_features, *hidden, n_outputs).

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, inputs first.
    activations : sequence of Activation
        One per hidden layer.
    head : Head
        Output activation and loss.
    dropout : sequence of float
        Dropout rate per hidden layer (0 = none).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activations: Sequence[Activation],
        head: Head,
        dropout: Sequence[float],
    ) -> None:
        self.sizes = tuple(int(s) for s in sizes)
        self.activations = tuple(activations)
        self.head = head
        self.dropout = tuple(float(p) for p in dropout)
        shapes = list(zip(self.sizes[:-1], self.sizes[1:], strict=True))
        self.weight_count = sum(i * o for i, o in shapes)
        total = self.weight_count + sum(self.sizes[1:])
        self.params = np.zeros(total)  # the whole model: weights first, then biases
        self.grads = np.zeros(total)  # mean data-loss gradient of the last backward pass
        self.weights = _views(self.params, shapes, self.weight_count)
        self.grad_weights = _views(self.grads, shapes, self.weight_count)
        self.biases = _bias_views(self.params, self.sizes, self.weight_count)
        self.grad_biases = _bias_views(self.grads, self.sizes, self.weight_count)
        self._workspaces: dict[int, Workspace] = {}

    @property
    def depth(self) -> int:
        """Number of weight layers (hidden layers + 1)."""
        return len(self.sizes) - 1

    def initialize(self, init: Initializer, rng: np.random.Generator) -> None:
        """Draw every layer's weights and biases (in layer order) from `rng`."""
        for w, b in zip(self.weights, self.biases, strict=True):
            init.fill(w, b, rng)

    def workspace(self, n: int) -> Workspace:
        """The buffers for batches of `n` rows (created once per size)."""
        ws = self._workspaces.get(n)
        if ws is None:
            ws = self._workspaces[n] = Workspace(n, self.sizes, self.dropout)
        return ws

    def forward(self, x: Array, rng: np.random.Generator | None = None) -> Workspace:
        """Run x (n, n_features) through the network.

        With `rng`, hidden layers apply inverted dropout (training); without, no dropout
        (evaluation). Returns the workspace; `ws.h[-1]` is the output (n, n_outputs).
        """
        ws = self.workspace(x.shape[0])
        ws.dropped = rng is not None
        prev = x
        last = self.depth - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z, h = ws.z[k], ws.h[k]
            np.matmul(prev, w, out=z)
            np.add(z, b, out=z)
            if k == last:
                self.head.forward(z, out=h)
                return ws
            self.activations[k].forward(z, out=h)
            mask = ws.mask[k]
            if mask is not None:
                if rng is None:
                    np.copyto(ws.a[k], h)
                else:
                    keep = 1.0 - self.dropout[k]
                    rng.random(out=mask)
                    np.less(mask, keep, out=mask)
                    np.multiply(mask, 1.0 / keep, out=mask)
                    np.multiply(h, mask, out=ws.a[k])
            prev = ws.a[k]
        return ws

    def backward(self, x: Array, t: Array, ws: Workspace, scale: float) -> None:
        """Fill `grads` with `scale` × the summed loss gradient of the last forward pass.

        x (n, n_features) and t (n, n_outputs) are the batch the forward pass saw; with
        scale = 1/n the gradient is the batch mean. Dropout masks (if that pass drew any)
        are reused from `ws`, so call this right after `forward`.
        """
        last = self.depth - 1
        delta = self.head.delta(ws.z[last], ws.h[last], t, out=ws.delta[last])
        np.multiply(delta, scale, out=delta)
        for k in range(last, -1, -1):
            prev = x if k == 0 else ws.a[k - 1]
            np.matmul(prev.T, delta, out=self.grad_weights[k])
            np.add.reduce(delta, axis=0, out=self.grad_biases[k])
            if k == 0:
                return
            below = ws.delta[k - 1]
            np.matmul(delta, self.weights[k].T, out=below)
            if ws.dropped and ws.mask[k - 1] is not None:
                np.multiply(below, ws.mask[k - 1], out=below)
            activation = self.activations[k - 1]
            slope = activation.derivative(ws.z[k - 1], ws.h[k - 1], out=ws.slope[k - 1])
            np.multiply(below, slope, out=below)
            delta = below

    def loss(self, x: Array, t: Array) -> float:
        """Mean data loss over x (n, n_features) with targets t, without dropout."""
        ws = self.forward(x)
        last = self.depth - 1
        return float(self.head.loss(ws.z[last], ws.h[last], t).mean())


def _views(flat: Array, shapes: list[tuple[int, int]], stop: int) -> list[Array]:
    views, start = [], 0
    for i, o in shapes:
        views.append(flat[start : start + i * o].reshape(i, o))
        start += i * o
    assert start == stop
    return views


def _bias_views(flat: Array, sizes: tuple[int, ...], start: int) -> list[Array]:
    views = []
    for width in sizes[1:]:
        views.append(flat[start : start + width])
        start += width
    return views
