"""Our datasets beyond the reference: blobs, spirals, moons, checkerboard, and the logic
gates and, or.

Same signature as the reference generators: ``generate(n, noise, rng, num_classes) ->
(x (n, 2) float64, y (n,) int64)``. Classes are balanced: class k gets ``n // K`` points,
and the first ``n % K`` classes one more. Noise *moves* points here (it never relabels
them). Points stay in [-6, 6]²: the Gaussian jitter is redrawn for a point that would
leave the square (see `gaussian_in_domain`), and the spiral jitter is small enough that
the outermost point (radius 5) stays inside.
"""

from __future__ import annotations

import numpy as np

from engine.datasets_reference import (
    DOMAIN,
    Points,
    gauss_variance,
    gaussian_in_domain,
    halves,
    spiral_arm,
)

MIN_CLASSES = 2
MAX_CLASSES = 6
BLOB_RADIUS = 4.0
"""Blob centres sit on this circle; K = 2 puts them near the reference's (±2, ±2)."""
MOON_SCALE = 3.0
"""The unit moons span 3 × 1.5; scaled by 3 they span 9 × 4.5 of the 12 × 12 domain."""
CHECKER_CELLS = 4
"""The board is 4 × 4 cells of width 3: small enough for a small network to learn."""
LOGIC_CORNER = 3.0
"""The logic gates' four inputs (false, true) sit at -3 and +3 on each axis."""


def class_counts(n: int, num_classes: int) -> np.ndarray:
    """(K,) int64 counts summing to n, differing by at most one, larger ones first."""
    counts = np.full(num_classes, n // num_classes, dtype=np.int64)
    counts[: n % num_classes] += 1
    return counts


def check_classes(num_classes: int | None) -> int:
    """Validate the class count of a variable-class dataset; returns it as an int."""
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, int | np.integer)
        or not MIN_CLASSES <= num_classes <= MAX_CLASSES
    ):
        raise ValueError(
            f"num_classes must be an integer from {MIN_CLASSES} to {MAX_CLASSES}, "
            f"got {num_classes!r}"
        )
    return int(num_classes)


def blobs(n: int, noise: float, rng: np.random.Generator, num_classes: int | None = 3) -> Points:
    """K Gaussian blobs with centres evenly on a circle of radius 4.

    The first centre is at 45°, so K = 2 resembles the reference's gauss. The per-axis
    variance follows the reference's gauss: 0.5 at noise 0, 4 at noise 0.5.
    """
    k = check_classes(num_classes)
    counts = class_counts(n, k)
    angles = np.pi / 4 + 2 * np.pi * np.arange(k) / k
    centres = BLOB_RADIUS * np.column_stack((np.cos(angles), np.sin(angles)))
    x = gaussian_in_domain(np.repeat(centres, counts, axis=0), np.sqrt(gauss_variance(noise)), rng)
    return x, np.repeat(np.arange(k, dtype=np.int64), counts)


def spirals(n: int, noise: float, rng: np.random.Generator, num_classes: int | None = 3) -> Points:
    """K interleaved arms of the reference spiral, arm k turned by 2πk/K.

    Jitter is the reference's U(-1, 1)·noise per axis (at most 0.8), and the arm stays
    within radius 5, so every coordinate stays within 5.8.
    """
    k = check_classes(num_classes)
    counts = class_counts(n, k)
    x = np.concatenate(
        [spiral_arm(int(c), 2 * np.pi * arm / k, noise, rng) for arm, c in enumerate(counts)]
    )
    return x, np.repeat(np.arange(k, dtype=np.int64), counts)


def moons(n: int, noise: float, rng: np.random.Generator, num_classes: int | None = 2) -> Points:
    """Two interleaved half circles of radius 3, class 0 on top; noise is N(0, (2·noise)²).

    The unit moons (upper: (cos t, sin t); lower: (1 - cos t, 0.5 - sin t), t in [0, π])
    are centred on the origin and scaled by 3, so they span [-4.5, 4.5] × [-2.25, 2.25].
    """
    n_upper, n_lower = halves(n)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.column_stack((np.cos(t[:n_upper]), np.sin(t[:n_upper])))
    lower = np.column_stack((1 - np.cos(t[n_upper:]), 0.5 - np.sin(t[n_upper:])))
    centres = (np.concatenate((upper, lower)) - [0.5, 0.25]) * MOON_SCALE
    x = gaussian_in_domain(centres, 2.0 * noise, rng)
    return x, np.repeat(np.array([0, 1], dtype=np.int64), [n_upper, n_lower])


def checkerboard(
    n: int, noise: float, rng: np.random.Generator, num_classes: int | None = 2
) -> Points:
    """4 × 4 board over [-6, 6]², cell (i, j) has class (i + j) mod K.

    Each class gets its share of the points (balanced), spread uniformly over its own
    cells, so with K that does not tile the board evenly a class's cells are denser.
    Noise moves points by N(0, (1.5·noise)²) per axis, keeping their cell's class.
    """
    k = check_classes(num_classes)
    counts = class_counts(n, k)
    width = 2 * DOMAIN / CHECKER_CELLS
    i, j = np.divmod(np.arange(CHECKER_CELLS**2), CHECKER_CELLS)
    cell_class = (i + j) % k
    corners = []
    for label, count in enumerate(counts):
        cells = np.flatnonzero(cell_class == label)
        chosen = cells[rng.integers(0, cells.size, size=count)]
        corners.append(np.column_stack((i[chosen], j[chosen])) * width - DOMAIN)
    centres = np.concatenate(corners) + rng.uniform(0.0, width, size=(n, 2))
    # Uniform in [lo, lo + width) never reaches +6, so the centres are inside.
    x = gaussian_in_domain(centres, 1.5 * noise, rng)
    return x, np.repeat(np.arange(k, dtype=np.int64), counts)


def _logic_corners(n: int, noise: float, rng: np.random.Generator, gate) -> Points:
    """Four noisy clusters at (±3, ±3), the inputs of a logic gate (negative = false).

    Each corner gets a quarter of the points (the first ones one more when n % 4 != 0);
    a point's class is ``gate(a, b)`` of its corner's truth values, and noise moves points
    by N(0, (0.5 + 2.5·noise)²) per axis, so clusters overlap from about noise 0.4.
    """
    counts = class_counts(n, 4)
    truth = np.array([[False, False], [False, True], [True, False], [True, True]])
    a, b = np.repeat(truth[:, 0], counts), np.repeat(truth[:, 1], counts)
    centres = np.column_stack((np.where(a, 1.0, -1.0), np.where(b, 1.0, -1.0))) * LOGIC_CORNER
    x = gaussian_in_domain(centres, 0.5 + 2.5 * noise, rng)
    return x, gate(a, b).astype(np.int64)


def logic_and(
    n: int, noise: float, rng: np.random.Generator, num_classes: int | None = 2
) -> Points:
    """Logical AND: class 1 only around (3, 3); linearly separable."""
    return _logic_corners(n, noise, rng, np.logical_and)


def logic_or(n: int, noise: float, rng: np.random.Generator, num_classes: int | None = 2) -> Points:
    """Logical OR: class 0 only around (-3, -3); linearly separable."""
    return _logic_corners(n, noise, rng, np.logical_or)
