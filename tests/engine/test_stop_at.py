"""`stop_at` in the engine: a validated live field, and how many epochs are left to it."""

import pytest

from engine import LIVE_FIELDS, OPTIONS, Config, ConfigError, Trainer


def test_stop_at_is_a_nullable_live_field():
    assert "stop_at" in LIVE_FIELDS
    assert OPTIONS["stop_at"]["default"] is None and OPTIONS["stop_at"]["nullable"]
    assert (OPTIONS["stop_at"]["min"], OPTIONS["stop_at"]["max"]) == (1, 1_000_000)


@pytest.mark.parametrize("value", [0, -1, 2.5, "5", True, 1_000_001])
def test_a_bad_stop_at_names_the_field(value):
    with pytest.raises(ConfigError) as info:
        Config.from_dict({"stop_at": value})
    assert info.value.field == "stop_at"


def test_epochs_to_stop_counts_down_to_zero_and_does_not_limit_training():
    t = Trainer(Config(stop_at=5))
    assert t.epochs_to_stop() == 5
    t.train_epochs(3)
    assert t.epochs_to_stop() == 2
    assert t.train_epochs(4) == 4  # train_epochs itself runs past it
    assert t.epochs_to_stop() == 0
    t.configure({"stop_at": None})
    assert t.epochs_to_stop() is None
