"""How a session's state becomes frames: metrics refresh, coalescing, off-loop builds, delivery.

`SessionFrames` is a part of `app.session.Session` (the fields it reads and sets are made
and described in `Session.__init__`); kept apart so the session's frame path reads as one.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from app import snapshot
from app.budget import cpu_clock

METRICS_REFRESH_SECONDS = 0.2
# A session whose frames come late (`behind`: the CPU falls short of its fps) refreshes its
# metrics at most once in this many frames, as it does 5 times a second at 15 fps. Else below
# 5 fps every frame paid a refresh (0.9 a frame, 200 clients on a loaded machine, against
# 0.3 at 100 clients): the shorter the CPU, the costlier each frame.
BEHIND_FRAMES_PER_REFRESH = 3
# A frame whose metrics and maps would together hold the event loop longer than this is
# built in two turns: its metrics now, its maps at the scheduler's next pass.
LOOP_HOLD = 0.04
CHANGE_FRAME_INTERVAL = 1 / 30
# Frames that took longer than Settings.frame_thread_ms are built in FRAME_THREAD, off the
# event loop. One thread: NumPy releases the GIL, so frames use at most one more core.
FRAME_THREAD = ThreadPoolExecutor(1, thread_name_prefix="frames")


class SessionFrames:
    """The frame side of a `Session`: when a frame is built, where, and who is offered it."""

    def frame_metrics(self, fresh: bool) -> dict[str, Any]:
        """The engine's metrics; while playing the costly ones are refreshed 5 times a second.

        Epoch and losses are always current (the engine records them every epoch).
        """
        last = self.trainer.last_losses
        pinned = self._pinned == self.messages  # refreshed for this frame, nothing since
        self._pinned = None
        if not pinned and (self.metrics_due(fresh) or last is None):
            self.refresh_metrics()
            return self._metrics
        assert self._metrics is not None
        if pinned and self._metrics.get("epoch") == self.trainer.epoch:
            return self._metrics  # made for this frame's state (an edit's losses included)
        # (Not the history's last entry: past 2000 epochs it is not always the current one.)
        metrics = dict(self._metrics)
        metrics.update(
            epoch=self.trainer.epoch,
            train_loss=last["train_loss"],
            test_loss=last["test_loss"],
            val_loss=last["val_loss"],
        )
        return metrics

    def metrics_due(self, fresh: bool) -> bool:
        """Whether the metrics are to be refreshed: once in every METRICS_REFRESH_SECONDS
        window of the monotonic clock. Windows shared by every session (rather than counted
        from each one's last refresh) make sessions that train together due together, so
        that their cohort measures them in one call (app.cohorts.measure). Also due at once
        when the trainer's status changed since (a frame saying "diverged" carries why).
        A session `behind` its fps waits BEHIND_FRAMES_PER_REFRESH frames between refreshes
        too (members of a cohort step together, so they still fall due together)."""
        window = METRICS_REFRESH_SECONDS
        if fresh or self._metrics is None or self._metrics["status"] != self.trainer.status:
            return True
        if self.behind and self.seq - self._metrics_seq < BEHIND_FRAMES_PER_REFRESH:
            return False
        return time.monotonic() // window != self._metrics_at // window

    def refresh_metrics(self) -> None:
        start = cpu_clock()
        self.take_metrics(self.trainer.metrics(), cpu_clock() - start)

    def take_metrics(self, metrics: dict[str, Any], cost: float) -> None:
        """The trainer's metrics of now, measured in `cost` seconds (here, or with its cohort's
        by app.cohorts.measure)."""
        self._metrics = metrics
        self._metrics_at = time.monotonic()
        self._metrics_seq = self.seq
        self.metrics_cost = cost

    def pin_metrics(self) -> None:
        """The frame about to be built takes the metrics as they are now (refreshed or not),
        even if a refresh window ends before it is, unless a client message comes first:
        its cohort has just decided which members' metrics were due (app.cohorts.measure)."""
        if self._metrics is not None and self.trainer.last_losses is not None:
            self._pinned = self.messages

    def defer_frame(self, fresh: bool) -> bool:
        """Refresh the metrics now and leave the maps to the scheduler's next pass, if both
        would hold the loop longer than LOOP_HOLD (once per frame: a client message handled
        in between makes that frame build whole). True if deferred."""
        if (
            self.offload is None
            or self._pinned is not None
            or self.frame_cost + self.metrics_cost <= LOOP_HOLD
            or not self.metrics_due(fresh)
        ):
            return False
        start = cpu_clock()
        self.refresh_metrics()
        self.cpu.spend(cpu_clock() - start)
        self._pinned = self.messages
        self.frame_requested = True
        self.on_play(self)
        return True

    def request_frame(self) -> None:
        """Something changed: a fresh frame now, or within 1/fps if one was just sent.

        Other requests within a frame interval coalesce into one frame the scheduler sends,
        so a client sending 60 edits a second costs at most `fps` frame encodings, however
        expensive its network and grid are.
        """
        # After a rebuild the frame goes at once: it is the one carrying the new input maps.
        # Either way not before the session has paid for its earlier CPU (app.budget).
        now = self.clock()
        if (
            self.inputs_due or now - self.last_frame_at >= self.change_interval()
        ) and self.cpu.ready_at() <= now:
            self.publish_frame()
        else:
            self.frame_requested = True
            self.on_play(self)

    def publish_frame(self, fresh: bool = True) -> None:
        """Encode the current state once and offer it to every subscriber (latest wins).

        A routine frame (`fresh` False, from the scheduler) is not even built while every
        subscriber still has the previous one waiting: a slow client costs no encoding.
        """
        maps, self.ready_maps = self.ready_maps, None  # made for this state, or dropped
        if self.building:  # one frame at a time: the next one follows this one
            self.frame_requested = True
            return
        self.frame_requested = False
        self.last_frame_at = self.clock()
        if not self.subscribers:
            return
        if not fresh and all(getattr(s, "frame_pending", False) for s in self.subscribers):
            for subscriber in self.subscribers:
                subscriber.skip_frame()
            return
        if maps is None and self.defer_frame(fresh):
            return
        start = cpu_clock()
        metrics = self.frame_metrics(fresh)
        if self.lesson is not None:
            metrics = {**metrics, "lesson": self.lesson_checks(metrics)}
        args = {
            "metrics": metrics,
            "seq": self.seq,
            "state": self.state(),
            "grid_size": self.view["grid_size"],
            "thumb_size": self.view["thumb_size"],
            "selected": self.selected,
            "include_inputs": self.inputs_due,
            "levels": self.settings.map_levels,
            "sent_neurons": self.sent_neurons,
        }
        if maps is not None:  # the costly part is done: encode here
            frame = snapshot.build_frame(self.trainer, **args, maps=maps)
            self._deliver(frame, cpu_clock() - start)
            return
        threshold = self.settings.frame_thread_ms / 1000
        if self.offload is not None and threshold > 0 and self.frame_cost >= threshold:
            # Longer than the loop may be held: built in the frame thread from a copy.
            self.building = True  # the scheduler keeps off until it is delivered
            frozen = snapshot.FrozenTrainer(self.trainer)
            self.offload(self._build_off_loop(frozen, args, self.shape_version))
            self.cpu.spend(cpu_clock() - start)  # metrics and the copy, on the loop
            return
        frame = snapshot.build_frame(self.trainer, **args)
        self._deliver(frame, cpu_clock() - start)

    def resend_maps(self) -> None:
        """The next frame carries every thumbnail (e.g. a new socket that has none)."""
        self.sent_neurons = None

    async def _build_off_loop(self, frozen: snapshot.FrozenTrainer, args: dict, shape: int) -> None:
        """Build the frame of `frozen` (network shape version `shape`) in the frame thread."""
        cost = 0.0

        def build() -> snapshot.Frame:  # timed in the frame thread, by its own CPU clock
            nonlocal cost
            start = cpu_clock()
            try:
                return snapshot.build_frame(frozen, **args)
            finally:
                cost = cpu_clock() - start

        try:
            frame = await asyncio.get_running_loop().run_in_executor(FRAME_THREAD, build)
        finally:
            self.building = False
        if shape != self.shape_version:  # rebuilt meanwhile: a frame of the old shape
            self.cpu.spend(cost)
            self.frame_requested = True
        else:
            self._deliver(frame, cost)
        if self.playing or self.frame_requested:
            self.on_play(self)

    def _deliver(self, frame: snapshot.Frame, cost: float) -> None:
        """Charge the frame's `cost` (seconds of CPU, app.budget.cpu_clock) and offer it to
        every subscriber."""
        self.cpu.spend(cost)
        self.frame_cost = cost
        self.seq += 1
        self.inputs_due = False
        if frame.neurons is not None:
            self.sent_neurons = frame.neurons
        for subscriber in self.subscribers:
            subscriber.offer_frame(frame.data)
        if not self.playing and not self.busy:
            # A paused session (most of a flood of sockets) keeps no training buffers.
            self.trainer.network.release_buffers()

    def frame_interval(self) -> float:
        return 1.0 / self.view["fps"]

    def change_interval(self) -> float:
        """Frames after changes come at most this often (slow motion must not delay edits)."""
        return min(self.frame_interval(), CHANGE_FRAME_INTERVAL)
