"""The dataset registry and the reference generators' semantics (dataset.ts; gauss truncated)."""

import math

import numpy as np
import pytest

from engine.datasets import DATASETS
from engine.datasets_reference import multi_gauss_target

REFERENCE_NOISES = [0.0, 0.25, 0.5, 0.8]


def generate(name, n, noise, seed=0, num_classes=None):
    return DATASETS[name].generate(n, noise, np.random.default_rng(seed), num_classes)


def radius(x):
    return np.hypot(x[:, 0], x[:, 1])


def test_registry_lists_the_reference_and_multiclass_datasets_with_their_problems():
    problems = {name: spec.problem for name, spec in DATASETS.items()}
    assert problems == {
        "circle": "classification",
        "xor": "classification",
        "gauss": "classification",
        "spiral": "classification",
        "blobs": "classification",
        "spirals": "classification",
        "moons": "classification",
        "checkerboard": "classification",
        "and": "classification",
        "or": "classification",
        "plane": "regression",
        "multi_gauss": "regression",
    }
    assert "custom" not in DATASETS


def test_registry_classes_and_default_point_counts_follow_the_reference():
    for name, spec in DATASETS.items():
        assert spec.name == name
        if spec.problem == "regression":
            assert (spec.classes, spec.default_points) == (0, 1200)
        else:
            assert spec.default_points == 500
    variable = {name for name, spec in DATASETS.items() if spec.classes is None}
    assert variable == {"blobs", "spirals", "checkerboard"}
    assert DATASETS["moons"].classes == 2


def test_reference_labels_are_the_reference_display_names():
    labels = {name: DATASETS[name].label for name in ("circle", "xor", "gauss", "spiral")}
    assert labels == {
        "circle": "Circle",
        "xor": "Exclusive or",
        "gauss": "Gaussian",
        "spiral": "Spiral",
    }
    assert (DATASETS["plane"].label, DATASETS["multi_gauss"].label) == ("Plane", "Multi gaussian")


def test_circle_without_noise_puts_class_1_inside_2_5_and_class_0_in_the_ring():
    x, y = generate("circle", 500, 0.0)
    r = radius(x)
    assert np.bincount(y).tolist() == [250, 250]
    assert np.all(r[y == 1] < 2.5)
    assert np.all((r[y == 0] >= 3.5) & (r[y == 0] <= 5.0))


@pytest.mark.parametrize("noise", [0.25, 0.5, 0.8])
def test_circle_noise_flips_labels_but_leaves_positions_in_the_disc_and_ring(noise):
    x, y = generate("circle", 2000, noise)
    r = radius(x)
    # Positions are drawn as without noise: half in the disc, half in the ring, none between.
    assert np.sum(r < 2.5) == 1000
    assert np.sum((r >= 3.5) & (r <= 5.0)) == 1000
    flipped = (r < 2.5) != (y == 1)
    assert 0 < flipped.sum() < 1000


def test_xor_without_noise_labels_by_the_sign_of_the_product_and_keeps_the_gap():
    x, y = generate("xor", 2000, 0.0)
    assert np.all((np.abs(x) >= 0.3) & (np.abs(x) <= 5.3))
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] >= 0).astype(np.int64))


def test_xor_noise_flips_labels_but_keeps_the_padded_positions():
    x, y = generate("xor", 2000, 0.5)
    assert np.all((np.abs(x) >= 0.3) & (np.abs(x) <= 5.3))
    flipped = (x[:, 0] * x[:, 1] >= 0) != (y == 1)
    assert 0 < flipped.sum() < 1000


@pytest.mark.parametrize("noise", REFERENCE_NOISES)
def test_gauss_classes_are_balanced_around_their_centres(noise):
    x, y = generate("gauss", 500, noise)
    assert np.bincount(y).tolist() == [250, 250]
    # Class 1 (the reference's +1) sits around (2, 2), class 0 around (-2, -2).
    assert np.all(x[y == 1].mean(axis=0) > 1.0)
    assert np.all(x[y == 0].mean(axis=0) < -1.0)


def test_spiral_without_noise_follows_the_reference_radius_and_angle():
    x, y = generate("spiral", 500, 0.0)
    assert np.bincount(y).tolist() == [250, 250]
    assert np.all(y[:250] == 1) and np.all(y[250:] == 0)
    i = np.arange(250)
    for delta, arm in ((0.0, x[:250]), (math.pi, x[250:])):
        np.testing.assert_allclose(radius(arm), 5 * i / 250, atol=1e-12)
        # Reference: x = r sin t, y = r cos t, so t = atan2(x, y).
        t = 1.75 * i / 250 * 2 * math.pi + delta
        angle = np.arctan2(arm[1:, 0], arm[1:, 1])
        np.testing.assert_allclose(np.cos(angle - t[1:]), 1.0, atol=1e-12)


@pytest.mark.parametrize("noise", [0.1, 0.5, 0.8])
def test_spiral_noise_moves_each_point_by_at_most_noise_per_axis(noise):
    clean, _ = generate("spiral", 500, 0.0)
    noisy, _ = generate("spiral", 500, noise, seed=1)
    shift = np.abs(noisy - clean)
    assert np.all(shift <= noise)
    assert shift.max() > 0.9 * noise


def test_plane_without_noise_is_the_sum_over_ten():
    x, y = generate("plane", 1200, 0.0)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, (x[:, 0] + x[:, 1]) / 10, rtol=0, atol=1e-15)


@pytest.mark.parametrize("noise", [0.25, 0.8])
def test_plane_noise_offsets_the_target_by_at_most_the_noisy_copy(noise):
    x, y = generate("plane", 1200, noise)
    offset = y - (x[:, 0] + x[:, 1]) / 10
    # Each coordinate of the copy moves by U(-6, 6)·noise, so the target by up to 1.2·noise.
    assert np.all(np.abs(offset) <= 1.2 * noise + 1e-12)
    assert np.abs(offset).max() > 0.9 * noise


def bump_closed_form(a, b):
    """The reference's multi-Gaussian label at one point, written out scalar by scalar."""
    best = 0.0
    for cx, cy, sign in (
        (-4, 2.5, 1),
        (0, 2.5, -1),
        (4, 2.5, 1),
        (-4, -2.5, -1),
        (0, -2.5, 1),
        (4, -2.5, -1),
    ):
        value = sign * min(1.0, max(0.0, 1 - math.dist((a, b), (cx, cy)) / 2))
        if abs(value) > abs(best):
            best = value
    return best


@pytest.mark.parametrize(
    ("point", "target"),
    [
        ((-4, 2.5), 1.0),
        ((0, 2.5), -1.0),
        ((4, -2.5), -1.0),
        ((0, -1.5), 0.5),
        ((0, 0), 0.0),
        ((-2, 2.5), 0.0),
        ((-2.5, 2.5), 0.25),
    ],
)
def test_multi_gauss_target_at_known_points(point, target):
    assert multi_gauss_target(np.array([point], dtype=np.float64))[0] == pytest.approx(
        target, abs=1e-12
    )


def test_multi_gauss_without_noise_matches_the_closed_form_everywhere():
    x, y = generate("multi_gauss", 1200, 0.0)
    expected = [bump_closed_form(a, b) for a, b in x.tolist()]
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-12)
    assert np.all(np.abs(y) <= 1.0)


def test_multi_gauss_noise_changes_targets_but_not_the_uniform_positions():
    x0, y0 = generate("multi_gauss", 1200, 0.0)
    x1, y1 = generate("multi_gauss", 1200, 0.5)
    np.testing.assert_array_equal(x0, x1)  # the noisy copy is drawn after the positions
    assert not np.allclose(y0, y1)


@pytest.mark.parametrize("n", [0, 1, 7, 500, 501])
@pytest.mark.parametrize("name", ["circle", "gauss", "spiral", "moons"])
def test_binary_datasets_have_exactly_n_points_split_into_halves(name, n):
    x, y = generate(name, n, 0.0)
    assert x.shape == (n, 2) and y.shape == (n,)
    assert sorted([np.sum(y == 0), np.sum(y == 1)]) == [n // 2, n - n // 2]


@pytest.mark.parametrize(("name", "truth"), [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1])])
def test_logic_gates_label_four_corner_clusters_by_their_truth_table(name, truth):
    x, y = generate(name, 2000, 0.0)
    corner = (x[:, 0] > 0).astype(int) * 2 + (x[:, 1] > 0).astype(int)  # (a, b) as bits
    assert np.bincount(corner, minlength=4).tolist() == [500] * 4
    assert y.tolist() == [truth[c] for c in corner]
    centres = np.array([x[corner == c].mean(axis=0) for c in range(4)])
    np.testing.assert_allclose(np.abs(centres), 3.0, atol=0.1)
    assert np.std(x[corner == 3], axis=0) == pytest.approx([0.5, 0.5], abs=0.05)


def test_logic_noise_widens_the_clusters():
    x, _ = generate("and", 4000, 0.4, seed=1)
    near = x[(x[:, 0] > 0) & (x[:, 1] > 0)]
    assert np.std(near, axis=0).min() > 1.0
