"""Every option of a run: one declarative field table drives validation and `OPTIONS`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.activations import ACTIVATIONS
from engine.datasets import DATASETS
from engine.features import FEATURES
from engine.initializers import INITIALIZERS
from engine.losses import LOSSES
from engine.optimizers import OPTIMIZERS
from engine.regularization import REGULARIZERS
from engine.schedules import SCHEDULES

SEED_MAX = 2**32 - 1
MAX_HIDDEN_LAYERS = 16
MAX_NEURONS = 64
CUSTOM_DATASET = "custom"
PROBLEMS = ("classification", "regression")
DEFAULT_DATASET = {"classification": "circle", "regression": "plane"}


class ConfigError(ValueError):
    """A config value outside its allowed range or choices.

    `field` is the wire name, `allowed` a human description of what is accepted.
    """

    def __init__(self, field: str, allowed: str, got: Any = None) -> None:
        self.field = field
        self.allowed = allowed
        shown = "" if got is None else f" (got {got!r})"
        super().__init__(f"{field}: must be {allowed}{shown}")


@dataclass(frozen=True)
class Field:
    """One row of the option table: how a field is typed, bounded and applied."""

    name: str
    type: str  # "int" | "float" | "bool" | "str" | "list[str]" | "list[int]" | ...
    default: Any
    kind: str  # "live" | "data" | "network"
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] | None = None
    nullable: bool = False
    doc: str = ""


def _keys(registry: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(registry)


FIELDS: tuple[Field, ...] = (
    Field("problem", "str", "classification", "data", choices=PROBLEMS),
    Field("dataset", "str", "circle", "data", choices=(*_keys(DATASETS), CUSTOM_DATASET)),
    Field("num_classes", "int", 2, "data", 2, 6, doc="blobs, spirals, checkerboard"),
    Field(
        "num_points",
        "int",
        None,
        "data",
        20,
        2000,
        nullable=True,
        doc="null: the dataset's default (500 classification, 1200 regression)",
    ),
    Field("noise", "int", 0, "data", 0, 80, doc="percent"),
    Field("train_percent", "int", 50, "data", 10, 90),
    Field("validation_percent", "int", 0, "data", 0, 50, doc="percent of the training points"),
    Field("data_seed", "int", 0, "data", 0, SEED_MAX),
    Field("features", "list[str]", ("x1", "x2"), "network", choices=_keys(FEATURES)),
    Field(
        "standardize",
        "bool",
        False,
        "network",
        doc="z-score every input with the training points' mean and standard deviation",
    ),
    Field(
        "input_scale",
        "float",
        1.0,
        "network",
        0.01,
        100.0,
        doc="every input is multiplied by this (before standardizing)",
    ),
    Field(
        "input_shift",
        "float",
        0.0,
        "network",
        -100.0,
        100.0,
        doc="and then this is added (before standardizing)",
    ),
    Field(
        "hidden",
        "list[int]",
        (4, 2),
        "network",
        1,
        MAX_NEURONS,
        doc=f"0-{MAX_HIDDEN_LAYERS} layers",
    ),
    Field("activation", "str|list[str]", "tanh", "network", choices=_keys(ACTIVATIONS)),
    Field("loss", "str", "square", "network", choices=_keys(LOSSES)),
    Field("init", "str", "uniform", "network", choices=_keys(INITIALIZERS)),
    Field("seed", "int", 0, "network", 0, SEED_MAX),
    Field("dropout", "float|list[float]", 0.0, "network", 0.0, 0.9),
    Field("learning_rate", "float", 0.03, "live", 1e-6, 10.0),
    Field("batch_size", "int", 10, "live", 1, 2000, doc="clipped to the training set size"),
    Field("shuffle", "bool", True, "live"),
    Field("regularization", "str", "none", "live", choices=_keys(REGULARIZERS)),
    Field("regularization_rate", "float", 0.0, "live", 0.0, 10.0),
    Field("optimizer", "str", "sgd", "live", choices=_keys(OPTIMIZERS)),
    Field("momentum", "float", 0.9, "live", 0.0, 0.999),
    Field("nesterov", "bool", False, "live"),
    Field("rho", "float", 0.9, "live", 0.0, 0.9999, doc="rmsprop decay"),
    Field("beta1", "float", 0.9, "live", 0.0, 0.999),
    Field("beta2", "float", 0.999, "live", 0.0, 0.9999),
    Field("epsilon", "float", 1e-8, "live", 1e-12, 1e-1),
    Field("weight_decay", "float", 0.01, "live", 0.0, 1.0),
    Field("schedule", "str", "constant", "live", choices=_keys(SCHEDULES)),
    Field("schedule_step", "int", 100, "live", 1, 100000),
    Field("schedule_gamma", "float", 0.5, "live", 0.01, 1.0),
    Field("schedule_patience", "int", 10, "live", 1, 10000),
    Field("schedule_min_lr", "float", 0.0, "live", 0.0, 10.0),
    Field("early_stopping", "bool", False, "live", doc="needs validation_percent > 0"),
    Field("patience", "int", 50, "live", 1, 100000),
    Field("restore_best", "bool", True, "live"),
    Field(
        "stop_at",
        "int",
        None,
        "live",
        1,
        1_000_000,
        nullable=True,
        doc="play pauses by itself on reaching this epoch (empty: never)",
    ),
)
FIELD_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

# What a person reads for each field (the page shows these, never the wire names).
LABELS: dict[str, str] = {
    "problem": "Problem type",
    "dataset": "Dataset",
    "num_classes": "Classes",
    "num_points": "Number of points",
    "noise": "Noise",
    "train_percent": "Ratio of training to test data",
    "validation_percent": "Validation share of the training data",
    "data_seed": "Data seed",
    "features": "Features",
    "standardize": "Standardize the inputs",
    "input_scale": "Input scale",
    "input_shift": "Input shift",
    "hidden": "Hidden layers",
    "activation": "Activation",
    "loss": "Loss",
    "init": "Initial weights",
    "seed": "Weights seed",
    "dropout": "Dropout",
    "learning_rate": "Learning rate",
    "batch_size": "Batch size",
    "shuffle": "Shuffle every epoch",
    "regularization": "Regularization",
    "regularization_rate": "Regularization rate",
    "optimizer": "Optimizer",
    "momentum": "Momentum",
    "nesterov": "Nesterov momentum",
    "rho": "RMSprop decay",
    "beta1": "Adam β₁",
    "beta2": "Adam β₂",
    "epsilon": "Epsilon",
    "weight_decay": "Weight decay",
    "schedule": "Learning rate schedule",
    "schedule_step": "Schedule period (epochs)",
    "schedule_gamma": "Schedule factor",
    "schedule_patience": "Plateau patience (epochs)",
    "schedule_min_lr": "Lowest learning rate",
    "early_stopping": "Stop early",
    "patience": "Early stopping patience (epochs)",
    "restore_best": "Restore the best weights",
    "stop_at": "Pause at epoch",
}

LIVE_FIELDS = frozenset(f.name for f in FIELDS if f.kind == "live")
DATA_FIELDS = frozenset(f.name for f in FIELDS if f.kind == "data")
NETWORK_FIELDS = frozenset(f.name for f in FIELDS if f.kind == "network")
INPUT_FIELDS = frozenset({"features", "standardize", "input_scale", "input_shift"})
"""Network fields that also change what the network is fed (the prepared inputs)."""
# Data fields whose change starts the run over (new weights, epoch 0), as the reference does.
RESTART_FIELDS = frozenset({"problem", "dataset"})


def _option(f: Field) -> dict[str, Any]:
    default = list(f.default) if isinstance(f.default, tuple) else f.default
    entry: dict[str, Any] = {
        "name": f.name,
        "label": LABELS[f.name],
        "type": f.type,
        "default": default,
        "kind": f.kind,
    }
    if f.lo is not None:
        entry["min"], entry["max"] = f.lo, f.hi
    if f.choices is not None:
        entry["choices"] = list(f.choices)
    if f.nullable:
        entry["nullable"] = True
    if f.name == "hidden":
        entry["max_layers"] = MAX_HIDDEN_LAYERS
    if f.name == "dataset":
        entry["problems"] = {name: spec.problem for name, spec in DATASETS.items()}
        entry["choice_labels"] = {name: spec.label for name, spec in DATASETS.items()}
        entry["choice_labels"][CUSTOM_DATASET] = "Your data"
    if f.doc:
        entry["doc"] = f.doc
    return entry


OPTIONS: dict[str, dict[str, Any]] = {f.name: _option(f) for f in FIELDS}
"""JSON-able description of every field, keyed by wire name (published by the server)."""


def _number_text(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _range_text(f: Field, what: str) -> str:
    return f"{what} from {_number_text(f.lo)} to {_number_text(f.hi)}"


def _choices_text(choices: tuple[str, ...]) -> str:
    return "one of " + ", ".join(choices)


def _int(f: Field, v: Any, name: str | None = None) -> int:
    allowed = _range_text(f, "an integer")
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ConfigError(name or f.name, allowed, v)
    if isinstance(v, float) and not v.is_integer():
        raise ConfigError(name or f.name, allowed, v)
    v = int(v)
    if not f.lo <= v <= f.hi:
        raise ConfigError(name or f.name, allowed, v)
    return v


def _float(f: Field, v: Any) -> float:
    allowed = _range_text(f, "a number")
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ConfigError(f.name, allowed, v)
    v = float(v)
    # NaN fails both comparisons, so it is rejected here too.
    if not f.lo <= v <= f.hi:
        raise ConfigError(f.name, allowed, v)
    return v


def _choice(f: Field, v: Any) -> str:
    if not isinstance(v, str) or v not in f.choices:
        raise ConfigError(f.name, _choices_text(f.choices), v)
    return v


def _list(f: Field, v: Any, allowed: str) -> list[Any]:
    if not isinstance(v, list | tuple):
        raise ConfigError(f.name, allowed, v)
    return list(v)


def parse_value(f: Field, v: Any) -> Any:
    """Check one field's value in isolation and return its canonical form.

    Raises
    ------
    ConfigError
        Naming the field and its allowed range or choices.
    """
    if v is None and f.nullable:
        return None
    if f.type == "int":
        return _int(f, v)
    if f.type == "float":
        return _float(f, v)
    if f.type == "bool":
        if not isinstance(v, bool):
            raise ConfigError(f.name, "true or false", v)
        return v
    if f.type == "str":
        return _choice(f, v)
    if f.name == "features":
        allowed = "a non-empty list of distinct features, each " + _choices_text(f.choices)
        items = _list(f, v, allowed)
        if not items or len(set(items)) != len(items) or not set(items) <= set(f.choices):
            raise ConfigError(f.name, allowed, v)
        # Canonical (registry) order, so the same feature set always builds the same network.
        return tuple(name for name in f.choices if name in items)
    if f.name == "hidden":
        allowed = f"a list of 0-{MAX_HIDDEN_LAYERS} layer sizes, each from 1 to {MAX_NEURONS}"
        items = _list(f, v, allowed)
        if len(items) > MAX_HIDDEN_LAYERS:
            raise ConfigError(f.name, allowed, v)
        for item in items:
            if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= f.hi:
                raise ConfigError(f.name, allowed, v)
        return tuple(items)
    if f.name == "activation":
        if isinstance(v, str):
            return _choice(f, v)
        allowed = _choices_text(f.choices) + ", or a list of them (one per hidden layer)"
        return tuple(_choice(f, item) for item in _list(f, v, allowed))
    if f.name == "dropout":
        if isinstance(v, list | tuple):
            return tuple(_float(f, item) for item in v)
        return _float(f, v)
    raise AssertionError(f"no parser for field {f.name}")
