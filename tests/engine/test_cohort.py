"""Cohort training: every member follows exactly the trajectory it follows alone."""

from __future__ import annotations

import numpy as np
import pytest

from engine import ACTIVATIONS, OPTIMIZERS, Config, Trainer
from engine.cohort import STACKABLE, cohort_key, train_epochs

HEADS = {
    "square_tanh": {"loss": "square", "dataset": "circle"},
    "square_linear": {"loss": "square", "problem": "regression", "dataset": "plane"},
    "softmax": {"loss": "cross_entropy", "dataset": "blobs", "num_classes": 3},
    "sigmoid": {"loss": "binary_cross_entropy", "dataset": "xor"},
}
# Per member: what may differ inside one cohort (seeds, data, rates, hyper-parameters).
MEMBERS = [
    {"seed": 1, "data_seed": 4, "learning_rate": 0.03},
    {"seed": 2, "data_seed": 5, "learning_rate": 0.1, "momentum": 0.5, "beta1": 0.8},
    {"seed": 3, "data_seed": 6, "learning_rate": 0.01, "rho": 0.8, "beta2": 0.99},
]


def configs(common: dict, members=MEMBERS) -> list[Config]:
    base = {"hidden": (4, 3), "num_points": 120, "batch_size": 7, "noise": 20, **common}
    return [Config.from_dict({**base, **member}) for member in members]


def assert_same_runs(cfgs: list[Config], epochs: int, warmup: int = 0) -> list[Trainer]:
    together = [Trainer(cfg) for cfg in cfgs]
    alone = [Trainer(cfg) for cfg in cfgs]
    for t in together + alone:
        t.train_epochs(warmup)
    ran = train_epochs(together, epochs)
    for t, a, count in zip(together, alone, ran, strict=True):
        assert count == a.train_epochs(epochs)
        assert np.array_equal(t.network.params, a.network.params)
        assert t.history == a.history
        assert t.epoch == a.epoch and t.status == a.status
        assert t.export_state() == a.export_state()  # optimizer, generators, best weights
    return together


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_cohort_equals_alone_for_every_activation(activation):
    cfgs = configs({"activation": activation, "optimizer": "adam"})
    assert len({cohort_key(Trainer(c)) for c in cfgs}) == 1  # one cohort, not three runs
    assert_same_runs(cfgs, 6)


@pytest.mark.parametrize("head", sorted(HEADS))
@pytest.mark.parametrize("optimizer", sorted(STACKABLE))
def test_cohort_equals_alone_for_every_head_and_optimizer(head, optimizer):
    assert_same_runs(configs({**HEADS[head], "optimizer": optimizer}), 5, warmup=2)


def test_every_optimizer_but_the_perceptron_rule_stacks():
    assert set(OPTIMIZERS) - STACKABLE == {"perceptron"}


@pytest.mark.parametrize("head", ["square_tanh", "softmax", "sigmoid"])
def test_perceptron_runs_train_alone_inside_a_cohort_call_and_equal_their_lone_runs(head):
    cfgs = configs({**HEADS[head], "optimizer": "perceptron", "hidden": ()})
    assert {cohort_key(Trainer(c)) for c in cfgs} == {None}
    assert_same_runs(cfgs, 5, warmup=2)


def test_cohort_equals_alone_with_nesterov_dropout_and_both_penalties():
    for common in (
        {"optimizer": "momentum", "nesterov": True},
        {"dropout": 0.3, "hidden": (6, 5)},
        {"regularization": "l1", "regularization_rate": 0.01},
        {"regularization": "l2", "regularization_rate": 0.003},
    ):
        assert_same_runs(configs(common), 5)


def test_members_with_other_schedules_keep_their_own_learning_rates():
    members = [
        {**MEMBERS[0], "schedule": "step", "schedule_step": 2},
        {**MEMBERS[1], "schedule": "cosine", "schedule_step": 3},
        {**MEMBERS[2], "schedule": "reduce_on_plateau", "schedule_patience": 1},
    ]
    assert_same_runs(configs({}, members), 8)


def test_a_diverging_member_is_rolled_back_alone_and_the_others_go_on():
    members = [MEMBERS[0], {**MEMBERS[1], "learning_rate": 10.0}, MEMBERS[2]]
    cfgs = configs({"optimizer": "sgd", **HEADS["square_linear"], "hidden": (8, 8)}, members)
    runs = assert_same_runs(cfgs, 30)
    assert [t.status for t in runs] == ["ok", "diverged", "ok"]
    assert runs[0].epoch == 30 and runs[1].epoch < 30


def test_early_stopping_members_leave_at_their_own_epoch():
    common = {"validation_percent": 20, "early_stopping": True, "patience": 3}
    members = [{**m, "learning_rate": 1.0} for m in MEMBERS]  # noisy: stops early
    runs = assert_same_runs(configs(common, members), 60)
    assert any(t.status == "early_stopped" for t in runs)


def test_a_member_in_the_middle_of_an_epoch_finishes_it_first():
    cfgs = configs({})
    together = [Trainer(c) for c in cfgs]
    alone = [Trainer(c) for c in cfgs]
    for t in (together[1], alone[1]):
        t.train_batches(3)  # mid-epoch
    train_epochs(together, 4)
    for t, a in zip(together, alone, strict=True):
        a.train_epochs(4)
        assert np.array_equal(t.network.params, a.network.params)
        assert t.epoch == a.epoch


def test_other_shapes_train_in_their_own_cohort_or_alone():
    cfgs = configs({}) + configs({"hidden": (2,)})[:2] + configs({"activation": "relu"})[:1]
    keys = [cohort_key(Trainer(c)) for c in cfgs]
    assert len(set(keys)) == 3
    assert_same_runs(cfgs, 4)


def test_a_collapsing_member_is_flagged_at_its_own_epoch_from_the_stacked_loss_pass():
    # The epoch's end is measured for the whole cohort at once; the collapse check reads
    # that member's rows of the stacked pass (dead relu layers after a rate of 10).
    members = [MEMBERS[0], {**MEMBERS[1], "learning_rate": 10.0}, MEMBERS[2]]
    cfgs = configs({"hidden": (8,) * 6, "activation": "relu"}, members)
    assert len({cohort_key(Trainer(c)) for c in cfgs}) == 1
    runs = assert_same_runs(cfgs, 40)
    assert [t.divergence for t in runs] == [None, "collapsed", None]
    assert runs[1].epoch < 40 and runs[0].epoch == 40


def test_members_whose_splits_differ_train_together_and_measure_their_own_losses():
    # 60 training points each, but 60 or 90 test points: one cohort (the training step is
    # stacked), whose epoch ends cannot be (each member measures its own).
    members = [
        {**MEMBERS[0], "num_points": 120, "train_percent": 50},
        {**MEMBERS[1], "num_points": 150, "train_percent": 40},
        {**MEMBERS[2], "num_points": 120, "train_percent": 50},
    ]
    cfgs = configs({}, members)
    trainers = [Trainer(c) for c in cfgs]
    assert len({cohort_key(t) for t in trainers}) == 1
    assert trainers[0].data.splits != trainers[1].data.splits
    assert_same_runs(cfgs, 5)
