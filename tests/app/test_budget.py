"""The CPU account's fair share and the memory estimate (app/budget.py)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from app import budget
from app.abuse import MAX_CONFIG
from app.options import split_server_fields
from app.session import Session
from app.settings import Settings
from engine import Config


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_session_that_spent_past_its_burst_waits_in_proportion_to_its_competitors():
    clock = Clock()
    competitors = [2]
    account = budget.CpuAccount(clock, lambda: competitors[0])
    account.spend(0.044)
    assert account.ready_at() == clock.now  # within the burst: at once
    account.spend(0.044)
    account.spend(0.044)  # 0.132 s spent, 0.1 s burst: 0.032 s owed at 0.4 s per second
    assert account.ready_at() == pytest.approx(clock.now + 0.032 / (budget.LOAD_TARGET / 2))
    competitors[0] = 8  # more sessions want CPU: the same debt takes longer to repay
    assert account.ready_at() == pytest.approx(clock.now + 0.032 / (budget.LOAD_TARGET / 8))
    clock.now += 1.0
    assert account.ready_at() == clock.now  # repaid


def test_a_cheap_session_is_never_held_back():
    clock = Clock()
    account = budget.CpuAccount(clock, lambda: 5)
    for _ in range(300):  # 30 frames a second of 3 ms each among 5 sessions (0.16 s a second each)
        account.spend(0.003)
        clock.now += 1 / 30
        assert account.ready_at() <= clock.now


class Quiet:
    frame_pending = False

    def send_text(self, text: str) -> None: ...

    def offer_frame(self, frame: bytes) -> None: ...

    def discard_frame(self) -> None: ...


@pytest.mark.parametrize("config", [{}, {"hidden": [8, 8, 8], "num_points": 1000}, MAX_CONFIG])
def test_the_memory_estimate_is_at_least_what_a_session_really_holds(config):
    settings = Settings()
    tracemalloc.start()
    try:
        session = Session("s", settings, np.random.default_rng(0))
        session.subscribers = [Quiet()]
        server, engine = split_server_fields(config, settings)
        session.trainer.configure(engine)
        session.view.update(server)
        session.network_rebuilt()
        session.train_slice(3, 0.05)
        session.publish_frame()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    estimate = session.estimate_memory(session.trainer.config, session.view)
    assert held <= estimate <= 3 * held + 1_000_000


def test_the_largest_config_costs_many_times_the_default():
    small = budget.estimate_bytes(Config(), 500, 100, 20)
    cfg = Config.from_dict({k: v for k, v in MAX_CONFIG.items() if "size" not in k})
    large = budget.estimate_bytes(cfg, 2000, 200, 50)
    assert large > 10 * small
