"""Client messages -> engine calls: one function per message type (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from app import budget, code_export, compare, protocol
from app.lessons import course
from app.options import split_server_fields
from app.protocol import Message, ProtocolError
from app.session import Session, trainer_from_state
from engine import Config, ConfigError, DataError, Dataset, dataset_from_csv, trace_step

Reply = Callable[[dict[str, Any]], None]
SEED_LIMIT = 2**32
MAX_CSV_CHARS = 200_000
# Handlers that await other work in between (their wall time is not their cost): they
# charge their own training slices.
SELF_CHARGING = frozenset({"step"})
# Messages that change nothing a frame shows: maps made for the state before them stay good
# (a cohort's maps are made before its members' frames go out one by one, app.pacing).
UNCHANGING = frozenset({"ping"})


async def handle(session: Session, message: Message, reply: Reply) -> None:
    """Apply one validated-envelope message; a bad one raises ProtocolError (nothing changed)."""
    before = session.state()
    started, charged = time.perf_counter(), session.cpu.spent
    waited = [0.0]  # in worker threads (budget.in_thread charges their CPU itself)
    token = budget.THREAD_WAIT.set(waited)
    if message.type not in UNCHANGING:
        session.ready_maps = None  # made before this message: they may no longer be its state
        session.messages += 1  # metrics pinned to a coming frame no longer hold either
    try:
        await HANDLERS[message.type](session, message.data, reply)
        if message.type not in SELF_CHARGING:
            # What the request cost beyond the frames and training it already paid for:
            # regenerate, load_csv, restore and friends are charged like frames are.
            spent = time.perf_counter() - started - waited[0]
            extra = spent - (session.cpu.spent - charged)
            session.cpu.spend(max(0.0, extra))
        if session.state() != before and session.last_status != session.state():
            # e.g. a live configure clears "diverged": the page must drop its banner.
            session.broadcast(session.status_message())
    except ConfigError as exc:
        raise ProtocolError("invalid_field", str(exc), exc.field) from None
    except DataError as exc:
        raise ProtocolError("invalid_data", str(exc), exc.field) from None
    finally:
        budget.THREAD_WAIT.reset(token)


async def configure(session: Session, data: dict[str, Any], reply: Reply) -> None:
    server, engine = split_server_fields(data, session.settings)
    rebuilt = {"data": False, "network": False}
    wanted = session.trainer.config
    if engine:
        # A dataset's default size (1200 for regression) must fit this server's limit too.
        wanted = Config.from_dict(engine, base=session.trainer.config)
        limit = session.settings.max_points
        if wanted.dataset != "custom" and wanted.points() > limit:
            raise ProtocolError(
                "invalid_field",
                f"num_points: must be at most {limit} on this server (got {wanted.points()})",
                "num_points",
            )
    session.reserve(wanted, {**session.view, **server})
    if engine:
        rebuilt = dict(session.trainer.configure(engine))
    session.view.update(server)
    if rebuilt["network"] or "thumb_size" in server:
        session.network_rebuilt()
    session.broadcast(session.config_message(rebuilt))
    if rebuilt["data"]:
        session.broadcast(session.dataset_message())
    if rebuilt["network"] or rebuilt["data"]:
        session.broadcast(session.status_message())
    session.request_frame()


def _require_training_points(session: Session) -> None:
    if len(session.trainer.dataset.train) == 0:
        raise ProtocolError(
            "invalid_message",
            "there are no training points to train on: add points or pick a dataset",
            "points",
        )


async def play(session: Session, data: Any, reply: Reply) -> None:
    _require_training_points(session)
    session.set_playing(True)
    session.broadcast(session.status_message())


async def pause(session: Session, data: Any, reply: Reply) -> None:
    session.set_playing(False)
    session.broadcast(session.status_message())
    session.request_frame()


async def step(session: Session, data: Any, reply: Reply) -> None:
    _require_training_points(session)
    session.set_playing(False)
    if isinstance(data, dict) and "batches" in data:
        batches = protocol.get_int(data, "batches", 1, protocol.MAX_STEP_BATCHES)
        await _sliced(session, _batches_slices(session, batches))
    else:
        epochs = protocol.get_int(data, "epochs", 1, protocol.MAX_STEP_EPOCHS, default=1)
        target = session.trainer.epoch + epochs
        await _sliced(session, lambda: _epochs_slice(session, target))
    session.broadcast(session.status_message())
    session.request_frame()


def _epochs_slice(session: Session, target: int) -> bool:
    """One slice towards `target` epochs; True when there is more to do."""
    left = target - session.trainer.epoch
    if left <= 0 or session.trainer.status != "ok":
        return False
    session.train_slice(left, session.slice_budget())
    return session.trainer.epoch < target and session.trainer.status == "ok"


def _batches_slices(session: Session, batches: int) -> Callable[[], bool]:
    left = [batches]

    def one_slice() -> bool:
        if left[0] <= 0 or session.trainer.status != "ok":
            return False
        ran = session.train_batches(left[0], session.slice_budget())
        left[0] -= ran
        return ran > 0 and left[0] > 0 and session.trainer.status == "ok"

    return one_slice


async def _sliced(session: Session, one_slice: Callable[[], bool]) -> None:
    """Run slices, yielding to the event loop between them so other sessions keep going."""
    session.busy = True
    try:
        while one_slice():
            # Wait for the session's turn: a long step gets its fair share, no more.
            await asyncio.sleep(max(0.0, session.turn_at() - session.clock()))
    finally:
        session.busy = False


async def reset(session: Session, data: Any, reply: Reply) -> None:
    reseed = protocol.get_bool(data, "reseed", False)
    session.set_playing(False)
    if reseed:
        seed = int(session.rng.integers(SEED_LIMIT))
        rebuilt = session.trainer.configure({"seed": seed})
        session.broadcast(session.config_message(dict(rebuilt)))
    else:
        session.trainer.reset()
    session.network_rebuilt()
    session.broadcast(session.status_message())
    session.request_frame()


async def regenerate(session: Session, data: Any, reply: Reply) -> None:
    # On custom data the engine keeps the points and draws a new split.
    session.trainer.regenerate(int(session.rng.integers(SEED_LIMIT)))
    session.broadcast(session.config_message({"data": True, "network": False}))
    session.broadcast(session.dataset_message())
    session.request_frame()


async def set_weight(session: Session, data: dict[str, Any], reply: Reply) -> None:
    sizes = session.layer_sizes()
    layer = protocol.get_int(data, "layer", 1, len(sizes) - 1)
    source = protocol.get_int(data, "source", 0, sizes[layer - 1] - 1)
    target = protocol.get_int(data, "target", 0, sizes[layer] - 1)
    value = protocol.get_float(data, "value", protocol.MAX_ABS_VALUE)
    session.trainer.set_weight(layer - 1, source, target, value)
    session.request_frame()


async def set_bias(session: Session, data: dict[str, Any], reply: Reply) -> None:
    sizes = session.layer_sizes()
    layer = protocol.get_int(data, "layer", 1, len(sizes) - 1)
    neuron = protocol.get_int(data, "neuron", 0, sizes[layer] - 1)
    value = protocol.get_float(data, "value", protocol.MAX_ABS_VALUE)
    session.trainer.set_bias(layer - 1, neuron, value)
    session.request_frame()


async def select_node(session: Session, data: Any, reply: Reply) -> None:
    if data is None or data == {}:
        session.selected = None
    else:
        sizes = session.layer_sizes()
        layer = protocol.get_int(data, "layer", 0, len(sizes) - 1)
        neuron = protocol.get_int(data, "neuron", 0, sizes[layer] - 1)
        session.selected = (layer, neuron)
    session.request_frame()


async def add_points(session: Session, data: dict[str, Any], reply: Reply) -> None:
    current = session.trainer.dataset
    room = session.settings.max_points - current.x.shape[0]
    points = protocol.get_points(data, max(room, 0))
    _replace_data(session, current.to_points() + points)


async def remove_points(session: Session, data: dict[str, Any], reply: Reply) -> None:
    cx, cy = protocol.get_point(data, "near")
    radius = protocol.get_float(data, "radius", 12.0)
    if radius <= 0:
        raise ProtocolError("invalid_field", "radius must be above 0 and at most 12", "radius")
    limit = radius * radius
    kept = [
        p
        for p in session.trainer.dataset.to_points()
        if (p[0] - cx) ** 2 + (p[1] - cy) ** 2 > limit
    ]
    _replace_data(session, kept)


async def clear_points(session: Session, data: Any, reply: Reply) -> None:
    _replace_data(session, [])


async def load_csv(session: Session, data: dict[str, Any], reply: Reply) -> None:
    text = protocol.get_str(data, "text", MAX_CSV_CHARS)
    cfg = session.trainer.config
    # Parsing 200 000 characters takes long enough to stall every other session: off the
    # loop (the thread touches only the new dataset; this session waits for it).
    dataset = await budget.in_thread(
        session.cpu,
        dataset_from_csv,
        text,
        cfg.problem,
        cfg.train_percent,
        cfg.validation_percent,
        session.rng,
        max_rows=session.settings.max_points,
    )
    _install(session, dataset)


def _replace_data(session: Session, points: list[list[Any]]) -> None:
    cfg = session.trainer.config
    dataset = Dataset.from_points(
        points, cfg.problem, cfg.train_percent, cfg.validation_percent, session.rng
    )
    _install(session, dataset)


def _install(session: Session, dataset: Any) -> None:
    before = session.layer_sizes()
    session.trainer.set_dataset(dataset)
    network = session.layer_sizes() != before
    if network:
        session.network_rebuilt()
    session.broadcast(session.config_message({"data": True, "network": network}))
    session.broadcast(session.dataset_message())
    session.request_frame()


async def export(session: Session, data: Any, reply: Reply) -> None:
    fmt = code_export.requested_format(data)
    if fmt is not None:
        reply(await code_export.code_message(session, fmt))
        return
    state = {"trainer": session.trainer.export_state(), "view": dict(session.view)}
    reply(protocol.text("state", state=state))


async def trace(session: Session, data: dict[str, Any], reply: Reply) -> None:
    index = data.get("index")
    found = trace_step(session.trainer, index)
    try:
        protocol.encode(found)
    except ValueError:  # JSON has no NaN or infinity: this network's numbers overflowed
        raise ProtocolError(
            "invalid_message",
            f"the backprop of point {index} overflows (NaN or infinity): this network's "
            "weights are too large; lower the learning rate and press reset",
            "index",
        ) from None
    reply(protocol.text("trace", trace=found))


async def restore(session: Session, data: dict[str, Any], reply: Reply) -> None:
    state = data.get("state")
    if not isinstance(state, dict) or not isinstance(state.get("trainer"), dict):
        raise ProtocolError(
            "invalid_field", 'state must be an object {"trainer": {...}, "view": {...}}', "state"
        )
    view, _ = split_server_fields(state.get("view") or {}, session.settings)
    trainer = await budget.in_thread(session.cpu, trainer_from_state, state["trainer"])
    session.install_trainer(trainer, view)


async def ping(session: Session, data: Any, reply: Reply) -> None:
    reply(protocol.text("pong", t=protocol.get_echo(data, "t")))


async def lesson(session: Session, data: dict[str, Any], reply: Reply) -> None:
    """Open a lesson (or one of its "now try" variants): its config, fresh weights, paused.

    Frames then carry its checks; ``{"id": null}`` stops following it (the run stays).
    """
    lesson_id = data.get("id")
    if lesson_id is None:
        session.lesson = None
        session.request_frame()
        return
    lessons = {lesson.id: lesson for lesson in course()}
    if not isinstance(lesson_id, str) or lesson_id not in lessons:
        allowed = "id must be the id of a lesson (GET /api/lessons) or null"
        raise ProtocolError("invalid_field", f"{allowed}, got {lesson_id!r}", "id")
    chosen = lessons[lesson_id]
    variant = data.get("variant")
    if variant is not None:
        if not chosen.now_try:
            raise ProtocolError("invalid_field", "variant must be null: no now_try", "variant")
        variant = protocol.get_int(data, "variant", 0, len(chosen.now_try) - 1)
    config = chosen.config if variant is None else chosen.now_try[variant].config
    await configure(session, config.to_dict(), reply)  # the server's limits apply here
    session.lesson = (chosen, variant)  # before the reset, whose frame carries the checks
    await reset(session, None, reply)


HANDLERS: dict[str, Callable[[Session, Any, Reply], Awaitable[None]]] = {
    "compare": compare.compare,
    "configure": configure,
    "play": play,
    "pause": pause,
    "step": step,
    "reset": reset,
    "regenerate": regenerate,
    "set_weight": set_weight,
    "set_bias": set_bias,
    "select_node": select_node,
    "add_points": add_points,
    "remove_points": remove_points,
    "clear_points": clear_points,
    "load_csv": load_csv,
    "export": export,
    "restore": restore,
    "trace": trace,
    "ping": ping,
    "lesson": lesson,
}
