"""The scheduler: frames at most at fps, epochs_per_frame per frame, fair round-robin."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from app import handlers, snapshot
from app.pacing import SPLIT_HOLD, Scheduler
from app.protocol import Message
from app.session import Session
from app.session_frames import LOOP_HOLD
from app.settings import Settings
from engine import Config, Trainer
from tests.app.subscriber import Recorder

pytestmark = pytest.mark.timeout(60)


def playing_session(fps: int, epochs_per_frame: int, name: str = "s") -> tuple[Session, Recorder]:
    session = Session(name, Settings(), np.random.default_rng(0))
    recorder = Recorder()
    session.subscribers = [recorder]
    session.view.update(fps=fps, epochs_per_frame=epochs_per_frame)
    session.set_playing(True)
    return session, recorder


def simulate(scheduler: Scheduler, session: Session, seconds: float, tick: float = 0.001) -> None:
    """Drive run_slice as run() does, on a simulated clock starting at 0."""
    now = 0.0
    session.clock = lambda: now
    session.next_due = 0.0  # play began at time 0
    while now < seconds:
        if session.next_due <= now and session.playing:
            scheduler.run_slice(session, now)
        now += tick


@pytest.mark.parametrize("fps", [1, 10, 30, 60])
def test_frames_come_at_most_at_fps(fps):
    session, recorder = playing_session(fps, 1)
    simulate(Scheduler(), session, 2.0)
    assert 2 * fps - 1 <= len(recorder.headers) <= 2 * fps + 1


@pytest.mark.parametrize("epochs_per_frame", [1, 5, 40])
def test_each_frame_carries_epochs_per_frame_more_epochs(epochs_per_frame):
    session, recorder = playing_session(30, epochs_per_frame)
    simulate(Scheduler(), session, 0.5)
    epochs = [h["epoch"] for h in recorder.headers]
    assert len(epochs) >= 10
    assert np.all(np.diff(epochs) == epochs_per_frame)
    assert [h["seq"] for h in recorder.headers] == list(range(len(epochs)))


def test_one_fps_and_one_epoch_per_frame_is_one_epoch_per_second():
    session, recorder = playing_session(1, 1)
    simulate(Scheduler(), session, 5.0, tick=0.01)
    assert [h["epoch"] for h in recorder.headers] == [1, 2, 3, 4, 5]


def test_an_expensive_epoch_is_trained_in_batch_slices():
    session, recorder = playing_session(30, 1)
    session.epoch_cost = 10.0  # pretend one epoch takes 10 s: slices must be mini-batches
    scheduler = Scheduler()
    scheduler.run_slice(session, 0.0)
    assert session.trainer.epoch == 0 and not recorder.headers
    while not recorder.headers:
        scheduler.run_slice(session, 0.0)
    assert recorder.headers[0]["epoch"] == 1


def test_playing_sessions_share_the_loop_round_robin():
    async def run():
        scheduler = Scheduler()
        pairs = [playing_session(60, 20, name) for name in "abc"]
        for session, _ in pairs:
            scheduler.add(session)
        task = asyncio.create_task(scheduler.run())
        try:
            while min(len(r.headers) for _, r in pairs) < 5:
                await asyncio.sleep(0.01)
        finally:
            task.cancel()
            await asyncio.wait({task})
        counts = [len(r.headers) for _, r in pairs]
        assert max(counts) <= 2 * min(counts) + 2

    asyncio.run(run())


def test_divergence_while_playing_stops_and_reports_status():
    session, recorder = playing_session(30, 5)
    session.trainer.configure(
        {"problem": "regression", "activation": "linear", "learning_rate": 10.0}
    )
    simulate(Scheduler(), session, 0.5)
    assert not session.playing
    assert session.state() == "diverged"
    assert any('"diverged"' in t for t in recorder.texts)
    assert all(h["train_loss"] is not None for h in recorder.headers)


@pytest.mark.parametrize("epochs", [1, 3])
def test_a_step_over_expensive_epochs_is_sliced_and_exact(epochs):
    from app import handlers
    from app.protocol import Message

    session, recorder = playing_session(30, 1)
    session.set_playing(False)
    session.epoch_cost = 10.0  # one epoch "takes" 10 s: the step must go batch by batch
    slices = []
    train_batches = session.train_batches

    def counting(max_batches, budget):
        slices.append(max_batches)
        return train_batches(max_batches, budget)

    session.train_batches = counting
    asyncio.run(handlers.handle(session, Message("step", {"epochs": epochs}), lambda m: None))
    assert session.trainer.epoch == epochs
    assert len(slices) >= 2 * epochs  # not one blocking call per epoch
    if session.frame_requested:  # the step spent its CPU share: the scheduler sends it later
        scheduler = Scheduler()
        time.sleep(max(0.0, scheduler.due(session) - session.clock()))
        scheduler.serve(session, session.clock())
    assert recorder.headers[-1]["epoch"] == epochs
    reference = Trainer(Config())  # the same seeds, trained in one call
    reference.train_epochs(epochs)
    for (w, b), (w_ref, b_ref) in zip(session.trainer.weights(), reference.weights(), strict=True):
        np.testing.assert_array_equal(w, w_ref)  # not a batch more or less
        np.testing.assert_array_equal(b, b_ref)


def test_step_with_no_training_points_is_refused():
    from app import handlers
    from app.protocol import Message, ProtocolError

    session, _ = playing_session(30, 1)
    asyncio.run(handlers.handle(session, Message("clear_points", None), lambda m: None))
    with pytest.raises(ProtocolError, match="no training points"):
        asyncio.run(handlers.handle(session, Message("step", {"epochs": 2}), lambda m: None))


def test_frames_while_playing_carry_the_current_epoch_losses():
    session, recorder = playing_session(60, 3)
    simulate(Scheduler(), session, 0.5)
    history = session.trainer.history
    assert len(recorder.headers) >= 20
    for header in recorder.headers:
        assert header["train_loss"] == history["train_loss"][header["epoch"] - 1]
        assert header["test_loss"] == history["test_loss"][header["epoch"] - 1]


def test_a_burst_of_changes_costs_one_frame_now_and_one_at_the_next_interval():
    session, recorder = playing_session(1, 1)  # slow motion must not delay edits
    session.set_playing(False)
    now = [100.0]
    session.clock = lambda: now[0]
    scheduler = Scheduler(clock=lambda: now[0])
    for i in range(20):
        session.trainer.set_weight(0, 0, 0, i / 10)
        session.request_frame()
    assert len(recorder.headers) == 1  # the leading frame at once
    assert session.frame_requested
    # Whatever the frame cost in wall time on a loaded machine, it is repaid: this test is
    # about coalescing changes, not about CPU debt (tests/app/test_budget.py).
    session.cpu.advance(60.0)
    assert scheduler.due(session) == pytest.approx(100.0 + 1 / 30)
    now[0] += 1 / 30
    scheduler.serve(session, now[0])
    assert len(recorder.headers) == 2 and not session.frame_requested
    assert recorder.headers[-1]["seq"] == 1


def test_the_frame_after_a_rebuild_is_never_deferred():
    session, recorder = playing_session(30, 1)
    session.set_playing(False)
    session.clock = lambda: 5.0
    session.request_frame()
    session.network_rebuilt()
    session.request_frame()
    assert len(recorder.headers) == 2


def test_an_edit_burst_during_slow_motion_is_shown_before_the_next_training_frame():
    session, recorder = playing_session(1, 1)
    now = [50.0]
    session.clock = lambda: now[0]
    scheduler = Scheduler(clock=lambda: now[0])
    session.next_due = now[0]  # play began now
    session.inputs_due = False  # the input maps went out with the frame sent at connect
    scheduler.serve(session, now[0])  # the first training frame; the next is due in 1 s
    assert [h["epoch"] for h in recorder.headers] == [1]
    session.request_frame()  # a frame was just sent: this waits for the change interval
    session.request_frame()
    assert scheduler.due(session) == pytest.approx(50.0 + 1 / 30)
    now[0] += 1 / 30
    scheduler.serve(session, now[0])
    assert [h["epoch"] for h in recorder.headers] == [1, 1]  # the edit, without training


def test_a_frame_of_many_epochs_shows_its_progress_ten_times_a_second():
    # "As fast as possible": 1000 epochs a frame, each epoch taking 10 ms of simulated time.
    session, recorder = playing_session(30, 1000)
    now = [0.0]
    session.clock = lambda: now[0]
    session.next_due = 0.0
    train = session.trainer.train_epochs

    def slow_epochs(count):
        now[0] += 0.01 * count
        return train(count)

    session.trainer.train_epochs = slow_epochs
    session.epoch_cost = 0.001  # slices of 4 epochs (the 4 ms budget over the estimate)
    scheduler = Scheduler()
    while now[0] < 2.0:
        scheduler.run_slice(session, now[0])
        session.epoch_cost = 0.001  # keep the estimate (the real clock measured ~0)
    assert len(recorder.headers) >= 20  # 10 a second, though no frame of 1000 epochs ended
    epochs = [h["epoch"] for h in recorder.headers]
    assert epochs == sorted(epochs) and epochs[-1] < 1000


def test_a_ping_keeps_the_maps_made_for_the_frame_and_a_change_drops_them():
    # A cohort's maps are made before its members' frames go out one by one: a message in
    # between that changes nothing (ping) leaves them; one that may change the state drops
    # them, so the frame is made of the state it shows.
    session = Session("s", Settings(), np.random.default_rng(0))
    made = snapshot.frame_maps([session.trainer], 100, 20, 32)[0]
    session.ready_maps = made
    asyncio.run(handlers.handle(session, Message("ping", {"t": 1}), lambda m: None))
    assert session.ready_maps is made
    asyncio.run(
        handlers.handle(session, Message("configure", {"learning_rate": 0.1}), lambda m: None)
    )
    assert session.ready_maps is None


def due_at_zero() -> tuple[Session, Recorder, Scheduler]:
    """A playing session whose first frame went out (as at connect), due at time 0 of a
    clock that stands still, and a scheduler on that clock."""
    session, recorder = playing_session(30, 1)
    session.clock = lambda: 0.0
    session.inputs_due = False
    session.next_due = 0.0
    return session, recorder, Scheduler(clock=session.clock)


def test_a_slice_and_a_frame_too_long_together_go_in_two_turns():
    session, recorder, scheduler = due_at_zero()
    other, _ = playing_session(30, 1, "other")  # another session wants the loop too
    scheduler.add(session)
    scheduler.add(other)
    session.epoch_cost = 0.004  # a slice is one whole epoch
    session.frame_cost = SPLIT_HOLD  # the last frame alone took all a shared turn may
    scheduler.run_slice(session, 0.0)
    assert session.trainer.epoch == 1 and recorder.headers == []  # trained; frame waits
    scheduler.run_slice(session, 0.0)
    assert session.trainer.epoch == 1  # this turn only built the frame
    assert [h["epoch"] for h in recorder.headers] == [1]
    session.frame_cost, session.epoch_cost = 0.0, 0.004  # cheap frames go with training
    session.next_due = 0.0
    scheduler.run_slice(session, 0.0)
    assert [h["epoch"] for h in recorder.headers] == [1, 2]


def test_the_first_frame_of_a_new_network_shape_waits_for_a_turn_of_its_own():
    session, recorder = playing_session(30, 1)
    session.trainer.configure({"hidden": [8, 8]})
    session.network_rebuilt()  # its frame's cost is unknown (the last one was another shape)
    session.frame_cost = session.metrics_cost = 0.0
    session.epoch_cost = 0.004
    session.clock = lambda: 0.0
    session.next_due = 0.0
    scheduler = Scheduler(clock=session.clock)
    scheduler.run_slice(session, 0.0)
    assert recorder.headers == []
    scheduler.run_slice(session, 0.0)
    assert [h["epoch"] for h in recorder.headers] == [1] and not session.inputs_due


def test_a_long_frame_of_a_costly_network_shows_its_progress_in_turns_without_training():
    session, recorder = playing_session(30, 1000)
    now = [0.0]
    session.clock = lambda: now[0]
    session.next_due = 0.0
    scheduler = Scheduler(clock=session.clock)
    turns = []
    while now[0] < 1.0:
        session.epoch_cost, session.frame_cost = 0.004, SPLIT_HOLD  # costly frames
        before = (session.trainer.epoch, len(recorder.headers))
        scheduler.run_slice(session, now[0])
        turns.append((session.trainer.epoch - before[0], len(recorder.headers) - before[1]))
        now[0] += 0.01
    assert sum(frames for _, frames in turns) >= 8  # still ~10 progress frames a second
    assert all(not (epochs and frames) for epochs, frames in turns), turns


def test_a_lone_session_trains_and_sends_its_frame_in_one_turn_up_to_loop_hold():
    session, recorder, scheduler = due_at_zero()
    scheduler.add(session)  # no other session waits for the loop
    session.epoch_cost = 0.004
    session.frame_cost = SPLIT_HOLD  # past a shared turn's hold, within LOOP_HOLD
    scheduler.run_slice(session, 0.0)
    assert [h["epoch"] for h in recorder.headers] == [1]
    session.frame_cost = LOOP_HOLD  # past even a lone turn's hold: two turns
    session.next_due = 0.0
    scheduler.run_slice(session, 0.0)
    assert session.trainer.epoch == 2 and [h["epoch"] for h in recorder.headers] == [1]
