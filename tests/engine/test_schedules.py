"""Learning-rate schedules against their closed forms, plateau detection and state."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import pytest

from engine.schedules import SCHEDULES


@dataclass(frozen=True)
class Hyper:
    """The schedule fields of the engine's Config, with its defaults."""

    learning_rate: float = 0.03
    schedule_step: int = 100
    schedule_gamma: float = 0.5
    schedule_patience: int = 10
    schedule_min_lr: float = 0.0


EPOCHS = [0, 1, 9, 10, 11, 25, 99, 100, 101, 350]


def test_registry_has_the_wire_names():
    assert set(SCHEDULES) == {"constant", "step", "exponential", "cosine", "reduce_on_plateau"}
    assert all(SCHEDULES[name].name == name for name in SCHEDULES)


@pytest.mark.parametrize("epoch", EPOCHS)
def test_constant_returns_the_base_rate(epoch):
    assert SCHEDULES["constant"]().learning_rate(0.3, epoch, Hyper()) == 0.3


@pytest.mark.parametrize(
    ("epoch", "decays"), [(0, 0), (9, 0), (10, 1), (19, 1), (20, 2), (25, 2), (100, 10)]
)
def test_step_decays_by_gamma_every_step_epochs(epoch, decays):
    cfg = Hyper(schedule_step=10, schedule_gamma=0.3)
    lr = SCHEDULES["step"]().learning_rate(0.5, epoch, cfg)
    assert lr == pytest.approx(0.5 * 0.3**decays, rel=1e-14)


@pytest.mark.parametrize("epoch", EPOCHS)
def test_exponential_decays_by_gamma_every_epoch(epoch):
    lr = SCHEDULES["exponential"]().learning_rate(0.2, epoch, Hyper(schedule_gamma=0.99))
    assert lr == pytest.approx(0.2 * math.exp(epoch * math.log(0.99)), rel=1e-12)


HALF_ROOT = math.sqrt(0.5)
# Fraction of the way from the floor to the base, (1 + cos(pi * phase)) / 2, period 100.
COSINE_FRACTIONS = [
    (0, 1.0),
    (25, (1 + HALF_ROOT) / 2),
    (50, 0.5),
    (75, (1 - HALF_ROOT) / 2),
    (99, (1 + math.cos(math.pi * 0.99)) / 2),
    (100, 1.0),
    (150, 0.5),
    (275, (1 - HALF_ROOT) / 2),
]


@pytest.mark.parametrize(("epoch", "fraction"), COSINE_FRACTIONS)
def test_cosine_anneals_from_base_to_floor_and_restarts_each_period(epoch, fraction):
    cfg = Hyper(schedule_step=100, schedule_min_lr=0.01)
    lr = SCHEDULES["cosine"]().learning_rate(0.1, epoch, cfg)
    assert lr == pytest.approx(0.01 + 0.09 * fraction, rel=1e-12)


@pytest.mark.parametrize("epoch", range(0, 15))
def test_cosine_stays_between_floor_and_base(epoch):
    cfg = Hyper(schedule_step=7, schedule_min_lr=0.02)
    lr = SCHEDULES["cosine"]().learning_rate(0.1, epoch, cfg)
    assert 0.02 <= lr <= 0.1


def test_floor_above_the_base_rate_never_raises_the_rate():
    cfg = Hyper(schedule_step=10, schedule_min_lr=5.0, schedule_patience=1)
    plateau = SCHEDULES["reduce_on_plateau"]()
    for epoch, loss in enumerate([1.0, 2.0, 2.0, 2.0], start=1):
        plateau.observe(epoch, loss, cfg)
    for epoch in EPOCHS:
        assert SCHEDULES["cosine"]().learning_rate(0.1, epoch, cfg) == pytest.approx(0.1)
    assert plateau.learning_rate(0.1, 5, cfg) == 0.1


def plateau_rates(losses, cfg, base=None):
    """Feed losses to a fresh plateau schedule; the rate used for each following epoch."""
    schedule = SCHEDULES["reduce_on_plateau"]()
    base = cfg.learning_rate if base is None else base
    rates = []
    for epoch, loss in enumerate(losses, start=1):
        schedule.observe(epoch, loss, cfg)
        rates.append(schedule.learning_rate(base, epoch, cfg))
    return rates


def test_plateau_cuts_after_patience_epochs_without_improvement():
    cfg = Hyper(learning_rate=0.1, schedule_patience=3, schedule_gamma=0.5)
    # improve, improve, 3 stalls (cut), improve, 2 stalls, 1 improve, 3 stalls incl. a tie (cut)
    losses = [1.0, 0.9, 0.95, 0.9, 1.2, 0.8, 0.85, 0.81, 0.7, 0.7, 0.75, 0.72]
    expected = [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025]
    assert plateau_rates(losses, cfg) == pytest.approx(expected, rel=1e-15)


def test_plateau_keeps_cutting_every_patience_epochs_while_stalled():
    cfg = Hyper(learning_rate=1.0, schedule_patience=2, schedule_gamma=0.1)
    rates = plateau_rates([1.0] + [2.0] * 6, cfg)
    assert rates == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01, 0.01, 0.001], rel=1e-12)


def test_plateau_treats_nan_as_no_improvement():
    cfg = Hyper(learning_rate=1.0, schedule_patience=2, schedule_gamma=0.5)
    assert plateau_rates([1.0, math.nan, math.nan], cfg)[-1] == 0.5


def test_plateau_never_goes_below_the_floor():
    cfg = Hyper(learning_rate=1.0, schedule_patience=1, schedule_gamma=0.1, schedule_min_lr=0.003)
    rates = plateau_rates([1.0] + [1.0] * 8, cfg)
    assert rates[:4] == pytest.approx([1.0, 0.1, 0.01, 0.003], rel=1e-12)
    assert min(rates) == pytest.approx(0.003, rel=1e-12)


def test_plateau_rate_follows_a_live_change_of_the_base_rate():
    cfg = Hyper(learning_rate=1.0, schedule_patience=1, schedule_gamma=0.5)
    schedule = SCHEDULES["reduce_on_plateau"]()
    for epoch, loss in enumerate([1.0, 1.0], start=1):
        schedule.observe(epoch, loss, cfg)
    assert schedule.learning_rate(0.2, 2, cfg) == pytest.approx(0.1)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_json_round_trip_of_state_continues_identically(name):
    cfg = Hyper(learning_rate=0.5, schedule_step=5, schedule_patience=2, schedule_min_lr=0.01)
    losses = [1.0, 0.8, 0.9, 0.85, 0.9, 0.7, 0.75, 0.8, 0.9, 0.95, 0.99, 0.6]
    original = SCHEDULES[name]()
    for epoch, loss in enumerate(losses[:5], start=1):
        original.observe(epoch, loss, cfg)
    restored = SCHEDULES[name]()
    restored.load_state_dict(json.loads(json.dumps(original.state_dict())))
    for epoch, loss in enumerate(losses[5:], start=6):
        assert restored.learning_rate(0.5, epoch, cfg) == original.learning_rate(0.5, epoch, cfg)
        original.observe(epoch, loss, cfg)
        restored.observe(epoch, loss, cfg)
    assert restored.state_dict() == original.state_dict()


def test_plateau_state_before_any_loss_is_strict_json():
    state = SCHEDULES["reduce_on_plateau"]().state_dict()
    assert json.loads(json.dumps(state, allow_nan=False)) == state


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "cosine"}, "'cosine', not 'reduce_on_plateau'"),
        ({"bad_epochs": -1}, "'bad_epochs'"),
        ({"factor": 2.0}, "'factor'"),
        ({"best": "low"}, "'best'"),
    ],
)
def test_load_state_dict_rejects_bad_state_naming_the_field(change, message):
    schedule = SCHEDULES["reduce_on_plateau"]()
    with pytest.raises(ValueError, match=message):
        schedule.load_state_dict({**schedule.state_dict(), **change})
