"""The per-process scheduler: trains every playing session in short slices, round-robin.

Training is synchronous NumPy, so nothing long may run on the event loop. Each turn a
playing session gets one slice (whole epochs worth about `slice_ms`, or mini-batches when
one epoch costs more), and when its frame is complete the frame is encoded once and
offered to its sockets. The scheduler yields to the loop between sessions, so control
messages and socket writes interleave with training.

Due sessions of one network shape train together first, as cohorts (app.cohorts); their
frames are then published one by one, yielding to the loop between them.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable

from app import cohorts, snapshot
from app.budget import cpu_clock
from app.metrics import Metrics
from app.session import Session
from app.session_frames import LOOP_HOLD

log = logging.getLogger(__name__)
MIN_SLEEP = 0.002
# A frame of many epochs ("as fast as possible") still shows its progress this often (under
# 0.1 s, so that with a slice of training on top the page redraws 10 times a second).
PROGRESS_INTERVAL = 0.08
# Sessions whose debts are repaid within this much of the least indebted one's run with it
# when the CPU has room (Scheduler.lend_idle): fewer passes, the same order of debts.
LEND_SLACK = 0.02
# At most this many members' maps are made in one stack: the maps are large (a default
# network's are 280 KB a member), and a larger stack only leaves the CPU cache for no fewer
# calls that matter (measured: 48 at once was no cheaper per frame than 4 at once).
MAPS_TOGETHER = 4
# A slice's training and the frame it completes go in one loop turn only if they are
# expected to take less than this: half of LOOP_HOLD, as a frame's cost varies up to twice
# its last one's on a loaded machine (python -m app.abuse -v names the longest turns).
SPLIT_HOLD = LOOP_HOLD / 2


class Scheduler:
    """Round-robin over playing sessions; a frame is due every 1/fps per session."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        metrics: Metrics | None = None,
        cohorts: bool = True,
    ) -> None:
        self.clock = clock
        self.metrics = metrics
        self.cohorts = cohorts  # train due sessions of one shape together (Settings.cohorts)
        self.active: dict[str, Session] = {}  # playing sessions, in round-robin order
        self._wake: asyncio.Event | None = None  # made in run(), inside the serving loop

    def add(self, session: Session) -> None:
        """A session started playing (or was resumed while playing)."""
        self.active[session.id] = session
        if self._wake is not None:
            self._wake.set()

    def runnable(self) -> list[Session]:
        """Watched sessions that play or want a frame; forget the ones with nothing to do."""
        idle = [sid for sid, s in self.active.items() if not s.playing and not s.frame_requested]
        for sid in idle:
            del self.active[sid]
        return [s for s in self.active.values() if s.subscribers and not s.busy and not s.building]

    async def run(self) -> None:
        self._wake = asyncio.Event()
        while True:
            idle_until = await self.run_pass()
            if idle_until is not None:
                await self._sleep_until(idle_until)

    async def run_pass(self) -> float | None:
        """Serve every session that may work now; if none could, when the next one may
        (math.inf: none plays), else None."""
        sessions = self.runnable()
        if not sessions:
            return math.inf
        earliest = math.inf
        worked = False
        done: set[str] = set()
        for members in self.gather(sessions):
            await self.serve_cohort(members)
            done.update(s.id for s in members)
            worked = True
        for session in sessions:
            if session.id in done:
                continue
            due = self.due(session)
            if due > self.clock():
                earliest = min(earliest, due)
                continue
            self.guarded(session, lambda s: self.serve(s, self.clock()))
            worked = True
            await asyncio.sleep(0)
        if worked and self.metrics is not None:
            self.metrics.scheduler_passes += 1
        if worked or self.lend_idle(sessions):
            return None
        return earliest

    def guarded(self, session: Session, work: Callable[[Session], object]) -> None:
        """Run one session's work, timed; a failure pauses that session alone."""
        try:
            start = time.perf_counter()
            work(session)
            if self.metrics is not None:
                self.metrics.served(time.perf_counter() - start)
        except Exception:
            log.exception("training failed in session %s; pausing it", session.id)
            self.pause_failed(session)

    @staticmethod
    def pause_failed(session: Session) -> None:
        session.frame_requested = False
        session.set_playing(False)
        session.broadcast(session.status_message())

    def gather(self, sessions: list[Session]) -> list[list[Session]]:
        """This pass's cohorts (app.cohorts), none when cohorts are off."""
        if not self.cohorts or len(sessions) < 2:
            return []
        due = {s.id: self.due(s) for s in sessions}
        paid = {s.id for s in sessions if s.cpu.ready_at() <= self.clock()}
        now = self.clock()
        ready = [s for s in sessions if s.id in paid]
        return cohorts.gather(ready, now, due, sessions[0].slice_budget())

    async def serve_cohort(self, members: list[Session]) -> None:
        """Train a cohort in one slice, then complete each member's frame, one at a time."""
        now = self.clock()
        targets = {}
        for session in members:
            self.begin_frame(session, now)
            targets[session.id] = session.frame_target()
        try:
            elapsed = cohorts.train(members, members[0].slice_budget())
        except Exception:
            log.exception("cohort training failed; pausing its %d sessions", len(members))
            for session in members:
                self.pause_failed(session)
            return
        if self.metrics is not None:
            self.metrics.served(elapsed)
            self.metrics.cohort_slices += 1
            self.metrics.cohort_members += len(members)
        complete = [s for s in members if self.completes(s, *targets[s.id])]
        self.guarded_maps(complete)
        measured = cohorts.measure(complete)
        if self.metrics is not None:
            self.metrics.cohort_metrics += measured
        for session in members:
            await asyncio.sleep(0)  # control messages and socket writes between frames
            if session.frame_start_epoch is not None:  # else rebuilt meanwhile: no old frame
                self.guarded(session, lambda s: self.end_slice(s, *targets[s.id]))
            session.ready_maps = None  # unused (e.g. a frame still in progress): now stale

    @staticmethod
    def completes(session: Session, target: int, stopping: bool) -> bool:
        """Whether `end_slice` will build this session's frame (not skip it)."""
        trainer = session.trainer
        if trainer.epoch < target and trainer.status == "ok":
            return False
        return not all(getattr(s, "frame_pending", False) for s in session.subscribers)

    def guarded_maps(self, members: list[Session]) -> None:
        """Make the maps of the members' coming frames together (app.snapshot.frame_maps),
        each charged an equal part; on failure each makes its own."""
        groups: dict[tuple, list[Session]] = {}
        for session in members:
            view = session.view
            key = (view["grid_size"], view["thumb_size"])
            groups.setdefault(key, []).append(session)
        chunks = [
            (key, g[i : i + MAPS_TOGETHER])
            for key, g in groups.items()
            for i in range(0, len(g), MAPS_TOGETHER)
        ]
        for (grid_size, thumb_size), group in chunks:
            if len(group) < 2:
                continue
            start = cpu_clock()
            try:
                trainers = [s.trainer for s in group]
                made = snapshot.frame_maps(
                    trainers, grid_size, thumb_size, group[0].settings.map_levels
                )
            except Exception:
                log.exception("cohort maps failed; its %d sessions make their own", len(group))
                continue
            share = (cpu_clock() - start) / len(group)
            if self.metrics is not None:
                self.metrics.cohort_maps += len(group)
                self.metrics.map_stacks += 1
            for session, maps in zip(group, made, strict=True):
                session.ready_maps = maps
                session.cpu.spend(share)

    async def _sleep_until(self, deadline: float) -> None:
        """Sleep until the next frame is due, or until a session starts playing."""
        wake = self._wake
        assert wake is not None
        wake.clear()
        # A timer that sets the event: cheaper than wait_for, which makes a task per sleep.
        # At least MIN_SLEEP: sessions due within it are then served in one wake-up.
        delay = min(max(MIN_SLEEP, deadline - self.clock()), 1.0)
        timer = asyncio.get_running_loop().call_later(delay, wake.set)
        try:
            await wake.wait()
        finally:
            timer.cancel()

    def lend_idle(self, sessions: list[Session]) -> bool:
        """Nothing paid-up has work now: if sessions in debt do, the CPU may have room.

        Every account moves forward to the first such session's repayment (plus LEND_SLACK,
        so that sessions of nearly equal debt run in one pass): the budget binds only while
        others wait, and among sessions in debt the least indebted goes first. But a debtor
        whose turn holds the loop longer than a slice is lent the gap only if that turn ends
        before the next session that has no work yet has some (in debt or not: it might be
        lent the CPU too): frames are not preempted, so a long one would make it late.
        True if any account moved.
        """
        now = self.clock()
        held = [s for s in sessions if self.wanted(s) <= now]
        if not held:
            return False
        first = min(held, key=lambda s: s.cpu.ready_at())
        turn = first.turn_cost()
        if turn > first.slice_budget():
            # Sessions with work now wait for `first` anyway (they owe more); the gap is
            # until the next one that has no work yet does.
            coming = [w for w in map(self.wanted, sessions) if w > now]
            if turn > min(coming, default=math.inf) - now:
                return False
        lent = first.cpu.ready_at() - now + LEND_SLACK
        for session in self.active.values():
            session.cpu.advance(lent)
        return True

    def wanted(self, session: Session) -> float:
        """When the session next has work: its next frame while playing, else its frame."""
        change = session.last_frame_at + session.change_interval()
        if session.playing:
            return min(session.next_due, change) if session.frame_requested else session.next_due
        return change  # a paused session's frames after changes, at most every change_interval

    def due(self, session: Session) -> float:
        """When the session may next work: when it has work and has paid for its CPU so far
        (its fair share, app.budget; `lend_idle` repays it early when the CPU has room)."""
        return max(self.wanted(session), session.cpu.ready_at())

    def contended(self, session: Session, comparing: set[str] | None = None) -> bool:
        """Whether a session other than `session` wants the CPU now: it plays or wants a
        frame (with a socket), or its compare trains (`comparing`, ids; app.compare)."""
        if comparing and any(sid != session.id for sid in comparing):
            return True
        return any(
            other is not session and other.subscribers and (other.playing or other.frame_requested)
            for other in self.active.values()
        )

    def demand(self, comparing: set[str] | None = None) -> int:
        """How many sessions want CPU now (each gets an equal share of the loop): the playing
        ones, and those whose compare trains (`comparing`, ids; app.compare)."""
        extra = len(comparing - self.active.keys()) if comparing else 0
        return max(1, len(self.active) + extra)

    def serve(self, session: Session, now: float) -> None:
        """The session's work now: a training slice, or the frame a change asked for."""
        if session.playing and session.next_due <= now:
            self.run_slice(session, now)
        elif session.frame_requested:
            session.publish_frame()  # e.g. an edit during slow motion: shown before the next

    def run_slice(self, session: Session, now: float) -> None:
        """One bounded piece of work for one session; publishes its frame when complete."""
        trainer = session.trainer
        if len(trainer.dataset.train) == 0:  # e.g. clear_points while playing
            session.set_playing(False)
            session.broadcast(session.status_message())
            return
        self.begin_frame(session, now)
        target, stopping = session.frame_target()
        left = target - trainer.epoch
        if left > 0 and not self.progress_first(session):
            start = cpu_clock()
            session.train_slice(left, session.slice_budget())
            held = cpu_clock() - start
            if self.metrics is not None:
                self.metrics.solo_slices += 1
            if self.frame_waits(session, target, held):
                return  # the frame is built at the next pass (nothing left to train then)
        self.end_slice(session, target, stopping)

    @staticmethod
    def progress_first(session: Session) -> bool:
        """Whether this turn shows the long frame's progress instead of training: it is due
        (see `end_slice`) and a slice and a frame would pass SPLIT_HOLD together."""
        late = session.clock() - max(session.last_frame_at, session.frame_due)
        expected = session.turn_cost() + session.metrics_cost
        return late >= PROGRESS_INTERVAL and expected > SPLIT_HOLD

    def frame_waits(self, session: Session, target: int, held: float) -> bool:
        """Whether a frame this slice completed waits for the next pass: training for `held`
        seconds and building it (as long as the last one) would hold the loop longer than
        SPLIT_HOLD together while other sessions wait, or LOOP_HOLD when none does (a lone
        large network then keeps its frame rate). Only while playing on: a run that stopped
        ends its frame now."""
        trainer = session.trainer
        hold = SPLIT_HOLD if self.contended(session) else LOOP_HOLD
        return (
            trainer.epoch >= target
            and trainer.status == "ok"
            and session.playing
            and trainer.epochs_to_stop() != 0
            and (
                session.inputs_due  # the first frame of a new shape: its cost is not known
                or held + session.frame_cost + session.metrics_cost > hold
            )
        )

    @staticmethod
    def begin_frame(session: Session, now: float) -> None:
        """The session's next frame starts at its current epoch (unless one is under way)."""
        if session.frame_start_epoch is None:
            session.frame_start_epoch = session.trainer.epoch
            session.behind = now - session.next_due > session.frame_interval() / 2
            session.frame_due = max(session.next_due, now - session.frame_interval())

    def end_slice(self, session: Session, target: int, stopping: bool) -> None:
        """After a slice towards `target` (the run's stop_at if `stopping`): publish the frame
        if it is complete (pausing at stop_at), or its progress if it is long."""
        trainer = session.trainer
        if trainer.epoch >= target or trainer.status != "ok":
            reached = stopping and trainer.epochs_to_stop() == 0 and session.playing
            if reached:
                session.pause_at_stop()
            session.publish_frame(
                fresh=trainer.status != "ok" or session.frame_requested or reached
            )
            session.frame_start_epoch = None
            # At most fps; a session that fell behind owes at most one frame (frame_due above).
            session.next_due = session.frame_due + session.frame_interval()
        elif session.clock() - max(session.last_frame_at, session.frame_due) >= PROGRESS_INTERVAL:
            # A frame whose training runs long shows its progress: the page redraws at least
            # 10 times a second however many epochs a frame holds (such a frame is skipped,
            # never encoded, while every subscriber still holds the previous one).
            session.publish_frame(fresh=False)
