"""Checking user points row by row: the `DataError` every bad point raises, and the split codes.

Shared by `engine.datasets.Dataset.from_points` (JSON points) and `engine.userdata` (CSV).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from engine.datasets_multiclass import MAX_CLASSES
from engine.datasets_reference import DOMAIN

PROBLEMS = ("classification", "regression")
SPLIT_TRAIN, SPLIT_TEST, SPLIT_VALIDATION = 0, 1, 2
"""Split codes on the wire (``to_points``, the ``dataset`` message)."""
TARGET_LIMIT = 10.0
"""Regression targets must lie in [-10, 10]. The generated ones stay within ±2.2 (plane
at noise 80 %) and the colour scale spans ±1; targets in the thousands would only make
training diverge."""


class DataError(ValueError):
    """Bad user data. ``str(e)`` names the row and the problem, e.g.
    ``"row 4, x2: 'abc' is not a number"``.

    Attributes
    ----------
    row : int or None
        1-based row (point index for JSON points, line number for CSV), if one is to blame.
    field : str or None
        The offending field (``x1``, ``x2``, ``label``, ``target``, ``split``...), if any.
    """

    def __init__(self, problem: str, *, row: int | None = None, field: str | None = None):
        where = ", ".join(
            part for part in (f"row {row}" if row is not None else "", field or "") if part
        )
        super().__init__(f"{where}: {problem}" if where else problem)
        self.row = row
        self.field = field


def check_percent(field: str, value: float) -> None:
    """Raise ValueError unless ``value`` is a number in [0, 100]."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{field} must be a number from 0 to 100, got {value!r}")
    if not 0 <= value <= 100:
        raise ValueError(f"{field} must be from 0 to 100, got {value!r}")


def split_counts(
    m: int, train_percent: float, validation_percent: float, rng: np.random.Generator
) -> tuple[int, int]:
    """How many of m unsplit user points go to training (validation included) and validation.

    Like `engine.datasets.split_indices`, but the fractional part is rounded up with that
    probability instead of down, so a point clicked on its own goes to training with
    probability train_percent/100 (floor would always send it to test). Exact ratios give
    exactly the reference's counts (250 of 500 at 50 %).
    """
    check_percent("train_percent", train_percent)
    check_percent("validation_percent", validation_percent)
    if m == 0:
        return 0, 0
    n_train = min(m, math.floor(m * train_percent / 100 + rng.random()))
    n_val = min(n_train, math.floor(n_train * validation_percent / 100 + rng.random()))
    return n_train, n_val


def number(value: Any, row: int, field: str) -> float:
    """``value`` as a finite float, or a DataError naming row and field."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise DataError(f"{value!r} is not a number", row=row, field=field)
    try:
        result = float(value)
    except OverflowError:  # an int beyond the float range
        raise DataError("the number is too large", row=row, field=field) from None
    if not math.isfinite(result):
        raise DataError(f"{value!r} is not a finite number", row=row, field=field)
    return result


def _in_range(value: float, limit: float, row: int, field: str) -> float:
    if not -limit <= value <= limit:
        raise DataError(
            f"{value!r} is outside the allowed range [{-limit:g}, {limit:g}]", row=row, field=field
        )
    return value


def _whole(value: float, allowed: str, row: int, field: str) -> int:
    if value != int(value):
        raise DataError(
            f"{value!r} is not a whole number; allowed: {allowed}", row=row, field=field
        )
    return int(value)


def _class_index(value: float, num_classes: int | None, row: int) -> int:
    top = (num_classes or MAX_CLASSES) - 1
    allowed = f"-1 (class 0) or 0 to {top}"
    label = _whole(value, allowed, row, "label")
    if not -1 <= label <= top:
        raise DataError(f"{label} is not a class; allowed: {allowed}", row=row, field="label")
    return max(label, 0)


def _split_code(value: float, row: int) -> int:
    allowed = "0 (train), 1 (test) or 2 (validation)"
    code = _whole(value, allowed, row, "split")
    if code not in (SPLIT_TRAIN, SPLIT_TEST, SPLIT_VALIDATION):
        raise DataError(f"{code} is not a split; allowed: {allowed}", row=row, field="split")
    return code


def rows_to_arrays(
    rows: Iterable[tuple[int, Any]], problem: str, num_classes: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Check rows of ``(row_number, [x1, x2, label(, split)])``.

    Returns
    -------
    x : (n, 2) float64
    y : (n,) int64 class index or float64 target
    splits : (n,) int64 split code, -1 where the row gave none
    num_classes : K (given, or largest label + 1, at least 2), 0 for regression
    """
    if problem not in PROBLEMS:
        raise DataError(
            f"{problem!r} is not a problem; allowed: {', '.join(PROBLEMS)}", field="problem"
        )
    classify = problem == "classification"
    if (
        classify
        and num_classes is not None
        and (
            isinstance(num_classes, bool)
            or not isinstance(num_classes, int | np.integer)
            or not 2 <= num_classes <= MAX_CLASSES
        )
    ):
        raise DataError(
            f"{num_classes!r} is not allowed; allowed: 2 to {MAX_CLASSES}", field="num_classes"
        )
    coords, labels, splits = [], [], []
    for row, point in rows:
        if not isinstance(point, list | tuple | np.ndarray) or len(point) not in (3, 4):
            raise DataError(
                f"expected [x1, x2, label] or [x1, x2, label, split], got {point!r}", row=row
            )
        coords.append(
            [
                _in_range(number(point[i], row, f), DOMAIN, row, f)
                for i, f in enumerate(("x1", "x2"))
            ]
        )
        if classify:
            labels.append(_class_index(number(point[2], row, "label"), num_classes, row))
        else:
            labels.append(_in_range(number(point[2], row, "target"), TARGET_LIMIT, row, "target"))
        splits.append(_split_code(number(point[3], row, "split"), row) if len(point) == 4 else -1)
    x = np.array(coords, dtype=np.float64).reshape(-1, 2)
    y = np.array(labels, dtype=np.int64 if classify else np.float64)
    if not classify:
        k = 0
    elif num_classes is not None:
        k = int(num_classes)
    else:
        k = max(2, int(y.max()) + 1 if y.size else 2)
    return x, y, np.array(splits, dtype=np.int64), k
