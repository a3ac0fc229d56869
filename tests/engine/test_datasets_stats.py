"""Statistical checks: gauss variance against its closed form, and the multi-class datasets'
geometry and class balance."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.datasets import DATASETS

MULTICLASS = ["blobs", "spirals", "checkerboard"]


def generate(name, n, noise, seed=0, num_classes=None):
    return DATASETS[name].generate(n, noise, np.random.default_rng(seed), num_classes)


def truncated_normal_moments(mu, sigma, lo=-6.0, hi=6.0):
    """Mean and variance of N(mu, sigma²) conditioned on [lo, hi] (closed form)."""
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    a, b = (lo - mu) / sigma, (hi - mu) / sigma
    mass = cdf(b) - cdf(a)
    shift = (pdf(a) - pdf(b)) / mass
    variance = sigma**2 * (1 + (a * pdf(a) - b * pdf(b)) / mass - shift**2)
    return mu + sigma * shift, variance


@pytest.mark.parametrize("noise", [0.0, 0.2, 0.5, 0.8])
def test_gauss_variance_is_the_reference_line_conditioned_on_the_domain(noise):
    # Reference: variance 0.5 at noise 0, 4 at noise 0.5, linear (so 6.1 at 0.8). Points
    # that would fall outside [-6, 6]² are redrawn, which truncates the normal.
    x, y = generate("gauss", 200_000, noise, seed=11)
    sigma = math.sqrt(0.5 + (4 - 0.5) / 0.5 * noise)
    for label, centre in ((1, 2.0), (0, -2.0)):
        mean, variance = truncated_normal_moments(centre, sigma)
        sample = x[y == label]
        for axis in (0, 1):
            assert sample[:, axis].mean() == pytest.approx(mean, abs=0.03)
            assert sample[:, axis].var() == pytest.approx(variance, rel=0.02)


def test_gauss_without_noise_has_variance_one_half():
    x, y = generate("gauss", 200_000, 0.0, seed=5)
    assert x[y == 1].var(axis=0) == pytest.approx([0.5, 0.5], rel=0.02)


def test_gauss_points_far_out_are_redrawn_not_clipped_to_the_border():
    x, _ = generate("gauss", 20_000, 0.8)
    assert np.all(np.abs(x) < 6.0)


def blob_centres(k):
    angles = math.pi / 4 + 2 * math.pi * np.arange(k) / k
    return 4.0 * np.column_stack((np.cos(angles), np.sin(angles)))


@pytest.mark.parametrize("k", [2, 3, 6])
def test_blobs_sit_evenly_on_a_circle_of_radius_4_with_the_gauss_variance(k):
    x, y = generate("blobs", 6000, 0.0, num_classes=k)
    for label, centre in enumerate(blob_centres(k)):
        sample = x[y == label]
        np.testing.assert_allclose(sample.mean(axis=0), centre, atol=0.08)
        np.testing.assert_allclose(sample.var(axis=0), 0.5, rtol=0.1)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_spirals_arms_follow_the_reference_spiral_turned_by_2_pi_over_k(k):
    x, y = generate("spirals", 600, 0.0, num_classes=k)
    for label in range(k):
        arm = x[y == label]
        m = len(arm)
        i = np.arange(m)
        np.testing.assert_allclose(np.hypot(arm[:, 0], arm[:, 1]), 5 * i / m, atol=1e-12)
        t = 1.75 * i / m * 2 * math.pi + 2 * math.pi * label / k
        angle = np.arctan2(arm[1:, 0], arm[1:, 1])
        np.testing.assert_allclose(np.cos(angle - t[1:]), 1.0, atol=1e-12)


def test_moons_without_noise_lie_on_two_interleaved_half_circles_of_radius_3():
    x, y = generate("moons", 1000, 0.0)
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0] + 1.5, upper[:, 1] + 0.75), 3.0, atol=1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.5, lower[:, 1] - 0.75), 3.0, atol=1e-12)
    assert np.all(upper[:, 1] >= -0.75 - 1e-12) and np.all(lower[:, 1] <= 0.75 + 1e-12)


@pytest.mark.parametrize("noise", [0.1, 0.4])
def test_moons_noise_moves_points_off_the_circles_by_about_twice_the_noise(noise):
    x, y = generate("moons", 20_000, noise)
    upper = x[y == 0]
    offset = np.hypot(upper[:, 0] + 1.5, upper[:, 1] + 0.75) - 3.0
    # Isotropic noise of sd s moves the radius by about s when s is small against 3.
    assert offset.std() == pytest.approx(2 * noise, rel=0.1)


def checker_class(x, k):
    cells = np.floor((x + 6.0) / 3.0).astype(int)
    return (cells[:, 0] + cells[:, 1]) % k


@pytest.mark.parametrize("k", [2, 3, 4, 6])
def test_checkerboard_without_noise_labels_cell_i_j_with_i_plus_j_mod_k(k):
    x, y = generate("checkerboard", 3000, 0.0, num_classes=k)
    np.testing.assert_array_equal(y, checker_class(x, k))
    # Every class covers all of its cells.
    cells = np.floor((x + 6.0) / 3.0).astype(int)
    assert len({tuple(c) for c in cells}) == 16


def test_checkerboard_noise_moves_points_across_cell_borders_keeping_their_labels():
    x, y = generate("checkerboard", 3000, 0.5, num_classes=2)
    moved = checker_class(x, 2) != y
    assert 0.02 < moved.mean() < 0.4


@given(
    name=st.sampled_from(MULTICLASS),
    n=st.integers(0, 400),
    k=st.integers(2, 6),
    noise=st.sampled_from([0.0, 0.3, 0.8]),
    seed=st.integers(0, 2**32 - 1),
)
def test_multiclass_datasets_are_balanced_across_their_k_classes(name, n, k, noise, seed):
    x, y = generate(name, n, noise, seed, num_classes=k)
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and counts.sum() == n
    assert counts.max() - counts.min() <= 1
    assert np.all(np.abs(x) <= 6.0)


@given(n=st.integers(0, 400), noise=st.sampled_from([0.0, 0.8]), seed=st.integers(0, 2**32 - 1))
def test_moons_are_balanced_and_inside_the_domain(n, noise, seed):
    x, y = generate("moons", n, noise, seed)
    assert sorted(np.bincount(y, minlength=2).tolist()) == [n // 2, n - n // 2]
    assert np.all(np.abs(x) <= 6.0)
