"""Variants trained side by side: each equals its run alone; the ensemble averages them."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Config, Trainer
from engine.compare import Variants
from engine.options import ConfigError

BASE = Config.from_dict({"dataset": "spiral", "hidden": (6, 4), "noise": 10, "data_seed": 3})

CHANGES = [
    [{}, {"optimizer": "adam"}],
    [{"regularization": "l1", "regularization_rate": 0.01}, {"regularization": "l2"}],
    [{"activation": "sigmoid"}, {"activation": "relu"}, {"batch_size": 1}, {"dropout": 0.2}],
]


@pytest.mark.parametrize("changes", CHANGES)
def test_variants_trained_together_equal_each_run_alone_bit_for_bit(changes):
    variants = Variants(BASE, changes)
    variants.train_epochs(7)
    variants.train_epochs(5)
    for change, trainer in zip(changes, variants.trainers, strict=True):
        alone = Trainer(Config.from_dict(change, base=BASE))
        alone.train_epochs(12)
        assert np.array_equal(trainer.network.params, alone.network.params)
        assert trainer.history == alone.history


def test_variants_share_the_same_points():
    variants = Variants.seeds(BASE, 3)
    first = variants.trainers[0].dataset
    for trainer in variants.trainers[1:]:
        assert np.array_equal(trainer.dataset.x, first.x)
        assert np.array_equal(trainer.dataset.test, first.test)
    assert variants.labels == ["seed 0", "seed 1", "seed 2"]


def test_seed_ensemble_is_the_mean_of_the_members_maps_and_outputs():
    variants = Variants.seeds(BASE.replace(dataset="circle", hidden=(3,)), 4)
    variants.train_epochs(20)
    maps = [trainer.grid(30).output for trainer in variants.trainers]
    np.testing.assert_allclose(variants.ensemble_output(30), np.mean(maps, axis=0), atol=1e-6)
    # The members differ (different minima), so the mean is none of them.
    assert not np.allclose(maps[0], maps[1], atol=1e-3)

    # Closed form for the accuracy: vote of the mean tanh output on each test point.
    test = variants.trainers[0].dataset.test
    outputs = []
    for trainer in variants.trainers:
        rows = trainer.data.splits["test"]
        outputs.append(trainer.network.forward(trainer.data.x[rows]).h[-1][:, 0].copy())
    labels = variants.trainers[0].dataset.y[test]
    expected = np.mean((np.mean(outputs, axis=0) >= 0) == (labels == 1))
    assert variants.ensemble_accuracy() == pytest.approx(expected)


def test_softmax_ensemble_keeps_k_probabilities():
    base = BASE.replace(dataset="blobs", num_classes=3, loss="cross_entropy")
    variants = Variants.seeds(base, 2)
    variants.train_epochs(3)
    output = variants.ensemble_output(20)
    assert output.shape == (20, 20, 3)
    np.testing.assert_allclose(output.sum(axis=2), 1.0, atol=1e-5)
    assert 0.0 <= variants.ensemble_accuracy() <= 1.0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ([{}], "variants"),
        ([{}] * 5, "variants"),
        ([{}, {"noise": 30}], "variants"),
        ([{}, {"learning_rate": -1}], "learning_rate"),
    ],
)
def test_bad_variants_name_the_field(changes, field):
    with pytest.raises(ConfigError) as error:
        Variants(BASE, changes)
    assert error.value.field == field


def test_an_ensemble_of_different_heads_is_refused():
    variants = Variants(BASE, [{}, {"loss": "binary_cross_entropy"}])
    with pytest.raises(ConfigError):
        variants.ensemble_output(10)
