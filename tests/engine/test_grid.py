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


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"activation": "relu", "hidden": [5, 3]},
        {"activation": "sigmoid", "loss": "binary_cross_entropy"},
        {"dataset": "spiral", "num_classes": 3, "loss": "cross_entropy", "hidden": [6]},
        {"problem": "regression", "dataset": "plane", "activation": "linear"},
        {"standardize": True, "features": ["x1", "x2", "x1_squared"], "hidden": [3]},
    ],
)
@pytest.mark.parametrize("thumb_size", [None, 8])
def test_grids_evaluated_together_are_each_networks_own_bit_for_bit(config, thumb_size):
    from engine.grid import evaluate_grids

    trainers = []
    for seed in range(4):
        t = Trainer(Config.from_dict({**config, "seed": seed}))
        t.train_epochs(seed + 2)  # different weights in each
        trainers.append(t)
    if "features" in config:  # same count, other features: every network its own inputs
        trainers[1] = Trainer(
            Config.from_dict({**config, "seed": 9, "features": ["x1", "x2", "sin_x1"]})
        )
    stack = evaluate_grids(
        [t.network for t in trainers],
        [t.config.features for t in trainers],
        40,
        [t.data.input_affine for t in trainers],
        thumb_size,
    )
    thumbs = stack.thumbnails(8)
    outputs = stack.outputs()
    for i, t in enumerate(trainers):
        args = ([t.config.features], 40, [t.data.input_affine], thumb_size)
        alone = evaluate_grids([t.network], *args).grids[0]
        together = stack.grids[i]
        assert np.array_equal(together.neurons, alone.neurons)
        assert np.array_equal(together.output, alone.output)
        assert np.array_equal(together.inputs, alone.inputs)
        assert all(np.array_equal(a, b) for a, b in zip(together.layers, alone.layers, strict=True))
        assert np.array_equal(thumbs[i], alone.thumbnails(8))
        assert np.array_equal(outputs[i], alone.output)


def test_only_networks_of_one_shape_are_evaluated_together():
    from engine.grid import evaluate_grids

    a, b = Trainer(Config()), Trainer(Config.from_dict({"hidden": [3]}))
    with pytest.raises(ValueError, match="share shape"):
        evaluate_grids([a.network, b.network], [a.config.features] * 2, 20)


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"activation": "relu", "hidden": [5, 3]},
        {"dataset": "spiral", "num_classes": 3, "loss": "cross_entropy", "hidden": [6]},
        {"standardize": True, "features": ["x1", "x2", "x1_squared"], "hidden": [3]},
    ],
)
@pytest.mark.parametrize("thumb_size", [1, 4, 8, 20, 40])
def test_a_grid_laid_out_for_its_thumbnails_is_the_same_grid_bit_for_bit(config, thumb_size):
    """Rows evaluated in block order (engine.grid's `thumb_size`) give the same pictures,
    and the same thumbnails of every size, as the grid in picture order."""
    from engine.grid import evaluate_grids

    trainers = [Trainer(Config.from_dict({**config, "seed": s})) for s in range(3)]
    for epochs, t in enumerate(trainers):
        t.train_epochs(epochs + 1)
    args = (
        [t.network for t in trainers],
        [t.config.features for t in trainers],
        40,
        [t.data.input_affine for t in trainers],
    )
    plain, laid_out = evaluate_grids(*args), evaluate_grids(*args, thumb_size)
    assert np.array_equal(laid_out.outputs(), plain.outputs())
    assert np.array_equal(laid_out.neurons, plain.neurons)
    for t in (thumb_size, 5, 40):
        assert np.array_equal(laid_out.thumbnails(t), plain.thumbnails(t))
    for a, b in zip(laid_out.grids, plain.grids, strict=True):
        assert np.array_equal(a.output, b.output)
        assert np.array_equal(a.inputs, b.inputs)
        assert all(np.array_equal(x, y) for x, y in zip(a.layers, b.layers, strict=True))
        assert np.array_equal(a.thumbnails(thumb_size), b.thumbnails(thumb_size))


def test_laid_out_thumbnails_are_block_means_of_the_pictures():
    from engine.grid import evaluate_grids

    t = Trainer(Config(hidden=(3, 2)))
    t.train_epochs(3)
    stack = evaluate_grids([t.network], [t.config.features], 20, None, 4)
    maps = stack.neurons[0].astype(np.float64)
    expected = maps.reshape(-1, 4, 5, 4, 5).mean(axis=(2, 4))
    np.testing.assert_allclose(stack.thumbnails(4)[0], expected, rtol=1e-5, atol=1e-6)
    x2 = stack.grids[0].inputs[:, :, 1]
    assert x2[0, 0] == 6 and x2[-1, 0] == -6  # the pictures are the right way up


@pytest.mark.parametrize("thumb_size", [3, 0, 21, 2.0, True])
def test_the_layout_thumbnail_size_must_divide_the_grid(thumb_size):
    from engine.grid import evaluate_grids

    t = Trainer()
    with pytest.raises(ValueError, match="thumbnail size must be a divisor of 20"):
        evaluate_grids([t.network], [t.config.features], 20, None, thumb_size)


def sequential_block_means(maps: np.ndarray, t: int) -> np.ndarray:
    """Block means in float32 summed in one stated order: each block's rows added top to
    bottom (column by column), then those k column sums left to right, times 1/k²."""
    count, n = len(maps), maps.shape[-1]
    k = n // t
    blocks = maps.reshape(count, t, k, t, k)  # (map, block row, row in block, block col, col)
    rows = blocks[:, :, 0].copy()
    for i in range(1, k):
        rows += blocks[:, :, i]
    sums = rows[..., 0].copy()
    for j in range(1, k):
        sums += rows[..., j]
    sums *= 1.0 / (k * k)
    return sums


@pytest.mark.parametrize("thumb_size", [None, 5, 10])
@pytest.mark.parametrize("t", [4, 5, 10, 20])
def test_thumbnails_are_summed_in_a_fixed_order_whatever_the_layout(thumb_size, t):
    """The same bits as this order gives, however the grid was laid out: thumbnails do not
    change when the code that sums them is made cheaper."""
    from engine.grid import evaluate_grids

    trainers = [Trainer(Config(hidden=(3, 2), seed=s)) for s in range(2)]
    for epochs, trainer in enumerate(trainers):
        trainer.train_epochs(epochs + 2)
    args = ([tr.network for tr in trainers], [tr.config.features for tr in trainers], 20)
    stack = evaluate_grids(*args, None, thumb_size)
    expected = [sequential_block_means(neurons, t) for neurons in stack.neurons]
    assert np.array_equal(stack.thumbnails(t), np.stack(expected))
    for grid, want in zip(stack.grids, expected, strict=True):
        assert np.array_equal(grid.thumbnails(t), want)


@pytest.mark.parametrize("thumb_size", [None, 4])
def test_one_picture_is_the_slice_of_the_grid_it_names(thumb_size):
    from engine.grid import evaluate_grids

    t = Trainer(Config(hidden=(3, 2), features=["x1", "x2", "sin_x1"]))
    t.train_epochs(2)
    grid = evaluate_grids([t.network], [t.config.features], 20, None, thumb_size).grids[0]
    for unit in range(3):
        assert np.array_equal(grid.picture(0, unit), grid.inputs[:, :, unit])
    for layer, width in enumerate(t.network.sizes[1:], start=1):
        for unit in range(width):
            assert np.array_equal(grid.picture(layer, unit), grid.layers[layer - 1][:, :, unit])
    for layer, unit in [(1, 3), (3, 1), (4, 0)]:
        with pytest.raises(IndexError):
            grid.picture(layer, unit)
