"""What a trainer reports about its current weights (`Trainer.metrics()`), and the one
way to read a metric by name (`metric_value`, e.g. ``"grad_norms.-1"``).

One evaluation pass over every point (rows ordered train | val | test) gives the losses,
accuracies, confusion matrix and dead neurons; one more pass with its backward pass over
the training rows gives the gradient norms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from engine.options import ConfigError
from engine.regularization import REGULARIZERS
from engine.watch import dead_units

METRIC_NAMES = (
    "epoch",
    "train_loss",
    "test_loss",
    "val_loss",
    "penalty",
    "objective",
    "loss_gap",
    "train_accuracy",
    "test_accuracy",
    "accuracy_gap",
    "confusion",
    "grad_norms",
    "grad_norm_ratio",
    "weight_norms",
    "dead_fraction",
    "dead_fractions",
    "zero_weight_fraction",
    "learning_rate",
    "status",
    "status_message",
    "diverged",
    "divergence",
)
"""Every key of `metrics()`, in order (docs/engine.md says what each holds)."""

if TYPE_CHECKING:
    from engine.network import Workspace
    from engine.trainer import Trainer


class Measured(NamedTuple):
    """What one evaluation pass (and the training rows' backward pass) measures."""

    losses: dict[str, float | None]  # mean data loss of each split
    train_accuracy: float | None  # (None unless classification)
    test_accuracy: float | None
    confusion: list[list[int]] | None  # test counts (K, K): rows true, columns predicted
    dead: list[np.ndarray]  # per hidden layer, (width,) bool: dead on every training point
    grad_norms: list[float]  # per layer, ‖dL/dW‖ over the whole training set


def metrics(t: Trainer) -> dict[str, Any]:
    """JSON-able metrics (floats, lists, None); the keys are listed in docs/engine.md."""
    net, data = t.network, t.data
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
        dead = dead_units(net, ws, data.splits["train"])
        measured = Measured(losses, train_acc, test_acc, confusion, dead, _grad_norms(t))
        return report(t, measured)


def report(t: Trainer, m: Measured) -> dict[str, Any]:
    """The metrics of `t` from what its evaluation pass measured (engine.cohort_metrics
    measures a cohort's in one pass). Call under ``np.errstate(all="ignore")``."""
    net, cfg = t.network, t.config
    hidden = sum(net.sizes[1:-1])
    grad_norms, dead = m.grad_norms, m.dead
    dead_counts = [int(np.count_nonzero(d)) for d in dead]
    weights = net.params[: net.weight_count]
    penalty = cfg.regularization_rate * REGULARIZERS[cfg.regularization].penalty(weights)
    train_loss, test_loss = m.losses["train"], m.losses["test"]
    train_acc, test_acc = m.train_accuracy, m.test_accuracy
    return {
        "epoch": t.epoch,
        "train_loss": train_loss,
        "test_loss": test_loss,
        "val_loss": m.losses["val"],
        "penalty": penalty,
        "objective": None if train_loss is None else train_loss + penalty,
        "loss_gap": _difference(test_loss, train_loss),
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
        "accuracy_gap": _difference(train_acc, test_acc),
        "confusion": m.confusion,
        "grad_norms": grad_norms,
        "grad_norm_ratio": grad_norms[0] / grad_norms[-1] if grad_norms[-1] else None,
        "weight_norms": [norm(w) for w in net.weights],
        "dead_fraction": sum(dead_counts) / hidden if hidden else 0.0,
        "dead_fractions": [c / len(d) for c, d in zip(dead_counts, dead, strict=True)],
        "zero_weight_fraction": (
            1.0 - np.count_nonzero(weights) / weights.size if weights.size else 0.0
        ),
        "learning_rate": float(t.schedule.learning_rate(cfg.learning_rate, t.epoch, cfg)),
        "status": t.status,
        "status_message": t.status_message,
        "diverged": t.status == "diverged",
        "divergence": t.divergence,
    }


def metric_value(metrics: Mapping[str, Any], name: str) -> Any:
    """The value `name` addresses in a `metrics()` dict.

    A name is a key (``"test_loss"``), or a key and list indices joined by dots: an index
    counts from 0, a negative one from the end as in Python (``"grad_norms.0"`` the first
    layer, ``"grad_norms.-1"`` the output layer, ``"confusion.1.0"`` class 1 taken for 0).

    Raises
    ------
    ConfigError
        Field "metric", for a name that addresses nothing in these metrics.
    """
    if not isinstance(name, str):
        raise ConfigError("metric", "a metric name (a string)", name)
    key, *indices = name.split(".")
    if key not in METRIC_NAMES or key not in metrics:
        raise ConfigError("metric", "one of " + ", ".join(METRIC_NAMES), name)
    value = metrics[key]
    for index in indices:
        if not isinstance(value, list):
            raise ConfigError("metric", f"{key} without an index (it is not a list)", name)
        try:
            position = int(index)
        except ValueError:
            position = None
        if position is None or not -len(value) <= position < len(value):
            allowed = f"an index from {-len(value)} to {len(value) - 1} of {key}"
            raise ConfigError("metric", allowed, name) from None
        value = value[position]
    return value


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _mean(values: np.ndarray) -> float | None:
    return float(np.add.reduce(values, dtype=np.float64)) / len(values) if len(values) else None


def _confusion(t: Trainer, ws: Workspace) -> np.ndarray:
    """Test-set counts (K, K) from the evaluation pass: rows true class, columns predicted."""
    k = t.dataset.num_classes
    rows = t.data.splits["test"]
    predicted = t.head.predict(ws.h[-1][rows])
    cells = t.data.y[rows].astype(np.int64) * k + predicted
    return np.bincount(cells, minlength=k * k).reshape(k, k)


def _grad_norms(t: Trainer) -> list[float]:
    """Per layer: ‖dL/dW‖ of the mean data loss over the whole training set."""
    net = t.network
    x, targets = t.data.rows("train")
    if not len(x):
        return [0.0] * net.depth
    net.backward(x, targets, net.forward(x), 1.0 / len(x))
    return [norm(g) for g in net.grad_weights]


def norm(w: np.ndarray) -> float:
    """Frobenius norm of a contiguous (d_in, d_out) matrix (np.linalg.norm's overhead is
    most of its time at these sizes; metrics run 5 times a second per playing session)."""
    flat = w.ravel()
    return math.sqrt(flat.dot(flat))
