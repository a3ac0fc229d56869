"""Metrics of many trainers in one set of NumPy calls: `metrics(trainers)`.

A classroom server refreshes every playing session's metrics a few times a second; alone,
each refresh pays the per-call cost of an evaluation pass over every point and a backward
pass over the training rows on arrays of a few hundred rows. Trainers whose networks
share a shape and whose data share a layout are measured here as one stack
(engine.stacked), and each one's dict is assembled by the same `engine.metrics.report` as
alone, so it equals `trainer.metrics()` exactly: the products are each member's own BLAS
calls, every other operation is elementwise or reduces one member's contiguous row as the
lone code reduces its 1-D slice, accuracies and confusion counts are integer sums, and the
norms are each member's own `ndarray.dot` (tests/engine/test_cohort_metrics.py).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.metrics import Measured, norm, report
from engine.stacked import Stack, StackedData
from engine.watch import DEAD_SLOPE, largest_per_unit

if TYPE_CHECKING:
    from engine.trainer import Trainer


def layout_key(t: Trainer) -> Hashable:
    """Trainers with equal keys are measured in one stack."""
    net, data = t.network, t.data
    return (
        net.sizes,
        tuple(a.name for a in net.activations),
        type(t.head),
        tuple(p > 0.0 for p in net.dropout),  # which layers have a mask buffer
        t.dataset.problem,
        t.dataset.num_classes,
        data.splits["val"].start,  # the splits: train | val | test rows
        data.splits["val"].stop,
        len(data.x),
    )


def metrics(trainers: Sequence[Trainer]) -> list[dict[str, Any]]:
    """Each trainer's `metrics()`, those of one `layout_key` measured together."""
    groups: dict[Hashable, list[int]] = {}
    for i, t in enumerate(trainers):
        groups.setdefault(layout_key(t), []).append(i)
    out: list[dict[str, Any] | None] = [None] * len(trainers)
    for rows in groups.values():
        members = [trainers[i] for i in rows]
        if len(members) == 1 or not members[0].data.n_train:
            for i, t in zip(rows, members, strict=True):
                out[i] = t.metrics()
            continue
        with np.errstate(all="ignore"):  # weights edited to huge values must not warn
            for i, t, m in zip(rows, members, _measure(members), strict=True):
                out[i] = report(t, m)
    return out  # type: ignore[return-value]


def _measure(members: list[Trainer]) -> list[Measured]:
    """What `engine.metrics.metrics` measures, for every member at once."""
    first = members[0]
    count = len(members)
    params = np.stack([t.network.params for t in members])
    stack = Stack(members, params)
    data = StackedData(members)
    splits = first.data.splits
    train = splits["train"]
    ws = stack.forward(data.x, None)
    per_point = first.head.loss(ws.z[-1], ws.h[-1], data.t)  # (S, n)
    losses: list[dict[str, float | None]] = [{} for _ in members]
    for name, rows in splits.items():
        for row, value in enumerate(_means(per_point[:, rows])):
            losses[row][name] = value
    train_acc = test_acc = confusion = [None] * count
    if first.dataset.problem == "classification":
        labels = np.stack([t.data.y for t in members])
        predicted = first.head.predict(ws.h[-1])  # (S, n)
        correct = predicted == labels
        train_acc = _means(correct[:, train])
        test_acc = _means(correct[:, splits["test"]])
        confusion = _confusions(first.dataset.num_classes, labels, predicted, splits["test"])
    dead = _dead_units(stack, ws, train)  # before the backward pass reuses the buffers
    x, t = data.x[:, train], data.t[:, train]
    stack.backward(x, t, stack.forward(x, None), 1.0 / (train.stop - train.start))
    return [
        Measured(
            losses[row],
            train_acc[row],
            test_acc[row],
            confusion[row],
            [layer[row] for layer in dead],
            [norm(g[row]) for g in stack.grad_weights],
        )
        for row in range(count)
    ]


def _means(values: np.ndarray) -> list[float | None]:
    """Each member's mean of its (n,) row of (S, n) values, as `engine.metrics._mean`."""
    count = values.shape[1]
    if not count:
        return [None] * len(values)
    return [total / count for total in np.add.reduce(values, axis=1, dtype=np.float64).tolist()]


def _confusions(
    k: int, labels: np.ndarray, predicted: np.ndarray, rows: slice
) -> list[list[list[int]]]:
    """Each member's test-set counts (K, K): rows true class, columns predicted."""
    members = len(labels)
    cells = labels[:, rows].astype(np.int64) * k + predicted[:, rows]
    cells += np.arange(0, members * k * k, k * k)[:, None]  # member m's cells after m·K²
    return np.bincount(cells.ravel(), minlength=members * k * k).reshape(members, k, k).tolist()


def _dead_units(stack: Stack, ws: Any, rows: slice) -> list[np.ndarray]:
    """Per hidden layer, (S, width) bool: as `engine.watch.dead_units`, for every member."""
    dead = []
    for k, activation in enumerate(stack.net.activations):
        z, h = ws.z[k][:, rows], ws.h[k][:, rows]
        if not z.shape[1]:
            dead.append(np.zeros((len(z), z.shape[2]), dtype=bool))
            continue
        slope = np.abs(activation.derivative(z, h))
        dead.append(largest_per_unit(slope) < DEAD_SLOPE)
    return dead
