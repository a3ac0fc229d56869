"""What a trainer reports about its current weights (`Trainer.metrics()`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engine.loop import split_losses

if TYPE_CHECKING:
    from engine.trainer import Trainer


def metrics(t: Trainer) -> dict[str, Any]:
    """JSON-able metrics (floats, lists, None); the keys are listed in docs/engine.md."""
    with np.errstate(all="ignore"):  # weights edited to huge values must not warn
        losses = split_losses(t)
        classification = t.dataset.problem == "classification"
        train_acc = test_acc = confusion = None
        if classification:
            train_acc = _accuracy(t, "train")
            test_acc = _accuracy(t, "test")
            confusion = _confusion(t).tolist()
        grad_norms = _grad_norms(t)
        net = t.network
        weights = net.params[: net.weight_count]
        cfg = t.config
        return {
            "epoch": t.epoch,
            "train_loss": losses["train"],
            "test_loss": losses["test"],
            "val_loss": losses["val"],
            "train_accuracy": train_acc,
            "test_accuracy": test_acc,
            "confusion": confusion,
            "grad_norms": grad_norms,
            "weight_norms": [float(np.linalg.norm(w)) for w in net.weights],
            "dead_fraction": _dead_fraction(t),
            "zero_weight_fraction": float(np.mean(weights == 0.0)) if weights.size else 0.0,
            "learning_rate": float(t.schedule.learning_rate(cfg.learning_rate, t.epoch, cfg)),
            "status": t.status,
            "status_message": t.status_message,
        }


def _predictions(t: Trainer, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(predicted, true) class indices of one split."""
    x, _ = t.data.rows(split)
    if not len(x):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ws = t.network.forward(x)
    return t.head.predict(ws.h[-1]), t.data.y[t.data.splits[split]].astype(np.int64)


def _accuracy(t: Trainer, split: str) -> float | None:
    predicted, true = _predictions(t, split)
    return float(np.mean(predicted == true)) if len(true) else None


def _confusion(t: Trainer) -> np.ndarray:
    """Test-set confusion counts (K, K), rows = true class, columns = predicted."""
    k = t.dataset.num_classes
    predicted, true = _predictions(t, "test")
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (true, predicted), 1)
    return counts


def _grad_norms(t: Trainer) -> list[float]:
    """Per layer: norm of dL/dW of the mean data loss over the whole training set."""
    net = t.network
    x, targets = t.data.rows("train")
    if not len(x):
        return [0.0] * net.depth
    net.backward(x, targets, net.forward(x), 1.0 / len(x))
    return [float(np.linalg.norm(g)) for g in net.grad_weights]


def _dead_fraction(t: Trainer) -> float:
    """Fraction of hidden neurons that are ReLU and output 0 on every training point."""
    net = t.network
    hidden = sum(net.sizes[1:-1])
    x, _ = t.data.rows("train")
    if not hidden or not len(x) or not any(a.relu_like for a in net.activations):
        return 0.0
    ws = net.forward(x)
    dead = 0
    for k, activation in enumerate(net.activations):
        if activation.relu_like:
            dead += int(np.count_nonzero(np.all(ws.h[k] <= 0.0, axis=0)))
    return dead / hidden
