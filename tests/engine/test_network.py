"""The network: shapes, layout, and the whole backward pass against central differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.activations import ACTIVATIONS
from engine.initializers import INITIALIZERS
from engine.losses import LOSSES
from engine.network import Network
from tests.engine.gradcheck import check_gradient

CASES = {
    "reference_default": ((2, 4, 2), ("tanh", "tanh"), ("square", "classification", 2), (0, 0)),
    "no_hidden_layer": ((3,), (), ("square", "regression", 0), ()),
    "relu_deep": ((7, 8, 8, 8), ("relu",) * 3, ("square", "classification", 2), (0,) * 3),
    "mixed_activations": (
        (4, 5, 3, 6),
        ("elu", "gelu", "swish"),
        ("cross_entropy", "classification", 4),
        (0, 0, 0),
    ),
    "sine_softplus_bce": (
        (2, 6, 6),
        ("sine", "softplus"),
        ("binary_cross_entropy", "classification", 2),
        (0, 0),
    ),
    "sigmoid_leaky_linear": (
        (5, 4, 4, 4),
        ("sigmoid", "leaky_relu", "linear"),
        ("square", "regression", 0),
        (0, 0, 0),
    ),
    "dropout": ((3, 8, 8), ("tanh", "relu"), ("cross_entropy", "classification", 3), (0.5, 0.3)),
    "square_multiclass": ((2, 6), ("tanh",), ("square", "classification", 4), (0.2,)),
}


def _network(case, seed=0):
    inputs_hidden, activations, (loss, problem, k), dropout = CASES[case]
    head = LOSSES[loss].head(problem, k)
    sizes = (*inputs_hidden, head.units)
    net = Network(sizes, [ACTIVATIONS[a] for a in activations], head, dropout)
    rng = np.random.default_rng(seed)
    net.initialize(INITIALIZERS["glorot"], rng)
    net.params += rng.normal(scale=0.1, size=net.params.size)  # biases non-zero too
    n = 9
    x = rng.uniform(-2, 2, size=(n, sizes[0]))
    y = rng.normal(size=n) if problem == "regression" else rng.integers(0, k, size=n)
    return net, x, head.targets(y), rng


@pytest.mark.parametrize("case", CASES)
def test_backward_is_the_gradient_of_the_mean_batch_loss(case):
    net, x, t, rng = _network(case)
    dropout_seed = 123

    def mask_rng():
        # The same seed every call gives the same dropout masks for every evaluation.
        return np.random.default_rng(dropout_seed) if any(net.dropout) else None

    def f(p):
        net.params[...] = p
        ws = net.forward(x, mask_rng())
        return float(net.head.loss(ws.z[-1], ws.h[-1], t).mean())

    def grad(p):
        net.params[...] = p
        net.backward(x, t, net.forward(x, mask_rng()), 1.0 / len(x))
        return net.grads.copy()

    check_gradient(f, grad, net.params.copy(), rng, directions=12)


def test_flat_layout_is_weights_first_then_biases_with_views():
    net, _, _, _ = _network("reference_default")
    assert net.sizes == (2, 4, 2, 1)
    assert net.weight_count == 2 * 4 + 4 * 2 + 2 * 1
    assert net.params.size == net.weight_count + 4 + 2 + 1
    net.weights[1][3, 1] = 42.0
    assert net.params[8 + 3 * 2 + 1] == 42.0
    net.biases[0][2] = -7.0
    assert net.params[net.weight_count + 2] == -7.0


def test_evaluation_forward_applies_no_dropout():
    net, x, _, _ = _network("dropout")
    once = net.forward(x).h[-1].copy()
    again = net.forward(x).h[-1]
    np.testing.assert_array_equal(once, again)
    trained = net.forward(x, np.random.default_rng(0)).h[-1]
    assert not np.allclose(trained, once)


def test_dropout_keeps_the_expected_activation():
    # Inverted dropout: the mean of the masked activations stays the unmasked one.
    sizes = (2, 400, 1)
    net = Network(sizes, [ACTIVATIONS["linear"]], LOSSES["square"].head("regression", 0), (0.5,))
    net.weights[0][...] = 1.0
    x = np.ones((200, 2))
    ws = net.forward(x, np.random.default_rng(0))
    dropped = np.mean(ws.a[0] == 0.0)
    assert 0.45 < dropped < 0.55
    assert np.mean(ws.a[0]) == pytest.approx(np.mean(ws.h[0]), rel=0.03)


def test_uniform_init_is_the_reference():
    net = Network(
        (2, 4, 2, 1), [ACTIVATIONS["tanh"]] * 2, LOSSES["square"].head("classification", 2), (0, 0)
    )
    net.initialize(INITIALIZERS["uniform"], np.random.default_rng(0))
    weights = net.params[: net.weight_count]
    assert np.all((weights >= -0.5) & (weights < 0.5))
    assert weights.std() > 0.2  # spread over the interval, not a constant
    assert np.all(net.params[net.weight_count :] == 0.1)


def test_backward_after_an_evaluation_pass_uses_no_dropout_mask():
    net, x, t, rng = _network("dropout")
    net.forward(x, np.random.default_rng(0))  # leaves masks in the workspace

    def f(p):
        net.params[...] = p
        return net.loss(x, t)

    def grad(p):
        net.params[...] = p
        net.backward(x, t, net.forward(x), 1.0 / len(x))
        return net.grads.copy()

    check_gradient(f, grad, net.params.copy(), rng)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 9), min_size=2, max_size=5),
    n=st.integers(1, 12),
    dropout=st.sampled_from([0.0, 0.4]),
)
def test_forward_and_backward_shapes_follow_the_sizes(sizes, n, dropout):
    head = LOSSES["square"].head("regression", 0)
    sizes = [*sizes[:-1], 1]
    hidden = len(sizes) - 2
    net = Network(sizes, [ACTIVATIONS["tanh"]] * hidden, head, [dropout] * hidden)
    assert [w.shape for w in net.weights] == list(zip(sizes[:-1], sizes[1:], strict=True))
    assert [b.shape for b in net.biases] == [(d,) for d in sizes[1:]]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, sizes[0]))
    ws = net.forward(x, rng)
    assert [h.shape for h in ws.h] == [(n, d) for d in sizes[1:]]
    net.grads[...] = np.nan
    net.backward(x, rng.normal(size=(n, 1)), ws, 1.0 / n)
    assert np.all(np.isfinite(net.grads))  # every entry written


def test_workspaces_are_bounded_as_data_sizes_change():
    net, _, _, _ = _network("reference_default")
    for n in range(1, 40):
        net.forward(np.zeros((n, 2)))
    assert len(net._workspaces) <= 8


def test_released_buffers_free_memory_and_change_no_result():
    import tracemalloc

    from engine import Config, Trainer

    tracemalloc.start()  # before the buffers are made: their release is then counted
    try:
        kept, released = Trainer(Config()), Trainer(Config())
        kept.train_epochs(3)
        released.train_epochs(3)
        before = tracemalloc.get_traced_memory()[0]
        released.network.release_buffers()
        freed = before - tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert freed > 50_000  # the batch and all-points buffers (about 67 KB here)
    kept.train_epochs(3)
    released.train_epochs(3)
    assert kept.metrics()["train_loss"] == released.metrics()["train_loss"]
    for (w1, b1), (w2, b2) in zip(kept.weights(), released.weights(), strict=True):
        assert np.array_equal(w1, w2) and np.array_equal(b1, b2)
