"""Activation functions, each with its derivative beside it (registry `ACTIVATIONS`).

Every function writes into `out` when given one (the training loop preallocates; the grid
passes `out` = `z`, so a forward pass must also work in place), works in
float32 and float64, and never overflows: large inputs saturate instead of warning. The
common ones pass `out` to NumPy positionally: keyword parsing is a measurable part of a
call on the training loop's tiny arrays.
`derivative(z, a)` gets both the input `z` and the cached output `a = f(z)` so that each
function can use whichever is cheaper.
"""

from __future__ import annotations

import math

import numpy as np

Array = np.ndarray
LEAKY_SLOPE = 0.01
GELU_C = math.sqrt(2.0 / math.pi)
GELU_K = 0.044715
# A 0-d array operand costs a ufunc call less than a Python float, which NumPy converts
# anew on every call (a third of a microsecond, on 8-by-10 arrays most of the call). The
# result is the same: float64 either way, and for a float32 operand one correctly rounded
# operation computed in float64 and rounded to float32 gives float32's own result.
ONE = np.array(1.0)
ONE.setflags(write=False)


def _sigmoid(z: Array, out: Array | None = None) -> Array:
    # 0.5 (1 + tanh(z/2)) equals 1 / (1 + e^-z) but cannot overflow.
    out = np.multiply(z, 0.5, out)
    np.tanh(out, out)
    np.add(out, 1.0, out)
    return np.multiply(out, 0.5, out)


class Activation:
    """Base: `forward(z, out)` = f(z); `derivative(z, a, out)` = f'(z) with a = f(z)."""

    name = ""
    label = ""
    # The one ufunc that computes f, called as ufunc(z, out) (None: `forward` does more);
    # the training loop calls it directly, without `forward`'s Python frame.
    ufunc: np.ufunc | None = None
    relu_like = False  # whether a neuron can die (output 0 and no gradient everywhere)
    derivative_rule = ""  # f′(z) in words, with a = f(z) (shown by the backprop trace)

    def forward(self, z: Array, out: Array | None = None) -> Array:
        raise NotImplementedError

    def derivative(self, z: Array, a: Array, out: Array | None = None) -> Array:
        raise NotImplementedError


class Relu(Activation):
    name, label, relu_like = "relu", "ReLU", True
    derivative_rule = "relu′(z) = 1 if z > 0, else 0"

    def forward(self, z, out=None):
        return np.maximum(z, 0.0, out=out)  # (NumPy deprecates a positional out here)

    def derivative(self, z, a, out=None):
        # 0 at z = 0 exactly, as the reference.
        return np.greater(z, 0.0, np.empty_like(z) if out is None else out)


class LeakyRelu(Activation):
    name, label = "leaky_relu", "Leaky ReLU"
    derivative_rule = "leaky′(z) = 1 if z > 0, else 0.01"

    def forward(self, z, out=None):
        return np.maximum(z, LEAKY_SLOPE * z, out=out)

    def derivative(self, z, a, out=None):
        return _into(np.where(z > 0.0, 1.0, LEAKY_SLOPE), out)


class Elu(Activation):
    name, label = "elu", "ELU"
    derivative_rule = "elu′(z) = 1 if z > 0, else a + 1"

    def forward(self, z, out=None):
        # expm1 of min(z, 0): the positive side never reaches exp, so it cannot overflow.
        return _into(np.where(z > 0.0, z, np.expm1(np.minimum(z, 0.0))), out)

    def derivative(self, z, a, out=None):
        # For z <= 0, f'(z) = e^z = f(z) + 1.
        return _into(np.where(z > 0.0, 1.0, a + 1.0), out)


class Softplus(Activation):
    name, label = "softplus", "Softplus"
    derivative_rule = "softplus′(z) = σ(z)"

    def forward(self, z, out=None):
        return np.logaddexp(0.0, z, out=out)

    def derivative(self, z, a, out=None):
        return _sigmoid(z, out)


class Swish(Activation):
    name, label = "swish", "Swish"
    derivative_rule = "swish′(z) = σ(z) + a·(1 − σ(z))"

    def forward(self, z, out=None):
        return np.multiply(_sigmoid(z), z, out=out)  # z is read after sigmoid: out may be z

    def derivative(self, z, a, out=None):
        # d/dz z s(z) = s + z s (1 - s) = s + a (1 - s).
        s = _sigmoid(z)
        return _into(s + a * (1.0 - s), out)


class Gelu(Activation):
    """GELU in its tanh form: 0.5 z (1 + tanh(c (z + k z^3)))."""

    name, label = "gelu", "GELU"
    derivative_rule = "gelu′(z) = ½(1 + t) + ½z(1 − t²)·c(1 + 3kz²), t = tanh(c(z + kz³))"

    def forward(self, z, out=None):
        t = np.tanh(GELU_C * (z + GELU_K * z**3))
        return _into(0.5 * z * (1.0 + t), out)

    def derivative(self, z, a, out=None):
        t = np.tanh(GELU_C * (z + GELU_K * z**3))
        inner = GELU_C * (1.0 + 3.0 * GELU_K * z * z)
        return _into(0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * inner, out)


class Sine(Activation):
    name, label = "sine", "Sine"
    ufunc = np.sin
    derivative_rule = "sin′(z) = cos(z)"

    def forward(self, z, out=None):
        return np.sin(z, out=out)

    def derivative(self, z, a, out=None):
        return np.cos(z, out=out)


class Tanh(Activation):
    name, label = "tanh", "Tanh"
    ufunc = np.tanh
    derivative_rule = "tanh′(z) = 1 − a²"

    def forward(self, z, out=None):
        return np.tanh(z, out)

    def derivative(self, z, a, out=None):
        out = np.multiply(a, a, out)
        return np.subtract(ONE, out, out)


class Sigmoid(Activation):
    name, label = "sigmoid", "Sigmoid"
    derivative_rule = "σ′(z) = a·(1 − a)"

    def forward(self, z, out=None):
        return _sigmoid(z, out)

    def derivative(self, z, a, out=None):
        out = np.subtract(ONE, a, out)
        return np.multiply(out, a, out)


class Step(Activation):
    """Heaviside step: 1 for z >= 0, else 0. Its derivative is 0 wherever it exists, so
    gradient descent cannot train the layers below it (the perceptron rule can train a
    network with no hidden layer instead: optimizer ``perceptron``)."""

    name, label = "step", "Step"
    derivative_rule = "step′(z) = 0 (undefined at 0)"

    def forward(self, z, out=None):
        return np.greater_equal(z, 0.0, np.empty_like(z) if out is None else out)

    def derivative(self, z, a, out=None):
        if out is None:
            return np.zeros_like(z)
        out.fill(0.0)
        return out


class Linear(Activation):
    name, label = "linear", "Linear"
    derivative_rule = "linear′(z) = 1"

    def forward(self, z, out=None):
        if out is None:
            return z.copy()
        np.copyto(out, z)
        return out

    def derivative(self, z, a, out=None):
        if out is None:
            return np.ones_like(z)
        out.fill(1.0)
        return out


def _into(values: Array, out: Array | None) -> Array:
    if out is None:
        return values
    np.copyto(out, values)
    return out


ACTIVATIONS: dict[str, Activation] = {
    cls.name: cls()
    for cls in (Relu, LeakyRelu, Elu, Softplus, Swish, Gelu, Sine, Tanh, Sigmoid, Step, Linear)
}
