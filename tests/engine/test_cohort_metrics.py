"""Metrics measured for a cohort at once equal each trainer's own `metrics()` exactly."""

from __future__ import annotations

import pytest

from engine import ACTIVATIONS, Config, Trainer
from engine.cohort import train_epochs
from engine.cohort_metrics import layout_key, metrics
from tests.engine.test_cohort import HEADS, configs


def trained(cfgs: list[Config], epochs: int = 3) -> list[Trainer]:
    trainers = [Trainer(cfg) for cfg in cfgs]
    train_epochs(trainers, epochs)
    return trainers


def assert_same_metrics(trainers: list[Trainer]) -> None:
    together = metrics(trainers)
    alone = [t.metrics() for t in trainers]
    # repr: floats to the last bit (and NaN equal to NaN, unlike ==).
    assert [repr(m) for m in together] == [repr(m) for m in alone]


@pytest.mark.parametrize("head", sorted(HEADS))
def test_every_head(head):
    trainers = trained(configs({**HEADS[head], "validation_percent": 20}))
    assert len({layout_key(t) for t in trainers}) == 1
    assert_same_metrics(trainers)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation(activation):
    assert_same_metrics(trained(configs({"activation": activation, "hidden": (5, 3)})))


def test_dropout_penalties_and_other_optimizers():
    for common in (
        {"dropout": 0.3, "hidden": (6, 5)},
        {"regularization": "l1", "regularization_rate": 0.01, "optimizer": "adam"},
        {"hidden": ()},
    ):
        assert_same_metrics(trained(configs(common)))


def test_dead_and_diverged_members_and_edited_weights():
    cfgs = configs({"hidden": (8,) * 6, "activation": "relu"})
    cfgs[1] = cfgs[1].replace(learning_rate=10.0)  # collapses: dead layers, zero gradients
    trainers = trained(cfgs, 20)
    trainers[2].set_weight(0, 0, 0, 1e300)  # overflows to inf and nan in the pass
    assert trainers[1].divergence == "collapsed"
    assert_same_metrics(trainers)


def test_mixed_layouts_are_measured_in_their_own_groups_and_keep_their_order():
    cfgs = (
        configs({})[:2]
        + configs({"hidden": (2,)})
        + configs({"num_points": 150, "train_percent": 40})[:1]  # other splits
        + configs(HEADS["softmax"])[:1]  # alone
    )
    trainers = trained(cfgs)
    assert len({layout_key(t) for t in trainers}) == 4
    assert_same_metrics(trainers)
