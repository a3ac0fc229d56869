"""The multi-layer perceptron: flat parameters, forward pass and backward pass side by side.

All parameters live in one float64 vector so an optimizer updates them in one vector
operation. Layout: every weight matrix in layer order (each (d_in, d_out), row-major),
then every bias vector. `weights[k]`, `biases[k]` (and `grad_weights`, `grad_biases`) are
views into `params` (and `grads`), so editing a view edits the vector.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.activations import Activation
from engine.initializers import Initializer
from engine.losses import Head

Array = np.ndarray
MAX_WORKSPACES = 8  # batch, last partial batch, all points, training points, ...
# Adding a bias vector to every row of z is a broadcast, and a broadcast ufunc builds an
# iterator first (on a mini-batch most of the call) that then steps one short row at a
# time. So every forward pass first copies every bias of the network into R rows with one
# `take` (R a divisor of the batch's rows, R x every layer's width at most this many
# entries): a mini-batch then adds its biases like for like (R = n: about 40 % less time
# for the seven adds of a 6x8 network), a pass over all the points adds R-row blocks to
# z seen as (n / R, R·d) (a tenth of the row steps). The same sums either way.
BIAS_ROWS_MAX = 4096


class Workspace:
    """Preallocated buffers for batches of n rows, reused every step (no allocation).

    For layer k with width d = sizes[k + 1], each list holds (n, d) arrays: `z`
    pre-activations, `h` activation outputs, `a` what the next layer sees (h times the
    dropout mask; h itself without dropout), `delta` dloss/dz, `slope` f'(z) scratch,
    `mask` the inverted-dropout mask (None for layers without dropout).

    The step is bound by Python call overhead, so the per-layer arguments of the forward
    and backward passes are gathered once here into flat tuples ("plans"). Products are
    bound `ndarray.dot` methods with a positional `out` (at these sizes a third cheaper
    per call than `np.dot(..., out=)`, which goes through NumPy's dispatcher first, and
    half the cost of `np.matmul`); ufuncs take `out` positionally for the same reason.
    """

    def __init__(self, n: int, net: Network) -> None:
        widths = net.sizes[1:]
        hidden_count = n * sum(widths[:-1])
        # The hidden layers' z and h are consecutive blocks of one buffer each, so that one
        # call of an activation's derivative can cover every layer (see `slope_plan`).
        self.hidden_z, self.hidden_h = np.empty(hidden_count), np.empty(hidden_count)
        self.z = [*_blocks(self.hidden_z, n, widths[:-1]), np.empty((n, widths[-1]))]
        self.h = [*_blocks(self.hidden_h, n, widths[:-1]), np.empty((n, widths[-1]))]
        hidden = zip(widths[:-1], net.dropout, strict=True)
        self.mask = [np.empty((n, d)) if p > 0.0 else None for d, p in hidden]
        self.mask.append(None)  # the output layer never drops
        pairs = zip(self.h, self.mask, strict=True)
        self.a = [h if m is None else np.empty_like(h) for h, m in pairs]
        self.dropped = False  # whether the last forward pass applied the masks
        # (data, offset, views): engine.loop's mini-batches of n rows, kept with these buffers.
        self.batches: tuple[Any, int, list] | None = None
        self.ones = np.ones(n)  # ones @ delta sums a batch's rows (cheaper than add.reduce)
        # An activation that is one ufunc is called as that ufunc (a Python frame less).
        forwards = [_function(a) for a in net.activations] + [_function(net.head)]
        # Each layer adds `biases[k]` to `sums[k]`, a view of z[k] (see BIAS_ROWS_MAX).
        biases: list[Array] = list(net.biases)
        sums: list[Array] = list(self.z)
        self.bias_index: Array | None = None  # net.all_biases.take(bias_index) = bias_rows
        rows = _bias_rows(n, sum(widths))
        if rows > 1:
            starts = np.cumsum([0, *widths[:-1]])
            self.bias_index = np.concatenate(
                [np.tile(np.arange(a, a + d), rows) for a, d in zip(starts, widths, strict=True)]
            )
            self.bias_rows = np.empty(self.bias_index.size)
            biases = _blocks(self.bias_rows, rows, widths)
            if rows < n:
                biases = [block.reshape(-1) for block in biases]
                sums = [z.reshape(n // rows, -1) for z in self.z]
        keeps = [1.0 - p for p in net.dropout] + [1.0]
        # The next layer multiplies this layer's output buffer: its bound `dot` is planned.
        self.forward_plan = list(
            zip(
                [a.dot for a in self.a],
                net.weights,
                self.z,
                sums,
                biases,
                forwards,
                self.h,
                self.a,
                self.mask,
                keeps,
                strict=True,
            )
        )
        # Without dropout (most networks) a layer is its product, bias and activation only:
        # the plans then leave the masks out, and the loops their tests.
        self.plain = all(m is None for m in self.mask)
        if self.plain:
            self.forward_plan = [plan[:7] for plan in self.forward_plan]
        self._net = net
        self._backward_plan: list[tuple] | None = None  # built on the first backward pass

    @property
    def backward_plan(self) -> list[tuple]:
        """Per layer from the top down to layer 1 (layer 0's input is the batch itself)."""
        if self._backward_plan is None:
            net, n = self._net, self.z[0].shape[0]
            self.delta = [np.empty((n, d)) for d in net.sizes[1:]]
            self.hidden_slope = np.empty_like(self.hidden_z)
            self.slope = _blocks(self.hidden_slope, n, net.sizes[1:-1])  # f'(z), hidden layers
            # Every hidden f'(z) is made before the layer loop. With one activation for all
            # hidden layers, in one call over the whole buffers: the same elementwise
            # operations on the same values, a few calls in place of two or three a layer.
            if len(set(net.activations)) == 1:
                whole = (self.hidden_z, self.hidden_h, self.hidden_slope)
                self.slope_plan = [(net.activations[0].derivative, *whole)]
            else:  # (z and h also hold the output layer: zip stops at the hidden ones)
                layers = zip(net.activations, self.z, self.h, self.slope, strict=False)
                self.slope_plan = [(f.derivative, z, h, slope) for f, z, h, slope in layers]
            self._backward_plan = [
                (
                    self.a[k - 1].T.dot,  # (.., delta, out) = a_below.T @ delta
                    self.delta[k].dot,  # (.., w.T, out) = delta @ w.T
                    net.grad_weights[k],
                    net.grad_biases[k],
                    net.weights[k].T,
                    self.delta[k - 1],
                    self.slope[k - 1],
                    self.mask[k - 1],
                )
                for k in range(net.depth - 1, 0, -1)
            ]
            if self.plain:
                self._backward_plan = [plan[:-1] for plan in self._backward_plan]
        return self._backward_plan


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
        self.dropout = tuple(float(p) for p in dropout)
        shapes = list(zip(self.sizes[:-1], self.sizes[1:], strict=True))
        self.weight_count = sum(i * o for i, o in shapes)
        total = self.weight_count + sum(self.sizes[1:])
        self.params = np.zeros(total)  # the whole model: weights first, then biases
        self.grads = np.zeros(total)  # mean data-loss gradient of the last backward pass
        self.weights = _views(self.params, shapes, self.weight_count)
        self.grad_weights = _views(self.grads, shapes, self.weight_count)
        self.biases = _bias_views(self.params, self.sizes, self.weight_count)
        self.all_biases = self.params[self.weight_count :]
        self.grad_biases = _bias_views(self.grads, self.sizes, self.weight_count)
        self.head = head  # (a property: setting it clears the workspaces)

    @property
    def depth(self) -> int:
        """Number of weight layers (hidden layers + 1)."""
        return len(self.sizes) - 1

    def initialize(self, init: Initializer, rng: np.random.Generator) -> None:
        """Draw every layer's weights and biases (in layer order) from `rng`."""
        for w, b in zip(self.weights, self.biases, strict=True):
            init.fill(w, b, rng)

    @property
    def head(self) -> Head:
        """Output activation and loss."""
        return self._head

    @head.setter
    def head(self, head: Head) -> None:
        self._head = head
        self._workspaces = {}  # their plans hold the old head's methods

    def release_buffers(self) -> None:
        """Drop the cached buffers of every batch size: a network that is not training needs
        none (the default network's over its 500 points hold about 150 KB), and they are
        made again on their next use, with the same results."""
        self._workspaces = {}

    def workspace(self, n: int) -> Workspace:
        """The buffers for batches of `n` rows (created once per size)."""
        ws = self._workspaces.get(n)
        if ws is None:
            if len(self._workspaces) >= MAX_WORKSPACES:
                # Edited user data brings new sizes; drop the oldest, not grow forever.
                del self._workspaces[next(iter(self._workspaces))]
            ws = self._workspaces[n] = Workspace(n, self)
        return ws

    def forward(self, x: Array, rng: np.random.Generator | None = None) -> Workspace:
        """Run x (n, n_features) through the network.

        With `rng`, hidden layers apply inverted dropout (training); without, no dropout
        (evaluation). Returns the workspace; `ws.h[-1]` is the output (n, n_outputs).
        """
        ws = self.workspace(x.shape[0])
        ws.dropped = rng is not None
        if ws.bias_index is not None:  # every bias in full rows ("clip": no index checks)
            self.all_biases.take(ws.bias_index, None, ws.bias_rows, "clip")
        add, multiply = np.add, np.multiply
        dot = x.dot
        if ws.plain:
            for next_dot, w, z, z_sum, b, activation, h in ws.forward_plan:
                dot(w, z)
                add(z_sum, b, z_sum)
                activation(z, h)
                dot = next_dot
            return ws
        for next_dot, w, z, z_sum, b, activation, h, a, mask, keep in ws.forward_plan:
            dot(w, z)
            add(z_sum, b, z_sum)
            activation(z, h)
            if mask is not None:
                if rng is None:
                    np.copyto(a, h)
                else:
                    # Keep with probability `keep`, scaled by 1/keep so E[a] = h.
                    rng.random(out=mask)
                    np.less(mask, keep, out=mask)
                    multiply(mask, 1.0 / keep, out=mask)
                    multiply(h, mask, out=a)
            dot = next_dot
        return ws

    def backward(self, x: Array, t: Array, ws: Workspace, scale: float, output_delta=None) -> None:
        """Fill `grads` with `scale` × the summed loss gradient of the last forward pass.

        x (n, n_features) and t (n, n_outputs) are the batch the forward pass saw; with
        scale = 1/n the gradient is the batch mean. Dropout masks (if that pass drew any)
        are reused from `ws`, so call this right after `forward`. `output_delta` replaces
        the head's dloss/dz (same signature as `Head.delta`; the perceptron rule's).
        """
        multiply, sums = np.multiply, ws.ones.dot  # ones @ delta: the column sums
        plan = ws.backward_plan  # (allocates ws.delta on first use)
        delta = (output_delta or self._head.delta)(ws.z[-1], ws.h[-1], t, ws.delta[-1])
        multiply(delta, scale, delta)
        for derivative, z, h, slope in ws.slope_plan:
            derivative(z, h, slope)
        if ws.plain:
            for below_t_dot, delta_dot, gw, gb, w_t, below, slope in plan:
                below_t_dot(delta, gw)
                sums(delta, gb)
                delta_dot(w_t, below)  # back through the weights and the activation below
                multiply(below, slope, below)
                delta = below
            x.T.dot(delta, self.grad_weights[0])
            sums(delta, self.grad_biases[0])
            return
        dropped = ws.dropped
        for below_t_dot, delta_dot, gw, gb, w_t, below, slope, mask in plan:
            below_t_dot(delta, gw)
            sums(delta, gb)
            # Back through the weights, the dropout mask and the activation below.
            delta_dot(w_t, below)
            if dropped and mask is not None:
                multiply(below, mask, below)
            multiply(below, slope, below)
            delta = below
        x.T.dot(delta, self.grad_weights[0])
        sums(delta, self.grad_biases[0])

    def evaluate(self, x: Array) -> Array:
        """The output (n, n_outputs) for x (n, n_features), without dropout, in new arrays.

        Unlike `forward` it keeps no workspace, so any number of rows costs no memory
        after the call (for predictions and plots, not for training).
        """
        h = x
        last = self.depth - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = h @ w + b
            h = self._head.forward(z) if k == last else self.activations[k].forward(z)
        return h

    def loss(self, x: Array, t: Array) -> float:
        """Mean data loss over x (n, n_features) with targets t, without dropout."""
        ws = self.forward(x)
        return float(self._head.loss(ws.z[-1], ws.h[-1], t).mean())


def _function(layer: Activation | Head):
    """What computes a layer's activation into `out`: its ufunc if it is one, else forward."""
    return layer.ufunc if layer.ufunc is not None else layer.forward


def _bias_rows(n: int, total: int) -> int:
    """Rows of biases a workspace of n rows copies: the largest divisor of n whose rows
    hold at most BIAS_ROWS_MAX entries of `total` biases each (1: it broadcasts instead)."""
    most = max(1, min(n, BIAS_ROWS_MAX // max(1, total)))
    return next(r for r in range(most, 0, -1) if n % r == 0)


def _blocks(flat: Array, n: int, widths: Sequence[int]) -> list[Array]:
    """(n, d) views of consecutive blocks of the 1-D `flat`, one per width."""
    ends = np.cumsum([n * d for d in widths]).tolist()
    return [flat[end - n * d : end].reshape(n, d) for end, d in zip(ends, widths, strict=True)]


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
