"""Every loss head: gradient against central differences, values against closed forms."""

import math

import numpy as np
import pytest

from engine.losses import LOSSES
from tests.engine.gradcheck import check_gradient

HEADS = {
    "square_binary": ("square", "classification", 2),
    "square_3_classes": ("square", "classification", 3),
    "square_regression": ("square", "regression", 0),
    "cross_entropy_2": ("cross_entropy", "classification", 2),
    "cross_entropy_5": ("cross_entropy", "classification", 5),
    "binary_cross_entropy": ("binary_cross_entropy", "classification", 2),
}


def _head_and_targets(key, n=7, seed=0):
    loss, problem, k = HEADS[key]
    head = LOSSES[loss].head(problem, k)
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n) if problem == "regression" else rng.integers(0, k, size=n)
    return head, head.targets(y), y, rng


@pytest.mark.parametrize("key", HEADS)
def test_delta_is_the_gradient_of_the_mean_loss(key):
    head, t, _, rng = _head_and_targets(key)
    z = rng.normal(scale=1.5, size=t.shape)

    def f(z):
        return float(head.loss(z, head.forward(z), t).mean())

    def grad(z):
        return head.delta(z, head.forward(z), t) / len(z)

    check_gradient(f, grad, z, rng)


@pytest.mark.parametrize("key", HEADS)
def test_head_output_is_the_same_in_place(key):
    head = _head_and_targets(key)[0]
    z = np.random.default_rng(2).normal(scale=3.0, size=(7, head.units)).astype(np.float32)
    expected = head.forward(z.copy())
    assert head.forward(z, out=z) is z
    np.testing.assert_array_equal(z, expected)


def test_square_binary_is_half_squared_error_of_tanh_against_plus_minus_one():
    head, t, y, _ = _head_and_targets("square_binary")
    z = np.linspace(-2, 2, len(y))[:, None]
    o = head.forward(z)
    expected = [
        0.5 * (math.tanh(zi) - (1.0 if yi == 1 else -1.0)) ** 2
        for zi, yi in zip(z[:, 0], y, strict=True)
    ]
    np.testing.assert_allclose(head.loss(z, o, t), expected, rtol=1e-12)
    assert head.units == 1 and head.kind == "tanh"


def test_square_regression_uses_a_linear_output():
    head, t, y, _ = _head_and_targets("square_regression")
    z = np.linspace(-2, 2, len(y))[:, None]
    np.testing.assert_array_equal(head.forward(z), z)
    np.testing.assert_allclose(head.loss(z, z, t), 0.5 * (z[:, 0] - y) ** 2, rtol=1e-12)


def test_cross_entropy_is_minus_log_softmax_of_the_true_class():
    head, t, y, rng = _head_and_targets("cross_entropy_5")
    z = rng.normal(size=t.shape)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(head.forward(z), p, rtol=1e-12)
    np.testing.assert_allclose(head.loss(z, p, t), -np.log(p[np.arange(len(y)), y]), rtol=1e-12)


def test_binary_cross_entropy_matches_its_definition():
    head, t, y, rng = _head_and_targets("binary_cross_entropy")
    z = rng.normal(size=t.shape)
    p = 1 / (1 + np.exp(-z[:, 0]))
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(head.loss(z, head.forward(z), t), expected, rtol=1e-12)


def test_confident_wrong_logits_give_finite_losses():
    for key in ("cross_entropy_2", "binary_cross_entropy"):
        head, t, _, _ = _head_and_targets(key)
        z = np.where(t > 0.5, -500.0, 500.0)
        losses = head.loss(z, head.forward(z), t)
        assert np.all(np.isfinite(losses)) and np.all(losses > 100)


@pytest.mark.parametrize("key", [k for k in HEADS if HEADS[k][1] == "classification"])
def test_predictions_of_the_targets_are_the_labels(key):
    head, t, y, _ = _head_and_targets(key)
    # The target rows are what a perfect network outputs (up to the output activation).
    outputs = t if head.kind != "tanh" else t * 0.9
    np.testing.assert_array_equal(head.predict(outputs), y)
