"""`Trainer`: the whole state of one run (config, data, network, optimizer, RNG, history)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from engine import loop, metrics, regularization, state
from engine.activations import ACTIVATIONS
from engine.config import Config
from engine.datasets import Dataset
from engine.features import feature_matrix
from engine.grid import Grid, evaluate_grid
from engine.history import History
from engine.initializers import INITIALIZERS
from engine.losses import LOSSES, Head
from engine.network import Network
from engine.optimizers import OPTIMIZERS
from engine.options import (
    CUSTOM_DATASET,
    DATA_FIELDS,
    INPUT_FIELDS,
    NETWORK_FIELDS,
    RESTART_FIELDS,
    ConfigError,
)
from engine.prepared import PreparedData, config_for, generate, resplit
from engine.schedules import SCHEDULES
from engine.watch import Watch


def _streams(seed: int) -> tuple[np.random.Generator, ...]:
    """Independent (init, dropout, shuffle) generators of the network seed."""
    return tuple(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))


class Trainer:
    """Trains one network on one dataset; see docs/engine.md for the contract.

    Parameters
    ----------
    config : Config, optional
        Defaults to `Config()`.
    dataset : Dataset, optional
        User data; None generates `config.dataset` from `config.data_seed`.
    """

    def __init__(self, config: Config | None = None, dataset: Dataset | None = None) -> None:
        config = config if config is not None else Config()
        if dataset is None:
            dataset = generate(config)
        else:
            config = config_for(config, dataset)
        self._setup(config, dataset)

    def _setup(self, config: Config, dataset: Dataset) -> None:
        self.config = config
        self.epoch = 0  # completed epochs
        self.status = "ok"  # "ok" | "diverged" | "early_stopped"
        self.status_message = ""  # human explanation of a non-ok status
        self._use_data(dataset)
        self._build()

    # ----- building -------------------------------------------------------------------

    def _use_data(self, dataset: Dataset) -> None:
        """Adopt `dataset` (prepared for the config's features and loss head)."""
        cfg = self.config
        if cfg.loss == "binary_cross_entropy" and dataset.num_classes > 2:
            raise ConfigError("loss", "square or cross_entropy for more than 2 classes", cfg.loss)
        self.dataset = dataset
        self.head: Head = LOSSES[cfg.loss].head(dataset.problem, dataset.num_classes)
        inputs = (cfg.input_scale, cfg.input_shift, cfg.standardize)
        self.data = PreparedData(dataset, cfg.features, self.head, inputs)
        self._cursor = 0  # training rows of the current epoch already used
        self._watch = Watch()  # divergence / collapse bookkeeping (new data, new start)
        self._clear_best()

    def _build(self) -> None:
        """A new network of the config's shape, initialised from `config.seed`."""
        cfg = self.config
        sizes = (len(cfg.features), *cfg.hidden, self.head.units)
        activations = [ACTIVATIONS[name] for name in cfg.activations()]
        self.network = Network(sizes, activations, self.head, cfg.dropouts())
        self._backup = np.empty_like(self.network.params)  # params when the epoch started
        self.reset()

    def reset(self) -> None:
        """Weights from `config.seed` again; epoch 0, history and optimizer cleared; data kept."""
        cfg = self.config
        init_rng, self._dropout_rng, self._shuffle_rng = _streams(cfg.seed)
        self.network.initialize(INITIALIZERS[cfg.init], init_rng)
        self.epoch = 0
        self._history = History()  # per-epoch losses, decimated to a bounded length
        self._new_optimizer()
        self.schedule = SCHEDULES[cfg.schedule]()
        self._cursor = 0
        self._watch = Watch()
        self._clear_best()
        self._set_status("ok", "")

    def _new_optimizer(self) -> None:
        net = self.network
        self.optimizer = OPTIMIZERS[self.config.optimizer](net.params.size, net.weight_count)
        self._weights_before = np.empty(net.weight_count)
        self._reg_scratch = regularization.RegularizationScratch(net.weight_count)

    def _clear_best(self) -> None:
        self._best_val = math.inf  # lowest validation loss so far (early stopping)
        self._best_epoch = self.epoch
        self._best_params: np.ndarray | None = None

    def _set_status(self, status: str, message: str) -> None:
        self.status, self.status_message = status, message
        if status == "ok":
            self._watch.kind, self._watch.stuck = None, 0

    # ----- changing things ------------------------------------------------------------

    def configure(self, changes: dict[str, Any]) -> dict[str, bool]:
        """Validate and apply `changes`; returns {"data": bool, "network": bool} rebuilt.

        Live fields apply at once without losing weights, optimizer state or epoch. Data
        fields regenerate the data (the network is kept unless its shape changes, or the
        dataset or problem changes); network fields build a new network (epoch 0).
        """
        old = self.config
        new = Config.from_dict(changes, base=old)
        changed = {
            f.name for f in dataclasses.fields(new) if getattr(new, f.name) != getattr(old, f.name)
        }
        rebuilt = {"data": False, "network": False}
        if not changed:
            return rebuilt
        self.config = new
        if changed & (DATA_FIELDS | INPUT_FIELDS) or "loss" in changed:
            old_head = self.head
            try:
                self._use_data(self._regenerated(old, new, changed))
            except ValueError:
                self.config = old
                raise
            rebuilt["data"] = bool(changed & DATA_FIELDS)
            # Another dataset is another problem: start over at epoch 0, as the reference.
            if not self._head_fits(old_head) or changed & RESTART_FIELDS:
                changed.add("hidden")  # forces the rebuild below
        if changed & NETWORK_FIELDS:
            self._build()
            rebuilt["network"] = True
            return rebuilt
        if "optimizer" in changed:
            self._new_optimizer()
        if "schedule" in changed:
            self.schedule = SCHEDULES[new.schedule]()
        if "early_stopping" in changed or self.status == "early_stopped":
            self._clear_best()  # a fresh patience window, or training stops again at once
        self._set_status("ok", "")
        return rebuilt

    def _regenerated(self, old: Config, new: Config, changed: set[str]) -> Dataset:
        """The dataset after a config change (the same one if no data field changed)."""
        if not changed & DATA_FIELDS:
            return self.dataset
        same_points = old.dataset == CUSTOM_DATASET and old.problem == new.problem
        if new.dataset == CUSTOM_DATASET and same_points:
            return resplit(self.dataset, new)
        return generate(new)

    def regenerate(self, data_seed: int) -> None:
        """New data from `data_seed`; the network, epoch and history are kept."""
        cfg = self.config.replace(data_seed=data_seed)
        dataset = resplit(self.dataset, cfg) if cfg.dataset == CUSTOM_DATASET else generate(cfg)
        self.config = cfg
        self._use_data(dataset)

    def set_dataset(self, dataset: Dataset) -> None:
        """Train on user data (`config.dataset` becomes "custom").

        The network is kept when the input and output shapes allow, else rebuilt.
        """
        old_config, old_head = self.config, self.head
        self.config = config_for(self.config, dataset)
        try:
            self._use_data(dataset)
        except ValueError:
            self.config = old_config
            raise
        if not self._head_fits(old_head):
            self._build()

    def _head_fits(self, old_head: Head) -> bool:
        """Whether the network (built for `old_head`) can keep its weights with the new head."""
        if type(self.head) is not type(old_head) or self.head.units != old_head.units:
            return False
        self.network.head = self.head
        return True

    def set_weight(self, layer: int, source: int, target: int, value: float) -> None:
        """Set W[layer][source, target] (see docs/engine.md for the indexing)."""
        w = self.network.weights[_index("layer", layer, self.network.depth)]
        w[_index("source", source, w.shape[0]), _index("target", target, w.shape[1])] = _finite(
            value
        )

    def set_bias(self, layer: int, neuron: int, value: float) -> None:
        """Set b[layer][neuron]."""
        b = self.network.biases[_index("layer", layer, self.network.depth)]
        b[_index("neuron", neuron, b.shape[0])] = _finite(value)

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Copies of (W (d_in, d_out), b (d_out,)) per layer."""
        net = self.network
        return [(w.copy(), b.copy()) for w, b in zip(net.weights, net.biases, strict=True)]

    @property
    def history(self) -> dict[str, list[Any]]:
        """Losses of the epochs in "epochs" (at most `HISTORY_POINTS`, uniformly spaced).

        The caller must not modify the lists; they grow (and are halved) as training runs.
        """
        return self._history.series

    @property
    def batch_position(self) -> int:
        """Training points already used in the current epoch (0 at an epoch's start).

        Between 0 and ``len(dataset.train) - 1``: finishing a pass starts the next epoch at 0.
        """
        return self._cursor

    @property
    def divergence(self) -> str | None:
        """Why training stopped as "diverged": "nonfinite", "exploded", "collapsed" (else None)."""
        return self._watch.kind

    @property
    def last_losses(self) -> dict[str, Any] | None:
        """{"epoch", "train_loss", "test_loss", "val_loss"} of the latest epoch, or None."""
        return self._history.last

    # ----- the rest lives in one module per concept ---------------------------------

    def train_epochs(self, n: int) -> int:
        """Train up to `n` epochs; returns how many ran (fewer on divergence or early stop).

        `config.stop_at` does not limit this (it is where a player pauses): see
        `epochs_to_stop`.
        """
        return loop.train_epochs(self, n)

    def epochs_to_stop(self) -> int | None:
        """Epochs left before `config.stop_at` (0 there or past it; None without one)."""
        stop_at = self.config.stop_at
        return None if stop_at is None else max(0, stop_at - self.epoch)

    def train_batches(self, n: int) -> int:
        """Train `n` mini-batches; the epoch advances when a pass over the data completes."""
        return loop.train_batches(self, n)

    def metrics(self) -> dict[str, Any]:
        """JSON-able metrics of the current weights (keys in docs/engine.md)."""
        return metrics.metrics(self)

    def predict(self, points: Any, classes: bool = False) -> np.ndarray:
        """The network's output at raw points, without dropout.

        Parameters
        ----------
        points : (n, 2) array-like
            Raw coordinates (x1, x2); the trainer computes its input features from them.
        classes : bool
            Return the predicted class (n,) int64 instead (classification only).

        Returns
        -------
        (n, units) float64 outputs of the head (probabilities for softmax), or (n,) classes.
        """
        x = np.asarray(points, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"points must have shape (n, 2), got {x.shape}")
        if classes and self.dataset.problem != "classification":
            raise ValueError("classes=True needs a classification problem")
        with np.errstate(all="ignore"):  # a diverged network gives inf/nan, not warnings
            inputs = feature_matrix(x, self.config.features)
            if self.data.input_affine is not None:  # what the network was trained on
                factor, offset = self.data.input_affine
                inputs = inputs * factor + offset
            out = self.network.evaluate(inputs)
        return self.head.predict(out) if classes else out

    def grid(self, n: int = 100) -> Grid:
        """Evaluate the output and every neuron on an n×n grid over [-6, 6]²."""
        return evaluate_grid(self.network, self.config.features, n, self.data.input_affine)

    def _repr_png_(self) -> bytes | None:
        """Jupyter shows a trainer as its map and loss curve (`engine.plot`; needs matplotlib)."""
        from engine import plot  # matplotlib is optional: imported on first display only

        return plot.png(self)

    def export_state(self) -> dict[str, Any]:
        """JSON-able complete state; `Trainer.from_state` continues it bit for bit."""
        return state.export_state(self)

    @classmethod
    def from_state(cls, d: dict[str, Any]) -> Trainer:
        """Rebuild a trainer exported by `export_state`."""
        return state.restore_state(cls, d)


def _index(field: str, value: Any, size: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value < size:
        raise ConfigError(field, f"an integer from 0 to {size - 1}", value)
    return int(value)


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError("value", "a finite number", value)
    return float(value)
