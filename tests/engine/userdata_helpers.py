"""Helpers shared by the user-data tests (points and CSV)."""

import numpy as np
from hypothesis import strategies as st

from engine.datasets import DATASETS, Dataset


def rng(seed=0):
    return np.random.default_rng(seed)


def from_points(points, problem="classification", train=50, validation=0, seed=0, **kwargs):
    return Dataset.from_points(points, problem, train, validation, rng(seed), **kwargs)


def codes(d):
    return d.split_codes().tolist()


dataset_args = st.fixed_dictionaries(
    {
        "name": st.sampled_from(list(DATASETS)),
        "n": st.integers(0, 200),
        "noise_percent": st.integers(0, 80),
        "num_classes": st.integers(2, 6),
        "train_percent": st.integers(10, 90),
        "validation_percent": st.integers(0, 50),
    }
)


def assert_same_points(a, b):
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.y.dtype == b.y.dtype
    assert codes(a) == codes(b)
