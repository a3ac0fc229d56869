"""Initialisers: each draws from its documented distribution, deterministically per seed."""

import math

import numpy as np
import pytest

from engine import INITIALIZERS


def _fill(name, shape=(200, 300), seed=0):
    w, b = np.full(shape, np.nan), np.full(shape[1], np.nan)
    INITIALIZERS[name].fill(w, b, np.random.default_rng(seed))
    return w, b


def test_uniform_is_the_reference_half_open_interval_and_bias_point_one():
    w, b = _fill("uniform")
    assert w.min() >= -0.5 and w.max() < 0.5
    assert w.mean() == pytest.approx(0.0, abs=0.01)
    assert w.var() == pytest.approx(1 / 12, rel=0.02)  # variance of U(-0.5, 0.5)
    assert np.all(b == 0.1)


def test_glorot_is_uniform_within_its_limit():
    w, b = _fill("glorot")
    limit = math.sqrt(6 / (200 + 300))
    assert np.abs(w).max() <= limit
    assert w.var() == pytest.approx(limit**2 / 3, rel=0.02)
    assert np.all(b == 0.0)


def test_he_is_normal_with_variance_two_over_fan_in():
    w, b = _fill("he")
    assert w.mean() == pytest.approx(0.0, abs=0.01)
    assert w.var() == pytest.approx(2 / 200, rel=0.02)
    assert np.all(b == 0.0)


def test_zeros_is_all_zero():
    w, b = _fill("zeros")
    assert not w.any() and not b.any()


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_the_same_generator_state_gives_the_same_weights(name):
    a, b = _fill(name, (3, 4), seed=7), _fill(name, (3, 4), seed=7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
