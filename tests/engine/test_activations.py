"""Every activation: derivative against central differences, values against closed forms."""

import math

import numpy as np
import pytest

from engine.activations import ACTIVATIONS, Tanh
from tests.engine.gradcheck import check_gradient

NAMES = sorted(ACTIVATIONS)


def _points(rng, shape=(6, 4)):
    # Keep away from 0, where relu and leaky_relu have their kink.
    z = rng.uniform(-4, 4, size=shape)
    return np.where(np.abs(z) < 0.05, 0.5, z)


def _check(act, seed=0):
    rng = np.random.default_rng(seed)
    z = _points(rng)
    w = rng.standard_normal(z.shape)

    def f(z):
        return float(np.sum(w * act.forward(z)))

    def grad(z):
        return w * act.derivative(z, act.forward(z))

    check_gradient(f, grad, z, rng)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_central_differences(name):
    _check(ACTIVATIONS[name])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_gives_the_same_values_in_place(name, dtype):
    act = ACTIVATIONS[name]
    z = _points(np.random.default_rng(1)).astype(dtype)
    expected = act.forward(z.copy())
    assert act.forward(z, out=z) is z
    np.testing.assert_array_equal(z, expected)


def test_a_wrong_derivative_fails_the_check():
    class WrongTanh(Tanh):
        def derivative(self, z, a, out=None):
            return 1.0 - a  # should be 1 - a²

    with pytest.raises(AssertionError):
        _check(WrongTanh())


CLOSED_FORMS = {
    "relu": lambda z: max(z, 0.0),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "elu": lambda z: z if z > 0 else math.exp(z) - 1.0,
    "softplus": lambda z: math.log1p(math.exp(z)),
    "swish": lambda z: z / (1.0 + math.exp(-z)),
    "gelu": lambda z: 0.5 * z * (1 + math.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3))),
    "sine": math.sin,
    "tanh": math.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "step": lambda z: 1.0 if z >= 0 else 0.0,
    "linear": lambda z: z,
}


def test_every_activation_has_a_closed_form_here():
    assert set(CLOSED_FORMS) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("z", [-3.0, -0.7, 0.0, 0.4, 2.5])
def test_value_matches_closed_form(name, z):
    got = ACTIVATIONS[name].forward(np.array([[z]]))[0, 0]
    assert got == pytest.approx(CLOSED_FORMS[name](z), rel=1e-12, abs=1e-14)


def test_step_is_one_from_zero_up_and_has_zero_slope_everywhere():
    z = np.array([[-2.0, -1e-12, 0.0, 1e-12, 3.0]])
    step = ACTIVATIONS["step"]
    a = step.forward(z)
    assert a.tolist() == [[0.0, 0.0, 1.0, 1.0, 1.0]]
    assert step.derivative(z, a).tolist() == [[0.0] * 5]


def test_relu_derivative_is_zero_at_zero_as_the_reference():
    z = np.array([[-1.0, 0.0, 1.0]])
    relu = ACTIVATIONS["relu"]
    assert relu.derivative(z, relu.forward(z)).tolist() == [[0.0, 0.0, 1.0]]


@pytest.mark.parametrize("name", NAMES)
def test_writing_into_out_gives_the_same_values(name):
    act = ACTIVATIONS[name]
    z = _points(np.random.default_rng(3))
    a = act.forward(z)
    out, slope = np.empty_like(z), np.empty_like(z)
    assert act.forward(z, out=out) is out
    np.testing.assert_array_equal(out, a)
    assert act.derivative(z, a, out=slope) is slope
    np.testing.assert_array_equal(slope, act.derivative(z, a))


@pytest.mark.parametrize("name", NAMES)
def test_extreme_inputs_saturate_without_warnings(name):
    # pytest turns any overflow RuntimeWarning into an error.
    act = ACTIVATIONS[name]
    z = np.array([[-800.0, -50.0, 50.0, 800.0]])
    a = act.forward(z)
    slope = act.derivative(z, a)
    assert np.all(np.isfinite(a))
    assert np.all(np.isfinite(slope))


@pytest.mark.parametrize("name", NAMES)
def test_float32_input_stays_float32(name):
    z = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    out = np.empty_like(z)
    ACTIVATIONS[name].forward(z, out=out)
    np.testing.assert_allclose(
        out, ACTIVATIONS[name].forward(z.astype(np.float64)), rtol=1e-5, atol=1e-6
    )
