"""CSV upload and download: format, separators, round trips, every bad line named."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.datasets import DataError, make_dataset
from engine.userdata import dataset_from_csv, dataset_to_csv
from tests.engine.userdata_helpers import (
    assert_same_points,
    codes,
    dataset_args,
    from_points,
    rng,
)


def from_csv(text, problem="classification", train=50, validation=0, seed=0, **kwargs):
    return dataset_from_csv(text, problem, train, validation, rng(seed), **kwargs)


@given(args=dataset_args, seed=st.integers(0, 2**32 - 1))
def test_csv_download_then_upload_round_trips_exactly(args, seed):
    d = make_dataset(rng=rng(seed), **args)
    text = dataset_to_csv(d)
    back = dataset_from_csv(text, d.problem, 50, 0, rng())
    assert_same_points(d, back)
    assert dataset_to_csv(back) == text


def test_csv_is_written_with_a_header_and_named_splits():
    d = from_points([[1.5, -2, 1, 0], [0.1, 6, -1, 1], [-6, 0.25, 2, 2]])
    assert (
        dataset_to_csv(d)
        == "x1,x2,label,split\n1.5,-2.0,1,train\n0.1,6.0,0,test\n-6.0,0.25,2,validation\n"
    )
    r = from_points([[1, 2, 0.5, 1]], "regression")
    assert dataset_to_csv(r) == "x1,x2,target,split\n1.0,2.0,0.5,test\n"


@pytest.mark.parametrize(
    "text",
    [
        "x1,x2,label\n1,2,1\n-1,-2,-1\n",
        "1,2,1\n-1,-2,-1",
        "X1; X2; Label\n1;2;1\n-1;-2;-1\n",
        "x1\tx2\tlabel\n1\t2\t1\n-1\t-2\t-1\n",
        "# made by hand\n\nx1,x2,label\n  1 , 2 , 1 \n\n# second point\n-1,-2,-1\n",
        '"x1","x2","label"\n"1","2","1"\n"-1","-2","-1"\n',
        "\ufeffx1,x2,label\r\n1,2,1\r\n-1,-2,-1\r\n",
    ],
)
def test_csv_header_separators_blank_lines_and_comments_are_optional(text):
    d = from_csv(text)
    assert d.x.tolist() == [[1.0, 2.0], [-1.0, -2.0]]
    assert d.y.tolist() == [1, 0]


def test_csv_split_column_takes_names_or_codes():
    d = from_csv(
        "x1,x2,label,split\n0,0,1,train\n1,1,0,test\n2,2,1,validation\n3,3,0,0\n4,4,1,1\n5,5,0,2\n"
    )
    assert codes(d) == [0, 1, 2, 0, 1, 2]


def test_csv_regression_reads_targets():
    d = from_csv("x1,x2,target\n1,2,0.75\n-1,-2,-0.5\n", "regression")
    assert d.y.tolist() == [0.75, -0.5]


def test_csv_accepts_exactly_max_rows_and_rejects_one_more():
    rows = "".join(f"{i % 6},0,1\n" for i in range(5))
    assert len(from_csv(rows, max_rows=5).x) == 5
    with pytest.raises(DataError, match="too many rows; the limit is 4 data rows") as info:
        from_csv(rows, max_rows=4)
    assert info.value.row == 5


CSV_ERRORS = [
    ("x1,x2,label\n1,2,1\n0,0,0\nabc,1,1\n", 4, "x1", "'abc' is not a number"),
    ("x1,x2,label\n1,2,1\n\n0,abc,1\n", 4, "x2", "'abc' is not a number"),
    ("1,2,1\n0,0,cat\n", 2, "label", "'cat' is not a number"),
    (
        "x1;x2;label\n1,5;2;1\n",
        2,
        "x1",
        "'1,5' is not a number (use a dot as the decimal separator)",
    ),
    ("x1,x2,label\n1,2\n", 2, None, "expected 3 values as the header says, got 2"),
    ("1,2\n", 1, None, "expected 3 or 4 values (x1, x2, label[, split]), got 2"),
    ("1,2,1,0,7\n", 1, None, "expected 3 or 4 values"),
    ("# c\nx1,x2,colour\n1,2,1\n", 2, "header", "expected x1,x2,label or x1,x2,target"),
    ("x1,x2,label,fold\n1,2,1,0\n", 1, "header", "fourth column 'fold' must be 'split'"),
    (
        "x1,x2,label,split\n1,2,1,holdout\n",
        2,
        "split",
        "'holdout' is not a split; allowed: train, test, validation or 0, 1, 2",
    ),
    ("x1,x2,label,split\n1,2,1,5\n", 2, "split", "5 is not a split"),
    ("1,2,1\n7,0,1\n", 2, "x1", "7.0 is outside the allowed range [-6, 6]"),
    ("1,nan,1\n", 1, "x2", "nan is not a finite number"),
    ("1,2,9\n", 1, "label", "9 is not a class"),
    ("1,2,1.5\n", 1, "label", "1.5 is not a whole number"),
]


@pytest.mark.parametrize(("text", "row", "field", "problem"), CSV_ERRORS)
def test_every_bad_csv_row_raises_naming_its_line_and_the_problem(text, row, field, problem):
    with pytest.raises(DataError) as info:
        from_csv(text)
    assert (info.value.row, info.value.field) == (row, field)
    assert str(info.value).startswith(f"row {row}" + (f", {field}: " if field else ": "))
    assert problem in str(info.value)


def test_bad_regression_csv_target_is_named_target():
    with pytest.raises(DataError, match="row 2, target: 'high' is not a number"):
        from_csv("x1,x2,target\n1,2,high\n", "regression")


user_point = st.tuples(
    st.floats(-6, 6, allow_nan=False),
    st.floats(-6, 6, allow_nan=False),
    st.integers(-1, 5),
    st.one_of(st.none(), st.integers(0, 2)),
)


@given(
    raw=st.lists(user_point, max_size=40),
    separator=st.sampled_from([",", ";", "\t"]),
    header=st.booleans(),
)
def test_csv_rows_in_any_separator_parse_to_the_same_points_as_json(raw, separator, header):
    with_split = [p for p in raw if p[3] is not None]
    names = ["x1", "x2", "label", "split"]
    lines = [separator.join(names)] if header else []
    lines += [separator.join(repr(v) for v in p) for p in with_split]
    d = from_csv("\n".join(lines))
    expected = from_points([list(p) for p in with_split])
    assert_same_points(d, expected)
