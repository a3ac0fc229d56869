"""Trainer data changes: user data, regeneration, problem and class changes, splits."""

import json

import numpy as np
import pytest

from engine import Config, ConfigError, Trainer


def _params(t):
    return t.network.params.copy()


def _points(labels, rng):
    return [
        [float(x1), float(x2), int(c)]
        for (x1, x2), c in zip(rng.uniform(-5, 5, (len(labels), 2)), labels, strict=True)
    ]


def test_user_data_keeps_the_network_when_the_shape_allows():
    from engine import Dataset

    t = Trainer()
    t.train_epochs(2)
    weights = _params(t)
    rng = np.random.default_rng(0)
    ds = Dataset.from_points(_points([0, 1] * 20, rng), "classification", 50, 0, rng)
    t.set_dataset(ds)
    assert t.config.dataset == "custom"
    np.testing.assert_array_equal(_params(t), weights)
    assert t.train_epochs(2) == 2


def test_user_data_with_more_classes_rebuilds_the_output_layer():
    from engine import Dataset

    t = Trainer()
    rng = np.random.default_rng(0)
    t.set_dataset(Dataset.from_points(_points([0, 1, 2] * 10, rng), "classification", 50, 0, rng))
    assert t.config.num_classes == 3
    assert t.network.sizes[-1] == 3  # square loss: one ±1 unit per class
    assert t.grid(10).output.shape == (10, 10, 3)
    t.train_epochs(3)
    assert len(t.metrics()["confusion"]) == 3


def test_binary_cross_entropy_refuses_three_class_user_data():
    from engine import Dataset

    t = Trainer(Config(loss="binary_cross_entropy"))
    rng = np.random.default_rng(0)
    with pytest.raises(ConfigError) as e:
        t.set_dataset(
            Dataset.from_points(_points([0, 1, 2] * 5, rng), "classification", 50, 0, rng)
        )
    assert e.value.field == "loss"
    assert t.config.dataset == "circle"


def test_an_empty_custom_dataset_trains_nothing_and_reports_nulls():
    t = Trainer(Config(dataset="custom"))
    assert len(t.dataset.x) == 0
    assert t.train_epochs(5) == 0 and t.train_batches(3) == 0
    m = t.metrics()
    assert m["train_loss"] is None and m["test_loss"] is None and m["train_accuracy"] is None
    json.dumps(m)
    assert t.grid(20).output.shape == (20, 20)


def test_changing_the_train_percent_of_custom_data_keeps_the_points():
    from engine import Dataset

    t = Trainer()
    rng = np.random.default_rng(0)
    t.set_dataset(Dataset.from_points(_points([0, 1] * 20, rng), "classification", 50, 0, rng))
    x = np.sort(t.dataset.x, axis=0)
    assert t.configure({"train_percent": 80}) == {"data": True, "network": False}
    np.testing.assert_array_equal(np.sort(t.dataset.x, axis=0), x)
    assert len(t.dataset.train) == 32


def test_switching_the_problem_rebuilds_the_output_head():
    t = Trainer()
    rebuilt = t.configure({"problem": "regression"})
    assert rebuilt == {"data": True, "network": True}
    assert t.head.kind == "linear" and t.config.dataset == "plane"


def test_more_classes_rebuild_the_network():
    t = Trainer(Config(dataset="blobs", loss="cross_entropy"))
    assert t.network.sizes[-1] == 2
    assert t.configure({"num_classes": 4}) == {"data": True, "network": True}
    assert t.network.sizes[-1] == 4


def test_validation_points_are_held_out_of_training():
    t = Trainer(Config(validation_percent=20))
    assert len(t.dataset.train) == 200 and len(t.dataset.val) == 50
    t.train_epochs(2)
    assert all(v is not None for v in t.history["val_loss"])


def test_switching_the_problem_of_custom_data_starts_an_empty_dataset():
    from engine import Dataset

    t = Trainer()
    rng = np.random.default_rng(0)
    t.set_dataset(Dataset.from_points(_points([0, 1] * 10, rng), "classification", 50, 0, rng))
    t.configure({"problem": "regression"})
    assert t.config.dataset == "custom" and t.dataset.problem == "regression"
    assert len(t.dataset.x) == 0
