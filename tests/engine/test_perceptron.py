"""The perceptron rule (optimizer `perceptron`), the step activation, and the logic gates."""

import numpy as np
import pytest

from engine import Config, ConfigError, Trainer


def _rosenblatt(w, b, x, t01, lr):
    """One full-batch mean step of w <- w + lr (t - y_hat) x with 0/1 labels, y_hat = [z >= 0]."""
    y_hat = (x @ w + b >= 0).astype(float)
    error = (t01 - y_hat) / len(x)
    return w + lr * x.T @ error, b + lr * error.sum()


@pytest.mark.parametrize("loss", ["square", "binary_cross_entropy", "cross_entropy"])
def test_one_step_is_rosenblatts_rule_for_every_two_class_head(loss):
    cfg = Config(
        dataset="gauss",
        noise=40,
        hidden=(),
        loss=loss,
        optimizer="perceptron",
        learning_rate=0.1,
        batch_size=2000,
        shuffle=False,
    )
    trainer = Trainer(cfg)
    ((w, b),) = trainer.weights()
    x, targets = trainer.data.rows("train")
    labels = trainer.data.y[trainer.data.splits["train"]].astype(float)
    trainer.train_batches(1)
    ((w_new, b_new),) = trainer.weights()
    if loss == "cross_entropy":
        # Two softmax units: each is a perceptron for "my class"; the arg max decides.
        z = x @ w + b
        y_hat = np.eye(2)[z.argmax(axis=1)]
        expected_w = w - 0.1 * x.T @ (y_hat - targets) / len(x)
        np.testing.assert_allclose(w_new, expected_w, rtol=1e-12, atol=1e-14)
        return
    expected_w, expected_b = _rosenblatt(w[:, 0], b[0], x, labels, 0.1)
    np.testing.assert_allclose(w_new[:, 0], expected_w, rtol=1e-12, atol=1e-14)
    assert b_new[0] == pytest.approx(expected_b, rel=1e-12, abs=1e-14)


def test_a_correctly_classified_batch_does_not_move_the_weights():
    trainer = Trainer(Config(dataset="and", hidden=(), optimizer="perceptron", learning_rate=0.5))
    trainer.train_epochs(30)
    assert trainer.metrics()["train_accuracy"] == 1.0
    before = trainer.network.params.copy()
    trainer.train_epochs(1)
    np.testing.assert_array_equal(trainer.network.params, before)


@pytest.mark.parametrize("dataset", ["and", "or"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_perceptron_learns_and_and_or(dataset, seed):
    cfg = Config(
        dataset=dataset,
        hidden=(),
        optimizer="perceptron",
        learning_rate=0.1,
        seed=seed,
        data_seed=seed,
    )
    trainer = Trainer(cfg)
    trainer.train_epochs(50)
    assert trainer.metrics()["train_accuracy"] == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_perceptron_cannot_learn_xor(seed):
    cfg = Config(dataset="xor", hidden=(), optimizer="perceptron", seed=seed, data_seed=seed)
    trainer = Trainer(cfg)
    trainer.train_epochs(100)
    assert trainer.metrics()["train_accuracy"] < 0.75


@pytest.mark.parametrize(
    "changes",
    [{"hidden": [2]}, {"problem": "regression", "dataset": "plane", "hidden": []}],
)
def test_the_perceptron_needs_a_classifier_without_hidden_layers(changes):
    with pytest.raises(ConfigError) as info:
        Config.from_dict({"optimizer": "perceptron", **changes})
    assert info.value.field == "optimizer"
    assert "hidden = []" in str(info.value)


def test_a_hidden_step_layer_passes_no_gradient_down():
    trainer = Trainer(Config(dataset="circle", hidden=(4,), activation="step"))
    first = trainer.weights()[0][0]
    trainer.train_epochs(5)
    np.testing.assert_array_equal(trainer.weights()[0][0], first)
    grad_norms = trainer.metrics()["grad_norms"]
    assert grad_norms[0] == 0.0
    assert grad_norms[1] > 0.0
