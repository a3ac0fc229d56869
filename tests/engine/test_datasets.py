"""The dataset registry, the reference generators' semantics, the split and make_dataset."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.datasets import DATASETS, Dataset, make_dataset, split_indices

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
    from engine.datasets_reference import multi_gauss_target

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


def test_split_indices_at_the_reference_defaults_gives_250_and_250():
    train, val, test = split_indices(500, 50, 0, np.random.default_rng(3))
    assert (len(train), len(val), len(test)) == (250, 0, 250)


def test_split_indices_takes_validation_from_the_end_of_the_training_part():
    perm = np.random.default_rng(3).permutation(500)
    train, val, test = split_indices(500, 50, 20, np.random.default_rng(3))
    np.testing.assert_array_equal(train, perm[:200])
    np.testing.assert_array_equal(val, perm[200:250])
    np.testing.assert_array_equal(test, perm[250:])


@pytest.mark.parametrize(
    ("n", "train_percent", "validation_percent", "sizes"),
    [
        (10, 10, 50, (0, 1, 9)),
        (10, 30, 50, (1, 2, 7)),
        (7, 50, 0, (3, 0, 4)),
        (500, 50, 1, (247, 3, 250)),
        (0, 50, 20, (0, 0, 0)),
    ],
)
def test_split_indices_floors_train_and_rounds_validation_half_up(
    n, train_percent, validation_percent, sizes
):
    train, val, test = split_indices(n, train_percent, validation_percent, np.random.default_rng(0))
    assert (len(train), len(val), len(test)) == sizes


@pytest.mark.parametrize(
    ("field", "value"),
    [("train_percent", 101), ("validation_percent", -1), ("train_percent", "50")],
)
def test_split_indices_rejects_percentages_outside_0_to_100(field, value):
    kwargs = {"train_percent": 50, "validation_percent": 0, field: value}
    with pytest.raises(ValueError, match=f"{field} must be"):
        split_indices(10, rng=np.random.default_rng(0), **kwargs)


@given(
    n=st.integers(0, 400),
    train_percent=st.integers(0, 100),
    validation_percent=st.integers(0, 100),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_indices_partitions_range_n(n, train_percent, validation_percent, seed):
    train, val, test = split_indices(
        n, train_percent, validation_percent, np.random.default_rng(seed)
    )
    assert all(a.dtype == np.int64 for a in (train, val, test))
    assert len(train) + len(val) == n * train_percent // 100
    assert np.array_equal(np.sort(np.concatenate((train, val, test))), np.arange(n))


dataset_args = st.fixed_dictionaries(
    {
        "name": st.sampled_from(list(DATASETS)),
        "n": st.integers(0, 300),
        "noise_percent": st.integers(0, 80),
        "num_classes": st.integers(2, 6),
        "train_percent": st.integers(10, 90),
        "validation_percent": st.integers(0, 50),
        "seed": st.integers(0, 2**32 - 1),
    }
)


def build(args) -> Dataset:
    args = dict(args)
    rng = np.random.default_rng(args.pop("seed"))
    return make_dataset(rng=rng, **args)


@given(args=dataset_args)
def test_make_dataset_shapes_dtypes_labels_domain_and_split(args):
    d = build(args)
    spec = DATASETS[args["name"]]
    n = args["n"]
    assert d.x.shape == (n, 2) and d.x.dtype == np.float64
    assert d.y.shape == (n,)
    assert np.all(np.abs(d.x) <= 6.0)
    assert d.problem == spec.problem
    if spec.problem == "regression":
        assert d.y.dtype == np.float64 and d.num_classes == 0
        assert np.all(np.isfinite(d.y))
    else:
        expected_k = spec.classes if spec.classes is not None else args["num_classes"]
        assert d.y.dtype == np.int64 and d.num_classes == expected_k
        assert np.all((d.y >= 0) & (d.y < expected_k))
    parts = np.concatenate((d.train, d.val, d.test))
    assert np.array_equal(np.sort(parts), np.arange(n))
    assert len(d.train) + len(d.val) == n * args["train_percent"] // 100


@given(args=dataset_args)
def test_make_dataset_is_reproducible_from_the_seed(args):
    a, b = build(args), build(args)
    for field in ("x", "y", "train", "val", "test"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_make_dataset_gives_the_generator_noise_as_a_fraction():
    d = make_dataset("plane", 1200, 50, None, 50, 0, np.random.default_rng(0))
    x, y = DATASETS["plane"].generate(1200, 0.5, np.random.default_rng(0), None)
    np.testing.assert_array_equal(d.x, x)
    np.testing.assert_array_equal(d.y, y)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "custom"}, "unknown dataset 'custom'; allowed: circle, xor"),
        ({"noise_percent": 81}, "noise_percent must be from 0 to 80"),
        ({"noise_percent": -5}, "noise_percent must be from 0 to 80"),
        ({"n": -1}, "n must be a non-negative integer"),
        ({"name": "blobs", "num_classes": 7}, "num_classes must be an integer from 2 to 6"),
        ({"name": "spirals", "num_classes": None}, "num_classes must be an integer from 2 to 6"),
        ({"train_percent": 150}, "train_percent must be from 0 to 100"),
    ],
)
def test_make_dataset_rejects_bad_parameters_naming_them(kwargs, message):
    args = {
        "name": "circle",
        "n": 50,
        "noise_percent": 0,
        "num_classes": 2,
        "train_percent": 50,
        "validation_percent": 0,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        make_dataset(rng=np.random.default_rng(0), **args)
