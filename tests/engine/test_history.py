"""The loss history stays bounded by decimation, spans the whole run and survives export."""

import json

import numpy as np
import pytest

from engine import HISTORY_POINTS, Config, ConfigError, Trainer
from engine.history import History

LONG_RUN = 20_000


def _synthetic(epoch):
    """Distinct losses per epoch, with an empty validation split now and then."""
    return 1.0 / epoch, 2.0 / epoch, None if epoch % 7 == 0 else 3.0 / epoch


def _smallest_stride(epochs, limit):
    stride = 1
    while epochs // stride > limit:
        stride *= 2
    return stride


@pytest.mark.parametrize("epochs", [0, 1, 8, 9, 16, 17, 33, 1000, 1025])
def test_history_is_the_full_record_sampled_at_the_smallest_stride_that_fits(epochs):
    history = History(limit=8)
    for epoch in range(1, epochs + 1):
        history.record(epoch, *_synthetic(epoch))
    stride = _smallest_stride(epochs, 8)
    assert history.stride == stride
    kept = list(range(stride, epochs + 1, stride))
    assert history.series["epochs"] == kept
    for i, name in enumerate(("train_loss", "test_loss", "val_loss")):
        assert history.series[name] == [_synthetic(e)[i] for e in kept]
    if epochs:
        train, test, val = _synthetic(epochs)
        last = {"epoch": epochs, "train_loss": train, "test_loss": test, "val_loss": val}
        assert history.last == last
    else:
        assert history.last is None


def test_an_odd_history_bound_is_refused():
    with pytest.raises(ValueError, match="even"):
        History(limit=7)


@pytest.fixture(scope="module")
def long_run():
    """A tiny net trained LONG_RUN epochs one at a time, with every epoch's losses kept."""
    t = Trainer(Config(hidden=(), num_points=20, batch_size=20, validation_percent=20))
    full = []
    for _ in range(LONG_RUN):
        assert t.train_epochs(1) == 1
        full.append(t.last_losses)
    return t, full


def test_a_long_run_keeps_at_most_the_bound_of_entries(long_run):
    t, _ = long_run
    assert t.epoch == LONG_RUN
    assert len(t.history) == 4
    assert all(0 < len(values) <= HISTORY_POINTS for values in t.history.values())


def test_a_long_run_history_equals_every_epoch_sampled_at_its_stride(long_run):
    t, full = long_run
    stride = _smallest_stride(LONG_RUN, HISTORY_POINTS)
    assert stride == 16
    sampled = full[stride - 1 :: stride]
    assert t.history["epochs"] == [entry["epoch"] for entry in sampled]
    for name in ("train_loss", "test_loss", "val_loss"):
        assert t.history[name] == [entry[name] for entry in sampled]
    assert [entry["epoch"] for entry in full] == list(range(1, LONG_RUN + 1))


def test_last_losses_are_the_current_weights_losses_whatever_the_stride(long_run):
    t, _ = long_run
    t = Trainer.from_state(t.export_state())  # a copy: the fixture is shared
    t.train_epochs(3)  # to an epoch the stride does not record
    assert t.history["epochs"][-1] == LONG_RUN
    m = t.metrics()
    assert t.last_losses["epoch"] == m["epoch"]
    for name in ("train_loss", "test_loss", "val_loss"):
        assert t.last_losses[name] == pytest.approx(m[name], rel=1e-12)


def test_a_decimated_history_continues_bit_for_bit_through_json(long_run):
    t, _ = long_run
    state = json.loads(json.dumps(t.export_state()))
    assert len(state["history"]["train_loss"]) <= HISTORY_POINTS
    restored = Trainer.from_state(state)
    assert restored.history == t.history and restored.last_losses == t.last_losses
    original = Trainer.from_state(state)  # continue a copy: the fixture is shared
    original.train_epochs(37)
    restored.train_epochs(37)
    np.testing.assert_array_equal(restored.network.params, original.network.params)
    assert restored.history == original.history
    assert restored.last_losses == original.last_losses
    assert restored.history["epochs"][-1] == LONG_RUN + 32


def test_a_json_round_trip_of_a_history_across_doublings_continues_identically():
    history = History(limit=8)
    for epoch in range(1, 30):
        history.record(epoch, *_synthetic(epoch))
    restored = History.from_state_dict(json.loads(json.dumps(history.state_dict())), 29, limit=8)
    for epoch in range(30, 200):
        history.record(epoch, *_synthetic(epoch))
        restored.record(epoch, *_synthetic(epoch))
    assert restored.stride == history.stride == 32
    assert restored.series == history.series and restored.last == history.last


def test_a_state_saved_before_decimation_loads_as_a_new_run_would_have():
    t = Trainer(Config(validation_percent=20))
    t.train_epochs(30)
    state = json.loads(json.dumps(t.export_state()))
    legacy = {name: state["history"][name] for name in ("train_loss", "test_loss", "val_loss")}
    state["history"] = legacy
    restored = Trainer.from_state(state)
    assert restored.history == t.history
    assert restored.last_losses == t.last_losses


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda h: h.__setitem__("stride", 3),
        lambda h: h["epochs"].pop(),
        lambda h: h.__setitem__("epochs", [e + 1 for e in h["epochs"]]),
        lambda h: h["val_loss"].pop(),
        lambda h: h.__setitem__("last", {"epoch": 5}),
    ],
    ids=["stride_not_power_of_two", "missing_entry", "shifted_epochs", "ragged", "bad_last"],
)
def test_a_malformed_history_in_a_state_is_a_config_error(corrupt):
    t = Trainer()
    t.train_epochs(5)
    state = json.loads(json.dumps(t.export_state()))
    corrupt(state["history"])
    with pytest.raises(ConfigError) as e:
        Trainer.from_state(state)
    assert e.value.field == "state"
