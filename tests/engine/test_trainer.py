"""Trainer behaviour: training, configure, reset, regenerate, edits, metrics."""

import json

import numpy as np
import pytest

from engine import Config, ConfigError, Trainer

METRIC_KEYS = {
    "epoch",
    "train_loss",
    "test_loss",
    "val_loss",
    "train_accuracy",
    "test_accuracy",
    "confusion",
    "grad_norms",
    "weight_norms",
    "dead_fraction",
    "zero_weight_fraction",
    "learning_rate",
    "status",
    "status_message",
}


def test_default_trainer_lowers_the_loss_on_circle():
    t = Trainer()
    before = t.metrics()["train_loss"]
    assert t.train_epochs(100) == 100
    m = t.metrics()
    assert m["epoch"] == 100
    assert m["train_loss"] < before / 5
    assert set(m) == METRIC_KEYS
    json.dumps(m)


def test_history_has_one_entry_per_epoch():
    t = Trainer()
    t.train_epochs(7)
    assert [len(v) for v in t.history.values()] == [7, 7, 7]
    assert t.history["val_loss"] == [None] * 7
    assert t.history["train_loss"][-1] == pytest.approx(t.metrics()["train_loss"])


def test_configure_reports_what_was_rebuilt():
    t = Trainer()
    t.train_epochs(3)
    assert t.configure({"learning_rate": 0.1}) == {"data": False, "network": False}
    assert t.epoch == 3
    assert t.configure({"noise": 20}) == {"data": True, "network": False}
    assert t.epoch == 3
    assert t.configure({"hidden": [3]}) == {"data": False, "network": True}
    assert t.epoch == 0


def test_invalid_configure_changes_nothing():
    t = Trainer()
    with pytest.raises(ConfigError) as e:
        t.configure({"learning_rate": 100})
    assert e.value.field == "learning_rate"
    assert t.config == Config()
