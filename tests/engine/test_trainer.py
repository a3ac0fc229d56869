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


def test_metrics_of_a_regression_problem_have_no_accuracy():
    t = Trainer(Config(problem="regression", dataset="plane"))
    m = t.metrics()
    assert m["train_accuracy"] is None and m["confusion"] is None


def test_l1_produces_exactly_zero_weights():
    t = Trainer(Config(regularization="l1", regularization_rate=0.3, hidden=[8, 8]))
    t.train_epochs(30)
    assert t.metrics()["zero_weight_fraction"] > 0.2


def test_a_relu_neuron_that_never_fires_counts_as_dead():
    t = Trainer(Config(activation="relu", hidden=[4, 2]))
    assert t.metrics()["dead_fraction"] == 0.0
    t.set_bias(0, 1, -1000.0)
    assert t.metrics()["dead_fraction"] == pytest.approx(1 / 6)
    t.configure({"activation": "tanh"})
    assert t.metrics()["dead_fraction"] == 0.0


def test_grad_norms_are_the_norms_of_the_full_training_set_gradient():
    t = Trainer()
    net = t.network
    x, targets = t.data.rows("train")
    eps = 1e-6
    expected = []
    for w in net.weights:
        g = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            old = w[idx]
            w[idx] = old + eps
            up = net.loss(x, targets)
            w[idx] = old - eps
            down = net.loss(x, targets)
            w[idx] = old
            g[idx] = (up - down) / (2 * eps)
        expected.append(np.linalg.norm(g))
    np.testing.assert_allclose(t.metrics()["grad_norms"], expected, rtol=1e-5)
    assert t.metrics()["weight_norms"] == pytest.approx([np.linalg.norm(w) for w in net.weights])


def test_metrics_do_not_depend_on_dropout():
    t = Trainer(Config(dropout=0.5))
    assert t.metrics() == t.metrics()


def test_reported_loss_is_the_mean_half_squared_error_as_the_reference():
    t = Trainer()
    t.train_epochs(3)
    ds = t.dataset
    o = t.network.forward(t.data.x).h[-1][:, 0]
    y = np.where(t.data.y == 1, 1.0, -1.0)
    train = t.data.splits["train"]
    expected = np.mean(0.5 * (o[train] - y[train]) ** 2)
    assert t.history["train_loss"][-1] == pytest.approx(expected, rel=1e-12)
    assert len(ds.train) == 250 and len(ds.test) == 250


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
    weights, epoch, cursor = _params(t), t.epoch, t._cursor
    assert t.configure({name: _another_value(name)}) == {"data": False, "network": False}
    np.testing.assert_array_equal(_params(t), weights)
    assert (t.epoch, t._cursor) == (epoch, cursor)
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


def test_switching_the_problem_of_custom_data_starts_an_empty_dataset():
    from engine import Dataset

    t = Trainer()
    rng = np.random.default_rng(0)
    t.set_dataset(Dataset.from_points(_points([0, 1] * 10, rng), "classification", 50, 0, rng))
    t.configure({"problem": "regression"})
    assert t.config.dataset == "custom" and t.dataset.problem == "regression"
    assert len(t.dataset.x) == 0
