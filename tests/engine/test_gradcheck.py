"""The gradient checker itself: it passes true gradients and catches wrong ones."""

import numpy as np
import pytest

from tests.engine.gradcheck import check_gradient


def f(x):
    return float(np.sum(np.sin(x) * x**2))


def true_grad(x):
    return np.cos(x) * x**2 + 2 * x * np.sin(x)


@pytest.fixture
def x():
    return np.random.default_rng(0).uniform(-2, 2, size=(5, 3))


def test_checker_accepts_the_true_gradient(x):
    check_gradient(f, true_grad, x, np.random.default_rng(1))


@pytest.mark.parametrize(
    "wrong",
    [
        lambda x: np.cos(x) * x**2,  # a term missing
        lambda x: 1.01 * true_grad(x),  # off by one percent
        lambda x: true_grad(x) + np.where(np.arange(x.size).reshape(x.shape) == 7, 1e-3, 0.0),
    ],
    ids=["missing_term", "one_percent_scale", "one_coordinate_off"],
)
def test_checker_rejects_a_wrong_gradient(x, wrong):
    with pytest.raises(AssertionError):
        check_gradient(f, wrong, x, np.random.default_rng(1))


def test_checker_rejects_a_wrongly_shaped_gradient(x):
    with pytest.raises(AssertionError):
        check_gradient(f, lambda x: true_grad(x).ravel(), x, np.random.default_rng(1))
