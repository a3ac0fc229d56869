"""The trainer's hot path against a textbook NumPy loop, bit for bit.

`engine.loop` and `engine.network` bind methods, reuse buffers and pass constants as 0-d
arrays to save per-call overhead. None of that may change a single bit: this loop does the
same arithmetic in the same order in the plainest NumPy (an `a @ w` product where the engine
calls `a.dot(w, out)`, `ones @ delta` for the bias gradient as the engine sums it), and the
trainer must end on exactly its weights and losses.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import Config, Trainer

FEATURES = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
CASES = {
    # The lone-session benchmark's network (engine.bench case b, app.bench --preset big).
    "spiral_6x8_tanh": {"dataset": "spiral", "hidden": [8] * 6, "features": FEATURES},
    # A last partial batch (120 * 0.5 = 60 training points in batches of 7), no shuffle.
    "partial_batches_relu": {
        "hidden": [5, 3],
        "activation": "relu",
        "num_points": 120,
        "batch_size": 7,
        "shuffle": False,
        "learning_rate": 0.1,
    },
    "softmax_sigmoid": {
        "dataset": "blobs",
        "num_classes": 3,
        "loss": "cross_entropy",
        "activation": "sigmoid",
        "hidden": [6],
    },
    "regression_linear_head": {"problem": "regression", "dataset": "plane", "hidden": [4, 4]},
}
ACTIVATIONS = {
    "tanh": (np.tanh, lambda z, h: 1.0 - h * h),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, h: (z > 0.0).astype(np.float64)),
    "sigmoid": (lambda z: 0.5 * (np.tanh(0.5 * z) + 1.0), lambda z, h: (1.0 - h) * h),
}


def _head(kind: str):
    """(output, loss per point, dloss/dz) of the engine's heads, written out."""
    if kind == "tanh":
        return (
            np.tanh,
            lambda z, o, t: 0.5 * np.square(o - t).sum(axis=1),
            lambda z, o, t: (o - t) * (1.0 - o * o),
        )
    if kind == "linear":
        return (
            lambda z: z.copy(),
            lambda z, o, t: 0.5 * np.square(o - t).sum(axis=1),
            lambda z, o, t: o - t,
        )

    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def cross_entropy(z, o, t):
        top = z.max(axis=1, keepdims=True)
        return np.log(np.exp(z - top).sum(axis=1)) + top[:, 0] - (z * t).sum(axis=1)

    return softmax, cross_entropy, lambda z, o, t: o - t


def textbook_epochs(trainer: Trainer, epochs: int) -> tuple[list[np.ndarray], list[tuple]]:
    """Plain SGD from the trainer's state (which it does not change): the weights (W, b)
    and the (train, test) losses after every epoch."""
    cfg = trainer.config
    net = trainer.network
    weights = [w.copy() for w in net.weights]
    biases = [b.copy() for b in net.biases]
    act, slope = ACTIVATIONS[cfg.activation]
    out, loss, delta_of = _head(net.head.kind)
    shuffle = np.random.default_rng()
    shuffle.bit_generator.state = trainer._shuffle_rng.bit_generator.state
    data = trainer.data
    x_train, t_train = data.rows("train")
    n = len(x_train)
    losses = []

    def forward(x):
        zs, hs = [], [x]
        for k, (w, b) in enumerate(zip(weights, biases, strict=True)):
            z = hs[-1] @ w + b
            zs.append(z)
            hs.append(out(z) if k == len(weights) - 1 else act(z))
        return zs, hs

    for _ in range(epochs):
        order = shuffle.permutation(n) if cfg.shuffle else np.arange(n)
        xs, ts = x_train[order], t_train[order]
        for start in range(0, n, min(cfg.batch_size, n)):
            x, t = xs[start : start + cfg.batch_size], ts[start : start + cfg.batch_size]
            zs, hs = forward(x)
            delta = delta_of(zs[-1], hs[-1], t) * (1.0 / len(x))
            grads = []
            for k in range(len(weights) - 1, -1, -1):
                grads.append((hs[k].T @ delta, np.ones(len(x)) @ delta))
                if k:
                    delta = (delta @ weights[k].T) * slope(zs[k - 1], hs[k])
            for k, (gw, gb) in enumerate(reversed(grads)):
                weights[k] -= gw * cfg.learning_rate
                biases[k] -= gb * cfg.learning_rate
        zs, hs = forward(data.x)
        per_point = loss(zs[-1], hs[-1], data.t)
        split = [per_point[data.splits[name]] for name in ("train", "test")]
        losses.append(tuple(float(np.add.reduce(p)) / len(p) for p in split))
    return [np.concatenate([*(w.ravel() for w in weights), *biases])], losses


@pytest.mark.parametrize("case", CASES)
def test_the_trainer_equals_the_textbook_loop_bit_for_bit(case):
    trainer = Trainer(Config.from_dict(CASES[case]))
    trainer.train_epochs(3)  # not from epoch 0: the optimizer and generators have moved on
    (params,), losses = textbook_epochs(trainer, 12)
    assert trainer.train_epochs(12) == 12
    assert np.array_equal(trainer.network.params, params)
    history = trainer.history
    recorded = list(zip(history["train_loss"], history["test_loss"], strict=True))[3:]
    assert recorded == losses


def test_the_textbook_loop_sees_a_changed_step():
    """The comparison can fail: a learning rate one ulp away is a different run."""
    trainer = Trainer(Config.from_dict(CASES["spiral_6x8_tanh"]))
    (params,), _ = textbook_epochs(trainer, 2)
    trainer.configure({"learning_rate": np.nextafter(trainer.config.learning_rate, 1.0)})
    trainer.train_epochs(2)
    assert not np.array_equal(trainer.network.params, params)


def test_a_mini_batch_sees_a_bias_edited_between_passes():
    """Small batches add the biases from full-row copies made each pass: an edit counts."""
    trainer = Trainer(Config.from_dict(CASES["spiral_6x8_tanh"]))
    net = trainer.network
    x = trainer.data.x[:10]
    net.forward(x)
    trainer.set_bias(2, 3, 0.75)
    z = net.forward(x).z[2].copy()
    h = x
    for w, b in zip(net.weights[:2], net.biases[:2], strict=True):
        h = np.tanh(h @ w + b)
    assert np.array_equal(z, h @ net.weights[2] + net.biases[2])


def test_new_data_and_a_new_batch_size_are_trained_on_not_stale_batches():
    """The loop keeps its mini-batch views between epochs: they must follow the data."""
    trainer = Trainer(Config.from_dict(CASES["partial_batches_relu"]))
    trainer.train_epochs(2)
    trainer.regenerate(77)  # new data, same network
    trainer.configure({"batch_size": 9})
    (params,), losses = textbook_epochs(trainer, 3)
    trainer.train_epochs(3)
    assert np.array_equal(trainer.network.params, params)
    assert trainer.last_losses["train_loss"] == losses[-1][0]
