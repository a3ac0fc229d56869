"""engine.challenge: the hidden test set, the measured figure, constraints and ranking.

Figures are checked against closed forms (zero weights; a sign rule that is exactly the
dataset's labelling) and against a plain NumPy forward pass written out here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import Config, ConfigError, Trainer
from engine.challenge import (
    Candidate,
    Challenge,
    evaluate,
    hidden_test_set,
    leaderboard,
    reaches,
)
from engine.datasets import DATASETS

SEED = 123456789


def challenge(**fields) -> Challenge:
    return Challenge.from_dict(fields, test_seed=SEED)


def zeroed(trainer: Trainer) -> Trainer:
    trainer.network.params[:] = 0.0
    return trainer


def test_the_hidden_test_set_is_a_fresh_sample_fixed_by_the_secret_seed():
    ch = challenge(dataset="spiral", noise=10, test_points=300)
    x, y = hidden_test_set(ch)
    assert x.shape == (300, 2) and y.shape == (300,)
    again = Challenge.from_dict({"dataset": "spiral", "noise": 10, "test_points": 300}, SEED)
    np.testing.assert_array_equal(hidden_test_set(again)[0], x)
    other = Challenge.from_dict({"dataset": "spiral", "noise": 10, "test_points": 300}, SEED + 1)
    assert not np.array_equal(hidden_test_set(other)[0], x)
    # None of the students' training points (data_seed 0) is a test point.
    training = Trainer(Config(dataset="spiral", noise=10)).dataset.x
    assert not (x[:, None, :] == training[None, :, :]).all(axis=2).any()


def test_zero_weights_score_the_closed_forms():
    # tanh(0) = 0 predicts class 1 everywhere; square loss ½(0 ∓ 1)² = ½ for every point.
    ch = challenge(dataset="xor", noise=20, metric="test_accuracy", goal=0.5)
    t = zeroed(Trainer(Config(dataset="xor", hidden=[3])))
    _, y = hidden_test_set(ch)
    verdict = evaluate(ch, Candidate.of(t))
    assert verdict.value == pytest.approx(np.mean(y == 1))
    loss = challenge(dataset="xor", metric="test_loss", goal=0.4)
    assert evaluate(loss, Candidate.of(t)).value == pytest.approx(0.5)
    # Softmax over K classes with equal logits: −log(1/K) = log K.
    ce = challenge(dataset="blobs", num_classes=4, metric="test_loss", loss="cross_entropy")
    t4 = zeroed(Trainer(Config(dataset="blobs", num_classes=4, loss="cross_entropy")))
    assert evaluate(ce, Candidate.of(t4)).value == pytest.approx(math.log(4))


def test_the_sign_rule_of_xor_scores_exactly_one_at_noise_zero():
    # xor labels class 1 where x1·x2 >= 0: one weight on the x1_x2 feature is that rule.
    ch = challenge(dataset="xor", goal=1.0, max_neurons=0 + 1, features=["x1_x2"])
    t = Trainer(Config(dataset="xor", hidden=[], features=["x1_x2"]))
    t.set_weight(0, 0, 0, 5.0)
    t.set_bias(0, 0, 0.0)
    verdict = evaluate(ch, Candidate.of(t))
    assert verdict.value == 1.0 and verdict.goal_met and verdict.violations == ()
    t.set_weight(0, 0, 0, -5.0)  # the opposite rule is wrong everywhere
    assert evaluate(ch, Candidate.of(t)).value == 0.0


@pytest.mark.parametrize("standardize", [False, True])
def test_the_figure_matches_a_forward_pass_written_out_in_numpy(standardize):
    cfg = Config(
        dataset="circle", noise=15, hidden=[5, 3], activation="relu", seed=7,
        standardize=standardize, features=["x1", "x2", "x1_squared"],
    )  # fmt: skip
    t = Trainer(cfg)
    t.train_epochs(20)
    acc = challenge(dataset="circle", noise=15, test_points=700, goal=0.9)
    loss = challenge(dataset="circle", noise=15, test_points=700, metric="test_loss", goal=0.1)
    x, y = hidden_test_set(acc)
    h = np.column_stack([x[:, 0], x[:, 1], x[:, 0] ** 2])
    if standardize:  # z-scored with the training points' statistics, as the trainer does
        train = t.dataset.x[t.dataset.train]
        feats = np.column_stack([train[:, 0], train[:, 1], train[:, 0] ** 2])
        h = (h - feats.mean(axis=0)) / feats.std(axis=0)
    for k, (w, b) in enumerate(t.weights()):
        z = h @ w + b
        h = np.tanh(z) if k == 2 else np.maximum(z, 0.0)
    target = np.where(y == 1, 1.0, -1.0)
    expected_acc = np.mean((h[:, 0] >= 0) == (y == 1))
    expected_loss = np.mean(0.5 * (h[:, 0] - target) ** 2)
    assert evaluate(acc, Candidate.of(t)).value == pytest.approx(expected_acc, abs=1e-12)
    assert evaluate(loss, Candidate.of(t)).value == pytest.approx(expected_loss, rel=1e-12)


def test_the_candidate_is_a_copy_training_on_does_not_change_it():
    t = Trainer(Config(dataset="circle", hidden=[4]))
    ch = challenge(dataset="circle", metric="test_loss", goal=0.0)
    candidate = Candidate.of(t)
    before = evaluate(ch, candidate).value
    t.train_epochs(30)
    assert evaluate(ch, candidate).value == before
    assert evaluate(ch, Candidate.of(t)).value != before


def test_each_constraint_is_checked_and_named():
    ch = challenge(
        dataset="spiral", goal=0.0, max_neurons=6, max_hidden_layers=1, max_epochs=3,
        features=["x1", "x2"], activations=["tanh"],
    )  # fmt: skip
    t = Trainer(Config(dataset="spiral", hidden=[4, 4], activation="relu",
                       features=["x1", "x2", "sin_x1"]))  # fmt: skip
    t.train_epochs(5)
    verdict = evaluate(ch, Candidate.of(t))
    text = " | ".join(verdict.violations)
    for part in ("8 hidden neurons", "2 hidden layers", "5 epochs", "sin_x1", "relu"):
        assert part in text
    assert not verdict.goal_met and verdict.value is not None  # still measured, and shown
    ok = Trainer(Config(dataset="spiral", hidden=[6], activation="tanh"))
    assert evaluate(ch, Candidate.of(ok)).goal_met


def test_a_network_for_another_problem_is_not_measured():
    ch = challenge(dataset="blobs", num_classes=3)
    two = Trainer(Config(dataset="circle"))
    verdict = evaluate(ch, Candidate.of(two))
    assert verdict.value is None and not verdict.goal_met
    assert "load its data" in verdict.violations[0]


def test_a_loss_challenge_needs_the_loss_it_measures():
    ch = challenge(dataset="circle", metric="test_loss", loss="cross_entropy", goal=100.0)
    square = Trainer(Config(dataset="circle"))
    assert (
        "this challenge measures cross_entropy" in evaluate(ch, Candidate.of(square)).violations[0]
    )
    assert ch.public()["config"]["loss"] == "cross_entropy"


def test_an_overflowing_network_has_no_figure():
    ch = challenge(dataset="circle", metric="test_loss", loss="cross_entropy", goal=1.0)
    t = Trainer(Config(dataset="circle", loss="cross_entropy", hidden=[2], activation="linear"))
    t.network.params[:] = 1e300
    assert evaluate(ch, Candidate.of(t)).value is None


def test_the_public_view_leaves_out_the_secret_seed():
    ch = challenge(dataset="spirals", num_classes=3, noise=5, data_seed=9)
    public = ch.public()
    assert "test_seed" not in public and str(SEED) not in repr(public)
    assert public["config"] == {
        "problem": "classification", "dataset": "spirals", "noise": 5, "data_seed": 9,
        "num_classes": 3,
    }  # fmt: skip
    assert Challenge.from_dict({k: v for k, v in ch.to_dict().items() if k != "test_seed"},
                               SEED) == ch  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"dataset": "nope"}, "dataset"),
        ({"metric": "speed"}, "metric"),
        ({"dataset": "plane", "metric": "test_accuracy"}, "metric"),
        ({"goal": 1.5}, "goal"),
        ({"goal": "high"}, "goal"),
        ({"test_points": 10}, "test_points"),
        ({"max_neurons": 0}, "max_neurons"),
        ({"features": ["x3"]}, "features"),
        ({"activations": []}, "activations"),
        ({"title": ""}, "title"),
        ({"colour": "red"}, "colour"),
        ({"test_seed": 1}, "test_seed"),  # the server draws it; nobody may choose it
        ({"goal": float("nan")}, "goal"),
        ({"max_epochs": True}, "max_epochs"),
        ({"features": [["x1"]]}, "features"),
        ({"dataset": ["spiral"]}, "dataset"),
        ({"title": "   "}, "title"),
        ({"num_classes": 2.5}, "num_classes"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(fields, field):
    with pytest.raises(ConfigError) as err:
        challenge(**fields)
    assert err.value.field == field


def test_goals_compare_the_right_way():
    assert reaches("test_accuracy", 475 / 500, 0.95)
    assert not reaches("test_accuracy", 474 / 500, 0.95)
    assert reaches("test_loss", 0.1, 0.1) and not reaches("test_loss", 0.11, 0.1)


def entry(student, value, goal_met=False, violations=(), neurons=4, at=0.0, id=0):
    return {"student": student, "value": value, "goal_met": goal_met,
            "violations": list(violations), "neurons": neurons, "at": at, "id": id}  # fmt: skip


def test_the_leaderboard_ranks_goal_then_rules_then_metric_then_size_then_time():
    entries = [
        entry("late", 0.97, True, neurons=4, at=5, id=5),
        entry("early", 0.97, True, neurons=4, at=1, id=1),
        entry("small", 0.96, True, neurons=2, at=9, id=9),
        entry("best", 0.99, True, neurons=8, at=9, id=8),
        entry("short", 0.94, at=2, id=2),
        entry("cheat", 1.0, violations=["too many neurons"], at=0, id=0),
        entry("broken", None, at=0, id=3),
    ]
    board = leaderboard(entries, "test_accuracy")
    assert [e["student"] for e in board] == [
        "best", "early", "late", "small", "short", "broken", "cheat",
    ]  # fmt: skip
    # For a loss, lower is better.
    losses = [entry("a", 0.3, id=1), entry("b", 0.1, id=2)]
    assert [e["student"] for e in leaderboard(losses, "test_loss")] == ["b", "a"]


def test_the_leaderboard_keeps_each_students_best_entry():
    entries = [entry("ada", 0.9, id=1), entry("ada", 0.96, True, id=2), entry("ada", 0.5, id=3)]
    (best,) = leaderboard(entries, "test_accuracy")
    assert best["id"] == 2


def test_every_classification_dataset_can_be_a_challenge():
    for name, spec in DATASETS.items():
        metric = "test_accuracy" if spec.problem == "classification" else "test_loss"
        ch = challenge(dataset=name, metric=metric, goal=0.5)
        cfg = Config.from_dict(ch.start_config())
        verdict = evaluate(ch, Candidate.of(Trainer(cfg)))
        assert verdict.value is not None and verdict.violations == ()
