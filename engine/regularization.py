"""Weight penalties (none, L1, L2) and the reference's separate regularization step.

As in the reference (tensorflow/playground ``nn.ts`` ``updateWeights``), regularization is
not part of the gradient: after the gradient step, a second step moves each weight by
``lr * rate * R'(w_before)``, where ``w_before`` is the weight before the gradient step.
Only weights are regularized; the caller passes the weight view of the flat parameter
vector and biases are never touched. The reported loss excludes the penalty.

L1 is the proximal step of lr * rate * |w| (soft-thresholding): after the gradient step,
each weight moves towards zero by lr * rate and stops at exactly 0.0 if it would reach or
cross it, so a weight at zero stays there while its gradient step is no longer than
lr * rate (with SGD: |dL/dw| <= rate). Wherever the reference's clamp applies (its step
would cross zero) both give 0.0; they differ only where the gradient step itself ended at
or across zero from ``w_before`` (the reference then moves the weight by its stale sign,
away from zero; the proximal step shrinks it towards zero). docs/engine.md says why.

``apply`` runs every mini-batch, so it returns at once for ``none`` or a zero rate and
otherwise writes through a caller-owned ``RegularizationScratch`` (no allocation) when
given one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Regularizer:
    """A weight penalty R with its derivative, both elementwise over a weight vector.

    Attributes
    ----------
    name : str
        Wire name (``none``, ``l1``, ``l2``).
    penalty : Callable[[np.ndarray], float]
        R(w) summed over w of any shape.
    derivative : Callable[[np.ndarray], np.ndarray]
        dR/dw, same shape as w (new array).
    """

    name: str
    penalty: Callable[[np.ndarray], float]
    derivative: Callable[[np.ndarray], np.ndarray]


REGULARIZERS: dict[str, Regularizer] = {
    "none": Regularizer("none", lambda w: 0.0, np.zeros_like),
    # sign(0) = 0: the subgradient that leaves a weight sitting at zero where it is.
    "l1": Regularizer("l1", lambda w: float(np.abs(w).sum()), np.sign),
    "l2": Regularizer("l2", lambda w: 0.5 * float(np.square(w).sum()), np.copy),
}


class RegularizationScratch:
    """Preallocated buffers for ``apply`` on weight vectors of one size.

    Parameters
    ----------
    size : int or (members, int)
        Number of weights (length of the weight view), or its stacked shape.
    """

    def __init__(self, size: int | tuple[int, int]) -> None:
        self.size = size
        self.step = np.zeros(size)  # L2: lr * rate * w_before; L1: max(|w| - lr * rate, 0)
        self.product = np.zeros(size)  # sign(w) for the L1 step


def apply(
    weights_before: np.ndarray,
    weights: np.ndarray,
    lr: float,
    rate: float,
    name: str,
    scratch: RegularizationScratch | None = None,
) -> None:
    """Apply the separate regularization step to ``weights`` in place.

    ``l2``: w <- w - lr * rate * weights_before. ``l1``: w <- sign(w) * max(|w| - lr * rate, 0)
    with w the weight after the gradient step (``weights`` on entry).

    Parameters
    ----------
    weights_before : np.ndarray, shape (n,)
        Weights before this mini-batch's gradient step (only read; L2 only).
    weights : np.ndarray, shape (n,)
        Weights after the gradient step; updated in place. Pass only the weights view,
        never the biases.
    lr, rate : float
        Learning rate and regularization rate (``cfg.regularization_rate``).
    name : str
        Key of ``REGULARIZERS``.
    scratch : RegularizationScratch, optional
        Buffers of size n to avoid allocating; allocated on the fly if omitted.
    """
    if name == "none" or rate == 0.0:
        return
    if name not in REGULARIZERS:
        raise ValueError(f"regularization must be one of {sorted(REGULARIZERS)}, got {name!r}")
    if scratch is None:
        scratch = RegularizationScratch(weights.shape[0])
    penalty_step(weights_before, weights, lr * rate, name, scratch)


def penalty_step(
    weights_before: np.ndarray,
    weights: np.ndarray,
    factor: float | np.ndarray,
    name: str,
    scratch: RegularizationScratch,
) -> None:
    """The move of `apply` with ``factor = lr * rate``, for ``l1`` or ``l2`` (no checks).

    Works on stacked weights too (engine.cohort): (members, n) arrays with `factor` a
    (members, 1) column and scratch buffers of the same (members, n) shape.
    """
    step = scratch.step
    if name == "l2":
        np.multiply(weights_before, factor, out=step)
        weights -= step
        return
    # Soft-threshold: |w| - factor, floored at 0, with the sign w had after the gradient step.
    np.abs(weights, out=step)
    step -= factor
    np.maximum(step, 0.0, out=step)
    np.sign(weights, out=scratch.product)
    np.multiply(scratch.product, step, out=weights)
    weights += 0.0  # -0.0 (a negative weight set to zero) becomes +0.0
