"""Reference parity: our vectorised step against a per-sample transcription of nn.ts.

The transcription follows tensorflow/playground's `forwardProp`, `backProp` and
`updateWeights` one scalar at a time (see /work/shared/reference/tf-playground.md §1.5-1.6):
accumulate dE/dw per sample, then w -= lr · mean, then the separate regularization step
from the weight before the gradient step.
"""

import math

import numpy as np
import pytest

from engine import Config, Trainer


def _reference_batch(weights, biases, xs, ys, lr, reg, rate, deviated):
    """One mini-batch of the reference, on lists of lists (mutated in place).

    Appends to `deviated` the weights where the engine's L1 step differs from the reference.
    """
    depth = len(weights)
    acc_w = [[[0.0] * len(w[0]) for _ in w] for w in weights]
    acc_b = [[0.0] * len(b) for b in biases]
    for x, y in zip(xs, ys, strict=True):
        outputs, totals = [list(x)], []
        for k in range(depth):
            total = [
                biases[k][j]
                + sum(weights[k][i][j] * outputs[-1][i] for i in range(len(outputs[-1])))
                for j in range(len(biases[k]))
            ]
            totals.append(total)
            outputs.append([math.tanh(v) for v in total])  # tanh hidden and tanh output
        output_der = [outputs[-1][0] - y]
        for k in range(depth - 1, -1, -1):
            input_der = [
                d * (1 - math.tanh(v) ** 2) for d, v in zip(output_der, totals[k], strict=True)
            ]
            for j, d in enumerate(input_der):
                acc_b[k][j] += d
                for i, source in enumerate(outputs[k]):
                    acc_w[k][i][j] += d * source
            output_der = [
                sum(weights[k][i][j] * input_der[j] for j in range(len(input_der)))
                for i in range(len(outputs[k]))
            ]
    n = len(xs)
    for k in range(depth):
        for j in range(len(biases[k])):
            biases[k][j] -= lr * acc_b[k][j] / n
        for i in range(len(weights[k])):
            for j in range(len(weights[k][i])):
                before = weights[k][i][j]
                regul_der = {"none": 0.0, "l2": before, "l1": float(np.sign(before))}[reg]
                w = before - lr * acc_w[k][i][j] / n
                new = w - lr * rate * regul_der
                weights[k][i][j] = 0.0 if reg == "l1" and w * new < 0 else new
                if reg == "l1" and np.sign(w) != np.sign(before):
                    # The engine's documented deviation (docs/engine.md): where the gradient
                    # step reached or crossed zero, L1 is the soft threshold of w instead.
                    weights[k][i][j] = float(np.sign(w)) * max(abs(w) - lr * rate, 0.0)
                    deviated.append((k, i, j))


@pytest.mark.parametrize(
    ("reg", "rate", "batches"),
    [("none", 0.0, 25), ("l2", 0.03, 25), ("l1", 1.0, 1)],
)
def test_a_step_matches_the_reference_algorithm(reg, rate, batches):
    # L1 over a single batch: the reference then freezes clamped links forever; we do not.
    cfg = Config(shuffle=False, regularization=reg, regularization_rate=rate, learning_rate=0.1)
    t = Trainer(cfg)
    weights = [w.tolist() for w, _ in t.weights()]
    biases = [b.tolist() for _, b in t.weights()]
    ds = t.dataset
    xs = ds.x[ds.train].tolist()
    ys = [1.0 if c == 1 else -1.0 for c in ds.y[ds.train]]
    deviated: list = []
    for b in range(batches):
        rows = slice(10 * b, 10 * b + 10)
        _reference_batch(weights, biases, xs[rows], ys[rows], 0.1, reg, rate, deviated)
    assert t.train_batches(batches) == batches
    for (w, b), ref_w, ref_b in zip(t.weights(), weights, biases, strict=True):
        np.testing.assert_allclose(w, ref_w, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(b, ref_b, rtol=1e-10, atol=1e-13)
    if reg == "l1":
        assert t.metrics()["zero_weight_fraction"] > 0  # the clamp was exercised
