"""Trainers of one shape as stacked arrays: their layers, buffers and data along a first axis.

The members' parameters are an (S, P) array; `Stack` sees them as per-layer (S, d_in, d_out)
weights and (S, 1, d_out) biases, and runs forward and backward passes over (S, rows, d)
batches with one NumPy call per operation for all members (`np.matmul` multiplies slice by
slice, with the same BLAS kernel as a lone network's `ndarray.dot`: each member's results
are its own, bit for bit). `StackedData` holds the members' prepared data. Used by
engine.cohort (training) and engine.cohort_metrics; every buffer is kept between calls
(engine.scratch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engine import loop
from engine.scratch import scratch

if TYPE_CHECKING:
    from engine.trainer import Trainer

Array = np.ndarray


class StackedData:
    """The members' prepared data stacked: (S, n, F) inputs and (S, n, units) targets.

    Every point when the members' splits have the same rows (the usual case), else the
    training rows only (their count is part of the cohort key) and each member measures its
    own epoch end.
    """

    def __init__(self, members: list[Trainer]) -> None:
        first = members[0]
        splits = first.data.splits
        self.whole = all(t.data.splits == splits for t in members)
        rows = slice(None) if self.whole else splits["train"]
        self.splits = splits
        kept = scratch()
        x, t = first.data.x[rows], first.data.t[rows]
        self.x = np.stack(
            [m.data.x[rows] for m in members], out=kept.get("x", len(members), x.shape)
        )
        self.t = np.stack(
            [m.data.t[rows] for m in members], out=kept.get("t", len(members), t.shape)
        )

    def shuffled(self, members: list[Trainer]) -> tuple[Array, Array]:
        """This epoch's training rows of every member, each in its own order (drawn from
        its shuffle stream as alone): (S, n_train, F), (S, n_train, units).

        A member's own epoch buffers are left as they were: the cohort trains from these.
        """
        orders = [loop.epoch_order(t) for t in members]
        for t, order in zip(members, orders, strict=True):
            t.data.epoch_order = order
        count, rows = len(members), self.x.shape[1]
        flat = np.stack(orders)
        flat += np.arange(0, count * rows, rows)[:, None]  # row r of member m: m·rows + r
        kept = scratch()
        xs = kept.get("epoch_x", count, (flat.shape[1], self.x.shape[2]))
        ts = kept.get("epoch_t", count, (flat.shape[1], self.t.shape[2]))
        self.x.reshape(count * rows, -1).take(flat, axis=0, out=xs, mode="clip")
        self.t.reshape(count * rows, -1).take(flat, axis=0, out=ts, mode="clip")  # (in range)
        return xs, ts

    def epoch_ends(self, stack: Stack, params: Array) -> list[loop.EpochEnd | None]:
        """Every member's `loop.EpochEnd` from one stacked pass over every point (None each:
        the members measure their own, when their splits differ).

        Equal to each member's own: the same products slice by slice (see the module
        docstring), the loss of each point alone, and each split's sum a reduction of that
        member's contiguous row of losses, as `loop.split_losses` reduces its 1-D slice.
        """
        if not self.whole:
            return [None] * len(params)
        ws = stack.forward(self.x, None)
        per_point = stack.net.head.loss(ws.z[-1], ws.h[-1], self.t)  # (S, n)
        sums = {}
        for name, rows in self.splits.items():
            count = rows.stop - rows.start
            if count:
                totals = np.add.reduce(per_point[:, rows], axis=1).tolist()
                sums[name] = [total / count for total in totals]
            else:
                sums[name] = [None] * len(params)
        finite = np.isfinite(params.sum(axis=1)).tolist()
        return [
            loop.EpochEnd(
                {name: s[row] for name, s in sums.items()}, finite[row], MemberRows(ws, row)
            )
            for row in range(len(params))
        ]


class MemberRows:
    """One member's rows of a stacked pass (`z` and `h` per layer), made when read."""

    def __init__(self, ws: Buffers, row: int) -> None:
        self._ws, self._row = ws, row

    @property
    def z(self) -> list[Array]:
        return [z[self._row] for z in self._ws.z]

    @property
    def h(self) -> list[Array]:
        return [h[self._row] for h in self._ws.h]


class Buffers:
    """Stacked per-layer buffers for batches of b rows (each list: one (S, b, d) per layer),
    kept from one epoch to the next (engine.scratch). Each kind of buffer is one kept array,
    cut into contiguous per-layer blocks; `delta` and `slope` are made on the first
    backward pass (an evaluation pass needs neither)."""

    def __init__(self, net: Any, members: int, rows: int) -> None:
        self._widths = net.sizes[1:]
        self._members, self._rows = members, rows
        self.z, self.h = self._layers("z"), self._layers("h")
        self.mask: list[Array | None] = [None] * len(self._widths)
        self.a = self.h  # what the next layer sees: h times the mask (h without dropout)
        if any(net.dropout):
            masks, products = self._layers("mask"), self._layers("a")
            drops = (*net.dropout, 0.0)  # the output layer never drops
            self.mask = [m if p > 0.0 else None for m, p in zip(masks, drops, strict=True)]
            pairs = zip(self.h, self.mask, products, strict=True)
            self.a = [h if m is None else a for h, m, a in pairs]
        self.ones = np.ones((1, rows))  # ones @ delta sums each member's rows
        self._backward: tuple[list[Array], list[Array]] | None = None

    def _layers(self, name: str) -> list[Array]:
        """One (S, b, d) block per layer, of one kept array."""
        members, rows = self._members, self._rows
        flat = scratch().get(name, members, (rows * sum(self._widths),)).reshape(-1)
        blocks, start = [], 0
        for d in self._widths:
            size = members * rows * d
            blocks.append(flat[start : start + size].reshape(members, rows, d))
            start += size
        return blocks

    @property
    def delta(self) -> list[Array]:
        """dloss/dz per layer (made on first use)."""
        return self._backward_buffers()[0]

    @property
    def slope(self) -> list[Array]:
        """f'(z) scratch per layer (made on first use)."""
        return self._backward_buffers()[1]

    def _backward_buffers(self) -> tuple[list[Array], list[Array]]:
        if self._backward is None:
            self._backward = (self._layers("delta"), self._layers("slope"))
        return self._backward


class Stack:
    """The members' networks as stacked layers: views of the (S, P) params and grads."""

    def __init__(self, members: list[Trainer], params: Array) -> None:
        net = members[0].network
        self.net = net
        self.members = len(members)
        self.grads = np.empty_like(params)
        self.weights: list[Array] = []
        self.grad_weights: list[Array] = []
        self.biases: list[Array] = []
        self.grad_biases: list[Array] = []
        offset, bias_offset = 0, net.weight_count
        for i, o in zip(net.sizes[:-1], net.sizes[1:], strict=True):
            self.weights.append(params[:, offset : offset + i * o].reshape(-1, i, o))
            self.grad_weights.append(self.grads[:, offset : offset + i * o].reshape(-1, i, o))
            self.biases.append(params[:, None, bias_offset : bias_offset + o])
            self.grad_biases.append(self.grads[:, None, bias_offset : bias_offset + o])
            offset += i * o
            bias_offset += o
        self.functions = [*net.activations, net.head]
        self.keeps = [1.0 - p for p in net.dropout] + [1.0]
        self._buffers: dict[int, Buffers] = {}  # by batch rows: full batches, the last one
        self._dropped = False

    def forward(self, x: Array, rngs: list[np.random.Generator] | None) -> Buffers:
        """x (S, b, F) through every member; masks drawn per member from `rngs` (training)."""
        ws = self._buffers.get(x.shape[1])
        if ws is None:
            ws = self._buffers[x.shape[1]] = Buffers(self.net, self.members, x.shape[1])
        self._dropped = rngs is not None
        below = x
        layers = zip(self.weights, self.biases, self.functions, self.keeps, strict=True)
        for k, (w, b, f, keep) in enumerate(layers):
            z, h, a, mask = ws.z[k], ws.h[k], ws.a[k], ws.mask[k]
            np.matmul(below, w, out=z)
            np.add(z, b, z)
            f.forward(z, h)
            if mask is not None:
                if rngs is None:
                    np.copyto(a, h)
                else:
                    for row, rng in enumerate(rngs):  # each member's generator, layer order
                        rng.random(out=mask[row])
                    np.less(mask, keep, out=mask)
                    np.multiply(mask, 1.0 / keep, out=mask)
                    np.multiply(h, mask, out=a)
            below = a
        return ws

    def backward(self, x: Array, t: Array, ws: Buffers, scale: float) -> None:
        """Fill `grads` (S, P) with `scale` × each member's summed loss gradient."""
        net = self.net
        deltas, slopes = ws.delta, ws.slope
        delta = net.head.delta(ws.z[-1], ws.h[-1], t, out=deltas[-1])
        np.multiply(delta, scale, delta)
        for k in range(len(self.weights) - 1, 0, -1):
            np.matmul(ws.a[k - 1].transpose(0, 2, 1), delta, out=self.grad_weights[k])
            np.matmul(ws.ones, delta, out=self.grad_biases[k])
            below = deltas[k - 1]
            np.matmul(delta, self.weights[k].transpose(0, 2, 1), out=below)
            if self._dropped and ws.mask[k - 1] is not None:
                np.multiply(below, ws.mask[k - 1], below)
            slope = net.activations[k - 1].derivative(ws.z[k - 1], ws.h[k - 1], slopes[k - 1])
            np.multiply(below, slope, below)
            delta = below
        np.matmul(x.transpose(0, 2, 1), delta, out=self.grad_weights[0])
        np.matmul(ws.ones, delta, out=self.grad_biases[0])
