"""A solo session as one blob, and back: everything a resumed session needs to go on exactly.

The engine's export (config, data, weights, optimizer, schedule, its generators, epoch,
history) plus what the server adds: the view fields, the session's own generator (seeds
for reset and regenerate), play state, selected node, followed lesson and frame counter.
`capture` runs on the event loop (a consistent copy between two training slices); `encode`,
`decode` and `rebuild` touch nothing shared and run in a worker thread.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from app.options import split_server_fields
from app.session import Session, trainer_from_state
from app.settings import Settings
from engine import Trainer

VERSION = 1
COMPRESS_LEVEL = 1  # the fastest: a save costs the session CPU, the blob shrinks ~2x anyway


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
    return zlib.compress(json.dumps(state, separators=(",", ":")).encode(), COMPRESS_LEVEL)


def decode(blob: bytes, max_bytes: int) -> dict[str, Any]:
    """The stored state; ValueError if it is not one or inflates past `max_bytes`."""
    inflater = zlib.decompressobj()
    text = inflater.decompress(blob, max_bytes)
    if inflater.unconsumed_tail:
        raise ValueError(f"a stored session inflates past {max_bytes} bytes")
    state = json.loads(text)
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
