"""A central-difference gradient checker (float64, random directions).

Instead of perturbing every coordinate, it compares the analytic directional derivative
g·v with (f(x + εv) − f(x − εv)) / 2ε along random unit directions v: cheap for any size
and sensitive to an error in any coordinate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def check_gradient(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    rng: np.random.Generator,
    directions: int = 8,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> None:
    """Raise AssertionError unless `grad(x)` matches central differences of `f` at `x`.

    Parameters
    ----------
    f : scalar function of an array shaped like x
    grad : its claimed gradient, same shape as x
    x : float64 point
    directions : how many random unit directions to test
    eps, rtol, atol : step and tolerances: |numeric − analytic| <= atol + rtol·max(|.|)
    """
    x = np.array(x, dtype=np.float64)
    g = np.array(grad(x.copy()), dtype=np.float64)
    assert g.shape == x.shape, f"gradient shape {g.shape} != {x.shape}"
    for i in range(directions):
        v = rng.standard_normal(x.shape)
        v /= np.linalg.norm(v)
        numeric = (f(x + eps * v) - f(x - eps * v)) / (2.0 * eps)
        analytic = float(np.sum(g * v))
        scale = max(abs(numeric), abs(analytic))
        if not abs(numeric - analytic) <= atol + rtol * scale:
            raise AssertionError(
                f"direction {i}: analytic {analytic!r} vs numeric {numeric!r} "
                f"(difference {abs(numeric - analytic):.3g})"
            )
