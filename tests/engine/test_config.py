"""Config validation: every bound, every choice, the cross-field rules and OPTIONS."""

import json

import pytest

from engine import (
    ACTIVATIONS,
    DATA_FIELDS,
    LIVE_FIELDS,
    NETWORK_FIELDS,
    OPTIONS,
    Config,
    ConfigError,
)
from engine.options import FIELDS

BOUNDED = [f for f in FIELDS if f.lo is not None and f.type in ("int", "float")]


def _outside(f):
    step = 1 if f.type == "int" else max(abs(f.hi) * 1e-6, 1e-9)
    return [f.lo - step, f.hi + step]


@pytest.mark.parametrize(
    ("name", "value"),
    [(f.name, v) for f in BOUNDED for v in _outside(f)],
)
def test_a_value_outside_its_bounds_is_rejected_naming_field_and_range(name, value):
    with pytest.raises(ConfigError) as e:
        Config.from_dict({name: value})
    assert e.value.field == name
    f = next(f for f in FIELDS if f.name == name)
    shown = str if f.type == "int" else "{:g}".format
    assert shown(f.lo) in e.value.allowed and shown(f.hi) in e.value.allowed
    assert name in str(e.value)


@pytest.mark.parametrize("f", BOUNDED, ids=lambda f: f.name)
def test_both_bounds_themselves_are_accepted(f):
    for value in (f.lo, f.hi):
        changes = {f.name: value}
        if f.name == "validation_percent" or f.name == "train_percent":
            changes["num_points"] = 2000
        assert getattr(Config.from_dict(changes), f.name) == value


@pytest.mark.parametrize("f", [f for f in FIELDS if f.type == "str"], ids=lambda f: f.name)
def test_an_unknown_choice_is_rejected_listing_the_choices(f):
    with pytest.raises(ConfigError) as e:
        Config.from_dict({f.name: "no_such_thing"})
    assert e.value.field == f.name
    assert all(choice in e.value.allowed for choice in f.choices)


@pytest.mark.parametrize("f", [f for f in FIELDS if f.type == "bool"], ids=lambda f: f.name)
@pytest.mark.parametrize("value", [1, "true", None])
def test_a_bool_field_takes_only_true_or_false(f, value):
    with pytest.raises(ConfigError) as e:
        Config.from_dict({f.name: value})
    assert e.value.field == f.name


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("learning_rate", True),
        ("learning_rate", "0.1"),
        ("learning_rate", float("nan")),
        ("batch_size", 2.5),
        ("seed", -1),
        ("seed", 2**32),
        ("features", []),
        ("features", ["x1", "x1"]),
        ("features", ["x3"]),
        ("features", "x1"),
        ("hidden", [4] * 17),
        ("hidden", [0]),
        ("hidden", [65]),
        ("hidden", [2.0]),
        ("hidden", 4),
        ("activation", ["tanh"]),  # one entry for two hidden layers
        ("activation", ["tanh", "nope"]),
        ("dropout", 0.95),
        ("dropout", [0.1, 1.0]),
        ("dropout", [0.1]),
        ("loss", "cross_entropy_typo"),
        ("no_such_field", 1),
    ],
)
def test_malformed_values_are_rejected_naming_the_field(name, value):
    with pytest.raises(ConfigError) as e:
        Config.from_dict({name: value})
    assert e.value.field == name


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"problem": "regression", "dataset": "circle"}, "dataset"),
        ({"dataset": "plane"}, "dataset"),
        ({"problem": "regression", "loss": "cross_entropy"}, "loss"),
        ({"dataset": "blobs", "num_classes": 3, "loss": "binary_cross_entropy"}, "loss"),
        ({"early_stopping": True}, "early_stopping"),
    ],
)
def test_inconsistent_fields_are_rejected(changes, field):
    with pytest.raises(ConfigError) as e:
        Config.from_dict(changes)
    assert e.value.field == field


def test_defaults_are_the_reference_defaults():
    cfg = Config()
    assert cfg.problem == "classification" and cfg.dataset == "circle"
    assert cfg.learning_rate == 0.03 and cfg.batch_size == 10
    assert cfg.activation == "tanh" and cfg.hidden == (4, 2)
    assert cfg.features == ("x1", "x2")
    assert cfg.train_percent == 50 and cfg.noise == 0
    assert cfg.regularization == "none" and cfg.regularization_rate == 0.0
    assert cfg.loss == "square" and cfg.init == "uniform" and cfg.optimizer == "sgd"
    assert cfg.points() == 500


def test_switching_to_regression_picks_a_regression_dataset_and_square_loss():
    cfg = Config(loss="cross_entropy").replace(problem="regression")
    assert cfg.dataset == "plane" and cfg.loss == "square"
    assert cfg.points() == 1200


def test_changing_the_depth_resizes_per_layer_lists():
    cfg = Config(activation=["relu", "tanh"], dropout=[0.1, 0.2])
    deeper = cfg.replace(hidden=[4, 2, 3])
    assert deeper.activation == ("relu", "tanh", "tanh")
    assert deeper.dropout == (0.1, 0.2, 0.2)
    assert cfg.replace(hidden=[5]).activation == ("relu",)


def test_features_are_kept_in_registry_order():
    assert Config(features=["sin_x1", "x2", "x1"]).features == ("x1", "x2", "sin_x1")


def test_integral_floats_are_accepted_for_int_fields():
    assert Config.from_dict({"batch_size": 20.0}).batch_size == 20


def test_to_dict_round_trips_through_json():
    cfg = Config(hidden=[3, 3], activation=["relu", "elu"], dropout=[0.1, 0.0])
    assert Config.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_options_describe_every_field_and_are_json():
    json.dumps(OPTIONS)
    assert list(OPTIONS) == list(Config().to_dict())
    for name, value in Config().to_dict().items():
        assert OPTIONS[name]["default"] == value
        assert OPTIONS[name]["kind"] in ("live", "data", "network")
    assert OPTIONS["activation"]["choices"] == list(ACTIVATIONS)
    assert OPTIONS["learning_rate"]["min"] == 1e-6 and OPTIONS["learning_rate"]["max"] == 10


def test_field_kinds_partition_the_fields():
    names = set(Config().to_dict())
    assert names == LIVE_FIELDS | DATA_FIELDS | NETWORK_FIELDS
    assert not (LIVE_FIELDS & DATA_FIELDS or LIVE_FIELDS & NETWORK_FIELDS)
    assert "learning_rate" in LIVE_FIELDS and "noise" in DATA_FIELDS and "hidden" in NETWORK_FIELDS
