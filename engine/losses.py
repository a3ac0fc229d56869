"""Losses with their output activation ("heads"), registry `LOSSES` keyed by wire name.

A head owns everything about the last layer: how many output units, how class labels
become target rows, the output activation, the per-sample loss and its gradient with
respect to the output pre-activation z (the two are always paired, so the gradient is the
simple `o - t` form where it exists).
"""

from __future__ import annotations

import numpy as np

from engine.activations import ACTIVATIONS, ONE

Array = np.ndarray


def _unit_sum(per_unit: Array) -> Array:
    """Sum over the last (units) axis. One unit is its own sum, taken as a view: a reduction
    over an axis of one element runs NumPy's inner loop once per point (a cohort's loss pass
    over 50 members' 500 points: 4x slower)."""
    return per_unit[..., 0] if per_unit.shape[-1] == 1 else per_unit.sum(axis=-1)


class Head:
    """Output layer + loss for one problem.

    Attributes
    ----------
    units : int
        Output width.
    kind : str
        Output activation: "tanh", "linear", "sigmoid" or "softmax" (tells a renderer the
        range: [-1, 1], unbounded, [0, 1], or probabilities over the last axis).
    """

    units = 1
    kind = ""
    ufunc: np.ufunc | None = None  # the output activation as one ufunc(z, out), if it is one
    delta_rule = ""  # dloss/dz in words (shown by the backprop trace)

    def targets(self, y: Array) -> Array:
        """Target rows (n, units) float64 from labels y (n,)."""
        raise NotImplementedError

    def forward(self, z: Array, out: Array | None = None) -> Array:
        """Output o (n, units) from pre-activation z (n, units)."""
        raise NotImplementedError

    def loss(self, z: Array, o: Array, t: Array) -> Array:
        """Per-sample loss (n,); over the last axis, so stacked (members, n, units) rows
        give (members, n) (engine.cohort)."""
        raise NotImplementedError

    def delta(self, z: Array, o: Array, t: Array, out: Array | None = None) -> Array:
        """dloss/dz (n, units) per sample."""
        raise NotImplementedError

    def predict(self, o: Array) -> Array:
        """Class index (n,) int64 from outputs (classification heads only); over the last
        axis, so stacked (members, n, units) outputs give (members, n)."""
        raise NotImplementedError

    def perceptron_delta(self, z: Array, o: Array, t: Array, out: Array | None = None) -> Array:
        """The perceptron rule's error signal (n, units): the thresholded prediction's target
        row minus t, in the units of this head's targets (so 0 where the point is right).

        SGD with this in place of `delta` is Rosenblatt's rule w <- w + lr (t - y_hat) x.
        """
        predicted = self.targets(self.predict(o))
        if self.kind == "tanh":
            predicted *= 0.5  # ±1 targets: (y_hat - t) / 2 is -1, 0 or +1 per unit
            return np.subtract(predicted, 0.5 * t, out=out)
        return np.subtract(predicted, t, out=out)


class SquareTanh(Head):
    """½ Σ (o − t)² with a tanh output; targets ±1 (the reference's classification)."""

    kind = "tanh"
    ufunc = np.tanh
    delta_rule = "∂L/∂z = (o − t)·(1 − o²)"

    def __init__(self, num_classes: int) -> None:
        # Two classes use one unit (class 1 = +1); more use one ±1 unit per class.
        self.units = 1 if num_classes == 2 else num_classes

    def targets(self, y):
        y = np.asarray(y, dtype=np.int64)
        if self.units == 1:
            return np.where(y == 1, 1.0, -1.0)[:, None]
        t = np.full((len(y), self.units), -1.0)
        t[np.arange(len(y)), y] = 1.0
        return t

    def forward(self, z, out=None):
        return np.tanh(z, out)

    def loss(self, z, o, t):
        return 0.5 * _unit_sum(np.square(o - t))

    def delta(self, z, o, t, out=None):
        # (o − t) · tanh'(z), with tanh'(z) = 1 − o² (`out` positional: see activations).
        out = np.subtract(o, t, out)
        slope = np.multiply(o, o)
        np.subtract(ONE, slope, slope)
        return np.multiply(out, slope, out)

    def predict(self, o):
        if self.units == 1:
            return (o[..., 0] >= 0.0).astype(np.int64)
        return o.argmax(axis=-1)


class SquareLinear(Head):
    """½ (o − y)² with a linear output (regression)."""

    kind = "linear"
    delta_rule = "∂L/∂z = o − t"

    def targets(self, y):
        return np.asarray(y, dtype=np.float64).reshape(-1, 1).copy()

    def forward(self, z, out=None):
        return ACTIVATIONS["linear"].forward(z, out)

    def loss(self, z, o, t):
        return 0.5 * _unit_sum(np.square(o - t))

    def delta(self, z, o, t, out=None):
        return np.subtract(o, t, out=out)


class Softmax(Head):
    """Cross-entropy −log p_y with a softmax output over K units."""

    kind = "softmax"
    delta_rule = "∂L/∂z = o − t (softmax with cross-entropy)"

    def __init__(self, num_classes: int) -> None:
        self.units = num_classes

    def targets(self, y):
        t = np.zeros((len(y), self.units))
        t[np.arange(len(y)), np.asarray(y, dtype=np.int64)] = 1.0
        return t

    def forward(self, z, out=None):
        # Over the last axis: rows (n, K), or stacked (members, n, K) in engine.cohort.
        out = np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
        np.exp(out, out=out)
        return np.divide(out, out.sum(axis=-1, keepdims=True), out=out)

    def loss(self, z, o, t):
        top = z.max(axis=-1, keepdims=True)
        log_sum = np.log(np.exp(z - top).sum(axis=-1)) + top[..., 0]
        return log_sum - (z * t).sum(axis=-1)

    def delta(self, z, o, t, out=None):
        return np.subtract(o, t, out=out)

    def predict(self, o):
        return o.argmax(axis=-1)


class SigmoidBinary(Head):
    """Binary cross-entropy with a sigmoid output; target 1 for class 1, else 0."""

    kind = "sigmoid"
    delta_rule = "∂L/∂z = o − t (sigmoid with cross-entropy)"

    def targets(self, y):
        return (np.asarray(y) == 1).astype(np.float64)[:, None]

    def forward(self, z, out=None):
        return ACTIVATIONS["sigmoid"].forward(z, out)

    def loss(self, z, o, t):
        # softplus(z) − t z: the same value as −t log o − (1−t) log(1−o), without log(0).
        return _unit_sum(np.logaddexp(0.0, z) - t * z)

    def delta(self, z, o, t, out=None):
        return np.subtract(o, t, out=out)

    def predict(self, o):
        return (o[..., 0] >= 0.5).astype(np.int64)


class Loss:
    """A registry entry: builds the head for a problem."""

    name = ""
    label = ""

    def head(self, problem: str, num_classes: int) -> Head:
        raise NotImplementedError


class Square(Loss):
    name, label = "square", "Square"

    def head(self, problem, num_classes):
        return SquareLinear() if problem == "regression" else SquareTanh(num_classes)


class CrossEntropy(Loss):
    name, label = "cross_entropy", "Cross-entropy (softmax)"

    def head(self, problem, num_classes):
        return Softmax(num_classes)


class BinaryCrossEntropy(Loss):
    name, label = "binary_cross_entropy", "Binary cross-entropy (sigmoid)"

    def head(self, problem, num_classes):
        return SigmoidBinary()


LOSSES: dict[str, Loss] = {cls.name: cls() for cls in (Square, CrossEntropy, BinaryCrossEntropy)}
