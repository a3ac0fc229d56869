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


def soft_threshold(w: np.ndarray, t: float) -> np.ndarray:
    """The closed form of argmin_v ½(v − w)² + t·|v|, written by cases."""
    return np.where(w > t, w - t, np.where(w < -t, w + t, 0.0))


@pytest.mark.parametrize("scratch", [False, True])
def test_l1_step_is_the_soft_threshold_of_the_weight_after_the_gradient_step(scratch):
    rng = np.random.default_rng(4)
    before = rng.normal(size=200)
    weights = before + rng.normal(size=200) * 0.1  # as if a gradient step had run
    expected = soft_threshold(weights, 0.1 * 0.5)
    buffers = RegularizationScratch(200) if scratch else None
    apply(before, weights, 0.1, 0.5, "l1", buffers)
    np.testing.assert_allclose(weights, expected, rtol=1e-15, atol=0)
    assert (weights == 0.0).any() and (weights != 0.0).any()  # both cases were exercised


def test_l1_step_is_the_minimiser_of_its_proximal_objective():
    # No finite differences: the step's result beats every nearby value on ½(v − w)² + t|v|.
    rng = np.random.default_rng(5)
    w, t = rng.normal(size=50) * 0.2, 0.1
    v = w.copy()
    apply(np.zeros(50), v, 1.0, t, "l1")
    objective = lambda u: 0.5 * (u - w) ** 2 + t * np.abs(u)  # noqa: E731
    for delta in (1e-3, -1e-3, 0.05, -0.05):
        assert (objective(v) <= objective(v + delta) + 1e-15).all()


@pytest.mark.parametrize("scratch", [False, True])
def test_l1_step_sets_every_weight_it_would_move_across_zero_to_positive_zero(scratch):
    # The step is 0.1 * 0.5 = 0.05 towards zero.
    before = np.array([0.5, -0.5, 0.02, 0.3, -0.01, 0.2])
    weights = np.array([0.03, -0.04, 0.05, -0.01, 0.01, -0.3])
    buffers = RegularizationScratch(6) if scratch else None
    apply(before, weights, 0.1, 0.5, "l1", buffers)
    np.testing.assert_array_equal(weights[:5], [0.0] * 5)
    assert not np.signbit(weights[:5]).any()
    np.testing.assert_allclose(weights[5:], [-0.25], rtol=1e-15)


def test_l1_keeps_a_weight_at_zero_while_its_gradient_is_within_the_rate():
    # SGD from w = 0: the gradient step is −lr·g; the L1 step takes back up to lr·rate.
    lr, rate = 0.1, 0.5
    gradients = np.array([0.3, -0.5, 0.49, 0.8, -1.0])
    weights = np.zeros(5) - lr * gradients
    apply(np.zeros(5), weights, lr, rate, "l1")
    # |g| <= rate stays exactly at zero; beyond it the weight leaves by lr·(|g| − rate).
    np.testing.assert_allclose(weights, [0.0, 0.0, 0.0, -0.03, 0.05], rtol=1e-12, atol=0)
    np.testing.assert_array_equal(weights[:3], [0.0, 0.0, 0.0])


def reference_clamp(before: np.ndarray, weights: np.ndarray, t: float) -> np.ndarray:
    """The reference's L1 step (nn.ts updateWeights): by the stale sign, clamped at a crossing."""
    moved = weights - t * np.sign(before)
    return np.where(weights * moved < 0, 0.0, moved)


def test_l1_step_equals_the_reference_clamp_except_where_the_gradient_step_reached_zero():
    rng = np.random.default_rng(6)
    before = rng.normal(size=500) * 0.1
    before[:20] = 0.0
    weights = before + rng.normal(size=500) * 0.05
    reference = reference_clamp(before, weights, 0.03)
    ours = weights.copy()
    apply(before, ours, 0.1, 0.3, "l1")
    # The documented difference: the gradient step ended at or across zero (or started there).
    differs = np.sign(before) != np.sign(weights)
    np.testing.assert_allclose(ours[~differs], reference[~differs], rtol=1e-15, atol=0)
    assert (reference[~differs] == 0.0).any()  # the clamp itself was exercised
    assert not np.allclose(ours[differs], reference[differs])  # and the cases do differ
    # There, ours shrinks towards zero as the soft threshold does.
    np.testing.assert_allclose(ours[differs], soft_threshold(weights[differs], 0.03), rtol=1e-15)


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
