"""Input scaling knobs: input_scale / input_shift, and standardize (z-score from training)."""

import numpy as np
import pytest

from engine import Config, ConfigError, Trainer
from engine.features import feature_matrix
from engine.prepared import input_affine

FEATURES = ("x1", "x2", "x1_squared", "x1_x2")


def _raw(t, rows):
    """The features of `rows` of the prepared order, straight from the points."""
    order = np.concatenate((t.dataset.train, t.dataset.val, t.dataset.test))
    return feature_matrix(t.dataset.x[order][rows], t.config.features)


def test_scale_and_shift_multiply_then_add():
    t = Trainer(Config(features=FEATURES, input_scale=10.0, input_shift=-3.0))
    everything = slice(0, len(t.data.x))
    np.testing.assert_allclose(t.data.x, _raw(t, everything) * 10.0 - 3.0, rtol=1e-13)


def test_standardized_training_inputs_have_mean_zero_and_unit_deviation():
    t = Trainer(
        Config(features=FEATURES, standardize=True, input_scale=7.0, input_shift=4.0, noise=30)
    )
    x, _ = t.data.rows("train")
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(x.std(axis=0), 1.0, rtol=1e-12)
    # The test points use the training statistics, not their own.
    test = t.data.splits["test"]
    train = _raw(t, t.data.splits["train"])
    expected = (_raw(t, test) - train.mean(axis=0)) / train.std(axis=0)
    np.testing.assert_allclose(t.data.x[test], expected, rtol=1e-10, atol=1e-12)


def test_standardized_runs_do_not_depend_on_scale_or_shift():
    plain = Trainer(Config(standardize=True))
    moved = Trainer(Config(standardize=True, input_scale=25.0, input_shift=-60.0))
    for t in (plain, moved):
        t.train_epochs(20)
    np.testing.assert_allclose(moved.network.params, plain.network.params, rtol=1e-8, atol=1e-10)


def test_a_constant_feature_is_centred_not_divided_by_zero():
    factor, offset = input_affine(np.full((5, 2), 3.0), 2.0, 1.0, True)
    assert factor.tolist() == [2.0, 2.0] and offset.tolist() == [-6.0, -6.0]  # 3·2 − 6 = 0


@pytest.mark.parametrize(
    "changes",
    [{}, {"input_scale": 3.0}, {"input_shift": 2.5}, {"standardize": True, "input_scale": 0.2}],
)
def test_the_grid_sees_the_same_inputs_as_training(changes):
    """The output map at a grid point equals the network's output for that point's inputs."""
    t = Trainer(Config.from_dict({"features": list(FEATURES), **changes}))
    t.train_epochs(3)
    n = 5
    grid = t.grid(n)
    axis = np.linspace(-6.0, 6.0, n)
    x1, x2 = np.meshgrid(axis, axis[::-1])
    features = feature_matrix(np.column_stack((x1.ravel(), x2.ravel())), t.config.features)
    if t.data.input_affine is not None:
        factor, offset = t.data.input_affine
        features = features * factor + offset
    expected = t.network.forward(features).h[-1][:, 0].reshape(n, n)
    np.testing.assert_allclose(grid.output, expected, rtol=1e-4, atol=1e-5)


def test_changing_an_input_knob_rebuilds_the_network_on_the_new_inputs():
    t = Trainer()
    t.train_epochs(5)
    assert t.configure({"input_shift": 5.0}) == {"data": False, "network": True}
    assert t.epoch == 0
    assert t.data.x[0, 0] == pytest.approx(t.dataset.x[t.dataset.train[0], 0] + 5.0)


@pytest.mark.parametrize(
    ("field", "value"), [("input_scale", 0.0), ("input_scale", 101.0), ("input_shift", -101.0)]
)
def test_out_of_range_knobs_name_their_field(field, value):
    with pytest.raises(ConfigError) as info:
        Config.from_dict({field: value})
    assert info.value.field == field
