"""User points: Dataset.from_points / to_points, the split of unsplit points, DataError."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.datasets import DataError, Dataset, make_dataset
from engine.userdata import dataset_from_csv, dataset_to_csv
from tests.engine.userdata_helpers import (
    assert_same_points,
    codes,
    dataset_args,
    from_points,
    rng,
)


def test_minus_one_is_class_0_as_in_the_reference_convention():
    d = from_points([[0, 0, -1], [1, 1, 1], [2, 2, -1]])
    assert d.y.tolist() == [0, 1, 0]
    assert d.y.dtype == np.int64
    assert d.num_classes == 2


@pytest.mark.parametrize(
    ("labels", "given_k", "k"),
    [([0, 0], None, 2), ([0, 4, 1], None, 5), ([5], None, 6), ([0, 1], 4, 4), ([], None, 2)],
)
def test_num_classes_is_given_or_the_largest_label_plus_one_at_least_two(labels, given_k, k):
    d = from_points([[0.0, 0.0, label] for label in labels], num_classes=given_k)
    assert d.num_classes == k


def test_empty_points_give_an_empty_dataset_with_the_right_shapes():
    for problem, dtype in (("classification", np.int64), ("regression", np.float64)):
        d = from_points([], problem)
        assert d.x.shape == (0, 2) and d.x.dtype == np.float64
        assert d.y.shape == (0,) and d.y.dtype == dtype
        assert [len(d.train), len(d.val), len(d.test)] == [0, 0, 0]
        assert d.to_points() == []
        assert dataset_from_csv(dataset_to_csv(d), problem, 50, 0, rng()).x.shape == (0, 2)


def test_regression_targets_are_floats():
    d = from_points([[0, 0, 0.25], [1, -1, -1]], "regression")
    assert d.y.dtype == np.float64 and d.y.tolist() == [0.25, -1.0]
    assert d.num_classes == 0
    assert all(isinstance(p[2], float) for p in d.to_points())


def test_points_with_a_split_keep_it_and_the_others_follow_the_ratio():
    points = [[0, 0, 1, 1], [1, 1, 0, 2], [2, 2, 1, 0]] + [[0.5, 0.5, 0]] * 100
    d = from_points(points, train=50, validation=20)
    assert codes(d)[:3] == [1, 2, 0]
    assigned = codes(d)[3:]
    # 50 of the 100 unsplit points train (10 of them validation), 50 test.
    assert [assigned.count(c) for c in (0, 1, 2)] == [40, 50, 10]


def test_unsplit_points_at_the_reference_ratio_split_exactly_in_half():
    d = from_points([[0, 0, i % 2] for i in range(500)])
    assert (len(d.train), len(d.val), len(d.test)) == (250, 0, 250)


def test_a_single_clicked_point_goes_to_training_with_the_train_probability():
    # Floor would always send a lone point to test; the fraction is rounded at random instead.
    trained = sum(len(from_points([[1, 1, 1]], train=70, seed=s).train) for s in range(400))
    assert 240 < trained < 320  # 280 expected, sd about 9


def test_to_points_lists_label_and_split_codes_in_point_order():
    d = from_points([[1.5, -2, 1, 0], [0, 6, -1, 1], [-6, 0.25, 3, 2]])
    assert d.to_points() == [[1.5, -2.0, 1, 0], [0.0, 6.0, 0, 1], [-6.0, 0.25, 3, 2]]
    assert [type(v) for v in d.to_points()[0]] == [float, float, int, int]


def test_points_with_given_splits_train_in_row_order_before_assigned_ones():
    d = from_points([[0, 0, 1], [1, 1, 1, 0], [2, 2, 1], [3, 3, 1, 0], [4, 4, 0, 0]], train=100)
    assert d.train[:3].tolist() == [1, 3, 4]
    assert sorted(d.train[3:].tolist()) == [0, 2]


@given(args=dataset_args, seed=st.integers(0, 2**32 - 1))
def test_to_points_then_from_points_gives_back_the_same_dataset(args, seed):
    d = make_dataset(rng=rng(seed), **args)
    back = Dataset.from_points(
        d.to_points(), d.problem, 50, 0, rng(), num_classes=d.num_classes or None
    )
    assert_same_points(d, back)
    assert back.num_classes == d.num_classes
    # Training order becomes point order; membership is kept.
    assert sorted(back.train.tolist()) == sorted(d.train.tolist())


POINT_ERRORS = [
    (
        [[0, 0, 1], [1, 2]],
        2,
        None,
        "expected [x1, x2, label] or [x1, x2, label, split], got [1, 2]",
    ),
    ([[0, 0, 1, 0, 5]], 1, None, "expected [x1, x2, label]"),
    (["0,0,1"], 1, None, "expected [x1, x2, label]"),
    ([[0, 0, 1], [0, "abc", 1]], 2, "x2", "'abc' is not a number"),
    ([[None, 0, 1]], 1, "x1", "None is not a number"),
    ([[True, 0, 1]], 1, "x1", "True is not a number"),
    ([[0, 0, 1], [0, 0, 1], [math.nan, 0, 1]], 3, "x1", "nan is not a finite number"),
    ([[0, math.inf, 1]], 1, "x2", "inf is not a finite number"),
    ([[10**400, 0, 1]], 1, "x1", "the number is too large"),
    ([[6.5, 0, 1]], 1, "x1", "6.5 is outside the allowed range [-6, 6]"),
    ([[0, -7, 1]], 1, "x2", "-7.0 is outside the allowed range [-6, 6]"),
    ([[0, 0, 6]], 1, "label", "6 is not a class; allowed: -1 (class 0) or 0 to 5"),
    ([[0, 0, -2]], 1, "label", "-2 is not a class"),
    ([[0, 0, 0.5]], 1, "label", "0.5 is not a whole number; allowed: -1 (class 0) or 0 to 5"),
    (
        [[0, 0, 1, 3]],
        1,
        "split",
        "3 is not a split; allowed: 0 (train), 1 (test) or 2 (validation)",
    ),
    ([[0, 0, 1, "train"]], 1, "split", "'train' is not a number"),
]


@pytest.mark.parametrize(("points", "row", "field", "problem"), POINT_ERRORS)
def test_every_bad_point_raises_naming_its_row_and_the_problem(points, row, field, problem):
    with pytest.raises(DataError) as info:
        from_points(points)
    assert (info.value.row, info.value.field) == (row, field)
    assert str(info.value).startswith(f"row {row}" + (f", {field}: " if field else ": "))
    assert problem in str(info.value)


def test_labels_beyond_the_given_num_classes_name_the_allowed_ones():
    with pytest.raises(
        DataError, match=r"row 2, label: 3 is not a class; allowed: -1 \(class 0\) or 0 to 2"
    ):
        from_points([[0, 0, 1], [0, 0, 3]], num_classes=3)


def test_regression_targets_out_of_range_are_rejected_naming_the_range():
    with pytest.raises(
        DataError, match=r"row 1, target: 12.0 is outside the allowed range \[-10, 10\]"
    ):
        from_points([[0, 0, 12.0]], "regression")


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        (
            {"problem": "ranking"},
            "problem",
            "'ranking' is not a problem; allowed: classification, regression",
        ),
        ({"num_classes": 7}, "num_classes", "7 is not allowed; allowed: 2 to 6"),
        ({"num_classes": 1}, "num_classes", "1 is not allowed; allowed: 2 to 6"),
    ],
)
def test_bad_problem_or_num_classes_is_rejected_naming_the_field(kwargs, field, message):
    with pytest.raises(DataError) as info:
        from_points([[0, 0, 1]], **kwargs)
    assert info.value.field == field and info.value.row is None
    assert str(info.value) == f"{field}: {message}"


user_point = st.tuples(
    st.floats(-6, 6, allow_nan=False),
    st.floats(-6, 6, allow_nan=False),
    st.integers(-1, 5),
    st.one_of(st.none(), st.integers(0, 2)),
)


@given(
    raw=st.lists(user_point, max_size=60),
    train=st.integers(0, 100),
    validation=st.integers(0, 100),
    seed=st.integers(0, 2**32 - 1),
)
def test_from_points_keeps_given_splits_and_assigns_the_rest_by_the_ratio(
    raw, train, validation, seed
):
    points = [
        [a, b, label] if split is None else [a, b, label, split] for a, b, label, split in raw
    ]
    d = from_points(points, train=train, validation=validation, seed=seed)
    assert d.x.tolist() == [[a, b] for a, b, _, _ in raw]
    assert d.y.tolist() == [max(label, 0) for _, _, label, _ in raw]
    assert d.num_classes == max([2] + [label + 1 for _, _, label, _ in raw])
    parts = np.concatenate((d.train, d.val, d.test))
    assert sorted(parts.tolist()) == list(range(len(raw)))
    split = codes(d)
    given_splits = [(i, s) for i, (_, _, _, s) in enumerate(raw) if s is not None]
    assert all(split[i] == s for i, s in given_splits)
    unsplit = [i for i, (_, _, _, s) in enumerate(raw) if s is None]
    trained = sum(split[i] in (0, 2) for i in unsplit)
    assert (
        math.floor(len(unsplit) * train / 100) <= trained <= math.ceil(len(unsplit) * train / 100)
    )


def test_user_data_never_touches_the_global_numpy_random_state():
    _, keys, position, *_ = np.random.get_state()
    from_points([[0, 0, 1]] * 50)
    dataset_from_csv("1,2,1\n2,1,0\n", "classification", 50, 0, rng())
    make_dataset("blobs", 200, 30, 4, 50, 10, rng())
    _, keys_after, position_after, *_ = np.random.get_state()
    assert np.array_equal(keys_after, keys) and position_after == position
