"""`Config`: every option of a run, validated field by field and across fields."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.datasets import DATASETS
from engine.options import (
    CUSTOM_DATASET,
    DEFAULT_DATASET,
    FIELD_BY_NAME,
    ConfigError,
    parse_value,
)


@dataclass(frozen=True)
class Config:
    """All options of a run (wire names; see docs/engine.md for bounds).

    Build with `Config(...)`, `Config.from_dict(d, base)` or `cfg.replace(...)`; all three
    validate. Lists are stored as tuples so a Config is immutable and hashable.
    """

    problem: str = "classification"
    dataset: str = "circle"
    num_classes: int = 2
    num_points: int | None = None
    noise: int = 0
    train_percent: int = 50
    validation_percent: int = 0
    data_seed: int = 0
    features: tuple[str, ...] = ("x1", "x2")
    standardize: bool = False
    input_scale: float = 1.0
    input_shift: float = 0.0
    hidden: tuple[int, ...] = (4, 2)
    activation: str | tuple[str, ...] = "tanh"
    loss: str = "square"
    init: str = "uniform"
    seed: int = 0
    dropout: float | tuple[float, ...] = 0.0
    learning_rate: float = 0.03
    batch_size: int = 10
    shuffle: bool = True
    regularization: str = "none"
    regularization_rate: float = 0.0
    optimizer: str = "sgd"
    momentum: float = 0.9
    nesterov: bool = False
    rho: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    weight_decay: float = 0.01
    schedule: str = "constant"
    schedule_step: int = 100
    schedule_gamma: float = 0.5
    schedule_patience: int = 10
    schedule_min_lr: float = 0.0
    early_stopping: bool = False
    patience: int = 50
    restore_best: bool = True
    stop_at: int | None = None

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = parse_value(FIELD_BY_NAME[f.name], getattr(self, f.name))
            object.__setattr__(self, f.name, value)
        _check_across_fields(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], base: Config | None = None) -> Config:
        """Validate a (partial) dict of wire-named fields over `base` (default: defaults).

        Raises
        ------
        ConfigError
            For an unknown field, a value out of range, or inconsistent fields.
        """
        if not isinstance(d, Mapping):
            raise ConfigError("config", "an object of config fields", d)
        base = base if base is not None else cls()
        return cls(**_merge(base, d))

    def replace(self, **changes: Any) -> Config:
        """A copy with `changes` applied, validated like `from_dict`."""
        return Config.from_dict(changes, base=self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of every field (tuples become lists)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def activations(self) -> tuple[str, ...]:
        """One activation name per hidden layer."""
        if isinstance(self.activation, str):
            return (self.activation,) * len(self.hidden)
        return self.activation

    def dropouts(self) -> tuple[float, ...]:
        """One dropout rate per hidden layer."""
        if isinstance(self.dropout, tuple):
            return self.dropout
        return (self.dropout,) * len(self.hidden)

    def points(self) -> int:
        """How many points to generate: `num_points`, or the dataset's default."""
        if self.num_points is not None:
            return self.num_points
        spec = DATASETS.get(self.dataset)
        if spec is not None:
            return spec.default_points
        return 500 if self.problem == "classification" else 1200

    def classes(self) -> int:
        """Number of classes a generated dataset has (0 for regression)."""
        if self.problem == "regression":
            return 0
        spec = DATASETS.get(self.dataset)
        if spec is not None and spec.classes is not None:
            return spec.classes
        return self.num_classes


def _merge(base: Config, d: Mapping[str, Any]) -> dict[str, Any]:
    """Base fields overlaid with `d`, with the follow-on edits a UI expects."""
    for name in d:
        if name not in FIELD_BY_NAME:
            raise ConfigError(str(name), "a config field (one of " + ", ".join(FIELD_BY_NAME) + ")")
    merged = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    merged.update(d)
    problem = parse_value(FIELD_BY_NAME["problem"], merged["problem"])
    if "problem" in d and "dataset" not in d and not _dataset_fits(base.dataset, problem):
        merged["dataset"] = DEFAULT_DATASET[problem]
    if "problem" in d and "loss" not in d and problem == "regression":
        merged["loss"] = "square"
    if "hidden" in d:
        depth = len(parse_value(FIELD_BY_NAME["hidden"], d["hidden"]))
        for name in ("activation", "dropout"):
            if name not in d and isinstance(merged[name], tuple):
                merged[name] = _resized(merged[name], depth, FIELD_BY_NAME[name].default)
    return merged


def _resized(values: tuple[Any, ...], depth: int, default: Any) -> tuple[Any, ...]:
    """A per-layer list cut, or padded with its last entry, to `depth` layers."""
    pad = values[-1] if values else default
    return (values + (pad,) * depth)[:depth]


def _dataset_fits(dataset: str, problem: str) -> bool:
    return dataset == CUSTOM_DATASET or DATASETS[dataset].problem == problem


def _check_across_fields(cfg: Config) -> None:
    if not _dataset_fits(cfg.dataset, cfg.problem):
        fitting = [n for n, s in DATASETS.items() if s.problem == cfg.problem]
        raise ConfigError(
            "dataset", f"a {cfg.problem} dataset (one of {', '.join(fitting)}, custom)", cfg.dataset
        )
    depth = len(cfg.hidden)
    for name in ("activation", "dropout"):
        value = getattr(cfg, name)
        if isinstance(value, tuple) and len(value) != depth:
            raise ConfigError(name, f"a single value or a list of {depth} (one per hidden layer)")
    if cfg.problem == "regression" and cfg.loss != "square":
        raise ConfigError("loss", "square for a regression problem", cfg.loss)
    if cfg.loss == "binary_cross_entropy" and cfg.dataset != CUSTOM_DATASET and cfg.classes() != 2:
        raise ConfigError("loss", "square or cross_entropy for more than 2 classes", cfg.loss)
    if cfg.optimizer == "perceptron" and (cfg.hidden or cfg.problem != "classification"):
        raise ConfigError(
            "optimizer",
            "a gradient optimizer (sgd, momentum, rmsprop, adam, adamw): the perceptron rule "
            "trains a classifier with no hidden layer (hidden = [])",
            cfg.optimizer,
        )
    if cfg.early_stopping and cfg.validation_percent == 0:
        raise ConfigError("early_stopping", "false while validation_percent is 0")
