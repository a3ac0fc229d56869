"""User data as CSV text: parse an upload into a `Dataset`, and write one back out.

Format (what `dataset_to_csv` writes, and the most `dataset_from_csv` needs)::

    x1,x2,label,split          <- optional header; "target" for regression; split optional
    1.5,-2.25,1,train          <- split: train/test/validation or 0/1/2
    # comments and blank lines are ignored

Comma, semicolon or tab separated (decided by the first non-blank, non-comment line).
Rows are named by their line number in the text, as an editor shows them.
"""

from __future__ import annotations

import numpy as np

from engine.datasets import Dataset, dataset_from_rows
from engine.datasets_points import DataError

__all__ = ["MAX_ROWS", "SPLIT_NAMES", "dataset_from_csv", "dataset_to_csv"]

MAX_ROWS = 2000
SPLIT_NAMES = ("train", "test", "validation")
"""Names of split codes 0, 1, 2."""


def _separator(line: str) -> str:
    for candidate in ("\t", ";"):
        if candidate in line:
            return candidate
    return ","


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_header(fields: list[str], row: int) -> None:
    names = [f.lower() for f in fields]
    if names[:2] != ["x1", "x2"] or len(names) not in (3, 4) or names[2] not in ("label", "target"):
        raise DataError(
            f"header {','.join(fields)!r} not understood; expected x1,x2,label or "
            "x1,x2,target, optionally followed by split",
            row=row,
            field="header",
        )
    if len(names) == 4 and names[3] != "split":
        raise DataError(f"fourth column {fields[3]!r} must be 'split'", row=row, field="header")


def _parse_value(text: str, row: int, field: str, separator: str) -> float:
    try:
        return float(text)
    except ValueError:
        hint = " (use a dot as the decimal separator)" if "," in text and separator != "," else ""
        raise DataError(f"{text!r} is not a number{hint}", row=row, field=field) from None


def _parse_split(text: str, row: int) -> float:
    if text.lower() in SPLIT_NAMES:
        return float(SPLIT_NAMES.index(text.lower()))
    if _is_number(text):
        return float(text)  # the range is checked with the JSON points' rules
    allowed = "train, test, validation or 0, 1, 2"
    raise DataError(f"{text!r} is not a split; allowed: {allowed}", row=row, field="split")


def dataset_from_csv(
    text: str,
    problem: str,
    train_percent: float,
    validation_percent: float,
    rng: np.random.Generator,
    max_rows: int = MAX_ROWS,
) -> Dataset:
    """Parse CSV text into a dataset.

    Parameters
    ----------
    text : the whole file
    problem : ``"classification"`` (labels -1 or 0..5) or ``"regression"`` (targets)
    train_percent, validation_percent, rng : split of the rows without a split column,
        as `Dataset.from_points`
    max_rows : most data rows accepted

    Raises
    ------
    DataError
        For the first bad line (naming its line number and the problem), or when there
        are more than ``max_rows`` data rows.
    """
    label_field = "label" if problem == "classification" else "target"
    rows: list[tuple[int, list[float]]] = []
    separator: str | None = None
    columns: int | None = None  # fixed by a header; otherwise 3 or 4 per row
    # Spreadsheets often start a UTF-8 export with a byte-order mark.
    for row, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if separator is None:
            separator = _separator(line)
        fields = [f.strip().strip('"').strip() for f in line.split(separator)]
        if not rows and columns is None and not _is_number(fields[0]):
            _check_header(fields, row)
            columns = len(fields)
            continue
        if len(rows) >= max_rows:
            raise DataError(f"too many rows; the limit is {max_rows} data rows", row=row)
        if columns is not None and len(fields) != columns:
            raise DataError(
                f"expected {columns} values as the header says, got {len(fields)}", row=row
            )
        if len(fields) not in (3, 4):
            raise DataError(
                f"expected 3 or 4 values (x1, x2, label[, split]), got {len(fields)}", row=row
            )
        values = [
            _parse_value(fields[0], row, "x1", separator),
            _parse_value(fields[1], row, "x2", separator),
            _parse_value(fields[2], row, label_field, separator),
        ]
        if len(fields) == 4:
            values.append(_parse_split(fields[3], row))
        rows.append((row, values))
    return dataset_from_rows(rows, problem, train_percent, validation_percent, rng)


def dataset_to_csv(dataset: Dataset) -> str:
    """Write ``dataset`` as CSV with a header and the split column, one row per point.

    Floats are written with ``repr``, which reads back to the same float, so
    ``dataset_from_csv(dataset_to_csv(d), ...)`` has the same x, y and split membership
    (the training order becomes the row order).
    """
    label = "label" if dataset.problem == "classification" else "target"
    lines = [f"x1,x2,{label},split"]
    codes = dataset.split_codes().tolist()
    for (x1, x2), y, code in zip(dataset.x.tolist(), dataset.y.tolist(), codes, strict=True):
        lines.append(f"{x1!r},{x2!r},{y!r},{SPLIT_NAMES[code]}")
    return "\n".join(lines) + "\n"
