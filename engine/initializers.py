"""Weight initialisers, registry `INITIALIZERS` keyed by wire name.

Each fills one layer's weights `w` (d_in, d_out) and biases `b` (d_out,) in place from an
explicit generator. Layers are drawn in order, weights before biases, so a seed always
gives the same network.
"""

from __future__ import annotations

import math

import numpy as np

Array = np.ndarray


class Initializer:
    name = ""
    label = ""

    def fill(self, w: Array, b: Array, rng: np.random.Generator) -> None:
        raise NotImplementedError


class Uniform(Initializer):
    """The reference: every weight U(−0.5, 0.5), every bias 0.1."""

    name, label = "uniform", "Uniform ±0.5 (reference)"

    def fill(self, w, b, rng):
        w[...] = rng.uniform(-0.5, 0.5, size=w.shape)
        b[...] = 0.1


class Glorot(Initializer):
    """Glorot/Xavier uniform: U(−a, a) with a = sqrt(6 / (d_in + d_out)); biases 0."""

    name, label = "glorot", "Glorot"

    def fill(self, w, b, rng):
        limit = math.sqrt(6.0 / (w.shape[0] + w.shape[1]))
        w[...] = rng.uniform(-limit, limit, size=w.shape)
        b[...] = 0.0


class He(Initializer):
    """He normal: N(0, 2 / d_in); biases 0 (suits ReLU)."""

    name, label = "he", "He"

    def fill(self, w, b, rng):
        w[...] = rng.normal(0.0, math.sqrt(2.0 / w.shape[0]), size=w.shape)
        b[...] = 0.0


class Zeros(Initializer):
    """Everything 0 (the reference's URL-only `initZero`): shows why symmetry must break."""

    name, label = "zeros", "Zeros"

    def fill(self, w, b, rng):
        w[...] = 0.0
        b[...] = 0.0


INITIALIZERS: dict[str, Initializer] = {cls.name: cls() for cls in (Uniform, Glorot, He, Zeros)}
