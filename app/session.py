"""One training session: config, trainer, play state and the sockets watching it (no FastAPI).

Its frame path is in `app.session_frames` and its sliced training in `app.session_training`;
`Session` puts the three together.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

import numpy as np

from app import budget, protocol, snapshot
from app.code_export import CODE_EXPORT_BURST
from app.options import check_engine_limits, server_defaults
from app.session_frames import SessionFrames
from app.session_training import SessionTraining
from app.settings import Settings
from engine import Config, Trainer
from engine.lesson import Lesson, check

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


class Session(SessionFrames, SessionTraining):
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
        self._metrics_seq = 0  # `seq` when the metrics were refreshed
        # Its frame under way began over half a frame interval late: the CPU falls short of
        # its fps (app.pacing.Scheduler.begin_frame); its metrics are then refreshed less.
        self.behind = False
        self.messages = 0  # client messages that may change its state (app.handlers counts)
        # `messages` when metrics were refreshed for a deferred frame (see defer_frame)
        self._pinned: int | None = None
        self.last_status: str | None = None  # the state the subscribers were last told
        # The lesson the page follows and its "now try" variant (None: the lesson's own run);
        # frames then carry its checks, evaluated on the frame's metrics.
        self.lesson: tuple[Lesson, int | None] | None = None
        # Fair CPU: frames, training and costly requests are charged here (app.budget).
        self.cpu = budget.CpuAccount(lambda: self.clock())
        # The registry's hook: does another session want CPU now? (see `turn_at`)
        self.contended: Callable[[Session], bool] = lambda session: False
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

    # -- replacing the trainer -----------------------------------------------------------------

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


def trainer_from_state(trainer_state: dict[str, Any]) -> Trainer:
    """The engine's Trainer from an exported state; ProtocolError naming `state` if it is not
    one. Touches nothing shared, so it may run in a worker thread."""
    try:
        return Trainer.from_state(trainer_state)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise protocol.ProtocolError(
            "invalid_field", f"state is not an exported trainer state: {exc}", "state"
        ) from None
