"""Trainer behaviour: training, configure, reset, regenerate, edits, metrics."""

import json

import numpy as np
import pytest

from engine import METRIC_NAMES, Config, ConfigError, Trainer


def test_default_trainer_lowers_the_loss_on_circle():
    t = Trainer()
    before = t.metrics()["train_loss"]
    assert t.train_epochs(100) == 100
    m = t.metrics()
    assert m["epoch"] == 100
    assert m["train_loss"] < before / 5
    assert tuple(m) == METRIC_NAMES
    json.dumps(m)


def test_history_has_one_entry_per_epoch_while_below_its_bound():
    t = Trainer()
    t.train_epochs(7)
    assert t.history["epochs"] == [1, 2, 3, 4, 5, 6, 7]
    assert [len(t.history[k]) for k in ("train_loss", "test_loss", "val_loss")] == [7, 7, 7]
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


def _params(t):
    return t.network.params.copy()


def test_reset_gives_the_same_initial_weights_while_the_seed_is_unchanged():
    t = Trainer()
    first = _params(t)
    t.train_epochs(5)
    t.reset()
    np.testing.assert_array_equal(_params(t), first)
    assert t.epoch == 0 and t.history["train_loss"] == []
    t.configure({"seed": 1})
    assert not np.array_equal(_params(t), first)


def test_a_reset_run_repeats_exactly():
    t = Trainer(Config(dropout=0.2))
    t.train_epochs(4)
    after = _params(t)
    t.reset()
    t.train_epochs(4)
    np.testing.assert_array_equal(_params(t), after)


def test_regenerate_keeps_the_network_and_reset_keeps_the_data():
    t = Trainer()
    t.train_epochs(3)
    weights, x = _params(t), t.dataset.x.copy()
    t.regenerate(data_seed=7)
    np.testing.assert_array_equal(_params(t), weights)
    assert t.epoch == 3 and t.config.data_seed == 7
    assert not np.array_equal(t.dataset.x, x)
    x = t.dataset.x.copy()
    t.reset()
    np.testing.assert_array_equal(t.dataset.x, x)


def test_the_data_seed_does_not_change_the_initial_weights():
    a, b = Trainer(Config(data_seed=1)), Trainer(Config(data_seed=2))
    np.testing.assert_array_equal(_params(a), _params(b))
    assert not np.array_equal(a.dataset.x, b.dataset.x)


def test_live_changes_keep_weights_epoch_and_optimizer_state():
    t = Trainer(Config(optimizer="momentum"))
    t.train_epochs(3)
    weights, velocity = _params(t), t.optimizer.velocity.copy()
    rebuilt = t.configure({"learning_rate": 0.3, "momentum": 0.5, "batch_size": 25})
    assert rebuilt == {"data": False, "network": False}
    np.testing.assert_array_equal(_params(t), weights)
    np.testing.assert_array_equal(t.optimizer.velocity, velocity)
    assert t.epoch == 3
    steps = t.optimizer.steps
    t.train_epochs(1)
    assert t.optimizer.steps - steps == 10  # 250 training points in batches of 25


def test_changing_the_optimizer_clears_its_state_only():
    t = Trainer(Config(optimizer="adam"))
    t.train_epochs(2)
    weights = _params(t)
    t.configure({"optimizer": "rmsprop"})
    assert t.optimizer.steps == 0 and t.epoch == 2
    np.testing.assert_array_equal(_params(t), weights)


def test_batch_size_is_clipped_to_the_training_set():
    t = Trainer(Config(batch_size=2000))
    t.train_epochs(2)
    assert t.optimizer.steps == 2


def test_a_last_partial_batch_is_one_smaller_update():
    t = Trainer(Config(batch_size=100))  # 250 = 100 + 100 + 50
    t.train_epochs(1)
    assert t.optimizer.steps == 3


def test_mini_batches_add_up_to_epochs_bit_for_bit():
    by_epoch, by_batch = Trainer(), Trainer()
    by_epoch.train_epochs(2)
    assert by_batch.train_batches(3) == 3
    assert by_batch.epoch == 0
    assert by_batch.train_batches(47) == 47
    assert by_batch.epoch == 2
    np.testing.assert_array_equal(_params(by_batch), _params(by_epoch))
    assert by_batch.history == by_epoch.history


def test_set_weight_and_bias_edit_the_network():
    t = Trainer()
    t.set_weight(1, 3, 0, 0.75)
    t.set_bias(2, 0, -0.25)
    (w1, _), (_, b2) = t.weights()[1], t.weights()[2]
    assert w1[3, 0] == 0.75 and b2[0] == -0.25
    assert t.network.weights[1][3, 0] == 0.75


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda t: t.set_weight(3, 0, 0, 1.0), "layer"),
        (lambda t: t.set_weight(0, 2, 0, 1.0), "source"),
        (lambda t: t.set_weight(0, 0, 4, 1.0), "target"),
        (lambda t: t.set_weight(0, 0, 0, float("nan")), "value"),
        (lambda t: t.set_bias(1, 2, 1.0), "neuron"),
        (lambda t: t.set_bias(-1, 0, 1.0), "layer"),
        (lambda t: t.set_bias(0, 0, "1"), "value"),
    ],
)
def test_bad_edits_name_the_field(call, field):
    with pytest.raises(ConfigError) as e:
        call(Trainer())
    assert e.value.field == field


def test_divergence_stops_training_with_an_explanation_and_finite_weights():
    t = Trainer(Config(problem="regression", dataset="plane", learning_rate=10.0))
    done = t.train_epochs(50)
    assert done < 50
    assert t.status == "diverged"
    assert "learning rate 10" in t.status_message and "reset" in t.status_message
    assert np.all(np.isfinite(t.network.params))
    assert t.epoch == done
    assert t.train_epochs(5) == 0
    m = t.metrics()
    assert m["status"] == "diverged" and m["status_message"] == t.status_message
    json.dumps(m)
    t.reset()
    assert t.status == "ok" and t.status_message == ""


def test_divergence_keeps_the_weights_of_the_last_good_epoch():
    t = Trainer(Config(problem="regression", dataset="plane", learning_rate=10.0))
    good = None
    for _ in range(50):
        before = _params(t)
        if t.train_epochs(1) == 0:
            good = before
            break
    assert good is not None
    np.testing.assert_array_equal(_params(t), good)


def test_a_huge_hand_edited_weight_diverges_instead_of_raising():
    t = Trainer()
    t.set_weight(0, 0, 0, 1e308)
    t.set_weight(0, 1, 0, 1e308)
    t.train_epochs(3)
    assert t.status == "diverged"
    t.metrics()
    t.grid(10)


def test_early_stopping_stops_and_restores_the_best_weights():
    cfg = Config(
        dataset="xor",
        noise=50,
        hidden=[16, 16],
        validation_percent=30,
        early_stopping=True,
        patience=10,
        learning_rate=0.3,
    )
    t = Trainer(cfg)
    done = t.train_epochs(2000)
    assert t.status == "early_stopped" and done < 2000
    val = t.history["val_loss"]
    best = min(val)
    assert val.index(best) + 1 + 10 == t.epoch
    assert t.metrics()["val_loss"] == pytest.approx(best, rel=1e-12)
    assert "restored" in t.status_message


def _another_value(name):
    from engine import OPTIONS

    option = OPTIONS[name]
    default = option["default"]
    if option["type"] == "bool":
        return not default
    if "choices" in option:
        return next(c for c in option["choices"] if c != default)
    value = (option["min"] + option["max"]) / 2
    return int(value) if option["type"] == "int" else value


@pytest.mark.parametrize("name", sorted(__import__("engine").LIVE_FIELDS))
def test_every_live_field_applies_without_losing_weights_or_epoch(name):
    t = Trainer(Config(validation_percent=20))
    t.train_batches(7)  # mid-epoch
    weights, epoch, cursor = _params(t), t.epoch, t.batch_position
    assert t.configure({name: _another_value(name)}) == {"data": False, "network": False}
    np.testing.assert_array_equal(_params(t), weights)
    assert (t.epoch, t.batch_position) == (epoch, cursor)
    t.train_epochs(1)
    assert t.epoch == epoch + 1


def test_without_shuffle_every_epoch_uses_the_fixed_training_order():
    t = Trainer(Config(shuffle=False))
    expected = t.dataset.x[t.dataset.train]
    for _ in range(2):
        t.train_batches(1)
        np.testing.assert_array_equal(t.data.epoch_x, expected)
        t.train_epochs(1)


def test_with_shuffle_the_order_changes_between_epochs():
    t = Trainer()
    t.train_batches(1)
    first = t.data.epoch_x.copy()
    t.train_epochs(1)
    t.train_batches(1)
    assert not np.array_equal(t.data.epoch_x, first)
    np.testing.assert_array_equal(np.sort(t.data.epoch_x, axis=0), np.sort(first, axis=0))


def test_a_configure_after_an_early_stop_resumes_with_a_fresh_patience_window():
    cfg = Config(
        dataset="xor",
        noise=50,
        hidden=[16, 16],
        validation_percent=30,
        early_stopping=True,
        patience=10,
        learning_rate=0.3,
    )
    t = Trainer(cfg)
    t.train_epochs(2000)
    assert t.status == "early_stopped"
    stopped_at = t.epoch
    t.configure({"learning_rate": 0.01})
    assert t.status == "ok"
    assert t.train_epochs(5) == 5 and t.epoch == stopped_at + 5


def test_divergence_with_a_tiny_learning_rate_blames_the_weights():
    t = Trainer(Config.from_dict({"problem": "regression", "learning_rate": 1e-5}))
    t.set_bias(2, 0, 1e300)  # the linear output overflows its squared error
    t.train_epochs(2)
    assert t.status == "diverged"
    assert "weights grew too large" in t.status_message


def test_per_layer_activations_and_dropout_reach_the_network():
    t = Trainer(Config(hidden=[5, 3], activation=["relu", "sine"], dropout=[0.5, 0.0]))
    assert [a.name for a in t.network.activations] == ["relu", "sine"]
    assert t.network.dropout == (0.5, 0.0)
    assert t.train_epochs(3) == 3
    assert t.status == "ok"


def test_a_new_dataset_or_problem_starts_a_new_network_at_epoch_0():
    t = Trainer()
    initial = _params(t)
    t.train_epochs(4)
    assert t.configure({"dataset": "xor"}) == {"data": True, "network": True}
    assert t.epoch == 0 and t.history["train_loss"] == []
    np.testing.assert_array_equal(_params(t), initial)  # the same seed, the same start
    t.train_epochs(2)
    assert t.configure({"problem": "regression"}) == {"data": True, "network": True}
    assert t.epoch == 0
