"""Lesson-facing metrics: names resolved by `metric_value`, dead units for every activation,
the regularised objective, and the named gaps and ratio."""

import numpy as np
import pytest

from engine import METRIC_NAMES, Config, ConfigError, Trainer, metric_value
from engine.regularization import REGULARIZERS
from tests.engine.gradcheck import check_gradient


def test_metric_names_are_the_keys_of_metrics_in_order():
    assert tuple(Trainer().metrics()) == METRIC_NAMES


@pytest.mark.parametrize(
    ("name", "pick"),
    [
        ("test_loss", lambda m: m["test_loss"]),
        ("grad_norms.0", lambda m: m["grad_norms"][0]),
        ("grad_norms.-1", lambda m: m["grad_norms"][2]),
        ("grad_norms.1", lambda m: m["grad_norms"][1]),
        ("dead_fractions.-2", lambda m: m["dead_fractions"][0]),
        ("confusion.1.0", lambda m: m["confusion"][1][0]),
        ("confusion.1", lambda m: m["confusion"][1]),
        ("diverged", lambda m: False),
    ],
)
def test_metric_value_resolves_keys_and_list_indices(name, pick):
    t = Trainer()
    t.train_epochs(5)
    m = t.metrics()
    assert metric_value(m, name) == pick(m)


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("test_los", "one of epoch, train_loss"),
        ("grad_norms.3", "an index from -3 to 2 of grad_norms"),
        ("grad_norms.-4", "an index from -3 to 2 of grad_norms"),
        ("grad_norms.first", "an index from -3 to 2 of grad_norms"),
        ("test_loss.0", "test_loss without an index"),
        ("", "one of epoch"),
    ],
)
def test_a_name_that_addresses_nothing_is_a_config_error_on_metric(name, allowed):
    with pytest.raises(ConfigError) as info:
        metric_value(Trainer().metrics(), name)
    assert info.value.field == "metric"
    assert allowed in str(info.value)


@pytest.mark.parametrize(
    ("activation", "bias", "dead"),
    [
        ("relu", -1000.0, True),
        ("sigmoid", 60.0, True),
        ("sigmoid", -60.0, True),
        ("tanh", 30.0, True),
        ("elu", -60.0, True),
        ("leaky_relu", -1000.0, False),
        ("sine", 30.0, False),
        ("tanh", 0.5, False),
    ],
)
def test_a_neuron_whose_slope_is_zero_on_every_training_point_is_dead(activation, bias, dead):
    t = Trainer(Config(activation=activation, hidden=(4, 2)))
    before = t.metrics()["dead_fractions"]
    t.set_bias(0, 1, bias)
    m = t.metrics()
    expected_first = before[0] + (0.25 if dead else 0.0)
    assert m["dead_fractions"][0] == pytest.approx(expected_first)
    assert m["dead_fraction"] == pytest.approx((4 * m["dead_fractions"][0] + 2 * before[1]) / 6)


def test_every_step_neuron_is_dead():
    m = Trainer(Config(activation=["step", "tanh"], hidden=(4, 2))).metrics()
    assert m["dead_fractions"] == [1.0, 0.0]


def _weights(t):
    return t.network.params[: t.network.weight_count]


@pytest.mark.parametrize(("name", "rate"), [("none", 0.0), ("l1", 0.02), ("l2", 0.3)])
def test_objective_is_data_loss_plus_rate_times_the_penalty(name, rate):
    t = Trainer(Config(regularization=name, regularization_rate=rate))
    t.train_epochs(3)
    m = t.metrics()
    w = _weights(t)
    penalty = {"none": 0.0, "l1": np.abs(w).sum(), "l2": 0.5 * np.square(w).sum()}[name]
    assert m["penalty"] == pytest.approx(rate * penalty, rel=1e-12)
    assert m["objective"] == pytest.approx(m["train_loss"] + rate * penalty, rel=1e-12)


@pytest.mark.parametrize(("name", "rate"), [("l1", 0.01), ("l2", 0.3)])
def test_a_full_batch_sgd_step_descends_the_reported_objective(name, rate):
    """The engine's step (gradient, then the separate penalty step) is lr times the gradient
    of the objective it reports: so the L2 penalty is rate·½‖w‖², and the course's λ is rate/2."""
    lr = 1e-3
    cfg = Config(
        regularization=name,
        regularization_rate=rate,
        learning_rate=lr,
        batch_size=2000,
        shuffle=False,
    )
    t = Trainer(cfg)
    net = t.network
    x, targets = t.data.rows("train")
    start = net.params.copy()
    t.train_batches(1)
    step = (start - net.params) / lr
    net.params[...] = start

    def objective(params):
        saved = net.params.copy()
        net.params[...] = params
        value = net.loss(x, targets) + rate * REGULARIZERS[name].penalty(_weights(t))
        net.params[...] = saved
        return value

    assert objective(start) == pytest.approx(t.metrics()["objective"], rel=1e-12)
    check_gradient(objective, lambda p: step, start, np.random.default_rng(0))


def test_gaps_and_the_gradient_ratio_follow_their_definitions():
    t = Trainer(Config(hidden=(4, 4, 4), activation="sigmoid"))
    t.train_epochs(5)
    m = t.metrics()
    assert m["loss_gap"] == pytest.approx(m["test_loss"] - m["train_loss"], rel=1e-12)
    assert m["accuracy_gap"] == pytest.approx(m["train_accuracy"] - m["test_accuracy"])
    assert m["grad_norm_ratio"] == pytest.approx(m["grad_norms"][0] / m["grad_norms"][-1])
    regression = Trainer(Config(problem="regression", dataset="plane")).metrics()
    assert regression["accuracy_gap"] is None and regression["loss_gap"] is not None
