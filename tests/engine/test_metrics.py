"""Trainer.metrics(): each figure against its definition."""

import numpy as np
import pytest

from engine import Config, Trainer


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


def test_confusion_counts_each_test_point_by_true_and_predicted_class():
    t = Trainer(Config(dataset="blobs", num_classes=4, loss="cross_entropy", noise=60))
    t.train_epochs(3)
    x, _ = t.data.rows("test")
    logits = x
    for k, (w, b) in enumerate(t.weights()):
        logits = logits @ w + b
        if k < len(t.weights()) - 1:
            logits = np.tanh(logits)
    expected = np.zeros((4, 4), dtype=int)
    labels = t.data.y[t.data.splits["test"]]
    for true, predicted in zip(labels, logits.argmax(axis=1), strict=True):
        expected[int(true), int(predicted)] += 1
    confusion = t.metrics()["confusion"]
    assert confusion == expected.tolist()
    assert 0 < np.trace(expected) < expected.sum()  # a mix of right and wrong answers


def test_zero_weight_fraction_counts_exact_zeros_among_weights_only():
    t = Trainer(Config(hidden=[4, 2]))  # 2*4 + 4*2 + 2*1 = 18 weights
    t.set_weight(0, 0, 1, 0.0)
    t.set_weight(2, 1, 0, 0.0)
    t.set_bias(0, 0, 0.0)  # biases do not count
    assert t.metrics()["zero_weight_fraction"] == pytest.approx(2 / 18)
