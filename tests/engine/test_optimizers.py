"""Optimizers against their textbook recurrences, on quadratics, and across a JSON round trip."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from engine.optimizers import OPTIMIZERS

SIZE, WEIGHT_COUNT = 9, 6


@dataclass(frozen=True)
class Hyper:
    """The optimizer fields of the engine's Config, with its defaults."""

    momentum: float = 0.9
    nesterov: bool = False
    rho: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    weight_decay: float = 0.01


# Textbook recurrences, written out of place from the definitions. Each takes the
# parameters, gradient, lr, config, 1-based step number and a dict of its own state, and
# returns the new parameters.
def sgd_reference(p, g, lr, cfg, t, state):
    return p - lr * g


def momentum_reference(p, g, lr, cfg, t, state):
    v = cfg.momentum * state.get("v", np.zeros_like(p)) - lr * g
    state["v"] = v
    if cfg.nesterov:
        return p + cfg.momentum * v - lr * g
    return p + v


def rmsprop_reference(p, g, lr, cfg, t, state):
    rho = cfg.rho
    s = rho * state.get("s", np.zeros_like(p)) + (1 - rho) * g**2
    state["s"] = s
    return p - lr * g / (np.sqrt(s) + cfg.epsilon)


def adam_reference(p, g, lr, cfg, t, state):
    m = cfg.beta1 * state.get("m", np.zeros_like(p)) + (1 - cfg.beta1) * g
    v = cfg.beta2 * state.get("v", np.zeros_like(p)) + (1 - cfg.beta2) * g**2
    state["m"], state["v"] = m, v
    m_hat = m / (1 - cfg.beta1**t)
    v_hat = v / (1 - cfg.beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + cfg.epsilon)


def adamw_reference(p, g, lr, cfg, t, state):
    decay = np.zeros_like(p)
    decay[:WEIGHT_COUNT] = lr * cfg.weight_decay * p[:WEIGHT_COUNT]
    return adam_reference(p, g, lr, cfg, t, state) - decay


REFERENCES: dict[str, Callable] = {
    "sgd": sgd_reference,
    "momentum": momentum_reference,
    "rmsprop": rmsprop_reference,
    "adam": adam_reference,
    "adamw": adamw_reference,
}

# Every step changes some hyper-parameters, so matching the recurrence also shows that each
# value is read live on the step it is given.
CONFIG_SEQUENCE = [
    Hyper(),
    Hyper(momentum=0.5, nesterov=True, rho=0.99, beta1=0.8, beta2=0.99, epsilon=1e-3),
    Hyper(momentum=0.99, nesterov=True, rho=0.5, beta1=0.0, beta2=0.9, weight_decay=0.3),
    Hyper(momentum=0.0, rho=0.9999, beta1=0.999, beta2=0.9999, epsilon=1e-1, weight_decay=0.0),
    Hyper(momentum=0.9, nesterov=True, rho=0.0, beta1=0.5, beta2=0.0, weight_decay=1.0),
    Hyper(),
]
LEARNING_RATES = [0.03, 0.1, 1.0, 0.001, 0.3, 0.05]


def run(name: str, steps: int, seed: int = 0):
    """Run the optimizer and its reference side by side on random gradients."""
    rng = np.random.default_rng(seed)
    params = rng.normal(size=SIZE)
    expected = params.copy()
    optimizer = OPTIMIZERS[name](SIZE, WEIGHT_COUNT)
    state: dict = {}
    for t in range(1, steps + 1):
        grads = rng.normal(size=SIZE) * rng.choice([1e-3, 1.0, 10.0])
        cfg = CONFIG_SEQUENCE[(t - 1) % len(CONFIG_SEQUENCE)]
        lr = LEARNING_RATES[(t - 1) % len(LEARNING_RATES)]
        optimizer.step(params, grads, lr, cfg)
        expected = REFERENCES[name](expected, grads, lr, cfg, t, state)
        yield params, expected


def test_registry_has_the_wire_names():
    assert set(OPTIMIZERS) == {"sgd", "momentum", "rmsprop", "adam", "adamw", "perceptron"}
    assert all(OPTIMIZERS[name].name == name for name in OPTIMIZERS)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_step_follows_textbook_recurrence_with_hyperparameters_changed_live(name):
    for params, expected in run(name, steps=12):
        np.testing.assert_allclose(params, expected, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("name", ["momentum", "rmsprop", "adam", "adamw"])
def test_reference_check_detects_a_hyperparameter_read_only_once(name):
    # Guards the test above: a frozen first config must not also match the recurrence.
    rng = np.random.default_rng(1)
    params = rng.normal(size=SIZE)
    optimizer = OPTIMIZERS[name](SIZE, WEIGHT_COUNT)
    expected, state = params.copy(), {}
    for t in range(1, 4):
        grads = rng.normal(size=SIZE)
        optimizer.step(params, grads, 0.1, CONFIG_SEQUENCE[0])
        expected = REFERENCES[name](expected, grads, 0.1, CONFIG_SEQUENCE[t - 1], t, state)
    assert not np.allclose(params, expected, rtol=1e-6)


def test_nesterov_toggle_changes_the_next_step():
    rng = np.random.default_rng(2)
    grads = rng.normal(size=SIZE)
    plain, look_ahead = np.zeros(SIZE), np.zeros(SIZE)
    first, second = OPTIMIZERS["momentum"](SIZE, 0), OPTIMIZERS["momentum"](SIZE, 0)
    first.step(plain, grads, 0.1, Hyper(nesterov=False))
    second.step(look_ahead, grads, 0.1, Hyper(nesterov=True))
    # Nesterov's first step is lr g (1 + mu), heavy ball's lr g.
    np.testing.assert_allclose(plain, -0.1 * grads, rtol=1e-15)
    np.testing.assert_allclose(look_ahead, -0.1 * 1.9 * grads, rtol=1e-15)


@pytest.mark.parametrize("name", ["adam", "adamw"])
def test_adam_first_step_moves_every_parameter_by_lr_times_sign_of_gradient(name):
    rng = np.random.default_rng(3)
    params = rng.normal(size=SIZE)
    before = params.copy()
    grads = rng.normal(size=SIZE) * np.logspace(-3, 3, SIZE)
    OPTIMIZERS[name](SIZE, WEIGHT_COUNT).step(params, grads, 0.01, Hyper(weight_decay=0.0))
    np.testing.assert_allclose(params - before, -0.01 * np.sign(grads), rtol=1e-4)


@pytest.mark.parametrize("rho", [0.0, 0.9, 0.99])
def test_rmsprop_first_step_is_lr_over_root_one_minus_rho_times_sign(rho):
    # s = (1 - rho) g^2, so g / sqrt(s) = sign(g) / sqrt(1 - rho); Adam's beta2 plays no part.
    rng = np.random.default_rng(7)
    grads = rng.choice([-1.0, 1.0], size=SIZE) * np.logspace(-2, 3, SIZE)
    params = np.zeros(SIZE)
    cfg = Hyper(rho=rho, beta2=0.5, epsilon=1e-12)
    OPTIMIZERS["rmsprop"](SIZE, WEIGHT_COUNT).step(params, grads, 0.01, cfg)
    np.testing.assert_allclose(params, -0.01 * np.sign(grads) / np.sqrt(1 - rho), rtol=1e-8)


def test_adamw_decay_shrinks_weights_only_and_leaves_biases():
    params = np.linspace(-2.0, 2.0, SIZE)
    before = params.copy()
    # A zero gradient makes the Adam part exactly zero, leaving the decay alone.
    OPTIMIZERS["adamw"](SIZE, WEIGHT_COUNT).step(params, np.zeros(SIZE), 0.1, Hyper())
    np.testing.assert_allclose(params[:WEIGHT_COUNT], before[:WEIGHT_COUNT] * (1 - 0.1 * 0.01))
    np.testing.assert_array_equal(params[WEIGHT_COUNT:], before[WEIGHT_COUNT:])


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_step_reads_but_does_not_modify_the_gradient(name):
    grads = np.random.default_rng(4).normal(size=SIZE)
    kept = grads.copy()
    OPTIMIZERS[name](SIZE, WEIGHT_COUNT).step(np.zeros(SIZE), grads, 0.1, Hyper())
    np.testing.assert_array_equal(grads, kept)


# Learning rates and configs under which each method settles on a quadratic.
MINIMISE = {
    "sgd": (0.1, Hyper()),
    "momentum": (0.05, Hyper(momentum=0.9)),
    "rmsprop": (0.01, Hyper(rho=0.99)),
    "adam": (0.01, Hyper()),
    "adamw": (0.01, Hyper(weight_decay=0.001)),
}


@pytest.mark.parametrize("name", sorted(MINIMISE))
@pytest.mark.parametrize("nesterov", [False, True])
def test_optimizer_minimises_a_convex_quadratic(name, nesterov):
    # f(p) = 1/2 sum a_i (p_i - c_i)^2 with curvatures from 0.5 to 2; the minimum is c.
    rng = np.random.default_rng(5)
    curvature = np.linspace(0.5, 2.0, SIZE)
    centre = rng.normal(size=SIZE)
    params = centre + rng.normal(size=SIZE) * 3.0
    lr, cfg = MINIMISE[name]
    cfg = dataclasses.replace(cfg, nesterov=nesterov)
    optimizer = OPTIMIZERS[name](SIZE, WEIGHT_COUNT)
    for _ in range(3000):
        optimizer.step(params, curvature * (params - centre), lr, cfg)
    np.testing.assert_allclose(params, centre, atol=1e-3)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_json_round_trip_of_state_continues_bit_for_bit(name):
    rng = np.random.default_rng(6)
    gradients = [rng.normal(size=SIZE) for _ in range(10)]
    params = rng.normal(size=SIZE)
    original = OPTIMIZERS[name](SIZE, WEIGHT_COUNT)
    for grads in gradients[:5]:
        original.step(params, grads, 0.05, Hyper(nesterov=True))
    restored = OPTIMIZERS[name](SIZE, WEIGHT_COUNT)
    restored.load_state_dict(json.loads(json.dumps(original.state_dict())))
    params_restored = params.copy()
    for grads in gradients[5:]:
        original.step(params, grads, 0.05, Hyper(nesterov=True))
        restored.step(params_restored, grads, 0.05, Hyper(nesterov=True))
    assert params.tobytes() == params_restored.tobytes()
    assert restored.state_dict() == original.state_dict()


def test_state_dict_counts_steps():
    optimizer = OPTIMIZERS["adam"](SIZE, WEIGHT_COUNT)
    for _ in range(3):
        optimizer.step(np.zeros(SIZE), np.ones(SIZE), 0.1, Hyper())
    assert optimizer.state_dict()["steps"] == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "momentum"}, "'momentum', not 'adam'"),
        ({"size": SIZE + 1}, "size 10"),
        ({"steps": -1}, "'steps'"),
        ({"m": [0.0] * (SIZE - 1)}, "'m' must hold 9 numbers"),
    ],
)
def test_load_state_dict_rejects_mismatched_state_naming_the_field(change, message):
    optimizer = OPTIMIZERS["adam"](SIZE, WEIGHT_COUNT)
    state = {**optimizer.state_dict(), **change}
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict(state)


def test_weight_count_beyond_size_is_rejected():
    with pytest.raises(ValueError, match="weight_count"):
        OPTIMIZERS["sgd"](3, 4)
