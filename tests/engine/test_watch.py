"""Divergence and collapse are flagged in every problem type, and only then."""

import numpy as np
import pytest

from engine import DATASETS, Config, Trainer
from engine.activations import ACTIVATIONS
from engine.losses import LOSSES
from engine.network import Network
from engine.watch import COLLAPSE_EPOCHS, dead_units, output_saturated

COLLAPSING = {"hidden": [8] * 6, "activation": "relu", "learning_rate": 10.0}
EXPLODING = {"problem": "regression", "dataset": "plane", "hidden": [], "learning_rate": 0.3}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classification_at_rate_10_with_six_relu_layers_is_flagged_as_collapsed(seed):
    t = Trainer(Config.from_dict({**COLLAPSING, "seed": seed, "data_seed": seed}))
    assert t.train_epochs(50) < 50
    assert (t.status, t.divergence) == ("diverged", "collapsed")
    assert "collapsed" in t.status_message
    assert "learning rate 10" in t.status_message.lower() and "try 0.03" in t.status_message
    m = t.metrics()
    assert max(m["grad_norms"]) < 1e-6  # what makes it a collapse: nothing moves any more
    assert m["diverged"] is True and m["divergence"] == "collapsed"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_plane_regression_at_rate_0_3_is_flagged_while_the_loss_is_still_finite(seed):
    t = Trainer(Config.from_dict({**EXPLODING, "seed": seed, "data_seed": seed}))
    start = t.network.params.copy()
    assert t.train_epochs(50) == 0
    assert (t.status, t.divergence) == ("diverged", "exploded")
    assert "exploded" in t.status_message and "try 0.03" in t.status_message
    np.testing.assert_array_equal(t.network.params, start)  # the exploding epoch is undone


def test_a_collapse_is_flagged_again_after_a_change_that_does_not_cure_it():
    t = Trainer(Config.from_dict(COLLAPSING))
    t.train_epochs(50)
    assert t.divergence == "collapsed"
    t.configure({"learning_rate": 0.01})
    assert (t.status, t.divergence) == ("ok", None)
    assert t.train_epochs(50) == COLLAPSE_EPOCHS
    assert t.divergence == "collapsed"
    t.reset()
    assert t.train_epochs(5) == 5 and t.divergence is None


def test_the_watch_survives_export_and_restore():
    t = Trainer(Config.from_dict(COLLAPSING))
    t.train_epochs(COLLAPSE_EPOCHS - 1)
    copy = Trainer.from_state(t.export_state())
    for trainer in (t, copy):
        trainer.train_epochs(50)
    assert t.epoch == copy.epoch == COLLAPSE_EPOCHS
    assert t.status_message == copy.status_message


SEEDS = [0, 1]
RATES = [0.3, 0.1, 0.03]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_default_runs_are_never_flagged(dataset, rate, seed):
    cfg = Config.from_dict(
        {
            "problem": DATASETS[dataset].problem,
            "dataset": dataset,
            "learning_rate": rate,
            "seed": seed,
            "data_seed": seed,
        }
    )
    t = Trainer(cfg)
    assert t.train_epochs(200) == 200, t.status_message
    assert t.metrics()["diverged"] is False


def _network(activation, z_rows):
    """A 1-input network whose single hidden layer sees exactly `z_rows` as pre-activations."""
    z_rows = np.asarray(z_rows, dtype=float)
    width = z_rows.shape[1]
    head = LOSSES["square"].head("classification", 2)
    net = Network((1, width, 1), [ACTIVATIONS[activation]], head, (0.0,))
    net.weights[0][0] = 1.0
    ws = net.forward(np.zeros((len(z_rows), 1)))
    ws.z[0][...] = z_rows  # as if the inputs had produced these
    ACTIVATIONS[activation].forward(ws.z[0], ws.h[0])
    return net, ws


@pytest.mark.parametrize(
    ("activation", "rows", "expected"),
    [
        ("relu", [[-1.0, -2.0, 0.5], [-3.0, -0.1, -0.5]], [True, True, False]),
        ("leaky_relu", [[-1.0, -2.0], [-3.0, -0.1]], [False, False]),
        ("sigmoid", [[9.0, 9.0, 1.0], [-9.0, 8.0, 9.0]], [True, True, False]),
        ("tanh", [[5.0, 0.2], [-6.0, 5.0]], [True, False]),
        ("elu", [[-9.0, -1.0], [-8.0, -9.0]], [True, False]),
        ("step", [[1.0, -1.0], [-1.0, 2.0]], [True, True]),
        ("linear", [[0.0, 9.0], [0.0, -9.0]], [False, False]),
    ],
)
def test_a_unit_is_dead_when_its_slope_is_about_zero_on_every_row(activation, rows, expected):
    net, ws = _network(activation, rows)
    dead = dead_units(net, ws, slice(0, len(rows)))
    assert dead[0].tolist() == expected


@pytest.mark.parametrize(
    ("kind", "outputs", "saturated"),
    [
        ("tanh", [[0.995], [-0.999]], True),
        ("tanh", [[0.995], [0.5]], False),
        ("sigmoid", [[0.999], [0.001]], True),
        ("sigmoid", [[0.999], [0.2]], False),
        ("softmax", [[0.998, 0.001, 0.001], [0.0, 0.0, 1.0]], True),
        ("softmax", [[0.998, 0.001, 0.001], [0.5, 0.5, 0.0]], False),
        ("linear", [[1e9], [-1e9]], False),
    ],
)
def test_output_saturation_per_head(kind, outputs, saturated):
    assert output_saturated(kind, np.array(outputs)) is saturated


def test_a_state_saved_before_the_watch_existed_is_never_flagged_for_want_of_a_start():
    t = Trainer(Config.from_dict(EXPLODING))
    t.train_batches(3)  # mid-epoch: the next epoch end comes without a new start
    state = t.export_state()
    del state["watch"]
    restored = Trainer.from_state(state)
    assert restored.divergence is None
    restored.train_epochs(1)
    assert restored.divergence != "exploded"


def test_largest_per_unit_is_the_max_over_the_points_nan_included():
    from engine.watch import largest_per_unit

    values = np.random.default_rng(3).normal(size=(3, 250, 4))
    values[1, 17, 2] = np.nan
    expected = values.max(axis=-2)
    assert np.array_equal(largest_per_unit(values), expected, equal_nan=True)
    assert np.array_equal(largest_per_unit(values[0]), values[0].max(axis=0))
    assert np.isnan(expected[1, 2])
