"""The `compare` message: 2-4 variants of a session's run trained side by side in it.

A compare is the engine's `Variants` (engine/compare.py) held by one session: started from
the session's current config and points, trained in slices on the serving loop and charged
to that session's CPU account, like its own training (app/budget.py). Its frames are binary
frames of `type: "compare"` (docs/protocol.md) with each variant's small output map; they
travel in their own mailbox slot, so they never replace the session's own frames.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any

from app import budget, frames, protocol
from app.budget import cpu_clock
from app.options import COMPARE_MAP_SIZE as MAP_SIZE
from app.options import VARIANT_FIELDS, check_engine_limits
from app.pacing import PROGRESS_INTERVAL
from app.protocol import ProtocolError
from app.session import Session
from app.session_frames import METRICS_REFRESH_SECONDS
from app.snapshot import output_range
from engine import Config, ConfigError, Variants
from engine.compare import MAX_VARIANTS, MIN_VARIANTS

log = logging.getLogger(__name__)
FRAME_KEY = "compare"  # the mailbox slot of compare frames (latest wins, apart from `frame`)
DETACHED_POLL = 0.25  # seconds between looks at a detached session (it trains nothing)
ACTIONS = ("start", "stop")


class CompareRun:
    """A session's compare: its variants, play state and the task that trains them."""

    def __init__(self, session: Session, variants: Variants, seeds: bool) -> None:
        self.session = session
        self.variants = variants
        self.seeds = seeds
        self.state = "running"  # running, paused (stop_at reached or every variant stopped)
        self.epoch = 0  # epochs the compare has trained (every live variant the same)
        self.seq = 0
        self.epoch_cost = 1e-3  # seconds per epoch of all variants together
        self.last_frame_at = -math.inf
        self._metrics: list[dict[str, Any]] = []
        self._metrics_at = -math.inf
        self.task: asyncio.Task[None] | None = None

    # -- what the client is told --------------------------------------------------------------

    def message(self, state: str | None = None) -> dict[str, Any]:
        """The `compare` text message: state, the variants' changes and labels."""
        return protocol.text(
            "compare",
            state=state or self.state,
            seeds=self.seeds,
            variants=self.variants.changes,
            labels=self.variants.labels,
            stop_at=self.variants.base.stop_at,
        )

    def build_frame(self) -> bytes:
        """One compare frame: every variant's map and readouts (and the seeds' ensemble)."""
        now = time.monotonic()
        trainers = self.variants.trainers
        if now - self._metrics_at >= METRICS_REFRESH_SECONDS or self.state != "running":
            self._metrics = [trainer.metrics() for trainer in trainers]
            self._metrics_at = now
        arrays: list[tuple[str, Any]] = []
        outputs, kinds = [], []
        rows = []
        levels = self.session.settings.map_levels
        for i, (trainer, label) in enumerate(zip(trainers, self.variants.labels, strict=True)):
            grid = trainer.grid(MAP_SIZE)
            lo, hi = output_range(grid.output_kind)
            outputs.append(grid.output)
            kinds.append(grid.output_kind)
            arrays.append((f"map_{i}", frames.quantise(grid.output, lo, hi, levels)))
            last = trainer.last_losses or {}
            rows.append(
                {
                    "label": label,
                    "epoch": trainer.epoch,
                    "status": trainer.status,
                    "train_loss": last.get("train_loss"),
                    "test_loss": last.get("test_loss"),
                    "train_accuracy": self._metrics[i].get("train_accuracy"),
                    "test_accuracy": self._metrics[i].get("test_accuracy"),
                }
            )
        header: dict[str, Any] = {
            "type": "compare",
            "seq": self.seq,
            "state": self.state,
            "epoch": self.epoch,
            "map_size": MAP_SIZE,
            "variants": rows,
        }
        if self.seeds:
            mean = self.variants.ensemble_output(MAP_SIZE, outputs)
            lo, hi = output_range(kinds[0])  # the seeds share one head
            arrays.append(("ensemble", frames.quantise(mean, lo, hi, levels)))
            header["ensemble"] = {"test_accuracy": self.variants.ensemble_accuracy()}
        self.seq += 1
        return frames.encode(header, arrays)

    def publish(self) -> None:
        """Build a frame, charge it to the session and offer it to every socket."""
        start = cpu_clock()
        frame = self.build_frame()
        self.session.cpu.spend(cpu_clock() - start)
        self.last_frame_at = self.session.clock()
        for subscriber in self.session.subscribers:
            subscriber.offer(frame, FRAME_KEY)

    # -- training -----------------------------------------------------------------------------

    def frame_target(self) -> int:
        """The epoch the next frame ends at: epochs_per_frame on, never past stop_at."""
        target = self.epoch + self.session.view["epochs_per_frame"]
        stop_at = self.variants.base.stop_at
        return target if stop_at is None else min(target, stop_at)

    def train_slice(self, left: int) -> None:
        """Train every variant towards `left` more epochs for about one slice; charged."""
        count = max(1, min(left, int(self.session.slice_budget() / self.epoch_cost)))
        start = cpu_clock()
        done = self.variants.train_epochs(count)
        elapsed = cpu_clock() - start
        self.session.cpu.spend(elapsed)
        self.session.on_epochs(sum(done))
        self.epoch += count
        self.epoch_cost = 0.5 * self.epoch_cost + 0.5 * elapsed / count

    def finished(self) -> bool:
        stop_at = self.variants.base.stop_at
        reached = stop_at is not None and self.epoch >= stop_at
        return reached or all(t.status != "ok" for t in self.variants.trainers)

    async def run(self) -> None:
        """Train and send frames until stopped; a failure pauses this compare alone. While it
        trains, the session counts among those sharing the CPU (app/budget.py)."""
        self.session.on_compare(self.session, True)
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("compare failed in session %s; pausing it", self.session.id)
            self.state = "paused"
            self.session.broadcast(self.message())
        finally:
            if self.session.compare in (self, None):  # not replaced by a newer compare
                self.session.on_compare(self.session, False)

    async def _run(self) -> None:
        """Frames at the session's fps until stopped, paused at stop_at; never ahead of the
        session's CPU account (a compare costs its session, not the others)."""
        session = self.session
        self.publish()
        next_due = session.clock()
        while not self.finished():
            if not session.subscribers:  # detached: nothing trains until it is back
                await asyncio.sleep(DETACHED_POLL)
                continue
            ready = max(next_due, session.turn_at())
            start = session.clock()
            if ready > start:
                await asyncio.sleep(ready - start)
                continue
            frame_due = max(next_due, start - session.frame_interval())
            target = self.frame_target()
            while self.epoch < target and not self.finished():
                self.train_slice(target - self.epoch)
                if self.epoch < target:
                    if session.clock() - self.last_frame_at >= PROGRESS_INTERVAL:
                        self.publish()
                    # Other sessions (and this one's messages) between slices.
                    await asyncio.sleep(max(0.0, session.turn_at() - session.clock()))
            self.publish()
            next_due = frame_due + session.frame_interval()
            await asyncio.sleep(0)
        self.state = "paused"
        self.publish()
        session.broadcast(self.message())

    def stop(self) -> None:
        """End the compare: no more training or frames; an unsent frame is dropped."""
        self.state = "stopped"
        if self.task is not None:
            self.task.cancel()
        for subscriber in self.session.subscribers:
            subscriber.discard(FRAME_KEY)


# -- the message ------------------------------------------------------------------------------


async def compare(session: Session, data: dict[str, Any], reply: Any) -> None:
    """`{"action": "start", "variants": [...]}`, `{"action": "start", "seeds": K}` or
    `{"action": "stop"}` (docs/protocol.md)."""
    action = data.get("action")
    if action not in ACTIONS:
        allowed = " or ".join(ACTIONS)
        got = repr(action)[:60]  # the value, cut short: it may be as large as a message
        raise ProtocolError("invalid_field", f"action must be {allowed}, got {got}", "action")
    running = session.compare
    if action == "stop":
        if running is not None:
            stop(session)
            session.broadcast(running.message("stopped"))
        return
    if not all(hasattr(s, "offer") for s in session.subscribers):
        # A room's session sends to the room (app/classroom/runner.py), which has no slot
        # for compare frames: a compare is for the page's own session.
        raise ProtocolError(
            "invalid_message", "compare runs on your own session (/ws), not in a room", "type"
        )
    variants, seeds = _variants(session, data)
    extra = sum(_memory(session, trainer) for trainer in variants.trainers)
    session.on_reserve(session, session.memory_bytes - session.compare_bytes + extra)
    if running is not None:
        stop(session)
    run = CompareRun(session, variants, seeds)
    session.compare = run
    session.compare_bytes = extra
    session.broadcast(run.message())
    run.task = asyncio.get_running_loop().create_task(run.run())


def stop(session: Session) -> None:
    """Stop and forget the session's compare (and its memory), if it has one."""
    run = session.compare
    if run is None:
        return
    run.stop()
    session.compare = None
    session.on_reserve(session, session.memory_bytes - session.compare_bytes)
    session.compare_bytes = 0


def _variants(session: Session, data: dict[str, Any]) -> tuple[Variants, bool]:
    """The requested variants of the session's run (over its current points)."""
    has_seeds, has_variants = "seeds" in data, "variants" in data
    if has_seeds == has_variants:
        raise ProtocolError(
            "invalid_field",
            f"start needs either variants (a list of {MIN_VARIANTS} to {MAX_VARIANTS} objects "
            f"of config fields) or seeds (an integer from {MIN_VARIANTS} to {MAX_VARIANTS})",
            "variants",
        )
    base = session.trainer.config
    dataset = session.trainer.dataset
    if len(dataset.train) == 0:
        raise ProtocolError(
            "invalid_message", "there are no training points to compare on", "points"
        )
    if has_seeds:
        count = protocol.get_int(data, "seeds", MIN_VARIANTS, MAX_VARIANTS)
        return Variants.seeds(base, count, dataset), True
    changes = data["variants"]
    if not isinstance(changes, list) or not MIN_VARIANTS <= len(changes) <= MAX_VARIANTS:
        raise ProtocolError(
            "invalid_field",
            f"variants must be a list of {MIN_VARIANTS} to {MAX_VARIANTS} objects of config fields",
            "variants",
        )
    for i, change in enumerate(changes):
        field = f"variants[{i}]"
        if not isinstance(change, dict):
            raise ProtocolError(
                "invalid_field", f"{field} must be an object of config fields", field
            )
        for name in change:
            if name not in VARIANT_FIELDS:
                allowed = ", ".join(VARIANT_FIELDS)
                raise ProtocolError(
                    "invalid_field",
                    f"{field}.{name}: a variant may change one of {allowed} "
                    "(the data stays the same for every variant)",
                    f"{field}.{name}",
                )
        try:
            check_engine_limits(change, session.settings)
            Config.from_dict(change, base=base)
        except ProtocolError as exc:
            where = f"{field}.{exc.field}"
            raise ProtocolError(exc.code, f"{field}.{exc.message}", where) from None
        except ConfigError as exc:
            where = f"{field}.{exc.field}"
            raise ProtocolError("invalid_field", f"{field}.{exc}", where) from None
    return Variants(base, changes, dataset), False


def _memory(session: Session, trainer: Any) -> int:
    points = trainer.dataset.x.shape[0]
    return budget.estimate_bytes(trainer.config, points, MAP_SIZE, 1)
