"""A solo session as one blob, and back: everything a resumed session needs to go on exactly.

The engine's export (config, data, weights, optimizer, schedule, its generators, epoch,
history) plus what the server adds: the view fields, the session's own generator (seeds
for reset and regenerate), play state, selected node, followed lesson and frame counter.
`capture` runs on the event loop (a consistent copy between two training slices); `encode`,
`decode` and `rebuild` touch nothing shared and run in a worker thread.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

from app.options import split_server_fields
from app.session import Session, trainer_from_state
from app.settings import Settings
from engine import Trainer

VERSION = 1
# Numeric lists from this length on are stored as their bytes (no compression: random
# float bytes hardly shrink, and zlib cost more CPU than the JSON).
PACK_MIN = 32
PACKED = "__packed__"


def capture(session: Session) -> dict[str, Any]:
    """The session's state as JSON-able data (cost charged to the session by the caller)."""
    lesson = None if session.lesson is None else [session.lesson[0].id, session.lesson[1]]
    return {
        "version": VERSION,
        "trainer": session.trainer.export_state(),
        "view": dict(session.view),
        "rng": session.rng.bit_generator.state,
        "playing": session.playing,
        "selected": None if session.selected is None else list(session.selected),
        "lesson": lesson,
        "seq": session.seq,
    }


def marker(session: Session) -> tuple[Any, ...]:
    """Changes whenever the state may have: every change the client sees sends a frame."""
    return (session.seq, session.playing, session.trainer.epoch, session.trainer.batch_position)


def encode(state: dict[str, Any]) -> bytes:
    return json.dumps(_pack(state), separators=(",", ":")).encode()


def _pack(value: Any) -> Any:
    """Long numeric lists as their float64 or int64 bytes (base64): exact, and much faster
    than JSON's float repr, which holds the GIL (the event loop) throughout."""
    if isinstance(value, dict):
        return {k: _pack(v) for k, v in value.items()}
    if isinstance(value, list) and len(value) >= PACK_MIN and _numeric(value):
        try:
            array = np.asarray(value)
        except ValueError:  # ragged
            array = None
        if array is not None and array.dtype.kind in "fi":
            kind = "f8" if array.dtype.kind == "f" else "i8"
            data = base64.b64encode(array.astype(kind).tobytes()).decode()
            return {PACKED: kind, "shape": list(array.shape), "data": data}
    if isinstance(value, list):
        return [_pack(v) for v in value]
    return value


def _numeric(values: list[Any]) -> bool:
    first = values[0]
    while isinstance(first, list) and first:
        first = first[0]
    return isinstance(first, int | float) and not isinstance(first, bool)


def _unpack(value: Any) -> Any:
    if isinstance(value, dict):
        if PACKED in value:
            raw = base64.b64decode(value["data"])
            return np.frombuffer(raw, value[PACKED]).reshape(value["shape"]).tolist()
        return {k: _unpack(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unpack(v) for v in value]
    return value


def decode(blob: bytes, max_bytes: int) -> dict[str, Any]:
    """The stored state; ValueError if it is not one or is longer than `max_bytes`."""
    if len(blob) > max_bytes:
        raise ValueError(f"a stored session is longer than {max_bytes} bytes")
    state = _unpack(json.loads(blob))
    if not isinstance(state, dict) or state.get("version") != VERSION:
        raise ValueError(f"not a stored session of version {VERSION}")
    return state


def rebuild(blob: bytes, max_bytes: int) -> tuple[dict[str, Any], Trainer]:
    """The stored state and its trainer (ProtocolError or ValueError if it is not one)."""
    state = decode(blob, max_bytes)
    return state, trainer_from_state(state["trainer"])


def apply(session: Session, state: dict[str, Any], trainer: Trainer, settings: Settings) -> None:
    """Make a fresh `session` the stored one (this server's limits and budget apply)."""
    from app.lessons import course

    view, _ = split_server_fields(state["view"], settings)
    session.install_quietly(trainer, view)
    session.rng.bit_generator.state = state["rng"]
    selected = state.get("selected")
    session.selected = tuple(selected) if selected and session.node_exists(*selected) else None
    session.seq = int(state.get("seq", 0))
    lessons = {lesson.id: lesson for lesson in course()}
    followed = state.get("lesson")
    if followed and followed[0] in lessons:
        session.lesson = (lessons[followed[0]], followed[1])
    session.playing = bool(state.get("playing")) and trainer.status == "ok"
