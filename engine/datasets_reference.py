"""The reference's six generators (TensorFlow Playground ``dataset.ts``), vectorised.

Every generator has the signature ``generate(n, noise, rng, num_classes) -> (x, y)``:
``n`` points, ``noise`` a fraction in [0, 0.8] (the reference passes slider/100), ``rng`` a
`numpy.random.Generator`, ``num_classes`` ignored here (these datasets have fixed classes).
``x`` is (n, 2) float64; ``y`` is (n,) int64 (class 1 = the reference's +1, class 0 = -1)
or float64 for regression.

The distributions follow the reference exactly except `gauss`; the draw order does not (it
cannot: the reference draws from a seeded ARC4 ``Math.random``). `gauss` redraws a point that
falls outside [-6, 6]² (`gaussian_in_domain`), where the reference keeps it (it trains on it
and only hides it on screen): so ours is the normal distribution conditioned on the square,
whose spread is smaller at high noise (per-axis std 1.88 instead of 2.0 at noise 0.5; the
closed form is checked in tests/engine/test_datasets_stats.py). Kept so that every point is
on the picture and can be edited as user data, which must lie in the square.

Where the reference generates N/2 points per class, an odd n gives the first class the
extra point, so there are always n.
"""

from __future__ import annotations

import numpy as np

DOMAIN = 6.0
"""Every coordinate lies in [-DOMAIN, DOMAIN]."""
Points = tuple[np.ndarray, np.ndarray]
"""What a generator returns: x (n, 2) float64 and y (n,)."""


def halves(n: int) -> tuple[int, int]:
    """Sizes of the first and second class when n points are split in two."""
    return n - n // 2, n // 2


def gaussian_in_domain(
    centres: np.ndarray, std: float, rng: np.random.Generator, max_rounds: int = 100
) -> np.ndarray:
    """Draw ``centres + N(0, std²)`` per axis, redrawing points that leave the domain.

    The result is the normal distribution conditioned on the square [-6, 6]² (a product of
    two truncated normals). Redrawing rather than clipping keeps points off the border.

    Parameters
    ----------
    centres : (n, 2) float array, inside the domain
    std : float, standard deviation per axis
    rng : the data stream
    max_rounds : after this many redraws (astronomically unlikely) the rest are clipped

    Returns
    -------
    (n, 2) float64 array inside [-6, 6]².
    """
    points = centres + rng.normal(0.0, std, size=centres.shape)
    for _ in range(max_rounds):
        outside = np.flatnonzero(np.any(np.abs(points) > DOMAIN, axis=1))
        if outside.size == 0:
            return points
        points[outside] = centres[outside] + rng.normal(0.0, std, size=(outside.size, 2))
    return np.clip(points, -DOMAIN, DOMAIN)


def gauss_variance(noise: float) -> float:
    """The reference's gauss variance: linear from 0.5 at noise 0 to 4 at noise 0.5."""
    return 0.5 + 7.0 * noise


def _polar(r: np.ndarray, angle: np.ndarray) -> np.ndarray:
    # The reference puts sin on x and cos on y; keep that so spirals turn the same way.
    return np.column_stack((r * np.sin(angle), r * np.cos(angle)))


def circle(
    n: int, noise: float, rng: np.random.Generator, num_classes: int | None = None
) -> Points:
    """Disc of radius 2.5 (class 1) inside a ring 3.5-5 (class 0); noise flips labels."""
    radius = 5.0
    n_in, n_out = halves(n)
    r = np.concatenate(
        (rng.uniform(0.0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_out))
    )
    x = _polar(r, rng.uniform(0.0, 2 * np.pi, n))
    # The label is taken at a noisy copy of the position; the point itself stays put.
    noisy = x + rng.uniform(-radius, radius, size=(n, 2)) * noise
    y = (np.hypot(noisy[:, 0], noisy[:, 1]) < radius * 0.5).astype(np.int64)
    return x, y


def xor(n: int, noise: float, rng: np.random.Generator, num_classes: int | None = None) -> Points:
    """Quadrants: class 1 where x1·x2 >= 0; a 0.3 gap along the axes; noise flips labels."""
    padding = 0.3
    x = rng.uniform(-5.0, 5.0, size=(n, 2))
    x = np.where(x > 0, x + padding, x - padding)
    noisy = x + rng.uniform(-5.0, 5.0, size=(n, 2)) * noise
    y = (noisy[:, 0] * noisy[:, 1] >= 0).astype(np.int64)
    return x, y


def gauss(n: int, noise: float, rng: np.random.Generator, num_classes: int | None = None) -> Points:
    """Two Gaussians: class 1 around (2, 2), class 0 around (-2, -2); noise widens them."""
    n_pos, n_neg = halves(n)
    centres = np.repeat(np.array([[2.0, 2.0], [-2.0, -2.0]]), [n_pos, n_neg], axis=0)
    x = gaussian_in_domain(centres, np.sqrt(gauss_variance(noise)), rng)
    y = np.repeat(np.array([1, 0], dtype=np.int64), [n_pos, n_neg])
    return x, y


def spiral_arm(count: int, delta: float, noise: float, rng: np.random.Generator) -> np.ndarray:
    """One arm of the reference spiral: r = 5·i/count, t = 1.75·2π·i/count + delta.

    Returns (count, 2) points jittered by U(-1, 1)·noise per axis.
    """
    i = np.arange(count, dtype=np.float64)
    fraction = i / count if count else i
    points = _polar(5.0 * fraction, 1.75 * fraction * 2 * np.pi + delta)
    return points + rng.uniform(-1.0, 1.0, size=(count, 2)) * noise


def spiral(
    n: int, noise: float, rng: np.random.Generator, num_classes: int | None = None
) -> Points:
    """Two interleaved spiral arms, class 1 at angle offset 0 and class 0 at π."""
    n_pos, n_neg = halves(n)
    x = np.concatenate((spiral_arm(n_pos, 0.0, noise, rng), spiral_arm(n_neg, np.pi, noise, rng)))
    y = np.repeat(np.array([1, 0], dtype=np.int64), [n_pos, n_neg])
    return x, y


def _uniform_with_noisy_copy(n: int, noise: float, rng: np.random.Generator):
    x = rng.uniform(-DOMAIN, DOMAIN, size=(n, 2))
    noisy = x + rng.uniform(-DOMAIN, DOMAIN, size=(n, 2)) * noise
    return x, noisy


def plane_target(x: np.ndarray) -> np.ndarray:
    """Reference plane: (x1 + x2)/10, so ±1.2 at the corners. x: (n, 2) -> (n,)."""
    return (x[:, 0] + x[:, 1]) / 10.0


BUMPS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]],
    dtype=np.float64,
)
"""The reference's six bumps: centre x1, centre x2, sign."""


def multi_gauss_target(x: np.ndarray) -> np.ndarray:
    """Reference multi-Gaussian: the bump sign·clamp(1 - d/2, 0, 1) largest in absolute value.

    x: (n, 2) -> (n,) float64 in [-1, 1]; 0 where no bump is within distance 2.
    """
    d = np.hypot(x[:, 0:1] - BUMPS[:, 0], x[:, 1:2] - BUMPS[:, 1])
    contributions = BUMPS[:, 2] * np.clip(1.0 - d / 2.0, 0.0, 1.0)
    # argmax takes the first maximum, as the reference's strict ">" keeps the first.
    best = np.argmax(np.abs(contributions), axis=1)
    # + 0.0 turns the -0.0 of a negative bump at zero into 0.0.
    return contributions[np.arange(x.shape[0]), best] + 0.0


def plane(n: int, noise: float, rng: np.random.Generator, num_classes: int | None = None) -> Points:
    """Regression: uniform points, target (x1 + x2)/10 taken at a noisy copy."""
    x, noisy = _uniform_with_noisy_copy(n, noise, rng)
    return x, plane_target(noisy)


def multi_gauss(
    n: int, noise: float, rng: np.random.Generator, num_classes: int | None = None
) -> Points:
    """Regression: uniform points, six signed bumps taken at a noisy copy."""
    x, noisy = _uniform_with_noisy_copy(n, noise, rng)
    return x, multi_gauss_target(noisy)
