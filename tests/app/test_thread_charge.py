"""A request whose work runs in a worker thread is charged that work's CPU time, not the
time it waited for a thread (app.budget.in_thread): a class's forks, queued together, each
waited 0.2-0.3 s and starved for tens of seconds repaying it at their share of the loop."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from app import handlers, protocol, snapshot
from app.session import Session
from app.settings import Settings
from tests.app.subscriber import Recorder

BLOCKED = 0.4  # seconds the worker thread is busy before the restore may run


def test_a_restore_waiting_for_a_busy_thread_pool_is_charged_its_work_not_the_wait():
    source = Session("a", Settings(), np.random.default_rng(0))
    state = {"trainer": source.trainer.export_state(), "view": dict(source.view)}
    session = Session("b", Settings(), np.random.default_rng(1))

    async def scenario():
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(1))  # the threads asyncio.to_thread uses
        release = threading.Event()
        blocker = loop.run_in_executor(None, release.wait)  # the thread is busy
        loop.call_later(BLOCKED, release.set)
        before, started = session.cpu.spent, time.perf_counter()
        message = protocol.Message("restore", {"state": state})
        await handlers.handle(session, message, lambda m: None)
        elapsed = time.perf_counter() - started
        await blocker
        return session.cpu.spent - before, elapsed

    charged, elapsed = asyncio.run(scenario())
    assert elapsed >= BLOCKED  # it did wait for a thread
    assert session.trainer.export_state()["params"] == state["trainer"]["params"]
    assert charged < BLOCKED / 2, (charged, elapsed)


PAUSE = 0.3  # seconds the server is paused in the middle of building a frame


def paused_builds(monkeypatch) -> None:
    """Every frame build sleeps PAUSE, as when a loaded machine deschedules the server."""
    build = snapshot.build_frame

    def paused(*args, **kwargs):
        time.sleep(PAUSE)
        return build(*args, **kwargs)

    monkeypatch.setattr(snapshot, "build_frame", paused)


def test_a_frame_is_charged_the_cpu_it_took_not_a_pause_of_the_server(monkeypatch):
    session = Session("a", Settings(), np.random.default_rng(0))
    recorder = Recorder()
    session.subscribers = [recorder]
    paused_builds(monkeypatch)
    before = session.cpu.spent
    session.publish_frame()
    assert len(recorder.headers) == 1
    assert session.cpu.spent - before < PAUSE / 3
    assert session.frame_cost < PAUSE / 3


def test_a_frame_built_in_the_frame_thread_is_charged_that_threads_cpu(monkeypatch):
    session = Session("a", Settings(frame_thread_ms=0.001), np.random.default_rng(0))
    recorder = Recorder()
    session.subscribers = [recorder]
    paused_builds(monkeypatch)

    async def scenario():
        session.offload = asyncio.ensure_future
        session.frame_cost = 0.005  # above the thread threshold: built in the frame thread
        before = session.cpu.spent
        session.publish_frame()
        assert session.building
        while session.building:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)
        return session.cpu.spent - before

    charged = asyncio.run(scenario())
    assert len(recorder.headers) == 1
    assert charged < PAUSE / 3
