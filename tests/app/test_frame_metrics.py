"""A frame's metrics between refreshes: epoch and losses current, and never a status older
than the frame's state (the page's banner reads why a run diverged from the frame)."""

from __future__ import annotations

import numpy as np

from app import frames, session_frames
from app.session import Session
from app.settings import Settings


class Recorder:
    frame_pending = False

    def __init__(self) -> None:
        self.headers: list[dict] = []

    def send_text(self, text: str) -> None: ...

    def offer_frame(self, frame: bytes) -> None:
        self.headers.append(frames.decode(frame)[0])

    def discard_frame(self) -> None: ...


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
