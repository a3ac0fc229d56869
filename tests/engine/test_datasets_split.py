"""The train/validation/test split and make_dataset: sizes, partition, reproducibility."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.datasets import DATASETS, Dataset, make_dataset, split_indices


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
        ({"noise_percent": "10"}, "noise_percent must be from 0 to 80"),
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
