"""What a trainer reports about its current weights (`Trainer.metrics()`).

One evaluation pass over every point (rows ordered train | val | test) gives the losses,
accuracies, confusion matrix and dead neurons; one more pass with its backward pass over
the training rows gives the gradient norms.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from engine.network import Workspace
    from engine.trainer import Trainer


def metrics(t: Trainer) -> dict[str, Any]:
    """JSON-able metrics (floats, lists, None); the keys are listed in docs/engine.md."""
    net, data, cfg = t.network, t.data, t.config
    with np.errstate(all="ignore"):  # weights edited to huge values must not warn
        ws = net.forward(data.x)
        per_point = t.head.loss(ws.z[-1], ws.h[-1], data.t)
        losses = {name: _mean(per_point[rows]) for name, rows in data.splits.items()}
        train_acc = test_acc = confusion = None
        if t.dataset.problem == "classification":
            correct = t.head.predict(ws.h[-1]) == data.y
            train_acc = _mean(correct[data.splits["train"]])
            test_acc = _mean(correct[data.splits["test"]])
            confusion = _confusion(t, ws).tolist()
        dead = _dead_fraction(t, ws)
        grad_norms = _grad_norms(t)
        weights = net.params[: net.weight_count]
        return {
            "epoch": t.epoch,
            "train_loss": losses["train"],
            "test_loss": losses["test"],
            "val_loss": losses["val"],
            "train_accuracy": train_acc,
            "test_accuracy": test_acc,
            "confusion": confusion,
            "grad_norms": grad_norms,
            "weight_norms": [_norm(w) for w in net.weights],
            "dead_fraction": dead,
            "zero_weight_fraction": (
                1.0 - np.count_nonzero(weights) / weights.size if weights.size else 0.0
            ),
            "learning_rate": float(t.schedule.learning_rate(cfg.learning_rate, t.epoch, cfg)),
            "status": t.status,
            "status_message": t.status_message,
            "diverged": t.status == "diverged",
            "divergence": t.divergence,
        }


def _mean(values: np.ndarray) -> float | None:
    return float(np.add.reduce(values, dtype=np.float64)) / len(values) if len(values) else None


def _confusion(t: Trainer, ws: Workspace) -> np.ndarray:
    """Test-set counts (K, K) from the evaluation pass: rows true class, columns predicted."""
    k = t.dataset.num_classes
    rows = t.data.splits["test"]
    predicted = t.head.predict(ws.h[-1][rows])
    cells = t.data.y[rows].astype(np.int64) * k + predicted
    return np.bincount(cells, minlength=k * k).reshape(k, k)


def _dead_fraction(t: Trainer, ws: Workspace) -> float:
    """Of all hidden neurons, the fraction that are ReLU and output 0 on every training point."""
    net = t.network
    hidden = sum(net.sizes[1:-1])
    rows = t.data.splits["train"]
    if not hidden or rows.stop == rows.start:
        return 0.0
    dead = 0
    for k, activation in enumerate(net.activations):
        if activation.relu_like:
            dead += int(np.count_nonzero(np.all(ws.h[k][rows] <= 0.0, axis=0)))
    return dead / hidden


def _grad_norms(t: Trainer) -> list[float]:
    """Per layer: ‖dL/dW‖ of the mean data loss over the whole training set."""
    net = t.network
    x, targets = t.data.rows("train")
    if not len(x):
        return [0.0] * net.depth
    net.backward(x, targets, net.forward(x), 1.0 / len(x))
    return [_norm(g) for g in net.grad_weights]


def _norm(w: np.ndarray) -> float:
    """Frobenius norm of a contiguous (d_in, d_out) matrix (np.linalg.norm's overhead is
    most of its time at these sizes; metrics run 5 times a second per playing session)."""
    flat = w.ravel()
    return math.sqrt(flat.dot(flat))
