"""The backprop trace of one point: its gradient is the engine's, and its update is a real step."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Config, Trainer
from engine.activations import ACTIVATIONS
from engine.datasets import Dataset
from engine.optimizers import OPTIMIZERS
from engine.options import ConfigError
from engine.trace import trace_step

# (loss, dataset, classes): every output head the engine has.
HEADS = {
    "square_tanh": {"loss": "square", "dataset": "circle"},
    "square_linear": {"loss": "square", "problem": "regression", "dataset": "plane"},
    "softmax": {"loss": "cross_entropy", "dataset": "blobs", "num_classes": 3},
    "sigmoid": {"loss": "binary_cross_entropy", "dataset": "xor"},
}


def trained(**changes) -> Trainer:
    base = {"hidden": (3, 2), "features": ("x1", "x2", "x1_x2"), "noise": 10}
    trainer = Trainer(Config.from_dict({**base, **changes}))
    trainer.train_epochs(3)  # away from the initial weights, so the numbers are not special
    return trainer


def flat(trace: dict, key: str, bias_key: str) -> np.ndarray:
    layers = trace["layers"]
    return np.concatenate(
        [np.ravel(layer[key]) for layer in layers] + [np.ravel(layer[bias_key]) for layer in layers]
    )


def point_loss(trainer: Trainer, params: np.ndarray, index: int) -> float:
    """The data loss of point `index` alone at `params` (the trainer's network, no dropout)."""
    net = trainer.network
    saved = net.params.copy()
    try:
        net.params[...] = params
        row = int(
            np.flatnonzero(
                np.concatenate((trainer.dataset.train, trainer.dataset.val, trainer.dataset.test))
                == index
            )[0]
        )
        return net.loss(trainer.data.x[row : row + 1], trainer.data.t[row : row + 1])
    finally:
        net.params[...] = saved


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("head", sorted(HEADS))
def test_trace_gradient_is_the_batch_of_one_gradient_and_central_differences(activation, head):
    trainer = trained(activation=activation, **HEADS[head])
    index = int(trainer.dataset.train[5])
    trace = trace_step(trainer, index)
    grads = flat(trace, "weights_grad", "bias_grad")

    net = trainer.network
    row = int(np.flatnonzero(trainer.dataset.train == index)[0])  # train rows come first
    x, t = trainer.data.x[row : row + 1], trainer.data.t[row : row + 1]
    net.backward(x, t, net.forward(x), 1.0)
    np.testing.assert_allclose(grads, net.grads, rtol=0, atol=1e-12)

    params = net.params.copy()
    numeric = np.empty_like(params)
    eps = 1e-6
    for i in range(params.size):
        step = np.zeros_like(params)
        step[i] = eps
        plus = point_loss(trainer, params + step, index)
        minus = point_loss(trainer, params - step, index)
        numeric[i] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(grads, numeric, rtol=1e-5, atol=1e-6)
    assert trace["output"]["loss"] == pytest.approx(point_loss(trainer, params, index), abs=1e-12)


def test_trace_forward_values_follow_the_layer_rule():
    trainer = trained(activation="tanh")
    trace = trace_step(trainer, 0)
    below = np.array([item["value"] for item in trace["inputs"]])
    for k, layer in enumerate(trace["layers"]):
        z = below @ np.array(layer["weights"]) + np.array(layer["biases"])
        np.testing.assert_allclose(layer["z"], z, atol=1e-12)
        below = np.array(layer["a"])
        if k < len(trace["layers"]) - 1:
            np.testing.assert_allclose(below, np.tanh(z), atol=1e-12)
            np.testing.assert_allclose(layer["slope"], 1 - below**2, atol=1e-12)
            np.testing.assert_allclose(layer["dz"], np.array(layer["da"]) * layer["slope"])
    np.testing.assert_allclose(trace["output"]["o"], below)


def one_point_trainer(**changes) -> Trainer:
    """A trainer whose whole training set is one point, so one batch is that point alone."""
    cfg = Config.from_dict({"hidden": (3,), "batch_size": 1, **changes})
    rng = np.random.default_rng(0)
    points = [[1.5, -2.0, 1, 0], [-1.0, 2.5, 0, 1]]  # split codes: 0 train, 1 test
    dataset = Dataset.from_points(points, "classification", 50, 0, rng, 2)
    trainer = Trainer(cfg, dataset)
    trainer.train_batches(2)  # optimizer state that is not all zeros
    return trainer


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("regularization", ["none", "l1", "l2"])
def test_trace_update_is_the_step_the_trainer_then_takes(optimizer, regularization):
    hidden = () if optimizer == "perceptron" else (3,)  # the perceptron rule: no hidden layer
    trainer = one_point_trainer(
        optimizer=optimizer, regularization=regularization, regularization_rate=0.1, hidden=hidden
    )
    trace = trace_step(trainer, 0)
    trainer.train_batches(1)
    np.testing.assert_array_equal(
        flat(trace, "weights_after", "bias_after"), trainer.network.params
    )
    assert trace["update"]["optimizer"] == optimizer
    assert trace["rules"]["update"]


def test_trace_of_the_perceptron_rule_shows_its_error_not_the_loss_gradient():
    trainer = one_point_trainer(optimizer="perceptron", hidden=(), learning_rate=1.0)
    trainer.network.params[...] = 0.0  # z = 0 predicts class 1; the training point is class 1
    trainer.set_bias(0, 0, -1.0)  # now z < 0: predicted class 0, wrong
    trace = trace_step(trainer, 0)
    assert trace["layers"][-1]["dz"] == [-1.0]  # (ŷ − t)/2 with ±1 targets
    assert "ŷ − t" in trace["rules"]["loss"]


def test_trace_changes_nothing():
    trainer = trained(optimizer="adam")
    before = trainer.export_state()
    trace_step(trainer, 3)
    assert trainer.export_state() == before


@pytest.mark.parametrize("hidden", [(), (2,) * 8])
def test_trace_works_from_no_hidden_layer_to_eight(hidden):
    trainer = trained(hidden=hidden, activation="relu")
    trace = trace_step(trainer, 1)
    assert len(trace["layers"]) == len(hidden) + 1
    assert trace["layers"][-1]["da"] is None  # the output layer starts from the loss


def test_every_rule_is_written_down():
    for activation in ACTIVATIONS.values():
        assert "′" in activation.derivative_rule, activation.name
    for optimizer in OPTIMIZERS.values():
        assert "←" in optimizer.update_rule, optimizer.name
    for head in HEADS:
        trainer = trained(**HEADS[head])
        assert trainer.head.delta_rule.startswith("∂L/∂z"), head


@pytest.mark.parametrize("index", [-1, 10_000, 1.5, True, "3"])
def test_a_bad_point_index_names_the_field_and_range(index):
    trainer = trained()
    with pytest.raises(ConfigError) as error:
        trace_step(trainer, index)
    assert "index" in str(error.value)
