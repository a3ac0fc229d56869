"""Playground engine: a pure NumPy library that trains small MLPs on 2-D data.

See docs/engine.md for the contract. No I/O, no web framework, no global RNG.
"""

from engine.activations import ACTIVATIONS
from engine.compare import Variants
from engine.config import Config
from engine.datasets import DATASETS, DataError, Dataset
from engine.features import FEATURES
from engine.grid import Grid
from engine.history import HISTORY_POINTS
from engine.initializers import INITIALIZERS
from engine.losses import LOSSES
from engine.metrics import METRIC_NAMES, metric_value
from engine.optimizers import OPTIMIZERS
from engine.options import DATA_FIELDS, LIVE_FIELDS, NETWORK_FIELDS, OPTIONS, ConfigError
from engine.regularization import REGULARIZERS
from engine.schedules import SCHEDULES
from engine.trace import trace_step
from engine.trainer import Trainer
from engine.userdata import dataset_from_csv

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "DATA_FIELDS",
    "FEATURES",
    "HISTORY_POINTS",
    "INITIALIZERS",
    "LIVE_FIELDS",
    "LOSSES",
    "METRIC_NAMES",
    "NETWORK_FIELDS",
    "OPTIMIZERS",
    "OPTIONS",
    "REGULARIZERS",
    "SCHEDULES",
    "Config",
    "ConfigError",
    "DataError",
    "Dataset",
    "Grid",
    "Trainer",
    "Variants",
    "dataset_from_csv",
    "metric_value",
    "trace_step",
]
