"""Frames built in the frame thread (Settings.frame_thread_ms): the same bytes as inline, and
never one of a network shape rebuilt while it was being built."""

from __future__ import annotations

import asyncio

import numpy as np

from app import snapshot
from app.session import Session
from app.sessions import _spawn
from app.settings import Settings
from tests.app.subscriber import Recorder


def session(**settings) -> tuple[Session, Recorder]:
    s = Session("t", Settings(**settings), np.random.default_rng(0))
    recorder = Recorder()
    s.subscribers = [recorder]
    s.trainer.configure({"hidden": [6, 6], "features": ["x1", "x2", "sin_x1"]})
    s.network_rebuilt()
    s.train_slice(2, 0.05)
    return s, recorder


def test_a_frame_of_the_frozen_copy_is_the_frame_of_the_trainer():
    s, _ = session()
    args = {
        "metrics": s.frame_metrics(True),
        "seq": 3,
        "state": "paused",
        "grid_size": 100,
        "thumb_size": 20,
        "selected": (1, 2),
        "include_inputs": True,
        "levels": 32,
    }
    frozen = snapshot.FrozenTrainer(s.trainer)
    s.trainer.train_epochs(1)  # the copy does not follow the trainer
    s.trainer.set_weight(0, 0, 0, 5.0)
    assert snapshot.build_frame(frozen, **args).data != snapshot.build_frame(s.trainer, **args).data
    s2, _ = session()
    assert (
        snapshot.build_frame(frozen, **args).data == snapshot.build_frame(s2.trainer, **args).data
    )


def cheap_enough_to_hold_the_loop(s: Session) -> None:
    """Costs as measured on a quiet machine: above the thread threshold, under LOOP_HOLD.

    On a loaded machine the measured ones can pass LOOP_HOLD, and the session then rightly
    defers the frame's maps to the scheduler, which this test does not run."""
    s.frame_cost, s.metrics_cost = 0.005, 0.0


def test_a_frame_built_in_the_thread_is_dropped_if_the_network_was_rebuilt_meanwhile():
    async def main():
        s, recorder = session(frame_thread_ms=0.001)
        s.offload = _spawn
        s.publish_frame()  # inline: its cost is now known and above the threshold
        assert len(recorder.headers) == 1
        cheap_enough_to_hold_the_loop(s)
        s.publish_frame()
        assert s.building
        s.trainer.configure({"hidden": [3]})  # rebuilt while the old shape is being drawn
        s.network_rebuilt()
        while s.building:
            await asyncio.sleep(0.001)
        assert len(recorder.headers) == 1 and s.frame_requested  # dropped, a new one due
        cheap_enough_to_hold_the_loop(s)
        s.publish_frame()
        while s.building:
            await asyncio.sleep(0.001)
        return recorder.headers

    headers = asyncio.run(main())
    assert len(headers) == 2
    assert len(headers[-1]["weight_norms"]) == 2  # the new shape: one hidden layer + output
