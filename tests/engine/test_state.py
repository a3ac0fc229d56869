"""export_state → JSON → from_state continues bit for bit, for any configuration."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Config, ConfigError, Dataset, Trainer


def _json_round_trip(t):
    return Trainer.from_state(json.loads(json.dumps(t.export_state())))


def _assert_same_future(a, b, batches):
    a.train_batches(batches)
    b.train_batches(batches)
    np.testing.assert_array_equal(a.network.params, b.network.params)
    assert a.history == b.history
    assert a.epoch == b.epoch and a.status == b.status
    assert a.metrics() == b.metrics()


configs = st.fixed_dictionaries(
    {
        "hidden": st.lists(st.integers(1, 5), max_size=3),
        "activation": st.sampled_from(["tanh", "relu", "elu", "sigmoid"]),
        "optimizer": st.sampled_from(["sgd", "momentum", "rmsprop", "adam", "adamw"]),
        "schedule": st.sampled_from(["constant", "cosine", "reduce_on_plateau"]),
        "dropout": st.sampled_from([0.0, 0.3]),
        "shuffle": st.booleans(),
        "batch_size": st.integers(1, 40),
        "regularization": st.sampled_from(["none", "l1", "l2"]),
        "regularization_rate": st.sampled_from([0.0, 0.01]),
        "validation_percent": st.sampled_from([0, 20]),
        "num_points": st.integers(20, 120),
        "seed": st.integers(0, 2**32 - 1),
        "data_seed": st.integers(0, 2**32 - 1),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=configs, before=st.integers(0, 30), after=st.integers(1, 30))
def test_a_json_round_trip_continues_bit_for_bit(cfg, before, after):
    t = Trainer(Config.from_dict(cfg))
    t.train_batches(before)  # often stops mid-epoch
    restored = _json_round_trip(t)
    assert restored.config == t.config
    _assert_same_future(t, restored, after)


def test_round_trip_of_custom_regression_data_and_early_stopping_state():
    rng = np.random.default_rng(5)
    points = [[float(a), float(b), float(a * b / 10)] for a, b in rng.uniform(-5, 5, (60, 2))]
    data = Dataset.from_points(points, "regression", 70, 30, rng)
    cfg = Config.from_dict({"problem": "regression", "validation_percent": 30})
    t = Trainer(cfg.replace(early_stopping=True, patience=3), dataset=data)
    assert t.config.dataset == "custom"
    t.train_epochs(4)
    restored = _json_round_trip(t)
    np.testing.assert_array_equal(restored.dataset.y, t.dataset.y)
    _assert_same_future(t, restored, 200)


def test_the_export_is_plain_json_with_js_safe_integers():
    state = Trainer(Config(seed=2**32 - 1)).export_state()
    text = json.dumps(state)
    assert "NaN" not in text

    def ints(node):
        if isinstance(node, dict):
            for v in node.values():
                yield from ints(v)
        elif isinstance(node, list):
            for v in node:
                yield from ints(v)
        elif isinstance(node, int) and not isinstance(node, bool):
            yield node

    assert max(ints(state)) < 2**53


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda s: s.pop("params"),
        lambda s: s.__setitem__("params", s["params"][:-1]),
        lambda s: s.__setitem__("version", 99),
        lambda s: s["data"].__setitem__("train", [0, 0]),
        lambda s: s["rng"].__setitem__("shuffle", {}),
    ],
    ids=["missing_params", "short_params", "wrong_version", "bad_split", "bad_rng"],
)
def test_a_malformed_state_is_a_config_error(corrupt):
    state = Trainer().export_state()
    corrupt(state)
    with pytest.raises(ConfigError) as e:
        Trainer.from_state(state)
    assert e.value.field == "state"


def test_a_bad_config_inside_a_state_names_its_field():
    state = Trainer().export_state()
    state["config"]["learning_rate"] = 99
    with pytest.raises(ConfigError) as e:
        Trainer.from_state(state)
    assert e.value.field == "learning_rate"


def test_a_state_saved_before_rho_existed_loads_with_the_default_rho():
    t = Trainer(Config(optimizer="rmsprop", rho=0.5))
    t.train_epochs(2)
    state = json.loads(json.dumps(t.export_state()))
    del state["config"]["rho"]
    restored = Trainer.from_state(state)
    assert restored.config.rho == 0.9
    np.testing.assert_array_equal(restored.network.params, t.network.params)
