"""Cohort training: trainers of one shape step together, one set of NumPy calls for all.

A lecture hall runs many copies of the same few networks. Alone, each trainer pays NumPy's
per-call cost on tiny arrays (most of an epoch's time). Here the members' parameters,
batches and optimizer state are stacked along a first axis of length S, so a product is one
`np.matmul` over (S, batch, d) arrays and an update is one ufunc call over (S, P): S
trainers cost about one trainer's calls.

Each member follows exactly the trajectory it would follow alone: its own data, shuffle
order, dropout masks (drawn from its own generator in the same order), learning rate,
schedule, hyper-parameters and optimizer step count. The epoch's end is measured for the
whole cohort in one pass over every point (each member's train/val/test loss, whether its
weights are finite), then judged by the same per-trainer code as alone (history,
divergence, collapse, early stopping). `np.matmul` over a stack multiplies each (batch, d)
slice with the same BLAS kernel as the lone `ndarray.dot`, so results are equal bit for bit
(tests/engine/test_cohort.py checks this for every activation, head and optimizer); should
a BLAS build ever batch differently, the summation order of those products is the only
place a difference could enter. The stacked buffers are kept for the cohort's next epoch
(engine.scratch).

Usage: ``train_epochs(trainers, n)`` trains every trainer up to n epochs, grouping those
with equal `cohort_key` and training the rest alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

from engine import loop, regularization
from engine.optimizers import OPTIMIZERS
from engine.scratch import scratch

if TYPE_CHECKING:
    from engine.trainer import Trainer

Array = np.ndarray
STACKED_FIELDS = ("momentum", "rho", "beta1", "beta2", "epsilon", "weight_decay")
# Optimizers whose step also runs on stacked (members, P) params (engine.optimizers).
STACKABLE = frozenset({"sgd", "momentum", "rmsprop", "adam", "adamw"})


def cohort_key(t: Trainer) -> tuple[Any, ...] | None:
    """Trainers with equal keys can train together; None: this one trains alone."""
    cfg, net = t.config, t.network
    n_train = t.data.n_train
    if t.status != "ok" or not n_train or cfg.optimizer not in STACKABLE:
        return None
    penalty = cfg.regularization if cfg.regularization_rate > 0.0 else "none"
    return (
        net.sizes,
        tuple(a.name for a in net.activations),
        type(t.head),
        net.dropout,
        cfg.optimizer,
        cfg.optimizer == "momentum" and cfg.nesterov,
        min(cfg.batch_size, n_train),
        n_train,
        penalty,
    )


def train_epochs(trainers: Sequence[Trainer], n: int) -> list[int]:
    """Train each trainer up to `n` epochs, as `Trainer.train_epochs` would; epochs each ran.

    Trainers of one `cohort_key` train together; a member that diverges or stops early
    leaves its cohort (and stays stopped, as alone); the others go on.
    """
    done = {id(t): 0 for t in trainers}
    with np.errstate(all="ignore"):  # overflow is divergence, caught per member
        for t in trainers:
            if t.batch_position and t.status == "ok" and n > 0:
                done[id(t)] += t.train_epochs(1)  # finish a partial epoch alone first
        for _ in range(n):
            groups: dict[tuple[Any, ...], list[Trainer]] = {}
            for t in trainers:
                if done[id(t)] >= n or t.status != "ok" or not t.data.n_train:
                    continue
                key = cohort_key(t)
                # A trainer that cannot stack (e.g. the perceptron rule) trains alone.
                groups.setdefault(("alone", id(t)) if key is None else key, []).append(t)
            if not groups:
                break
            for members in groups.values():
                before = [t.epoch for t in members]
                if len(members) == 1:
                    members[0].train_epochs(1)
                else:
                    _stacked_epoch(members)
                for t, epoch in zip(members, before, strict=True):
                    done[id(t)] += t.epoch - epoch
    return [done[id(t)] for t in trainers]


def _stacked_epoch(members: list[Trainer]) -> None:
    """One epoch of every member (each at an epoch's start) with stacked arrays."""
    first = members[0]
    net, cfg = first.network, first.config
    for t in members:
        loop.note_start(t)
    data = _Data(members)
    xs, ts = data.shuffled(members)
    for t in members:
        np.copyto(t._backup, t.network.params)
    size, weight_count = net.params.size, net.weight_count
    lrs = [t.schedule.learning_rate(t.config.learning_rate, t.epoch, t.config) for t in members]
    lr = np.array(lrs)[:, None]
    hyper = SimpleNamespace(
        nesterov=cfg.nesterov,
        **{f: np.array([getattr(t.config, f) for t in members])[:, None] for f in STACKED_FIELDS},
    )
    params = np.stack([t.network.params for t in members])
    optimizer = OPTIMIZERS[cfg.optimizer](size, weight_count, len(members))
    for row, t in enumerate(members):
        optimizer._state[:, row] = t.optimizer._state
        optimizer.steps[row] = t.optimizer.steps
    stack = _Stack(members, params)
    penalty = cfg.regularization if cfg.regularization_rate > 0.0 else "none"
    if penalty != "none":
        factor = lr * np.array([t.config.regularization_rate for t in members])[:, None]
        weights = params[:, :weight_count]
        before = np.empty_like(weights)
        scratch = regularization.RegularizationScratch(weights.shape)
    n_train, batch = first.data.n_train, min(cfg.batch_size, first.data.n_train)
    rngs = [t._dropout_rng for t in members] if any(net.dropout) else None
    for start in range(0, n_train, batch):
        stop = min(start + batch, n_train)
        xb = xs[:, start:stop]
        stack.backward(xb, ts[:, start:stop], stack.forward(xb, rngs), 1.0 / (stop - start))
        if penalty != "none":
            np.copyto(before, weights)
        optimizer.step(params, stack.grads, lr, hyper)
        if penalty != "none":
            regularization.penalty_step(before, weights, factor, penalty, scratch)
    ends = data.epoch_ends(stack, params)
    for row, t in enumerate(members):
        np.copyto(t.network.params, params[row])
        t.optimizer._state[...] = optimizer._state[:, row]
        t.optimizer.steps = int(optimizer.steps[row, 0])
        t._cursor = 0
        loop._finish_epoch(t, lrs[row], ends[row])


class _Data:
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

    def epoch_ends(self, stack: _Stack, params: Array) -> list[loop.EpochEnd | None]:
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
            loop.EpochEnd({name: s[row] for name, s in sums.items()}, finite[row], _Row(ws, row))
            for row in range(len(params))
        ]


class _Row:
    """One member's rows of a stacked pass (`z` and `h` per layer), made when read."""

    def __init__(self, ws: _Buffers, row: int) -> None:
        self._ws, self._row = ws, row

    @property
    def z(self) -> list[Array]:
        return [z[self._row] for z in self._ws.z]

    @property
    def h(self) -> list[Array]:
        return [h[self._row] for h in self._ws.h]


class _Buffers:
    """Stacked per-layer buffers for batches of b rows (each list: one (S, b, d) per layer),
    kept from one epoch to the next (engine.scratch)."""

    def __init__(self, net: Any, members: int, rows: int) -> None:
        kept = scratch()

        def layers(name: str) -> list[Array]:
            return [kept.get(f"{name}{k}", members, (rows, d)) for k, d in enumerate(widths)]

        widths = net.sizes[1:]
        self.z, self.h, self.delta, self.slope = (layers(n) for n in ("z", "h", "delta", "slope"))
        hidden = enumerate(zip(widths[:-1], net.dropout, strict=True))
        self.mask = [
            kept.get(f"mask{k}", members, (rows, d)) if p else None for k, (d, p) in hidden
        ]
        self.mask.append(None)  # the output layer never drops
        self.a = [  # h times the mask
            h if m is None else kept.get(f"a{k}", members, h.shape[1:])
            for k, (h, m) in enumerate(zip(self.h, self.mask, strict=True))
        ]
        self.ones = np.ones((1, rows))  # ones @ delta sums each member's rows


class _Stack:
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
        self._buffers: dict[int, _Buffers] = {}  # by batch rows: full batches, the last one
        self._dropped = False

    def forward(self, x: Array, rngs: list[np.random.Generator] | None) -> _Buffers:
        """x (S, b, F) through every member; masks drawn per member from `rngs` (training)."""
        ws = self._buffers.get(x.shape[1])
        if ws is None:
            ws = self._buffers[x.shape[1]] = _Buffers(self.net, self.members, x.shape[1])
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

    def backward(self, x: Array, t: Array, ws: _Buffers, scale: float) -> None:
        """Fill `grads` (S, P) with `scale` × each member's summed loss gradient."""
        net = self.net
        delta = net.head.delta(ws.z[-1], ws.h[-1], t, out=ws.delta[-1])
        np.multiply(delta, scale, delta)
        for k in range(len(self.weights) - 1, 0, -1):
            np.matmul(ws.a[k - 1].transpose(0, 2, 1), delta, out=self.grad_weights[k])
            np.matmul(ws.ones, delta, out=self.grad_biases[k])
            below = ws.delta[k - 1]
            np.matmul(delta, self.weights[k].transpose(0, 2, 1), out=below)
            if self._dropped and ws.mask[k - 1] is not None:
                np.multiply(below, ws.mask[k - 1], below)
            slope = net.activations[k - 1].derivative(ws.z[k - 1], ws.h[k - 1], ws.slope[k - 1])
            np.multiply(below, slope, below)
            delta = below
        np.matmul(x.transpose(0, 2, 1), delta, out=self.grad_weights[0])
        np.matmul(ws.ones, delta, out=self.grad_biases[0])
