"""Datasets: the registry of generators, the `Dataset` container and the train/val/test split.

The generators live in `engine.datasets_reference` (the reference's six; all but `gauss`
exactly, see there) and `engine.datasets_multiclass` (ours). User points come in through
`Dataset.from_points` (and `engine.userdata` for CSV), checked row by row in
`engine.datasets_points`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine import datasets_multiclass as mc
from engine import datasets_reference as ref
from engine.datasets_points import (
    SPLIT_TEST,
    SPLIT_TRAIN,
    SPLIT_VALIDATION,
    DataError,
    check_percent,
    rows_to_arrays,
    split_counts,
)

__all__ = ["DATASETS", "DataError", "Dataset", "DatasetSpec", "make_dataset", "split_indices"]

Generator = Callable[[int, float, np.random.Generator, int | None], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class DatasetSpec:
    """One entry of `DATASETS`.

    Attributes
    ----------
    name, label : str
        Wire name and display name.
    problem : str
        ``"classification"`` or ``"regression"``.
    classes : int or None
        Number of classes if fixed (2 for binary, 0 for regression); None when the
        dataset takes ``num_classes`` (2-6).
    default_points : int
        500 for classification, 1200 for regression (the reference's counts).
    generate : callable
        ``generate(n, noise, rng, num_classes) -> (x (n, 2) float64, y (n,))``, noise a
        fraction in [0, 0.8].
    """

    name: str
    label: str
    problem: str
    classes: int | None
    default_points: int
    generate: Generator


def _spec(name: str, label: str, generate: Generator, classes: int | None) -> DatasetSpec:
    problem = "regression" if classes == 0 else "classification"
    points = 1200 if problem == "regression" else 500
    return DatasetSpec(name, label, problem, classes, points, generate)


DATASETS: dict[str, DatasetSpec] = {
    s.name: s
    for s in (
        _spec("circle", "Circle", ref.circle, 2),
        _spec("xor", "Exclusive or", ref.xor, 2),
        _spec("gauss", "Gaussian", ref.gauss, 2),
        _spec("spiral", "Spiral", ref.spiral, 2),
        _spec("blobs", "Blob ring", mc.blobs, None),
        _spec("spirals", "Spiral arms", mc.spirals, None),
        _spec("moons", "Moons", mc.moons, 2),
        _spec("checkerboard", "Checkerboard", mc.checkerboard, None),
        _spec("and", "AND", mc.logic_and, 2),
        _spec("or", "OR", mc.logic_or, 2),
        _spec("plane", "Plane", ref.plane, 0),
        _spec("multi_gauss", "Multi gaussian", ref.multi_gauss, 0),
    )
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Points, targets and the split, ready for training.

    Attributes
    ----------
    x : (n, 2) float64
        Raw coordinates in [-6, 6]².
    y : (n,) int64 class index 0..K-1 (classification) or float64 target (regression).
    problem : str
        ``"classification"`` or ``"regression"``.
    num_classes : int
        K for classification, 0 for regression.
    train, val, test : int64 index arrays into x
        Disjoint, together covering every point. ``train`` is in training order.
    """

    x: np.ndarray
    y: np.ndarray
    problem: str
    num_classes: int
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def split_codes(self) -> np.ndarray:
        """(n,) int64 split of every point: 0 train, 1 test, 2 validation."""
        codes = np.empty(self.x.shape[0], dtype=np.int64)
        codes[self.train] = SPLIT_TRAIN
        codes[self.test] = SPLIT_TEST
        codes[self.val] = SPLIT_VALIDATION
        return codes

    def to_points(self) -> list[list[float | int]]:
        """JSON-able ``[[x1, x2, label, split], ...]`` in point order.

        The label is an int class index for classification, a float for regression; split
        is 0 train, 1 test, 2 validation.
        """
        labels = self.y.tolist()  # Python ints or floats, as the dtype says
        return [
            [x1, x2, label, split]
            for (x1, x2), label, split in zip(
                self.x.tolist(), labels, self.split_codes().tolist(), strict=True
            )
        ]

    @classmethod
    def from_points(
        cls,
        points: Sequence[Sequence[Any]],
        problem: str,
        train_percent: float,
        validation_percent: float,
        rng: np.random.Generator,
        num_classes: int | None = None,
    ) -> Dataset:
        """Build a dataset from user points ``[x1, x2, label]`` or ``[x1, x2, label, split]``.

        Classification labels are class indices 0..5, or -1 for class 0 (the reference's
        ±1 convention). ``num_classes`` defaults to the largest label + 1 (at least 2).
        Points without a split are assigned by the ratio with ``rng`` (see
        `engine.datasets_points.split_counts`). An empty list gives an empty dataset.

        Raises
        ------
        DataError
            For the first bad point, naming its 1-based row and the problem.
        """
        rows = enumerate(points, start=1)
        return dataset_from_rows(rows, problem, train_percent, validation_percent, rng, num_classes)


def dataset_from_rows(
    rows: Iterable[tuple[int, Any]],
    problem: str,
    train_percent: float,
    validation_percent: float,
    rng: np.random.Generator,
    num_classes: int | None = None,
) -> Dataset:
    """`Dataset.from_points` with explicit row numbers: rows of ``(row_number, point)``."""
    x, y, splits, k = rows_to_arrays(rows, problem, num_classes)
    unsplit = np.flatnonzero(splits < 0)
    n_train, n_val = split_counts(unsplit.size, train_percent, validation_percent, rng)
    order = unsplit[rng.permutation(unsplit.size)]
    splits[order[: n_train - n_val]] = SPLIT_TRAIN
    splits[order[n_train - n_val : n_train]] = SPLIT_VALIDATION
    splits[order[n_train:]] = SPLIT_TEST
    # Points that came with a split keep their row order; the assigned ones follow, shuffled.
    explicit = np.setdiff1d(np.arange(x.shape[0]), unsplit)
    ordered = np.concatenate((explicit, order))

    def members(code: int) -> np.ndarray:
        return ordered[splits[ordered] == code].astype(np.int64)

    return Dataset(
        x, y, problem, k, members(SPLIT_TRAIN), members(SPLIT_VALIDATION), members(SPLIT_TEST)
    )


def split_indices(
    n: int, train_percent: float, validation_percent: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle once and split, as the reference does (250/250 at 500 points and 50 %).

    Parameters
    ----------
    n : number of points
    train_percent : 0-100; train gets the first floor(n·train_percent/100) of the permutation
    validation_percent : 0-100; the last round(len(train)·validation_percent/100) of those
        (halves rounded up) are taken out of train as the validation set
    rng : the data stream; one ``rng.permutation(n)`` is drawn

    Returns
    -------
    train, val, test : int64 index arrays, disjoint, covering range(n); train in the
        shuffled order the reference trains in.
    """
    check_percent("train_percent", train_percent)
    check_percent("validation_percent", validation_percent)
    perm = rng.permutation(n).astype(np.int64)
    n_train = int(n * train_percent // 100)
    n_val = int(np.floor(n_train * validation_percent / 100 + 0.5))
    return perm[: n_train - n_val], perm[n_train - n_val : n_train], perm[n_train:]


def make_dataset(
    name: str,
    n: int,
    noise_percent: int,
    num_classes: int | None,
    train_percent: float,
    validation_percent: float,
    rng: np.random.Generator,
) -> Dataset:
    """Generate a registered dataset and split it; the same rng state gives the same data.

    Parameters
    ----------
    name : a key of `DATASETS`
    n : number of points (>= 0)
    noise_percent : 0-80; the generator gets noise_percent/100
    num_classes : 2-6 for blobs, spirals and checkerboard; ignored by the others
    train_percent, validation_percent, rng : as `split_indices`

    Raises
    ------
    ValueError
        Naming the parameter and its allowed values.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; allowed: {', '.join(DATASETS)}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if (
        isinstance(noise_percent, bool)
        or not isinstance(noise_percent, int | float | np.number)
        or not 0 <= noise_percent <= 80
    ):
        raise ValueError(f"noise_percent must be from 0 to 80, got {noise_percent!r}")
    spec = DATASETS[name]
    x, y = spec.generate(int(n), noise_percent / 100, rng, num_classes)
    k = spec.classes if spec.classes is not None else int(num_classes)
    train, val, test = split_indices(int(n), train_percent, validation_percent, rng)
    return Dataset(x, y, spec.problem, k, train, val, test)
