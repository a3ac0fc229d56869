"""Input features: functions of the two raw coordinates that feed the network.

Features are applied to the raw coordinates in [-6, 6] with no normalisation, as the
reference does (so ``x1_squared`` reaches 36 while ``sin_x1`` stays in [-1, 1]).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["FEATURES", "Feature", "feature_matrix"]


@dataclass(frozen=True)
class Feature:
    """One input feature.

    Attributes
    ----------
    name : str
        Wire name (URL hash, JSON, tests).
    label : str
        Display text, e.g. ``"X₁²"``.
    fn : callable
        ``fn(x1, x2)`` with two (n,) float arrays, returns the (n,) feature values.
    """

    name: str
    label: str
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray]


FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        Feature("x1", "X₁", lambda x1, x2: x1),
        Feature("x2", "X₂", lambda x1, x2: x2),
        Feature("x1_squared", "X₁²", lambda x1, x2: x1 * x1),
        Feature("x2_squared", "X₂²", lambda x1, x2: x2 * x2),
        Feature("x1_x2", "X₁X₂", lambda x1, x2: x1 * x2),
        Feature("sin_x1", "sin(X₁)", lambda x1, x2: np.sin(x1)),
        Feature("sin_x2", "sin(X₂)", lambda x1, x2: np.sin(x2)),
        Feature("cos_x1", "cos(X₁)", lambda x1, x2: np.cos(x1)),
        Feature("cos_x2", "cos(X₂)", lambda x1, x2: np.cos(x2)),
    )
}


def feature_matrix(
    x: np.ndarray, names: Sequence[str], dtype: np.dtype | type = np.float64
) -> np.ndarray:
    """Evaluate the named features at every point.

    Parameters
    ----------
    x : (n, 2) float array
        Raw coordinates (x1, x2).
    names : sequence of str
        Feature names from `FEATURES`, in the order of the columns wanted.
    dtype : numpy dtype
        Dtype of the result; the features are computed in float64 and then cast.

    Returns
    -------
    (n, F) C-contiguous array of ``dtype``, column f holding ``FEATURES[names[f]]``.

    Raises
    ------
    ValueError
        If a name is unknown or listed twice, or ``x`` is not (n, 2).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (n, 2), got {x.shape}")
    seen: set[str] = set()
    for name in names:
        if name not in FEATURES:
            allowed = ", ".join(FEATURES)
            raise ValueError(f"unknown feature {name!r}; allowed: {allowed}")
        if name in seen:
            raise ValueError(f"feature {name!r} is listed twice")
        seen.add(name)
    out = np.empty((x.shape[0], len(names)), dtype=dtype)
    x1, x2 = x[:, 0], x[:, 1]
    for column, name in enumerate(names):
        out[:, column] = FEATURES[name].fn(x1, x2)
    return out
