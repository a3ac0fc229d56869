"""Grid evaluation: shapes, orientation, agreement with the float64 network, thumbnails."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import FEATURES, Config, Trainer


@settings(max_examples=30, deadline=None)
@given(
    hidden=st.lists(st.integers(1, 6), max_size=3),
    features=st.lists(st.sampled_from(sorted(FEATURES)), min_size=1, max_size=4, unique=True),
    loss=st.sampled_from(["square", "cross_entropy", "binary_cross_entropy"]),
    n=st.sampled_from([10, 20, 40]),
)
def test_grid_shapes_follow_the_network(hidden, features, loss, n):
    t = Trainer(Config.from_dict({"hidden": hidden, "features": features, "loss": loss}))
    g = t.grid(n)
    assert g.n == n
    assert g.inputs.shape == (n, n, len(t.config.features)) and g.inputs.dtype == np.float32
    assert [layer.shape for layer in g.layers] == [(n, n, w) for w in t.network.sizes[1:]]
    assert all(layer.dtype == np.float32 for layer in g.layers)
    assert g.output.shape == ((n, n, 2) if loss == "cross_entropy" else (n, n))
    thumbs = g.thumbnails(n // 10)
    assert thumbs.shape == (sum(t.network.sizes[1:]), n // 10, n // 10)


def test_row_zero_is_the_top_and_column_zero_the_left():
    g = Trainer().grid(5)
    x1, x2 = g.inputs[:, :, 0], g.inputs[:, :, 1]
    assert x1[0, 0] == -6 and x1[0, -1] == 6
    assert x2[0, 0] == 6 and x2[-1, 0] == -6


def test_grid_output_matches_the_float64_network():
    t = Trainer(Config(features=["x1", "x2", "sin_x1"], hidden=[5, 3]))
    t.train_epochs(20)
    g = t.grid(30)
    points = g.inputs.reshape(-1, 3).astype(np.float64)
    expected = t.network.forward(points).h[-1][:, 0].reshape(30, 30)
    np.testing.assert_allclose(g.output, expected, atol=1e-5)


def test_softmax_output_is_probabilities():
    g = Trainer(Config(dataset="blobs", num_classes=4, loss="cross_entropy")).grid(20)
    assert g.output.shape == (20, 20, 4) and g.output_kind == "softmax"
    np.testing.assert_allclose(g.output.sum(axis=2), 1.0, atol=1e-5)


def test_thumbnails_are_block_means_of_the_full_maps():
    g = Trainer().grid(20)
    thumbs = g.thumbnails(4)
    first = g.layers[0][:, :, 0]
    assert thumbs[0, 1, 2] == pytest.approx(first[5:10, 10:15].mean(), rel=1e-5)
    last = g.layers[-1][:, :, 0]
    assert thumbs[-1, 3, 0] == pytest.approx(last[15:20, 0:5].mean(), rel=1e-5)


@pytest.mark.parametrize("t", [1, 2, 4, 5, 10, 20])
def test_every_thumbnail_pixel_is_its_block_mean_for_every_divisor(t):
    g = Trainer(Config(hidden=(3, 2))).grid(20)
    k = 20 // t
    maps = g.neurons.astype(np.float64)
    expected = np.array(
        [
            [
                [m[i * k : (i + 1) * k, j * k : (j + 1) * k].mean() for j in range(t)]
                for i in range(t)
            ]
            for m in maps
        ]
    )
    np.testing.assert_allclose(g.thumbnails(t), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("t", [3, 0, 21, 2.0])
def test_thumbnail_size_must_divide_the_grid(t):
    with pytest.raises(ValueError):
        Trainer().grid(20).thumbnails(t)


@pytest.mark.parametrize("n", [1, 401, 10.0, True])
def test_grid_size_is_bounded(n):
    with pytest.raises(ValueError):
        Trainer().grid(n)


def test_grid_ignores_dropout():
    t = Trainer(Config(dropout=0.5))
    np.testing.assert_array_equal(t.grid(10).output, t.grid(10).output)
