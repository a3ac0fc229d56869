"""A dataset as the network sees it, and where a trainer's datasets come from.

`PreparedData` holds the feature matrix and target rows of every point once per data
change, ordered train | val | test so each split is a slice, plus the contiguous buffers
one epoch's shuffled training rows are gathered into.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.config import Config
from engine.datasets import Dataset, make_dataset
from engine.features import feature_matrix
from engine.losses import Head
from engine.options import CUSTOM_DATASET

Array = np.ndarray


class PreparedData:
    """Network inputs and targets of a dataset.

    Attributes
    ----------
    dataset : Dataset
        The source.
    x : (n, F) float64
        Features of every point, rows ordered train | val | test.
    t : (n, units) float64
        Target rows (`head.targets` of the labels), same order.
    y : (n,)
        Labels, same order.
    splits : dict of str to slice
        The rows of "train", "val" and "test".
    epoch_x, epoch_t : (n_train, F), (n_train, units) float64
        This epoch's training rows, in `epoch_order`, while an epoch is under way (an epoch
        trained in a cohort gathers its rows into the cohort's stacked buffers instead and
        leaves these holding an older epoch's: nothing reads them between epochs).
    epoch_order : (n_train,) int
        The order, as indices into the training rows.
    input_affine : ((F,), (F,)) float64, or None
        (factor, offset): the network sees feature·factor + offset (None: the features as
        they are). See `input_affine`.
    """

    def __init__(
        self,
        dataset: Dataset,
        features: tuple[str, ...],
        head: Head,
        inputs: tuple[float, float, bool] = (1.0, 0.0, False),
    ) -> None:
        self.dataset = dataset
        order = np.concatenate((dataset.train, dataset.val, dataset.test)).astype(np.int64)
        raw = feature_matrix(dataset.x[order], features)
        n_train = len(dataset.train)
        self.input_affine = input_affine(raw[:n_train], *inputs)
        if self.input_affine is None:
            self.x = raw
        else:
            factor, offset = self.input_affine
            self.x = raw * factor + offset
        self.t = head.targets(dataset.y[order]) if order.size else np.zeros((0, head.units))
        self.y = dataset.y[order]
        n_train, n_val = len(dataset.train), len(dataset.val)
        self.splits = {
            "train": slice(0, n_train),
            "val": slice(n_train, n_train + n_val),
            "test": slice(n_train + n_val, len(order)),
        }
        self.epoch_x = np.empty((n_train, self.x.shape[1]))
        self.epoch_t = np.empty((n_train, head.units))
        self.gather(np.arange(n_train))

    @property
    def n_train(self) -> int:
        """Number of training points."""
        return self.epoch_x.shape[0]

    def rows(self, split: str) -> tuple[Array, Array]:
        """(features, targets) views of one split: (m, F), (m, units)."""
        rows = self.splits[split]
        return self.x[rows], self.t[rows]

    def gather(self, order: Array) -> None:
        """Copy the training rows into the epoch buffers in `order` (n_train,)."""
        rows = self.splits["train"]
        self.epoch_order = order
        # (The methods: np.take's Python wrapper costs as much as the copy, every epoch.)
        self.x[rows].take(order, 0, self.epoch_x)
        self.t[rows].take(order, 0, self.epoch_t)


def input_affine(
    train_features: Array, scale: float, shift: float, standardize: bool
) -> tuple[Array, Array] | None:
    """The per-feature (factor, offset) that turns features into network inputs.

    Every feature f becomes f·scale + shift (`input_scale`, `input_shift`: the
    input-scaling lesson's badly scaled or shifted inputs); with `standardize`, that is
    then z-scored with the mean and standard deviation of the training rows (a constant
    column is only centred), so the result does not depend on scale and shift at all.

    Parameters
    ----------
    train_features : (n_train, F) float64
        The features of the training points (the statistics come from these alone).

    Returns
    -------
    None for the identity (scale 1, shift 0, no standardising), else two (F,) arrays.
    """
    columns = train_features.shape[1]
    factor = np.full(columns, float(scale))
    offset = np.full(columns, float(shift))
    if standardize:
        if len(train_features):
            mean = train_features.mean(axis=0) * scale + shift
            std = train_features.std(axis=0) * abs(scale)
        else:
            mean, std = np.zeros(columns), np.ones(columns)
        std = np.where(std > 1e-12, std, 1.0)
        factor, offset = factor / std, (offset - mean) / std
    elif scale == 1.0 and shift == 0.0:
        return None
    return factor, offset


def generate(cfg: Config) -> Dataset:
    """The config's dataset from `cfg.data_seed` (an empty one for "custom")."""
    rng = np.random.default_rng(cfg.data_seed)
    if cfg.dataset == CUSTOM_DATASET:
        return Dataset.from_points(
            [], cfg.problem, cfg.train_percent, cfg.validation_percent, rng, cfg.num_classes
        )
    return make_dataset(
        cfg.dataset,
        cfg.points(),
        cfg.noise,
        cfg.num_classes,
        cfg.train_percent,
        cfg.validation_percent,
        rng,
    )


def resplit(dataset: Dataset, cfg: Config) -> Dataset:
    """The same points with a new split by the config's percentages and `data_seed`."""
    points = [
        [x1, x2, label]
        for (x1, x2), label in zip(dataset.x.tolist(), dataset.y.tolist(), strict=True)
    ]
    rng = np.random.default_rng(cfg.data_seed)
    return Dataset.from_points(
        points,
        dataset.problem,
        cfg.train_percent,
        cfg.validation_percent,
        rng,
        dataset.num_classes or None,
    )


def config_for(cfg: Config, dataset: Dataset) -> Config:
    """`cfg` describing user data: dataset "custom", its problem and number of classes."""
    changes: dict[str, Any] = {"dataset": CUSTOM_DATASET, "problem": dataset.problem}
    if dataset.problem == "classification":
        changes["num_classes"] = max(2, min(6, dataset.num_classes))
    return cfg.replace(**changes)
