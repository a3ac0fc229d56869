"""Input features: the registry, their values on raw coordinates, and feature_matrix."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.features import FEATURES, feature_matrix

# Closed forms written out independently of engine.features, one scalar at a time.
SCALAR = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1_squared": lambda a, b: a**2,
    "x2_squared": lambda a, b: b**2,
    "x1_x2": lambda a, b: a * b,
    "sin_x1": lambda a, b: math.sin(a),
    "sin_x2": lambda a, b: math.sin(b),
    "cos_x1": lambda a, b: math.cos(a),
    "cos_x2": lambda a, b: math.cos(b),
}

coordinates = arrays(
    np.float64,
    st.tuples(st.integers(0, 30), st.just(2)),
    elements=st.floats(-6, 6, allow_nan=False),
)


def test_features_are_listed_in_display_order():
    assert list(FEATURES) == [
        "x1",
        "x2",
        "x1_squared",
        "x2_squared",
        "x1_x2",
        "sin_x1",
        "sin_x2",
        "cos_x1",
        "cos_x2",
    ]


def test_feature_labels_are_the_display_texts():
    labels = {name: f.label for name, f in FEATURES.items()}
    assert labels == {
        "x1": "X₁",
        "x2": "X₂",
        "x1_squared": "X₁²",
        "x2_squared": "X₂²",
        "x1_x2": "X₁X₂",
        "sin_x1": "sin(X₁)",
        "sin_x2": "sin(X₂)",
        "cos_x1": "cos(X₁)",
        "cos_x2": "cos(X₂)",
    }


def test_every_feature_is_named_by_its_key():
    assert all(name == f.name for name, f in FEATURES.items())


def test_features_use_raw_coordinates_without_normalisation():
    x = np.array([[6.0, -6.0], [-3.0, 0.5]])
    m = feature_matrix(x, ["x1_squared", "x2_squared", "x1_x2"])
    np.testing.assert_array_equal(m, [[36.0, 36.0, -36.0], [9.0, 0.25, -1.5]])


@given(
    x=coordinates,
    names=st.permutations(list(FEATURES)).flatmap(
        lambda p: st.integers(0, len(p)).map(lambda k: p[:k])
    ),
)
def test_feature_matrix_columns_follow_the_names_and_closed_forms(x, names):
    m = feature_matrix(x, names)
    assert m.shape == (x.shape[0], len(names))
    assert m.dtype == np.float64
    assert m.flags.c_contiguous
    expected = [[SCALAR[name](a, b) for name in names] for a, b in x.tolist()]
    np.testing.assert_allclose(
        m, np.array(expected, dtype=np.float64).reshape(m.shape), rtol=1e-15, atol=1e-15
    )


@given(x=coordinates)
def test_feature_matrix_casts_to_the_requested_dtype(x):
    m = feature_matrix(x, list(FEATURES), dtype=np.float32)
    assert m.dtype == np.float32
    assert m.flags.c_contiguous
    np.testing.assert_array_equal(m, feature_matrix(x, list(FEATURES)).astype(np.float32))


def test_unknown_feature_is_rejected_naming_it_and_the_allowed_ones():
    with pytest.raises(ValueError) as info:
        feature_matrix(np.zeros((3, 2)), ["x1", "tan_x1"])
    message = str(info.value)
    assert "'tan_x1'" in message
    assert all(name in message for name in FEATURES)


def test_a_feature_listed_twice_is_rejected():
    with pytest.raises(ValueError, match="'x1' is listed twice"):
        feature_matrix(np.zeros((3, 2)), ["x1", "x2", "x1"])


@pytest.mark.parametrize("shape", [(3,), (3, 3), (3, 1), (2, 3, 2)])
def test_coordinates_of_the_wrong_shape_are_rejected(shape):
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        feature_matrix(np.zeros(shape), ["x1"])
