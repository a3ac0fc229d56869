"""Weight penalties against finite differences, and the separate regularization step."""

from __future__ import annotations

import numpy as np
import pytest

from engine.regularization import REGULARIZERS, RegularizationScratch, apply


def central_difference(penalty, w: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """dR/dw_i by central differences in float64, one coordinate at a time."""
    grad = np.empty_like(w)
    for i in range(w.size):
        up, down = w.copy(), w.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (penalty(up) - penalty(down)) / (2 * h)
    return grad


def test_registry_has_the_wire_names():
    assert set(REGULARIZERS) == {"none", "l1", "l2"}
    assert all(REGULARIZERS[name].name == name for name in REGULARIZERS)


@pytest.mark.parametrize("name", ["none", "l1", "l2"])
def test_derivative_matches_central_differences_of_penalty(name):
    rng = np.random.default_rng(0)
    w = rng.normal(size=40) * 3.0
    if name == "l1":
        # |w| has a kink at zero: keep every weight well clear of it.
        w = np.where(np.abs(w) < 0.1, 0.5, w)
    regularizer = REGULARIZERS[name]
    np.testing.assert_allclose(
        regularizer.derivative(w), central_difference(regularizer.penalty, w), atol=1e-7
    )


def test_finite_difference_check_catches_a_wrong_derivative():
    # L2's penalty with L1's derivative must fail the same comparison.
    w = np.random.default_rng(1).normal(size=10) + 2.0
    assert not np.allclose(
        REGULARIZERS["l1"].derivative(w), central_difference(REGULARIZERS["l2"].penalty, w)
    )


def test_penalties_have_their_closed_forms():
    w = np.array([[1.0, -2.0], [0.5, 0.0]])
    assert REGULARIZERS["none"].penalty(w) == 0.0
    assert REGULARIZERS["l1"].penalty(w) == 3.5
    assert REGULARIZERS["l2"].penalty(w) == 0.5 * (1.0 + 4.0 + 0.25)


@pytest.mark.parametrize("scratch", [False, True])
def test_l2_step_shrinks_by_lr_rate_times_weight_before_gradient_step(scratch):
    rng = np.random.default_rng(2)
    before = rng.normal(size=12)
    weights = before + rng.normal(size=12) * 0.1  # as if a gradient step had run
    after_gradient = weights.copy()
    buffers = RegularizationScratch(12) if scratch else None
    apply(before, weights, 0.3, 0.1, "l2", buffers)
    np.testing.assert_allclose(weights, after_gradient - 0.3 * 0.1 * before, rtol=1e-15)


@pytest.mark.parametrize("scratch", [False, True])
def test_l1_step_moves_weights_not_crossing_zero_by_lr_times_rate(scratch):
    before = np.array([0.5, -0.5, 2.0, -3.0, 0.0])
    weights = np.array([0.4, -0.6, 1.0, 3.0, 0.7])
    expected = weights - 0.1 * 0.5 * np.array([1.0, -1.0, 1.0, -1.0, 0.0])
    buffers = RegularizationScratch(5) if scratch else None
    apply(before, weights, 0.1, 0.5, "l1", buffers)
    np.testing.assert_allclose(weights, expected, rtol=1e-15)


@pytest.mark.parametrize("scratch", [False, True])
def test_l1_clamps_crossing_weight_to_zero(scratch):
    # The step is 0.1 * 0.5 = 0.05 towards -sign(before).
    before = np.array([0.5, -0.5, 0.02, 0.3, -0.01])
    weights = np.array([0.03, -0.04, 0.02, -0.01, 0.01])
    buffers = RegularizationScratch(5) if scratch else None
    apply(before, weights, 0.1, 0.5, "l1", buffers)
    # Entries 0-2 would cross zero: exactly +0.0. Entry 3 moves further from zero (its
    # sign already differs from before), entry 4 moves away: neither crosses.
    np.testing.assert_array_equal(weights[:3], [0.0, 0.0, 0.0])
    assert not np.signbit(weights[:3]).any()
    np.testing.assert_allclose(weights[3:], [-0.06, 0.06], rtol=1e-15)


def test_l1_moves_a_weight_sitting_exactly_at_zero_as_the_reference_does():
    # The reference clamps only when old * new < 0; old = 0 is no crossing, so the weight
    # moves by the full step against the sign it had before the gradient step.
    weights = np.array([0.0, 0.0])
    apply(np.array([1.0, -2.0]), weights, 0.1, 0.5, "l1")
    np.testing.assert_allclose(weights, [-0.05, 0.05], rtol=1e-15)


@pytest.mark.parametrize("name", ["l1", "l2"])
def test_apply_touches_only_the_view_it_is_given(name):
    # A flat vector with weights first and biases after: only the weights view is passed.
    rng = np.random.default_rng(3)
    params = rng.normal(size=10)
    before = params.copy()
    apply(before[:6], params[:6], 0.5, 0.2, name, RegularizationScratch(6))
    np.testing.assert_array_equal(params[6:], before[6:])
    assert not np.array_equal(params[:6], before[:6])


@pytest.mark.parametrize(("name", "rate"), [("none", 0.5), ("l1", 0.0), ("l2", 0.0)])
def test_none_or_zero_rate_leaves_weights_unchanged(name, rate):
    weights = np.array([0.3, -0.2, 0.0])
    apply(np.array([1.0, -1.0, 1.0]), weights, 0.5, rate, name)
    np.testing.assert_array_equal(weights, [0.3, -0.2, 0.0])


def test_apply_reads_but_does_not_modify_weights_before():
    before = np.array([0.5, -0.5, 0.02])
    apply(before, before.copy() * 0.1, 0.1, 0.5, "l1")
    np.testing.assert_array_equal(before, [0.5, -0.5, 0.02])


def test_unknown_regularizer_is_rejected_naming_the_choices():
    with pytest.raises(ValueError, match="regularization must be one of"):
        apply(np.ones(2), np.ones(2), 0.1, 0.1, "l3")
