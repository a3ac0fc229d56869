"""A frame's metrics between refreshes: epoch and losses current, and never a status older
than the frame's state (the page's banner reads why a run diverged from the frame)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from app import cohorts, handlers, session_frames
from app.pacing import Scheduler
from app.protocol import Message
from app.session import Session
from app.settings import Settings
from tests.app.subscriber import Recorder


def test_the_first_frame_after_a_divergence_says_why(monkeypatch):
    # No refresh window ends during the test, as when a loaded server trains a run into
    # divergence within one window: only the change of status can make the metrics due.
    monkeypatch.setattr(session_frames, "METRICS_REFRESH_SECONDS", 1e9)
    s = Session("t", Settings(), np.random.default_rng(0))
    recorder = Recorder()
    s.subscribers = [recorder]
    s.trainer.configure({"hidden": [8] * 6, "activation": "relu", "learning_rate": 10})
    s.network_rebuilt()
    s.publish_frame()
    assert recorder.headers[-1]["state"] == "paused"
    assert recorder.headers[-1]["divergence"] is None
    for _ in range(200):
        s.trainer.train_epochs(1)
        s.publish_frame(fresh=False)
        if s.trainer.status != "ok":
            break
    assert s.trainer.status == "diverged"
    header = recorder.headers[-1]
    assert header["state"] == "diverged"
    assert header["diverged"] is True
    assert header["divergence"] == s.trainer.divergence == "collapsed"
    assert header["epoch"] == s.trainer.epoch


def cohort_of(count: int) -> list[Session]:
    """Sessions of one shape (different seeds) that trained 3 epochs, each with a socket."""
    members = []
    for seed in range(count):
        s = Session(f"m{seed}", Settings(), np.random.default_rng(seed))
        s.trainer.configure({"seed": seed})
        s.network_rebuilt()
        s.subscribers = [Recorder()]
        s.trainer.train_epochs(3)
        members.append(s)
    return members


def test_a_cohort_decides_which_metrics_its_frames_carry_whatever_window_ends(monkeypatch):
    # app.cohorts.measure refreshes the members that are due; their frames go out one by
    # one afterwards. A refresh window ending in between must not make a member measure
    # its own again, alone: neither one just measured, nor one that was not due.
    monkeypatch.setattr(session_frames, "METRICS_REFRESH_SECONDS", 1e9)  # no window ends
    members = cohort_of(3)
    for s in members:
        s.refresh_metrics()
    for s in members[:2]:
        s._metrics_at -= 1e9  # their window ended: due; the third's did not
    s.trainer.train_epochs(1)  # the third trained on since it was measured
    assert cohorts.measure(members) == 2
    held = [s._metrics for s in members]
    monkeypatch.setattr(session_frames, "METRICS_REFRESH_SECONDS", 1e-9)  # every moment a window
    for s, metrics in zip(members, held, strict=True):
        s.publish_frame(fresh=False)
        assert s._metrics is metrics  # not measured again
        header = s.subscribers[0].headers[-1]
        assert header["epoch"] == s.trainer.epoch
        assert header["train_loss"] == s.trainer.last_losses["train_loss"]
    for s in members[:2]:  # just measured: what the session measures alone, exactly
        header, alone = s.subscribers[0].headers[-1], s.trainer.metrics()
        for key in ("train_loss", "test_loss", "grad_norms", "weight_norms", "dead_fraction"):
            assert header[key] == alone[key], key
    # A ping after the measurement changes nothing (a page's latency probe, twice a second
    # from app.bench's clients); a configure does: that frame measures its own again.
    s = members[0]
    for message, kept in ((Message("ping", {"t": 1}), True), (Message("configure", {}), False)):
        s.trainer.train_epochs(1)
        cohorts.measure(members)
        before = s._metrics
        asyncio.run(handlers.handle(s, message, lambda reply: None))
        s.publish_frame(fresh=False)
        assert (s._metrics is before) is kept, message.type
        assert s.subscribers[0].headers[-1]["grad_norms"] == s.trainer.metrics()["grad_norms"]


@pytest.mark.parametrize(("every", "refreshes"), [(1, 12), (3, 4)])
def test_a_session_behind_its_fps_refreshes_its_metrics_every_third_frame(
    monkeypatch, every, refreshes
):
    # Every moment a window ends: on time, each frame refreshes; served only every third
    # frame interval (the CPU falls short), a frame in three does, and each frame still
    # carries its own epoch and losses.
    monkeypatch.setattr(session_frames, "METRICS_REFRESH_SECONDS", 1e-9)
    s = Session("t", Settings(), np.random.default_rng(0))
    s.subscribers = [Recorder()]
    s.view.update(fps=10, epochs_per_frame=1)
    s.set_playing(True)
    now = 0.0
    s.clock = lambda: now
    s.next_due = 0.0
    scheduler, seen = Scheduler(), []
    while len(s.subscribers[0].headers) < 13:
        scheduler.run_slice(s, now)
        if s.frame_start_epoch is not None:  # the first frame of a shape waits for a turn
            scheduler.run_slice(s, now)
        seen.append(s._metrics_at)  # when its metrics were last measured
        now += every * s.frame_interval()
    assert s.behind == (every > 1)
    assert len(set(seen)) - 1 == refreshes  # after the first frame's
    for header in s.subscribers[0].headers:
        assert header["train_loss"] is not None
    assert s.subscribers[0].headers[-1]["epoch"] == s.trainer.epoch
