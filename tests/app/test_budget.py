"""The CPU account's fair share and the memory estimate (app/budget.py)."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

from app import budget, compare, handlers
from app.abuse import MAX_CONFIG
from app.mailbox import Mailbox
from app.options import split_server_fields
from app.pacing import Scheduler
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
        session.set_playing(True)  # a playing session keeps its training buffers: the most
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


# -- work-conserving: the account binds only while others wait (app.pacing.lend_idle) ------


def indebted_sessions(count: int, clock: Clock, debt: float) -> tuple[Scheduler, list]:
    """`count` sessions playing at 1 fps on a frozen clock, each owing `debt` seconds of CPU.

    (1 fps: a turn's real cost, a few ms even on a loaded machine, always fits in the second
    before a paid-up session's next frame, so the lending rule is decided by the debts.)"""
    scheduler = Scheduler(clock=clock, cohorts=False)
    played = []
    for n in range(count):
        session = Session(f"s{n}", Settings(), np.random.default_rng(n))
        session.clock = clock
        session.subscribers = [Counter()]
        session.cpu = budget.CpuAccount(clock, scheduler.demand)
        session.on_play = scheduler.add
        session.view.update(fps=1)
        session.inputs_due = False  # its first frame went out as its socket attached
        session.set_playing(True)
        session.cpu.spend(debt)
        played.append(session)
    return scheduler, played


class Counter(Quiet):
    def __init__(self) -> None:
        self.frames = 0

    def offer_frame(self, frame: bytes) -> None:
        self.frames += 1


def play_ticks(scheduler: Scheduler, clock: Clock, ticks: int) -> None:
    """Run the scheduler's passes; the clock moves a frame interval (1 s) only when it idles,
    so whatever is not served in a tick is lost to a throttle, never to a slow machine."""

    async def run():
        for _ in range(ticks):
            while await scheduler.run_pass() is None:
                pass
            clock.now += 1.0

    asyncio.run(run())


@pytest.mark.parametrize("count", [1, 4])
def test_sessions_in_debt_are_not_throttled_while_the_cpu_has_room(count):
    # One session that spent 10 s (a 44 ms frame's worth, hundreds of times over), or many
    # equal ones: with nobody else waiting they get a frame every frame interval, as many
    # as they would with no account at all. Bound alone, each would wait 10 s * count / 0.8
    # (more than the 20 ticks).
    clock = Clock()
    scheduler, played = indebted_sessions(count, clock, debt=10.0)
    play_ticks(scheduler, clock, 20)
    frames = [s.subscribers[0].frames for s in played]
    assert frames == [20] * count


def test_a_paid_up_session_that_waits_goes_before_one_in_debt():
    clock = Clock()
    scheduler, (cheap, costly) = indebted_sessions(2, clock, debt=0.0)
    costly.cpu.spend(10.0)
    asyncio.run(scheduler.run_pass())  # both due: only the paid-up one is served
    assert (cheap.subscribers[0].frames, costly.subscribers[0].frames) == (1, 0)

    async def until_idle():
        while await scheduler.run_pass() is None:
            pass

    asyncio.run(until_idle())  # now only the one in debt waits: the CPU has room for it
    assert (cheap.subscribers[0].frames, costly.subscribers[0].frames) == (1, 1)


def test_a_debtor_whose_frame_would_make_a_paid_up_session_late_is_not_lent_the_gap():
    clock = Clock()
    scheduler, (cheap, costly) = indebted_sessions(2, clock, debt=0.0)
    costly.cpu.spend(10.0)
    costly.frame_cost = 5.0  # its frames hold the loop longer than the cheap one's interval
    play_ticks(scheduler, clock, 10)
    assert cheap.subscribers[0].frames == 10  # every frame, on time
    assert costly.subscribers[0].frames == 0  # 10 s of debt at 0.4 s a second: 25 s to wait
    costly.frame_cost = 0.001  # a short turn fits in the gap: lent
    play_ticks(scheduler, clock, 10)
    assert costly.subscribers[0].frames >= 9


class Costly(Counter):
    """Charges its session `cost` seconds per frame: frames that a loaded machine made slow."""

    def __init__(self, session: Session, cost: float) -> None:
        super().__init__()
        self.session, self.cost = session, cost

    def offer_frame(self, frame: bytes) -> None:
        super().offer_frame(frame)
        self.session.cpu.spend(self.cost)
        self.session.frame_cost = self.cost  # as measured on that machine


def test_a_long_turn_is_not_lent_a_gap_that_ends_before_another_session_in_debt_has_work():
    # The cheap session's frames leave it in debt too: the long turn must still not run
    # into its next frame (it is lent the CPU itself, least indebted first).
    clock = Clock()
    scheduler, (cheap, costly) = indebted_sessions(2, clock, debt=0.0)
    cheap.subscribers = [Costly(cheap, 0.5)]
    costly.cpu.spend(10.0)
    costly.frame_cost = 5.0
    play_ticks(scheduler, clock, 10)
    assert cheap.subscribers[0].frames == 10
    assert costly.subscribers[0].frames == 0


def test_sessions_in_debt_whose_turns_are_long_still_share_an_idle_cpu():
    # Two sessions whose frames a loaded machine made long, both with work now: the CPU
    # is idle, so the less indebted one is lent it (the other waits its turn either way).
    clock = Clock()
    scheduler, played = indebted_sessions(2, clock, debt=10.0)
    for session in played:
        session.frame_cost = 0.5  # longer than a slice
        session.subscribers = [Costly(session, 0.5)]
    play_ticks(scheduler, clock, 10)
    assert [s.subscribers[0].frames for s in played] == [10, 10]


# -- a step or compare waits for its debt only while another session wants the CPU ---------


def stepping_session(clock: Callable[[], float], scheduler: Scheduler) -> Session:
    """A paused session deep in CPU debt (on a frozen clock it never repays by waiting)."""
    session = Session("stepper", Settings(), np.random.default_rng(7))
    session.clock = clock
    session.subscribers = [Quiet()]
    session.cpu = budget.CpuAccount(clock, scheduler.demand)
    session.contended = scheduler.contended
    session.cpu.spend(10.0)
    return session


def test_a_lone_sessions_step_is_not_held_back_by_its_cpu_debt():
    # Nobody else wants the CPU: the 30 epochs run at once, though the frozen clock would
    # never repay the debt (a step that waited for it would never end).
    clock = Clock()
    scheduler = Scheduler(clock=clock, cohorts=False)
    session = stepping_session(clock, scheduler)

    async def run():
        await asyncio.wait_for(handlers.step(session, {"epochs": 30}, lambda m: None), 60)

    asyncio.run(run())
    assert session.trainer.epoch == 30


def test_a_step_waits_for_its_debt_while_another_session_plays():
    clock = Clock()
    scheduler, (player,) = indebted_sessions(1, clock, debt=0.0)
    session = stepping_session(clock, scheduler)

    async def turns(n: int) -> None:
        for _ in range(n):
            await asyncio.sleep(0)

    async def run():
        stepping = asyncio.create_task(handlers.step(session, {"epochs": 500}, lambda m: None))
        await turns(20)
        first = session.trainer.epoch
        assert session.busy and 0 < first < 500  # one slice, then its turn after its debt
        await turns(20)
        assert session.trainer.epoch == first
        player.set_playing(False)  # the other session stops wanting the CPU: go on
        await asyncio.wait_for(stepping, 60)

    asyncio.run(run())
    assert session.trainer.epoch == 500


def test_a_lone_compare_is_not_held_back_by_its_sessions_cpu_debt():
    # A compare paces its frames by the clock, so this one runs: 10 s of debt would take
    # 12.5 s to repay; 6 epochs at 30 fps take 0.2 s.
    clock = time.monotonic
    scheduler = Scheduler(clock=clock, cohorts=False)
    session = stepping_session(clock, scheduler)
    session.subscribers = [Mailbox()]
    session.trainer.configure({"stop_at": 6})

    async def run():
        await compare.compare(session, {"action": "start", "seeds": 2}, lambda m: None)
        await asyncio.wait_for(session.compare.task, 10)

    asyncio.run(run())
    assert session.compare.epoch == 6
