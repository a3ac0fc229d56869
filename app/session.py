"""One training session: config, trainer, play state and the sockets watching it (no FastAPI)."""

from __future__ import annotations

import asyncio
import functools
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np

from app import budget, protocol, snapshot
from app.code_export import CODE_EXPORT_BURST
from app.options import check_engine_limits, server_defaults
from app.settings import Settings
from engine import Config, Trainer
from engine.lesson import Lesson, check

METRICS_REFRESH_SECONDS = 0.2
# A frame whose metrics and maps would together hold the event loop longer than this is
# built in two turns: its metrics now, its maps at the scheduler's next pass.
LOOP_HOLD = 0.04
CHANGE_FRAME_INTERVAL = 1 / 30
# Frames that took longer than Settings.frame_thread_ms are built in FRAME_THREAD, off the
# event loop. One thread: NumPy releases the GIL, so frames use at most one more core.
FRAME_THREAD = ThreadPoolExecutor(1, thread_name_prefix="frames")
REPLACED_REASON = "this session was opened by another connection"
STATUS_TEXT = {
    "playing": "Training.",
    "paused": "Paused.",
}


class Subscriber(Protocol):
    """The outgoing side of one socket (see `app.mailbox.Mailbox`)."""

    def send_text(self, text: str) -> None: ...

    def offer_frame(self, frame: bytes) -> None: ...

    def close(self, code: int, reason: str) -> None: ...

    def discard_frame(self) -> None: ...


class Session:
    """A trainer plus what the server adds: speed, views, play state and subscribers."""

    def __init__(self, session_id: str, settings: Settings, rng: np.random.Generator) -> None:
        self.id = session_id
        self.settings = settings
        self.rng = rng  # new seeds for reset/regenerate and the split of user points
        self.trainer = Trainer(Config())
        self.view: dict[str, int] = server_defaults(settings)
        self.playing = False
        self.selected: tuple[int, int] | None = None
        self.seq = 0
        self.inputs_due = True  # input maps only change on a rebuild; send them once after one
        self.subscribers: list[Subscriber] = []
        self.detached_since: float | None = time.monotonic()
        self.epoch_cost = 1e-3  # seconds per epoch, running estimate for slicing
        self.next_due = 0.0  # scheduler: when the next frame's training may start
        self.frame_start_epoch: int | None = None  # scheduler: epoch the current frame began at
        self.frame_due = 0.0  # scheduler: when the current frame's training was due
        self.frame_requested = False  # a change wants a frame (see request_frame)
        self.last_frame_at = -math.inf  # when the last frame was built
        self.clock: Callable[[], float] = time.monotonic
        # The scheduler's hook: this session has work (it plays, or wants a frame).
        self.on_play: Callable[[Session], None] = lambda session: None
        self.on_epochs: Callable[[int], None] = lambda n: None
        self.busy = False  # a step is training in slices; the scheduler keeps off
        self.cohort_size = 1  # how many sessions its last slice trained with (app.cohorts)
        self._metrics: dict[str, Any] | None = None  # last full metrics() and when
        self._metrics_at = 0.0
        self.metrics_cost = 0.0  # seconds the last full metrics() took
        self.messages = 0  # client messages handled (app.handlers counts them)
        # `messages` when metrics were refreshed for a deferred frame (see defer_frame)
        self._pinned: int | None = None
        self.last_status: str | None = None  # the state the subscribers were last told
        # The lesson the page follows and its "now try" variant (None: the lesson's own run);
        # frames then carry its checks, evaluated on the frame's metrics.
        self.lesson: tuple[Lesson, int | None] | None = None
        # Fair CPU: frames, training and costly requests are charged here (app.budget).
        self.cpu = budget.CpuAccount(lambda: self.clock())
        self.frame_cost = 0.0  # seconds the last frame took to build
        self.building = False  # a frame is being built off the loop
        self.shape_version = 0  # counts rebuilds: an off-loop frame of an old shape is dropped
        # Thumbnail codes every subscriber last got (None: resend them); frames leave them
        # out until they move by more than a quantisation step (app.snapshot).
        self.sent_neurons: np.ndarray | None = None
        # This state's maps, made with its cohort's (app.pacing); any message drops them.
        self.ready_maps: snapshot.Maps | None = None
        # Runs a coroutine on the serving loop (the registry sets it); None: frames are
        # always built inline (unit tests without a loop).
        self.offload: Callable[[Coroutine[Any, Any, None]], Any] | None = None
        self.address = ""  # the client address that opened it (per-address limits)
        # A solo session (opened by /ws, not a room's) is saved to shared storage
        # (app.saved_sessions): what was last saved, and when.
        self.solo = False
        self.saved_marker: tuple[Any, ...] | None = None
        self.saved_at = -math.inf
        self.compare: Any = None  # its compare of variants, if one runs (app.compare)
        self.compare_bytes = 0  # the compare's estimated memory, part of memory_bytes
        # The registry's count of sessions wanting CPU: this one's compare trains, or not.
        self.on_compare: Callable[[Session, bool], None] = lambda session, training: None
        self.memory_bytes = self.estimate_memory(self.trainer.config, self.view)
        # The registry's memory budget: may this session grow to n bytes? (ProtocolError)
        self.on_reserve: Callable[[Session, int], None] = lambda session, n: None
        # When the last code exports were asked for (app.code_export bounds their rate).
        self.code_exports: deque[float] = deque(maxlen=CODE_EXPORT_BURST)

    def estimate_memory(
        self, config: Config, view: dict[str, int], points: int | None = None
    ) -> int:
        """Estimated bytes this session holds with `config` and `view` (app.budget)."""
        if points is None:
            points = self.settings.max_points if config.dataset == "custom" else config.points()
        own = budget.estimate_bytes(config, points, view["grid_size"], view["thumb_size"])
        return own + self.compare_bytes

    def reserve(self, config: Config, view: dict[str, int], points: int | None = None) -> None:
        """ProtocolError `over_budget` unless the server's memory budget takes this config."""
        self.on_reserve(self, self.estimate_memory(config, view, points))

    # -- what the client is told ------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The full config: engine fields plus the server's."""
        return {**self.trainer.config.to_dict(), **self.view}

    def state(self) -> str:
        """playing, paused, diverged or early_stopped."""
        if self.trainer.status != "ok":
            return self.trainer.status
        return "playing" if self.playing else "paused"

    def status_message(self) -> dict[str, Any]:
        state = self.state()
        message = STATUS_TEXT.get(state, self.trainer.status_message)
        return protocol.text("status", state=state, message=message, epoch=self.trainer.epoch)

    def dataset_message(self) -> dict[str, Any]:
        data = self.trainer.dataset
        points = [
            [
                round(x1, 4),
                round(x2, 4),
                label if isinstance(label, int) else round(label, 4),
                split,
            ]
            for x1, x2, label, split in data.to_points()
        ]
        return protocol.text(
            "dataset", problem=data.problem, num_classes=data.num_classes, points=points
        )

    def lesson_checks(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """The followed lesson's checks, each with the value in `metrics` and whether it holds."""
        lesson, variant = self.lesson
        expect = lesson.expect if variant is None else lesson.now_try[variant].expect
        checks = [
            {**c.expectation.to_dict(), "actual": c.actual, "met": c.met}
            for c in check(expect, metrics)
        ]
        return {"id": lesson.id, "variant": variant, "stop_at": lesson.stop_at, "checks": checks}

    def config_message(self, rebuilt: dict[str, bool]) -> dict[str, Any]:
        return protocol.text(
            "config", config=self.config(), rebuilt=rebuilt, layer_sizes=self.layer_sizes()
        )

    # -- sending ------------------------------------------------------------------------------

    def broadcast(self, message: dict[str, Any]) -> None:
        """Encode once, queue for every subscriber."""
        if message["type"] == "status":
            self.last_status = message["data"]["state"]
        text = protocol.encode(message)
        for subscriber in self.subscribers:
            subscriber.send_text(text)

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
        return (
            fresh
            or self._metrics is None
            or time.monotonic() - self._metrics_at >= METRICS_REFRESH_SECONDS
        )

    def refresh_metrics(self) -> None:
        start = time.perf_counter()
        self._metrics = self.trainer.metrics()
        self._metrics_at = time.monotonic()
        self.metrics_cost = time.perf_counter() - start

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
        start = time.perf_counter()
        self.refresh_metrics()
        self.cpu.spend(time.perf_counter() - start)
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
        start = time.perf_counter()
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
            "sent_neurons": self.sent_neurons if self.keeps_thumbnails() else None,
        }
        if maps is not None:  # the costly part is done: encode here
            self._deliver(snapshot.build_frame(self.trainer, **args, maps=maps), start)
            return
        threshold = self.settings.frame_thread_ms / 1000
        if self.offload is not None and threshold > 0 and self.frame_cost >= threshold:
            # Longer than the loop may be held: built in the frame thread from a copy.
            self.building = True  # the scheduler keeps off until it is delivered
            frozen = snapshot.FrozenTrainer(self.trainer)
            self.offload(self._build_off_loop(frozen, args, self.shape_version))
            self.cpu.spend(time.perf_counter() - start)  # metrics and the copy, on the loop
            return
        self._deliver(snapshot.build_frame(self.trainer, **args), start)

    def keeps_thumbnails(self) -> bool:
        """Whether every subscriber keeps the thumbnails it got (app.mailbox): a frame may
        then leave out ones that barely changed. A room's subscribers always get them."""
        return all(getattr(s, "keeps_thumbnails", False) for s in self.subscribers)

    def resend_maps(self) -> None:
        """The next frame carries every thumbnail (e.g. a new socket that has none)."""
        self.sent_neurons = None

    async def _build_off_loop(self, frozen: snapshot.FrozenTrainer, args: dict, shape: int) -> None:
        """Build the frame of `frozen` (network shape version `shape`) in the frame thread."""
        start = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
            build = functools.partial(snapshot.build_frame, frozen, **args)
            frame = await loop.run_in_executor(FRAME_THREAD, build)
        finally:
            self.building = False
        if shape != self.shape_version:  # rebuilt meanwhile: a frame of the old shape
            self.cpu.spend(time.perf_counter() - start)
            self.frame_requested = True
        else:
            self._deliver(frame, start)
        if self.playing or self.frame_requested:
            self.on_play(self)

    def _deliver(self, frame: snapshot.Frame, start: float) -> None:
        """Charge the frame's cost since `start` (perf_counter) and offer it to every
        subscriber."""
        cost = time.perf_counter() - start
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

    def network_rebuilt(self) -> None:
        """A frame of the old shape must never follow the new `config`."""
        self.shape_version += 1
        self.inputs_due = True
        self.ready_maps = None
        self.frame_start_epoch = None
        if self.selected is not None and not self.node_exists(*self.selected):
            self.selected = None
        for subscriber in self.subscribers:
            subscriber.discard_frame()

    def close_replaced(self) -> None:
        """Another connection, on this worker or another, has this session now."""
        for subscriber in self.subscribers:
            subscriber.close(protocol.CloseCode.REPLACED, REPLACED_REASON)

    def node_exists(self, layer: int, neuron: int) -> bool:
        sizes = self.layer_sizes()
        return 0 <= layer < len(sizes) and 0 <= neuron < sizes[layer]

    def layer_sizes(self) -> list[int]:
        """Neurons per layer: the inputs (layer 0), every hidden layer, the output."""
        weights = self.trainer.weights()
        return [weights[0][0].shape[0]] + [w.shape[1] for w, _ in weights]

    # -- play state ---------------------------------------------------------------------------

    def set_playing(self, playing: bool) -> None:
        was = self.playing
        self.playing = playing and self.trainer.status == "ok"
        if self.playing and not was:
            self.next_due = self.clock()
            self.frame_start_epoch = None
            self.on_play(self)

    def pause_at_stop(self) -> None:
        """Play reached the config's `stop_at` epoch: pause, and say why."""
        self.set_playing(False)
        epoch = self.trainer.epoch
        self.broadcast(
            protocol.text(
                "status",
                state="paused",
                message=f"Paused at epoch {epoch}, the stop_at epoch. Press play to go on.",
                epoch=epoch,
            )
        )

    # -- training -----------------------------------------------------------------------------

    def train_slice(self, max_epochs: int, budget: float) -> int:
        """Train towards `max_epochs` more epochs for about `budget` seconds; epochs completed.

        Whole epochs when one fits the budget; otherwise mini-batches, never past the end of
        the current epoch, so that `step` stays exact and the loop is never held long.
        """
        if self.epoch_cost > 2 * budget:
            before = self.trainer.epoch
            self.train_batches(self.batches_left_in_epoch(), budget)
            return self.trainer.epoch - before
        count = max(1, min(max_epochs, int(budget / self.epoch_cost)))
        start = time.perf_counter()
        done = self.trainer.train_epochs(count)
        self.cohort_size = 1
        self.trained(time.perf_counter() - start, done)
        return done

    def trained(self, elapsed: float, epochs: int) -> None:
        """`epochs` whole epochs ran for `elapsed` seconds of this session's CPU."""
        if epochs > 0:
            self._observe_cost(elapsed, epochs)
        else:
            self.cpu.spend(elapsed)
        self._after_training(epochs)

    def train_batches(self, max_batches: int, budget: float) -> int:
        """Train up to `max_batches` mini-batches for about `budget` seconds (at least one)."""
        per_epoch = self.batches_per_epoch()
        count = max(1, min(max_batches, int(budget / self.epoch_cost * per_epoch)))
        before = self.trainer.epoch
        start = time.perf_counter()
        ran = self.trainer.train_batches(count)
        self.cohort_size = 1
        if ran > 0:
            self._observe_cost(time.perf_counter() - start, ran / per_epoch)
        self._after_training(self.trainer.epoch - before)
        return ran

    def _observe_cost(self, elapsed: float, epochs: float) -> None:
        self.cpu.spend(elapsed)
        # Smoothed, but it follows a config change (a bigger network) within a few slices.
        self.epoch_cost = 0.5 * self.epoch_cost + 0.5 * elapsed / epochs

    def _after_training(self, epochs: int) -> None:
        self.on_epochs(epochs)
        if self.trainer.status != "ok" and self.playing:
            self.playing = False
            self.broadcast(self.status_message())

    def batches_per_epoch(self) -> int:
        train = len(self.trainer.dataset.train)
        return max(1, math.ceil(train / max(1, min(self.trainer.config.batch_size, train))))

    def batches_left_in_epoch(self) -> int:
        train = len(self.trainer.dataset.train)
        size = max(1, min(self.trainer.config.batch_size, train))
        return max(1, math.ceil((train - self.trainer.batch_position) / size))

    def install_state(self, trainer_state: dict[str, Any], view: dict[str, int]) -> None:
        """Replace the trainer by an exported one (checked against this server's limits)."""
        self.install_trainer(trainer_from_state(trainer_state), view)

    def install_trainer(self, trainer: Trainer, view: dict[str, int]) -> None:
        """Replace the trainer (checked against this server's limits and memory budget)."""
        self.install_quietly(trainer, view)
        self.playing = False
        self.broadcast(self.config_message({"data": True, "network": True}))
        self.broadcast(self.dataset_message())
        self.broadcast(self.status_message())
        self.request_frame()

    def install_quietly(self, trainer: Trainer, view: dict[str, int]) -> None:
        """Replace the trainer and view fields, telling no one (limits and budget apply)."""
        check_engine_limits(trainer.config.to_dict(), self.settings)
        if trainer.dataset.x.shape[0] > self.settings.max_points:
            raise protocol.ProtocolError(
                "invalid_field",
                f"state has more than {self.settings.max_points} points",
                "state",
            )
        self.reserve(trainer.config, {**self.view, **view}, trainer.dataset.x.shape[0])
        self.trainer = trainer
        self.view.update(view)
        self.network_rebuilt()

    def frame_target(self) -> tuple[int, bool]:
        """The epoch the frame under way (or the next) ends at, and whether that is the run's
        stop_at, where play pauses."""
        start = self.trainer.epoch if self.frame_start_epoch is None else self.frame_start_epoch
        target = start + self.view["epochs_per_frame"]
        to_stop = self.trainer.epochs_to_stop()
        if to_stop:  # stop_at lies ahead: the frame ends there
            return min(target, self.trainer.epoch + to_stop), True
        return target, False

    def frame_interval(self) -> float:
        return 1.0 / self.view["fps"]

    def change_interval(self) -> float:
        """Frames after changes come at most this often (slow motion must not delay edits)."""
        return min(self.frame_interval(), CHANGE_FRAME_INTERVAL)

    def turn_cost(self) -> float:
        """About how long this session's next turn holds the loop: a frame's training (at
        most a slice) and its last frame's cost."""
        training = min(self.slice_budget(), self.epoch_cost * self.view["epochs_per_frame"])
        return training + self.frame_cost

    def slice_budget(self) -> float:
        return self.settings.slice_ms / 1000.0


def trainer_from_state(trainer_state: dict[str, Any]) -> Trainer:
    """The engine's Trainer from an exported state; ProtocolError naming `state` if it is not
    one. Touches nothing shared, so it may run in a worker thread."""
    try:
        return Trainer.from_state(trainer_state)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise protocol.ProtocolError(
            "invalid_field", f"state is not an exported trainer state: {exc}", "state"
        ) from None
