"""Export a trainer as plain JSON-able data and restore it to continue bit for bit.

Everything that influences the next step is saved: config, the exact points and split
(index order included), parameters, optimizer and schedule state, the dropout and shuffle
generators' states, the epoch, a partially run epoch's order and history. Floats are saved
as Python floats (exact through JSON); the generators' 128-bit integers as decimal
strings, since a JavaScript client would round them as numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engine.config import Config
from engine.datasets import Dataset
from engine.history import History
from engine.options import ConfigError
from engine.watch import Watch

if TYPE_CHECKING:
    from engine.trainer import Trainer

VERSION = 1


def export_state(t: Trainer) -> dict[str, Any]:
    """JSON-able dict of the whole state of `t`."""
    ds = t.dataset
    net = t.network
    mid_epoch = t._cursor > 0
    return {
        "version": VERSION,
        "config": t.config.to_dict(),
        "data": {
            "problem": ds.problem,
            "num_classes": int(ds.num_classes),
            "x": ds.x.tolist(),
            "y": ds.y.tolist(),
            "train": ds.train.tolist(),
            "val": ds.val.tolist(),
            "test": ds.test.tolist(),
        },
        "params": net.params.tolist(),
        "optimizer": t.optimizer.state_dict(),
        "schedule": t.schedule.state_dict(),
        "rng": {"dropout": _rng_out(t._dropout_rng), "shuffle": _rng_out(t._shuffle_rng)},
        "epoch": t.epoch,
        "cursor": t._cursor,
        "epoch_order": t.data.epoch_order.tolist() if mid_epoch else None,
        "epoch_start_params": t._backup.tolist() if mid_epoch else None,
        "history": t._history.state_dict(),
        "status": t.status,
        "status_message": t.status_message,
        "watch": t._watch.state_dict(),
        "best": {
            "val_loss": None if t._best_params is None else t._best_val,
            "epoch": t._best_epoch,
            "params": None if t._best_params is None else t._best_params.tolist(),
        },
    }


def restore_state(cls: type[Trainer], d: dict[str, Any]) -> Trainer:
    """A `cls` instance in exactly the exported state.

    Raises
    ------
    ConfigError
        For a bad config (naming its field) or a malformed state (field "state").
    """
    if not isinstance(d, dict) or d.get("version") != VERSION:
        raise ConfigError("state", f"an object exported by export_state (version {VERSION})")
    config = Config.from_dict(d.get("config", {}))
    try:
        t = cls.__new__(cls)
        t._setup(config, _dataset(d["data"]))
        _load(t, d)
    except (KeyError, TypeError, ValueError, IndexError) as e:
        if isinstance(e, ConfigError):
            raise
        raise ConfigError("state", f"an object exported by export_state ({e!r})") from e
    return t


def _load(t: Trainer, d: dict[str, Any]) -> None:
    net = t.network
    net.params[...] = _vector(d["params"], net.params.size, "params")
    t.optimizer.load_state_dict(d["optimizer"])
    t.schedule.load_state_dict(d["schedule"])
    _rng_in(t._dropout_rng, d["rng"]["dropout"])
    _rng_in(t._shuffle_rng, d["rng"]["shuffle"])
    t.epoch = int(d["epoch"])
    t._history = History.from_state_dict(d["history"], t.epoch)
    t.status, t.status_message = str(d["status"]), str(d["status_message"])
    t._watch = Watch.from_state_dict(d.get("watch"))
    best = d["best"]
    t._best_epoch = int(best["epoch"])
    if best["params"] is not None:
        t._best_val = float(best["val_loss"])
        t._best_params = _vector(best["params"], net.params.size, "best.params")
    cursor = int(d["cursor"])
    if cursor:
        order = np.asarray(d["epoch_order"], dtype=np.int64)
        if sorted(order.tolist()) != list(range(t.data.n_train)):
            raise ValueError("epoch_order must be a permutation of the training rows")
        t.data.gather(order)
        t._backup[...] = _vector(d["epoch_start_params"], net.params.size, "epoch_start_params")
        t._cursor = cursor


def _dataset(data: dict[str, Any]) -> Dataset:
    problem = data["problem"]
    x = np.asarray(data["x"], dtype=np.float64).reshape(-1, 2)
    y_type = np.int64 if problem == "classification" else np.float64
    y = np.asarray(data["y"], dtype=y_type)
    splits = [np.asarray(data[k], dtype=np.int64) for k in ("train", "val", "test")]
    every = np.sort(np.concatenate(splits))
    if y.shape != (len(x),) or not np.array_equal(every, np.arange(len(x))):
        raise ValueError("data: train, val and test must split the points exactly")
    return Dataset(x, y, problem, int(data["num_classes"]), *splits)


def _vector(values: Any, size: int, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (size,):
        raise ValueError(f"{name} must hold {size} numbers, got shape {array.shape}")
    return array


def _rng_out(rng: np.random.Generator) -> dict[str, Any]:
    s = rng.bit_generator.state
    return {
        "bit_generator": s["bit_generator"],
        "state": str(s["state"]["state"]),
        "inc": str(s["state"]["inc"]),
        "has_uint32": int(s["has_uint32"]),
        "uinteger": int(s["uinteger"]),
    }


def _rng_in(rng: np.random.Generator, s: dict[str, Any]) -> None:
    rng.bit_generator.state = {
        "bit_generator": s["bit_generator"],
        "state": {"state": int(s["state"]), "inc": int(s["inc"])},
        "has_uint32": int(s["has_uint32"]),
        "uinteger": int(s["uinteger"]),
    }
