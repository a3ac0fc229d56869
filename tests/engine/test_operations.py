"""Any sequence of valid operations keeps a trainer consistent (hypothesis)."""

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Config, ConfigError, Dataset, Trainer

CHANGES = st.one_of(
    st.fixed_dictionaries({"learning_rate": st.sampled_from([0.001, 0.03, 3.0, 10.0])}),
    st.fixed_dictionaries({"batch_size": st.integers(1, 300)}),
    st.fixed_dictionaries({"hidden": st.lists(st.integers(1, 5), max_size=3)}),
    st.fixed_dictionaries({"activation": st.sampled_from(["relu", "tanh", "elu", "linear"])}),
    st.fixed_dictionaries({"problem": st.sampled_from(["classification", "regression"])}),
    st.fixed_dictionaries({"dataset": st.sampled_from(["xor", "blobs", "spirals", "custom"])}),
    st.fixed_dictionaries({"num_classes": st.integers(2, 6)}),
    st.fixed_dictionaries({"loss": st.sampled_from(["square", "cross_entropy"])}),
    st.fixed_dictionaries({"features": st.sampled_from([["x1"], ["x1", "x2", "sin_x1"]])}),
    st.fixed_dictionaries({"optimizer": st.sampled_from(["sgd", "adam", "momentum"])}),
    st.fixed_dictionaries({"validation_percent": st.sampled_from([0, 20])}),
    st.fixed_dictionaries({"early_stopping": st.booleans(), "patience": st.integers(1, 3)}),
    st.fixed_dictionaries({"dropout": st.sampled_from([0.0, 0.5])}),
    st.fixed_dictionaries({"num_points": st.integers(20, 60)}),
    st.fixed_dictionaries(
        {
            "regularization": st.sampled_from(["none", "l1", "l2"]),
            "regularization_rate": st.sampled_from([0.0, 0.1]),
        }
    ),
)

OPERATIONS = st.one_of(
    st.tuples(st.just("configure"), CHANGES),
    st.tuples(st.just("epochs"), st.integers(1, 4)),
    st.tuples(st.just("batches"), st.integers(1, 9)),
    st.tuples(st.just("reset"), st.none()),
    st.tuples(st.just("regenerate"), st.integers(0, 2**32 - 1)),
    st.tuples(st.just("points"), st.integers(0, 30)),
    st.tuples(st.just("weight"), st.floats(-5, 5)),
)


def _apply(t, op, arg):
    if op == "configure":
        try:
            t.configure(arg)
        except ConfigError as e:
            assert e.field and e.allowed  # a clear refusal is fine; nothing else is
    elif op == "epochs":
        assert 0 <= t.train_epochs(arg) <= arg
    elif op == "batches":
        assert 0 <= t.train_batches(arg) <= arg
    elif op == "reset":
        t.reset()
    elif op == "regenerate":
        t.regenerate(arg)
    elif op == "points":
        rng = np.random.default_rng(arg)
        labels = [int(c) for c in rng.integers(0, 2, size=arg)]
        points = [
            [float(a), float(b), c]
            for (a, b), c in zip(rng.uniform(-5, 5, (arg, 2)), labels, strict=True)
        ]
        try:
            t.set_dataset(Dataset.from_points(points, "classification", 50, 0, rng))
        except ConfigError as e:
            assert e.field == "loss"
    elif op == "weight":
        t.set_weight(0, 0, 0, arg)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPERATIONS, max_size=8))
def test_any_sequence_of_operations_keeps_the_trainer_consistent(ops):
    t = Trainer(Config(num_points=40))
    for op, arg in ops:
        _apply(t, op, arg)
        cfg = t.config
        assert t.network.sizes[0] == len(cfg.features)
        assert t.network.sizes[1:-1] == cfg.hidden
        assert t.network.sizes[-1] == t.head.units
        assert t.dataset.problem == cfg.problem
        assert np.all(np.isfinite(t.network.params))
        assert t.status in ("ok", "diverged", "early_stopped")
        assert t.history["epochs"] == list(range(1, t.epoch + 1))  # far below the bound
        assert [len(v) for v in t.history.values()] == [t.epoch] * 4
    json.dumps(t.metrics())
    json.dumps(t.export_state())
    g = t.grid(10)
    assert g.thumbnails(5).shape[0] == sum(t.network.sizes[1:])
